/**
 * The action catalog on disk: the one bundled at build time (dist/catalog.json) and the one
 * `iam-refine catalog update` / "IAM Refiner: Update Action Catalog" fetched from AWS's Service
 * Reference into the per-user cache. The engine uses the newer of the two (by the date of their
 * data); a cache file that cannot be read is ignored, with a note, never half-used.
 */
import { readFileSync, existsSync, statSync } from 'node:fs';
import { isAscii } from 'node:buffer';
import { join, dirname, isAbsolute } from 'node:path';
import { homedir } from 'node:os';
import { Catalog, parsePackedCatalog } from '../core';

/** dist/catalog.json next to the bundle, or in the repository's dist/ when running from out/. */
export function defaultCatalogPath(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    for (const candidate of [join(dir, 'catalog.json'), join(dir, 'dist', 'catalog.json')]) {
      if (existsSync(candidate)) return candidate;
    }
    dir = dirname(dir);
  }
  throw new Error(`catalog.json not found near ${__dirname}: run "npm run build" first`);
}

/**
 * A file's text as readFileSync(file, 'utf8') gives it. A catalog is ASCII (names, letters, dates):
 * then it is taken byte for byte (latin1), which is the same string without UTF-8's decoding pass
 * (the 735 KB bundled catalog: about 0.8 ms against 1.1–1.4 ms, in every process that loads it).
 */
export function readCatalogText(file: string): string {
  const bytes = readFileSync(file);
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

/** Reads a packed catalog file. */
export function loadCatalog(file = defaultCatalogPath()): Catalog {
  return Catalog.fromJSON(readCatalogText(file));
}

let shared: Catalog | undefined;
/** The bundled catalog, read once per process. */
export function defaultCatalog(): Catalog {
  return (shared ??= loadCatalog());
}

type Env = Record<string, string | undefined>;

/**
 * The per-user cache directory: $XDG_CACHE_HOME/iam-policy-refiner when set (absolute), else the
 * platform's place (~/Library/Caches on macOS, %LOCALAPPDATA% on Windows, ~/.cache elsewhere).
 * Never a path from a workspace.
 */
export function userCacheDir(env: Env = process.env, platform: NodeJS.Platform = process.platform): string {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'iam-policy-refiner');
  const home = env.HOME || env.USERPROFILE || homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'iam-policy-refiner');
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(home, 'AppData', 'Local'), 'iam-policy-refiner', 'Cache');
  return join(home, '.cache', 'iam-policy-refiner');
}

/** Where the fetched catalog is kept. */
export function cachedCatalogPath(env: Env = process.env): string {
  return join(userCacheDir(env), 'catalog.json');
}

/** The catalog in use and where it came from. */
export interface CatalogChoice {
  catalog: Catalog;
  origin: 'bundled' | 'cache';
  /** The file it was read from. */
  path: string;
  /** The cache file, also when it was not used. */
  cachePath: string;
  /** Why the cache was not used although it is there (unreadable, older than the bundled one). */
  note?: string;
}

const cacheMemo = new Map<string, { mtimeMs: number; size: number; result: Catalog | Error }>();

/** The cached catalog (undefined: none; an Error: there but unreadable), read again only when the file changed. */
export function readCachedCatalog(file: string): Catalog | Error | undefined {
  let st;
  try {
    st = statSync(file);
  } catch {
    return undefined;
  }
  const m = cacheMemo.get(file);
  if (m && m.mtimeMs === st.mtimeMs && m.size === st.size) return m.result;
  let result: Catalog | Error;
  try {
    result = parsePackedCatalog(file, readCatalogText(file));
  } catch (e) {
    result = e instanceof Error ? e : new Error(String(e));
  }
  cacheMemo.set(file, { mtimeMs: st.mtimeMs, size: st.size, result });
  return result;
}

/** The newest catalog there is: the cache when it is readable and its data newer than the bundled one's, else the bundled one. */
export function chooseCatalog(env: Env = process.env, bundled: () => Catalog = defaultCatalog, bundledPath: () => string = defaultCatalogPath): CatalogChoice {
  const cachePath = cachedCatalogPath(env);
  const b = bundled();
  const c = readCachedCatalog(cachePath);
  const bundledChoice = (note?: string): CatalogChoice => ({ catalog: b, origin: 'bundled', path: safePath(bundledPath), cachePath, ...(note ? { note } : {}) });
  if (c === undefined) return bundledChoice();
  if (c instanceof Error) return bundledChoice(`the cached catalog is ignored: ${c.message}`);
  if (Date.parse(c.updatedAt) <= Date.parse(b.updatedAt)) return bundledChoice(`the cached catalog (data of ${c.date}) is older than the bundled one (${b.date}): the bundled one is used`);
  return { catalog: c, origin: 'cache', path: cachePath, cachePath };
}

function safePath(f: () => string): string {
  try {
    return f();
  } catch {
    return 'catalog.json';
  }
}

/** The catalog the engine uses now (see chooseCatalog). */
export function currentCatalog(env: Env = process.env): Catalog {
  return chooseCatalog(env).catalog;
}

/** The catalog a long-running host uses: loaded on first use (timed, logged), replaced by an update. */
export class LazyCatalog {
  private instance: Catalog | undefined;
  loadMs: number | undefined;

  constructor(private readonly load: () => Catalog | undefined, private readonly log: (m: string) => void, private readonly env: Env = process.env) {}

  readonly get = (): Catalog => {
    if (!this.instance) {
      const t0 = performance.now();
      // the newest catalog there is: the one Update Action Catalog fetched, else the bundled one
      this.instance = this.load() ?? this.chosen();
      this.loadMs = performance.now() - t0;
      this.log(`catalog: ${this.instance.describe()} loaded in ${this.loadMs.toFixed(0)} ms`);
    }
    return this.instance;
  };

  use(c: Catalog): void {
    this.instance = c;
    this.log(`catalog: now ${c.describe()}`);
  }

  private chosen(): Catalog {
    const c = chooseCatalog(this.env);
    if (c.note) this.log(`catalog: ${c.note}`);
    return c.catalog;
  }
}
