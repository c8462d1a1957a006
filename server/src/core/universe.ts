import { Catalog } from './catalog';
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
  private expandedCount = 0;

  constructor(
    readonly catalog: Catalog,
    extras: Iterable<string> = [],
  ) {
    const base = catalog.sorted();
    const add = new Map<string, string>();
    for (const e of extras) {
      const l = e.toLowerCase();
      if (!l.includes(':') || isWildcard(l) || add.has(l) || catalog.indexOfLower(l) >= 0) continue;
      add.set(l, e);
    }
    if (add.size === 0) {
      this.lower = base.lower;
      this.names = base.names;
    } else {
      // each extra goes in at its place: the catalog's runs between them copied once
      const extra = [...add.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
      // (pushed, not preallocated: a packed array keeps the binary searches over it fast)
      const lower: string[] = [];
      const names: string[] = [];
      let from = 0;
      const copy = (end: number) => {
        for (; from < end; from++) {
          lower.push(base.lower[from]);
          names.push(base.names[from]);
        }
      };
      for (const [l, name] of extra) {
        copy(lowerBound(base.lower, l, from));
        this.extraIns.push(from);
        this.extraLower.push(l);
        this.extraAt.push(lower.length);
        lower.push(l);
        names.push(name);
      }
      copy(base.lower.length);
      this.lower = lower;
      this.names = names;
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
   * [lo, hi) of the actions whose lower-cased full name starts with `prefix` (lower-case), searched
   * within [from, to) (a range known to hold them, e.g. that of a shorter prefix).
   */
  range(prefix: string, from = 0, to = this.lower.length): [number, number] {
    const a = this.lower;
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
    const p = pattern.toLowerCase();
    if (!isWildcard(p)) {
      // a name: one lookup, not worth a memo entry (most patterns a refinement writes are names)
      const i = this.indexOfLower(p);
      return i === undefined ? [] : [i];
    }
    let out = this.expansions.get(p);
    if (out) return out;
    out = this.expandNow(p);
    this.expandedCount += out.length + 8;
    if (this.expandedCount > EXPANSION_BUDGET) {
      this.expansions.clear();
      this.expandedCount = out.length + 8;
    }
    this.expansions.set(p, out);
    return out;
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

/** Indexes (plus a little per pattern) the expansion memo keeps before it starts again: a few MB at most. */
const EXPANSION_BUDGET = 250_000;
