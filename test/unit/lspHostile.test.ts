/**
 * The language server with hostile documents (issue 11): a pattern that used to backtrack for
 * minutes, 10,000 levels of nesting in a policy and in a findings file, a duplicate key. Each gets
 * its diagnostics at once, and the server keeps answering (hover, completion, code actions).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LspClient, msg } from '../support/lspClient';
import { writeFiles } from '../support/files';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function workspace(files: Record<string, string | object>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'iam-lsp-hostile-'));
  dirs.push(dir);
  return writeFiles(dir, files);
}
const FINDINGS = [{ serviceNamespace: 's3', actions: ['GetObject'] }];
const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

test('hostile patterns, deep nesting and duplicate keys: diagnostics at once, the server keeps answering', async () => {
  const good = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: '*' }] };
  const dir = workspace({ 'policy.json': good, 'findings.json': FINDINGS, 'other-findings.json': `{"findings": ${deep(10_000)}}` });
  const { client: c } = await LspClient.start({ folders: [dir], initializationOptions: { debounceMs: 0 } });
  try {
    const uri = c.open(path.join(dir, 'policy.json'));
    // the deep findings file is an error on that file, at its place; the other findings still apply
    const fd = await c.waitForDiagnostics(uri, (d) => d.some((x) => x.code === 'unused-action'));
    assert.ok(fd.length >= 1);
    const t0 = Date.now();
    for (const hostile of ['***a***b', '****a****b', '*'.repeat(200) + 'a' + '*'.repeat(200) + 'b']) {
      const text = JSON.stringify({ Statement: [{ Effect: 'Allow', Action: [hostile, 's3:GetObject'], Resource: '*' }] }, null, 2);
      c.change(uri, text);
      await c.waitForDiagnostics(uri, (d) => d.some((x) => x.code === "unused-wildcard" || x.code === "unused-action"), 5000).catch((e) => { throw new Error(`${hostile}: ${e.message}`); });
      const h = await c.hover(uri, text.indexOf(hostile) + 2);
      assert.ok(h, 'hover answered');
    }
    assert.ok(Date.now() - t0 < 8000, `hostile patterns took ${Date.now() - t0} ms`);
    const deepText = `{"Statement": ${deep(10_000)}}`;
    c.change(uri, deepText);
    const dd = await c.waitForDiagnostics(uri, (d) => d.some((x) => /nested deeper than 512 levels/.test(msg(x))), 5000).catch((e) => { throw new Error(`deep: ${e.message}`); });
    const nested = dd.find((x) => /nested deeper/.test(msg(x)))!;
    assert.deepEqual(nested.range.start, { line: 0, character: 525 });
    // requests on the deep document return (a result or an error), and the server lives on
    await Promise.allSettled([c.hover(uri, 600), c.completion(uri, 600), c.codeActions(uri, [], ['source.fixAll'])]);
    const dup = '{"Statement": [{"Effect": "Deny", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}';
    c.change(uri, dup);
    const du = await c.waitForDiagnostics(uri, (d) => d.some((x) => /duplicate key "Effect"/.test(msg(x))), 5000).catch((e) => { throw new Error(`dup: ${e.message}`); });
    assert.equal(du.find((x) => /duplicate key/.test(msg(x)))!.range.start.character, 34);
    assert.deepEqual(await c.codeActions(uri, [], ['source.fixAll']), []);
    c.change(uri, JSON.stringify(good, null, 2));
    const back = await c.waitForDiagnostics(uri, (d) => d.some((x) => x.code === 'unused-action'), 5000).catch((e) => { throw new Error(`back: ${e.message}`); });
    assert.ok(back.every((x) => !/nested|duplicate/.test(msg(x))));
    assert.ok((await c.hover(uri, JSON.stringify(good, null, 2).indexOf('s3:PutObject') + 2)) !== null);
  } finally {
    await c.stop();
  }
});

test("each version's diagnostics are published once (found by the language server fuzz), also when the findings load after the document opened", async () => {
  const good = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: '*' }] };
  const dir = workspace({ 'policy.json': good, 'findings.json': FINDINGS });
  const { client: c } = await LspClient.start({ folders: [dir], initializationOptions: { debounceMs: 0 } });
  try {
    // opened at once: its validation waits for the project, whose first load then validates every open document again
    const uri = c.open(path.join(dir, 'policy.json'));
    await c.waitForDiagnostics(uri, (d) => d.some((x) => x.code === 'unused-action')).catch((e) => { throw new Error(`${JSON.stringify(c.publishedVersions.get(uri))} ${JSON.stringify(c.diagnostics.get(uri))}: ${e.message}`); });
    await c.request('iamRefiner/serverStats');
    await new Promise((r) => setTimeout(r, 300));
    c.change(uri, JSON.stringify({ ...good, Id: 'x' }, null, 2));
    await c.waitForDiagnostics(uri, (d) => d.some((x) => x.code === 'unused-action')).catch((e) => { throw new Error(`${JSON.stringify(c.publishedVersions.get(uri))} ${JSON.stringify(c.diagnostics.get(uri))}: ${e.message}`); });
    c.change(uri, '{"Statement": [');
    await c.waitForDiagnostics(uri);
    await new Promise((r) => setTimeout(r, 300));
    await c.request('iamRefiner/serverStats');
    assert.deepEqual(c.publishedVersions.get(uri), [1, 2, 3]);
  } finally {
    await c.stop();
  }
});

test('a findings file open in the editor: its diagnostics always carry its version, never the same twice (seen while checking the fuzz rule on project files)', async () => {
  const dir = workspace({ 'policy.json': { Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' }] }, 'findings.json': FINDINGS });
  const { client: c } = await LspClient.start({ folders: [dir], initializationOptions: { debounceMs: 0 } });
  try {
    const p = c.open(path.join(dir, 'policy.json'));
    await c.waitForDiagnostics(p, (d) => d.length > 0);
    const f = c.open(path.join(dir, 'findings.json'));
    await c.waitForDiagnostics(f);
    c.change(f, '[{"serviceNamespace": "s3", "actions": ["GetObject"]');
    await c.waitForDiagnostics(f, (d) => d.length > 0);
    c.change(f, '[{"serviceNamespace": "s3", "actions": ["GetObject", "PutObject"]}]');
    await c.waitForDiagnostics(p, (d) => d.length === 0 || d.every((x) => x.code !== 'invalid-findings'));
    await c.waitForDiagnostics(f, (d) => d.length === 0);
    await new Promise((r) => setTimeout(r, 300));
    await c.request('iamRefiner/serverStats');
    // was [1, 2, undefined, 2, 3, undefined, 3]: the project's reload published the open file without a version, then its validation the same again
    const versions = c.publishedVersions.get(f)!;
    assert.ok(versions.every((v) => v !== undefined), JSON.stringify(versions));
    for (let i = 1; i < versions.length; i++) assert.ok(versions[i]! >= versions[i - 1]!, JSON.stringify(versions));
    // and each version once (was up to twice: the old diagnostics, then the reloaded ones)
    for (const v of new Set(versions)) assert.equal(versions.filter((x) => x === v).length, 1, JSON.stringify(versions));
  } finally {
    await c.stop();
  }
});
