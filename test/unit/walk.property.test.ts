/**
 * The directory walker (server/src/workspace/walk.ts: synchronous reads a slice at a time, an
 * explicit stack) against a plain recursive walker written here, on generated trees: the same files,
 * with the skip list, depth limits, entry budgets (counted in name order, depth first) and the walk
 * yielding after every folder (sliceMs 0) or never.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { SKIPPED_DIRS, findFiles, walkFiles } from '../../server/src/workspace/walk';
import { Coverage, params } from '../support/property';

type Tree = { [name: string]: Tree | 'file' | 'link' };

const NAMES = ['a', 'b', 'B', 'c.tf', 'main.tf', 'x.json', 'findings.json', 'node_modules', '.git', '.terraform', 'z z', 'é'];

const treeArb: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.dictionary(fc.constantFrom(...NAMES), fc.oneof({ weight: 3, arbitrary: fc.constant<'file'>('file') }, { weight: 1, arbitrary: fc.constant<'link'>('link') }, { weight: 2, arbitrary: tie('tree') }), { maxKeys: 5, depthIdentifier: 'tree' }) as fc.Arbitrary<Tree>,
})).tree;

function write(dir: string, t: Tree): void {
  for (const [name, v] of Object.entries(t)) {
    const p = path.join(dir, name);
    if (v === 'file') writeFileSync(p, '');
    else if (v === 'link') symlinkSync(dir, p); // a link to its own folder: never followed
    else {
      mkdirSync(p);
      write(p, v);
    }
  }
}

/** The reference: recursion, the same rules (skipped folders, depth, a budget of entries counted in name order). */
function reference(root: string, accept: (rel: string) => boolean, maxDepth: number, maxEntries: number): string[] {
  const found: string[] = [];
  let left = maxEntries;
  const visit = (rel: string, depth: number): void => {
    if (left <= 0) return;
    let entries;
    try {
      entries = readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const dirs: string[] = [];
    for (const e of entries) {
      if (--left <= 0) return;
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.includes(e.name)) dirs.push(child);
      } else if (e.isFile() && accept(child)) found.push(child);
    }
    if (depth > 0) for (const d of dirs) visit(d, depth - 1);
  };
  visit('', maxDepth);
  return found.sort();
}

test('property: the walker finds what a plain recursive walk finds (skips, depth, budget, yielding)', async () => {
  const cov = new Coverage();
  const base = mkdtempSync(path.join(tmpdir(), 'iam-walk-prop-'));
  let n = 0;
  try {
    await fc.assert(
      fc.asyncProperty(treeArb, fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }), fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }), fc.boolean(), async (tree, maxDepth, maxEntries, yieldEach) => {
        const root = path.join(base, String(n++));
        mkdirSync(root);
        write(root, tree);
        const accept = (rel: string) => /\.(tf|json)$/.test(rel);
        const got = await walkFiles(root, accept, { maxDepth, maxEntries, sliceMs: yieldEach ? 0 : undefined });
        const want = reference(root, accept, maxDepth ?? Infinity, maxEntries ?? 200_000);
        assert.deepEqual(got, want);
        // asked by each file's name (what the Terraform and policy-file listings ask): the same files
        const names: string[] = [];
        const byName = await walkFiles(root, (name) => (names.push(name), /\.(tf|json)$/.test(name)), { maxDepth, maxEntries, byName: true, sliceMs: yieldEach ? 0 : undefined });
        assert.deepEqual(byName, want);
        assert.ok(names.every((x) => !x.includes('/')), 'a name, not a path');
        // findFiles from the root's own folder, every depth: the same as walkFiles with the glob's test
        if (maxDepth === undefined && maxEntries === undefined) assert.deepEqual(await findFiles(root, ['**/*.tf']), want.filter((f) => f.endsWith('.tf')));
        cov.count(want.length ? 'files found' : 'nothing found');
        if (want.some((f) => f.includes('/'))) cov.count('files in subfolders');
        if (maxEntries !== undefined && want.length < reference(root, accept, maxDepth ?? Infinity, 200_000).length) cov.count('budget cut the walk');
        if (maxDepth !== undefined && want.length < reference(root, accept, Infinity, maxEntries ?? 200_000).length) cov.count('depth cut the walk');
        if (yieldEach) cov.count('yielded after every folder');
        rmSync(root, { recursive: true, force: true });
      }),
      params(300),
    );
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  cov.report(['files found', 'files in subfolders', 'budget cut the walk', 'depth cut the walk', 'yielded after every folder']);
});

test('the walk lets other work run: a timer set before a walk of many folders fires before it ends', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'iam-walk-yield-'));
  try {
    for (let i = 0; i < 300; i++) mkdirSync(path.join(root, `d${i}`, 'e'), { recursive: true });
    writeFileSync(path.join(root, 'd299', 'e', 'main.tf'), '');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const files = await walkFiles(root, (r) => r.endsWith('.tf'), { sliceMs: 0 });
    clearInterval(timer);
    assert.deepEqual(files, ['d299/e/main.tf']);
    assert.ok(ticks > 0, 'the walk never yielded');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
