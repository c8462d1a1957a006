// The CLI's V8 code cache (dist/cli.js.cache), read by bin/iam-refine.js: dist/cli.js compiled the way
// the bin compiles it (bin/cli-module.js), run once on the bundled example (so the functions a command runs are in the
// cache too, not only the top level), and the cache written when that run ends. Made by the Node
// that builds; another V8 rejects it and compiles as usual.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const file = path.join(root, 'dist', 'cli.js');
const cache = file + '.cache';
rmSync(cache, { force: true });
rmSync(cache + '.json', { force: true });
const child = `
const fs = require('node:fs');
const file = ${JSON.stringify(file)};
process.argv = [process.argv[0], file, ...process.argv.slice(1)];
const cli = require(${JSON.stringify(path.join(root, 'bin', 'cli-module.js'))}).compileCli(file, fs.readFileSync(file, 'utf8'), undefined, module);
process.on('exit', () => fs.writeFileSync(file + '.cache', cli.script.createCachedData()));
cli.run();
`;
const r = spawnSync(process.execPath, ['-e', child, 'refine', path.join(root, 'examples', 'policy.json'), '--findings', path.join(root, 'examples', 'findings.json'), '--diff'], { cwd: root, encoding: 'utf8' });
if (!existsSync(cache)) {
  console.error(`code cache: not made (exit ${r.status}): ${r.stderr}`);
  process.exit(1);
}
// what the cache was made from: the bin uses it only for that file (V8 itself checks the source's
// length only): its size and the build id it starts with (scripts/bundle.mjs), which every build changes
const build = /^\/\* iam-refine build ([0-9a-f]+) \*\//.exec(readFileSync(file, 'utf8'))?.[1];
if (!build) {
  console.error('code cache: dist/cli.js does not start with its build id');
  process.exit(1);
}
writeFileSync(cache + '.json', JSON.stringify({ size: statSync(file).size, build }) + '\n');
