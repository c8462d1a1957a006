/**
 * The language server driven over stdio as an editor drives it: initialize → didOpen →
 * publishDiagnostics → codeAction → applyEdit → diagnostics clear, on the shared example and edge cases.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { CodeAction, Diagnostic, DiagnosticSeverity, DiagnosticTag, MarkupContent, TextEdit } from 'vscode-languageserver-protocol';
import { LspClient, byCode, msg, uriOf } from '../support/lspClient';
import { EXAMPLE, EXPECTED_S3, exampleFindings, examplePolicy } from '../support/example';
import { tempWorkspaces } from '../support/files';
import { defaultCatalog } from '../../server/src/workspace/catalogFile';
import type { RefinementResult, ServerStats } from '../../shared/protocol';
import { decodeDiagnosticData } from '../../shared/protocol';

const workspace = tempWorkspaces('iam-lsp-');

async function withServer<T>(folders: string[], fn: (c: LspClient) => Promise<T>, opts: { settings?: Record<string, unknown>; initializationOptions?: object } = {}): Promise<T> {
  const { client } = await LspClient.start({ folders, settings: opts.settings, initializationOptions: { debounceMs: 20, ...opts.initializationOptions } });
  try {
    return await fn(client);
  } finally {
    await client.stop();
  }
}

const ROLE_A = 'arn:aws:iam::123456789012:role/Deployer';
const ROLE_B = 'arn:aws:iam::123456789012:role/Reader';

function finding(role: string | undefined, details: { serviceNamespace: string; actions?: string[] }[], extra: object = {}) {
  return {
    ...(role ? { resource: role } : {}),
    findingType: 'UnusedPermission',
    status: 'ACTIVE',
    analyzedAt: '2024-06-01T00:00:00Z',
    findingDetails: details.map((d) => ({ unusedPermissionDetails: { serviceNamespace: d.serviceNamespace, actions: d.actions?.map((a) => ({ action: a })) } })),
    ...extra,
  };
}

const unusedCodes = (ds: Diagnostic[]) => ds.filter((d) => d.code === 'unused-action' || d.code === 'unused-wildcard');

test('initialize declares the features and commands', async () => {
  const dir = workspace({});
  const { client, init } = await LspClient.start({ folders: [dir] });
  try {
    const caps = init.capabilities;
    assert.equal(caps.hoverProvider, true);
    assert.deepEqual(caps.completionProvider?.triggerCharacters, ['"', "'", ':']);
    assert.deepEqual((caps.codeActionProvider as { codeActionKinds: string[] }).codeActionKinds, ['quickfix', 'source.fixAll.iamRefiner']);
    assert.deepEqual(caps.executeCommandProvider?.commands, ['iamRefiner.refineFile', 'iamRefiner.refineAll', 'iamRefiner.bindRole']);
  } finally {
    await client.stop();
  }
  // VS Code runs refineFile/refineAll itself (as a preview): the server then leaves them to it
  const { client: vs, init: vsInit } = await LspClient.start({ folders: [dir], initializationOptions: { clientCommands: true } });
  try {
    assert.deepEqual(vsInit.capabilities.executeCommandProvider?.commands, ['iamRefiner.bindRole']);
  } finally {
    await vs.stop();
  }
});

/** The example in a new workspace, its policy open with its nine diagnostics. */
async function withExample<T>(fn: (x: { c: LspClient; uri: string; dir: string; ds: Diagnostic[] }) => Promise<T>): Promise<T> {
  const dir = workspace({ 'policy.json': examplePolicy(), 'findings.json': exampleFindings() });
  return withServer([dir], async (c) => {
    const uri = c.open(path.join(dir, 'policy.json'));
    const ds = await c.waitForDiagnostics(uri, (d) => d.length === 9);
    return fn({ c, uri, dir, ds });
  });
}

test('the shared example: diagnostics, quick fix titles, fix-all, diagnostics clear', async () => {
  const dir = workspace({ 'policy.json': examplePolicy(), 'findings.json': exampleFindings() });
  await withServer([dir], async (c) => {
    const uri = c.open(path.join(dir, 'policy.json'));
    const ds = await c.waitForDiagnostics(uri, (d) => d.length > 0);
    const unusedActions = byCode(ds, 'unused-action');
    const wildcards = byCode(ds, 'unused-wildcard');
    assert.equal(unusedActions.length, 8);
    assert.equal(wildcards.length, 1);
    assert.equal(ds.length, 9, JSON.stringify(ds.map((d) => msg(d))));
    for (const d of ds) {
      assert.equal(d.source, 'iam-refiner');
      assert.ok(d.codeDescription?.href.endsWith(`#${d.code}`));
      assert.equal(decodeDiagnosticData(d.data)?.version, 1);
    }
    for (const d of unusedActions) {
      assert.deepEqual(d.tags, [DiagnosticTag.Unnecessary]);
      assert.equal(d.severity, DiagnosticSeverity.Warning);
      assert.match(msg(d), /is unused \(not used in the tracking period\)/);
    }
    const w = wildcards[0];
    assert.match(msg(w), /^s3:Get\* allows 22 unused actions/);
    assert.equal(c.text(uri).slice(c.docs.get(uri)!.offsetAt(w.range.start), c.docs.get(uri)!.offsetAt(w.range.end)), '"s3:Get*"');
    assert.equal(w.relatedInformation?.length, 22);
    assert.ok(w.relatedInformation!.every((r) => r.location.uri === uriOf(path.join(dir, 'findings.json'))));
    assert.ok(w.relatedInformation!.some((r) => r.message === 'unused: s3:GetBucketAcl'));

    const fixes = await c.codeActions(uri, [w]);
    const refine = fixes.find((f) => f.isPreferred)!;
    assert.equal(refine.title, 'Refine s3:Get* to 9 patterns');
    assert.ok(fixes.some((f) => f.title === 'Refine the whole file'));

    const first = unusedActions[0];
    const removal = await c.codeActions(uri, [first]);
    assert.equal(removal[0].title, 'Remove unused lambda:AddPermission');
    assert.ok(removal.some((f) => f.title === 'Refine this statement'));

    const [fixAll] = await c.codeActions(uri, [], ['source.fixAll']);
    assert.equal(fixAll.kind, 'source.fixAll.iamRefiner');
    assert.match(fixAll.title, /removed 8 unused actions, refined 1 wildcard into 9 patterns/);
    c.apply(fixAll);
    const doc = JSON.parse(c.text(uri));
    assert.deepEqual(doc.Statement[0].Action, ['lambda:Invoke*']);
    assert.deepEqual(doc.Statement[1].Action, [...EXPECTED_S3, 's3:List*']);
    assert.deepEqual(await c.waitForDiagnostics(uri, (d) => d.length === 0), []);
  });
});

test('a single quick fix refines exactly its wildcard and the diagnostic goes away', async () => {
  const dir = workspace({ 'policy.json': examplePolicy(), 'findings.json': exampleFindings() });
  await withServer([dir], async (c) => {
    const uri = c.open(path.join(dir, 'policy.json'));
    const ds = await c.waitForDiagnostics(uri, (d) => d.length > 0);
    const w = byCode(ds, 'unused-wildcard')[0];
    const [fix] = await c.codeActions(uri, [w]);
    c.apply(fix);
    const doc = JSON.parse(c.text(uri));
    assert.deepEqual(doc.Statement[1].Action, [...EXPECTED_S3, 's3:List*']);
    assert.equal(doc.Statement[0].Action.length, 9);
    const after = await c.waitForDiagnostics(uri, (d) => byCode(d, 'unused-wildcard').length === 0);
    assert.equal(byCode(after, 'unused-action').length, 8);
  });
});

test('iamRefiner.refineFile applies its edit with workspace/applyEdit, then diagnostics clear', async () => {
  await withExample(async ({ c, uri, dir }) => {
    const r = (await c.executeCommand('iamRefiner.refineFile', [uri])) as { applied: boolean };
    assert.equal(r.applied, true);
    assert.equal(c.appliedEdits.length, 1);
    const edit = c.appliedEdits[0].edit.documentChanges![0] as { textDocument: { version: number } };
    assert.equal(edit.textDocument.version, 1);
    assert.deepEqual(JSON.parse(c.text(uri)).Statement[1].Action, [...EXPECTED_S3, 's3:List*']);
    await c.waitForDiagnostics(uri, (d) => d.length === 0);
  });
});

test('refineAll refines policy files that are not open (on disk) and skips other JSON', async () => {
  const dir = workspace({
    'policies/app.json': examplePolicy(),
    'findings.json': exampleFindings(),
    'package.json': { name: 'x', version: '1.0.0' },
  });
  await withServer([dir], async (c) => {
    const preview = await c.request<RefinementResult>('iamRefiner/refinement', {});
    assert.equal(preview.files.length, 1);
    assert.equal(preview.files[0].version, null);
    assert.match(preview.files[0].summary!, /removed 8 unused actions/);
    const r = (await c.executeCommand('iamRefiner.refineAll', [])) as { applied: boolean };
    assert.equal(r.applied, true);
    const doc = JSON.parse(readFileSync(path.join(dir, 'policies/app.json'), 'utf8'));
    assert.deepEqual(doc.Statement[1].Action, [...EXPECTED_S3, 's3:List*']);
  });
});

test('no stale fixes: diagnostics of an older version get no code action, a refused edit is reported', async () => {
  await withExample(async ({ c, uri, dir, ds }) => {
    // the document moves on; the old diagnostics must not yield edits for the new text
    c.change(uri, c.text(uri).replace('"s3:List*"', '"s3:List*", "s3:PutObject"'));
    assert.deepEqual(await c.codeActions(uri, ds), []);
    const fresh = await c.waitForDiagnostics(uri, (d) => d.length === 9);
    assert.equal(decodeDiagnosticData(fresh[0].data)?.version, 2);
    assert.ok((await c.codeActions(uri, fresh)).length > 0);
    c.applyEditAnswer = false;
    const r = (await c.executeCommand('iamRefiner.refineFile', [uri])) as { applied: boolean };
    assert.equal(r.applied, false);
    await c.waitForMessage((m) => /not applied/.test(m.message));
  });
});

test('Deny statements are never touched; NotAction gets the unused actions added', async () => {
  const policy = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Deny', Action: ['s3:Get*', 'lambda:GetFunction'], Resource: '*' },
      { Effect: 'Allow', NotAction: ['iam:*'], Resource: '*' },
    ],
  };
  const dir = workspace({ 'policy.json': policy, 'findings.json': exampleFindings() });
  await withServer([dir], async (c) => {
    const uri = c.open(path.join(dir, 'policy.json'));
    const ds = await c.waitForDiagnostics(uri, (d) => d.length > 0);
    assert.equal(ds.length, 1, JSON.stringify(ds.map((d) => msg(d))));
    const [d] = ds;
    assert.equal(d.code, 'unused-wildcard');
    assert.match(msg(d), /this NotAction statement allows 30 unused actions/);
    assert.equal(d.range.start.line, 13); // the "NotAction" key
    const [fix] = await c.codeActions(uri, [d]);
    assert.match(fix.title, /^Add the unused actions to NotAction \(\d+ patterns?\)$/);
    c.apply(fix);
    const doc = JSON.parse(c.text(uri));
    assert.deepEqual(doc.Statement[0], policy.Statement[0]);
    assert.equal(doc.Statement[1].NotAction[0], 'iam:*');
    assert.ok(doc.Statement[1].NotAction.length > 1);
    await c.waitForDiagnostics(uri, (x) => x.length === 0);
  });
});

test('"Action": "*" becomes an equivalent NotAction', async () => {
  const dir = workspace({ 'admin-policy.json': { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }, 'findings.json': exampleFindings() });
  await withServer([dir], async (c) => {
    const uri = c.open(path.join(dir, 'admin-policy.json'));
    const [d] = await c.waitForDiagnostics(uri, (x) => x.length === 1);
    assert.match(msg(d), /"\*" allows 30 unused actions/);
    const [fix] = await c.codeActions(uri, [d]);
    assert.match(fix.title, /^Refine "\*" to NotAction with \d+ patterns?$/);
    c.apply(fix);
    const st = JSON.parse(c.text(uri)).Statement[0];
    assert.equal(st.Action, undefined);
    assert.ok(Array.isArray(st.NotAction) && st.NotAction.length > 0 && st.NotAction.length <= 30);
    await c.waitForDiagnostics(uri, (x) => x.length === 0);
  });
});

test('JSONC: comments and formatting survive the fix', async () => {
  const text = `// deployer policy
{
  "Version": "2012-10-17",
  /* statements */
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "lambda:GetFunction", // unused
        "s3:List*",
      ],
      "Resource": "*",
    },
  ],
}
`;
  const dir = workspace({ 'policy.jsonc': text, 'findings.json': exampleFindings() });
  await withServer([dir], async (c) => {
    const uri = c.open(path.join(dir, 'policy.jsonc'));
    const ds = await c.waitForDiagnostics(uri, (x) => x.length > 0);
    assert.equal(ds.length, 1);
    const [fix] = await c.codeActions(uri, ds);
    assert.equal(fix.title, 'Remove unused lambda:GetFunction');
    c.apply(fix);
    const out = c.text(uri);
    assert.ok(out.startsWith('// deployer policy\n{\n  "Version": "2012-10-17",\n  /* statements */\n'));
    assert.ok(!out.includes('lambda:GetFunction'));
    assert.ok(out.includes('"s3:List*",\n      ],'));
    await c.waitForDiagnostics(uri, (x) => x.length === 0);
  });
});

test('several roles: iam-refiner.json "roles" binds a file; only what all its roles leave unused counts', async () => {
  const findings = {
    findings: [
      finding(ROLE_A, [{ serviceNamespace: 'lambda', actions: ['GetFunction', 'DeleteFunction'] }]),
      finding(ROLE_B, [{ serviceNamespace: 'lambda', actions: ['GetFunction', 'CreateFunction'] }]),
    ],
  };
  const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['lambda:GetFunction', 'lambda:DeleteFunction', 'lambda:CreateFunction', 'lambda:Invoke*'], Resource: '*' }] };
  const dir = workspace({
    'iam-refiner.json': { findings: ['findings/*.json'], roles: { 'policies/shared.json': [ROLE_A, ROLE_B], 'policies/deployer-only.json': [ROLE_A] } },
    'findings/analyzer.json': findings,
    'policies/shared.json': policy,
    'policies/deployer-only.json': policy,
  });
  await withServer([dir], async (c) => {
    const shared = c.open(path.join(dir, 'policies/shared.json'));
    const one = c.open(path.join(dir, 'policies/deployer-only.json'));
    const ds = await c.waitForDiagnostics(shared, (x) => x.length > 0);
    assert.deepEqual(ds.map((d) => msg(d)), ['lambda:GetFunction is unused (not used in the tracking period) [Access Analyzer, roles Deployer, Reader, findings of 2024-06-01, tracking period not stated]']);
    const ds1 = await c.waitForDiagnostics(one, (x) => x.length > 0);
    assert.deepEqual(ds1.map((d) => msg(d).split(' ')[0]), ['lambda:GetFunction', 'lambda:DeleteFunction']);
    const status = await c.waitForStatus((s) => s.folders.length === 1 && s.documents[shared] !== undefined);
    assert.equal(status.folders[0].roles.length, 2);
    assert.match(status.documents[shared].binding, /roles Deployer, Reader \(iam-refiner.json\)/);
  });
});

test('ambiguous binding: one information diagnostic, a quick fix per role that creates iam-refiner.json', async () => {
  const findings = [finding(ROLE_A, [{ serviceNamespace: 'lambda', actions: ['GetFunction'] }]), finding(ROLE_B, [{ serviceNamespace: 'lambda', actions: ['DeleteFunction'] }])];
  const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['lambda:GetFunction', 'lambda:DeleteFunction'], Resource: '*' }] };
  const dir = workspace({ 'findings.json': findings, 'policies/app.json': policy, 'policies/reader.json': policy });
  await withServer([dir], async (c) => {
    // a file named like a role binds to it
    const reader = c.open(path.join(dir, 'policies/reader.json'));
    const rds = await c.waitForDiagnostics(reader, (x) => x.length > 0);
    assert.deepEqual(rds.map((d) => msg(d).split(' ')[0]), ['lambda:DeleteFunction']);

    const uri = c.open(path.join(dir, 'policies/app.json'));
    const ds = await c.waitForDiagnostics(uri, (x) => x.length > 0);
    assert.equal(ds.length, 1);
    const [d] = ds;
    assert.equal(d.code, 'unbound-policy');
    assert.equal(d.severity, DiagnosticSeverity.Information);
    assert.match(msg(d), /Deployer, Reader/);
    const fixes = await c.codeActions(uri, [d]);
    assert.deepEqual(
      fixes.map((f) => f.title),
      ['Bind this policy to role Deployer in iam-refiner.json (creates it)', 'Bind this policy to role Reader in iam-refiner.json (creates it)'],
    );
    c.apply(fixes[0]);
    const config = JSON.parse(readFileSync(path.join(dir, 'iam-refiner.json'), 'utf8'));
    assert.deepEqual(config, { roles: { 'policies/app.json': [ROLE_A] } });
    const after = await c.waitForDiagnostics(uri, (x) => x.some((y) => y.code === 'unused-action'));
    assert.deepEqual(after.map((y) => msg(y).split(' ')[0]), ['lambda:GetFunction']);
  });
});

test('the binding quick fix edits an existing iam-refiner.json in place, keeping its comments', async () => {
  const findings = [finding(ROLE_A, [{ serviceNamespace: 'lambda', actions: ['GetFunction'] }]), finding(ROLE_B, [{ serviceNamespace: 'lambda', actions: ['DeleteFunction'] }])];
  const config = '{\n    // where findings live\n    "findings": ["out/*.json"]\n}\n';
  const dir = workspace({ 'iam-refiner.json': config, 'out/f.json': findings, 'app.json': { Statement: [{ Effect: 'Allow', Action: 'lambda:GetFunction', Resource: '*' }] } });
  await withServer([dir], async (c) => {
    const uri = c.open(path.join(dir, 'app.json'));
    const [d] = await c.waitForDiagnostics(uri, (x) => x.length > 0);
    const fixes = await c.codeActions(uri, [d]);
    assert.equal(fixes[1].title, 'Bind this policy to role Reader in iam-refiner.json');
    c.apply(fixes[1]);
    const text = readFileSync(path.join(dir, 'iam-refiner.json'), 'utf8');
    assert.ok(text.startsWith('{\n    // where findings live\n'));
    assert.deepEqual(JSON.parse(text.replace(/\/\/.*\n/, '')).roles, { 'app.json': [ROLE_B] });
    await c.waitForDiagnostics(uri, (x) => x.length === 0); // Reader uses GetFunction
  });
});

test('a broken findings file: one diagnostic at its line/column, a warning in the status, the other findings still apply', async () => {
  const dir = workspace({
    'iam-refiner.json': { findings: ['findings/*.json'] },
    'findings/good.json': exampleFindings(),
    'findings/broken.json': '[\n  {"serviceNamespace": "s3", "actions": [42]}\n]\n',
    'policy.json': examplePolicy(),
  });
  await withServer([dir], async (c) => {
    const brokenUri = uriOf(path.join(dir, 'findings/broken.json'));
    const [bd] = await c.waitForDiagnostics(brokenUri, (x) => x.length === 1);
    assert.equal(bd.code, 'invalid-findings');
    assert.equal(bd.severity, DiagnosticSeverity.Error);
    assert.deepEqual(bd.range.start, { line: 1, character: 41 });
    assert.match(msg(bd), /action must be/);
    const uri = c.open(path.join(dir, 'policy.json'));
    await c.waitForDiagnostics(uri, (x) => x.length === 9);
    const status = await c.waitForStatus((s) => s.folders[0]?.sources.length === 2);
    const broken = status.folders[0].sources.find((s) => s.error)!;
    assert.equal(broken.label, 'findings/broken.json');

    // fixing the file on disk clears its diagnostic
    c.writeFile(path.join(dir, 'findings/broken.json'), '[{"serviceNamespace": "s3", "actions": ["ListBucket"]}]');
    await c.waitForDiagnostics(brokenUri, (x) => x.length === 0);
  });
});

test('findings files are watched: adding one adds its diagnostics, deleting it removes them', async () => {
  const dir = workspace({ 'iam-refiner.json': { findings: ['findings/*.json'] }, 'policy.json': examplePolicy() });
  await withServer([dir], async (c) => {
    const uri = c.open(path.join(dir, 'policy.json'));
    await c.waitForStatus((s) => s.folders.length === 1);
    const watchers = [...c.registrations.values()].filter((r) => r.method === 'workspace/didChangeWatchedFiles').flatMap((r) => r.registerOptions.watchers);
    assert.deepEqual(
      watchers.map((w: { globPattern: unknown }) => w.globPattern),
      ['**/iam-refiner.json', '**/*.tf', '**/*.tf.json', { baseUri: uriOf(dir), pattern: 'findings/*.json' }],
    );
    assert.deepEqual(await c.waitForDiagnostics(uri), []);
    const file = path.join(dir, 'findings/new.json');
    c.writeFile(file, exampleFindings());
    await c.waitForDiagnostics(uri, (x) => x.length === 9);
    rmSync(file);
    c.fileChanged(file, 3 /* Deleted */);
    await c.waitForDiagnostics(uri, (x) => x.length === 0);
    // a new glob in iam-refiner.json is watched too
    c.writeFile(path.join(dir, 'iam-refiner.json'), JSON.stringify({ findings: ['findings/*.json', 'more/*.json'] }));
    await c.waitForStatus((s) => s.folders[0].findingsGlobs.length === 2);
    c.writeFile(path.join(dir, 'more/f.json'), exampleFindings());
    await c.waitForDiagnostics(uri, (x) => x.length === 9);
  });
});

test('editing an open findings file updates the diagnostics of the policies', async () => {
  await withExample(async ({ c, uri, dir }) => {
    const f = c.open(path.join(dir, 'findings.json'));
    c.change(f, JSON.stringify([{ serviceNamespace: 'lambda', actions: ['GetFunction'] }]));
    const ds = await c.waitForDiagnostics(uri, (x) => x.length === 1);
    assert.equal(msg(ds[0]), 'lambda:GetFunction is unused (not used in the tracking period) [findings list findings.json, undated, tracking period not stated]');
    // a syntax error while typing in the findings file: reported there, the policy loses those findings
    c.change(f, '[{"serviceNamespace": "lambda", ');
    const [err] = await c.waitForDiagnostics(f, (x) => x.length === 1);
    assert.equal(err.code, 'invalid-findings');
    await c.waitForDiagnostics(uri, (x) => x.length === 0);
    // deleting the file (closed, then gone from disk) removes its findings
    c.change(f, exampleFindings());
    await c.waitForDiagnostics(uri, (x) => x.length === 9);
  });
});

test('broken JSON while typing: no crash, partial analysis, no fixes until it parses', async () => {
  await withExample(async ({ c, uri, dir }) => {
    const text = c.text(uri);
    const cut = text.indexOf('"s3:List*"');
    c.change(uri, text.slice(0, cut) + '"s3:List*", "s3:Ge');
    const ds = await c.waitForDiagnostics(uri);
    assert.ok(ds.every((d) => d.code !== 'invalid-policy'));
    assert.ok(byCode(ds, 'unused-action').length === 8);
    for (const d of unusedCodes(ds)) assert.deepEqual(await c.codeActions(uri, [d]), []);
    assert.deepEqual(await c.codeActions(uri, [], ['source.fixAll']), []);
    const hover = await c.hover(uri, c.text(uri).indexOf('lambda:GetFunction"'));
    assert.ok(hover);
    c.change(uri, text);
    const good = await c.waitForDiagnostics(uri, (x) => x.length === 9);
    assert.ok((await c.codeActions(uri, [good[0]])).length > 0);
  });
});

test('unknown actions: the closest real names, "Replace with …" fixes', async () => {
  const dir = workspace({ 'policy.json': { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObjekt', 's3:List*'], Resource: '*' }] } });
  await withServer([dir], async (c) => {
    const uri = c.open(path.join(dir, 'policy.json'));
    const [d] = await c.waitForDiagnostics(uri, (x) => x.length === 1);
    assert.equal(d.code, 'unknown-action');
    assert.ok(d.codeDescription?.href.endsWith('#unknown-action'));
    const fixes = await c.codeActions(uri, [d]);
    assert.equal(fixes[0].title, 'Replace with s3:GetObject');
    c.apply(fixes[0]);
    assert.ok(c.text(uri).includes('"s3:GetObject"'));
    await c.waitForDiagnostics(uri, (x) => x.length === 0);
  });
});

test('every permission unused: no edit, a disabled fix with the reason, a message for the command', async () => {
  const dir = workspace({
    'policy.json': { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['lambda:GetFunction'], Resource: '*' }] },
    'findings.json': exampleFindings(),
  });
  await withServer([dir], async (c) => {
    const uri = c.open(path.join(dir, 'policy.json'));
    const [d] = await c.waitForDiagnostics(uri, (x) => x.length === 1);
    const [fix] = await c.codeActions(uri, [d]);
    assert.equal(fix.edit, undefined);
    assert.match(fix.disabled!.reason, /every permission in this policy is unused/);
    const r = (await c.executeCommand('iamRefiner.refineFile', [uri])) as { applied: boolean };
    assert.equal(r.applied, false);
    await c.waitForMessage((m) => /every permission in this policy is unused/.test(m.message));
    assert.equal(c.appliedEdits.length, 0);
    assert.deepEqual(await c.codeActions(uri, [], ['source.fixAll']), []);
  });
});

test('hover: what a pattern expands to, what is unused, the docs link and access levels', async () => {
  await withExample(async ({ c, uri, dir }) => {
    const h = await c.hover(uri, c.text(uri).indexOf('s3:Get*') + 2);
    const md = (h!.contents as MarkupContent).value as string;
    assert.match(md, /\*\*`s3:Get\*`\*\* allows \d+ actions of Amazon S3/);
    assert.match(md, /\*\*22 unused\*\*/);
    assert.match(md, /… and 10 more/);
    assert.match(md, /https:\/\/docs\.aws\.amazon\.com\/service-authorization\/latest\/reference\/list_amazons3\.html/);
    assert.match(md, /Read \d+/);
    const single = await c.hover(uri, c.text(uri).indexOf('lambda:GetFunction"') + 3);
    assert.match((single!.contents as MarkupContent).value, /\*\*`lambda:GetFunction`\*\* — access level: Read/);
    assert.match((single!.contents as MarkupContent).value, /\*\*Unused\*\*: not used in the tracking period/);
    assert.equal(await c.hover(uri, c.text(uri).indexOf('"Resource"') + 2), null);
  });
});

test('status: findings source, roles, unused count, age and catalog', async () => {
  const dir = workspace({ 'policy.json': examplePolicy(), 'findings.json': exampleFindings() });
  await withServer([dir], async (c) => {
    const uri = c.open(path.join(dir, 'policy.json'));
    const s = await c.waitForStatus((x) => x.folders.length === 1 && !!x.documents[uri]);
    const f = s.folders[0];
    assert.deepEqual(f.sources.map((x) => x.label), ['findings.json']);
    assert.equal(f.defaultGlobs, true);
    assert.equal(f.unusedActions, 30);
    assert.ok(f.oldestAnalyzedAt);
    assert.match(s.catalog, /iam-data/);
    assert.equal(s.documents[uri].binding, 'all findings');
  });
});

test('other JSON costs nothing; a policy over 1 MB is skipped with one information diagnostic', async () => {
  const big = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:Get*'], Resource: '*', Sid: 'x'.repeat(1100 * 1024) }] });
  const dir = workspace({ 'big.json': big, 'package.json': { name: 'x' }, 'findings.json': exampleFindings() });
  await withServer([dir], async (c) => {
    const other = c.open(path.join(dir, 'package.json'));
    assert.deepEqual(await c.waitForDiagnostics(other), []);
    const uri = c.open(path.join(dir, 'big.json'));
    const ds = await c.waitForDiagnostics(uri, (x) => x.length > 0);
    assert.equal(ds.length, 1);
    assert.equal(ds[0].code, 'file-too-large');
    assert.equal(ds[0].severity, DiagnosticSeverity.Information);
  });
});

test('settings: severities per folder, extra findings globs, exclude, enable', async () => {
  const a = workspace({ 'policy.json': examplePolicy(), 'data/unused.json': exampleFindings() });
  const b = workspace({ 'policy.json': examplePolicy(), 'findings.json': exampleFindings() });
  await withServer(
    [a, b],
    async (c) => {
      const ua = c.open(path.join(a, 'policy.json'));
      const ub = c.open(path.join(b, 'policy.json'));
      const da = await c.waitForDiagnostics(ua, (x) => x.length > 0);
      assert.equal(da.length, 8); // unused-wildcard is off in folder a
      assert.ok(da.every((d) => d.severity === DiagnosticSeverity.Error));
      const db = await c.waitForDiagnostics(ub, (x) => x.length > 0);
      assert.equal(db.length, 9);
      assert.ok(db.every((d) => d.severity === DiagnosticSeverity.Warning));
      c.setSettings({ [a]: { exclude: ['policy.json'] }, [b]: { enable: false } });
      await c.waitForDiagnostics(ua, (x) => x.length === 0);
      await c.waitForDiagnostics(ub, (x) => x.length === 0);
    },
    { settings: { [a]: { findings: ['data/*.json'], severity: { unusedAction: 'error', unusedWildcard: 'off' } } } },
  );
});

test('CloudFormation template: every policy in it is analysed and refined', async () => {
  const template = {
    Resources: {
      Role: { Type: 'AWS::IAM::Role', Properties: { Policies: [{ PolicyName: 'p', PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['lambda:GetFunction', 'lambda:Invoke*'], Resource: '*' }] } }] } },
      Managed: { Type: 'AWS::IAM::ManagedPolicy', Properties: { PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 's3:Get*', Resource: '*' }] } } },
    },
  };
  const dir = workspace({ 'template.json': template, 'findings.json': exampleFindings() });
  await withServer([dir], async (c) => {
    const uri = c.open(path.join(dir, 'template.json'));
    const ds = await c.waitForDiagnostics(uri, (x) => x.length === 2);
    assert.deepEqual(ds.map((d) => d.code).sort(), ['unused-action', 'unused-wildcard']);
    const [fixAll] = await c.codeActions(uri, [], ['source.fixAll.iamRefiner']);
    c.apply(fixAll);
    const out = JSON.parse(c.text(uri));
    assert.deepEqual(out.Resources.Role.Properties.Policies[0].PolicyDocument.Statement[0].Action, ['lambda:Invoke*']);
    assert.deepEqual(out.Resources.Managed.Properties.PolicyDocument.Statement[0].Action, EXPECTED_S3);
    await c.waitForDiagnostics(uri, (x) => x.length === 0);
  });
});

test('1,000 rapid edits: the server stays responsive, publishes for the last version, memory stays flat', async () => {
  await withExample(async ({ c, uri, dir }) => {
    const before = await c.request<ServerStats>('iamRefiner/serverStats');
    const at = c.text(uri).indexOf('"s3:List*"');
    for (let i = 0; i < 1000; i++) {
      const pos = c.docs.get(uri)!.positionAt(at);
      c.edit(uri, [{ range: { start: pos, end: pos }, newText: i % 2 === 0 ? ' ' : '' }]);
      if (i % 2 === 1) {
        const p2 = c.docs.get(uri)!.positionAt(at);
        c.edit(uri, [{ range: { start: p2, end: c.docs.get(uri)!.positionAt(at + 1) }, newText: '' }]);
      }
    }
    const t0 = performance.now();
    const h = await c.hover(uri, c.text(uri).indexOf('s3:Get*') + 2);
    const hoverMs = performance.now() - t0;
    assert.ok(h, 'hover answered');
    assert.ok(hoverMs < 2000, `hover took ${hoverMs} ms`);
    const last = c.docs.get(uri)!.version;
    const ds = await c.waitForDiagnostics(uri, (x) => x.length === 9);
    assert.equal(c.diagnostics.get(uri)!.version, last);
    const stats = await c.request<ServerStats>('iamRefiner/serverStats');
    assert.ok(stats.validations - before.validations < 50, `validated ${stats.validations - before.validations} times for 1,500 changes`);
    assert.ok(stats.heapUsedBytes < before.heapUsedBytes + 40 * 1024 * 1024, `heap grew from ${before.heapUsedBytes} to ${stats.heapUsedBytes}`);
    assert.equal(stats.analyses, 1);
    assert.equal(ds.length, 9);
  });
});

test('closing a document clears its diagnostics; a broken iam-refiner.json is reported on that file', async () => {
  const dir = workspace({ 'policy.json': examplePolicy(), 'findings.json': exampleFindings(), 'iam-refiner.json': '{ "findings": ["findings.json"], "rolez": {} }' });
  await withServer([dir], async (c) => {
    const cfg = uriOf(path.join(dir, 'iam-refiner.json'));
    const [d] = await c.waitForDiagnostics(cfg, (x) => x.length === 1);
    assert.equal(d.code, 'invalid-config');
    assert.match(msg(d), /unknown setting "rolez"/);
    const uri = c.open(path.join(dir, 'policy.json'));
    await c.waitForDiagnostics(uri, (x) => x.length === 9);
    c.close(uri);
    await c.waitForDiagnostics(uri, (x) => x.length === 0);
  });
});

test('a file outside the workspace folders uses its own directory; untitled documents use the first folder', async () => {
  const outside = workspace({ 'policy.json': examplePolicy(), 'findings.json': exampleFindings() });
  const root = workspace({ 'findings.json': exampleFindings() });
  await withServer([root], async (c) => {
    const uri = c.open(path.join(outside, 'policy.json'));
    await c.waitForDiagnostics(uri, (x) => x.length === 9);
    const untitled = c.open('untitled:Untitled-1', examplePolicy());
    await c.waitForDiagnostics(untitled, (x) => x.length === 9);
  });
});

test('works without workspace/configuration or documentChanges support (plain clients)', async () => {
  const dir = workspace({ 'policy.json': examplePolicy(), 'custom/unused.json': exampleFindings() });
  const { client: c } = await LspClient.start({
    folders: [dir],
    capabilities: { workspace: { applyEdit: true } },
    initializationOptions: { settings: { findings: ['custom/*.json'] } },
  });
  try {
    const uri = c.open(path.join(dir, 'policy.json'));
    const ds = await c.waitForDiagnostics(uri, (x) => x.length === 9);
    const [fixAll] = await c.codeActions(uri, [], ['source.fixAll']);
    assert.ok(fixAll.edit?.changes?.[uri]);
    const fixes: CodeAction[] = await c.codeActions(uri, [ds[0]]);
    assert.ok(fixes.length > 0);
    assert.ok(existsSync(path.join(dir, 'custom/unused.json')));
  } finally {
    await c.stop();
  }
});

test('iam-refine lsp --stdio (the CLI) serves the same language server', async () => {
  const dir = workspace({ 'policy.json': examplePolicy(), 'findings.json': exampleFindings() });
  const bin = path.join(EXAMPLE, '..', 'bin', 'iam-refine.js');
  const { client, init } = await LspClient.start({ folders: [dir], command: { exe: process.execPath, args: [bin, 'lsp', '--stdio'] }, initializationOptions: { debounceMs: 20 } });
  try {
    assert.equal(init.capabilities.hoverProvider, true);
    const uri = client.open(path.join(dir, 'policy.json'));
    const ds = await client.waitForDiagnostics(uri, (d) => d.length === 9);
    assert.equal(byCode(ds, 'unused-action').length, 8);
    assert.equal(byCode(ds, 'unused-wildcard').length, 1);
  } finally {
    await client.stop();
  }
});

test('completion: a service\'s actions while typing an Action string, unused ones marked, the typed text replaced', async () => {
  await withExample(async ({ c, uri, dir }) => {
    // the user types `"s3:GetObj` over `"s3:Get*"`
    c.change(uri, c.text(uri).replace('"s3:Get*"', '"s3:GetObj"'));
    const at = c.text(uri).indexOf('s3:GetObj') + 's3:GetObj'.length;
    const list = await c.completion(uri, at);
    const get = list.items.find((i) => i.label === 'GetObject');
    assert.ok(get, 'GetObject offered');
    assert.ok(list.items.some((i) => i.label === 'GetObjectAcl'));
    assert.equal(get.detail, 'Read');
    const doc = c.docs.get(uri)!;
    assert.deepEqual(get.textEdit, { range: { start: doc.positionAt(at - 's3:GetObj'.length), end: doc.positionAt(at) }, newText: 's3:GetObject' });
    c.edit(uri, [get.textEdit as TextEdit]);
    assert.ok(c.text(uri).includes('"s3:GetObject",'));
    // before the colon: service prefixes that ask for suggestions again
    const svcAt = c.text(uri).indexOf('"s3:List*"') + 2;
    const services = await c.completion(uri, svcAt);
    const s3 = services.items.find((i) => i.label === 's3:')!;
    assert.equal(s3.detail, 'Amazon S3');
    assert.equal(s3.command?.command, 'editor.action.triggerSuggest');
    // unused for this file (the findings): marked, sorted last
    const lam = await c.completion(uri, c.text(uri).indexOf('lambda:GetFunction"') + 'lambda:GetF'.length);
    const unused = lam.items.find((i) => i.label === 'GetFunction')!;
    assert.equal(unused.labelDetails?.description, 'unused');
    assert.match(unused.detail!, /unused/);
    const used = lam.items.find((i) => !i.labelDetails)!;
    assert.ok(used.sortText! < unused.sortText!);
    // outside an Action string: nothing
    assert.deepEqual((await c.completion(uri, c.text(uri).indexOf('"Resource"') + 2)).items, []);
  });
});

test('Terraform JSON (main.tf.json): diagnostics on the escaped action inside the policy string, a quick fix that edits in place', async () => {
  const tfjson = JSON.stringify({ resource: { aws_iam_policy: { deployer: { name: 'deployer', policy: examplePolicy() } } } }, null, 2) + '\n';
  const dir = workspace({ 'main.tf.json': tfjson, 'findings.json': exampleFindings() });
  await withServer([dir], async (c) => {
    const uri = c.open(path.join(dir, 'main.tf.json'));
    const ds = await c.waitForDiagnostics(uri, (d) => d.length > 0);
    assert.equal(byCode(ds, 'unused-action').length, 8);
    const w = byCode(ds, 'unused-wildcard')[0];
    assert.equal(c.text(uri).slice(c.docs.get(uri)!.offsetAt(w.range.start), c.docs.get(uri)!.offsetAt(w.range.end)), '\\"s3:Get*\\"');
    const fixes = await c.codeActions(uri, [w]);
    const refine = fixes.find((f) => f.isPreferred)!;
    assert.equal(refine.title, 'Refine s3:Get* to 9 patterns');
    c.apply(refine);
    const policy = JSON.parse(JSON.parse(c.text(uri)).resource.aws_iam_policy.deployer.policy);
    assert.deepEqual(policy.Statement[1].Action, [...EXPECTED_S3, 's3:List*']);
    const after = await c.waitForDiagnostics(uri, (d) => byCode(d, 'unused-wildcard').length === 0);
    assert.equal(byCode(after, 'unused-action').length, 8);
  });
});

test('a policy with hundreds of unused actions: no evidence note nor undated usage in each diagnostic (the hover says them), data only what a quick fix needs', async () => {
  const names = defaultCatalog()
    .sorted()
    .names.filter((n) => n.startsWith('ec2:'))
    .slice(0, 610);
  const unused = names.slice(10);
  const dir = workspace({
    'policy.json': JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: names, Resource: '*' }] }, null, 2),
    'findings.json': JSON.stringify([{ serviceNamespace: 'ec2', actions: unused.map((n) => n.slice(4)) }]),
  });
  await withServer([dir], async (c) => {
    const uri = c.open(path.join(dir, 'policy.json'));
    const ds = await c.waitForDiagnostics(uri, (x) => x.length === unused.length);
    // the message of each, exactly: what it says stays true without the evidence and the undated usage, the same for all 600 (the hover says both)
    assert.deepEqual(
      ds.map((d) => msg(d)),
      unused.map((n) => `${n} is unused`),
    );
    // data: [version, policy, statement, entry], nothing more; no README link in each (the hover has it)
    for (const [i, d] of ds.entries()) {
      assert.deepEqual(d.data, [1, 0, 0, i + 10]);
      assert.equal(d.codeDescription, undefined);
    }
    const target = ds[5];
    const h = await c.hover(uri, c.docs.get(uri)!.offsetAt(target.range.start) + 2);
    const hv = (h!.contents as MarkupContent).value;
    assert.match(hv, /\*\*Unused\*\*: not used in the tracking period/);
    assert.match(hv, /_Findings: all findings \[findings list findings\.json, undated, tracking period not stated\] · catalog /);
    assert.match(hv, /\[About unused-action\]\(https:\/\/github\.com\/[^)]*#unused-action\)/);
    // the quick fix (from the compact data) names its action from the server's analysis of that version
    const fixes = await c.codeActions(uri, [target]);
    assert.equal(fixes.find((f) => f.isPreferred)?.title, `Remove unused ${unused[5]}`);
  });
});
