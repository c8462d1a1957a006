/**
 * `--write` as an attacker and a power cut see it (issue 11): the temporary file cannot be planted
 * or predicted, a symbolic link is written through (and stays a link), the mode is kept, a read-only
 * file is refused even as root, stale leftovers of killed runs are removed, and `kill -9` at any
 * moment leaves the old text or the new one, never a torn file. Also: a closed stdout pipe.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { cli } from '../support/cli';
import { removeStaleTemps, writeAtomic } from '../../server/src/cli/files';

const ROOT = resolve(__dirname, '../../..');
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'iam-write-'));
  dirs.push(d);
  return d;
}
const POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: '*' }] }, null, 2) + '\n';
const REFINED = POLICY.replace('"s3:GetObject",\n        ', '');
const FINDINGS = '[{"serviceNamespace":"s3","actions":["GetObject"]}]';
const temps = (dir: string) => readdirSync(dir).filter((n) => n.includes('iam-refine'));

test('a symlinked policy is written through to its target; the link stays a link; the mode is kept', async () => {
  const dir = tmp();
  mkdirSync(join(dir, 'real'));
  writeFileSync(join(dir, 'real', 'p.json'), POLICY);
  chmodSync(join(dir, 'real', 'p.json'), 0o640);
  symlinkSync(join('real', 'p.json'), join(dir, 'p.json'));
  writeFileSync(join(dir, 'f.json'), FINDINGS);
  const r = await cli(['refine', 'p.json', '--findings', 'f.json', '--write'], dir);
  assert.equal(r.code, 0, r.err);
  assert.ok(lstatSync(join(dir, 'p.json')).isSymbolicLink());
  assert.equal(readlinkSync(join(dir, 'p.json')), join('real', 'p.json'));
  assert.equal(readFileSync(join(dir, 'real', 'p.json'), 'utf8'), REFINED);
  assert.equal(statSync(join(dir, 'real', 'p.json')).mode & 0o777, 0o640);
  assert.deepEqual(temps(dir), []);
  assert.deepEqual(temps(join(dir, 'real')), []);
});

test('a read-only policy is refused with a clear message, even as root, and left as it was', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'p.json'), POLICY);
  writeFileSync(join(dir, 'f.json'), FINDINGS);
  chmodSync(join(dir, 'p.json'), 0o444);
  const r = await cli(['refine', 'p.json', '--findings', 'f.json', '--write'], dir);
  assert.equal(r.code, 2);
  assert.match(r.err, /^iam-refine: p\.json: the file is read-only \(mode 444\); not written/m);
  assert.equal(readFileSync(join(dir, 'p.json'), 'utf8'), POLICY);
  assert.equal(statSync(join(dir, 'p.json')).mode & 0o777, 0o444);
  assert.deepEqual(temps(dir), []);
});

test('planted files cannot hijack the write: old predictable names are ignored, the policy stays a regular file', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'p.json'), POLICY);
  writeFileSync(join(dir, 'f.json'), FINDINGS);
  writeFileSync(join(dir, 'victim.txt'), 'precious\n');
  // what the predictable name of earlier versions would have been, for this process and its neighbours
  for (let pid = process.pid - 2; pid <= process.pid + 2; pid++) symlinkSync(join(dir, 'victim.txt'), join(dir, `.p.json.${pid}.iam-refine.tmp`));
  const r = await cli(['refine', 'p.json', '--findings', 'f.json', '--write'], dir);
  assert.equal(r.code, 0, r.err);
  assert.equal(readFileSync(join(dir, 'victim.txt'), 'utf8'), 'precious\n');
  assert.ok(lstatSync(join(dir, 'p.json')).isFile());
  assert.equal(readFileSync(join(dir, 'p.json'), 'utf8'), REFINED);
  // the planted links of dead processes were removed as stale (the links, never their target); this process's stays
  assert.ok(temps(dir).includes(`.p.json.${process.pid}.iam-refine.tmp`));
  assert.ok(temps(dir).every((n) => lstatSync(join(dir, n)).isSymbolicLink()));
});

test('stale leftovers of dead processes are removed; those of live processes and of other files are kept', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'p.json'), POLICY);
  const dead = 2 ** 22 + 12345; // above the default pid_max of 4,194,304: never a live process
  const names = [`.p.json.iam-refine-${dead}-0123456789abcdef.tmp`, `.p.json.${dead}.iam-refine.tmp`, `.p.json.iam-refine-${process.pid}-0123456789abcdef.tmp`, `.q.json.iam-refine-${dead}-0123456789abcdef.tmp`, `.p.json.iam-refine-${dead}-nothex.tmp`];
  for (const n of names) writeFileSync(join(dir, n), 'half');
  writeAtomic(join(dir, 'p.json'), REFINED);
  assert.equal(readFileSync(join(dir, 'p.json'), 'utf8'), REFINED);
  assert.deepEqual(temps(dir).sort(), [names[2], names[3], names[4]].sort());
  assert.deepEqual(removeStaleTemps(dir, 'p.json'), []);
});

test('writeAtomic refuses a file that changed since it was read, a dangling link and a directory', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'p.json'), POLICY);
  assert.throws(() => writeAtomic(join(dir, 'p.json'), REFINED, { name: 'p.json', expected: 'something else' }), /p\.json: the file changed while it was being refined; not written/);
  assert.equal(readFileSync(join(dir, 'p.json'), 'utf8'), POLICY);
  symlinkSync(join(dir, 'missing.json'), join(dir, 'dangling.json'));
  assert.throws(() => writeAtomic(join(dir, 'dangling.json'), REFINED, { name: 'dangling.json' }), /a symbolic link to a missing file; not written/);
  mkdirSync(join(dir, 'd.json'));
  assert.throws(() => writeAtomic(join(dir, 'd.json'), REFINED, { name: 'd.json' }), /not a regular file/);
  assert.deepEqual(temps(dir), []);
});

const KILLS = Number(process.env.KILL_TRIALS ?? 200);
const KILL_BUDGET_MS = Number(process.env.KILL_BUDGET_MS ?? 25_000);
const LANES = 3; // children killed in parallel, each writing its own file: node's start-up is most of a trial

test(`kill -9 during writes (${KILLS} kills): always the old text or the new, never torn; leftovers cleaned`, { timeout: KILL_BUDGET_MS + 30_000 }, async () => {
  // big enough that a write takes a while; two versions that differ everywhere
  const a = JSON.stringify({ Statement: Array.from({ length: 3000 }, (_, i) => ({ Effect: 'Allow', Action: `s3:GetObject${i}`, Resource: '*' })) }, null, 2);
  const b = a.replace(/GetObject/g, 'PutObject');
  const script = `
    const { writeAtomic } = require(${JSON.stringify(join(ROOT, 'out/server/src/cli/files.js'))});
    const fs = require('node:fs');
    const texts = [fs.readFileSync(process.argv[1] + '.a', 'utf8'), fs.readFileSync(process.argv[1] + '.b', 'utf8')];
    let i = 0;
    writeAtomic(process.argv[1], texts[i++ % 2]);
    process.stdout.write('ready\\n');
    for (;;) writeAtomic(process.argv[1], texts[i++ % 2]);`;
  const start = Date.now();
  let kills = 0;
  let leftovers = 0;
  const lane = async () => {
    const dir = tmp();
    const file = join(dir, 'p.json');
    for (const [ext, t] of [['', a], ['.a', a], ['.b', b]]) writeFileSync(file + ext, t);
    while (kills < KILLS && Date.now() - start < KILL_BUDGET_MS) {
      kills++;
      const child = spawn(process.execPath, ['-e', script, file], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise((r) => child.once('exit', r));
      await new Promise<void>((res, rej) => {
        child.stdout.once('data', () => res());
        child.once('exit', (code) => rej(new Error(`child exited early (${code})`)));
      });
      await new Promise((r) => setTimeout(r, Math.random() * 15));
      child.kill('SIGKILL');
      await exited;
      const now = readFileSync(file, 'utf8');
      assert.ok(now === a || now === b, `torn file after a kill (${now.length} characters)`);
      const left = temps(dir);
      // each run's first write removed the earlier runs' leftovers: at most the last one's remains
      assert.ok(left.length <= 1, `leftovers: ${left.join(', ')}`);
      leftovers += left.length;
    }
    writeAtomic(file, a);
    assert.deepEqual(temps(dir), []);
  };
  await Promise.all(Array.from({ length: LANES }, lane));
  assert.ok(kills >= Math.min(KILLS, 60), `only ${kills} kills in ${KILL_BUDGET_MS} ms`);
  console.log(`# kill test: ${kills} kills in ${Date.now() - start} ms, ${leftovers} left a temporary file (removed by the next write)`);
});

test('a closed stdout pipe ends the command quietly (expand | head)', async () => {
  const child = spawn(process.execPath, [join(ROOT, 'bin/iam-refine.js'), 'expand', '*'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  await new Promise<void>((res) => child.stdout.once('data', () => res()));
  child.stdout.destroy();
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  assert.equal(err, '');
  assert.equal(code, 0);
});

test('output to a non-blocking pipe that fills up arrives whole and in order (the stream takes over from direct writes)', async () => {
  const bin = join(ROOT, 'bin/iam-refine.js');
  const run = (pre: string) =>
    new Promise<{ out: Buffer; err: string; code: number | null }>((res) => {
      // asking for process.stdout opens the pipe as a stream, which makes its descriptor non-blocking (libuv): the
      // command's direct writes then meet EAGAIN as soon as the 64 KB pipe is full, while this reader waits
      const child = spawn(process.execPath, ['-e', `${pre}; process.argv = [process.argv[0], ${JSON.stringify(bin)}, 'expand', '*']; require(${JSON.stringify(bin)})`], { stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      child.stdout.pause();
      setTimeout(() => {
        child.stdout.on('data', (d: Buffer) => out.push(d));
        child.stdout.resume();
      }, 400);
      child.once('close', (code) => res({ out: Buffer.concat(out), err, code }));
    });
  const blocking = await run('void 0');
  const nonBlocking = await run('void process.stdout');
  assert.equal(blocking.code, 0, blocking.err);
  assert.equal(nonBlocking.code, 0, nonBlocking.err);
  assert.equal(nonBlocking.err, '');
  assert.ok(blocking.out.length > 500_000, `${blocking.out.length} bytes`);
  assert.ok(nonBlocking.out.equals(blocking.out), `${nonBlocking.out.length} bytes against ${blocking.out.length}`);
});
