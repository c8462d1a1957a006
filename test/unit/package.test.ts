/**
 * The package as a user installs it (issue 11): `npm pack`, then `npm install -g` of the tarball
 * into a temporary prefix, offline with an empty cache (so nothing can come from a registry), then
 * `iam-refine` from that prefix on the bundled example, from a directory with no checkout; and
 * `npx --package` of the same tarball.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ROOT, EXAMPLE, EXPECTED_S3, LAMBDA_UNUSED } from '../support/example';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

test('npm pack → npm install -g offline into a temporary prefix → iam-refine runs with the catalog inside', { timeout: 120_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'iam-pack-'));
  dirs.push(tmp);
  const env = { ...process.env, npm_config_cache: join(tmp, 'cache'), npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
  const packed = JSON.parse(execFileSync(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], { cwd: ROOT, env, encoding: 'utf8' })) as { filename: string; files: { path: string }[] }[];
  const files = packed[0].files.map((f) => f.path).sort();
  assert.deepEqual(files.filter((f) => !/^(README|LICENSE|CHANGELOG)/.test(f)), ['bin/cli-module.js', 'bin/iam-refine.js', 'dist/catalog.json', 'dist/cli-catalog.js', 'dist/cli-live.js', 'dist/cli.js', 'dist/cli.js.cache', 'dist/cli.js.cache.json', 'dist/format-terraform.js', 'dist/format-yaml.js', 'dist/server.js', 'dist/tree-sitter-terraform.wasm', 'dist/tree-sitter.wasm', 'dist/web-tree-sitter.cjs', 'package.json']);
  const tgz = join(tmp, packed[0].filename);
  const prefix = join(tmp, 'prefix');
  execFileSync(npm, ['install', '-g', tgz, '--prefix', prefix], { cwd: tmp, env, encoding: 'utf8' });
  const bin = join(prefix, process.platform === 'win32' ? 'iam-refine.cmd' : 'bin/iam-refine');
  assert.ok(existsSync(bin), `${bin} installed`);
  // the installed package has no dependencies: everything runs from its one bundle
  const lib = join(prefix, 'lib', 'node_modules', 'iam-policy-refiner');
  assert.ok(!existsSync(join(lib, 'node_modules')));
  // a directory with no checkout
  const work = join(tmp, 'work');
  execFileSync('mkdir', [work]);
  copyFileSync(join(EXAMPLE, 'policy.json'), join(work, 'policy.json'));
  copyFileSync(join(EXAMPLE, 'findings.json'), join(work, 'findings.json'));
  const run = (args: string[]) => spawnSync(bin, args, { cwd: work, env: { PATH: process.env.PATH, HOME: tmp }, encoding: 'utf8' });
  const v = run(['--version']);
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, /^iam-refine \d+\.\d+\.\d+\ncatalog: @cloud-copilot\/iam-data .*22\d{3} actions/);
  const r = run(['refine', 'policy.json', '--findings', 'findings.json']);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  const actions = doc.Statement.flatMap((s: { Action?: string | string[] }) => [s.Action ?? []].flat());
  for (const p of EXPECTED_S3) assert.ok(actions.includes(p), p);
  for (const a of LAMBDA_UNUSED) assert.ok(!actions.includes(a), a);
  // Terraform (a WASM parser) and YAML work from the installed package too
  execFileSync('cp', [join(ROOT, 'test', 'fixtures', 'terraform', 'main.tf'), join(ROOT, 'test', 'fixtures', 'yaml', 'sam-template.yaml'), work]);
  const c = run(['check', 'main.tf', 'sam-template.yaml', '--findings', 'findings.json', '--format', 'json']);
  assert.equal(c.status, 1, c.stderr);
  const found = JSON.parse(c.stdout) as { file: string; message: string }[];
  for (const f of ['main.tf', 'sam-template.yaml']) assert.ok(found.some((p) => p.file === f && /s3:Get\* allows 22 unused actions/.test(p.message)), `${f}: ${c.stdout}`);
  // the language server of the package answers initialize
  const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } });
  const answer = await new Promise<string>((resolve) => {
    const l = spawn(bin, ['lsp', '--stdio'], { cwd: work, env: { PATH: process.env.PATH, HOME: tmp } });
    let out = '';
    const timer = setTimeout(() => l.kill(), 10_000);
    l.stdout.on('data', (d) => {
      out += d;
      if (out.includes('serverInfo')) l.kill();
    });
    l.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    l.stdin.write(`Content-Length: ${Buffer.byteLength(init)}\r\n\r\n${init}`);
  });
  assert.match(answer, /"serverInfo":\{"name":"iam-refiner"/);
  const h = run(['refine', '--help']);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /^Usage: iam-refine refine/);
  // npx with the same tarball (its own empty cache, offline)
  const x = spawnSync(npx, ['--yes', '--package', tgz, '--', 'iam-refine', 'expand', 's3:GetObjectT*'], { cwd: work, env: { ...env, npm_config_cache: join(tmp, 'npx-cache') }, encoding: 'utf8' });
  assert.equal(x.status, 0, x.stderr);
  assert.match(x.stdout, /^s3:GetObjectTagging$/m);
  assert.ok(readdirSync(tmp).includes(packed[0].filename));
});

test('every bundle that ships is ASCII: V8 keeps a source with one character beyond Latin-1 at two bytes per character', () => {
  // esbuild escapes the code's other characters, not those of the comments it keeps (scripts/bundle.mjs escapes those)
  const bundles = readdirSync(join(ROOT, 'dist')).filter((f) => /\.c?js$/.test(f));
  assert.ok(bundles.includes('server.js') && bundles.includes('cli.js') && bundles.includes('client.js'), `bundles: ${bundles.join(', ')}`);
  for (const f of bundles) {
    const bytes = readFileSync(join(ROOT, 'dist', f));
    const at = bytes.findIndex((b) => b > 0x7f);
    assert.equal(at, -1, `dist/${f} has a byte beyond ASCII at ${at}: ${bytes.subarray(Math.max(0, at - 40), at + 20).toString('utf8')}`);
  }
});
