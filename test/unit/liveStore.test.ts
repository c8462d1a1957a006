/**
 * The LSP-free units of the live mode: findings in the core's form, the cache file, the refresh
 * timing, and the store that shares one entry, fetch and cache per connection (the real AWS SDK
 * against the local fake of Access Analyzer), and the recommendation flow.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseFindings } from '../../server/src/core';
import * as AccessAnalyzer from '../../server/src/live/accessAnalyzer';
import { CACHE_FORMAT, CacheFile, cacheFileName, readCacheFile, writeCacheFile } from '../../server/src/live/cache';
import { FindingV2, findingsFileText, toCoreFindings } from '../../server/src/live/findingsV2';
import { recommendForRole } from '../../server/src/live/recommend';
import { NextFetch, RefreshState, RefreshTimer, RETRY_AFTER_FAILURE_MIN, dueOnLoad, nextAutomatic } from '../../server/src/live/scheduler';
import { LiveFindingsStore, LiveStoreHost, Target } from '../../server/src/live/store';
import { FakeAccessAnalyzer, FakeSeed, startFakeAccessAnalyzer } from '../support/fakeAccessAnalyzer';
import { exampleDetails, isolateAwsEnvironment, upd } from '../support/liveFixtures';

const CREDS = { accessKeyId: 'AKIASTORETEST0000001', secretAccessKey: 'storeSecret/NeverWritten+0123456789abcd' };
const REGION = 'us-east-1';
const ANALYZER = `arn:aws:access-analyzer:${REGION}:123456789012:analyzer/unused`;
const roleArn = (name: string) => `arn:aws:iam::123456789012:role/${name}`;
const APP = roleArn('app');

const cleanups: (() => unknown)[] = [];
let restoreEnv: () => void;
before(() => {
  restoreEnv = isolateAwsEnvironment(tempDir());
});
after(async () => {
  for (const c of cleanups.reverse()) await c();
  restoreEnv();
});

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'iam-live-store-'));
}

async function fake(extra: Partial<FakeSeed> = {}): Promise<FakeAccessAnalyzer> {
  const f = await startFakeAccessAnalyzer({
    region: REGION,
    credentials: CREDS,
    analyzers: [{ arn: ANALYZER, type: 'ACCOUNT_UNUSED_ACCESS' }],
    findings: { 'f-app': { resource: APP, details: exampleDetails() } },
    ...extra,
  });
  cleanups.push(() => f.close());
  return f;
}

/** The real calls, with the test's credentials and quick retries: what the SDK's default chain would give. */
const api = (): typeof AccessAnalyzer => ({ ...AccessAnalyzer, createClient: (o) => AccessAnalyzer.createClient({ ...o, credentials: CREDS, retry: { baseDelayMs: 1, maxDelayMs: 5 } }) });

function host(storage: string | undefined, logs: string[] = [], extra: Partial<LiveStoreHost> = {}): LiveStoreHost {
  return { storagePath: () => storage, log: (m) => void logs.push(m), progress: async () => ({ report: () => undefined, done: () => undefined }), api, ...extra };
}

/** Resolves when the store has finished a fetch of any entry. */
const nextFetch = (store: LiveFindingsStore) =>
  new Promise<void>((resolve) => {
    const sub = store.onDidFetch(() => (sub.dispose(), resolve()));
  });

// ---------------------------------------------------------------------------------------------
// findings

test('findings: get-finding-v2 objects read into the core form exactly as a findings file of them is', () => {
  const findings: FindingV2[] = [
    {
      id: 'f-1',
      resource: APP,
      findingType: 'UnusedPermission',
      status: 'ACTIVE',
      analyzedAt: '2024-05-01T10:00:00.000Z',
      findingDetails: [
        upd('s3', ['GetObject', 's3:PutObject'], '2024-01-15T08:30:00Z'),
        upd('ec2'),
        { unusedPermissionDetails: { serviceNamespace: 'sqs', actions: ['SendMessage'], lastAccessed: '2024-02-01T00:00:00Z' } },
        { unusedPermissionDetails: { serviceNamespace: 'sns', actions: null } },
        { unusedIamRoleDetails: { lastAccessed: '2024-01-01T00:00:00Z' } },
      ],
    },
    { id: 'f-2', findingDetails: [] },
  ];
  const viaText = parseFindings('Access Analyzer (us-east-1)', findingsFileText(findings)).findings;
  assert.deepEqual(toCoreFindings(findings, 'Access Analyzer (us-east-1)'), viaText);
  assert.equal(viaText[1].findingType, 'UnusedPermission', 'the type defaults as in a file');
  for (const bad of [{ id: 'x' }, { id: 'x', findingDetails: [3] }, { id: 'x', findingDetails: [{ unusedPermissionDetails: { actions: [] } }] }, { id: 'x', findingDetails: [upd('s3', [])], resource: 7 }]) {
    assert.throws(() => toCoreFindings([bad as unknown as FindingV2], 'cache'), /^Error: finding x: /);
  }
});

// ---------------------------------------------------------------------------------------------
// cache

const sampleCache = (): CacheFile => ({
  format: CACHE_FORMAT,
  fetchedAt: '2024-05-01T10:00:00.000Z',
  analyzerArn: ANALYZER,
  region: REGION,
  roles: [APP],
  rolesWithoutFindings: [],
  findings: [{ id: 'f-app', resource: APP, findingDetails: [upd('s3', ['GetObject'])] }],
});

test('cache: written atomically for the user only, read back; missing is none, anything else is refused', async () => {
  const dir = path.join(tempDir(), 'nested', 'storage');
  const file = path.join(dir, cacheFileName('["","us-east-1","","",[]]'));
  assert.match(path.basename(file), /^live-findings-[0-9a-f]{24}\.json$/);
  assert.notEqual(cacheFileName('a'), cacheFileName('b'));
  assert.equal(await readCacheFile(file), undefined);
  await writeCacheFile(file, sampleCache());
  assert.deepEqual(await readCacheFile(file), JSON.parse(JSON.stringify(sampleCache())));
  assert.deepEqual(readdirSync(dir), [path.basename(file)], 'no temporary file left');
  if (process.platform !== 'win32') {
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
  }
  writeFileSync(file, '{"format": "something else"}');
  await assert.rejects(readCacheFile(file), /not a live findings cache/);
  writeFileSync(file, '{ not json');
  await assert.rejects(readCacheFile(file));
  // a directory where the file should be: the write fails, and leaves nothing behind
  const blocked = path.join(tempDir(), 'x.json');
  mkdirSync(blocked);
  await assert.rejects(writeCacheFile(blocked, sampleCache()));
  assert.deepEqual(readdirSync(path.dirname(blocked)), ['x.json']);
});

// ---------------------------------------------------------------------------------------------
// scheduler

const MIN = 60_000;
const state = (s: Partial<RefreshState>): RefreshState => ({ intervalMinutes: 60, attempted: false, lastAttemptAt: 0, fetchedAtMs: 0, hasCache: false, failed: false, settleUntil: 0, ...s });

test('scheduler: when a fetch is due, when the next one comes', () => {
  const now = 1_000 * MIN;
  const cases: [string, Partial<RefreshState>, NextFetch][] = [
    ['nothing cached: now', {}, { kind: 'now' }],
    ['nothing cached, manual only: still once', { intervalMinutes: 0 }, { kind: 'now' }],
    ['a fresh cache: at its age plus the interval', { hasCache: true, fetchedAtMs: now - 10 * MIN }, { kind: 'after', delayMs: 50 * MIN }],
    ['a stale cache: now', { hasCache: true, fetchedAtMs: now - 61 * MIN }, { kind: 'now' }],
    ['a cache, manual only: never', { intervalMinutes: 0, hasCache: true, fetchedAtMs: now - 600 * MIN }, { kind: 'none' }],
    ['attempted a minute ago: after the interval', { attempted: true, lastAttemptAt: now - MIN, hasCache: true, fetchedAtMs: now - MIN }, { kind: 'after', delayMs: 59 * MIN }],
    ['failed a minute ago: retried after 5 minutes', { attempted: true, lastAttemptAt: now - MIN, failed: true }, { kind: 'after', delayMs: (RETRY_AFTER_FAILURE_MIN - 1) * MIN }],
    ['failed 6 minutes ago: now', { attempted: true, lastAttemptAt: now - 6 * MIN, failed: true }, { kind: 'now' }],
    ['failed, interval 2: retried after 2', { intervalMinutes: 2, attempted: true, lastAttemptAt: now - MIN, failed: true }, { kind: 'after', delayMs: MIN }],
    ['due while an edit settles: when it has', { settleUntil: now + 3000 }, { kind: 'after', delayMs: 3000 }],
    ['overdue long ago: at least a second away', { attempted: true, lastAttemptAt: now - 59 * MIN - 59_900, hasCache: true, fetchedAtMs: now - 59 * MIN - 59_900 }, { kind: 'after', delayMs: 1000 }],
  ];
  for (const [what, s, expected] of cases) assert.deepEqual(dueOnLoad(state(s), now), expected, what);
  assert.deepEqual(nextAutomatic(state({ intervalMinutes: 0 }), now), { kind: 'none' });
  assert.deepEqual(nextAutomatic(state({ intervalMinutes: 60 * 24 * 365, lastAttemptAt: now }), now), { kind: 'after', delayMs: 2 ** 31 - 1 }, "setTimeout's limit");
});

test('scheduler: the timer runs the fetch now or later, one at a time, and is cleared', async () => {
  let runs = 0;
  const timer = new RefreshTimer(() => void runs++);
  timer.apply({ kind: 'now' });
  assert.equal(runs, 1);
  timer.apply({ kind: 'after', delayMs: 5 });
  timer.apply({ kind: 'after', delayMs: 10 });
  assert.equal(timer.armed, true);
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(runs, 2, 'the second timer replaced the first');
  assert.equal(timer.armed, false);
  timer.apply({ kind: 'after', delayMs: 5 });
  timer.clear();
  timer.apply({ kind: 'none' });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(runs, 2);
});

// ---------------------------------------------------------------------------------------------
// store

const target = (f: FakeAccessAnalyzer, roles: string[] = []): Target => ({ region: REGION, endpoint: f.url, roles });

test('store: folders with the same target share one entry and one fetch; the cache is written without a credential and used by the next session', async () => {
  const f = await fake();
  const storage = tempDir();
  const logs: string[] = [];
  const store = new LiveFindingsStore(host(storage, logs));
  const fetched = nextFetch(store);
  const a = await store.use('folder-a', target(f), 60);
  const b = await store.use('folder-b', target(f), 15);
  assert.equal(a, b);
  assert.deepEqual([...a.users], ['folder-a', 'folder-b']);
  assert.equal(a.timing.intervalMinutes, 15, 'the smallest interval of the folders');
  assert.equal(a.state, 'fetching');
  await fetched;
  assert.equal(f.count('ListFindingsV2'), 1, 'one fetch for both');
  assert.equal(a.state, 'ok');
  assert.deepEqual(a.findings(() => undefined).map((x) => [x.id, x.resource, x.source]), [['f-app', APP, 'Access Analyzer (us-east-1)']]);
  const files = readdirSync(storage);
  assert.deepEqual(files, [a.fileName]);
  assert.ok(!readFileSync(path.join(storage, files[0]), 'utf8').includes(CREDS.secretAccessKey));
  assert.ok(logs.includes(`Access Analyzer (us-east-1): 1 UnusedPermission finding (1 role) from ${ANALYZER}`), logs.join('\n'));
  store.dispose();

  // the next session: the fresh cache is used, nothing is asked
  const requests = f.requests.length;
  const again = new LiveFindingsStore(host(storage));
  const e = await again.use('folder-a', target(f), 60);
  assert.equal(e.state, 'ok');
  assert.equal(e.cache?.fetchedAt, a.cache?.fetchedAt);
  assert.equal(e.timer.armed, true, 'the next fetch is scheduled');
  assert.equal(f.requests.length, requests);
  again.dispose();
  assert.equal(e.timer.armed, false);
});

test('store: a failure keeps the cache in use (offline); nothing cached is an error; releasing the last folder cancels its fetch', async () => {
  const f = await fake();
  const storage = tempDir();
  const store = new LiveFindingsStore(host(storage));
  let fetched = nextFetch(store);
  const e = await store.use('folder', target(f), 60);
  await fetched;
  await f.close();
  const o = await store.fetch(e);
  assert.equal(o.ok, false);
  assert.equal(e.state, 'offline');
  assert.match(e.failure!.message, /^could not reach Access Analyzer at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)/);
  assert.equal(e.findings(() => undefined).length, 1, 'the cached findings stay');
  store.dispose();

  const denied = await fake({ faults: { deny: ['ListFindingsV2'] } });
  const s2 = new LiveFindingsStore(host(undefined));
  fetched = nextFetch(s2);
  const d = await s2.use('folder', target(denied), 60);
  await fetched;
  assert.equal(d.state, 'error');
  assert.equal(d.failure!.message, 'access denied: the credentials in use lack access-analyzer:ListFindings, needed to list findings (ListFindingsV2)');
  s2.dispose();

  const slow = await fake({ faults: { latencyMs: 2000 } });
  const s3 = new LiveFindingsStore(host(undefined));
  const started = Date.now();
  const x = await s3.use('folder', target(slow), 60);
  const running = x.fetching!.promise;
  s3.release('folder');
  assert.deepEqual(await running, { ok: false, cancelled: true, message: 'cancelled' });
  assert.ok(Date.now() - started < 1500, 'stopped at once');
  assert.equal(s3.entryOf('folder'), undefined);
});

test('store: a folder whose roles change moves to another entry after the edit settles', async () => {
  const f = await fake();
  let clock = Date.now();
  const store = new LiveFindingsStore(host(undefined, [], { now: () => clock }));
  const fetched = nextFetch(store);
  const first = await store.use('folder', target(f), 60);
  await fetched;
  const second = await store.use('folder', target(f, [APP]), 60);
  assert.notEqual(first, second);
  assert.equal(store.entryOf('folder'), second);
  assert.equal(first.users.size, 0);
  assert.equal(second.fetching, undefined, 'not at once: the edit may go on');
  assert.equal(second.timer.armed, true);
  assert.equal(second.timing.settleUntil, clock + 3000);
  store.dispose();
});

// ---------------------------------------------------------------------------------------------
// recommendation flow

test("recommendation: the cached finding is used; one AWS no longer knows is looked up again; no finding is 'nothing'", async () => {
  const f = await fake({ recommendations: { 'f-app': { steps: [{ recommendedAction: 'DETACH_POLICY', existingPolicyId: 'p' }] } } });
  const store = new LiveFindingsStore(host(undefined));
  const logs: string[] = [];
  const req = { connection: { region: REGION, endpoint: f.url }, signal: new AbortController().signal, log: (m: string) => void logs.push(m) };
  const cached = { analyzerArn: ANALYZER, findings: [{ id: 'f-app', resource: APP, findingDetails: [] }] };
  const ok = await recommendForRole(store, { ...req, role: APP, cached });
  assert.equal(ok.kind, 'ok');
  assert.equal(f.count('ListFindingsV2'), 0, 'the finding id came from the cache');
  const stale = { analyzerArn: ANALYZER, findings: [{ id: 'f-resolved', resource: APP, findingDetails: [] }] };
  const again = await recommendForRole(store, { ...req, role: APP, cached: stale });
  assert.equal(again.kind === 'ok' && again.findingId, 'f-app');
  assert.equal(f.count('ListFindingsV2'), 1);
  assert.deepEqual(await recommendForRole(store, { ...req, role: roleArn('idle') }), { kind: 'nothing', message: 'idle: nothing unused (no active UnusedPermission finding), so AWS has nothing to recommend' });
  const ac = new AbortController();
  ac.abort();
  assert.deepEqual(await recommendForRole(store, { ...req, role: APP, signal: ac.signal }), { kind: 'error', message: 'cancelled', cancelled: true });
  assert.ok(logs.includes(`asking AWS for its recommendation for ${APP} (finding f-app)`), logs.join('\n'));
});
