/**
 * `iam-refine catalog update` and "IAM Refiner: Update Action Catalog": the current catalog from
 * AWS's Service Reference into the per-user cache.
 *
 * - Node's own fetch (the Service Reference is public and unsigned: no SDK, no credentials).
 * - The index, then every service's document, a few at a time (bounded concurrency), each request
 *   with a timeout and a few retries of what is worth retrying (5xx, 429, a dropped connection).
 * - All or nothing: the first failure stops the others and names the URL and the service; the cache
 *   is replaced atomically (atomicWrite.ts) only once every document has been read and checked, so
 *   it is never half-written and a failed update leaves the previous one in use.
 * - Where from: AWS's URL; for tests an override from the environment
 *   (IAM_REFINER_SERVICE_REFERENCE_URL) or the user's own settings, never from a workspace.
 *   https, or http on a loopback address only; the index may only point at its own origin.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  Catalog,
  PackedCatalog,
  SERVICE_REFERENCE_URL,
  ServiceActions,
  catalogDiff,
  packServiceReference,
  parseServiceDocument,
  parseServiceIndex,
} from '../core';
import { writeFileAtomic } from './atomicWrite';
import { cachedCatalogPath, chooseCatalog, defaultCatalog } from './catalogFile';

type Env = Record<string, string | undefined>;

/** The environment variable that points the update at another Service Reference (a local stand-in in the tests). */
export const SERVICE_REFERENCE_ENV = 'IAM_REFINER_SERVICE_REFERENCE_URL';

export class CatalogUpdateError extends Error {
  constructor(message: string, readonly url?: string, readonly service?: string) {
    super(message);
  }
}

export class CatalogUpdateCancelled extends Error {
  constructor() {
    super('the catalog update was cancelled');
  }
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** An override URL: absolute, https (http only on a loopback address), no user name or password. Returns it normalized. */
export function validateServiceReferenceUrl(raw: string, from: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new CatalogUpdateError(`${from}: "${raw}" is not a URL (expected e.g. ${SERVICE_REFERENCE_URL})`);
  }
  if (u.username || u.password) throw new CatalogUpdateError(`${from}: the Service Reference URL must not contain a user name or password`);
  if (u.protocol === 'https:' || (u.protocol === 'http:' && LOOPBACK.test(u.hostname))) return u.href;
  throw new CatalogUpdateError(`${from}: the Service Reference URL ${u.origin} must use https (plain http is accepted only for localhost)`);
}

/**
 * Where the update reads from: the user's own setting (passed by the editor client, which reads it
 * from user settings only), else the environment, else AWS. Never a workspace's settings.
 */
export function serviceReferenceUrl(env: Env, userSetting?: string): { url: string; from: string } {
  if (userSetting && userSetting.trim()) return { url: validateServiceReferenceUrl(userSetting.trim(), 'iamRefiner.catalog.serviceReferenceUrl (user settings)'), from: 'user settings' };
  const e = env[SERVICE_REFERENCE_ENV];
  if (e && e.trim()) return { url: validateServiceReferenceUrl(e.trim(), SERVICE_REFERENCE_ENV), from: SERVICE_REFERENCE_ENV };
  return { url: SERVICE_REFERENCE_URL, from: 'AWS' };
}

export interface UpdateOptions {
  /** The index URL (see serviceReferenceUrl); default AWS's. */
  url?: string;
  env?: Env;
  /** Documents fetched at once (default 8). */
  concurrency?: number;
  /** Milliseconds per request, the body included (default 30 000). */
  timeoutMs?: number;
  /** Attempts per request, the first included (default 3). */
  attempts?: number;
  signal?: AbortSignal;
  /** Progress: documents done out of all. */
  progress?: (done: number, total: number) => void;
  /** The bundled catalog: service names for the documentation links, and the yardstick of a plausible answer. */
  reference?: Catalog;
  /** Where the cache goes (default cachedCatalogPath(env)). */
  cachePath?: string;
  now?: () => Date;
  fetch?: typeof fetch;
}

export interface UpdateResult {
  catalog: Catalog;
  /** The catalog in use before. */
  previous: Catalog;
  path: string;
  url: string;
  services: number;
  actions: number;
  added: string[];
  removed: string[];
  ms: number;
  bytes: number;
}

/** Largest answer read (bytes): the biggest service document is a few MB. */
const MAX_BYTES = 32 * 1024 * 1024;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

function describeFailure(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e instanceof TimedOut) return e.message;
  const code = err?.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found (is the network down?)';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'the connection was dropped';
  return err?.cause?.message ?? err?.message ?? String(e);
}

class TimedOut extends Error {
  constructor(ms: number) {
    super(`timed out after ${ms / 1000} s`);
  }
}

class HttpStatus extends Error {
  constructor(readonly status: number, statusText: string) {
    super(`HTTP ${status}${statusText ? ` ${statusText}` : ''}`);
  }
}

/** GET a URL's text: a timeout per attempt, retries of 5xx/429/dropped connections, same origin after redirects. */
async function getText(url: string, o: Required<Pick<UpdateOptions, 'timeoutMs' | 'attempts' | 'fetch'>> & { signal: AbortSignal; origin: string }, what: string): Promise<string> {
  let last: unknown;
  for (let attempt = 1; attempt <= o.attempts; attempt++) {
    if (o.signal.aborted) throw new CatalogUpdateCancelled();
    // a controller of our own with a plain timer (signals composed by AbortSignal.any can be
    // collected before they fire on Node 20), aborted by the update's signal too
    const request = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      request.abort();
    }, o.timeoutMs);
    const stop = () => request.abort();
    o.signal.addEventListener('abort', stop, { once: true });
    try {
      const res = await o.fetch(url, { signal: request.signal, headers: { accept: 'application/json' } });
      if (new URL(res.url || url).origin !== o.origin) throw new CatalogUpdateError(`${url}: redirected to ${new URL(res.url).origin}, not the Service Reference's origin: refused`, url);
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        throw new HttpStatus(res.status, res.statusText);
      }
      const declared = Number(res.headers.get('content-length') ?? NaN);
      if (declared > MAX_BYTES) throw new CatalogUpdateError(`${url}: ${declared} bytes, more than the ${MAX_BYTES} a service document may be: refused`, url);
      const text = await res.text();
      if (text.length > MAX_BYTES) throw new CatalogUpdateError(`${url}: more than ${MAX_BYTES} bytes: refused`, url);
      return text;
    } catch (e) {
      if (o.signal.aborted) throw new CatalogUpdateCancelled();
      if (e instanceof CatalogUpdateError) throw e;
      last = timedOut ? new TimedOut(o.timeoutMs) : e;
      const retryable = e instanceof HttpStatus ? e.status >= 500 || e.status === 429 : true;
      if (!retryable || attempt === o.attempts) break;
      await sleep(200 * 2 ** (attempt - 1), o.signal);
    } finally {
      clearTimeout(timer);
      o.signal.removeEventListener('abort', stop);
    }
  }
  const reason = last instanceof HttpStatus ? last.message : describeFailure(last);
  throw new CatalogUpdateError(`reading ${what} failed: ${url}: ${reason}${o.attempts > 1 && !(last instanceof HttpStatus && last.status < 500 && last.status !== 429) ? ` (after ${o.attempts} attempts)` : ''}`, url);
}

/**
 * Fetches the whole Service Reference, checks it, and replaces the cached catalog atomically.
 * Throws CatalogUpdateError (naming the URL and the service) or CatalogUpdateCancelled; the cache
 * is then exactly as it was.
 */
export async function updateCatalog(opts: UpdateOptions = {}): Promise<UpdateResult> {
  const t0 = performance.now();
  const env = opts.env ?? process.env;
  const url = opts.url ?? serviceReferenceUrl(env).url;
  const reference = opts.reference ?? defaultCatalog();
  const previous = chooseCatalog(env).catalog;
  const cachePath = opts.cachePath ?? cachedCatalogPath(env);
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) abort.abort();
  const http = { timeoutMs: opts.timeoutMs ?? 30_000, attempts: Math.max(1, opts.attempts ?? 3), fetch: opts.fetch ?? fetch, signal: abort.signal, origin: new URL(url).origin };
  let bytes = 0;
  try {
    const indexText = await getText(url, http, 'the Service Reference index');
    bytes += indexText.length;
    const refs = parseServiceIndex(url, indexText);
    const results: ServiceActions[] = new Array(refs.length);
    let next = 0;
    let done = 0;
    let failure: unknown;
    const worker = async () => {
      while (failure === undefined && next < refs.length) {
        const i = next++;
        const ref = refs[i];
        try {
          const text = await getText(ref.url, http, `service ${ref.service}`);
          bytes += text.length;
          results[i] = parseServiceDocument(ref.url, text, ref.service);
          opts.progress?.(++done, refs.length);
        } catch (e) {
          if (failure === undefined) failure = e instanceof CatalogUpdateError || e instanceof CatalogUpdateCancelled ? e : new CatalogUpdateError(`service ${ref.service}: ${e instanceof Error ? e.message : String(e)}`, ref.url, ref.service);
          abort.abort(); // the others stop: one missing service makes the whole answer unusable
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 8, refs.length)) }, worker));
    if (failure !== undefined) {
      if (failure instanceof CatalogUpdateCancelled && opts.signal?.aborted) throw failure;
      throw failure instanceof CatalogUpdateCancelled ? new CatalogUpdateError('the catalog update stopped', url) : failure;
    }
    const fetchedAt = (opts.now ?? (() => new Date()))();
    const packed: PackedCatalog = packServiceReference(results, fetchedAt, new URL(url).origin, (p) => reference.serviceName(p));
    const catalog = new Catalog(packed.version, packed.updatedAt, packed.source, packed.services);
    // a plausible answer, or a broken mirror replacing a good catalog with a few services
    if (catalog.actionCount < reference.actionCount / 2) {
      throw new CatalogUpdateError(`${url}: the Service Reference lists ${catalog.actionCount} actions in ${catalog.services.size} services, fewer than half of the bundled catalog's ${reference.actionCount}: not used`, url);
    }
    await fs.mkdir(path.dirname(cachePath), { recursive: true, mode: 0o700 });
    await removeLeftovers(cachePath);
    if (opts.signal?.aborted) throw new CatalogUpdateCancelled();
    await writeFileAtomic(cachePath, JSON.stringify(packed));
    const diff = catalogDiff(previous, catalog);
    return { catalog, previous, path: cachePath, url, services: catalog.services.size, actions: catalog.actionCount, added: diff.added, removed: diff.removed, ms: performance.now() - t0, bytes };
  } catch (e) {
    if (e instanceof CatalogUpdateCancelled) throw e;
    if (e instanceof CatalogUpdateError) throw e;
    // a malformed answer (InputError naming the URL and the place), a write failure
    throw new CatalogUpdateError(e instanceof Error ? e.message : String(e), url);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/** Temporary files of an update killed while it wrote (its rename never came): removed once they are 10 minutes old (a running update's is younger). */
async function removeLeftovers(cachePath: string): Promise<void> {
  const dir = path.dirname(cachePath);
  const prefix = `.${path.basename(cachePath)}.`;
  let names: string[] = [];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.startsWith(prefix) || !n.endsWith('.iam-refine.tmp')) continue;
    const f = path.join(dir, n);
    try {
      if (Date.now() - (await fs.lstat(f)).mtimeMs > 10 * 60_000) await fs.rm(f, { force: true });
    } catch {
      /* gone meanwhile */
    }
  }
}

/** "412 actions added, 3 removed (s3:GetBucketAbac, …)" for a summary line. */
export function describeChange(r: Pick<UpdateResult, 'added' | 'removed'>, listed = 5): string {
  const names = (xs: string[]) => (xs.length ? ` (${xs.slice(0, listed).join(', ')}${xs.length > listed ? `, … and ${xs.length - listed} more` : ''})` : '');
  return `${r.added.length} action${r.added.length === 1 ? '' : 's'} added${names(r.added)}, ${r.removed.length} removed${names(r.removed)}`;
}
