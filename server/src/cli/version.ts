import { readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';

let cached: string | undefined;
/** The extension's version, from the package.json above this file (dist/ or out/…). */
export function packageVersion(): string {
  if (cached) return cached;
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const f = join(dir, 'package.json');
    if (existsSync(f)) {
      const pkg = JSON.parse(readFileSync(f, 'utf8'));
      if (pkg.name === 'iam-policy-refiner') return (cached = pkg.version as string);
    }
    dir = dirname(dir);
  }
  return (cached = 'unknown');
}
