/**
 * The live mode of the language server, over stdio, against the local fake of IAM Access Analyzer
 * (the real AWS SDK inside the server, credentials from the environment): diagnostics from live
 * findings, the cache (written without a credential, used offline), progress, errors as one
 * sentence, workspace trust, the machine-only endpoint, AWS's recommendation compared.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Diagnostic } from 'vscode-languageserver-protocol';
import { LspClient, byCode, msg } from '../support/lspClient';
import { CLIENT_CAPABILITIES } from '../support/lspClient';
import { EXAMPLE, EXPECTED_S3 } from '../support/example';
import { writeFiles } from '../support/files';
import { EXAMPLE_LAST_ACCESSED, awsPolicyForExample, exampleDetails, isolateAwsEnvironment, upd } from '../support/liveFixtures';
import { FakeAccessAnalyzer, FakeSeed, startFakeAccessAnalyzer } from '../support/fakeAccessAnalyzer';
import type { AwsRecommendationResult, FolderStatus, LiveFindingsResult, LiveRefreshResult, LiveSourceStatus, StatusParams } from '../../shared/protocol';
import { normalizeSettings } from '../../server/src/workspace/settings';

const KEY_ID = 'AKIALIVELSPTEST00001';
const SECRET = 'lspSecretKey/MustNeverAppear+0123456789ab';
const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const ANALYZER = `arn:aws:access-analyzer:${REGION}:${ACCOUNT}:analyzer/unused`;
const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const APP = roleArn('app');
const READER = roleArn('Reader');
const OTHER = roleArn('other');

function seed(extra: Partial<FakeSeed> = {}): FakeSeed {
  return {
    region: REGION,
    credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET },
    analyzers: [{ arn: ANALYZER, type: 'ACCOUNT_UNUSED_ACCESS', unusedAccessAge: 90 }],
    findings: { 'f-app': { resource: APP, details: exampleDetails() } },
    ...extra,
  };
}

const cleanups: (() => unknown)[] = [];

async function fake(s: FakeSeed): Promise<FakeAccessAnalyzer> {
  const f = await startFakeAccessAnalyzer(s);
  cleanups.push(() => f.close());
  return f;
}

function tempDir(prefix: string): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const workspace = (files: Record<string, string | object>) => writeFiles(tempDir('iam-lsp-live-'), files);

const examplePolicy = () => readFileSync(path.join(EXAMPLE, 'policy.json'), 'utf8');

let restoreEnv: () => void;

before(() => {
  // the server process inherits this: static credentials from the environment (the SDK's default
  // chain), and nothing else the machine may have (profiles, files, instance roles)
  restoreEnv = isolateAwsEnvironment(tempDir('iam-lsp-live-home-'));
  process.env.AWS_ACCESS_KEY_ID = KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = SECRET;
});

after(async () => {
  for (const c of cleanups.reverse()) await c();
  restoreEnv();
});

interface Progress {
  token: string | number;
  value: { kind: string; title?: string; message?: string; cancellable?: boolean };
}

interface StartLive {
  folders: string[];
  live?: Record<string, unknown>;
  /** The workspace's `iamRefiner` settings besides live (e.g. a live.endpoint the server must ignore). */
  settings?: Record<string, unknown>;
  storagePath?: string;
  endpoint?: string;
  trusted?: boolean;
}

interface Live {
  c: LspClient;
  progress: Progress[];
  /** The next $/progress notification that passes `test`. */
  nextProgress(test: (p: Progress) => boolean, timeoutMs?: number): Promise<Progress>;
}

async function startLive(o: StartLive): Promise<Live> {
  const iamRefiner = { ...o.settings, live: { enabled: true, region: REGION, ...o.live } };
  const { client: c } = await LspClient.start({
    folders: o.folders,
    settings: { '*': iamRefiner },
    capabilities: { ...CLIENT_CAPABILITIES, window: { ...CLIENT_CAPABILITIES.window, workDoneProgress: true } },
    initializationOptions: { debounceMs: 20, clientCommands: true, live: { storagePath: o.storagePath, endpoint: o.endpoint, trusted: o.trusted } },
  });
  const progress: Progress[] = [];
  const waiters: { test: (p: Progress) => boolean; resolve: (p: Progress) => void }[] = [];
  c.connection.onNotification('$/progress', (p: Progress) => {
    progress.push(p);
    for (const w of [...waiters]) {
      if (!w.test(p)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(p);
    }
  });
  cleanups.push(() => c.stop());
  const nextProgress = (test: (p: Progress) => boolean, timeoutMs = 10_000) =>
    new Promise<Progress>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching $/progress within ${timeoutMs} ms: ${JSON.stringify(progress)}`)), timeoutMs);
      waiters.push({ test, resolve: (p) => (clearTimeout(timer), resolve(p)) });
    });
  return { c, progress, nextProgress };
}

const liveOf = (s: StatusParams, folder?: string): LiveSourceStatus | undefined => {
  const f: FolderStatus | undefined = folder ? s.folders.find((x) => x.uri.endsWith(encodeURI(path.basename(folder)))) : s.folders[0];
  return f?.sources.find((x) => x.kind === 'live')?.live;
};

const unused = (ds: Diagnostic[]) => ds.filter((d) => d.code === 'unused-action' || d.code === 'unused-wildcard');

/** Everything the server said or wrote, to look for a credential. */
function everythingSaid(c: LspClient, progress: Progress[]): string {
  return [c.logs.join('\n'), c.stderr, JSON.stringify(c.messages), JSON.stringify(c.status), JSON.stringify([...c.diagnostics.values()]), JSON.stringify(progress)].join('\n');
}

test('settings: the workspace cannot set the endpoint; refresh interval 0 means manual', () => {
  const s = normalizeSettings({ live: { enabled: true, endpoint: 'http://127.0.0.1:1', refreshIntervalMinutes: 0 } });
  assert.equal('endpoint' in s.live, false);
  assert.equal(s.live.refreshIntervalMinutes, 0);
  assert.equal(normalizeSettings({ live: { refreshIntervalMinutes: null } }).live.refreshIntervalMinutes, 60);
});

test('live findings: diagnostics on the example, progress, cache written without credentials, then used offline', async () => {
  const f = await fake(seed({ pageSize: 1 }));
  const storage = tempDir('iam-lsp-live-storage-');
  const dir = workspace({ 'policy.json': examplePolicy() });
  const policy = path.join(dir, 'policy.json');

  // 1. online: the findings come from Access Analyzer
  {
    const { c, progress } = await startLive({ folders: [dir], storagePath: storage, endpoint: f.url, trusted: true });
    const uri = c.open(policy);
    const ds = await c.waitForDiagnostics(uri, (d) => unused(d).length === 9, 15_000);
    assert.equal(byCode(ds, 'unused-action').length, 8);
    const w = byCode(ds, 'unused-wildcard')[0];
    assert.match(msg(w), /^s3:Get\* allows 22 unused actions/);
    // the status is sent 50 ms after the diagnostics: one sent between the fetch and the analysis has the old binding
    const status = await c.waitForStatus((s) => liveOf(s)?.state === 'ok' && s.documents[uri]?.binding === 'role app');
    const live = liveOf(status)!;
    assert.equal(live.analyzerArn, ANALYZER);
    assert.equal(live.region, REGION);
    assert.ok(Date.now() - Date.parse(live.fetchedAt!) < 60_000);
    const source = status.folders[0].sources.find((s) => s.kind === 'live')!;
    assert.equal(source.label, 'Access Analyzer (us-east-1)');
    assert.deepEqual(source.roles, [APP]);
    assert.equal(source.findings, 1);
    assert.equal(status.documents[uri].binding, 'role app');
    // what was asked: no roles bound, so every role's active UnusedPermission findings, every page
    const list = f.requests.filter((r) => r.operation === 'ListFindingsV2');
    assert.deepEqual(list[0].body.filter, { findingType: { eq: ['UnusedPermission'] }, status: { eq: ['ACTIVE'] } });
    assert.equal(f.count('GetFindingV2'), 2, 'two pages of findingDetails');
    // progress: begun (cancellable) and ended
    assert.ok(progress.some((p) => p.value.kind === 'begin' && p.value.title === 'IAM Refiner: Fetching findings from Access Analyzer (us-east-1)' && p.value.cancellable === true), JSON.stringify(progress));
    assert.ok(progress.some((p) => p.value.kind === 'report' && /reading findings/.test(p.value.message ?? '')));
    assert.ok(progress.some((p) => p.value.kind === 'end'));
    // the refinement uses the live findings like a file's
    const fix = (await c.codeActions(uri, [w])).find((a) => a.isPreferred)!;
    assert.equal(fix.title, `Refine s3:Get* to ${EXPECTED_S3.length} patterns`);
    assert.ok(c.logs.some((l) => l.includes(`1 UnusedPermission finding (1 role) from ${ANALYZER}`)), c.logs.join('\n'));
    assert.ok(!everythingSaid(c, progress).includes(SECRET));
    await c.stop();
  }

  // the cache: one file, the findings and what they are of, no credential
  const files = readdirSync(storage);
  assert.equal(files.length, 1, files.join(', '));
  assert.match(files[0], /^live-findings-[0-9a-f]{24}\.json$/);
  const text = readFileSync(path.join(storage, files[0]), 'utf8');
  assert.ok(!text.includes(SECRET), 'no secret key in the cache');
  assert.ok(!text.includes(KEY_ID), 'no access key id in the cache');
  assert.ok(!/secret|session|token|credential|authorization|signature/i.test(text), text.slice(0, 400));
  const cache = JSON.parse(text);
  assert.deepEqual(Object.keys(cache).sort(), ['analyzerArn', 'fetchedAt', 'findings', 'format', 'region', 'roles', 'rolesWithoutFindings']);
  assert.equal(cache.findings.length, 1);
  assert.equal(cache.findings[0].id, 'f-app');
  assert.equal(cache.findings[0].findingDetails.length, 2);

  // 2. offline: Access Analyzer is gone; the cache is loaded first and stays in use
  const requestsBefore = f.requests.length;
  await f.close();
  {
    const { c, progress } = await startLive({ folders: [dir], storagePath: storage, endpoint: f.url, trusted: true });
    const uri = c.open(policy);
    // fresh enough (refresh interval 60 min): the findings are there without any request
    await c.waitForDiagnostics(uri, (d) => unused(d).length === 9, 15_000);
    await c.waitForStatus((s) => liveOf(s)?.state === 'ok');
    const refreshed = await c.request<LiveRefreshResult>('iamRefiner/liveRefresh', {});
    assert.equal(refreshed.folders.length, 1);
    const r = refreshed.folders[0];
    assert.equal(r.ok, false);
    assert.match(r.message, /^Access Analyzer \(us-east-1\): could not reach Access Analyzer at http:\/\/127\.0\.0\.1:\d+ \(connection refused\): .* \(offline: using findings from just now\)$/);
    assert.equal(r.message.split('\n').length, 1);
    const status = await c.waitForStatus((s) => liveOf(s)?.state === 'offline');
    const live = liveOf(status)!;
    assert.match(live.message!, /^could not reach Access Analyzer/);
    assert.equal(status.folders[0].sources.find((s) => s.kind === 'live')!.error, undefined, 'the cache is in use: not an error');
    assert.ok(c.logs.some((l) => /\(offline: using findings from just now\)$/.test(l)), c.logs.join('\n'));
    // still the live findings' diagnostics
    assert.equal(unused(c.diagnostics.get(uri)!.diagnostics).length, 9);
    assert.ok(!/\\n\s+at /.test(JSON.stringify(status)), 'no stack trace in the status');
    assert.ok(!everythingSaid(c, progress).includes(SECRET));
    // the saved-findings request gives the cached findings as a findings file
    const saved = await c.request<LiveFindingsResult>('iamRefiner/liveFindings', {});
    assert.equal(saved.folders.length, 1);
    assert.deepEqual(JSON.parse(saved.folders[0].text).findings.map((x: { id: string }) => x.id), ['f-app']);
    await c.stop();
  }
  assert.equal(f.requests.length, requestsBefore);
});

test('an expired token is one sentence in the status and the refresh answer; nothing cached: no findings', async () => {
  const f = await fake(seed({ faults: { expiredToken: true } }));
  const dir = workspace({ 'policy.json': examplePolicy() });
  // a profile is named: the SDK uses it (not the environment's keys); the fake answers "expired" to anything signed
  writeFileSync(process.env.AWS_CONFIG_FILE!, '[profile dev]\nregion = us-east-1\n');
  writeFileSync(process.env.AWS_SHARED_CREDENTIALS_FILE!, `[dev]\naws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET}\n`);
  const { c, progress } = await startLive({ folders: [dir], storagePath: tempDir('iam-lsp-live-storage-'), endpoint: f.url, trusted: true, live: { profile: 'dev' } });
  const uri = c.open(path.join(dir, 'policy.json'));
  const expected = 'the AWS session token has expired: run `aws sso login --profile dev` (or refresh the temporary credentials) and try again';
  const status = await c.waitForStatus((s) => liveOf(s)?.state === 'error', 15_000);
  const source = status.folders[0].sources.find((s) => s.kind === 'live')!;
  assert.equal(source.error, expected);
  assert.equal(source.live!.message, expected);
  assert.equal(source.findings, 0);
  const ds = await c.waitForDiagnostics(uri);
  assert.equal(unused(ds).length, 0);
  assert.ok(c.logs.some((l) => l.endsWith(`findings Access Analyzer (us-east-1): ${expected}`)), c.logs.join('\n'));
  const r = await c.request<LiveRefreshResult>('iamRefiner/liveRefresh', {});
  assert.deepEqual(r.folders.map((x) => [x.ok, x.message]), [[false, `Access Analyzer (us-east-1): ${expected}`]]);
  assert.ok(!everythingSaid(c, progress).includes(SECRET));
  assert.ok(f.requests.every((q) => q.errorType === 'ExpiredTokenException'));
});

test('the endpoint comes from the client only: workspace settings and iam-refiner.json cannot redirect requests', async () => {
  const good = await fake(seed());
  const trap = await fake(seed());
  const dir = workspace({ 'policy.json': examplePolicy(), 'iam-refiner.json': { roles: { 'policy.json': [APP] }, live: { endpoint: trap.url } } });
  const { c } = await startLive({ folders: [dir], storagePath: tempDir('iam-lsp-live-storage-'), endpoint: good.url, trusted: true, live: { endpoint: trap.url }, settings: { endpoint: trap.url } });
  const uri = c.open(path.join(dir, 'policy.json'));
  await c.waitForDiagnostics(uri, (d) => unused(d).length === 9, 15_000);
  assert.ok(good.count('ListFindingsV2') > 0);
  // the client changing the workspace settings (with an endpoint) reloads, and still nothing goes to the trap
  c.setSettings({ '*': { live: { enabled: true, region: REGION, endpoint: trap.url } } });
  await c.request<LiveRefreshResult>('iamRefiner/liveRefresh', {});
  assert.equal(trap.requests.length, 0, 'the endpoint of the workspace settings was contacted');
  // the client (machine setting) may change it: then it is used
  void c.connection.sendNotification('iamRefiner/liveOptions', { endpoint: trap.url, trusted: true });
  // (the refresh waits for the reload the notification started)
  const r = await c.request<LiveRefreshResult>('iamRefiner/liveRefresh', {});
  assert.equal(r.folders[0].ok, true, r.folders[0].message);
  assert.equal(trap.count('GetFindingV2'), 1);
});

test('roles bound in iam-refiner.json: only they are fetched; a role without finding is said plainly', async () => {
  const f = await fake(seed({ findings: { 'f-app': { resource: APP, details: exampleDetails() }, 'f-other': { resource: OTHER, details: [upd('sqs', ['SendMessage'], EXAMPLE_LAST_ACCESSED)] } } }));
  const dir = workspace({ 'policy.json': examplePolicy(), 'reader.json': examplePolicy(), 'iam-refiner.json': { roles: { 'policy.json': [APP], 'reader.json': [READER] } } });
  const { c } = await startLive({ folders: [dir], endpoint: f.url, trusted: true });
  const app = c.open(path.join(dir, 'policy.json'));
  const reader = c.open(path.join(dir, 'reader.json'));
  await c.waitForDiagnostics(app, (d) => unused(d).length === 9, 15_000);
  const status = await c.waitForStatus((s) => liveOf(s)?.state === 'ok' && !!s.documents[reader]);
  assert.deepEqual(liveOf(status)!.roles, [READER, APP]);
  assert.deepEqual(liveOf(status)!.rolesWithoutFindings, [READER]);
  assert.equal(unused(c.diagnostics.get(reader)!.diagnostics).length, 0, 'Reader leaves nothing unused');
  const list = f.requests.filter((r) => r.operation === 'ListFindingsV2');
  assert.deepEqual(list[0].body.filter.resource, { eq: [READER, APP] });
  assert.equal(f.count('GetFindingV2'), 1, 'the other role is not fetched');
  assert.ok(c.logs.some((l) => l.endsWith(`${READER}: nothing unused (no active UnusedPermission finding)`)), c.logs.join('\n'));
  const r = await c.request<LiveRefreshResult>('iamRefiner/liveRefresh', {});
  assert.equal(r.folders[0].message, '1 finding from Access Analyzer (us-east-1); Reader: nothing unused');
  // iam-refiner.json half-edited (does not parse): the roles read before stay, nothing is fetched again
  const listed = f.count('ListFindingsV2');
  const config = path.join(dir, 'iam-refiner.json');
  const configUri = c.open(config);
  c.change(configUri, '{ "roles": { "policy.json": ["arn:aws:iam::123456789012:role/ap');
  await c.waitForDiagnostics(configUri, (d) => d.some((x) => x.code === 'invalid-config'));
  const after = await c.waitForStatus((s) => !!s.folders[0]?.configError);
  assert.deepEqual(liveOf(after)!.roles, [READER, APP]);
  assert.equal(f.count('ListFindingsV2'), listed);
});

test('untrusted workspace: no request, the status says so; trusting it fetches', async () => {
  const f = await fake(seed());
  const dir = workspace({ 'policy.json': examplePolicy() });
  const { c } = await startLive({ folders: [dir], endpoint: f.url, trusted: false });
  const uri = c.open(path.join(dir, 'policy.json'));
  const status = await c.waitForStatus((s) => liveOf(s)?.state === 'untrusted');
  assert.match(liveOf(status)!.message!, /Restricted Mode/);
  const r = await c.request<LiveRefreshResult>('iamRefiner/liveRefresh', {});
  assert.deepEqual(r.folders, []);
  assert.match(r.reason!, /Restricted Mode/);
  const rec = await c.request<AwsRecommendationResult>('iamRefiner/awsRecommendation', { uri });
  assert.equal(rec.kind, 'error');
  assert.equal(f.requests.length, 0);
  void c.connection.sendNotification('iamRefiner/liveOptions', { endpoint: f.url, trusted: true });
  await c.waitForDiagnostics(uri, (d) => unused(d).length === 9, 15_000);
  assert.ok(f.count('GetFindingV2') > 0);
});

test("compare with AWS's recommendation: the recommended policy, the local refinement, how they differ; DETACH_POLICY", async () => {
  const OLD = roleArn('old');
  const oldPolicy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: '*' }] }, null, 2);
  const f = await fake(
    seed({
      findings: { 'f-app': { resource: APP, details: exampleDetails() }, 'f-old': { resource: OLD, details: [upd('sqs')] } },
      recommendations: {
        'f-app': {
          recommendationType: 'UNUSED_PERMISSION_RECOMMENDATION',
          steps: [
            { recommendedAction: 'CREATE_POLICY', existingPolicyId: 'arn:aws:iam::123456789012:policy/policy', recommendedPolicy: awsPolicyForExample() },
            { recommendedAction: 'DETACH_POLICY', existingPolicyId: 'other-inline' },
          ],
        },
        'f-old': { steps: [{ recommendedAction: 'DETACH_POLICY', existingPolicyId: 'old-policy' }] },
      },
    }),
  );
  const dir = workspace({ 'policy.json': examplePolicy(), 'old-policy.json': oldPolicy, 'iam-refiner.json': { roles: { 'policy.json': [APP], 'old-policy.json': [OLD] } } });
  const { c, progress } = await startLive({ folders: [dir], endpoint: f.url, trusted: true });
  const uri = c.open(path.join(dir, 'policy.json'));
  await c.waitForDiagnostics(uri, (d) => unused(d).length === 9, 15_000);
  const listed = f.count('ListFindingsV2');

  const r = await c.request<AwsRecommendationResult>('iamRefiner/awsRecommendation', { uri });
  assert.equal(r.kind, 'ok', JSON.stringify(r));
  if (r.kind !== 'ok') return;
  assert.equal(r.role, APP);
  assert.equal(r.findingId, 'f-app');
  assert.equal(r.analyzerArn, ANALYZER);
  assert.equal(f.count('ListFindingsV2'), listed, 'the finding id came from the live findings in use');
  assert.equal(r.items.length, 2);
  assert.equal(r.chosen, 0, 'policy.json is the policy named "policy"');
  const it = r.items[0];
  assert.equal(it.detach, false);
  assert.deepEqual(JSON.parse(it.recommendedPolicy!), JSON.parse(awsPolicyForExample()));
  assert.deepEqual(it.onlyLocal, ['s3:GetObjectAcl']);
  assert.deepEqual(it.onlyAws, ['s3:GetBucketAcl']);
  assert.equal(it.summary, "the local refinement keeps 1 action AWS's drops: s3:GetObjectAcl; AWS's recommendation keeps 1 action the local refinement drops: s3:GetBucketAcl");
  // the local refinement of the document's current text
  const local = JSON.parse(r.localText!);
  assert.deepEqual(local.Statement[1].Action, [...EXPECTED_S3, 's3:List*']);
  assert.equal(r.items[1].detach, true);
  assert.equal(r.items[1].policyId, 'other-inline');

  // DETACH_POLICY for a policy whose every permission is unused
  const old = c.open(path.join(dir, 'old-policy.json'));
  await c.waitForDiagnostics(old, (d) => unused(d).length === 1);
  const d = await c.request<AwsRecommendationResult>('iamRefiner/awsRecommendation', { uri: old });
  assert.equal(d.kind, 'ok', JSON.stringify(d));
  if (d.kind !== 'ok') return;
  assert.equal(d.localText, undefined);
  assert.match(d.localNote!, /^every permission in this policy is unused/);
  assert.deepEqual(d.items.map((x) => [x.policyId, x.detach, x.recommendedPolicy]), [['old-policy', true, undefined]]);
  assert.equal(d.items[0].summary, 'AWS recommends detaching this policy; the local refinement agrees: every permission in it is unused');

  // a document bound to none of the roles the findings concern: the user is asked which; a role with no finding
  writeFileSync(path.join(dir, 'lonely.json'), oldPolicy);
  const lonely = c.open(path.join(dir, 'lonely.json'));
  await c.waitForDiagnostics(lonely, (ds) => ds.some((x) => x.code === 'unbound-policy'));
  const ask = await c.request<AwsRecommendationResult>('iamRefiner/awsRecommendation', { uri: lonely });
  assert.deepEqual(ask, { kind: 'choose-role', roles: [APP, OLD] });
  const nobody = await c.request<AwsRecommendationResult>('iamRefiner/awsRecommendation', { uri, role: READER });
  assert.deepEqual(nobody, { kind: 'nothing', message: 'Reader: nothing unused (no active UnusedPermission finding), so AWS has nothing to recommend' });
  assert.ok(!everythingSaid(c, progress).includes(SECRET));
});

test('a fetch is cancelled from its progress; the cached findings stay', async () => {
  const f = await fake(seed({ faults: { latencyMs: 200 } }));
  const dir = workspace({ 'policy.json': examplePolicy() });
  const { c, nextProgress } = await startLive({ folders: [dir], endpoint: f.url, trusted: true });
  const uri = c.open(path.join(dir, 'policy.json'));
  await c.waitForDiagnostics(uri, (d) => unused(d).length === 9, 15_000);
  // cancel as soon as the refresh's progress begins
  const begun = nextProgress((p) => p.value.kind === 'begin');
  const refresh = c.request<LiveRefreshResult>('iamRefiner/liveRefresh', {});
  const { token } = await begun;
  void c.connection.sendNotification('window/workDoneProgress/cancel', { token });
  const r = await refresh;
  assert.equal(r.folders[0].cancelled, true);
  assert.equal(r.folders[0].message, 'fetching from Access Analyzer (us-east-1) was cancelled');
  assert.equal(unused(c.diagnostics.get(uri)!.diagnostics).length, 9);
  await c.waitForStatus((s) => liveOf(s)?.state === 'ok');
  assert.ok(c.logs.some((l) => l === 'Access Analyzer (us-east-1): fetch cancelled; using the findings fetched just now'), c.logs.join('\n'));
});
