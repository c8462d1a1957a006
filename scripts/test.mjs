#!/usr/bin/env node
// `npm test` after the build: the unit, property, corpus, language-server and live tests (node's test
// runner), then the real-editor tests (scripts/editor-tests.mjs). Prints each part's count and, last,
// one closing line `tests: N passed, M failed[, K skipped]`. Exits non-zero when anything failed or
// when a part ran no test.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.includes('--unit-only') ? 'unit' : undefined;

function run(cmd, args, parse) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let tail = '';
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      tail = (tail + d.toString()).slice(-20000);
    });
    child.on('close', (code) => resolve({ code: code ?? 1, ...parse(tail) }));
  });
}

const num = (text, re) => Number((text.match(re) ?? [])[1] ?? 0);

// an empty per-user cache for every test process: a catalog the developer fetched with
// `iam-refine catalog update` never changes what the tests expect (they make their own)
process.env.XDG_CACHE_HOME = mkdtempSync(path.join(tmpdir(), 'iam-refiner-test-cache-'));

// test/unit/neovim.test.ts drives the server from Debian's Neovim 0.7: as root it is installed if missing (as the
// editor tests install chromium); otherwise that test fails saying so
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
if (!has(process.env.NVIM ?? 'nvim') && process.getuid?.() === 0 && has('apt-get')) {
  process.stderr.write('[test] apt-get installing neovim (for test/unit/neovim.test.ts)\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  spawnSync('apt-get', ['install', '-y', '-qq', 'neovim'], { stdio: 'inherit', env });
}

const unitDir = path.join(root, 'out', 'test', 'unit');
const files = readdirSync(unitDir).filter((f) => f.endsWith('.test.js')).map((f) => path.join(unitDir, f));
const unit = await run(process.execPath, ['--test', ...files], (t) => ({
  passed: num(t, /^# pass (\d+)$/m),
  failed: num(t, /^# fail (\d+)$/m) + num(t, /^# cancelled (\d+)$/m),
  skipped: num(t, /^# skipped (\d+)$/m) + num(t, /^# todo (\d+)$/m),
}));
const parts = [['unit', unit]];
if (!only) {
  const editor = await run(process.execPath, [path.join(root, 'scripts', 'editor-tests.mjs'), '--no-build'], (t) => {
    const m = t.match(/^editor tests: (\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/m);
    return m ? { passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3] ?? 0) } : { passed: 0, failed: 1, skipped: 0, missing: true };
  });
  parts.push(['editor', editor]);
}
let passed = 0;
let failed = 0;
let skipped = 0;
let bad = false;
for (const [name, r] of parts) {
  process.stdout.write(`\n${name}: ${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ''}${r.code ? ` (exit ${r.code})` : ''}\n`);
  passed += r.passed;
  failed += r.failed;
  skipped += r.skipped;
  if (r.code !== 0 || r.passed === 0 || r.failed > 0) bad = true;
}
process.stdout.write(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(bad ? 1 : 0);
