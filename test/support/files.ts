import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';

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

/** `workspace(files)`: a new temporary folder holding `files`, removed after the test file (node:test's `after`). */
export function tempWorkspaces(prefix: string): (files: Record<string, string | object>) => string {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return (files) => {
    const dir = mkdtempSync(path.join(tmpdir(), prefix));
    dirs.push(dir);
    return writeFiles(dir, files);
  };
}
