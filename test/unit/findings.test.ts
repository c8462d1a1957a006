import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseFindings, resolveUnused, Universe, findingActionNames, InputError, bindPolicy, emptyConfig, parseConfig } from '../../server/src/core';
import type { Finding } from '../../server/src/core';
import { defaultCatalog } from '../../server/src/workspace/catalogFile';

const catalog = defaultCatalog();
const names = (u: Universe, s: Set<number>) => [...s].map((i) => u.names[i]).sort();

const v2 = (resource: string | undefined, details: unknown[], extra: Record<string, unknown> = {}) => ({
  id: 'f-1', ...(resource ? { resource } : {}), resourceType: 'AWS::IAM::Role', findingType: 'UnusedPermission', status: 'ACTIVE',
  analyzedAt: '2026-11-01T10:00:00Z', findingDetails: details, ...extra,
});

test('format (a): the list, names with or without prefix, canonical case restored', () => {
  const f = parseFindings('a.json', JSON.stringify([{ serviceNamespace: 's3', actions: ['getobject', 's3:PutObject'] }]));
  assert.equal(f.format, 'list');
  const u = new Universe(catalog, findingActionNames(f.findings));
  assert.deepEqual(names(u, resolveUnused(f.findings, u).indexes), ['s3:GetObject', 's3:PutObject']);
});

test('format (b): one get-finding-v2 response, lastAccessed kept per action', () => {
  const f = parseFindings('b.json', JSON.stringify(v2('arn:aws:iam::123456789012:role/R', [
    { unusedPermissionDetails: { serviceNamespace: 'lambda', actions: [{ action: 'GetFunction', lastAccessed: '2026-01-02T03:04:05Z' }, { action: 'lambda:DeleteFunction' }] } },
  ])));
  assert.equal(f.format, 'get-finding-v2');
  assert.equal(f.findings[0].resource, 'arn:aws:iam::123456789012:role/R');
  const u = new Universe(catalog);
  const unused = resolveUnused(f.findings, u);
  assert.deepEqual(names(u, unused.indexes), ['lambda:DeleteFunction', 'lambda:GetFunction']);
  const i = u.indexOf('lambda:GetFunction')!;
  assert.equal(unused.info.get(i)!.lastAccessed.get('arn:aws:iam::123456789012:role/R'), '2026-01-02T03:04:05Z');
});

test('a detail with no, null or empty actions means the whole service is unused', () => {
  for (const actions of [undefined, null, []]) {
    const f = parseFindings('b.json', JSON.stringify(v2(undefined, [{ unusedPermissionDetails: { serviceNamespace: 'sqs', ...(actions === undefined ? {} : { actions }) } }])));
    const u = new Universe(catalog);
    const unused = resolveUnused(f.findings, u);
    assert.equal(unused.indexes.size, catalog.services.get('sqs')!.actions.length);
  }
});

test('format (c): an array of responses and {"findings": [...]}; other finding types kept as information only', () => {
  const arr = [v2('arn:aws:iam::1:role/A', [{ unusedPermissionDetails: { serviceNamespace: 's3', actions: [{ action: 'GetObject' }] } }]),
    v2('arn:aws:iam::1:role/A', [{ unusedIamRoleDetails: { lastAccessed: '2025-01-01T00:00:00Z' } }], { findingType: 'UnusedIAMRole' })];
  const c1 = parseFindings('c.json', JSON.stringify(arr));
  assert.equal(c1.format, 'get-finding-v2-array');
  assert.equal(c1.findings.length, 2);
  assert.equal(c1.findings[1].findingType, 'UnusedIAMRole');
  const c2 = parseFindings('c.json', JSON.stringify({ findings: arr }));
  assert.equal(c2.format, 'findings-object');
  const u = new Universe(catalog);
  assert.deepEqual(names(u, resolveUnused(c2.findings, u).indexes), ['s3:GetObject']);
});

test('archived or resolved findings remove nothing', () => {
  const f = parseFindings('b.json', JSON.stringify(v2('arn:aws:iam::1:role/A', [{ unusedPermissionDetails: { serviceNamespace: 's3', actions: [{ action: 'GetObject' }] } }], { status: 'RESOLVED' })));
  const u = new Universe(catalog);
  assert.equal(resolveUnused(f.findings, u).indexes.size, 0);
});

test('an action newer than the catalog joins the universe, so it is removed and never granted back', () => {
  const f = parseFindings('a.json', JSON.stringify([{ serviceNamespace: 's3', actions: ['GetObjectBrandNew'] }]));
  const u = new Universe(catalog, findingActionNames(f.findings));
  assert.equal(u.size, catalog.actionCount + 1);
  assert.ok(u.expand('s3:GetObject*').map((i) => u.names[i]).includes('s3:GetObjectBrandNew'));
  assert.deepEqual(names(u, resolveUnused(f.findings, u).indexes), ['s3:GetObjectBrandNew']);
});

test('malformed findings name the place; a policy given as findings is recognised', () => {
  const cases: [string, RegExp][] = [
    ['{"findingDetails": {}}', /^x\.json:1:20: "findingDetails" must be an array/],
    ['[{"serviceNamespace": "s3", "serviceNamespace": "ec2"}]', /^x\.json:1:29: duplicate key "serviceNamespace" \(first at 1:3\)/],
    ['{"findings": [' + '['.repeat(600) + ']'.repeat(600) + ']}', /^x\.json:1:525: nested deeper than 512 levels/],
    ['[{"serviceNamespace": "s3"}, {"nope": 1}]', /^x\.json:1:30: not a findings entry/],
    ['{"Version": "2012-10-17", "Statement": []}', /this is an IAM policy, not a findings file/],
    ['', /^x\.json:1:1: empty file/],
    ['[{"serviceNamespace": 3}]', /"serviceNamespace" must be a string/],
  ];
  for (const [text, re] of cases) {
    assert.throws(() => parseFindings('x.json', text), (e: unknown) => e instanceof InputError && re.test(e.message), text);
  }
});

test('an empty list is a valid findings file that says nothing is unused', () => {
  const f = parseFindings('x.json', '[]');
  assert.equal(f.format, 'list');
  assert.deepEqual(f.findings, []);
  assert.deepEqual(parseFindings('y.json', '{"findings": []}').findings, []);
});

test('several roles: an action counts as unused only when every role leaves it unused; a role without a finding leaves nothing', () => {
  const mk = (role: string, actions: string[]) => v2(`arn:aws:iam::1:role/${role}`, [{ unusedPermissionDetails: { serviceNamespace: 's3', actions: actions.map((action) => ({ action })) } }]);
  const f = parseFindings('c.json', JSON.stringify([mk('A', ['GetObject', 'PutObject']), mk('B', ['PutObject', 'DeleteObject'])]));
  const u = new Universe(catalog);
  assert.deepEqual(names(u, resolveUnused(f.findings, u, ['arn:aws:iam::1:role/A', 'arn:aws:iam::1:role/B']).indexes), ['s3:PutObject']);
  assert.equal(resolveUnused(f.findings, u, ['arn:aws:iam::1:role/A', 'arn:aws:iam::1:role/C']).indexes.size, 0);
  assert.throws(() => resolveUnused(f.findings, u), /concern 2 roles/);
});

test('binding: config globs first, then one role for all, then a file named like the role, else ambiguous', () => {
  const mk = (role: string) => v2(`arn:aws:iam::1:role/svc/${role}`, [{ unusedPermissionDetails: { serviceNamespace: 's3' } }]);
  const two = parseFindings('c.json', JSON.stringify([mk('Deployer'), mk('Reader')])).findings;
  const one = parseFindings('c.json', JSON.stringify([mk('Deployer')])).findings;
  assert.deepEqual(bindPolicy('policies/x.json', emptyConfig(), one), { kind: 'all', roles: ['arn:aws:iam::1:role/svc/Deployer'] });
  assert.deepEqual(bindPolicy('policies/Deployer.json', emptyConfig(), two), { kind: 'roles', roles: ['arn:aws:iam::1:role/svc/Deployer'], via: 'file name' });
  assert.deepEqual(bindPolicy('policies/reader.policy.json', emptyConfig(), two), { kind: 'roles', roles: ['arn:aws:iam::1:role/svc/Reader'], via: 'file name' });
  assert.deepEqual(bindPolicy('policies/x.json', emptyConfig(), two), { kind: 'ambiguous', candidates: ['arn:aws:iam::1:role/svc/Deployer', 'arn:aws:iam::1:role/svc/Reader'] });
  const cfg = parseConfig('iam-refiner.json', '{"roles": {"policies/**/*.json": ["arn:aws:iam::123456789012:role/Deployer"]}}');
  assert.deepEqual(bindPolicy('policies/a/x.json', cfg, two), { kind: 'roles', roles: ['arn:aws:iam::123456789012:role/Deployer'], via: 'config' });
  assert.deepEqual(bindPolicy('x.json', emptyConfig(), []), { kind: 'no-findings' });
});

test('property: the unused set over universes with names of their own (findings resolved once, per catalog) is the names the findings give', () => {
  const catalog = defaultCatalog();
  const names = catalog.sorted().names;
  const some = names.filter((_, i) => i % 97 === 0);
  const made = fc.tuple(fc.constantFrom('s3', 'ec2', 'iam', 'zzz', 'a'), fc.stringMatching(/^[A-Za-z]{1,8}$/)).map(([s, a]) => `${s}:${a}`);
  const name = fc.oneof(fc.constantFrom(...some), made);
  const findingsArb = fc.array(fc.array(name, { maxLength: 30 }), { minLength: 1, maxLength: 3 });
  fc.assert(
    fc.property(findingsArb, fc.array(fc.array(made, { maxLength: 6 }), { minLength: 1, maxLength: 4 }), (lists, universes) => {
      const findings: Finding[] = lists.map((l) => ({
        findingType: 'UnusedPermission',
        source: 'findings.json',
        details: [...new Set(l.map((n) => n.split(':')[0]))].map((svc) => ({ serviceNamespace: svc, actions: l.filter((n) => n.split(':')[0] === svc).map((n) => ({ action: n.split(':')[1] })) })),
      }));
      // the same findings (the same objects) over several universes, each with extra names of its own and the findings' own
      for (const extras of universes) {
        const u = new Universe(catalog, [...extras, ...findingActionNames(findings)]);
        const got = [...resolveUnused(findings, u).indexes].map((i) => u.lower[i]).sort();
        const known = new Set(u.lower);
        const want = [...new Set(lists.flat().map((n) => n.toLowerCase()))].filter((l) => known.has(l)).sort();
        assert.deepEqual(got, want);
        // and every catalog action is where the universe's own lookup puts it
        const lower = catalog.sorted().lower;
        const near = [...extras, ...findingActionNames(findings)].flatMap((e) => {
          // the catalog actions on either side of where an extra name goes in
          let c = 0;
          for (let hi = lower.length; c < hi; ) {
            const mid = (c + hi) >> 1;
            if (lower[mid] < e.toLowerCase()) c = mid + 1;
            else hi = mid;
          }
          return [c - 1, c].filter((x) => x >= 0 && x < lower.length);
        });
        for (const c of [...near, ...some.map((n) => catalog.indexOfLower(n.toLowerCase()))]) assert.equal(u.fromCatalog(c), u.indexOf(names[c]), names[c]);
      }
    }),
    { numRuns: 300 },
  );
});
