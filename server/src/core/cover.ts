import { Universe } from './universe';
import { wordBoundaries } from './words';

/**
 * The safety test of the rule's trie nodes, over the actions under `root` (lower-case literal prefix
 * of the original pattern): `test(x, spelled)` says whether the node `x` (a lower-cased prefix,
 * spelled `spelled` in its canonical case) is safe — every universe action under it is `good` — and
 * if so, what it is written as: the action itself when it covers only one, otherwise `prefix*`.
 * Memoised per node. `cover` and the explanation's trie (explain.ts) both ask this one function, so
 * the picture and the quick fix cannot disagree on a node.
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

/**
 * The least-general refinement's core: the shortest safe prefixes that together cover `members`.
 *
 * A node is a word-boundary prefix of a member, longer than `root` (lower-case literal prefix of
 * the original pattern). It is safe when every universe action under it is `good`. Each member is
 * covered by its shortest safe prefix, written as the action itself when it covers only one action,
 * otherwise as `prefix*`; a member with no safe prefix (it prefixes a non-good action) is written by
 * its full name. `good` must contain every member, and all members must start with `root`.
 */
export function cover(universe: Universe, members: Iterable<number>, good: (i: number) => boolean, root: string): string[] {
  const safety = nodeSafety(universe, good, root);
  const out = new Set<string>();
  for (const m of members) {
    const name = universe.names[m];
    const lower = universe.lower[m];
    let emitted: string | undefined;
    for (const b of wordBoundaries(name)) {
      if (b <= root.length) continue;
      const e = safety.test(lower.slice(0, b), name.slice(0, b));
      if (e !== null) {
        emitted = e;
        break;
      }
    }
    out.add(emitted ?? name);
  }
  return sortPatterns([...out]);
}

export function sortPatterns(list: string[]): string[] {
  return list.sort((a, b) => {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  });
}
