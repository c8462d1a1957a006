/**
 * Live mode against a local fake of IAM Access Analyzer, through the real AWS SDK client: analyzer
 * choice, paging, filters, retries, errors a user meets, AWS's recommendation, the CLI commands,
 * and that no credential ever leaks.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { startFakeAccessAnalyzer, FakeSeed, FakeAccessAnalyzer } from '../support/fakeAccessAnalyzer';
import { cli } from '../support/cli';
import { EXAMPLE, EXPECTED_S3 } from '../support/example';
import { awsPolicyForExample, exampleDetails, isolateAwsEnvironment, upd } from '../support/liveFixtures';
import {
  AwsCallError, CancelledError, LiveError, NoAnalyzerError, backoffDelay, classifyError, comparePolicies, createClient, fetchFindings, findUnusedAccessAnalyzer,
  friendlyError, normalizeRecommendationType, requestRecommendation, validateEndpoint, RetryOptions,
} from '../../server/src/live/accessAnalyzer';
import { fetchCommand, recommendCommand } from '../../server/src/cli/live';
import { CliIO } from '../../server/src/cli/io';
import { Universe, parseFindings } from '../../server/src/core';
import { defaultCatalog } from '../../server/src/workspace/catalogFile';

// ---------------------------------------------------------------------------------------------
// fixtures

const KEY_ID = 'AKIAFAKEKEYID0000001';
const SECRET = 'fAkeSecretKey/DoNotLeak+0123456789abcdefXY';
const CREDS = { accessKeyId: KEY_ID, secretAccessKey: SECRET };
const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const analyzerArn = (name: string) => `arn:aws:access-analyzer:${REGION}:${ACCOUNT}:analyzer/${name}`;
const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const A_ACCOUNT = analyzerArn('account-unused');
const A_ORG = analyzerArn('org-unused');
const APP = roleArn('app');

/** Retries a few milliseconds apart (the SDK's retry middleware really waits). */
const FAST: RetryOptions = { baseDelayMs: 2, maxDelayMs: 20 };

/** Instant pauses between recommendation polls, recorded. */
const instantSleep = (delays: number[] = []) => async (ms: number) => void delays.push(ms);

function seed(extra: Partial<FakeSeed> = {}): FakeSeed {
  return {
    region: REGION,
    credentials: CREDS,
    analyzers: [{ arn: A_ACCOUNT, type: 'ACCOUNT_UNUSED_ACCESS', unusedAccessAge: 90 }],
    findings: { 'f-app': { analyzerArn: A_ACCOUNT, resource: APP, details: exampleDetails() } },
    ...extra,
  };
}

const servers: FakeAccessAnalyzer[] = [];
async function fake(s: FakeSeed): Promise<FakeAccessAnalyzer> {
  const f = await startFakeAccessAnalyzer(s);
  servers.push(f);
  return f;
}
const clientFor = (f: FakeAccessAnalyzer, credentials: { accessKeyId: string; secretAccessKey: string } = CREDS, retry: RetryOptions = FAST) =>
  createClient({ region: REGION, endpoint: f.url, credentials, retry });

/** Captured CLI output; `env` as the CLI would see it. */
function capture(cwd: string): CliIO & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return { out: (t) => void (out += t), err: (t) => void (err += t), cwd, env: {}, stdout: () => out, stderr: () => err };
}

const workdir = () => mkdtempSync(join(tmpdir(), 'iam-refine-live-'));

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected a rejection');
}

let home: string;
let restoreEnv: () => void;

before(() => {
  // an isolated AWS environment: no real profile, file or instance role can be used by accident
  home = mkdtempSync(join(tmpdir(), 'iam-refine-home-'));
  restoreEnv = isolateAwsEnvironment(home);
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
});

after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  restoreEnv();
});

/** Credentials for the CLI, which only uses the SDK's default chain. */
function withEnvCredentials<T>(fn: () => Promise<T>): Promise<T> {
  process.env.AWS_ACCESS_KEY_ID = KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = SECRET;
  return fn().finally(() => {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
  });
}

// ---------------------------------------------------------------------------------------------
// analyzer

test('analyzer: an ACTIVE ACCOUNT_UNUSED_ACCESS analyzer is chosen first, found on a later ListAnalyzers page', async () => {
  const f = await fake(
    seed({
      pageSize: 1,
      analyzers: [
        { arn: analyzerArn('external'), type: 'ACCOUNT' },
        { arn: A_ORG, type: 'ORGANIZATION_UNUSED_ACCESS' },
        { arn: analyzerArn('new'), type: 'ACCOUNT_UNUSED_ACCESS', status: 'CREATING' },
        { arn: A_ACCOUNT, type: 'ACCOUNT_UNUSED_ACCESS', unusedAccessAge: 90 },
      ],
    }),
  );
  const a = await findUnusedAccessAnalyzer({ client: clientFor(f) });
  assert.deepEqual(a, { arn: A_ACCOUNT, name: 'account-unused', type: 'ACCOUNT_UNUSED_ACCESS', status: 'ACTIVE', unusedAccessAge: 90 });
  const calls = f.requests.filter((r) => r.operation === 'ListAnalyzers');
  assert.deepEqual(calls.map((r) => r.query.type), ['ACCOUNT_UNUSED_ACCESS', 'ACCOUNT_UNUSED_ACCESS']);
  assert.equal(calls[0].query.nextToken, undefined);
  assert.ok(calls[1].query.nextToken, 'the second page is asked for with the token');
  for (const r of f.requests) assert.match(String(r.headers.authorization), /^AWS4-HMAC-SHA256 Credential=AKIAFAKEKEYID0000001\/\d{8}\/us-east-1\/access-analyzer\/aws4_request, /);
});

test('analyzer: without an account one, the ORGANIZATION_UNUSED_ACCESS analyzer; a configured ARN is used without lookup', async () => {
  const f = await fake(seed({ analyzers: [{ arn: analyzerArn('external'), type: 'ACCOUNT' }, { arn: A_ORG, type: 'ORGANIZATION_UNUSED_ACCESS' }] }));
  const a = await findUnusedAccessAnalyzer({ client: clientFor(f) });
  assert.equal(a.arn, A_ORG);
  assert.deepEqual(f.requests.map((r) => r.query.type), ['ACCOUNT_UNUSED_ACCESS', 'ORGANIZATION_UNUSED_ACCESS']);
  const before = f.requests.length;
  assert.deepEqual(await findUnusedAccessAnalyzer({ client: clientFor(f), analyzerArn: A_ORG }), { arn: A_ORG });
  assert.equal(f.requests.length, before);
});

test('analyzer: none ACTIVE is a clear message saying how to create one', async () => {
  const f = await fake(seed({ analyzers: [{ arn: analyzerArn('external'), type: 'ACCOUNT' }, { arn: analyzerArn('new'), type: 'ACCOUNT_UNUSED_ACCESS', status: 'CREATING' }], findings: {} }));
  const e = await rejection(fetchFindings({ client: clientFor(f) }));
  assert.ok(e instanceof NoAnalyzerError);
  assert.equal(classifyError(e), 'no-analyzer');
  const msg = friendlyError(e, { region: REGION });
  assert.ok(msg.includes('aws accessanalyzer create-analyzer --analyzer-name unused-access --type ACCOUNT_UNUSED_ACCESS'), msg);
  assert.ok(msg.includes('analyzer/new, CREATING'), msg);
  assert.equal(msg.split('\n').length, 1);
  // a configured analyzer that does not exist
  const e2 = await rejection(fetchFindings({ client: clientFor(f), analyzerArn: analyzerArn('gone') }));
  assert.equal(classifyError(e2), 'analyzer-not-found');
  assert.match(friendlyError(e2, { analyzerArn: analyzerArn('gone'), region: REGION }), /^the analyzer arn:aws:access-analyzer:us-east-1:123456789012:analyzer\/gone was not found in us-east-1/);
});

// ---------------------------------------------------------------------------------------------
// findings

function manyFindings(): FakeSeed['findings'] {
  const details = [upd('s3', ['GetBucketAcl', 'GetBucketCORS']), upd('ec2'), upd('lambda', ['CreateFunction']), upd('dynamodb', []), upd('sqs', ['sqs:SendMessage'])];
  return {
    'f-1': { analyzerArn: A_ACCOUNT, resource: roleArn('r1'), details },
    'f-2': { analyzerArn: A_ACCOUNT, resource: roleArn('r2'), details: [upd('iam', ['PassRole'])] },
    'f-3': { analyzerArn: A_ACCOUNT, resource: roleArn('r3'), details: [upd('kms', ['Decrypt'])] },
    'f-4': { analyzerArn: A_ACCOUNT, resource: roleArn('r4'), details: [upd('sns', ['Publish'])] },
    'f-5': { analyzerArn: A_ACCOUNT, resource: roleArn('r5'), details: [upd('logs', ['PutLogEvents'])] },
    'f-archived': { analyzerArn: A_ACCOUNT, resource: roleArn('r1'), status: 'ARCHIVED', details: [upd('s3', ['GetObject'])] },
    'f-role-unused': { analyzerArn: A_ACCOUNT, resource: roleArn('r6'), findingType: 'UnusedIAMRole', details: [{ unusedIamRoleDetails: { lastAccessed: '2024-01-01T00:00:00Z' } }] },
    'f-other-analyzer': { analyzerArn: A_ORG, resource: roleArn('r1'), details: [upd('s3', ['PutObject'])] },
  };
}

test('findings: every ListFindingsV2 page and every findingDetails page, filtered on UnusedPermission and ACTIVE, with bounded concurrency', async () => {
  const f = await fake(seed({ pageSize: 2, analyzers: [{ arn: A_ACCOUNT, type: 'ACCOUNT_UNUSED_ACCESS' }, { arn: A_ORG, type: 'ORGANIZATION_UNUSED_ACCESS' }], findings: manyFindings(), faults: { latencyMs: 15 } }));
  const progress: string[] = [];
  const r = await fetchFindings({ client: clientFor(f), concurrency: 2, onProgress: (p) => progress.push(`${p.phase}:${p.listed}:${p.fetched}`) });
  assert.equal(r.analyzer.arn, A_ACCOUNT);
  assert.deepEqual(r.findings.map((x) => x.id), ['f-1', 'f-2', 'f-3', 'f-4', 'f-5']);
  assert.deepEqual(r.rolesWithoutFindings, []);
  // the filter sent
  const lists = f.requests.filter((q) => q.operation === 'ListFindingsV2');
  assert.equal(lists.length, 3, '5 findings at 2 a page');
  for (const q of lists) {
    assert.equal(q.body.analyzerArn, A_ACCOUNT);
    assert.deepEqual(q.body.filter, { findingType: { eq: ['UnusedPermission'] }, status: { eq: ['ACTIVE'] } });
  }
  assert.ok(lists[1].body.nextToken && lists[2].body.nextToken && lists[1].body.nextToken !== lists[2].body.nextToken);
  // f-1's five details come in three pages, merged in order
  const f1 = r.findings[0];
  assert.equal(f.requests.filter((q) => q.operation === 'GetFindingV2' && q.path === '/findingv2/f-1').length, 3);
  assert.deepEqual(f1.findingDetails.map((d) => (d as any).unusedPermissionDetails.serviceNamespace), ['s3', 'ec2', 'lambda', 'dynamodb', 'sqs']);
  assert.deepEqual((f1.findingDetails[1] as any).unusedPermissionDetails, { serviceNamespace: 'ec2' });
  assert.equal(f1.resource, roleArn('r1'));
  assert.equal(f1.findingType, 'UnusedPermission');
  assert.equal(f1.status, 'ACTIVE');
  for (const q of f.requests.filter((x) => x.operation === 'GetFindingV2')) assert.equal(q.query.analyzerArn, A_ACCOUNT);
  // plain JSON, timestamps as RFC 3339 strings
  assert.equal(typeof f1.analyzedAt, 'string');
  assert.match(f1.analyzedAt!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  assert.deepEqual(JSON.parse(JSON.stringify(r.findings)), r.findings);
  assert.ok(!('$metadata' in f1) && !('nextToken' in f1));
  // concurrency: more than one at a time, never more than asked
  assert.ok(f.maxInFlight <= 2, `max in flight ${f.maxInFlight}`);
  assert.equal(f.maxInFlight, 2);
  assert.equal(progress[0], 'analyzer:0:0');
  assert.equal(progress[progress.length - 1], 'done:5:5');
});

test('findings: named roles go in the resource filter (20 a request), and roles without a finding are reported, not failed', async () => {
  const f = await fake(seed({ findings: manyFindings() }));
  const roles = [roleArn('r2'), ...Array.from({ length: 22 }, (_, i) => roleArn(`idle-${i}`)), roleArn('r5')];
  const r = await fetchFindings({ client: clientFor(f), roles });
  assert.deepEqual(r.findings.map((x) => x.resource), [roleArn('r2'), roleArn('r5')]);
  assert.deepEqual(r.rolesWithoutFindings, roles.filter((x) => x.includes('idle-')));
  const sent = f.requests.filter((q) => q.operation === 'ListFindingsV2').map((q) => q.body.filter);
  assert.equal(sent.length, 2);
  assert.deepEqual(sent[0].resource.eq, roles.slice(0, 20));
  assert.deepEqual(sent[1].resource.eq, roles.slice(20));
  for (const s of sent) assert.deepEqual([s.findingType, s.status], [{ eq: ['UnusedPermission'] }, { eq: ['ACTIVE'] }]);
});

test('findings: throttling is retried by the SDK with growing backoff, and Retry-After is honoured', async () => {
  // the backoff curve: exponential from the base, half of it jitter, capped
  for (let attempt = 1; attempt <= 8; attempt++) {
    const d = backoffDelay(attempt, { baseDelayMs: 100, maxDelayMs: 5000 });
    const exp = Math.min(5000, 100 * 2 ** (attempt - 1));
    assert.ok(d >= exp / 2 - 1 && d <= exp, `attempt ${attempt}: ${d}`);
  }
  const f = await fake(seed({ faults: { throttleFirst: 3 } }));
  const r = await fetchFindings({ client: clientFor(f, CREDS, { baseDelayMs: 40, maxDelayMs: 1000 }) });
  assert.equal(r.findings.length, 1);
  assert.equal(f.requests.filter((q) => q.errorType === 'ThrottlingException').length, 3);
  // the same request again (the first ListAnalyzers), after growing pauses: at least 20, 40, 80 ms
  assert.deepEqual(f.requests.slice(0, 4).map((q) => q.operation), ['ListAnalyzers', 'ListAnalyzers', 'ListAnalyzers', 'ListAnalyzers']);
  const gaps = f.requests.slice(1, 4).map((q, i) => q.at - f.requests[i].at);
  gaps.forEach((g, i) => assert.ok(g >= 20 * 2 ** i - 2, `gaps ${gaps}`));
  assert.ok(gaps[2] > gaps[0], `delays grow: ${gaps}`);
  // each attempt is signed afresh and counted in the SDK's retry header
  assert.deepEqual(f.requests.slice(0, 4).map((q) => q.headers['amz-sdk-request']), [1, 2, 3, 4].map((n) => `attempt=${n}; max=6`));

  const g = await fake(seed({ faults: { throttleFirst: 1, retryAfterSeconds: 1 } }));
  await fetchFindings({ client: clientFor(g) });
  const wait = g.requests[1].at - g.requests[0].at;
  assert.ok(wait >= 950 && wait < 3000, `Retry-After: 1 waited ${wait} ms`);

  const h = await fake(seed({ faults: { throttleFirst: 1000 } }));
  const e = await rejection(fetchFindings({ client: clientFor(h, CREDS, { ...FAST, maxAttempts: 4 }) }));
  assert.equal(h.requests.length, 4);
  assert.equal(friendlyError(e), 'Access Analyzer is throttling the requests (still after 4 attempts): wait a minute and try again');
});

test('findings: a server error is retried too; a finding that vanished between list and get is said plainly', async () => {
  const f = await fake(seed({ faults: { internalErrorFirst: 2 } }));
  assert.equal((await fetchFindings({ client: clientFor(f) })).findings.length, 1);
  const e = new AwsCallError('GetFindingV2', Object.assign(new Error('Finding f-x not found'), { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } }), 1);
  assert.match(friendlyError(e), /^the finding no longer exists/);
});

test('findings: cancellable through an AbortSignal', async () => {
  const f = await fake(seed({ findings: manyFindings(), faults: { latencyMs: 1000 } }));
  const ac = new AbortController();
  const t = Date.now();
  const p = fetchFindings({ client: clientFor(f), signal: ac.signal });
  setTimeout(() => ac.abort(), 30);
  const e = await rejection(p);
  assert.ok(e instanceof CancelledError, String(e));
  assert.equal(friendlyError(e), 'cancelled');
  assert.ok(Date.now() - t < 800, 'stops at once, not after the response');
  // and while the SDK waits to retry a throttled request
  const g = await fake(seed({ faults: { throttleFirst: 1000 } }));
  const ac2 = new AbortController();
  const t2 = Date.now();
  const p2 = fetchFindings({ client: clientFor(g, CREDS, { baseDelayMs: 2000, maxDelayMs: 2000 }), signal: ac2.signal });
  setTimeout(() => ac2.abort(), 100);
  assert.ok((await rejection(p2)) instanceof CancelledError);
  assert.ok(Date.now() - t2 < 800, 'stops at once, not after the backoff');
  assert.equal(g.requests.length, 1);
});

// ---------------------------------------------------------------------------------------------
// errors a user meets

test('errors: an expired session token names the aws sso login command that fixes it', async () => {
  const f = await fake(seed({ faults: { expiredToken: true } }));
  const e = await rejection(fetchFindings({ client: clientFor(f) }));
  // what the SDK surfaces: a service exception named after the x-amzn-errortype header, status 403
  const cause = (e as AwsCallError).cause as { name: string; $metadata: { httpStatusCode: number } };
  assert.equal(cause.name, 'ExpiredTokenException');
  assert.equal(cause.$metadata.httpStatusCode, 403);
  assert.equal(f.requests.length, 1, 'not retried');
  assert.equal(classifyError(e), 'token-expired');
  assert.equal(friendlyError(e, { profile: 'dev' }), 'the AWS session token has expired: run `aws sso login --profile dev` (or refresh the temporary credentials) and try again');
  assert.match(friendlyError(e, { env: {} }), /aws sso login --profile default/);
  assert.match(friendlyError(e, { env: { AWS_PROFILE: 'team' } }), /aws sso login --profile team/);
});

test('errors: an expired SSO session in the shared config (resolved by the SDK) says which profile to log in again', async () => {
  const start = 'https://example.awsapps.com/start';
  // a config file of its own: the SDK caches what it read by path
  const previous = process.env.AWS_CONFIG_FILE;
  process.env.AWS_CONFIG_FILE = join(home, 'aws-config-sso');
  writeFileSync(
    process.env.AWS_CONFIG_FILE,
    `[profile corp-dev]\nsso_start_url = ${start}\nsso_region = us-east-1\nsso_account_id = ${ACCOUNT}\nsso_role_name = Dev\nregion = us-east-1\n`,
  );
  const cache = join(home, '.aws', 'sso', 'cache');
  mkdirSync(cache, { recursive: true });
  writeFileSync(join(cache, createHash('sha1').update(start).digest('hex') + '.json'), JSON.stringify({ startUrl: start, region: 'us-east-1', accessToken: 'expired', expiresAt: '2020-01-01T00:00:00Z' }));
  const f = await fake(seed());
  try {
    const client = createClient({ region: REGION, endpoint: f.url, profile: 'corp-dev', retry: FAST });
    const e = await rejection(fetchFindings({ client }));
    assert.equal(classifyError(e), 'sso-expired');
    assert.equal(friendlyError(e, { profile: 'corp-dev' }), 'the AWS SSO session for profile "corp-dev" has expired or is missing: run `aws sso login --profile corp-dev` and try again');
    assert.equal(f.requests.length, 0, 'nothing sent without credentials');
  } finally {
    process.env.AWS_CONFIG_FILE = previous;
  }
});

test('errors: no credentials at all', async () => {
  const f = await fake(seed());
  const e = await rejection(fetchFindings({ client: createClient({ region: REGION, endpoint: f.url, retry: FAST }) }));
  assert.equal(classifyError(e), 'no-credentials');
  assert.match(friendlyError(e, {}), /^no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, choose a configured profile \(--profile NAME\)/);
  assert.match(friendlyError(e, { surface: 'editor' }), /choose a configured profile \(the iamRefiner\.live\.profile setting\)/);
  assert.match(friendlyError(e, { profile: 'nope' }), /^no AWS credentials found for profile "nope": check that the profile exists/);
  assert.equal(f.requests.length, 0);
});

test('errors: access denied names the missing access-analyzer permission of the operation that failed', async () => {
  const f = await fake(seed({ faults: { deny: ['ListFindingsV2'] } }));
  const e = await rejection(fetchFindings({ client: clientFor(f) }));
  assert.equal(classifyError(e), 'access-denied');
  assert.equal(friendlyError(e), 'access denied: the credentials in use lack access-analyzer:ListFindings, needed to list findings (ListFindingsV2)');
  // without AWS's wording, the operation tells which permission
  // (five findings read concurrently: the first denial cancels the others, and is the error reported)
  const g = await fake(seed({ findings: manyFindings(), faults: { deny: ['GetFindingV2'], denyMessage: 'terse', latencyMs: 5 } }));
  assert.equal(friendlyError(await rejection(fetchFindings({ client: clientFor(g) }))), 'access denied: the credentials in use lack access-analyzer:GetFinding, needed to read a finding (GetFindingV2)');
  const h = await fake(seed({ faults: { deny: ['ListAnalyzers'], denyMessage: 'terse' } }));
  assert.match(friendlyError(await rejection(fetchFindings({ client: clientFor(h) }))), /lack access-analyzer:ListAnalyzers, needed to find the unused-access analyzer/);
  const k = await fake(seed({ faults: { deny: ['GenerateFindingRecommendation'], denyMessage: 'terse' } }));
  const e4 = await rejection(requestRecommendation({ client: clientFor(k), analyzerArn: A_ACCOUNT, findingId: 'f-app' }));
  assert.match(friendlyError(e4), /lack access-analyzer:GenerateFindingRecommendation/);
});

test('errors: network down or endpoint unreachable', async () => {
  const port = await closedPort();
  const endpoint = `http://127.0.0.1:${port}`;
  const e = await rejection(fetchFindings({ client: createClient({ region: REGION, endpoint, credentials: CREDS, retry: FAST }) }));
  assert.equal(classifyError(e), 'network');
  assert.equal(friendlyError(e, { endpoint }), `could not reach Access Analyzer at ${endpoint} (connection refused): check the network connection, proxy and the endpoint`);
  assert.match(friendlyError(e, { region: 'eu-west-1' }), /^could not reach Access Analyzer at https:\/\/access-analyzer\.eu-west-1\.amazonaws\.com \(connection refused\)/);
});

test('errors: the signature is really checked, and a wrong secret key is said plainly', async () => {
  const f = await fake(seed());
  const e = await rejection(fetchFindings({ client: clientFor(f, { accessKeyId: KEY_ID, secretAccessKey: 'not-the-secret' }) }));
  assert.equal(classifyError(e), 'bad-signature');
  assert.match(friendlyError(e), /^AWS rejected the request signature \(InvalidSignatureException\): check the secret access key/);
  const g = await rejection(fetchFindings({ client: clientFor(f, { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: SECRET }) }));
  assert.equal(classifyError(g), 'bad-credentials');
});

test('errors: no region, and endpoint overrides must be https (plain http only on loopback)', async () => {
  const e = await rejection(fetchFindings({ client: createClient({ endpoint: 'http://127.0.0.1:1', credentials: CREDS, retry: FAST }) }));
  assert.equal(classifyError(e), 'no-region');
  assert.match(friendlyError(e), /^no AWS region: pass --region, set AWS_REGION/);
  assert.equal(validateEndpoint('https://vpce-1.access-analyzer.us-east-1.vpce.amazonaws.com'), 'https://vpce-1.access-analyzer.us-east-1.vpce.amazonaws.com');
  assert.equal(validateEndpoint('http://localhost:4566'), 'http://localhost:4566');
  assert.throws(() => createClient({ region: REGION, endpoint: 'http://evil.example.com' }), (x: unknown) => x instanceof LiveError && /must use https/.test(x.message));
  assert.throws(() => createClient({ region: REGION, endpoint: 'not a url' }), /is not a URL/);
  assert.throws(() => createClient({ region: REGION, endpoint: 'https://user:pw@example.com' }), /user name or password/);
});

// ---------------------------------------------------------------------------------------------
// AWS's recommendation

const STEPS = [
  { recommendedAction: 'CREATE_POLICY', existingPolicyId: 'arn:aws:iam::123456789012:policy/app-policy', recommendedPolicy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}]}' },
  { recommendedAction: 'DETACH_POLICY', existingPolicyId: 'arn:aws:iam::123456789012:policy/app-policy' },
  { recommendedAction: 'DETACH_POLICY', existingPolicyId: 'legacy-inline' },
];

test('recommendation: polled IN_PROGRESS -> SUCCEEDED, every page of steps', async () => {
  const f = await fake(seed({ pageSize: 2, recommendations: { 'f-app': { inProgressPolls: 3, steps: STEPS } } }));
  const waits: number[] = [];
  const statuses: string[] = [];
  const rec = await requestRecommendation({ client: clientFor(f), analyzerArn: A_ACCOUNT, findingId: 'f-app', pollIntervalMs: 7, sleep: instantSleep(waits), onPoll: (s) => statuses.push(s) });
  assert.deepEqual(statuses, ['IN_PROGRESS', 'IN_PROGRESS', 'IN_PROGRESS', 'SUCCEEDED']);
  assert.deepEqual(waits, [7, 7, 7]);
  assert.equal(rec.status, 'SUCCEEDED');
  assert.equal(rec.recommendationType, 'UnusedPermissionRecommendation');
  assert.equal(rec.resourceArn, APP);
  assert.deepEqual(
    rec.steps.map((s) => [s.action, s.existingPolicyId]),
    STEPS.map((s) => [s.recommendedAction, s.existingPolicyId]),
  );
  assert.equal(rec.steps[0].recommendedPolicy, STEPS[0].recommendedPolicy);
  assert.match(rec.completedAt!, /^2024-05-01T10:00:09(\.000)?Z$/);
  const gen = f.requests.filter((q) => q.operation === 'GenerateFindingRecommendation');
  assert.equal(gen.length, 1);
  assert.deepEqual([gen[0].method, gen[0].path, gen[0].query.analyzerArn], ['POST', '/recommendation/f-app', A_ACCOUNT]);
  const gets = f.requests.filter((q) => q.operation === 'GetFindingRecommendation');
  assert.equal(gets.length, 5, '3 in progress, then 2 pages of steps');
  assert.ok(gets[4].query.nextToken);
});

test('recommendation: both spellings of recommendationType; FAILED and timeouts are messages', async () => {
  assert.equal(normalizeRecommendationType('UNUSED_PERMISSION_RECOMMENDATION'), 'UnusedPermissionRecommendation');
  assert.equal(normalizeRecommendationType('UnusedPermissionRecommendation'), 'UnusedPermissionRecommendation');
  for (const spelling of ['UNUSED_PERMISSION_RECOMMENDATION', 'UnusedPermissionRecommendation']) {
    const f = await fake(seed({ recommendations: { 'f-app': { recommendationType: spelling, steps: STEPS.slice(2) } } }));
    const rec = await requestRecommendation({ client: clientFor(f), analyzerArn: A_ACCOUNT, findingId: 'f-app' });
    assert.equal(rec.recommendationType, 'UnusedPermissionRecommendation');
    assert.deepEqual(rec.steps, [{ action: 'DETACH_POLICY', existingPolicyId: 'legacy-inline' }]);
  }
  const f = await fake(seed({ recommendations: { 'f-app': { inProgressPolls: 1, status: 'FAILED', error: { code: 'SERVICE_ERROR', message: 'try later' } } } }));
  const e = await rejection(requestRecommendation({ client: clientFor(f), analyzerArn: A_ACCOUNT, findingId: 'f-app' }));
  assert.equal(friendlyError(e), 'AWS could not produce a recommendation for finding f-app (SERVICE_ERROR: try later)');
  const g = await fake(seed({ recommendations: { 'f-app': { inProgressPolls: 100 } } }));
  let clock = 0;
  const e2 = await rejection(
    requestRecommendation({ client: clientFor(g), analyzerArn: A_ACCOUNT, findingId: 'f-app', timeoutMs: 30_000, pollIntervalMs: 2000, now: () => clock, sleep: async (ms) => void (clock += ms) }),
  );
  assert.equal(classifyError(e2), 'recommendation-timeout');
  assert.match(friendlyError(e2), /still in progress after 30 s/);
});

// ---------------------------------------------------------------------------------------------
// comparePolicies

test('comparePolicies: case-insensitive, wildcards expanded over the universe, Allow statements only', () => {
  const u = new Universe(defaultCatalog());
  const a = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['lambda:Invoke*', 's3:GetObject'], Resource: '*' }, { Effect: 'Deny', Action: 's3:*', Resource: '*' }] });
  const b = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['lambda:invokefunction', 'LAMBDA:INVOKEASYNC', 's3:getobject', 's3:putobject'], Resource: 'arn:aws:s3:::b/*' }] });
  assert.deepEqual(comparePolicies(u, a, b), { onlyInA: ['lambda:InvokeFunctionUrl'], onlyInB: ['s3:PutObject'] });
  assert.deepEqual(comparePolicies(u, a, a), { onlyInA: [], onlyInB: [] });
  // an action the catalog lacks is still compared; NotAction is the complement
  const c = JSON.stringify({ Statement: [{ Effect: 'Allow', Action: ['newsvc:DoThing', 's3:GetObject'], Resource: '*' }] });
  const d = JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'NEWSVC:dothing', Resource: '*' }] });
  assert.deepEqual(comparePolicies(u, c, d), { onlyInA: ['s3:GetObject'], onlyInB: [] });
  const all = comparePolicies(u, JSON.stringify({ Statement: [{ Effect: 'Allow', NotAction: 's3:*', Resource: '*' }] }), JSON.stringify({ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }));
  assert.deepEqual(all.onlyInA, []);
  assert.equal(all.onlyInB.length, u.expand('s3:*').length);
  assert.throws(() => comparePolicies(u, '{nope', a), /not an IAM policy/);
});

// ---------------------------------------------------------------------------------------------
// CLI

test('fetch (CLI): writes the get-finding-v2 findings file atomically; refine --findings reads it and refines the example as documented', async () => {
  const f = await fake(seed({ pageSize: 2 }));
  const dir = workdir();
  copyFileSync(join(EXAMPLE, 'policy.json'), join(dir, 'policy.json'));
  const io = capture(dir);
  const code = await withEnvCredentials(() => fetchCommand(['--role', APP, '--region', REGION, '--endpoint', f.url, '--out', 'findings.json'], io));
  assert.equal(code, 0, io.stderr());
  assert.equal(io.stderr(), '');
  assert.equal(io.stdout(), `1 UnusedPermission finding (1 role) from ${A_ACCOUNT}, written to findings.json\n`);
  assert.deepEqual(readdirSync(dir).sort(), ['findings.json', 'policy.json'], 'no temporary file left');
  const text = readFileSync(join(dir, 'findings.json'), 'utf8');
  const json = JSON.parse(text);
  assert.deepEqual(Object.keys(json), ['findings']);
  assert.equal(json.findings[0].id, 'f-app');
  assert.equal(json.findings[0].findingDetails.length, 2, 'both detail pages merged');
  assert.equal(json.findings[0].findingDetails[0].unusedPermissionDetails.actions[0].lastAccessed, '2024-01-15T08:30:00.000Z');
  // what the engine reads
  const parsed = parseFindings('findings.json', text);
  assert.equal(parsed.format, 'findings-object');
  assert.equal(parsed.findings[0].resource, APP);
  assert.equal(parsed.findings[0].details.find((d) => d.serviceNamespace === 's3')!.actions!.length, 22);
  // the analyzer's tracking period goes with each finding, and every unused diagnostic says it
  assert.equal(json.findings[0].unusedAccessAge, 90);
  assert.equal(parsed.findings[0].trackingDays, 90);
  const check = await cli(['check', 'policy.json', '--findings', 'findings.json'], dir);
  assert.match(check.out, /s3:Get\* allows 22 unused actions \(of 63\) \[Access Analyzer, role \S+, findings of \d{4}-\d\d-\d\d, tracking period 90 days\]/);
  // and the CLI refines the example policy with it exactly as with examples/findings.json
  const r = await cli(['refine', 'policy.json', '--findings', 'findings.json'], dir);
  assert.equal(r.code, 0, r.err);
  const doc = JSON.parse(r.out);
  assert.deepEqual(doc.Statement[0].Action, ['lambda:Invoke*']);
  assert.deepEqual(doc.Statement[1].Action, [...EXPECTED_S3, 's3:List*']);
  const fromList = await cli(['refine', 'examples/policy.json', '--findings', 'examples/findings.json'], join(EXAMPLE, '..'));
  assert.equal(r.out, fromList.out);
});

test('fetch (CLI): all roles by default, roles without findings said plainly, --out - to stdout, usage errors exit 2', async () => {
  const f = await fake(seed({ findings: manyFindings(), analyzers: [{ arn: A_ACCOUNT, type: 'ACCOUNT_UNUSED_ACCESS' }] }));
  const dir = workdir();
  let io = capture(dir);
  assert.equal(await withEnvCredentials(() => fetchCommand(['--region', REGION, '--endpoint', f.url, '--out', '-'], io)), 0, io.stderr());
  assert.equal(JSON.parse(io.stdout()).findings.length, 5);
  assert.match(io.stderr(), /^5 UnusedPermission findings \(5 roles\) from arn:aws:access-analyzer:us-east-1:123456789012:analyzer\/account-unused\n$/);

  io = capture(dir);
  const idle = roleArn('idle');
  assert.equal(await withEnvCredentials(() => fetchCommand(['--role', `${roleArn('r2')},${idle}`, '--endpoint', f.url, '--analyzer', A_ACCOUNT, '--out', 'out.json'], io)), 0, io.stderr());
  assert.match(io.stdout(), new RegExp(`^${idle.replace(/[/.]/g, '\\$&')}: nothing unused \\(no active UnusedPermission finding\\)$`, 'm'));
  assert.deepEqual(f.requests.filter((q) => q.operation === 'ListAnalyzers').length, 1, 'the region came from the analyzer ARN, and the analyzer was not looked up');

  for (const [args, pattern] of [
    [['--out', 'x.json', '--bogus'], /^iam-refine: unknown option --bogus/],
    [['--region', REGION], /^iam-refine: fetch needs --out FILE/],
    [['--role', 'app', '--out', 'x.json'], /^iam-refine: --role expects a role ARN/],
    [['--analyzer', 'nope', '--out', 'x.json'], /^iam-refine: --analyzer expects an analyzer ARN/],
    [['stray', '--out', 'x.json'], /^iam-refine: unexpected argument "stray"/],
    [['--endpoint', 'http://example.com', '--region', REGION, '--out', 'x.json'], /^iam-refine: the endpoint "http:\/\/example\.com" must use https/],
  ] as [string[], RegExp][]) {
    io = capture(dir);
    assert.equal(await fetchCommand(args, io), 2, args.join(' '));
    assert.match(io.stderr(), pattern);
    assert.equal(io.stdout(), '');
  }
  io = capture(dir);
  assert.equal(await fetchCommand(['--help'], io), 0);
  assert.match(io.stdout(), /^Usage: iam-refine fetch /);
});

test('fetch (CLI): errors are one line, no stack trace, nothing written', async () => {
  const f = await fake(seed({ faults: { expiredToken: true } }));
  const dir = workdir();
  // (the message names the profile in use; the SDK itself reads AWS_PROFILE from the process)
  const io = { ...capture(dir), env: { AWS_PROFILE: 'dev' } };
  const code = await withEnvCredentials(() => fetchCommand(['--region', REGION, '--endpoint', f.url, '--out', 'f.json'], io));
  assert.equal(code, 2);
  assert.equal(io.stderr(), 'iam-refine: the AWS session token has expired: run `aws sso login --profile dev` (or refresh the temporary credentials) and try again\n');
  assert.deepEqual(readdirSync(dir), []);

  const port = await closedPort();
  const io2 = capture(dir);
  assert.equal(await withEnvCredentials(() => fetchCommand(['--region', REGION, '--endpoint', `http://127.0.0.1:${port}`, '--out', 'f.json'], io2)), 2);
  assert.equal(io2.stderr(), `iam-refine: could not reach Access Analyzer at http://127.0.0.1:${port} (connection refused): check the network connection, proxy and the endpoint\n`);

  const g = await fake(seed({ analyzers: [] }));
  const io3 = capture(dir);
  assert.equal(await withEnvCredentials(() => fetchCommand(['--region', REGION, '--endpoint', g.url, '--out', 'f.json'], io3)), 2);
  assert.match(io3.stderr(), /^iam-refine: no ACTIVE unused-access analyzer in us-east-1: create one with `aws accessanalyzer create-analyzer --analyzer-name unused-access --type ACCOUNT_UNUSED_ACCESS --region us-east-1`, or name one with --analyzer ARN\n$/);

  const io4 = capture(dir);
  assert.equal(await fetchCommand(['--region', REGION, '--endpoint', g.url, '--out', 'f.json'], io4), 2);
  assert.match(io4.stderr(), /^iam-refine: no AWS credentials found: /);
  assert.equal(io4.stderr().split('\n').length, 2);
});

test('recommend (CLI): AWS recommended policy beside the local refinement, with the actions where they differ', async () => {
  const policyArn = 'arn:aws:iam::123456789012:policy/policy';
  const f = await fake(
    seed({
      pageSize: 1,
      recommendations: {
        'f-app': {
          inProgressPolls: 2,
          recommendationType: 'UNUSED_PERMISSION_RECOMMENDATION',
          steps: [
            { recommendedAction: 'DETACH_POLICY', existingPolicyId: policyArn },
            { recommendedAction: 'CREATE_POLICY', existingPolicyId: policyArn, recommendedPolicy: awsPolicyForExample() },
            { recommendedAction: 'DETACH_POLICY', existingPolicyId: 'other-inline' },
          ],
        },
      },
    }),
  );
  const dir = workdir();
  copyFileSync(join(EXAMPLE, 'policy.json'), join(dir, 'policy.json'));
  const io = capture(dir);
  const code = await withEnvCredentials(() =>
    recommendCommand(['--role', APP, '--policy', 'policy.json', '--region', REGION, '--endpoint', f.url, '--poll-interval', '0.005', '--out', 'aws.json'], io),
  );
  assert.equal(code, 0, io.stderr());
  assert.equal(io.stderr(), "waiting for AWS's recommendation for finding f-app…\n");
  const out = io.stdout();
  assert.ok(out.startsWith(`AWS's recommendation for ${APP} (finding f-app, analyzer ${A_ACCOUNT}):\n${policyArn}: AWS recommends replacing this policy (create the policy below, attach it to the role, and detach this one):\n{`), out);
  assert.ok(out.includes('"s3:getbucketacl"'));
  assert.ok(out.includes("the local refinement of policy.json allows 1 action AWS's does not: s3:GetObjectAcl\n"), out);
  assert.ok(out.includes("AWS's recommendation allows 1 action the local refinement of policy.json does not: s3:GetBucketAcl\n"), out);
  assert.ok(out.includes('(the recommendation also covers other-inline: detach)'), out);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'aws.json'), 'utf8')), JSON.parse(awsPolicyForExample()));
  assert.deepEqual(readdirSync(dir).sort(), ['aws.json', 'policy.json']);
  // the filter sent for the role, and every page
  const list = f.requests.find((q) => q.operation === 'ListFindingsV2')!;
  assert.deepEqual(list.body.filter, { findingType: { eq: ['UnusedPermission'] }, status: { eq: ['ACTIVE'] }, resource: { eq: [APP] } });
  assert.equal(f.count('GetFindingV2'), 2);
  assert.equal(f.count('GetFindingRecommendation'), 2 + 3);
});

test('recommend (CLI): DETACH_POLICY is "AWS recommends detaching this policy"; the same actions say so; no finding is a message', async () => {
  const wholePolicy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['lambda:CreateFunction', 'lambda:DeleteFunction'], Resource: '*' }] });
  const f = await fake(seed({ recommendations: { 'f-app': { steps: [{ recommendedAction: 'DETACH_POLICY', existingPolicyId: 'inline-lambda' }] } } }));
  const dir = workdir();
  writeFileSync(join(dir, 'lambda.json'), wholePolicy);
  let io = capture(dir);
  assert.equal(await withEnvCredentials(() => recommendCommand(['--role', APP, '--policy', 'lambda.json', '--region', REGION, '--endpoint', f.url, '--poll-interval', '0'], io)), 0, io.stderr());
  assert.match(io.stdout(), /^inline-lambda: AWS recommends detaching this policy$/m);
  assert.match(io.stdout(), /the local refinement of lambda\.json agrees: every permission in this policy is unused/);

  // a refined policy that matches AWS's, in AWS's lower-cased spelling
  const g = await fake(
    seed({
      recommendations: {
        'f-app': {
          steps: [{ recommendedAction: 'CREATE_POLICY', existingPolicyId: 'inline-lambda', recommendedPolicy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["lambda:invokeasync","lambda:invokefunction","lambda:invokefunctionurl"],"Resource":"*"}]}' }],
        },
      },
    }),
  );
  writeFileSync(join(dir, 'inline-lambda.json'), JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['lambda:CreateFunction', 'lambda:Invoke*'], Resource: '*' }] }));
  io = capture(dir);
  assert.equal(await withEnvCredentials(() => recommendCommand(['--role', APP, '--policy', 'inline-lambda.json', '--region', REGION, '--endpoint', g.url, '--poll-interval', '0'], io)), 0, io.stderr());
  assert.match(io.stdout(), /the local refinement of inline-lambda\.json allows the same actions$/m);

  // several policies: the file name or --policy-id chooses
  const h = await fake(
    seed({ recommendations: { 'f-app': { steps: [{ recommendedAction: 'DETACH_POLICY', existingPolicyId: 'a' }, { recommendedAction: 'DETACH_POLICY', existingPolicyId: 'b' }] } } }),
  );
  io = capture(dir);
  assert.equal(await withEnvCredentials(() => recommendCommand(['--role', APP, '--policy', 'lambda.json', '--region', REGION, '--endpoint', h.url, '--poll-interval', '0'], io)), 2);
  assert.equal(io.stderr(), "iam-refine: AWS's recommendation covers 2 policies of the role (a, b): say which one lambda.json is with --policy-id\n");
  io = capture(dir);
  assert.equal(await withEnvCredentials(() => recommendCommand(['--role', APP, '--policy', 'lambda.json', '--policy-id', 'b', '--region', REGION, '--endpoint', h.url, '--poll-interval', '0'], io)), 0);
  assert.match(io.stdout(), /^b: AWS recommends detaching this policy$/m);

  // a role with no finding: nothing unused, not an error
  io = capture(dir);
  const idle = roleArn('idle');
  assert.equal(await withEnvCredentials(() => recommendCommand(['--role', idle, '--policy', 'lambda.json', '--region', REGION, '--endpoint', f.url], io)), 0);
  assert.equal(io.stdout(), `${idle}: nothing unused (no active UnusedPermission finding), so AWS has nothing to recommend\n`);
  assert.equal(io.stderr(), '');

  for (const [args, pattern] of [
    [['--policy', 'lambda.json'], /^iam-refine: recommend needs --role ARN/],
    [['--role', APP], /^iam-refine: recommend needs --policy FILE/],
    [['--role', APP, '--policy', 'missing.json', '--region', REGION], /^iam-refine: missing\.json: no such file\n$/],
    [['--role', APP, '--policy', 'lambda.json', '--poll-interval', 'soon'], /^iam-refine: --poll-interval expects a number of seconds/],
    [['--role', APP, '--policy', 'lambda.json', '--wat'], /^iam-refine: unknown option --wat/],
  ] as [string[], RegExp][]) {
    io = capture(dir);
    assert.equal(await recommendCommand(args, io), 2, args.join(' '));
    assert.match(io.stderr(), pattern);
  }
});

test('security: the secret key is never printed, written, cached or sent', async () => {
  const dir = workdir();
  copyFileSync(join(EXAMPLE, 'policy.json'), join(dir, 'policy.json'));
  const homeBefore = readdirSync(home, { recursive: true }).map(String).sort();
  const fakes = [
    await fake(seed({ recommendations: { 'f-app': { inProgressPolls: 1, steps: [{ recommendedAction: 'CREATE_POLICY', existingPolicyId: 'policy', recommendedPolicy: awsPolicyForExample() }] } } })),
    await fake(seed({ faults: { expiredToken: true } })),
    await fake(seed({ faults: { deny: ['GetFindingV2'] } })),
    await fake(seed({ credentials: { accessKeyId: KEY_ID, secretAccessKey: 'another' } })),
  ];
  let seen = '';
  await withEnvCredentials(async () => {
    for (const f of fakes) {
      for (const run of [
        (io: CliIO) => fetchCommand(['--region', REGION, '--endpoint', f.url, '--out', 'findings.json'], io),
        (io: CliIO) => fetchCommand(['--region', REGION, '--endpoint', f.url, '--out', '-'], io),
        (io: CliIO) => recommendCommand(['--role', APP, '--policy', 'policy.json', '--region', REGION, '--endpoint', f.url, '--poll-interval', '0', '--out', 'aws.json'], io),
      ]) {
        const io = capture(dir);
        await run(io);
        seen += io.stdout() + io.stderr();
      }
    }
  });
  assert.ok(seen.includes('AWS recommends replacing') && seen.includes('iam-refine: access denied') && seen.includes('signature'), seen);
  for (const name of readdirSync(dir)) seen += readFileSync(join(dir, name), 'utf8');
  assert.ok(!seen.includes(SECRET), 'the secret appears in output or files');
  assert.ok(!seen.includes('DoNotLeak'));
  for (const f of fakes) for (const q of f.requests) assert.ok(!JSON.stringify([q.headers, q.body, q.query, q.path]).includes(SECRET), 'the secret was sent');
  assert.deepEqual(readdirSync(home, { recursive: true }).map(String).sort(), homeBefore, 'nothing cached in the home directory');
  assert.deepEqual(readdirSync(dir).sort(), ['aws.json', 'findings.json', 'policy.json']);
});
