import { Catalog, commonPrefixLength } from './catalog';
import { isWildcard, literalPrefix, patternMatcher } from './pattern';
import { lowerBound } from './sorted';

/**
 * The set patterns are expanded over: the catalog plus every action named in the findings or
 * literally in the policy. Actions are kept sorted by their lower-cased full name, so the actions
 * under any prefix form one contiguous index range, and a name is found by binary search (no
 * per-universe index to build: a universe with extra names costs a few array copies).
 */
export class Universe {
  readonly lower: string[];
  readonly names: string[];
  /** The extra names (lower-cased, sorted) and where each sits in `lower`. */
  private readonly extraLower: string[] = [];
  private readonly extraAt: number[] = [];
  /** Per extra name, how many catalog actions sort before it: a catalog index moves up by the extras at or below it. */
  private readonly extraIns: number[] = [];
  private readonly expansions = new Map<string, readonly number[]>();
  /**
   * Per pattern as written (any case): its expansion. A refinement expands the same entry strings
   * in its plan and its verification, and the constructor has looked up every literal name already:
   * a hit on the very string is a hash already computed and one comparison, no lower-casing.
   */
  private readonly byText = new Map<string, readonly number[]>();
  private expandedCount = 0;

  constructor(
    readonly catalog: Catalog,
    extras: Iterable<string> = [],
  ) {
    const base = catalog.sorted();
    const add = new Map<string, string>();
    for (const e of extras) {
      const l = catalog.lackedName(e);
      if (l !== undefined && !add.has(l)) add.set(l, e);
    }
    if (add.size === 0) {
      this.lower = base.lower;
      this.names = base.names;
    } else {
      // each extra goes in at its place: the catalog's runs between them copied by slices (a packed
      // array keeps the binary searches over it fast: concat of slices makes one)
      const extra = [...add.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
      const lowerParts: string[][] = [];
      const nameParts: string[][] = [];
      let from = 0;
      let at = 0;
      for (const [l, name] of extra) {
        const end = lowerBound(base.lower, l, from);
        lowerParts.push(base.lower.slice(from, end), [l]);
        nameParts.push(base.names.slice(from, end), [name]);
        at += end - from;
        from = end;
        this.extraIns.push(from);
        this.extraLower.push(l);
        this.extraAt.push(at++);
      }
      lowerParts.push(base.lower.slice(from));
      nameParts.push(base.names.slice(from));
      this.lower = joinParts(lowerParts);
      this.names = joinParts(nameParts);
    }
  }

  /** Whether the action at `i` is the catalog's (not a name only the findings or the policy give). */
  inCatalog(i: number): boolean {
    if (this.extraAt.length === 0) return true;
    const k = lowerBound(this.extraAt, i);
    return !(k < this.extraAt.length && this.extraAt[k] === i);
  }

  get size(): number {
    return this.lower.length;
  }

  indexOf(name: string): number | undefined {
    return this.indexOfLower(name.toLowerCase());
  }

  /** indexOf, without lower-casing a name spelled as the catalog spells it. */
  indexOfSpelled(name: string): number | undefined {
    const c = this.catalog.indexOfSpelling(name);
    return c >= 0 ? this.fromCatalog(c) : this.indexOfLower(name.toLowerCase());
  }

  /** indexOf of a name already lower-cased. */
  indexOfLower(l: string): number | undefined {
    const i = this.catalog.indexOfLower(l);
    if (this.extraLower.length === 0) return i < 0 ? undefined : i;
    // a catalog action moves up by the extras sorted before it
    const k = lowerBound(this.extraLower, l);
    if (i >= 0) return i + k;
    return k < this.extraLower.length && this.extraLower[k] === l ? this.extraAt[k] : undefined;
  }

  /** The index of the catalog's action at catalog index `c` (catalog.sorted()) in this universe. */
  fromCatalog(c: number): number {
    const ins = this.extraIns;
    if (ins.length === 0) return c;
    // the extras inserted before catalog action c: those with at most c catalog actions before them
    let lo = 0;
    let hi = ins.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ins[mid] <= c) lo = mid + 1;
      else hi = mid;
    }
    return c + lo;
  }

  /**
   * For every i in (lo, hi): the length of the prefix lower[i] shares with lower[i - 1], in
   * out[i - lo] (out[0] is left as it is). Neighbours that are neighbours in the catalog too (no
   * extra name between them) take the catalog's kept value.
   */
  sharedPrefixes(lo: number, hi: number, out: Int32Array): void {
    const ex = this.extraAt;
    const lower = this.lower;
    const catalog = this.catalog;
    // k: the extras at positions below i
    let k = lowerBound(ex, lo + 1);
    for (let i = lo + 1; i < hi; i++) {
      while (k < ex.length && ex[k] < i) k++;
      if ((k < ex.length && ex[k] === i) || (k > 0 && ex[k - 1] === i - 1)) out[i - lo] = commonPrefixLength(lower[i - 1], lower[i]);
      else out[i - lo] = catalog.sharedPrefix(i - k);
    }
  }

  /**
   * [lo, hi) of the actions whose lower-cased full name starts with `prefix` (lower-case), searched
   * within [from, to) (a range known to hold them, e.g. that of a shorter prefix).
   */
  range(prefix: string, from = 0, to = this.lower.length): [number, number] {
    const a = this.lower;
    const colon = prefix.indexOf(':');
    if (colon >= 0 && from === 0 && to === a.length) {
      // within its service's block: the catalog's, widened to the extras next to it
      const [clo, chi] = this.catalog.serviceBlock(prefix.slice(0, colon + 1));
      const n = this.catalog.sorted().lower.length;
      if (clo > 0) from = this.fromCatalog(clo - 1) + 1;
      if (chi < n) to = this.fromCatalog(chi);
    }
    let lo = from;
    let hi = to;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid] < prefix) lo = mid + 1;
      else hi = mid;
    }
    const start = lo;
    hi = to;
    // the names starting with the prefix are contiguous from `start`
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid].startsWith(prefix)) lo = mid + 1;
      else hi = mid;
    }
    return [start, lo];
  }

  /**
   * Sorted indexes of the actions a pattern allows (never to be modified: the list is shared). Kept
   * per pattern: a document's analysis, its refinement and the refinement's verification expand the
   * same patterns, and a keystroke leaves most of them as they were.
   */
  expand(pattern: string): readonly number[] {
    const wild = isWildcard(pattern);
    if (!wild) {
      // a name spelled as the catalog spells it: one lookup of the very string, not worth a memo entry
      const c = this.catalog.indexOfSpelling(pattern);
      if (c >= 0) return [this.fromCatalog(c)];
    }
    let out = this.byText.get(pattern);
    if (out !== undefined) return out;
    const p = pattern.toLowerCase();
    if (!wild) {
      const i = this.indexOfLower(p);
      out = i === undefined ? EMPTY : [i];
    } else {
      out = this.expansions.get(p);
      if (out === undefined) {
        out = this.expandNow(p);
        this.remember(out.length);
        this.expansions.set(p, out);
      }
    }
    this.remember(out.length);
    this.byText.set(pattern, out);
    return out;
  }

  /** Counts a memo entry against the budget, starting the memos again past it. */
  private remember(n: number): void {
    this.expandedCount += n + 8;
    if (this.expandedCount > EXPANSION_BUDGET) {
      this.expansions.clear();
      this.byText.clear();
      this.expandedCount = n + 8;
    }
  }

  private expandNow(p: string): number[] {
    const prefix = literalPrefix(p);
    const [lo, hi] = this.range(prefix);
    const out: number[] = [];
    if (p === prefix + '*') {
      for (let i = lo; i < hi; i++) out.push(i);
      return out;
    }
    const re = patternMatcher(p);
    for (let i = lo; i < hi; i++) if (re.test(this.lower[i])) out.push(i);
    return out;
  }

  /**
   * Where a pattern's expansion is one run of the universe, that run without making the list:
   * `[lo, hi)` in runLo/runHi and true, for a name (a run of one, or none) or a `prefix*` (the
   * actions under the prefix, as expand() finds them); false for any other pattern (ask expand()).
   * What a verification that reads thousands of new patterns once needs, with nothing kept.
   */
  run(pattern: string): boolean {
    const star = pattern.indexOf('*');
    if (pattern.indexOf('?') >= 0 || (star >= 0 && star !== pattern.length - 1)) return false;
    if (star < 0) {
      const i = this.indexOfSpelled(pattern);
      this.runLo = i ?? 0;
      this.runHi = i === undefined ? 0 : i + 1;
      return true;
    }
    const [lo, hi] = this.range(pattern.slice(0, -1).toLowerCase());
    this.runLo = lo;
    this.runHi = hi;
    return true;
  }
  runLo = 0;
  runHi = 0;

  /** A mask of the universe: 1 where an action is allowed by any of `patterns`. */
  allowedMask(patterns: Iterable<string>): Uint8Array {
    const m = new Uint8Array(this.lower.length);
    for (const p of patterns) for (const i of this.expand(p)) m[i] = 1;
    return m;
  }

  /** Every action of a service prefix (lower-case). */
  service(prefix: string): number[] {
    const [lo, hi] = this.range(prefix.toLowerCase() + ':');
    const out: number[] = [];
    for (let i = lo; i < hi; i++) out.push(i);
    return out;
  }
}

const EMPTY: readonly number[] = [];

/** The parts one after the other, by native concatenation (a few thousand parts a call: no huge argument list). */
function joinParts(parts: string[][]): string[] {
  let out: string[] = [];
  for (let i = 0; i < parts.length; i += 4096) out = out.concat(...parts.slice(i, i + 4096));
  return out;
}

/** Indexes (plus a little per pattern) the expansion memo keeps before it starts again: a few MB at most. */
const EXPANSION_BUDGET = 250_000;
