import { Catalog } from './catalog';
import { isWildcard, literalPrefix, patternMatcher } from './pattern';

interface Sorted {
  lower: string[];
  names: string[];
  index?: Map<string, number>;
}

const baseCache = new WeakMap<Catalog, Sorted>();

function catalogSorted(catalog: Catalog): Sorted {
  let s = baseCache.get(catalog);
  if (!s) {
    const pairs: [string, string][] = [];
    for (const [lower, name] of catalog.canonical) pairs.push([lower, name]);
    pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    s = { lower: pairs.map((p) => p[0]), names: pairs.map((p) => p[1]) };
    baseCache.set(catalog, s);
  }
  return s;
}

/**
 * The set patterns are expanded over: the catalog plus every action named in the findings or
 * literally in the policy. Actions are kept sorted by their lower-cased full name, so the actions
 * under any prefix form one contiguous index range.
 */
export class Universe {
  readonly lower: string[];
  readonly names: string[];
  private index: Map<string, number> | undefined;
  private readonly base: Sorted | undefined;

  constructor(readonly catalog: Catalog, extras: Iterable<string> = []) {
    const base = catalogSorted(catalog);
    const add = new Map<string, string>();
    for (const e of extras) {
      const l = e.toLowerCase();
      if (!l.includes(':') || isWildcard(l) || catalog.canonical.has(l) || add.has(l)) continue;
      add.set(l, e);
    }
    if (add.size === 0) {
      this.lower = base.lower;
      this.names = base.names;
      this.base = base;
    } else {
      const extra = [...add.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
      const lower: string[] = [];
      const names: string[] = [];
      let i = 0;
      let j = 0;
      while (i < base.lower.length || j < extra.length) {
        if (j >= extra.length || (i < base.lower.length && base.lower[i] < extra[j][0])) {
          lower.push(base.lower[i]);
          names.push(base.names[i++]);
        } else {
          lower.push(extra[j][0]);
          names.push(extra[j++][1]);
        }
      }
      this.lower = lower;
      this.names = names;
    }
  }

  get size(): number {
    return this.lower.length;
  }

  indexOf(name: string): number | undefined {
    if (!this.index) {
      // the catalog's own index is built once and shared by every universe without extras
      const owner = this.base ?? { lower: this.lower, names: this.names };
      if (!owner.index) {
        const m = new Map<string, number>();
        this.lower.forEach((l, i) => m.set(l, i));
        owner.index = m;
      }
      this.index = owner.index;
    }
    return this.index.get(name.toLowerCase());
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

  /** Sorted indexes of the actions a pattern allows. */
  expand(pattern: string): number[] {
    const p = pattern.toLowerCase();
    if (!isWildcard(p)) {
      const i = this.indexOf(p);
      return i === undefined ? [] : [i];
    }
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

  /** Every action of a service prefix (lower-case). */
  service(prefix: string): number[] {
    const [lo, hi] = this.range(prefix.toLowerCase() + ':');
    const out: number[] = [];
    for (let i = lo; i < hi; i++) out.push(i);
    return out;
  }
}
