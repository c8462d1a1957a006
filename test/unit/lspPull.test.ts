/**
 * Pulled diagnostics (InitializationOptions.pullDiagnostics, as the VS Code extension asks): the
 * server answers textDocument/diagnostic with what it would have published, `unchanged` when the
 * client holds it already, asks for a pull again (workspace/diagnostic/refresh) when findings change,
 * and offers the same quick fixes on diagnostics the client held through `unchanged` answers as on
 * fresh ones. The property: a server that publishes and one that is pulled, fed the same random
 * edits (and findings changes), agree on every version's diagnostics and fixes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { CodeAction, Diagnostic } from 'vscode-languageserver-protocol';
import { CLIENT_CAPABILITIES, LspClient, byCode, pullCapabilities, uriOf } from '../support/lspClient';
import { exampleFindings, examplePolicy } from '../support/example';
import { tempWorkspaces } from '../support/files';
import { Coverage, params } from '../support/property';
import type { ServerStats } from '../../shared/protocol';

const workspace = tempWorkspaces('iam-lsp-pull-');

async function withClient<T>(dir: string, opts: { pull: boolean; debounceMs?: number }, fn: (c: LspClient) => Promise<T>): Promise<T> {
  const { client } = await LspClient.start({ folders: [dir], pull: opts.pull, initializationOptions: { debounceMs: opts.debounceMs ?? 0 } });
  try {
    return await fn(client);
  } finally {
    await client.stop();
  }
}

/** A diagnostic as a client compares it: everything but the document version in its data. */
const withoutVersion = (d: Diagnostic) => JSON.stringify({ ...d, data: Array.isArray(d.data) ? d.data.slice(1) : d.data && typeof d.data === 'object' ? { ...d.data, version: undefined } : d.data });
const dataVersion = (d: Diagnostic) => (Array.isArray(d.data) ? d.data[0] : (d.data as { version?: number } | undefined)?.version);
/** A code action as the editor applies it: its title, kind, and edit (the version it is pinned to included). */
const fixes = (as: CodeAction[]) => as.map((a) => JSON.stringify({ title: a.title, kind: a.kind, disabled: a.disabled, edit: a.edit, command: a.command }));

test('the server is pulled only by a client that asks to and can be told to pull again', async () => {
  const dir = workspace({ 'policy.json': examplePolicy(), 'findings.json': exampleFindings() });
  const start = async (capabilities: typeof CLIENT_CAPABILITIES, init: object) => {
    const { client, init: r } = await LspClient.start({ folders: [dir], capabilities, initializationOptions: init });
    await client.stop();
    return r.capabilities.diagnosticProvider;
  };
  assert.deepEqual(await start(pullCapabilities(), { pullDiagnostics: true }), { identifier: 'iam-refiner', interFileDependencies: false, workspaceDiagnostics: false });
  // not asked to (vscode-languageclient declares the capability whether or not it pulls on change), or no refresh support
  assert.equal(await start(pullCapabilities(), {}), undefined);
  assert.equal(await start(CLIENT_CAPABILITIES, { pullDiagnostics: true }), undefined);
  const noRefresh = pullCapabilities();
  noRefresh.workspace = { ...noRefresh.workspace, diagnostics: { refreshSupport: false } };
  assert.equal(await start(noRefresh, { pullDiagnostics: true }), undefined);
});

test('the example pulled: full, unchanged while nothing moves, quick fixes on the held diagnostics, full again when they move', async () => {
  const dir = workspace({ 'policy.json': examplePolicy(), 'findings.json': exampleFindings() });
  await withClient(dir, { pull: true }, async (c) => {
    const uri = c.open(path.join(dir, 'policy.json'));
    const first = await c.waitForDiagnostics(uri, (d) => d.length === 9);
    assert.equal(c.lastReport.get(uri), 'full');
    assert.ok(first.every((d) => dataVersion(d) === 1));
    const fresh = fixes(await c.codeActions(uri, [byCode(first, 'unused-wildcard')[0]]));
    assert.ok(fresh.some((f) => f.includes('Refine s3:Get*')), fresh.join('\n'));

    // a space before "Statement": every diagnostic where it was
    const doc = c.docs.get(uri)!;
    const at = doc.getText().indexOf('"Statement"');
    const v2 = c.edit(uri, [{ range: { start: doc.positionAt(at), end: doc.positionAt(at) }, newText: ' ' }]);
    const held = await c.waitForVersion(uri, v2);
    assert.equal(c.lastReport.get(uri), 'unchanged');
    assert.deepEqual(held, first);
    // the fix of the held diagnostic (its data says version 1) is version 2's, pinned to version 2
    const onHeld = fixes(await c.codeActions(uri, [byCode(held, 'unused-wildcard')[0]]));
    assert.equal(onHeld.length, fresh.length);
    assert.deepEqual(onHeld, fresh.map((f) => f.replaceAll('"version":1', `"version":${v2}`)));
    assert.ok(onHeld.every((f) => !f.includes('"version":1')));

    // the same findings written again: a new snapshot, so version 2 is validated anew (nothing of version 1 reused) and finds
    // the same diagnostics (no refresh); the client still holds version 1's, which are version 2's all the same
    const validated = (await c.request<ServerStats>('iamRefiner/serverStats')).validations;
    c.writeFile(path.join(dir, 'findings.json'), exampleFindings());
    const until = Date.now() + 10_000;
    while ((await c.request<ServerStats>('iamRefiner/serverStats')).validations === validated) {
      assert.ok(Date.now() < until, 'the document was not validated again after its findings were written');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(fixes(await c.codeActions(uri, [byCode(held, 'unused-wildcard')[0]])), onHeld);

    // a line break at the top: every diagnostic one line down, sent in full
    const v3 = c.edit(uri, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: '\n' }]);
    const moved = await c.waitForVersion(uri, v3);
    assert.equal(c.lastReport.get(uri), 'full');
    assert.deepEqual(moved.map((d) => d.range.start.line), first.map((d) => d.range.start.line + 1));
    assert.ok(moved.every((d) => dataVersion(d) === v3));
    // the diagnostics of before the move are not this version's: no fix on them
    assert.deepEqual(await c.codeActions(uri, [byCode(first, 'unused-wildcard')[0]], ['quickfix']), []);
    assert.deepEqual(c.pullErrors, []);
    // pulled, never published: a publish would be a second collection of the same diagnostics in VS Code
    assert.equal(c.pushed.get(uri), undefined);
    assert.deepEqual(c.errorLogs, []);
  });
});

test('pulled: new findings ask the client to pull again; a broken findings file is still published, alone', async () => {
  const dir = workspace({ 'policy.json': examplePolicy(), 'findings.json': exampleFindings() });
  await withClient(dir, { pull: true }, async (c) => {
    const uri = c.open(path.join(dir, 'policy.json'));
    await c.waitForDiagnostics(uri, (d) => d.length === 9);
    const findings = path.join(dir, 'findings.json');
    c.writeFile(findings, '[]\n');
    // the refresh makes the client pull again: nothing unused is left
    assert.deepEqual(await c.nextDiagnostics(uri, (d) => d.length === 0), []);
    assert.ok(c.pullCounts.refreshes >= 1);
    const refreshes = c.pullCounts.refreshes;
    c.writeFile(findings, '[{"broken": \n');
    const pushed = await new Promise<Diagnostic[]>((resolve, reject) => {
      const t = setInterval(() => {
        const p = c.pushed.get(c.pushed.has(findings) ? findings : [...c.pushed.keys()].find((k) => k.endsWith('/findings.json')) ?? '');
        if (p?.diagnostics.length) {
          clearInterval(t);
          resolve(p.diagnostics);
        }
      }, 20);
      setTimeout(() => (clearInterval(t), reject(new Error('no diagnostics published for the broken findings file'))), 10_000);
    });
    assert.deepEqual(byCode(pushed, 'invalid-findings').length, 1);
    // the policy's own stay pulled (the findings are ignored: no unused action, still none)
    assert.equal(c.pushed.get(uri), undefined);
    c.writeFile(findings, exampleFindings());
    assert.equal((await c.nextDiagnostics(uri, (d) => d.length === 9)).length, 9);
    assert.ok(c.pullCounts.refreshes > refreshes);
    assert.deepEqual(c.pullErrors, []);
    assert.deepEqual(c.errorLogs, []);
  });
});

test('pulled while typing with the editor debounce: cancelled pulls are pulled again, the last version answered', async () => {
  const dir = workspace({ 'policy.json': examplePolicy(), 'findings.json': exampleFindings() });
  await withClient(dir, { pull: true, debounceMs: 150 }, async (c) => {
    const uri = c.open(path.join(dir, 'policy.json'));
    await c.waitForDiagnostics(uri, (d) => d.length === 9);
    let v = 0;
    for (let i = 0; i < 8; i++) {
      const doc = c.docs.get(uri)!;
      v = c.edit(uri, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: i % 2 ? ' ' : '\n' }]);
      void doc;
      await new Promise((r) => setTimeout(r, 20));
    }
    const last = await c.waitForVersion(uri, v, 10_000);
    assert.equal(last.length, 9);
    assert.ok(c.pullCounts.cancelled >= 1, JSON.stringify(c.pullCounts));
    assert.deepEqual(c.pullErrors, []);
  });
});

// ---------------------------------------------------------------------------------------------
// the property: pulled = published, version by version

type Op = { kind: 'space' | 'newline' | 'delete' | 'action' | 'char'; at: number; len: number; pick: number } | { kind: 'findings'; pick: number };

const ACTIONS = ['"s3:GetObject", ', '"lambda:*", ', '"s3:Put*", ', '"ec2:DescribeInstances", ', '"iam:PassRole", ', '"s3:GetBucketAcl", '];
const CHARS = ['"', ',', '}', ']', '*', 'x', ':', '\t'];

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constantFrom('space', 'newline', 'delete', 'action', 'char') as fc.Arbitrary<'space' | 'newline' | 'delete' | 'action' | 'char'>, at: fc.nat(), len: fc.integer({ min: 1, max: 12 }), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('findings' as const), pick: fc.nat() }) },
);

test('property: a pulled server and a publishing one agree on every version (diagnostics, fixes)', async () => {
  const cov = new Coverage();
  const policy = examplePolicy();
  const findings = exampleFindings();
  const parsed = JSON.parse(findings) as { serviceNamespace: string; actions: string[] }[];
  // other findings: the example's with some of its unused actions left out (by the bits of `pick`)
  const all = parsed.reduce((n, f) => n + f.actions.length, 0);
  /** The findings text and how many unused actions it names (all distinct: the folder's `unusedActions` in the status). */
  const findingsVariant = (pick: number, not: number): { text: string; count: number } => {
    let bit = 0;
    let out = parsed.map((f) => ({ ...f, actions: f.actions.filter(() => ((pick >>> (bit++ % 31)) & 1) === 0) }));
    let count = out.reduce((n, f) => n + f.actions.length, 0);
    // another count than the findings before: the status that says it is the reload's
    if (count === not) {
      out = parsed.map((f, i) => (i === 0 ? { ...f, actions: f.actions.slice(count === all ? 1 : 0) } : f));
      count = out.reduce((n, f) => n + f.actions.length, 0);
      if (count === not) {
        out = out.map((f, i) => (i === 0 ? { ...f, actions: f.actions.slice(1) } : f));
        count--;
      }
    }
    // (a service listed with no actions would say the whole service is unused)
    return { text: JSON.stringify(out.filter((f) => f.actions.length), null, 2) + '\n', count };
  };
  const dirs = [workspace({ 'policy.json': policy, 'findings.json': findings }), workspace({ 'policy.json': policy, 'findings.json': findings })];
  // the two workspaces' paths, the same in what each server says (related information, edits)
  const folderUris = dirs.map((d) => uriOf(d));
  const same = (i: number, xs: string[]) => xs.map((x) => x.replaceAll(folderUris[i], '<folder>'));
  const { client: push } = await LspClient.start({ folders: [dirs[0]], initializationOptions: { debounceMs: 0 } });
  const { client: pull } = await LspClient.start({ folders: [dirs[1]], pull: true, initializationOptions: { debounceMs: 0 } });
  let run = 0;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 8 }), fc.nat(), async (ops, fixPick) => {
        run++;
        const file = `p${run}.json`;
        const uris = dirs.map((d, i) => [push, pull][i].open(path.join(d, file), policy));
        const [a1, b1] = await Promise.all([push.waitForVersion(uris[0], 1), pull.waitForVersion(uris[1], 1)]);
        assert.deepEqual(same(1, b1.map(withoutVersion)), same(0, a1.map(withoutVersion)), `the first version of ${file}: published ${a1.length}, pulled ${b1.length} (${pull.lastReport.get(uris[1])}, ${JSON.stringify(pull.pullCounts)})`);
        let text = policy;
        let changedFindings = false;
        let current = all;
        /** New findings in both workspaces: both servers take them (the pulled one asks for a pull again), the open document's diagnostics with them. */
        const setFindings = async (f: { text: string; count: number }) => {
          for (const [i, d] of dirs.entries()) [push, pull][i].writeFile(path.join(d, 'findings.json'), f.text);
          // both servers reloaded (their status counts the new findings' actions: another count than before), then their
          // validations and the refresh: the two agree again
          await Promise.all([push, pull].map((c) => c.waitForStatus((st) => st.folders[0]?.unusedActions === f.count, 10_000)));
          current = f.count;
          const until = Date.now() + 10_000;
          for (;;) {
            const a = push.diagnostics.get(uris[0])?.diagnostics ?? [];
            const b = pull.diagnostics.get(uris[1])?.diagnostics ?? [];
            if (same(0, a.map(withoutVersion)).join() === same(1, b.map(withoutVersion)).join()) break;
            if (Date.now() > until) assert.fail(`after new findings, published ${a.length} diagnostics, pulled ${b.length}`);
            await new Promise((r) => setTimeout(r, 50));
          }
        };
        for (const op of ops) {
          if (op.kind === 'findings') {
            await setFindings(findingsVariant(op.pick, current));
            changedFindings = true;
            cov.count('findings changed');
            continue;
          }
          const at = op.at % (text.length + 1);
          const doc = push.docs.get(uris[0])!;
          const end = op.kind === 'delete' ? Math.min(text.length, at + op.len) : at;
          const newText = op.kind === 'space' ? ' ' : op.kind === 'newline' ? '\n' : op.kind === 'delete' ? '' : op.kind === 'action' ? ACTIONS[op.pick % ACTIONS.length] : CHARS[op.pick % CHARS.length];
          const edit = [{ range: { start: doc.positionAt(at), end: doc.positionAt(end) }, newText }];
          const v = push.edit(uris[0], edit);
          assert.equal(pull.edit(uris[1], edit), v);
          text = push.text(uris[0]);
          const [a, b] = await Promise.all([push.waitForVersion(uris[0], v), pull.waitForVersion(uris[1], v)]);
          assert.deepEqual(same(1, b.map(withoutVersion)), same(0, a.map(withoutVersion)), `version ${v} after ${op.kind} (pull answered ${pull.lastReport.get(uris[1])}, ${JSON.stringify(pull.pullCounts)}; published versions ${JSON.stringify(push.publishedVersions.get(uris[0]))}; logs ${pull.logs.slice(-12).join(" / ")})`);
          const kind = pull.lastReport.get(uris[1])!;
          cov.count(`pull ${kind}`);
          // each diagnostic says the version it was computed on: this one, or one before where it is the same problem at the same
          // place (an unchanged answer keeps them all; a full one keeps those that did not move)
          for (const d of b) {
            const dv = dataVersion(d);
            if (dv === undefined) continue;
            assert.ok(dv <= v, `data version ${dv} in a ${kind} answer for version ${v}`);
            if (kind === 'full' && dv < v) cov.count('kept diagnostics in a full answer');
          }
          // the same fixes, on one diagnostic of each
          if (a.length) {
            const i = fixPick % a.length;
            const [fa, fb] = await Promise.all([push.codeActions(uris[0], [a[i]]), pull.codeActions(uris[1], [b[i]])]);
            assert.deepEqual(same(1, fixes(fb)), same(0, fixes(fa)), `fixes of ${a[i].code} at version ${v}`);
            if (fa.length) cov.count(kind === 'unchanged' ? 'fixes on held diagnostics' : (dataVersion(b[i]) ?? v) < v ? 'fixes on kept diagnostics' : 'fixes on fresh diagnostics');
          }
        }
        if (changedFindings) await setFindings({ text: findings, count: all });
        push.close(uris[0]);
        pull.close(uris[1]);
        assert.deepEqual(pull.pullErrors, []);
        assert.deepEqual(push.errorLogs, []);
        assert.deepEqual(pull.errorLogs, []);
      }),
      params(40, { stopAtFirst: true }),
    );
  } finally {
    await Promise.all([push.stop(), pull.stop()]);
  }
  cov.report(['pull unchanged', 'pull full', 'kept diagnostics in a full answer', 'fixes on held diagnostics', 'fixes on kept diagnostics', 'fixes on fresh diagnostics', 'findings changed']);
});
