/**
 * Property tests of the YAML format over the real catalog: generated policies (test/support/
 * generators.ts) rendered into each YAML host (a CloudFormation role and managed policy, a SAM
 * function, serverless.yml in its three places, a plain YAML policy) in random styles (block or
 * flow, plain/single/double quotes, comments, CRLF, indentation 2/4, sequences indented or not),
 * refined, and judged by the YAML oracle (test/support/yamlOracle.ts), which reads the text with
 * `yaml`'s plain parse(), not the format's locator. PROPERTY_RUNS=<factor> and FC_SEED=<n> as in
 * engine.property.test.ts.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Coverage, params } from '../support/property';
import { parseFindings } from '../../server/src/core';
import { defaultCatalog } from '../../server/src/workspace/catalogFile';
import { RefUniverse } from '../support/oracle';
import { CatalogPools, genFindingsFor, genPolicy } from '../support/generators';
import { YAML_HOSTS, YamlCheckReport, genYamlStyle, refineAndCheckYaml, renderYaml, Rendered } from '../support/yamlOracle';

const catalog = defaultCatalog();
const pools = new CatalogPools(catalog);

const cov = new Coverage();
const count = cov.count;

function explain(r: Rendered, findingsText: string, report: YamlCheckReport): string {
  return `${report.problems.join('\n')}\n--- ${r.host} ---\n${r.text}\n--- findings ---\n${findingsText}\n--- output ---\n${report.result?.text ?? ''}`;
}

function tally(report: YamlCheckReport, r: Rendered): void {
  count(report.outcome);
  count(`host ${r.host}`);
  count('statements', report.stats.statements);
  cov.stats(report.stats);
  if (r.text.includes('\r\n')) count('CRLF texts');
  if (r.text.includes('# c')) count('texts with comments');
  if (/: \[|- \{|: \{/.test(r.text)) count('texts with flow collections');
  if (r.text.includes("'")) count('texts with single quotes');
  if (r.text.includes('!Sub')) count('texts with !Sub');
}

describe('YAML hosts (over the real catalog)', () => {
  test('property: exact, least-general, minimal in text, style- and comment-preserving, idempotent, in every host', () => {
    fc.assert(
      fc.property(fc.gen(), (g) => {
        const spec = genPolicy(g, pools);
        const host = g(fc.constantFrom, ...YAML_HOSTS);
        const r = renderYaml(spec.value, host, genYamlStyle(g));
        const { findingsText, findings } = genFindingsFor(g, pools, spec);
        const report = refineAndCheckYaml(catalog, r, findings);
        tally(report, r);
        if (report.problems.length) assert.fail(explain(r, findingsText, report));
      }),
      params(500, { stopAtFirst: true }),
    );
  });

  test('property: a policy whose every permission is unused is refused (NothingLeftError), in every host', () => {
    fc.assert(
      fc.property(fc.gen(), (g) => {
        const spec = genPolicy(g, pools, { effects: ['Allow'], maxStatements: 3, principal: false });
        const host = g(fc.constantFrom, ...YAML_HOSTS);
        const r = renderYaml(spec.value, host, genYamlStyle(g));
        const ru = new RefUniverse(catalog, spec.statements.flatMap((s) => s.values));
        fc.pre(spec.statements.every((s) => s.values.every((v) => ru.expand(v).length > 0)));
        const findingsText = JSON.stringify(ru.services().map((svc) => ({ serviceNamespace: svc })));
        const report = refineAndCheckYaml(catalog, r, parseFindings('findings.json', findingsText).findings, { leastness: false, idempotence: false });
        if (report.problems.length) assert.fail(explain(r, findingsText, report));
        assert.equal(report.outcome, 'nothing-left', r.text);
        count('nothing-left cases');
      }),
      params(60, { stopAtFirst: true }),
    );
  });

  test('coverage of the generated YAML cases', () => {
    cov.report(['refined', 'statements changed', 'statements removed', 'NotAction outputs', 'CRLF texts', 'texts with comments', 'texts with flow collections', 'texts with single quotes', 'texts with !Sub', 'nothing-left cases', ...YAML_HOSTS.map((h) => `host ${h}`)]);
  });
});
