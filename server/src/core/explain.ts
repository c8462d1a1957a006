/**
 * Why a refinement is what it is: the rule's trie below a wildcard's literal prefix, each node
 * safe or unsafe, the patterns the quick fix writes marked on it. Pure data, shared by the
 * language server (the "Explain Refinement" picture and the hover), `iam-refine explain` and the
 * tests.
 *
 * It is never a second computation that could disagree with the quick fix: node safety and each
 * safe node's spelling come from the very function `cover` uses (`nodeSafety`), and the emitted
 * patterns are read from the statement's plan — the `RefineResult` the quick fix applies. The
 * trie's own frontier (safe nodes under an unsafe parent, and members written by their full name)
 * is matched against that plan; a pattern of the plan that matches no node is reported in
 * `unmatched` (a bug: the tests require it empty).
 */
import type { ExplainMode, ExplainNode, ExplainOutcome, Explanation, LeafKind, UnusedProvenance } from '../../../shared/protocol';
import { Finding, UnusedSet, isUnusedPermission } from './findings';
import { StatementModel } from './model';
import { StatementPlan } from './plan';
import { dropCovered, nodeSafety } from './cover';
import { literalPrefix } from './pattern';
import { allowsEverything } from './refine';
import { Universe } from './universe';
import { wordBoundaries } from './words';

export type { LeafKind, UnusedProvenance, ExplainNode, ExplainMode, ExplainOutcome, Explanation };

export const LEAF_KINDS: readonly LeafKind[] = ['used', 'unused', 'outside', 'excluded'];

export interface ExplainInput {
  universe: Universe;
  /** The unused set the statement's policy is refined against (the same as the quick fix's). */
  unused: UnusedSet;
  /** The findings, for each unused action's provenance. */
  findings?: Finding[];
  statement: StatementModel;
  /** The statement's plan from the RefineResult the quick fix applies (entry or statement scope). */
  plan: StatementPlan | undefined;
  /** The Action entry; ignored for NotAction, and for `"Action": "*"` (the statement is the subject). */
  entry?: number;
  /**
   * Explain these Action entries (indexes, the entry among them) together against the findings, as
   * a refined list: the trie below their common literal prefix, their patterns highlighted.
   */
  list?: number[];
}

export class ExplainError extends Error {}

const zero = (): Record<LeafKind, number> => ({ used: 0, unused: 0, outside: 0, excluded: 0 });

/** The explanation of one entry (or NotAction statement) of a plan. Throws ExplainError when there is nothing to explain. */
export function explainStatement(input: ExplainInput): Explanation {
  const { universe: u, statement: st, plan } = input;
  const unused = input.unused.indexes;
  if (!st.key || st.opaque) throw new ExplainError('this statement cannot be read, so it is not refined');
  if (st.effect !== 'Allow') throw new ExplainError('a Deny statement is never refined (removing from a Deny grants more)');
  const change = plan?.change ?? { kind: 'none' as const };
  const star = st.key === 'Action' ? st.entries.findIndex((e) => allowsEverything(u, e.value)) : -1;
  let kind: (i: number) => LeafKind;
  let root: string;
  let pattern: string;
  let mode: ExplainMode;
  let outcome: ExplainOutcome;
  let patterns: string[] = [];
  let listEntries: string[] | undefined;
  let rootSource: string | undefined;
  let unusedAllowed = 0;
  if (st.key === 'NotAction' || star >= 0) {
    mode = 'exclude';
    root = '';
    const excluded = new Set<number>();
    if (st.key === 'NotAction') for (const e of st.entries) for (const i of u.expand(e.value)) excluded.add(i);
    kind = (i) => (excluded.has(i) ? 'excluded' : unused.has(i) ? 'unused' : 'used');
    pattern = st.key === 'NotAction' ? 'NotAction' : st.entries[star].value;
    if (change.kind === 'to-not-action' || change.kind === 'extend-not-action') {
      outcome = change.kind;
      patterns = change.patterns;
    } else outcome = change.kind === 'remove' ? 'remove-statement' : 'keep';
  } else if (input.list && input.list.length > 1) {
    mode = 'allow';
    const group = input.list.map((k) => st.entries[k]).filter((x): x is NonNullable<typeof x> => !!x);
    const target = input.entry === undefined ? group[0] : st.entries[input.entry] ?? group[0];
    pattern = target.value;
    listEntries = group.map((x) => x.value);
    const prefixes = group.map((x) => literalPrefix(x.value));
    root = prefixes.reduce((a, b) => {
      let n = 0;
      while (n < a.length && n < b.length && a[n] === b[n]) n++;
      return a.slice(0, n);
    });
    rootSource = group.find((x) => literalPrefix(x.value).startsWith(root))!.value;
    const allowed = new Set(group.flatMap((x) => u.expand(x.value)));
    if (allowed.size === 0) throw new ExplainError(`${listEntries.join(', ')} match no action`);
    for (const i of allowed) if (unused.has(i)) unusedAllowed++;
    // against the findings: an unused action is unused whether the list allows it or not
    kind = (i) => (unused.has(i) ? 'unused' : allowed.has(i) ? 'used' : 'outside');
    outcome = 'list';
    patterns = listEntries;
  } else {
    mode = 'allow';
    const k = input.entry;
    const e = k === undefined ? undefined : st.entries[k];
    if (!e) throw new ExplainError('no such action entry');
    pattern = e.value;
    root = literalPrefix(e.value);
    const allowed = new Set(u.expand(e.value));
    if (allowed.size === 0) throw new ExplainError(`${e.value} matches no action`);
    kind = (i) => (!allowed.has(i) ? 'outside' : unused.has(i) ? 'unused' : 'used');
    const fate = change.kind === 'entries' ? change.fates[k!] : change.kind === 'remove' ? { kind: 'remove' as const } : { kind: 'keep' as const };
    outcome = change.kind === 'remove' ? 'remove-statement' : fate.kind;
    if (fate.kind === 'replace') patterns = fate.patterns;
  }
  const memberKind: LeafKind = mode === 'allow' ? 'used' : 'unused';
  const good = mode === 'allow' ? (i: number) => kind(i) === 'used' : (i: number) => kind(i) !== 'used';
  const safety = nodeSafety(u, good, root);
  const bounds = new Map<number, number[]>();
  const boundariesOf = (i: number) => {
    let b = bounds.get(i);
    if (!b) bounds.set(i, (b = wordBoundaries(u.nameAt(i))));
    return b;
  };
  const info = input.unused.info;
  const usageOf = (i: number) => {
    const la = [...(info.get(i)?.lastAccessed ?? new Map<string, string | undefined>())].map(([role, date]) => ({ role, ...(date ? { date } : {}) }));
    return { lastAccessed: la, findings: provenance(input.findings ?? [], u, i, input.unused.roles) };
  };
  let nodes = 0;

  /**
   * A node of the word trie: `members` are the actions whose words pass through it (the prefix is
   * one of their word boundaries), so children partition their parent. Safety is the rule's (and
   * `cover`'s) string test: every action whose name starts with the prefix, which can include an
   * action of a sibling word (`ListFlowExecution*` also matches `ListFlowExecutions`): those are
   * counted in `alsoMatches`.
   */
  const build = (lower: string, spelled: string, members: number[], parentLength: number, isRoot: boolean): ExplainNode => {
    nodes++;
    const counts = zero();
    for (const i of members) counts[kind(i)]++;
    const total = members.length;
    const node: ExplainNode = { prefix: spelled, word: spelled.slice(parentLength), counts, safe: false, collapsed: false, children: [] };
    const L = lower.length;
    const own = members.find((i) => u.lowerAt(i).length === L);
    if (own !== undefined) {
      const k = kind(own);
      node.action = { name: u.nameAt(own), kind: k, ...(k === 'unused' ? usageOf(own) : {}) };
    }
    if (isRoot) node.safe = total > 0 && (mode === 'allow' ? counts.used === total : counts.used === 0);
    else {
      const p = safety.test(lower, spelled);
      node.safe = p !== null;
      if (p !== null) node.pattern = p;
      const [ra, rz] = u.range(lower, safety.lo, safety.hi);
      if (rz - ra > total) node.alsoMatches = rz - ra - total;
    }
    const listed = counts[memberKind] > 0 || counts.unused > 0;
    if (!listed && !isRoot) {
      node.opaque = true;
      node.collapsed = true;
      return node;
    }
    // children: the actions grouped by their first word boundary past the node
    const groups = new Map<string, { spelled: string; members: number[] }>();
    for (const i of members) {
      if (i === own) continue;
      const b = boundariesOf(i).find((x) => x > L)!;
      const c = u.lowerAt(i).slice(0, b);
      let g = groups.get(c);
      if (!g) groups.set(c, (g = { spelled: u.nameAt(i).slice(0, b), members: [] }));
      g.members.push(i);
    }
    node.children = [...groups].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)).map(([c, g]) => build(c, g.spelled, g.members, spelled.length, false));
    const whollyUnused = counts.unused === total;
    node.collapsed = !isRoot && (node.safe || whollyUnused);
    return node;
  };

  const rootSpelled = mode === 'exclude' ? '' : (rootSource ?? pattern).slice(0, root.length);
  const all: number[] = [];
  for (let i = safety.lo; i < safety.hi; i++) all.push(i);
  const tree = build(root, rootSpelled, all, 0, true);
  tree.word = rootSpelled;

  // the frontier: safe nodes holding members under unsafe parents, and members written by their full name
  // (a node whose pattern a sibling's `prefix*` already matches is not part of it: see dropCovered)
  let frontier: { node: ExplainNode; pattern: string }[] = [];
  const visit = (n: ExplainNode, isRoot: boolean) => {
    if (!isRoot && n.safe && n.counts[memberKind] > 0) {
      frontier.push({ node: n, pattern: n.pattern! });
      return;
    }
    if (n.action?.kind === memberKind) frontier.push({ node: n, pattern: n.action.name });
    for (const c of n.children) visit(c, false);
  };
  const walk = (n: ExplainNode, isRoot: boolean) => {
    visit(n, isRoot);
    const kept = new Set(dropCovered(frontier.map((f) => f.pattern)));
    if (kept.size < frontier.length) frontier = frontier.filter((f) => kept.has(f.pattern));
  };
  const listed: string[] = [];
  let unmatched: string[] = [];
  const forcedBy: string[] = [];
  if (outcome === 'replace' || outcome === 'remove' || outcome === 'to-not-action' || outcome === 'extend-not-action') {
    walk(tree, true);
    const written = new Map(patterns.map((p) => [p.toLowerCase(), p]));
    const seen = new Set<string>();
    for (const f of frontier) {
      const key = f.pattern.toLowerCase();
      seen.add(key);
      const w = written.get(key);
      if (w !== undefined) f.node.emitted = w;
      else {
        f.node.listed = f.pattern;
        listed.push(f.pattern);
      }
    }
    unmatched = patterns.filter((p) => !seen.has(p.toLowerCase()));
    const forced = (n: ExplainNode, isRoot: boolean) => {
      if (n.safe) return;
      if (n.counts[memberKind] > 0 && n.children.some((c) => c.emitted || c.listed)) forcedBy.push(isRoot && !n.prefix ? '*' : n.prefix);
      for (const c of n.children) forced(c, false);
    };
    forced(tree, true);
  }
  let list: Explanation['list'];
  if (outcome === 'list') {
    walk(tree, true);
    const entries = new Map(listEntries!.map((p) => [p.toLowerCase(), p]));
    const seen = new Set<string>();
    // each entry on the shallowest node that writes it: a safe node's pattern, `prefix*`, or an action's name
    for (const n of explainNodes(tree)) {
      for (const c of [n.safe ? n.pattern : undefined, n.prefix + '*', n.action?.name]) {
        const key = c?.toLowerCase();
        if (key && entries.has(key) && !seen.has(key)) {
          seen.add(key);
          n.emitted = entries.get(key);
          break;
        }
      }
    }
    unmatched = listEntries!.filter((p) => !seen.has(p.toLowerCase()));
    const front = frontier.map((f) => f.pattern);
    const fl = new Set(front.map((p) => p.toLowerCase()));
    const leastGeneral = unusedAllowed === 0 && fl.size === entries.size && [...entries.keys()].every((k) => fl.has(k));
    list = { entries: listEntries!, leastGeneral, frontier: front, unusedAllowed };
    const forced = (n: ExplainNode, isRoot: boolean) => {
      if (n.safe) return;
      if (n.counts.used > 0 && n.children.some((c) => c.emitted)) forcedBy.push(n.prefix);
      for (const c of n.children) forced(c, false);
    };
    forced(tree, true);
  }
  let unusedLeaves = 0;
  const countLeaves = (n: ExplainNode) => {
    if (n.action?.kind === 'unused') unusedLeaves++;
    n.children.forEach(countLeaves);
  };
  countLeaves(tree);
  return {
    mode,
    pattern,
    key: st.key,
    outcome,
    patterns,
    listed,
    unmatched,
    forcedBy,
    roles: input.unused.roles,
    ...(list ? { list } : {}),
    root: tree,
    totals: { ...tree.counts, unusedLeaves, nodes },
  };
}

/** The findings that make an action unused, with their dates (only those of the roles combined, when there are roles). */
export function provenance(findings: Finding[], u: Universe, index: number, roles: string[]): UnusedProvenance[] {
  const name = u.lowerAt(index);
  const colon = name.indexOf(':');
  const svc = name.slice(0, colon);
  const out: UnusedProvenance[] = [];
  for (const f of findings) {
    if (!isUnusedPermission(f)) continue;
    if (roles.length && f.resource && !roles.includes(f.resource)) continue;
    if (roles.length > 1 && !f.resource) continue;
    for (const d of f.details) {
      if (d.serviceNamespace.toLowerCase() !== svc) continue;
      const base = { source: f.source, ...(f.id ? { id: f.id } : {}), ...(f.resource ? { resource: f.resource } : {}) };
      if (!d.actions || d.actions.length === 0) out.push({ ...base, ...(d.lastAccessed ? { lastAccessed: d.lastAccessed } : {}), serviceLevel: true });
      else {
        const a = d.actions.find((x) => (x.action.includes(':') ? x.action : `${d.serviceNamespace}:${x.action}`).toLowerCase() === name);
        if (a) out.push({ ...base, ...(a.lastAccessed ? { lastAccessed: a.lastAccessed } : {}), serviceLevel: false });
      }
    }
  }
  return out;
}

/** Every node of a tree, depth first (the root first). */
export function explainNodes(root: ExplainNode): ExplainNode[] {
  const out: ExplainNode[] = [];
  const walk = (n: ExplainNode) => {
    out.push(n);
    n.children.forEach(walk);
  };
  walk(root);
  return out;
}

/** How many actions a node stands for, as the text and the picture say it: allowed ones (Action), all (NotAction). */
export function nodeActions(mode: ExplainMode, n: ExplainNode): number {
  return mode === 'allow' ? n.counts.used + n.counts.unused : n.counts.used + n.counts.unused + n.counts.excluded + n.counts.outside;
}
