/**
 * Helpers of the Explain Refinement tests: an explanation through the core (as the server builds
 * it, from the verified plan), and its check against the independent oracle (test/support/oracle.ts:
 * its own universe, regex expansion and naive cover).
 */
import assert from 'node:assert/strict';
import type { ExplainNode, Explanation } from '../../shared/protocol';
import { Finding, NothingLeftError, Scope, documentContext, explainNodes, explainStatement, parseFindings, parsePolicyDocument, planDocument, refineDocument } from '../../server/src/core';
import { defaultCatalog } from '../../server/src/workspace/catalogFile';
import { RefUniverse, refBoundaries, refCover, refFindingNames, refLiteralPrefix, refUnusedOf } from './oracle';

/** The patterns of the emitted nodes, in tree order. */
export const emitted = (e: Explanation) => explainNodes(e.root).flatMap((n) => (n.emitted ? [n.emitted] : []));
/** The unused actions of the trie (leaves, or the end of a longer word: `s3:GetBucketPolicy` under `s3:GetBucketPolicyStatus`'s node). */
export const unusedLeaves = (e: Explanation) => explainNodes(e.root).filter((n) => n.action?.kind === 'unused');
export const sortLower = (xs: Iterable<string>) => [...xs].map((x) => x.toLowerCase()).sort();

export const catalog = defaultCatalog();

export function findingsOf(details: object[]): Finding[] {
  return parseFindings('findings.json', JSON.stringify(details)).findings;
}

/** The explanation of a statement's entry through the core, from the plan refineDocument verified (or planDocument when IAM would reject the result). */
export function coreExplain(statement: object, findings: Finding[], entry?: number): Explanation {
  const text = JSON.stringify({ Version: '2012-10-17', Statement: [statement] });
  const doc = parsePolicyDocument(text);
  const ctx = documentContext(catalog, doc, findings, { kind: 'all', roles: [] });
  const rc = { universe: ctx.universe, unused: ctx.unused!.indexes };
  const st = doc.policies[0].statements[0];
  const whole = st.key === 'NotAction' || st.entries.some((e) => e.value === '*');
  const scope: Scope = whole ? { kind: 'statement', policy: 0, statement: 0 } : { kind: 'entry', policy: 0, statement: 0, entry: entry ?? 0 };
  let plans;
  try {
    plans = refineDocument(rc, doc, scope).plans;
  } catch (e) {
    if (!(e instanceof NothingLeftError)) throw e;
    plans = planDocument(rc, doc, scope);
  }
  return explainStatement({ universe: ctx.universe, unused: ctx.unused!, findings, statement: st, plan: plans[0].statements[0], entry: whole ? undefined : entry ?? 0 });
}

/** A statement's Action list explained as a whole against the findings (a refined list), through the core. */
export function coreExplainList(actions: string[], findings: Finding[]): Explanation {
  const doc = parsePolicyDocument(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] }));
  const ctx = documentContext(catalog, doc, findings, { kind: 'all', roles: [] });
  const st = doc.policies[0].statements[0];
  return explainStatement({ universe: ctx.universe, unused: ctx.unused!, findings, statement: st, plan: undefined, entry: 0, list: st.entries.map((_, k) => k) });
}

/** The oracle's view: what the emitted patterns must be, and per prefix what lies under it. */
export function oracleCheck(e: Explanation, findings: Finding[], opts: { pattern?: string; notAction?: string[]; star?: boolean }) {
  const ru = new RefUniverse(catalog, [...refFindingNames(findings), ...(opts.pattern ? [opts.pattern] : []), ...(opts.notAction ?? [])]);
  const unused = refUnusedOf(findings, ru);
  let members: string[];
  let good: (n: string) => boolean;
  let root: string;
  let counted = (n: string) => unused.has(n);
  if (opts.pattern) {
    const allowed = new Set(ru.expand(opts.pattern));
    counted = (n) => allowed.has(n) && unused.has(n);
    members = [...allowed].filter((n) => !unused.has(n));
    good = (n) => allowed.has(n) && !unused.has(n);
    root = refLiteralPrefix(opts.pattern);
  } else {
    const excluded = new Set((opts.notAction ?? []).flatMap((p) => ru.expand(p)));
    members = [...unused].filter((n) => !excluded.has(n));
    counted = (n) => unused.has(n) && !excluded.has(n);
    good = (n) => excluded.has(n) || unused.has(n);
    root = '';
  }
  // nothing to drop, or nothing to keep: no node is emitted (the pattern stays, or goes)
  const drops = opts.pattern ? ru.expand(opts.pattern).some((n) => unused.has(n)) : members.length > 0;
  const everything = !opts.pattern && ru.all.every(good);
  const want = !drops || (opts.pattern && members.length === 0) || everything ? new Set<string>() : refCover(ru, members, good, root);
  assert.deepEqual([...new Set(sortLower(emitted(e)))], sortLower(want), 'the emitted nodes are the oracle\'s cover');
  assert.deepEqual(sortLower(e.patterns), sortLower(want), 'the plan\'s patterns are the oracle\'s cover');
  assert.deepEqual(e.unmatched, []);
  // every node below the root, with the word boundaries of its path (a word trie: an action is under a
  // node when its own word boundaries past the root, up to the node, are the path's, by the oracle's
  // splitter; `cassandra:UnTag…` and `cassandra:UntagResource` are different nodes of one spelling)
  const check = (n: ExplainNode, path: number[]) => {
    const under = n.prefix.includes(':') ? ru.under(n.prefix.toLowerCase()) : ru.all;
    assert.equal(n.safe, under.length > 0 && under.every(good), `safe(${n.prefix})`);
    const mine = under.filter((x) => {
      const bs = refBoundaries(ru.canonical.get(x)!).filter((b) => b > root.length && b <= n.prefix.length);
      return bs.length === path.length && bs.every((b, k) => b === path[k]);
    });
    assert.equal(n.counts.unused, mine.filter(counted).length, `unused(${n.prefix})`);
    assert.equal(total(n), mine.length, `actions(${n.prefix})`);
    assert.equal(n.alsoMatches ?? 0, under.length - mine.length, `alsoMatches(${n.prefix})`);
    if (!n.opaque) assert.equal(n.children.reduce((t, c) => t + total(c), 0) + (n.action ? 1 : 0), total(n), `counts add up under ${n.prefix}`);
    for (const c of n.children) check(c, [...path, c.prefix.length]);
  };
  for (const c of e.root.children) check(c, [c.prefix.length]);
  return { ru, unused };
}

export const total = (n: ExplainNode) => n.counts.used + n.counts.unused + n.counts.outside + n.counts.excluded;

