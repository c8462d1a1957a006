import { Universe } from './universe';
import { firstBoundaryAfter } from './words';

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
        e = safe ? (z - a === 1 ? universe.nameAt(a) : spelled + '*') : null;
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
 *
 * The actions under a prefix of a member are one run of the sorted universe around it, so a prefix
 * is safe exactly when it is longer than what the member shares with the nearest action that is not
 * good on either side: one pass over the root's range finds those, and each member then costs its
 * own length, whatever the number of actions or findings.
 */
export function cover(universe: Universe, members: Iterable<number>, good: (i: number) => boolean, root: string): string[] {
  const [lo, hi] = universe.range(root);
  const mask = goodMask(hi - lo);
  for (let i = lo; i < hi; i++) if (good(i)) mask[i - lo] = 1;
  return coverRange(universe, members, mask, root.length, lo, hi);
}

/**
 * The work arrays a cover reuses: coverRange's seven (each call writes what it reads first) and the
 * good mask its callers build (`goodMask`, cleared): a typed array made per call cost more than the
 * pass over it (four per refined wildcard; three of them were 17% of the refinement's cover). A range
 * beyond SCRATCH_MAX (the universe's whole `*`) gets arrays of its own. Nothing a cover calls makes
 * another cover, so one set serves every call.
 */
const scratchArrays: Int32Array[] = Array.from({ length: 7 }, () => new Int32Array(256));
let maskScratch = new Uint8Array(1024);
const SCRATCH_MAX = 1 << 16;

function scratch(which: number, n: number): Int32Array {
  if (n > SCRATCH_MAX) return new Int32Array(n);
  let a = scratchArrays[which];
  if (a.length < n) scratchArrays[which] = a = new Int32Array(Math.max(n, a.length * 2));
  return a;
}

/** A mask of `n` zeros for coverRange's `good` (reused: valid until the next cover). */
export function goodMask(n: number): Uint8Array {
  if (n > SCRATCH_MAX) return new Uint8Array(n);
  if (maskScratch.length < n) maskScratch = new Uint8Array(Math.max(n, maskScratch.length * 2));
  return maskScratch.fill(0, 0, n);
}

/**
 * `cover` over the root's range [lo, hi) of the universe (`rootLength`: the root's length), with
 * `good` a mask over that range (good[i - lo] === 1).
 *
 * What a member shares with the nearest non-good action before it is the least of what each
 * neighbour between them shares with the one before it (the universe is sorted): the neighbours'
 * shared prefixes (kept by the catalog) give every member's in one pass each way, with no string
 * compared here.
 */
export function coverRange(universe: Universe, members: Iterable<number>, good: Uint8Array, rootLength: number, lo: number, hi: number): string[] {
  const n = hi - lo;
  // shared[k]: what lower[lo + k] shares with lower[lo + k - 1] (0 < k < n; nothing reads it elsewhere)
  const shared = scratch(0, n);
  universe.sharedPrefixes(lo, hi, shared);
  // what each good action shares with the nearest non-good one before / after it (0: none)
  const before = scratch(1, n).fill(0, 0, n);
  const after = scratch(2, n).fill(0, 0, n);
  let run = -1;
  for (let k = 0; k < n; k++) {
    if (good[k] !== 1) run = 0x7fffffff;
    else if (run >= 0) before[k] = run = Math.min(run, shared[k]);
  }
  run = -1;
  for (let k = n - 1; k >= 0; k--) {
    if (good[k] !== 1) run = 0x7fffffff;
    else if (run >= 0) after[k] = run = Math.min(run, shared[k + 1]);
  }
  // what is written, by the node it stands for: [k, length) with k the first action under it (relative
  // to lo): a name is its own node, a `prefix*` the run of actions that share the prefix; z its end;
  // the member it was found from (its spelling is written: names that differ in case only, `GetSso…`
  // and `GetSSO…`, share the first member's). A node found again for the next member (most members of
  // a run) is not listed again; one found again later is dropped below with the nodes its run covers.
  // Kept in reused arrays (at most one node per member: members are distinct indexes of [lo, hi))
  const at = scratch(3, n);
  const len = scratch(4, n);
  const end = scratch(5, n);
  const from = scratch(6, n);
  let count = 0;
  let lastAt = -1;
  let lastLen = -1;
  for (const m of members) {
    const name = universe.nameAt(m);
    const k = m - lo;
    // a prefix no longer than this holds a non-good action (or is not below the root)
    const unsafeUpTo = Math.max(rootLength, before[k], after[k]);
    // what it shares with its neighbours in the range: a prefix longer than both holds it alone
    const withPrev = k > 0 ? shared[k] : 0;
    const withNext = k + 1 < n ? shared[k + 1] : 0;
    let b = firstBoundaryAfter(name, unsafeUpTo);
    let a = k;
    let z = k + 1;
    if (b >= 0 && !(withPrev < b && withNext < b)) {
      // the run of actions under the prefix (all good: it is safe)
      while (a > 0 && shared[a] >= b) a--;
      while (z < n && shared[z] >= b) z++;
      if (a === lastAt && b === lastLen) continue;
      lastAt = a;
      lastLen = b;
      end[count] = z;
    } else {
      b = universe.lowerAt(m).length;
      lastAt = -1;
      end[count] = -1;
    }
    at[count] = a;
    len[count] = b;
    from[count] = m;
    count++;
  }
  // in the order of their lower-cased text: by first action, then shorter first (a prefix sorts
  // before what it prefixes), and a `prefix*` before the name it equals
  const precedes = (x: number, y: number) => at[x] - at[y] || len[x] - len[y] || (end[x] >= 0 ? -1 : 0) - (end[y] >= 0 ? -1 : 0);
  // members come in index order, so their nodes mostly do too: sorted only when they do not
  let order: number[] | undefined;
  for (let i = 1; i < count; i++)
    if (precedes(i - 1, i) > 0) {
      order = [];
      for (let j = 0; j < count; j++) order.push(j);
      order.sort(precedes);
      break;
    }
  // what a `prefix*` before it already covers is dropped (see dropCovered): whatever starts within its
  // run, the same node found again included (equal nodes are next to each other, the first found first:
  // the sort is stable)
  const out: string[] = [];
  let stemEnd = -1;
  for (let j = 0; j < count; j++) {
    const i = order === undefined ? j : order[j];
    if (at[i] < stemEnd) continue;
    const name = universe.nameAt(from[i]);
    out.push(end[i] >= 0 ? name.slice(0, len[i]) + '*' : name);
    stemEnd = end[i];
  }
  return out;
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
