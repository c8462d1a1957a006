/**
 * Property tests of Terraform's JSON syntax (`*.tf.json`) over the real catalog: generated policies
 * (generators.ts) rendered as a policy string (its JSON escaped inside a Terraform JSON string, with
 * random extra escapes) and as an aws_iam_policy_document's statement objects
 * (test/support/tfJsonOracle.ts), refined by the engine, and judged by tfOracle.ts's check with an
 * independent reading of the output (JSON.parse, the RefUniverse expansion of oracle.ts): exact,
 * least-general, edits only inside the changed lists, still JSON, idempotent.
 * PROPERTY_RUNS=<factor> and FC_SEED=<n> as in engine.property.test.ts.
 */
import { test, describe, before } from 'node:test';
import fc from 'fast-check';
import { Coverage, params } from '../support/property';
import { initFormats, parseFindings } from '../../server/src/core';
import { defaultCatalog } from '../../server/src/workspace/catalogFile';
import { RefUniverse } from '../support/oracle';
import { CatalogPools, genFindingsFor, genIndentEol, genLayout, genPolicy } from '../support/generators';
import { checkTerraform, TfReport } from '../support/tfOracle';
import { TF_JSON, TfJsonForm, TfJsonLayout, renderTerraformJson } from '../support/tfJsonOracle';

const catalog = defaultCatalog();
const pools = new CatalogPools(catalog);

const cov = new Coverage();
const count = cov.count;

function genTfJsonLayout(g: fc.GeneratorValue): TfJsonLayout {
  return {
    ...genIndentEol(g),
    extraEscapes: g(fc.constantFrom, 0, 0, 0.05, 0.3),
    decoys: g(fc.boolean),
    seed: g(fc.nat),
  };
}

interface Case {
  text: string;
  findingsText: string;
  report: TfReport;
}

async function runCase(g: fc.GeneratorValue, form: TfJsonForm): Promise<Case> {
  const spec = genPolicy(g, pools);
  const layout = genTfJsonLayout(g);
  const rendered = renderTerraformJson(spec, form, layout, genLayout(g));
  const { findingsText, findings } = genFindingsFor(g, pools, spec);
  const report = await checkTerraform(catalog, rendered, findings, { dialect: TF_JSON });
  count(`${form}: ${report.outcome}`);
  cov.stats(report.stats);
  if (rendered.text.includes('\r\n') || rendered.text.includes('\\r\\n')) count('CRLF texts');
  if (/\\\\u|\\u00/.test(rendered.text)) count('texts with \\u escapes');
  return { text: rendered.text, findingsText, report };
}

const explain = (c: Case) => `${c.report.problems.join('\n')}\n--- main.tf.json ---\n${c.text}\n--- findings ---\n${c.findingsText}\n--- output ---\n${c.report.result?.text ?? ''}`;

describe('Terraform JSON refinement (over the real catalog, read back with JSON.parse)', () => {
  before(async () => {
    await initFormats();
  });

  for (const form of ['json-string', 'json-document'] as const) {
    test(`property (${form}): exact, least-general, edits only in the changed lists, valid JSON, idempotent`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.gen(), async (g) => {
          const c = await runCase(g, form);
          if (c.report.problems.length) throw new Error(explain(c));
        }),
        params(150, { stopAtFirst: true }),
      );
    });
  }

  test('property: a policy whose every statement is unused is refused (NothingLeftError), in both forms', async () => {
    await fc.assert(
      fc.asyncProperty(fc.gen(), fc.constantFrom<TfJsonForm>('json-string', 'json-document'), async (g, form) => {
        const spec = genPolicy(g, pools, { effects: ['Allow'], maxStatements: 3, principal: false, notAction: false, star: false });
        const ru = new RefUniverse(catalog, spec.statements.flatMap((s) => s.values));
        fc.pre(spec.statements.every((s) => s.values.every((v) => ru.expand(v).length > 0)));
        const svcs = new Set(spec.statements.flatMap((s) => s.values.flatMap((v) => ru.expand(v).map((n) => n.slice(0, n.indexOf(':'))))));
        const findings = parseFindings('f.json', JSON.stringify([...svcs].map((serviceNamespace) => ({ serviceNamespace })))).findings;
        const rendered = renderTerraformJson(spec, form, genTfJsonLayout(g), genLayout(g));
        const report = await checkTerraform(catalog, rendered, findings, { dialect: TF_JSON });
        if (report.problems.length || report.outcome !== 'nothing-left') throw new Error(`${report.outcome}\n${report.problems.join('\n')}\n${rendered.text}`);
        count('nothing-left cases');
      }),
      params(40, { stopAtFirst: true }),
    );
  });

  test('coverage of the generated cases', () => {
    cov.report(['json-string: refined', 'json-document: refined', 'statements changed', 'statements removed', 'NotAction outputs', 'CRLF texts', 'texts with \\u escapes', 'nothing-left cases']);
  });
});
