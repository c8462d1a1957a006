/**
 * Property tests of the Terraform format over the real catalog: generated policies (generators.ts)
 * rendered into Terraform in each of its three forms and random layouts (inline and one-per-line
 * lists, trailing commas, `#` `//` `/* *\/` comments, aligned `=`, quoted keys, tabs, CRLF), refined
 * by the engine, and judged by an independent reading of the output (HashiCorp's HCL parser,
 * test/support/tfOracle.ts). PROPERTY_RUNS=<factor> and FC_SEED=<n> as in engine.property.test.ts.
 */
import { test, describe, before } from 'node:test';
import fc from 'fast-check';
import { Coverage, params } from '../support/property';
import { initFormats, parseFindings } from '../../server/src/core';
import { defaultCatalog } from '../../server/src/workspace/catalogFile';
import { RefUniverse } from '../support/oracle';
import { CatalogPools, genFindingsFor, genIndentEol, genLayout, genPolicy, PolicyOptions } from '../support/generators';
import { renderTerraform, TfForm, TfLayout } from '../support/tfRender';
import { checkTerraform, TfReport } from '../support/tfOracle';

const catalog = defaultCatalog();
const pools = new CatalogPools(catalog);

const cov = new Coverage();
const count = cov.count;

function genTfLayout(g: fc.GeneratorValue): TfLayout {
  return {
    ...genIndentEol(g),
    inlineLists: g(fc.constantFrom, 0, 0.3, 1),
    trailingCommas: g(fc.constantFrom, 0, 0.5, 1),
    comments: g(fc.constantFrom, 0, 0.2, 0.5),
    align: g(fc.boolean),
    quotedKeys: g(fc.constantFrom, 0, 0, 0.5),
    blankLines: g(fc.boolean),
    indentedHeredoc: g(fc.boolean),
    seed: g(fc.nat),
  };
}

interface Case {
  text: string;
  findingsText: string;
  report: TfReport;
}

async function runCase(g: fc.GeneratorValue, form: TfForm, opts: PolicyOptions = {}): Promise<Case> {
  const spec = genPolicy(g, pools, form === 'document' ? { ...opts } : opts);
  const layout = genTfLayout(g);
  const rendered = renderTerraform(spec, form, layout, genLayout(g));
  const { findingsText, findings } = genFindingsFor(g, pools, spec);
  const report = await checkTerraform(catalog, rendered, findings);
  count(`${form}: ${report.outcome}`);
  cov.stats(report.stats);
  if (rendered.text.includes('\r\n')) count('CRLF texts');
  if (rendered.text.includes('\t')) count('tab-indented texts');
  if (/#|\/\/|\/\*/.test(rendered.text)) count('texts with comments');
  return { text: rendered.text, findingsText, report };
}

const explain = (c: Case) => `${c.report.problems.join('\n')}\n--- terraform ---\n${c.text}\n--- findings ---\n${c.findingsText}\n--- output ---\n${c.report.result?.text ?? ''}`;

describe('Terraform refinement (over the real catalog, read back by HashiCorp\'s HCL parser)', () => {
  before(async () => {
    await initFormats();
  });

  for (const form of ['jsonencode', 'document', 'heredoc'] as const) {
    test(`property (${form}): exact, least-general, edits only in the changed lists, valid HCL, idempotent`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.gen(), async (g) => {
          const c = await runCase(g, form);
          if (c.report.problems.length) throw new Error(explain(c));
        }),
        params(form === 'heredoc' ? 80 : 150, { stopAtFirst: true }),
      );
    });
  }

  test('property: a policy whose every statement is unused is refused (NothingLeftError), in every form', async () => {
    await fc.assert(
      fc.asyncProperty(fc.gen(), fc.constantFrom<TfForm>('jsonencode', 'document', 'heredoc'), async (g, form) => {
        const spec = genPolicy(g, pools, { effects: ['Allow'], maxStatements: 3, principal: false, notAction: false, star: false });
        const ru = new RefUniverse(catalog, spec.statements.flatMap((s) => s.values));
        fc.pre(spec.statements.every((s) => s.values.every((v) => ru.expand(v).length > 0)));
        const svcs = new Set(spec.statements.flatMap((s) => s.values.flatMap((v) => ru.expand(v).map((n) => n.slice(0, n.indexOf(':'))))));
        const findings = parseFindings('f.json', JSON.stringify([...svcs].map((serviceNamespace) => ({ serviceNamespace })))).findings;
        const rendered = renderTerraform(spec, form, genTfLayout(g), genLayout(g));
        const report = await checkTerraform(catalog, rendered, findings);
        if (report.problems.length || report.outcome !== 'nothing-left') throw new Error(`${report.outcome}\n${report.problems.join('\n')}\n${rendered.text}`);
        count('nothing-left cases');
      }),
      params(60, { stopAtFirst: true }),
    );
  });

  test('coverage of the generated cases', () => {
    cov.report(['jsonencode: refined', 'document: refined', 'heredoc: refined', 'statements changed', 'statements removed', 'NotAction outputs', 'CRLF texts', 'texts with comments', 'nothing-left cases']);
  });
});
