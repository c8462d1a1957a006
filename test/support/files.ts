import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * Writes `files` into `dir` (which exists), making the folders on the way: each key a path
 * relative to `dir`, each value the text, or an object written as indented JSON with a final
 * newline. Returns `dir`.
 */
export function writeFiles(dir: string, files: Record<string, string | object>): string {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2) + '\n');
  }
  return dir;
}
