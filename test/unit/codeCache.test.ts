/**
 * bin/iam-refine.js compiles dist/cli.js from the code cache the build made (scripts/code-cache.mjs):
 * the cache must be the one V8 takes for this Node (else it saves nothing), the CLI must behave the
 * same through it, and a cache made for another text of the same length (V8 checks only the
 * length) must not be used.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { ROOT } from '../support/example';

const BIN = path.join(ROOT, 'bin', 'iam-refine.js');
const CLI = path.join(ROOT, 'dist', 'cli.js');

/** A preload that says on stderr, for every script compiled with a code cache, whether V8 took it. */
function hook(dir: string): string {
  const file = path.join(dir, 'hook.js');
  writeFileSync(
    file,
    `const vm = require('node:vm'); const S = vm.Script;
vm.Script = class extends S { constructor(src, o) { super(src, o); if (o && o.cachedData) process.stderr.write('[cache ' + (this.cachedDataRejected ? 'rejected' : 'taken') + ']\\n'); } };\n`,
  );
  return file;
}

const run = (args: string[], cwd = ROOT) => spawnSync(process.execPath, args, { cwd, encoding: 'utf8' });

test('the CLI starts from the build’s code cache, which V8 takes, and says the same as without it', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'iam-cache-'));
  try {
    const pre = hook(dir);
    const plainBin = path.join(dir, 'plain.js');
    writeFileSync(plainBin, `require(${JSON.stringify(CLI)});\n`);
    for (const args of [['--version'], ['refine', 'examples/policy.json', '--findings', 'examples/findings.json', '--diff'], ['check', 'examples', '--findings', 'examples/findings.json']]) {
      const cached = run(['-r', pre, BIN, ...args]);
      assert.match(cached.stderr, /^\[cache taken\]$/m, `${args.join(' ')}: ${cached.stderr}`);
      // the same command with dist/cli.js required as usual
      const plain = run([plainBin, ...args]);
      assert.equal(cached.status, plain.status, args.join(' '));
      assert.equal(cached.stdout, plain.stdout, args.join(' '));
      assert.equal(cached.stderr.replace('[cache taken]\n', ''), plain.stderr, args.join(' '));
      assert.ok(cached.stdout.length > 0, args.join(' '));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a code cache made for another text of the same length is not used: the file as it is runs', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'iam-cache-'));
  try {
    mkdirSync(path.join(dir, 'bin'));
    mkdirSync(path.join(dir, 'dist'));
    copyFileSync(BIN, path.join(dir, 'bin', 'iam-refine.js'));
    copyFileSync(path.join(ROOT, 'bin', 'cli-module.js'), path.join(dir, 'bin', 'cli-module.js'));
    const cli = path.join(dir, 'dist', 'cli.js');
    const made = '/* iam-refine build 0123 */process.stdout.write("made " + (function f() { return "old"; })());\n';
    const now = '/* iam-refine build 4567 */process.stdout.write("made " + (function f() { return "new"; })());\n';
    assert.equal(made.length, now.length);
    // the cache and its record, as the build writes them, for the first text
    writeFileSync(cli, made);
    const script = new vm.Script(require('node:module').wrap(made), { filename: cli });
    writeFileSync(cli + '.cache', script.createCachedData());
    writeFileSync(cli + '.cache.json', JSON.stringify({ size: statSync(cli).size, build: '0123' }));
    const first = run(['-r', hook(dir), path.join(dir, 'bin', 'iam-refine.js')]);
    assert.equal(first.stdout, 'made old');
    assert.match(first.stderr, /\[cache taken\]/);
    // another build, same length: the cache is not the file's any more
    writeFileSync(cli, now);
    const r = run(['-r', hook(dir), path.join(dir, 'bin', 'iam-refine.js')]);
    assert.equal(r.stdout, 'made new');
    assert.doesNotMatch(r.stderr, /\[cache/, 'the cache was not even offered to V8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
