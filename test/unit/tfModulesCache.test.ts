/**
 * The module reader's kept listings (workspace/tfModules.ts): with a file watcher, binding a JSON
 * policy again (a keystroke) reads no directory and stats no file; what `changed()` reports is read
 * again. Without one, a changed file is seen on the next binding.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ensureFormat, parsePolicyDocument } from '../../server/src/core';
import { TerraformModules } from '../../server/src/workspace/tfModules';
import { writeFiles } from '../support/files';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const POLICY = '{\n  "Version": "2012-10-17",\n  "Statement": [{ "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*" }]\n}\n';
const tf = (role: string) => `resource "aws_iam_role" "app" {\n  name = "${role}"\n}\n\nresource "aws_iam_role_policy" "p" {\n  role   = aws_iam_role.app.name\n  policy = file("../policies/p.json")\n}\n`;

// the module object itself (the walker calls its readdirSync through it), not a namespace copy of it
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fs = require('node:fs') as typeof import('node:fs');

/** Calls `seen` with the path of every directory read (fs.promises.readdir, and readdirSync: the walker reads folders with it) while `fn` runs. */
async function watchingReaddir<T>(seen: (dir: string) => void, fn: () => Promise<T>): Promise<T> {
  const readdir = fsp.readdir;
  const readdirSync = fs.readdirSync;
  (fsp as { readdir: unknown }).readdir = (...a: unknown[]) => (seen(String(a[0])), (readdir as (...x: unknown[]) => unknown).apply(fsp, a));
  (fs as { readdirSync: unknown }).readdirSync = (...a: unknown[]) => (seen(String(a[0])), (readdirSync as (...x: unknown[]) => unknown).apply(fs, a));
  try {
    return await fn();
  } finally {
    fsp.readdir = readdir;
    (fs as { readdirSync: unknown }).readdirSync = readdirSync;
  }
}

/** Counts the directory reads and stats made while `fn` runs. */
async function counting<T>(fn: () => Promise<T>): Promise<{ value: T; readdir: number; stat: number }> {
  const stat = fsp.stat;
  let r = 0;
  let s = 0;
  (fsp as { stat: unknown }).stat = (...a: unknown[]) => (s++, (stat as (...x: unknown[]) => unknown).apply(fsp, a));
  try {
    const value = await watchingReaddir(() => r++, fn);
    return { value, readdir: r, stat: s };
  } finally {
    fsp.stat = stat;
  }
}

function setup(watched: boolean) {
  const dir = writeFiles(mkdtempSync(path.join(tmpdir(), 'iam-tfcache-')), { 'infra/main.tf': tf('Deployer'), 'policies/p.json': POLICY, 'other/x.tf': 'locals {\n  a = 1\n}\n' });
  dirs.push(dir);
  const logs: string[] = [];
  const modules = new TerraformModules({ open: () => undefined, openPaths: () => [] }, false, (m) => logs.push(m), () => watched);
  const json = path.join(dir, 'policies/p.json');
  const bind = async () => {
    await ensureFormat(json);
    return (await modules.bindingOf(json, parsePolicyDocument(POLICY, json), dir))?.code;
  };
  return { dir, modules, bind, logs };
}

test('watched: a second binding of a JSON policy reads no directory and stats no file; changed() makes it read the file again', async () => {
  const { dir, modules, bind, logs } = setup(true);
  const first = await counting(bind);
  assert.deepEqual(first.value?.roles, [['Deployer']]);
  assert.deepEqual(first.value?.from, ['infra/main.tf']);
  assert.ok(first.readdir > 0);
  const again = await counting(bind);
  assert.deepEqual(again.value?.roles, [['Deployer']]);
  assert.deepEqual([again.readdir, again.stat], [0, 0]);
  // changed on disk but not reported: still the kept facts
  writeFileSync(path.join(dir, 'infra/main.tf'), tf('Reader'));
  assert.deepEqual((await bind())?.roles, [['Deployer']]);
  modules.changed(path.join(dir, 'infra/main.tf'), 'changed');
  assert.deepEqual((await bind())?.roles, [['Reader']]);
  // a new file in another sibling directory, reported created, is found without walking the folder again
  writeFileSync(path.join(dir, 'other/y.tf'), tf('Other').replace('"p"', '"q"').replace('"app"', '"o"').replace('aws_iam_role.app', 'aws_iam_role.o'));
  modules.changed(path.join(dir, 'other/y.tf'), 'created');
  const created = await counting(bind);
  assert.deepEqual(created.value?.roles, [['Reader', 'Other']]);
  assert.deepEqual(created.value?.from, ['infra/main.tf', 'other/y.tf']);
  assert.equal(created.readdir, 1, 'only other/ is listed again (its roles), never the folder');
  // deleted with its directory
  rmSync(path.join(dir, 'infra'), { recursive: true });
  modules.changed(path.join(dir, 'infra'), 'deleted');
  assert.deepEqual((await bind())?.from, ['other/y.tf']);
  assert.deepEqual(logs, []);
});

test('not watched: a file changed on disk is read again at the next binding', async () => {
  const { dir, bind } = setup(false);
  assert.deepEqual((await bind())?.roles, [['Deployer']]);
  writeFileSync(path.join(dir, 'infra/main.tf'), tf('Reader') + '\n');
  assert.deepEqual((await bind())?.roles, [['Reader']]);
});

test('bindings at the same time wait for one walk of the folder', async () => {
  const { dir, bind } = setup(true);
  let rootReads = 0;
  const all = await watchingReaddir(
    (d) => void (path.resolve(d) === path.resolve(dir) && rootReads++),
    () => Promise.all([bind(), bind(), bind()]),
  );
  assert.deepEqual(all.map((c) => c?.roles), [[['Deployer']], [['Deployer']], [['Deployer']]]);
  assert.equal(rootReads, 1);
});
