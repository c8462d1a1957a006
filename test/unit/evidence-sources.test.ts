// More sources of evidence: IAM Access Advisor reports and Security Hub OCSF findings, read as
// findings; the same unused permissions from any source give the same refinement (property test);
// findings age; Access Advisor fetched live through the real AWS SDK from a local awsQuery stand-in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  InputError, NothingLeftError, Universe, documentActionNames, findingActionNames, parseFindings, parsePolicyDocument, refineDocument, resolveUnused, universeFor,
} from '../../server/src/core';
import { defaultCatalog } from '../../server/src/workspace/catalogFile';
import { staleFindingsOf } from '../../server/src/workspace/project';
import { CatalogPools, DetailSpec, genDetails, genLayout, genPolicy, writeJsonc, prng } from '../support/generators';
import { RefUniverse } from '../support/oracle';
import { cli } from '../support/cli';
import { FakeIam, FakeService, startFakeIam } from '../support/fakeIam';

const catalog = defaultCatalog();
const pools = new CatalogPools(catalog);
const ROLE = 'arn:aws:iam::123456789012:role/Deployer';
const AT = '2026-11-20T12:00:00.000Z';
const RECENT = '2026-11-02T08:00:00.000Z';
const runs = Math.max(1, Math.round(150 * Number(process.env.PROPERTY_RUNS ?? '1')));
const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
const names = (u: Universe, s: Set<number>) => [...s].map((i) => u.names[i]).sort();
const bare = (a: string) => a.slice(a.indexOf(':') + 1);

// ---------------------------------------------------------------------------------------------
// renderings of the same unused permissions

/** Access Analyzer: one get-finding-v2 response. */
function asAccessAnalyzer(details: DetailSpec[]): string {
  return JSON.stringify({
    id: 'f-1', resource: ROLE, resourceType: 'AWS::IAM::Role', findingType: 'UnusedPermission', status: 'ACTIVE', analyzedAt: AT, updatedAt: AT,
    findingDetails: details.map((d) => ({ unusedPermissionDetails: { serviceNamespace: d.serviceNamespace, ...(d.actions?.length ? { actions: d.actions.map((a) => ({ action: a })) } : {}) } })),
  }, null, 2);
}

/**
 * Access Advisor, as `aws iam get-service-last-accessed-details --granularity ACTION_LEVEL` prints
 * it: a wholly unused service was never authenticated (or last before the 400-day window); in a
 * used service the unused actions are tracked actions never accessed (or before the window), and
 * `used` actions were accessed recently. `usedServices` were accessed and have nothing unused.
 */
function asAccessAdvisor(details: DetailSpec[], used: Map<string, string[]>, usedServices: string[], r: () => number): string {
  const longAgo = '2025-06-01T00:00:00.000Z'; // more than 400 days before AT
  const services: Record<string, unknown>[] = details.map((d) => {
    const base = { ServiceName: `Service ${d.serviceNamespace}`, ServiceNamespace: d.serviceNamespace, TotalAuthenticatedEntities: 0 };
    if (!d.actions?.length) return r() < 0.5 ? base : { ...base, LastAuthenticated: longAgo };
    const tracked = [
      ...d.actions.map((a) => (r() < 0.5 ? { ActionName: bare(a) } : { ActionName: bare(a), LastAccessedTime: longAgo, LastAccessedRegion: 'us-east-1', LastAccessedEntity: ROLE })),
      ...(used.get(d.serviceNamespace) ?? []).map((a) => ({ ActionName: bare(a), LastAccessedTime: RECENT, LastAccessedEntity: ROLE, LastAccessedRegion: 'eu-west-1' })),
    ];
    return { ...base, LastAuthenticated: RECENT, LastAuthenticatedEntity: ROLE, LastAuthenticatedRegion: 'eu-west-1', TotalAuthenticatedEntities: 1, TrackedActionsLastAccessed: tracked };
  });
  for (const s of usedServices) services.push({ ServiceName: `Service ${s}`, ServiceNamespace: s, LastAuthenticated: RECENT, TotalAuthenticatedEntities: 1 });
  return JSON.stringify({ JobStatus: 'COMPLETED', JobType: 'ACTION_LEVEL', JobCreationDate: '2026-11-20T11:59:00.000Z', ServicesLastAccessed: services, JobCompletionDate: AT, IsTruncated: false, Arn: ROLE }, null, 4);
}

/** Security Hub: an OCSF finding as exported, Access Analyzer's details under the role resource's data; whole services sometimes as OCSF's service_privilege_analysis_list. */
function asSecurityHub(details: DetailSpec[], r: () => number): string {
  const wholeAsOcsf = details.filter((d) => !d.actions?.length && r() < 0.5);
  const rest = details.filter((d) => !wholeAsOcsf.includes(d));
  const finding = {
    activity_id: 2, category_uid: 2, class_name: 'IAM Analysis Finding', class_uid: 2008, severity_id: 3, status: 'New', status_id: 1,
    cloud: { account: { uid: '123456789012' }, provider: 'AWS', region: 'us-east-1' },
    finding_info: {
      uid: `arn:aws:access-analyzer:us-east-1:123456789012:analyzer/ConsoleAnalyzer/${ROLE}`,
      title: `AwsIamRole/${ROLE}/ has unused permissions`,
      types: ['Software and Configuration Checks/AWS Security Best Practices/Unused Permission'],
      created_time_dt: '2026-09-01T00:00:00.000Z', last_seen_time_dt: AT, modified_time_dt: AT,
    },
    metadata: { product: { name: 'IAM Access Analyzer', vendor_name: 'AWS' }, version: '1.6.0' },
    resources: [{ type: 'AwsIamRole', uid: ROLE, data: { unusedPermissionDetails: rest.map((d) => ({ serviceNamespace: d.serviceNamespace, ...(d.actions?.length ? { actions: d.actions.map((a) => ({ action: a })) } : {}) })) } }],
    ...(wholeAsOcsf.length ? { permission_analysis_results: [{ service_privilege_analysis_list: wholeAsOcsf.map((d) => ({ name: d.serviceNamespace, all_privileges_unused: true })) }] } : {}),
    time_dt: AT,
  };
  return JSON.stringify(r() < 0.5 ? { Findings: [finding] } : [finding], null, 2);
}

function refineWith(text: string, file: string, findingsText: string): { result: string; unused: string[] } {
  const doc = parsePolicyDocument(text, 'policy.json');
  const findings = parseFindings(file, findingsText).findings;
  const u = universeFor(catalog, [...findingActionNames(findings), ...documentActionNames(doc)]);
  const unused = resolveUnused(findings, u, [ROLE]);
  let result: string;
  try {
    result = refineDocument({ universe: u, unused: unused.indexes }, doc).text;
  } catch (e) {
    if (!(e instanceof NothingLeftError)) throw e;
    result = `nothing left: ${e.message}`;
  }
  return { result, unused: names(u, unused.indexes) };
}

test('property: Access Analyzer, Access Advisor and Security Hub findings of the same unused permissions give the same refinement', () => {
  let refined = 0;
  fc.assert(
    fc.property(fc.gen(), (g) => {
      const spec = genPolicy(g, pools);
      const text = writeJsonc(spec.value, genLayout(g));
      const ru = new RefUniverse(catalog, spec.statements.flatMap((s) => s.values));
      const details = genDetails(g, pools, ru, spec).filter((d, i, all) => all.findIndex((x) => x.serviceNamespace.toLowerCase() === d.serviceNamespace.toLowerCase()) === i);
      const r = prng(g(fc.nat));
      // what the role did use: some allowed actions of the services with action-level details, and the focus services without details
      const unusedNames = new Set(details.flatMap((d) => (d.actions ?? []).map((a) => `${d.serviceNamespace}:${bare(a)}`.toLowerCase())));
      const used = new Map<string, string[]>();
      for (const d of details) {
        if (!d.actions?.length) continue;
        const own = ru.service(d.serviceNamespace).filter((n) => !unusedNames.has(n) && r() < 0.1).map((n) => ru.canonical.get(n) ?? n);
        used.set(d.serviceNamespace, own.slice(0, 5));
      }
      const usedServices = spec.focus.filter((s) => !details.some((d) => d.serviceNamespace === s));
      const aa = refineWith(text, 'aa.json', asAccessAnalyzer(details));
      const advisor = refineWith(text, 'advisor.json', asAccessAdvisor(details, used, usedServices, r));
      const hub = refineWith(text, 'hub.json', asSecurityHub(details, r));
      assert.deepEqual(advisor.unused, aa.unused, 'Access Advisor: the same unused set');
      assert.deepEqual(hub.unused, aa.unused, 'Security Hub: the same unused set');
      assert.equal(advisor.result, aa.result, 'Access Advisor: the same refinement');
      assert.equal(hub.result, aa.result, 'Security Hub: the same refinement');
      if (aa.result !== text) refined++;
    }),
    { numRuns: runs, seed, includeErrorInReport: true },
  );
  assert.ok(refined > runs / 4, `only ${refined} of ${runs} cases changed the policy: the property would prove little`);
});

// ---------------------------------------------------------------------------------------------
// Access Advisor files

const advisor = (services: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ JobStatus: 'COMPLETED', JobType: 'ACTION_LEVEL', JobCreationDate: '2026-11-20T11:00:00+00:00', ServicesLastAccessed: services, JobCompletionDate: '2026-11-20T11:00:05.123000+00:00', IsTruncated: false, ...extra });

test('Access Advisor: a service never authenticated is wholly unused; tracked actions never accessed are unused; untracked ones are not judged', () => {
  const f = parseFindings('advisor.json', advisor([
    { ServiceName: 'Amazon SQS', ServiceNamespace: 'sqs', TotalAuthenticatedEntities: 0 },
    { ServiceName: 'Amazon S3', ServiceNamespace: 's3', LastAuthenticated: '2026-11-01T10:00:00+00:00', TotalAuthenticatedEntities: 1, TrackedActionsLastAccessed: [
      { ActionName: 'GetObject', LastAccessedTime: '2026-11-01T10:00:00+00:00', LastAccessedEntity: ROLE, LastAccessedRegion: 'us-east-1' },
      { ActionName: 'PutObject' },
      { ActionName: 'DeleteObject', LastAccessedTime: '2024-01-01T00:00:00+00:00' },
    ] },
    { ServiceName: 'AWS Lambda', ServiceNamespace: 'lambda', LastAuthenticated: '2026-11-19T10:00:00+00:00', TotalAuthenticatedEntities: 1 },
  ]));
  assert.equal(f.format, 'access-advisor');
  const [finding] = f.findings;
  assert.equal(finding.evidence, 'access-advisor');
  assert.equal(finding.trackingDays, 400);
  assert.equal(finding.analyzedAt, '2026-11-20T11:00:05.123Z');
  const u = new Universe(catalog, findingActionNames(f.findings));
  const unused = resolveUnused(f.findings, u);
  const got = names(u, unused.indexes);
  assert.equal(got.filter((n) => n.startsWith('sqs:')).length, catalog.services.get('sqs')!.actions.length);
  assert.deepEqual(got.filter((n) => !n.startsWith('sqs:')), ['s3:DeleteObject', 's3:PutObject'], 'accessed in 2024, before the 400-day window: unused');
  assert.match(unused.evidence!, /^Access Advisor, findings of 2026-11-20, tracking period 400 days$/);
  // TrackingPeriodDays (our addition) narrows the window
  const narrow = parseFindings('advisor.json', advisor([{ ServiceName: 'S3', ServiceNamespace: 's3', LastAuthenticated: '2026-06-01T00:00:00Z', TrackedActionsLastAccessed: [{ ActionName: 'GetObject', LastAccessedTime: '2026-06-01T00:00:00Z' }] }], { TrackingPeriodDays: 90, Arn: ROLE }));
  assert.equal(narrow.findings[0].resource, ROLE);
  assert.deepEqual(narrow.findings[0].details.map((d) => d.serviceNamespace), ['s3'], 'authenticated 172 days before: unused in a 90-day window');
});

test('Access Advisor and Security Hub: bad input is named with its place', () => {
  const cases: [string, string, RegExp][] = [
    ['a.json', advisor([], { JobStatus: 'IN_PROGRESS' }), /^a\.json:1:\d+: the Access Advisor report is not complete \(JobStatus IN_PROGRESS\)/],
    ['a.json', JSON.stringify({ JobStatus: 'COMPLETED', ServicesLastAccessed: [] }), /^a\.json:1:1: an Access Advisor report needs "JobCompletionDate"/],
    ['a.json', advisor([{ ServiceName: 'S3', ServiceNamespace: 's3', LastAuthenticated: 'yesterday' }]), /^a\.json:1:\d+: "LastAuthenticated" is not a date: "yesterday"/],
    ['a.json', advisor([{ ServiceName: 'S3' }]), /^a\.json:1:\d+: missing "ServiceNamespace"/],
    ['a.json', advisor([{ ServiceNamespace: 's3', LastAuthenticated: '2026-11-01T00:00:00Z', TrackedActionsLastAccessed: {} }]), /"TrackedActionsLastAccessed" must be an array/],
    ['h.json', JSON.stringify({ Findings: [{ class_uid: 2008, finding_info: { types: ['Software and Configuration Checks/AWS Security Best Practices/Unused Permission'] }, resources: [{ uid: ROLE }] }] }), /^h\.json:1:\d+: a Security Hub unused-permission finding without unused permissions/],
    ['h.json', JSON.stringify({ Findings: [{ class_uid: 2008, finding_info: {} }, { hello: 1 }] }), /^h\.json:1:\d+: not an OCSF finding/],
  ];
  for (const [file, text, re] of cases) {
    assert.throws(() => parseFindings(file, text), (e: unknown) => e instanceof InputError && re.test(e.message), `${text}`);
  }
});

test('Security Hub: role, date and status are read; resolved and suppressed findings remove nothing; other types are information', () => {
  const mk = (status: string, types: string[]) => ({
    class_uid: 2008, status, finding_info: { uid: 'x', types, last_seen_time_dt: AT },
    resources: [{ type: 'AwsIamRole', uid: ROLE, data: { unusedPermissionDetails: [{ serviceNamespace: 's3', actions: ['s3:PutObject'] }] } }],
  });
  const unused = 'Software and Configuration Checks/AWS Security Best Practices/Unused Permission';
  const f = parseFindings('hub.json', JSON.stringify([mk('New', [unused]), mk('Resolved', [unused]), mk('Suppressed', [unused]), mk('New', ['Software and Configuration Checks/AWS Security Best Practices/Unused IAM Role'])]));
  assert.equal(f.format, 'security-hub');
  assert.deepEqual(f.findings.map((x) => [x.status, x.findingType]), [['ACTIVE', 'UnusedPermission'], ['RESOLVED', 'UnusedPermission'], ['ARCHIVED', 'UnusedPermission'], ['ACTIVE', 'UnusedIAMRole']]);
  assert.equal(f.findings[0].resource, ROLE);
  assert.equal(f.findings[0].analyzedAt, AT);
  const u = new Universe(catalog);
  const set = resolveUnused(f.findings, u, [ROLE]);
  assert.deepEqual(names(u, set.indexes), ['s3:PutObject']);
  assert.equal(set.evidence, 'Security Hub, role Deployer, findings of 2026-11-20, tracking period 90 days');
});

test('findings age: older than maxFindingsAgeDays is a warning naming the source, role and date; check prints it', async () => {
  const now = Date.parse('2027-01-10T00:00:00Z');
  const findings = parseFindings('aa.json', asAccessAnalyzer([{ serviceNamespace: 's3', actions: ['PutObject'] }])).findings;
  const src = [{ id: 'aa', kind: 'file', label: 'findings/aa.json', findings }];
  assert.deepEqual(staleFindingsOf(src, 30, now), ['findings/aa.json (Access Analyzer, role Deployer): findings of 2026-11-20 are 50 days old (maxFindingsAgeDays 30); fetch them again']);
  assert.deepEqual(staleFindingsOf(src, 60, now), []);
  assert.deepEqual(staleFindingsOf(src, 30, Date.parse('2026-12-01T00:00:00Z')), []);
  // through the CLI, at the real clock: findings of 2026-11-20 are older than 0 days, and not older than 100,000 days
  const dir = mkdtempSync(join(tmpdir(), 'iam-age-'));
  try {
    writeFileSync(join(dir, 'policy.json'), JSON.stringify({ Statement: [{ Effect: 'Allow', Action: ['s3:PutObject', 's3:GetObject'], Resource: '*' }] }));
    writeFileSync(join(dir, 'aa-findings.json'), asAccessAnalyzer([{ serviceNamespace: 's3', actions: ['PutObject'] }]));
    writeFileSync(join(dir, 'iam-refiner.json'), JSON.stringify({ maxFindingsAgeDays: 0 }));
    const r = await cli(['check', 'policy.json'], dir);
    assert.match(r.err, /iam-refine: warning: aa-findings\.json \(Access Analyzer, role Deployer\): findings of 2026-11-20 are \d+ days old \(maxFindingsAgeDays 0\)/);
    assert.match(r.out, /s3:PutObject is unused \(not used in the tracking period\) \[Access Analyzer, role Deployer, findings of 2026-11-20, tracking period not stated\]/);
    writeFileSync(join(dir, 'iam-refiner.json'), JSON.stringify({ maxFindingsAgeDays: 100000 }));
    assert.doesNotMatch((await cli(['check', 'policy.json'], dir)).err, /warning/);
    writeFileSync(join(dir, 'iam-refiner.json'), '{\n  "maxFindingsAgeDays": "thirty"\n}');
    const bad = await cli(['check', 'policy.json'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /iam-refiner\.json:2:25: "maxFindingsAgeDays" must be a number of days/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------
// Access Advisor, live: the real AWS SDK (awsQuery) against the local stand-in

const KEY_ID = 'AKIDEVIDENCETEST0001';
const SECRET = 'evidence/secret/key/never+printed+0123456789';
let fake: FakeIam;
const savedEnv: Record<string, string | undefined> = {};
let home: string;

const SERVICES: FakeService[] = [
  { ServiceName: 'Amazon S3', ServiceNamespace: 's3', LastAuthenticated: '2026-11-19T10:00:00Z', TotalAuthenticatedEntities: 1, TrackedActionsLastAccessed: [
    { ActionName: 'GetObject', LastAccessedTime: '2026-11-19T10:00:00Z', LastAccessedEntity: ROLE, LastAccessedRegion: 'eu-west-1' },
    { ActionName: 'PutObject' },
    { ActionName: 'DeleteObject' },
  ] },
  { ServiceName: 'AWS Lambda', ServiceNamespace: 'lambda', TotalAuthenticatedEntities: 0 },
  { ServiceName: 'Amazon SQS', ServiceNamespace: 'sqs', LastAuthenticated: '2026-11-18T10:00:00Z', TotalAuthenticatedEntities: 1 },
];

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'iam-advisor-home-'));
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_REGION', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_EC2_METADATA_DISABLED', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']) savedEnv[k] = process.env[k];
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET, AWS_CONFIG_FILE: join(home, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  fake = await startFakeIam({ reports: { [ROLE]: SERVICES, 'arn:aws:iam::123456789012:role/Broken': [] }, credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET }, completionDate: AT, pollsUntilDone: 2, pageSize: 2, throttleFirst: 1, failRoles: ['arn:aws:iam::123456789012:role/Broken'] });
});

after(async () => {
  await fake?.close();
  for (const [k, v] of Object.entries(savedEnv)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  rmSync(home, { recursive: true, force: true });
});

test('fetch --source access-advisor: generate, poll, every page, through the real SDK; the file refines like the equivalent Access Analyzer findings', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'iam-advisor-'));
  try {
    const r = await cli(['fetch', '--source', 'access-advisor', '--role', ROLE, '--endpoint', fake.endpoint, '--out', 'advisor.json', '--poll-interval', '0.01'], dir);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Deployer: Access Advisor report of 2026-11-20T12:00:00.000Z, 3 services/);
    const actions = fake.requests.map((q) => q.action);
    assert.equal(actions[0], 'GenerateServiceLastAccessedDetails');
    assert.equal(fake.requests[0].params.Granularity, 'ACTION_LEVEL');
    assert.ok(actions.filter((a) => a === 'GetServiceLastAccessedDetails').length >= 4, `polled until done, then a second page: ${actions.join(', ')}`);
    assert.ok(fake.requests.some((q) => q.params.Marker), 'the second page was asked for with its Marker');
    assert.ok(fake.requests.every((q) => q.accessKeyId === KEY_ID), 'every request signed (SigV4 checked by the stand-in)');
    const text = readFileSync(join(dir, 'advisor.json'), 'utf8');
    assert.ok(!text.includes(SECRET) && !r.out.includes(SECRET) && !r.err.includes(SECRET), 'the secret key is nowhere');
    const report = JSON.parse(text);
    assert.equal(report.Arn, ROLE);
    assert.equal(report.ServicesLastAccessed.length, 3);
    assert.equal(report.JobCompletionDate, AT);
    // the same refinement as Access Analyzer's findings of the same unused permissions
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:*Object', 'lambda:InvokeFunction', 'sqs:SendMessage'], Resource: '*' }] }, null, 2);
    writeFileSync(join(dir, 'policy.json'), policy);
    writeFileSync(join(dir, 'aa.json'), asAccessAnalyzer([{ serviceNamespace: 's3', actions: ['PutObject', 'DeleteObject'] }, { serviceNamespace: 'lambda' }]));
    const viaAdvisor = await cli(['refine', 'policy.json', '--findings', 'advisor.json'], dir);
    const viaAnalyzer = await cli(['refine', 'policy.json', '--findings', 'aa.json'], dir);
    assert.equal(viaAdvisor.code, 0, viaAdvisor.err);
    assert.equal(viaAdvisor.out, viaAnalyzer.out);
    assert.notEqual(viaAdvisor.out, policy);
    const st = JSON.parse(viaAdvisor.out).Statement[0].Action as string[];
    assert.ok(!st.includes('lambda:InvokeFunction') && st.includes('sqs:SendMessage') && !st.includes('s3:*Object'), viaAdvisor.out);
    // every diagnostic says its source
    const check = await cli(['check', 'policy.json', '--findings', 'advisor.json'], dir);
    assert.match(check.out, /\[Access Advisor, role Deployer, findings of 2026-11-20, tracking period 400 days\]/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fetch --source access-advisor: a failed job, an unknown role and a missing --role are one sentence each, exit 2, nothing written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'iam-advisor-'));
  try {
    const failed = await cli(['fetch', '--source', 'access-advisor', '--role', 'arn:aws:iam::123456789012:role/Broken', '--endpoint', fake.endpoint, '--out', 'a.json', '--poll-interval', '0'], dir);
    assert.equal(failed.code, 2);
    assert.match(failed.err, /the Access Advisor job for arn:aws:iam::123456789012:role\/Broken failed: the report could not be generated/);
    const unknown = await cli(['fetch', '--source', 'access-advisor', '--role', 'arn:aws:iam::123456789012:role/Nobody', '--endpoint', fake.endpoint, '--out', 'a.json'], dir);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /Nobody cannot be found/);
    const noRole = await cli(['fetch', '--source', 'access-advisor', '--endpoint', fake.endpoint, '--out', 'a.json'], dir);
    assert.equal(noRole.code, 2);
    assert.match(noRole.err, /needs --role ARN/);
    const badSource = await cli(['fetch', '--source', 'cloudtrail', '--out', 'a.json'], dir);
    assert.match(badSource.err, /--source must be access-analyzer or access-advisor, not "cloudtrail"/);
    assert.throws(() => readFileSync(join(dir, 'a.json')), /ENOENT/);
    for (const r of [failed, unknown]) assert.ok(!r.err.includes(SECRET));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Security Hub ASFF (not OCSF) is refused as unrecognised, and the message lists what is read', () => {
  assert.throws(
    () => parseFindings('asff.json', JSON.stringify({ Findings: [{ SchemaVersion: '2018-10-08', Id: 'x', Types: ['Software and Configuration Checks/AWS Security Best Practices/Unused Permission'] }] })),
    /^Error: asff\.json:1:1: unrecognised findings format: .*an Access Advisor report \(get-service-last-accessed-details\) or Security Hub findings in OCSF$/,
  );
});
