/**
 * Property test of Explain Refinement over the real catalog: for generated patterns (`*`, `?`,
 * wildcards in the middle, whole services, names newer than the catalog) and generated findings,
 * the trie's highlighted nodes are exactly the refinement's patterns (the plan the quick fix
 * applies) and exactly the independent oracle's cover; every node's safety and unused count agree
 * with the oracle; counts add up (a node's actions are its children's plus its own). The same for
 * NotAction statements and "Action": "*". PROPERTY_RUNS=<factor> scales the runs, FC_SEED replays.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Coverage, params } from '../support/property';
import { ExplainError, explainNodes } from '../../server/src/core';
import type { Explanation } from '../../shared/protocol';
import { CatalogPools, genPattern, prng } from '../support/generators';
import { RefUniverse } from '../support/oracle';
import { catalog, coreExplain, coreExplainList, emitted, findingsOf, oracleCheck, sortLower, total, unusedLeaves } from '../support/explainOracle';

const pools = new CatalogPools(catalog);

type G = fc.GeneratorValue;
const pick = <T>(g: G, list: readonly T[]): T => list[g(fc.nat, { max: list.length - 1 })];
const cov = new Coverage();
const count = cov.count;

/** A service and one of its actions, popular services more often. */
function genName(g: G): string {
  const svc = g(fc.integer, { min: 0, max: 3 }) > 0 ? pick(g, pools.popular) : pick(g, pools.services);
  return pick(g, pools.names.get(svc)!);
}

/** Findings (list format) making a random part of `pool` unused, now and then with dates, a whole service, or a name newer than the catalog. */
function genFindings(g: G, pool: string[], ru: RefUniverse) {
  const r = prng(g(fc.nat));
  const fraction = g(fc.constantFrom, 0, 0.05, 0.2, 0.5, 0.8, 1);
  const chosen = pool.filter(() => r() < fraction).map((l) => ru.canonical.get(l) ?? l);
  if (chosen.length === 0 && pool.length && g(fc.boolean)) chosen.push(ru.canonical.get(pick(g, pool)) ?? pick(g, pool));
  const bySvc = new Map<string, string[]>();
  for (const n of chosen) {
    const svc = n.slice(0, n.indexOf(':'));
    if (!bySvc.has(svc)) bySvc.set(svc, []);
    bySvc.get(svc)!.push(n.slice(n.indexOf(':') + 1));
  }
  const dated = g(fc.boolean);
  const details: object[] = [...bySvc].map(([serviceNamespace, actions]) => ({
    serviceNamespace,
    actions: dated ? actions.map((action, k) => ({ action, ...(k % 2 ? { lastAccessed: '2025-03-04T05:06:07Z' } : {}) })) : actions,
  }));
  if (g(fc.integer, { min: 0, max: 8 }) === 0) details.push({ serviceNamespace: pick(g, pools.popular) });
  if (details.length === 0) details.push({ serviceNamespace: 's3', actions: ['GetBucketAcl'] });
  return findingsOf(details);
}

/** What holds for every tree, whatever the statement. */
function invariants(e: Explanation) {
  const nodes = explainNodes(e.root);
  // the highlighted nodes are the plan's patterns, one node each
  // (a set: two nodes of different words can spell the same prefix, `DescribeLabel` and a newer `Describelabel…`)
  assert.deepEqual([...new Set(emitted(e).map((p) => p.toLowerCase()))].sort(), e.patterns.map((p) => p.toLowerCase()).sort());
  for (const n of nodes) {
    if (n.emitted) assert.ok(n.safe || n.action?.name === n.emitted, `${n.prefix} emitted ${n.emitted} but is not safe`);
    if (!n.opaque) assert.equal(n.children.reduce((t, c) => t + total(c), 0) + (n.action ? 1 : 0), total(n), `counts add up under ${n.prefix}`);
    for (const c of n.children) {
      assert.ok(c.prefix.toLowerCase().startsWith(n.prefix.toLowerCase()) && c.prefix.length > n.prefix.length, `${c.prefix} under ${n.prefix}`);
      if (n.safe && nodes[0] !== n) assert.ok(c.safe, `${c.prefix} unsafe under the safe ${n.prefix}`);
      if (c.emitted && c.safe) assert.ok(!n.safe || n === nodes[0], `${c.prefix} emitted under the safe ${n.prefix}`);
    }
  }
  assert.equal(e.totals.unusedLeaves, unusedLeaves(e).length);
  assert.equal(unusedLeaves(e).length, e.root.counts.unused, 'every unused action is a leaf of the picture');
  assert.deepEqual(e.unmatched, []);
}

describe('Explain Refinement (property)', () => {
  test('Action entries: highlighted nodes = the refinement = the oracle; counts add up', () => {
    fc.assert(
      fc.property(fc.gen(), (g) => {
        const newer: string[] = [];
        const pattern = genPattern(g, catalog, genName(g), false, newer);
        // a literal (even a padded one) is an action of the universe, as in the engine
        const ru = new RefUniverse(catalog, [...newer, pattern]);
        const allowed = ru.expand(pattern);
        const findings = genFindings(g, allowed.length ? allowed : ru.service('s3'), ru);
        const statement = { Effect: 'Allow', Action: [pattern], Resource: '*' };
        if (allowed.length === 0) {
          assert.throws(() => coreExplain(statement, findings, 0), ExplainError, JSON.stringify(pattern));
          count('matches nothing');
          return;
        }
        const e = coreExplain(statement, findings, 0);
        count(`allow ${e.outcome}`);
        if (/[?]/.test(pattern)) count('? patterns');
        if (/^[^*?]*[*?].*[^*?]/.test(pattern.trim())) count('wildcard in the middle');
        invariants(e);
        const { unused } = oracleCheck(e, findings, { pattern });
        assert.equal(e.root.counts.used + e.root.counts.unused, allowed.length);
        assert.equal(e.root.counts.unused, allowed.filter((n) => unused.has(n)).length);
        if (e.outcome === 'replace' && e.patterns.length > 1) {
          // the refined list, explained as a list against the same findings: least general, each entry on its node
          const l = coreExplainList(e.patterns, findings);
          assert.equal(l.outcome, 'list');
          assert.deepEqual(l.unmatched, [], 'every entry of the refined list is a node');
          assert.ok(l.list!.leastGeneral, `the refined list ${e.patterns.join(', ')} is not least general as a list: frontier ${l.list!.frontier.join(', ')}`);
          assert.equal(l.list!.unusedAllowed, 0);
          assert.deepEqual(sortLower(new Set(emitted(l))), sortLower(e.patterns));
          count('refined lists explained');
        }
      }),
      params(500),
    );
  });

  test('NotAction statements and "Action": "*": highlighted nodes = what is added to NotAction = the oracle', () => {
    fc.assert(
      fc.property(fc.gen(), (g) => {
        const star = g(fc.integer, { min: 0, max: 3 }) === 0;
        const newer: string[] = [];
        const excluded = star ? [] : Array.from({ length: g(fc.integer, { min: 1, max: 2 }) }, () => genPattern(g, catalog, genName(g), false, newer));
        const ru = new RefUniverse(catalog, newer);
        const svc = pick(g, pools.popular);
        const pool = [...ru.service(svc), ...excluded.flatMap((p) => ru.expand(p)).slice(0, 200)];
        const findings = genFindings(g, pool, ru);
        const statement = star ? { Effect: 'Allow', Action: '*', Resource: '*' } : { Effect: 'Allow', NotAction: excluded, Resource: '*' };
        const e = coreExplain(statement, findings);
        assert.equal(e.mode, 'exclude');
        count(`${star ? 'star' : 'NotAction'} ${e.outcome}`);
        invariants(e);
        const o = oracleCheck(e, findings, star ? { star: true } : { notAction: excluded });
        assert.equal(total(e.root), o.ru.size);
        assert.ok(ru.size <= o.ru.size);
      }),
      params(100),
    );
    console.log(`# explain property coverage: ${Object.entries(cov.seen).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  });
});
