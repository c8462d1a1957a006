import { Universe } from './universe';
import { wordBoundaries } from './words';

/**
 * The safety test of the rule's trie nodes, over the actions under `root` (lower-case literal prefix
 * of the original pattern): `test(x, spelled)` says whether the node `x` (a lower-cased prefix,
 * spelled `spelled` in its canonical case) is safe — every universe action under it is `good` — and
 * if so, what it is written as: the action itself when it covers only one, otherwise `prefix*`.
 * Memoised per node. The explanation's trie (explain.ts) asks it node by node; `cover` computes the
 * same test for a member's every prefix at once (nearest non-good neighbours) — the explanation's
 * property test (test/unit/explain.property.test.ts) holds the two to the same nodes.
 */
export interface NodeSafety {
  /** [lo, hi) of the universe actions under the root. */
  readonly lo: number;
  readonly hi: number;
  test(x: string, spelled: string): string | null;
}

export function nodeSafety(universe: Universe, good: (i: number) => boolean, root: string): NodeSafety {
  const [lo, hi] = universe.range(root);
  // prefix counts of good actions over the root's range: safe(X) is one subtraction
  const counts = new Int32Array(hi - lo + 1);
  for (let i = lo; i < hi; i++) counts[i - lo + 1] = counts[i - lo] + (good(i) ? 1 : 0);
  const memo = new Map<string, string | null>();
  return {
    lo,
    hi,
    test(x, spelled) {
      let e = memo.get(x);
      if (e === undefined) {
        const [a, z] = universe.range(x, lo, hi);
        const safe = z > a && a >= lo && z <= hi && counts[z - lo] - counts[a - lo] === z - a;
        e = safe ? (z - a === 1 ? universe.names[a] : spelled + '*') : null;
        memo.set(x, e);
      }
      return e;
    },
  };
}

/** The length of the common prefix of two strings. */
function commonPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/**
 * The least-general refinement's core: the shortest safe prefixes that together cover `members`.
 *
 * A node is a word-boundary prefix of a member, longer than `root` (lower-case literal prefix of
 * the original pattern). It is safe when every universe action under it is `good`. Each member is
 * covered by its shortest safe prefix, written as the action itself when it covers only one action,
 * otherwise as `prefix*`; a member with no safe prefix (it prefixes a non-good action) is written by
 * its full name. `good` must contain every member, and all members must start with `root`.
 *
 * The actions under a prefix of a member are one run of the sorted universe around it, so a prefix
 * is safe exactly when it is longer than what the member shares with the nearest action that is not
 * good on either side: one pass over the root's range finds those, and each member then costs its
 * own length, whatever the number of actions or findings.
 */
export function cover(universe: Universe, members: Iterable<number>, good: (i: number) => boolean, root: string): string[] {
  const [lo, hi] = universe.range(root);
  const lower = universe.lower;
  // the nearest action that is not good at or before / at or after each position of the range (-1: none)
  const prevBad = new Int32Array(hi - lo);
  const nextBad = new Int32Array(hi - lo);
  let bad = -1;
  for (let i = lo; i < hi; i++) prevBad[i - lo] = bad = good(i) ? bad : i;
  bad = -1;
  for (let i = hi - 1; i >= lo; i--) nextBad[i - lo] = bad = good(i) ? bad : i;
  const out = new Set<string>();
  const spelling = new Map<string, string>();
  for (const m of members) {
    const name = universe.names[m];
    const l = lower[m];
    const pb = prevBad[m - lo];
    const nb = nextBad[m - lo];
    // a prefix no longer than this holds a non-good action (or is not below the root)
    const unsafeUpTo = Math.max(root.length, pb >= 0 ? commonPrefix(l, lower[pb]) : 0, nb >= 0 ? commonPrefix(l, lower[nb]) : 0);
    let emitted: string | undefined;
    for (const b of wordBoundaries(name)) {
      if (b <= unsafeUpTo) continue;
      // the only action under it, or several
      const alone = !(m > lo && commonPrefix(l, lower[m - 1]) >= b) && !(m + 1 < hi && commonPrefix(l, lower[m + 1]) >= b);
      if (alone) emitted = name;
      else {
        // one spelling per prefix: names that differ in case only (`GetSso…`, `GetSSO…`) share it
        const key = l.slice(0, b);
        emitted = spelling.get(key);
        if (emitted === undefined) spelling.set(key, (emitted = name.slice(0, b) + '*'));
      }
      break;
    }
    out.add(emitted ?? name);
  }
  return sortPatterns(dropCovered([...out]));
}

/**
 * The patterns of `list` that no other `prefix*` of it already covers. A word trie can hold a node
 * and a sibling word that starts with the same letters (`ListFlowExecution…` and
 * `ListFlowExecutions`): both can be shortest safe prefixes, and the first's `prefix*` then matches
 * the second. Dropping the second allows exactly the same actions in fewer patterns. `list` holds
 * action names and `prefix*` patterns (no other wildcard); comparison is case-insensitive.
 */
export function dropCovered(list: string[]): string[] {
  if (list.length < 2) return list;
  const items = list.map((p) => {
    const wild = p.endsWith('*');
    const l = p.toLowerCase();
    return { p, wild, key: wild ? l.slice(0, -1) : l };
  });
  // a stem sorts before every key it prefixes, and those keys follow it in one run
  items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.wild === b.wild ? 0 : a.wild ? -1 : 1));
  const out: string[] = [];
  let stem: string | undefined;
  for (const it of items) {
    if (stem !== undefined && it.key.startsWith(stem)) continue;
    out.push(it.p);
    stem = it.wild ? it.key : undefined;
  }
  return out.length === list.length ? list : out;
}

export function sortPatterns(list: string[]): string[] {
  const keyed = list.map((p) => [p.toLowerCase(), p] as const);
  keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (let i = 0; i < keyed.length; i++) list[i] = keyed[i][1];
  return list;
}
