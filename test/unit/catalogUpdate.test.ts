/**
 * The catalog that stays current: `iam-refine catalog update` against a local stand-in of AWS's
 * Service Reference (test/support/fakeServiceReference.ts), the cache it writes, which catalog
 * the engine then uses, and the failures that must leave the cache exactly as it was.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync, existsSync, utimesSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  Catalog,
  InputError,
  SERVICE_REFERENCE_SOURCE,
  Universe,
  packServiceReference,
  parsePackedCatalog,
  parseServiceDocument,
  parseServiceIndex,
} from '../../server/src/core';
import { cachedCatalogPath, chooseCatalog, defaultCatalog, userCacheDir } from '../../server/src/workspace/catalogFile';
import { CatalogUpdateError, SERVICE_REFERENCE_ENV, serviceReferenceUrl, updateCatalog, validateServiceReferenceUrl } from '../../server/src/workspace/catalogUpdate';
import { FakeServiceReferenceOptions, startFakeServiceReference } from '../support/fakeServiceReference';
import { cli } from '../support/cli';
import { EXPECTED_S3, ROOT } from '../support/example';

const bundled = defaultCatalog();
/** An action AWS "added" after the bundled catalog: s3:Get* allows it, the role uses it, no finding names it. */
const NEW_ACTION = 's3:GetBucketNewFeature';

const freshCache = () => ({ XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'iam-refine-catalog-')) });

async function withStandIn<T>(o: Partial<FakeServiceReferenceOptions>, fn: (url: string, sr: Awaited<ReturnType<typeof startFakeServiceReference>>) => Promise<T>): Promise<T> {
  const sr = await startFakeServiceReference({ catalog: bundled, ...o });
  try {
    return await fn(sr.url, sr);
  } finally {
    await sr.close();
  }
}

// ---------------------------------------------------------------------------------------------
// the Service Reference's format

test('a service document: names, access levels from the flags, duplicates once, sorted as the catalog sorts', () => {
  const doc = JSON.stringify({
    Name: 's3',
    Actions: [
      { Name: 'PutObjectTagging', Annotations: { Properties: { IsList: false, IsWrite: true, IsPermissionManagement: false, IsTaggingOnly: true } } },
      { Name: 'ListBucket', Annotations: { Properties: { IsList: true, IsWrite: false, IsPermissionManagement: false, IsTaggingOnly: false } } },
      { Name: 'GetObject', Annotations: { Properties: { IsList: false, IsWrite: false, IsPermissionManagement: false, IsTaggingOnly: false } } },
      { Name: 'PutBucketPolicy', Annotations: { Properties: { IsList: false, IsWrite: true, IsPermissionManagement: true, IsTaggingOnly: false } } },
      { Name: 'PutObject', Annotations: { Properties: { IsWrite: true } } },
      { Name: 'getobject' },
      { Name: 'DescribeThing' },
    ],
  });
  const s = parseServiceDocument('https://sr.example/v1/s3/s3.json', doc, 's3');
  assert.deepEqual(s.actions, ['DescribeThing', 'GetObject', 'ListBucket', 'PutBucketPolicy', 'PutObject', 'PutObjectTagging']);
  assert.equal(s.levels, 'RRLPWT');
  const c = new Catalog('v', '2026-12-01T00:00:00Z', SERVICE_REFERENCE_SOURCE, [['s3', 'Amazon S3', s.actions.join(','), s.levels]]);
  assert.equal(c.accessLevel('s3:PutBucketPolicy'), 'Permissions management');
  assert.equal(c.accessLevel('s3:PutObjectTagging'), 'Tagging');
  assert.equal(c.accessLevel('s3:ListBucket'), 'List');
});

test('a broken answer is refused with its URL and place: syntax (line:col), shape (JSON path), foreign origins', () => {
  const url = 'https://sr.example/v1/s3/s3.json';
  assert.throws(() => parseServiceDocument(url, '{"Name": "s3",\n "Actions": [ }', 's3'), (e: Error) => e instanceof InputError && /^https:\/\/sr\.example\/v1\/s3\/s3\.json:2:\d+: /.test(e.message));
  assert.throws(() => parseServiceDocument(url, '{"Name": "s3", "Actions": [{"Name": "Get*"}]}', 's3'), /s3\.json: \$\.Actions\[0\]\.Name: expected an action name, not "Get\*"/);
  assert.throws(() => parseServiceDocument(url, '{"Name": "s3", "Actions": [{"Name": "A", "Annotations": {"Properties": {"IsWrite": "yes"}}}]}', 's3'), /\$\.Actions\[0\]\.Annotations\.Properties\.IsWrite: expected true or false/);
  assert.throws(() => parseServiceDocument(url, '{"Name": "ec2", "Actions": []}', 's3'), /\$\.Name: "ec2" is not the service the index lists here \("s3"\)/);
  const index = 'https://sr.example/';
  assert.deepEqual(parseServiceIndex(index, '[{"service": "s3", "url": "https://sr.example/v1/s3/s3.json"}, {"service": "ec2", "url": "/v1/ec2/ec2.json"}]'), [
    { service: 's3', url: 'https://sr.example/v1/s3/s3.json' },
    { service: 'ec2', url: 'https://sr.example/v1/ec2/ec2.json' },
  ]);
  assert.throws(() => parseServiceIndex(index, '[{"service": "s3", "url": "https://evil.example/s3.json"}]'), /\[0\]\.url: https:\/\/evil\.example is not the Service Reference's origin \(https:\/\/sr\.example\): refused/);
  assert.throws(() => parseServiceIndex(index, '[{"service": "S 3", "url": "/x"}]'), /\[0\]\.service: expected a service prefix/);
  assert.throws(() => parseServiceIndex(index, '[]'), /the list of services is empty/);
  assert.throws(() => parseServiceIndex(index, '{"services": []}'), /https:\/\/sr\.example\/: \$: expected a list/);
});

test('a packed Service Reference catalog reads back as the same catalog; a damaged cache file is refused with its place', () => {
  const s = parseServiceDocument('u', JSON.stringify({ Name: 'sqs', Actions: [{ Name: 'SendMessage', Annotations: { Properties: { IsWrite: true } } }, { Name: 'ListQueues', Annotations: { Properties: { IsList: true } } }] }), 'sqs');
  const packed = packServiceReference([s], new Date('2026-12-02T07:00:00Z'), 'https://sr.example', (p) => (p === 'sqs' ? 'Amazon SQS' : undefined));
  const c = parsePackedCatalog('catalog.json', JSON.stringify(packed));
  assert.equal(c.source, SERVICE_REFERENCE_SOURCE);
  assert.equal(c.date, '2026-12-02');
  assert.equal(c.serviceName('sqs'), 'Amazon SQS');
  assert.deepEqual(c.services.get('sqs')!.actions, ['ListQueues', 'SendMessage']);
  assert.equal(c.accessLevel('sqs:SendMessage'), 'Write');
  assert.throws(() => parsePackedCatalog('catalog.json', JSON.stringify(packed).slice(0, 100)), (e: Error) => /^catalog\.json:1:\d+: invalid JSON/.test(e.message));
  assert.throws(() => parsePackedCatalog('catalog.json', JSON.stringify({ ...packed, services: [['sqs', 'x', 'A,B', 'W']] })), /\$\.services\[0\]: 2 actions but access levels "W"/);
});

test('the per-user cache directory: XDG_CACHE_HOME, else the platform place; never relative', () => {
  assert.equal(userCacheDir({ XDG_CACHE_HOME: '/x/cache' }, 'linux'), join('/x/cache', 'iam-policy-refiner'));
  assert.equal(userCacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/home/u' }, 'linux'), join('/home/u', '.cache', 'iam-policy-refiner'));
  assert.equal(userCacheDir({ HOME: '/Users/u' }, 'darwin'), join('/Users/u', 'Library', 'Caches', 'iam-policy-refiner'));
  assert.equal(userCacheDir({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local', HOME: 'C:\\Users\\u' }, 'win32'), join('C:\\Users\\u\\AppData\\Local', 'iam-policy-refiner', 'Cache'));
});

test('the URL: AWS by default; an override from the environment or user settings, https or loopback http only', () => {
  assert.equal(serviceReferenceUrl({}).url, 'https://servicereference.us-east-1.amazonaws.com/');
  assert.equal(serviceReferenceUrl({ [SERVICE_REFERENCE_ENV]: 'http://127.0.0.1:9/' }).url, 'http://127.0.0.1:9/');
  assert.equal(serviceReferenceUrl({ [SERVICE_REFERENCE_ENV]: 'http://127.0.0.1:9/' }, 'https://mirror.example/sr/').url, 'https://mirror.example/sr/');
  assert.throws(() => validateServiceReferenceUrl('http://mirror.example/', SERVICE_REFERENCE_ENV), /IAM_REFINER_SERVICE_REFERENCE_URL: the Service Reference URL http:\/\/mirror\.example must use https/);
  assert.throws(() => validateServiceReferenceUrl('https://u:p@mirror.example/', 'x'), /must not contain a user name or password/);
  assert.throws(() => validateServiceReferenceUrl('not a url', 'x'), /"not a url" is not a URL/);
});

// ---------------------------------------------------------------------------------------------
// update from the stand-in

test('catalog update fetches the stand-in into the cache; then refining s3:Get* keeps the action added since allowed', async () => {
  const env = freshCache();
  // before: the bundled catalog, which lacks the new action: the refinement of s3:Get* drops it (what the update prevents)
  const before = await cli(['refine', 'examples/policy.json', '--findings', 'examples/findings.json'], ROOT, env);
  assert.equal(before.code, 0, before.err);
  const s3Before = JSON.parse(before.out).Statement[1].Action as string[];
  assert.deepEqual(s3Before, [...EXPECTED_S3, 's3:List*']);
  await withStandIn({ add: { [NEW_ACTION]: 'R' }, latencyMs: 2 }, async (url, sr) => {
    const t0 = performance.now();
    const r = await cli(['catalog', 'update'], ROOT, { ...env, [SERVICE_REFERENCE_ENV]: url });
    const ms = performance.now() - t0;
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^catalog: AWS Service Reference \S+ \(456 services, 22092 actions, data of \d{4}-\d\d-\d\d\)\n/);
    assert.match(r.out, /1 action added \(s3:GetBucketNewFeature\), 0 removed/);
    assert.equal(sr.requests.length, 1 + 456, 'the index and every service once');
    assert.ok(sr.maxInFlight > 1 && sr.maxInFlight <= 8, `bounded concurrency: ${sr.maxInFlight} at once`);
    console.log(`# catalog update from the stand-in: ${ms.toFixed(0)} ms for ${sr.requests.length} requests (at most ${sr.maxInFlight} at once)`);
  });
  const file = cachedCatalogPath(env);
  assert.ok(existsSync(file));
  const t1 = performance.now();
  const cached = parsePackedCatalog(file, readFileSync(file, 'utf8'));
  console.log(`# cached catalog load: ${(performance.now() - t1).toFixed(1)} ms (${(readFileSync(file).length / 1024).toFixed(0)} KB)`);
  assert.ok(cached.has(NEW_ACTION));
  assert.equal(cached.serviceName('s3'), bundled.serviceName('s3'), 'service names for the documentation links come from the bundled catalog');
  assert.equal(chooseCatalog(env).origin, 'cache');

  const v = await cli(['--version'], ROOT, env);
  assert.match(v.out, /catalog: AWS Service Reference .*data of \d{4}-\d\d-\d\d\), fetched into .*iam-policy-refiner\/catalog\.json/);
  const e = await cli(['expand', 's3:GetBucketNew*'], ROOT, env);
  assert.equal(e.out, `${NEW_ACTION}\n`);

  const after = await cli(['refine', 'examples/policy.json', '--findings', 'examples/findings.json'], ROOT, env);
  assert.equal(after.code, 0, after.err);
  const s3After = JSON.parse(after.out).Statement[1].Action as string[];
  const allows = (patterns: string[], catalog: Catalog, name: string) => {
    const u = new Universe(catalog);
    return patterns.some((p) => u.expand(p).some((i) => u.names[i] === name));
  };
  assert.ok(!allows(s3Before, cached, NEW_ACTION), 'over the old catalog the refinement loses the new action');
  assert.ok(allows(s3After, cached, NEW_ACTION), `over the current catalog it stays allowed: ${s3After.join(', ')}`);
  assert.ok(s3After.includes(NEW_ACTION));
  // and nothing else changed: the old patterns are still there
  for (const p of EXPECTED_S3) assert.ok(s3After.includes(p), p);
});

test('the real bundle: dist/cli.js runs catalog update from its own lazy bundle, and the next run uses the cache', async () => {
  const env = freshCache();
  await withStandIn({ add: { [NEW_ACTION]: 'R' } }, async (url) => {
    const run = (args: string[]) => promisify(execFile)(process.execPath, [join(ROOT, 'bin', 'iam-refine.js'), ...args], { cwd: ROOT, env: { ...process.env, ...env, [SERVICE_REFERENCE_ENV]: url } });
    const r = await run(['catalog', 'update']);
    assert.match(r.stdout, /^catalog: AWS Service Reference /);
    assert.match(r.stderr, /fetching the action catalog from http:\/\/127\.0\.0\.1:\d+\/ \(IAM_REFINER_SERVICE_REFERENCE_URL\)/);
    const show = await run(['catalog', 'show']);
    assert.match(show.stdout, /^AWS Service Reference .*\nfetched: .*catalog\.json\n/);
  });
});

test('a failure in the middle of the download leaves the previous cache byte for byte, and names the URL and the service', async () => {
  const env = freshCache();
  await withStandIn({}, async (url) => {
    const r = await cli(['catalog', 'update'], ROOT, { ...env, [SERVICE_REFERENCE_ENV]: url });
    assert.equal(r.code, 0, r.err);
  });
  const file = cachedCatalogPath(env);
  const listing = () => readdirSync(join(env.XDG_CACHE_HOME, 'iam-policy-refiner')).sort();
  assert.deepEqual(listing(), ['catalog.json']);
  // what an update killed in its rename window leaves: removed by the next one once old, never a running one's
  const dirOf = join(env.XDG_CACHE_HOME, 'iam-policy-refiner');
  writeFileSync(join(dirOf, '.catalog.json.aaaaaaaaaaaa.iam-refine.tmp'), '{"half');
  utimesSync(join(dirOf, '.catalog.json.aaaaaaaaaaaa.iam-refine.tmp'), new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
  writeFileSync(join(dirOf, '.catalog.json.bbbbbbbbbbbb.iam-refine.tmp'), '{"running');
  await withStandIn({}, async (url) => assert.equal((await cli(['catalog', 'update'], ROOT, { ...env, [SERVICE_REFERENCE_ENV]: url })).code, 0));
  assert.deepEqual(listing(), ['.catalog.json.bbbbbbbbbbbb.iam-refine.tmp', 'catalog.json']);
  rmSync(join(dirOf, '.catalog.json.bbbbbbbbbbbb.iam-refine.tmp'));
  const good = readFileSync(file);
  // the connection drops half-way through s3's document: retried, then given up
  await withStandIn({ add: { [NEW_ACTION]: 'R' }, dropMidBody: ['s3'] }, async (url) => {
    const r = await cli(['catalog', 'update'], ROOT, { ...env, [SERVICE_REFERENCE_ENV]: url });
    assert.equal(r.code, 2);
    assert.match(r.err, /catalog update failed: reading service s3 failed: http:\/\/127\.0\.0\.1:\d+\/v1\/s3\/s3\.json: .*\(after 3 attempts\); the catalog in use is unchanged \(AWS Service Reference /);
  });
  // a persistent server error for one service
  await withStandIn({ add: { [NEW_ACTION]: 'R' }, status: { ec2: 500 } }, async (url) => {
    const r = await cli(['catalog', 'update'], ROOT, { ...env, [SERVICE_REFERENCE_ENV]: url });
    assert.equal(r.code, 2);
    assert.match(r.err, /reading service ec2 failed: http:\/\/127\.0\.0\.1:\d+\/v1\/ec2\/ec2\.json: HTTP 500 Internal Server Error \(after 3 attempts\)/);
  });
  // a malformed document: its URL and place
  await withStandIn({ body: { lambda: '{"Name": "lambda", "Actions": [{"Name": 7}]}' } }, async (url) => {
    const r = await cli(['catalog', 'update'], ROOT, { ...env, [SERVICE_REFERENCE_ENV]: url });
    assert.equal(r.code, 2);
    assert.match(r.err, /v1\/lambda\/lambda\.json: \$\.Actions\[0\]\.Name: expected an action name, not 7/);
  });
  assert.deepEqual(readFileSync(file), good, 'the cache is exactly as it was');
  assert.deepEqual(listing(), ['catalog.json'], 'no temporary file left beside it');
  assert.ok(!chooseCatalog(env).catalog.has(NEW_ACTION));
});

test('retries what is worth retrying; a timeout, a refused connection and an implausible answer are clear errors', async () => {
  const env = freshCache();
  const cachePath = cachedCatalogPath(env);
  // two 503s, then an answer: the update succeeds
  await withStandIn({ failFirst: { iam: 2 } }, async (url, sr) => {
    const r = await updateCatalog({ url, env, cachePath, reference: bundled });
    assert.equal(r.actions, bundled.actionCount);
    assert.equal(sr.requests.filter((p) => p === '/v1/iam/iam.json').length, 3);
  });
  const good = readFileSync(cachePath);
  // only the slow service is listed: under load, a 200 ms budget must not catch another one first
  await withStandIn({ delayMs: { sqs: 2000 }, indexBody: JSON.stringify([{ service: 'sqs', url: '/v1/sqs/sqs.json' }]) }, async (url) => {
    await assert.rejects(updateCatalog({ url, env, cachePath, reference: bundled, timeoutMs: 200, attempts: 1 }), (e: Error) => e instanceof CatalogUpdateError && /reading service sqs failed: .*\/v1\/sqs\/sqs\.json: timed out/.test(e.message));
  });
  await withStandIn({ indexBody: JSON.stringify([{ service: 's3', url: '/v1/s3/s3.json' }]) }, async (url) => {
    await assert.rejects(updateCatalog({ url, env, cachePath, reference: bundled }), /lists \d+ actions in 1 services, fewer than half of the bundled catalog's 22091: not used/);
  });
  await withStandIn({ indexUrl: { s3: 'https://elsewhere.example/v1/s3/s3.json' } }, async (url) => {
    await assert.rejects(updateCatalog({ url, env, cachePath, reference: bundled }), /\[\d+\]\.url: https:\/\/elsewhere\.example is not the Service Reference's origin/);
  });
  const closed = await startFakeServiceReference({ catalog: bundled });
  const deadUrl = closed.url;
  await closed.close();
  await assert.rejects(updateCatalog({ url: deadUrl, env, cachePath, reference: bundled, attempts: 1 }), /reading the Service Reference index failed: http:\/\/127\.0\.0\.1:\d+\/: connection refused/);
  assert.deepEqual(readFileSync(cachePath), good);
});

test('a cache that cannot be read is ignored with a note naming it; a cache older than the bundled catalog is not used', async () => {
  const env = freshCache();
  const file = cachedCatalogPath(env);
  mkdirSync(join(env.XDG_CACHE_HOME, 'iam-policy-refiner'), { recursive: true });
  writeFileSync(file, '{"source": "AWS Service Reference", "services": [');
  const r = await cli(['expand', 's3:GetObject'], ROOT, env);
  assert.equal(r.code, 0);
  assert.match(r.err, /iam-refine: note: the cached catalog is ignored: .*catalog\.json:1:\d+: /);
  const old = packServiceReference([{ prefix: 's3', actions: ['GetObject'], levels: 'R' }], new Date('2020-01-01T00:00:00Z'), 'https://sr.example', () => undefined);
  writeFileSync(file, JSON.stringify(old));
  const c = chooseCatalog(env);
  assert.equal(c.origin, 'bundled');
  assert.match(c.note!, /older than the bundled one/);
});

test('catalog: usage errors name what was meant; help lists the command and --strict-catalog', async () => {
  const none = await cli(['catalog'], ROOT, freshCache());
  assert.equal(none.code, 2);
  assert.match(none.err, /^iam-refine: catalog needs a command: update or show\n\nUsage: iam-refine catalog update \| iam-refine catalog show/);
  const bad = await cli(['catalog', 'upgrade'], ROOT, freshCache());
  assert.equal(bad.code, 2);
  assert.match(bad.err, /unknown catalog command "upgrade": update or show/);
  const h = await cli(['help', 'catalog'], ROOT, freshCache());
  assert.match(h.out, /^Usage: iam-refine catalog update/);
  const top = await cli(['--help'], ROOT, freshCache());
  assert.match(top.out, /catalog update \| catalog show/);
  assert.match(top.out, /--strict-catalog/);
  const env = { ...freshCache(), [SERVICE_REFERENCE_ENV]: 'http://mirror.example/' };
  const refused = await cli(['catalog', 'update'], ROOT, env);
  assert.equal(refused.code, 2);
  assert.match(refused.err, /^iam-refine: IAM_REFINER_SERVICE_REFERENCE_URL: the Service Reference URL http:\/\/mirror\.example must use https/);
  assert.ok(!existsSync(cachedCatalogPath(env)));
  const show = await cli(['catalog', 'show'], ROOT, freshCache());
  assert.match(show.out, /^@cloud-copilot\/iam-data 0\.21\.202609261 \(456 services, 22091 actions, data of 2026-09-26\)\nbundled: .*catalog\.json\ncache: .*iam-policy-refiner\/catalog\.json\n$/);
});
