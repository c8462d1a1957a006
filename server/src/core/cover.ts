import { Universe } from './universe';
import { wordBoundaries } from './words';

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
  const [lo, hi] = universe.range(root);
  // prefix counts of good actions over the root's range: safe(X) is one subtraction
  const counts = new Int32Array(hi - lo + 1);
  for (let i = lo; i < hi; i++) counts[i - lo + 1] = counts[i - lo] + (good(i) ? 1 : 0);
  const safeMemo = new Map<string, string | null>();
  const out = new Set<string>();
  for (const m of members) {
    const name = universe.names[m];
    const lower = universe.lower[m];
    let emitted: string | undefined;
    for (const b of wordBoundaries(name)) {
      if (b <= root.length) continue;
      const x = lower.slice(0, b);
      let e = safeMemo.get(x);
      if (e === undefined) {
        const [a, z] = universe.range(x, lo, hi);
        const safe = z > a && a >= lo && z <= hi && counts[z - lo] - counts[a - lo] === z - a;
        e = safe ? (z - a === 1 ? universe.names[a] : name.slice(0, b) + '*') : null;
        safeMemo.set(x, e);
      }
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
