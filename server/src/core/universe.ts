import { Catalog, commonPrefixLength } from './catalog';
import { isWildcard, literalPrefix, patternMatcher } from './pattern';
import { lowerBound } from './sorted';

/**
 * The set patterns are expanded over: the catalog plus every action named in the findings or
 * literally in the policy. Actions are kept sorted by their lower-cased full name, so the actions
 * under any prefix form one contiguous index range, and a name is found by binary search (no
 * per-universe index to build: a universe with extra names costs those names, read beside the
 * catalog's list in place).
 */
export class Universe {
  /** The catalog's sorted names (catalog.sorted()): the universe's, less its extras. */
  private readonly baseLower: string[];
  private readonly baseNames: string[];
  /** The extra names (lower-cased, sorted), their spellings, and where each sits in the universe's order. */
  private readonly extraLower: string[] = [];
  private readonly extraNames: string[] = [];
  private readonly extraAt: number[] = [];
  /** Per extra name, how many catalog actions sort before it: a catalog index moves up by the extras at or below it. */
  private readonly extraIns: number[] = [];
  /** `lower` and `names` as whole arrays, made on first ask (nothing of the engine asks: lowerAt / nameAt read in place). */
  private lowerList: string[] | undefined;
  private nameList: string[] | undefined;
  private readonly expansions = new Map<string, readonly number[]>();
  /**
   * Per pattern as written (any case): its expansion. A refinement expands the same entry strings
   * in its plan and its verification, and the constructor has looked up every literal name already:
   * a hit on the very string is a hash already computed and one comparison, no lower-casing.
   */
  private readonly byText = new Map<string, readonly number[]>();
  private expandedCount = 0;

  /**
   * The catalog's names with the extras among them, in one order: position i is an extra where
   * extraAt holds i, else the catalog's action at i less the extras before it. Nothing is copied: a
   * universe with a few names the catalog lacks costs those names, not two arrays of the catalog's size.
   */
  constructor(
    readonly catalog: Catalog,
    extras: Iterable<string> = [],
  ) {
    const base = catalog.sorted();
    this.baseLower = base.lower;
    this.baseNames = base.names;
    const add = new Map<string, string>();
    for (const e of extras) {
      const l = catalog.lackedName(e);
      if (l !== undefined && !add.has(l)) add.set(l, e);
    }
    if (add.size === 0) return;
    const extra = [...add.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    let from = 0;
    extra.forEach(([l, name], k) => {
      from = lowerBound(base.lower, l, from);
      this.extraIns.push(from);
      this.extraLower.push(l);
      this.extraNames.push(name);
      this.extraAt.push(from + k);
    });
  }

  /** The lower-cased full names in the universe's order (a copy of the catalog's with the extras: for callers that want the whole list). */
  get lower(): readonly string[] {
    return (this.lowerList ??= this.merged(this.baseLower, this.extraLower));
  }

  /** The names as spelled, in the universe's order (see `lower`). */
  get names(): readonly string[] {
    return (this.nameList ??= this.merged(this.baseNames, this.extraNames));
  }

  private merged(base: string[], extra: string[]): string[] {
    if (extra.length === 0) return base;
    const parts: string[][] = [];
    let from = 0;
    extra.forEach((x, k) => {
      parts.push(base.slice(from, this.extraIns[k]), [x]);
      from = this.extraIns[k];
    });
    parts.push(base.slice(from));
    return joinParts(parts);
  }

  /** lower[i], read in place. */
  lowerAt(i: number): string {
    return this.inPlace(this.baseLower, this.extraLower, i);
  }

  /** names[i], read in place. */
  nameAt(i: number): string {
    return this.inPlace(this.baseNames, this.extraNames, i);
  }

  /** Position i of the universe's order of `base` (the catalog's list) with `extra` (the extras' list of the same kind) among it. */
  private inPlace(base: string[], extra: string[], i: number): string {
    const ex = this.extraAt;
    if (ex.length === 0) return base[i];
    const k = lowerBound(ex, i);
    return k < ex.length && ex[k] === i ? extra[k] : base[i - k];
  }

  /** Whether the action at `i` is the catalog's (not a name only the findings or the policy give). */
  inCatalog(i: number): boolean {
    if (this.extraAt.length === 0) return true;
    const k = lowerBound(this.extraAt, i);
    return !(k < this.extraAt.length && this.extraAt[k] === i);
  }

  get size(): number {
    return this.baseLower.length + this.extraLower.length;
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
    const catalog = this.catalog;
    // k: the extras at positions below i
    let k = lowerBound(ex, lo + 1);
    for (let i = lo + 1; i < hi; i++) {
      while (k < ex.length && ex[k] < i) k++;
      if ((k < ex.length && ex[k] === i) || (k > 0 && ex[k - 1] === i - 1)) out[i - lo] = commonPrefixLength(this.lowerAt(i - 1), this.lowerAt(i));
      else out[i - lo] = catalog.sharedPrefix(i - k);
    }
  }

  /**
   * [lo, hi) of the actions whose lower-cased full name starts with `prefix` (lower-case), searched
   * within [from, to) (a range known to hold them, e.g. that of a shorter prefix).
   */
  range(prefix: string, from = 0, to = this.size): [number, number] {
    const a = this.baseLower;
    // the catalog's names under the prefix: within its service's block where it names a service
    const colon = prefix.indexOf(':');
    let lo = 0;
    let hi = a.length;
    if (colon >= 0) [lo, hi] = this.catalog.serviceBlock(prefix.slice(0, colon + 1));
    const end = hi;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid] < prefix) lo = mid + 1;
      else hi = mid;
    }
    let start = lo;
    hi = end;
    // the names starting with the prefix are contiguous from `start`
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid].startsWith(prefix)) lo = mid + 1;
      else hi = mid;
    }
    let stop = lo;
    // each moves up by the extras before it (and the extras under the prefix are between them)
    const ex = this.extraLower;
    if (ex.length) {
      let e = lowerBound(ex, prefix);
      start += e;
      while (e < ex.length && ex[e].startsWith(prefix)) e++;
      stop += e;
    }
    // within [from, to): a range known to hold them (e.g. that of a shorter prefix)
    start = Math.min(Math.max(start, from), to);
    return [start, Math.min(Math.max(stop, start), to)];
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
    // each name read in place: the catalog's, and the extras where they sit
    const ex = this.extraAt;
    let k = lowerBound(ex, lo);
    for (let i = lo; i < hi; i++) {
      let l: string;
      if (k < ex.length && ex[k] === i) l = this.extraLower[k++];
      else l = this.baseLower[i - k];
      if (re.test(l)) out.push(i);
    }
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
    const m = new Uint8Array(this.size);
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
