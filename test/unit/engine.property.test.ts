/**
 * Property tests of the refinement engine over the real catalog: thousands of generated policies
 * (JSONC text in random layouts) and findings, each refined by the engine and judged by an
 * independent oracle (test/support/oracle.ts). Set PROPERTY_RUNS=<factor> to run more (or fewer)
 * cases, FC_SEED=<n> (printed on failure) to replay a run; the coverage line lists what a run
 * exercised.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { Coverage, params } from '../support/property';
import { AmbiguousRolesError, Finding, NothingLeftError, Scope, Universe, parseFindings, parsePolicyDocument, resolveUnused, splitWords, wordBoundaries } from '../../server/src/core';
import { defaultCatalog } from '../../server/src/workspace/catalogFile';
import { RefUniverse, globRegExp, refBoundaries, refSplitWords, refineAndCheck, refUnused, policyLiterals, readStatements, parseJsoncTree, refFindingNames, CheckReport } from '../support/oracle';
import { CatalogPools, DetailSpec, detailJson, genDetails, genLayout, genPattern, genPolicy, policyAllows, writeJsonc } from '../support/generators';

const catalog = defaultCatalog();
const pools = new CatalogPools(catalog);

const cov = new Coverage();
const count = cov.count;

function explain(text: string, findingsText: string, report: CheckReport): string {
  return `${report.problems.join('\n')}\n--- policy ---\n${JSON.stringify(text)}\n--- findings ---\n${findingsText}\n--- output ---\n${JSON.stringify(report.result?.text ?? '')}`;
}

function tally(report: CheckReport, text: string): void {
  count(report.outcome);
  count('statements', report.stats.statements);
  cov.stats(report.stats);
  if (text.includes('\r\n')) count('CRLF texts');
  if (/\/[*/]/.test(text)) count('texts with comments');
  if (/,\s*[\]}]/.test(text)) count('texts with trailing commas');
  if (/\\u00/.test(text)) count('texts with escapes');
}

describe('words (the rule, step 1)', () => {
  test('named examples', () => {
    const cases: [string, string[]][] = [
      ['GetBucketCORS', ['Get', 'Bucket', 'CORS']],
      ['GetMFADevice', ['Get', 'MFA', 'Device']],
      ['ListV2Objects', ['List', 'V2', 'Objects']],
      ['CreateDBInstance', ['Create', 'DB', 'Instance']],
      ['uploadFiles', ['upload', 'Files']],
      ['document', ['document']],
      ['DescribeIpv6Pools', ['Describe', 'Ipv6', 'Pools']],
      ['InferICD10CM', ['Infer', 'ICD', '10', 'CM']],
      ['CreateEnvironmentEC2', ['Create', 'Environment', 'EC', '2']],
      ['AssociateViaAWSService-EventsAndStates', ['Associate', 'Via', 'AWS', 'Service', '-', 'Events', 'And', 'States']],
      ['PutObjectACL', ['Put', 'Object', 'ACL']],
      ['ABc', ['A', 'Bc']],
      ['S3Access', ['S3', 'Access']],
      ['get_object.v2', ['get', '_', 'object', '.', 'v2']],
      ['', []],
    ];
    for (const [name, words] of cases) {
      assert.deepEqual(splitWords(name), words, name);
      assert.deepEqual(refSplitWords(name), words, `oracle: ${name}`);
    }
  });

  test('word boundaries keep the service and its colon as one token', () => {
    assert.deepEqual(wordBoundaries('s3:GetBucketCORS'), [3, 6, 12, 16]);
    assert.deepEqual(wordBoundaries('vpc-lattice:AssociateViaAWSService-Events'), [12, 21, 24, 27, 34, 35, 41]);
    assert.deepEqual(wordBoundaries('s3:'), [3]);
  });

  test('every catalog name splits as the rule says, and the words put back together give the name', () => {
    let n = 0;
    for (const [prefix, svc] of catalog.services)
      for (const a of svc.actions) {
        const w = splitWords(a);
        assert.equal(w.join(''), a);
        assert.deepEqual(w, refSplitWords(a), a);
        assert.deepEqual(wordBoundaries(`${prefix}:${a}`), refBoundaries(`${prefix}:${a}`));
        n++;
      }
    assert.equal(n, catalog.actionCount);
  });

  test('property: random strings split as the rule says', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'AaBbZz09-_.:x'.split('')), maxLength: 24 }), (s) => {
        assert.equal(splitWords(s).join(''), s);
        assert.deepEqual(splitWords(s), refSplitWords(s));
      }),
      params(2000),
    );
  });
});

/** A generated pattern over a name of a popular or random service. */
function poolPattern(g: fc.GeneratorValue): string {
  const focus = pools.popular.concat(pools.services);
  const names = pools.names.get(focus[g(fc.nat, { max: focus.length - 1 })])!;
  return genPattern(g, catalog, names[g(fc.nat, { max: names.length - 1 })], true, []);
}

describe('pattern expansion', () => {
  test('property: Universe.expand agrees with the oracle on generated patterns', () => {
    const ru = new RefUniverse(catalog);
    const u = new Universe(catalog);
    fc.assert(
      fc.property(fc.gen(), (g) => {
        const p = poolPattern(g);
        const got = u.expand(p).map((i) => u.lower[i]).sort();
        const want = [...ru.expand(p)].sort();
        assert.deepEqual(got, want, p);
        count('patterns expanded');
      }),
      params(1500),
    );
  });

  test('property: Universe.run gives a name\'s or a `prefix*`\'s expansion as its run, and declines every other pattern', () => {
    const ru = new RefUniverse(catalog, ['s3:GetObjectNewerThanTheCatalog']);
    const u = new Universe(catalog, ['s3:GetObjectNewerThanTheCatalog']);
    fc.assert(
      fc.property(fc.gen(), (g) => {
        let p = poolPattern(g);
        if (g(fc.integer, { min: 0, max: 9 }) === 0) p = g(fc.constantFrom, 's3:GetObjectNewerThanTheCatalog', 'S3:getobjectnewer*', 'nosuchservice:Get*', 'nosuch:Thing');
        const want = [...ru.expand(p)].sort();
        if (u.run(p)) {
          const got: string[] = [];
          for (let i = u.runLo; i < u.runHi; i++) got.push(u.lower[i]);
          assert.deepEqual(got.sort(), want, p);
          assert.ok(!/\?/.test(p) && (p.indexOf('*') < 0 || p.indexOf('*') === p.length - 1), `run() took ${p}`);
          count(p.endsWith('*') ? 'runs of prefix*' : 'runs of names');
        } else {
          assert.ok(/\?/.test(p) || (p.includes('*') && p.indexOf('*') !== p.length - 1), `run() declined ${p}`);
          count('runs declined');
        }
      }),
      params(1500),
    );
  });

  test('the oracle\'s matcher: case-insensitive globs', () => {
    assert.ok(globRegExp('s3:get*').test('s3:GetObject'));
    assert.ok(globRegExp('S3:GetObj?ct').test('s3:getobject'));
    assert.ok(!globRegExp('s3:Get?').test('s3:Get'));
    assert.ok(globRegExp('s3*').test('s3control:GetJob'));
    assert.ok(globRegExp('*').test('a:b'));
    assert.ok(!globRegExp('s3:Get.').test('s3:GetX'));
  });
});

interface Generated {
  text: string;
  findingsText: string;
  findings: Finding[];
}

function generateCase(g: fc.GeneratorValue, policyOpts = {}): Generated {
  const spec = genPolicy(g, pools, policyOpts);
  const text = writeJsonc(spec.value, genLayout(g));
  const ru = new RefUniverse(catalog, spec.statements.flatMap((s) => s.values));
  const details = genDetails(g, pools, ru, spec);
  const findingsText = JSON.stringify(details.map(detailJson), null, g(fc.constantFrom, 0, 2, 4));
  return { text, findingsText, findings: parseFindings('findings.json', findingsText).findings };
}

describe('refinement (over the real catalog)', () => {
  test('property: exact, minimal in text, JSONC-preserving, least-general and idempotent', () => {
    fc.assert(
      fc.property(fc.gen(), (g) => {
        const c = generateCase(g);
        const report = refineAndCheck(catalog, c.text, c.findings);
        tally(report, c.text);
        if (report.problems.length) assert.fail(explain(c.text, c.findingsText, report));
      }),
      params(800),
    );
  });

  test('property: a quick fix (one statement or one entry) refines exactly that, exactly', () => {
    fc.assert(
      fc.property(fc.gen(), (g) => {
        const c = generateCase(g);
        const statements = readStatements(parseJsoncTree(c.text).root)!.statements;
        const s = g(fc.nat, { max: statements.length - 1 });
        const entries = statements[s].values.length;
        const scope: Scope = g(fc.integer, { min: 0, max: 2 }) === 0 ? { kind: 'statement', policy: 0, statement: s } : { kind: 'entry', policy: 0, statement: s, entry: g(fc.nat, { max: entries - 1 }) };
        const report = refineAndCheck(catalog, c.text, c.findings, { scope });
        tally(report, c.text);
        if (report.problems.length) assert.fail(`scope ${JSON.stringify(scope)}\n${explain(c.text, c.findingsText, report)}`);
        count(`scoped: ${scope.kind}`);
      }),
      params(250),
    );
  });

  test('property: a policy whose every permission is unused throws NothingLeftError', () => {
    fc.assert(
      fc.property(fc.gen(), (g) => {
        const spec = genPolicy(g, pools, { effects: ['Allow'], maxStatements: 3, principal: false });
        const text = writeJsonc(spec.value, genLayout(g));
        const ru = new RefUniverse(catalog, spec.statements.flatMap((s) => s.values));
        // a wildcard that matches no known action is never removed (nothing in it is unused)
        fc.pre(spec.statements.every((s) => s.values.every((v) => ru.expand(v).length > 0)));
        // unused: everything the policy allows, by name where it is small, by whole service otherwise
        const wide = spec.statements.some((s) => s.key === 'NotAction' || s.values.some((v) => ru.allowsAll(v)));
        const details: DetailSpec[] = [];
        if (wide) for (const svc of ru.services()) details.push({ serviceNamespace: svc });
        else {
          const bySvc = new Map<string, string[]>();
          for (const x of policyAllows(ru, spec)) {
            const name = ru.canonical.get(x)!;
            const svc = name.slice(0, name.indexOf(':'));
            if (g(fc.integer, { min: 0, max: 5 }) === 0) bySvc.set(svc, []);
            else if (bySvc.get(svc)?.length !== 0) bySvc.set(svc, [...(bySvc.get(svc) ?? []), name.slice(name.indexOf(':') + 1)]);
          }
          for (const [svc, actions] of bySvc) details.push({ serviceNamespace: svc, actions });
        }
        const findingsText = JSON.stringify(details.map(detailJson));
        const findings = parseFindings('findings.json', findingsText).findings;
        const report = refineAndCheck(catalog, text, findings, { leastness: false, idempotence: false });
        if (report.problems.length) assert.fail(explain(text, findingsText, report));
        assert.equal(report.outcome, 'nothing-left', `expected NothingLeftError\n${text}`);
        assert.ok(report.error instanceof NothingLeftError);
        count('nothing-left cases');
      }),
      params(150),
    );
  });

  test('property: several roles: what every chosen role leaves unused', () => {
    fc.assert(
      fc.property(fc.gen(), (g) => {
        const spec = genPolicy(g, pools);
        const text = writeJsonc(spec.value, genLayout(g));
        const ru = new RefUniverse(catalog, spec.statements.flatMap((s) => s.values));
        const nRoles = g(fc.integer, { min: 2, max: 3 });
        const roles = Array.from({ length: nRoles }, (_, i) => `arn:aws:iam::123456789012:role/app-${i}`);
        const responses: Record<string, unknown>[] = [];
        roles.forEach((role, i) => {
          const perRole = g(fc.integer, { min: 0, max: 2 });
          for (let k = 0; k < perRole; k++) {
            const status = g(fc.constantFrom, 'ACTIVE', 'ACTIVE', 'ACTIVE', 'ARCHIVED', undefined);
            const findingType = g(fc.constantFrom, 'UnusedPermission', 'UnusedPermission', 'UnusedPermission', 'UnusedIAMRole');
            const details = findingType === 'UnusedPermission' ? genDetails(g, pools, ru, spec).map((d) => ({ unusedPermissionDetails: detailJson({ ...d, objects: true }) })) : [{ unusedIamRoleDetails: { lastAccessed: '2026-01-01T00:00:00Z' } }];
            responses.push({ id: `f-${i}-${k}`, resource: role, findingType, ...(status ? { status } : {}), analyzedAt: '2026-09-01T00:00:00Z', findingDetails: details });
          }
        });
        if (responses.length === 0) return; // nothing to say about
        const findingsText = JSON.stringify(g(fc.boolean) ? responses : { findings: responses }, null, 2);
        const findings = parseFindings('findings.json', findingsText).findings;
        const u = new Universe(catalog, [...refFindingNames(findings), ...policyLiterals(readStatements(parseJsoncTree(text).root)!.statements)]);
        const relevantRoles = new Set(findings.filter((f) => f.findingType === 'UnusedPermission' && (!f.status || f.status === 'ACTIVE')).map((f) => f.resource));
        if (relevantRoles.size > 1) {
          assert.throws(() => resolveUnused(findings, u), AmbiguousRolesError);
          count('ambiguous-role refusals');
        }
        const chosen = roles.filter(() => g(fc.boolean));
        if (chosen.length === 0) chosen.push(roles[0]);
        const engine = new Set([...resolveUnused(findings, u, chosen).indexes].map((i) => u.lower[i]));
        const want = refUnused(findings, new RefUniverse(catalog, [...refFindingNames(findings), ...policyLiterals(readStatements(parseJsoncTree(text).root)!.statements)]), chosen);
        assert.deepEqual([...engine].sort(), [...want].sort());
        // and the refinement with that intersection is exact too
        const report = refineAndCheck(catalog, text, findings, { roles: chosen });
        if (report.problems.length) assert.fail(explain(text, findingsText, report));
        count(`roles: ${chosen.length} chosen`);
      }),
      params(200),
    );
  });

  test('the product\'s example refines to the documented list', () => {
    const root = path.join(__dirname, '..', '..', '..');
    const text = readFileSync(path.join(root, 'examples', 'policy.json'), 'utf8');
    const findings = parseFindings('findings.json', readFileSync(path.join(root, 'examples', 'findings.json'), 'utf8')).findings;
    const report = refineAndCheck(catalog, text, findings);
    assert.deepEqual(report.problems, []);
    const out = parsePolicyDocument(report.result!.text);
    assert.deepEqual(out.policies[0].statements[0].entries.map((e) => e.value), ['lambda:Invoke*']);
    assert.deepEqual(out.policies[0].statements[1].entries.map((e) => e.value), [
      's3:GetAccess*', 's3:GetAccountPublicAccessBlock', 's3:GetBucketAbac', 's3:GetBucketMetadataTableConfiguration', 's3:GetDataAccess',
      's3:GetJobTagging', 's3:GetMulti*', 's3:GetObject*', 's3:GetStorage*', 's3:List*',
    ]);
  });

  test('regression: a padded " *" allows nothing, so it does not turn the statement into NotAction', () => {
    // before the fix: refine treated " *" (trimmed) as "*" and wrote "NotAction": "s3:GetObject",
    // granting every action but one where the original allowed (by Universe.expand) only s3:GetObject
    const text = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[" *","s3:GetObject"],"Resource":"*"}]}';
    const findings = parseFindings('f.json', '[{"serviceNamespace":"s3","actions":["GetObject"]}]').findings;
    const report = refineAndCheck(catalog, text, findings);
    assert.deepEqual(report.problems, []);
    assert.equal(report.result!.text, '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[" *"],"Resource":"*"}]}');
  });

  test('regression: overlapping wildcards refined in one array do not write the same pattern twice', () => {
    const text = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:GetObject*"],"Resource":"*"}]}';
    const findings = parseFindings('f.json', '[{"serviceNamespace":"s3","actions":["GetObjectAcl"]}]').findings;
    const report = refineAndCheck(catalog, text, findings);
    assert.deepEqual(report.problems, []);
    const values = parsePolicyDocument(report.result!.text).policies[0].statements[0].entries.map((e) => e.value.toLowerCase());
    assert.equal(new Set(values).size, values.length, values.join(', '));
    assert.ok(values.includes('s3:getobject'), 'GetObject prefixes the unused GetObjectAcl: written in full');
  });

  test('coverage of the generated cases', () => {
    // printed for the record; a generator that stopped producing a feature would show here
    cov.report(['refined', 'statements changed', 'statements removed', 'NotAction outputs', 'CRLF texts', 'texts with comments', 'nothing-left cases', 'runs of prefix*', 'runs of names', 'runs declined']);
  });
});
