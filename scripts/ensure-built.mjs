// `npm run demo` on a fresh clone: build once if the bundles are missing.
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';
if (!existsSync('dist/cli.js') || !existsSync('dist/catalog.json')) execSync('npm run build', { stdio: 'inherit' });
