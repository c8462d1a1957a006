/**
 * Live findings kept per connection (analyzer, region, profile, endpoint) and requested roles: the
 * users (workspace folders) that ask for the same share one entry, one fetch and one cache file.
 * No editor imports: the language server's provider (lsp/liveFindings.ts) adapts this.
 *
 * - `use()` never waits for the network: it reads the cache (once) and starts a fetch in the
 *   background when one is due (scheduler.ts); when a fetch ends, onDidFetch listeners hear of it.
 * - A failed fetch keeps the cached findings in use and says why; the entry's state tells
 *   offline / stale / error.
 * - The AWS SDK is loaded on the first fetch only.
 */
import * as path from 'node:path';
import type * as AccessAnalyzer from './accessAnalyzer';
import { CACHE_FORMAT, CacheFile, cacheFileName, readCacheFile, writeCacheFile } from './cache';
import { ErrorKind, classifyError, friendlyError } from './errors';
import { toCoreFindings } from './findingsV2';
import { RefreshState, RefreshTimer, SETTLE_MS, dueOnLoad, nextAutomatic } from './scheduler';
import { describeEndpoint } from './names';
import type { Finding } from '../core';
import { ago, plural } from '../workspace/format';

export type Api = typeof AccessAnalyzer;

/** Loads the Access Analyzer calls (and with them the AWS SDK). */
export function loadAccessAnalyzer(): Api {
  // the SDK warns on stderr that future versions need Node 22; the editor's users cannot act on that
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return require('./accessAnalyzer') as Api;
}

/** Where requests go. */
export interface Connection {
  analyzerArn?: string;
  region?: string;
  profile?: string;
  /** Only from the client (a machine-scoped setting), never from a workspace. */
  endpoint?: string;
}

/** What one fetch asks for. */
export interface Target extends Connection {
  /** Bound roles, sorted; empty: every role. */
  roles: string[];
}

export interface ProgressHandle {
  report(message: string, percentage?: number): void;
  done(): void;
}

export interface LiveStoreHost {
  /** The cache directory; undefined: no cache on disk. */
  storagePath(): string | undefined;
  log(message: string): void;
  /** Shows a fetch's progress; the user cancelling it calls `onCancel`. */
  progress(title: string, onCancel: () => void): Promise<ProgressHandle>;
  /** Clock (tests). */
  now?(): number;
  /** The Access Analyzer calls (tests may pass their own). */
  api?(): Api;
  /** GetFindingV2 calls in flight at once (default 4). */
  concurrency?: number;
}

export type FetchOutcome =
  | { ok: true; findings: number; rolesWithoutFindings: string[]; analyzerArn: string }
  | { ok: false; cancelled?: boolean; message: string; kind?: ErrorKind };

/** The entry's state as the status shows it. */
export type EntryState = 'idle' | 'fetching' | 'ok' | 'offline' | 'stale' | 'error';

export const labelOf = (c: Connection): string => `Access Analyzer (${c.region ?? 'default region'})`;

const keyOf = (t: Target): string => JSON.stringify([t.analyzerArn ?? '', t.region ?? '', t.profile ?? '', t.endpoint ?? '', t.roles]);

/** A failure as one sentence, never the SDK's error itself (no stack, nothing signed). */
export function failureMessage(err: unknown, c: Connection, sdkLoaded: boolean): string {
  if (!sdkLoaded) return `the live mode could not start: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  return friendlyError(err, { surface: 'editor', region: c.region, profile: c.profile, endpoint: c.endpoint, analyzerArn: c.analyzerArn });
}

/** One set of live findings: its cache, its fetch, its last failure, its refresh timing. */
export class LiveEntry {
  readonly users = new Set<string>();
  readonly label: string;
  /** The cache file's name (a hash of the key); also the source id. */
  readonly fileName: string;
  cache: CacheFile | undefined;
  failure: { message: string; kind: ErrorKind } | undefined;
  fetching: { promise: Promise<FetchOutcome>; abort: AbortController } | undefined;
  readonly timing: Omit<RefreshState, 'fetchedAtMs' | 'hasCache' | 'failed'> = { intervalMinutes: 60, attempted: false, lastAttemptAt: 0, settleUntil: 0 };
  readonly timer: RefreshTimer;
  private parsed: Finding[] | undefined;
  private cacheRead: Promise<void> | undefined;

  constructor(readonly key: string, readonly target: Target, readonly file: string | undefined, fetch: (e: LiveEntry) => void) {
    this.label = labelOf(target);
    this.fileName = cacheFileName(key);
    this.timer = new RefreshTimer(() => fetch(this));
  }

  /** Reads the cache file once (a missing or unreadable file is no cache). */
  readCache(log: (m: string) => void): Promise<void> {
    this.cacheRead ??= (async () => {
      if (!this.file) return;
      try {
        const data = await readCacheFile(this.file);
        if (!data) return;
        // a fetch may have finished meanwhile
        if (!this.cache) this.setCache(data);
        log(`${this.label}: using cached findings fetched ${data.fetchedAt}`);
      } catch (e) {
        log(`${this.label}: ignoring the unreadable cache ${path.basename(this.file)} (${e instanceof Error ? e.message : e})`);
      }
    })();
    return this.cacheRead;
  }

  setCache(c: CacheFile): void {
    this.cache = c;
    this.parsed = undefined;
  }

  /** The cached findings in the core's form (converted once per fetch). */
  findings(log: (m: string) => void): Finding[] {
    if (!this.cache) return [];
    if (!this.parsed) {
      try {
        this.parsed = toCoreFindings(this.cache.findings, this.label);
      } catch (e) {
        log(`${this.label}: the fetched findings could not be read: ${e instanceof Error ? e.message : e}`);
        this.parsed = [];
      }
    }
    return this.parsed;
  }

  get fetchedAtMs(): number {
    const t = this.cache ? Date.parse(this.cache.fetchedAt) : NaN;
    return Number.isNaN(t) ? 0 : t;
  }

  refreshState(): RefreshState {
    return { ...this.timing, fetchedAtMs: this.fetchedAtMs, hasCache: !!this.cache, failed: !!this.failure };
  }

  get state(): EntryState {
    if (this.failure) return this.cache ? (this.failure.kind === 'network' ? 'offline' : 'stale') : 'error';
    if (this.cache) return 'ok';
    return this.fetching ? 'fetching' : 'idle';
  }
}

export class LiveFindingsStore {
  private readonly entries = new Map<string, LiveEntry>();
  /** user → its entry's key, and the refresh interval it asks for. */
  private readonly users = new Map<string, { key: string; intervalMinutes: number }>();
  private readonly listeners = new Set<(e: LiveEntry) => void>();
  private api: Api | undefined;
  private disposed = false;

  constructor(private readonly host: LiveStoreHost) {}

  now(): number {
    return this.host.now?.() ?? Date.now();
  }

  /** The Access Analyzer calls, loaded on first use. */
  live(): Api {
    return (this.api ??= this.host.api?.() ?? loadAccessAnalyzer());
  }

  /** Whether the SDK has been loaded (a failure before that is the SDK failing to load). */
  get sdkLoaded(): boolean {
    return this.api !== undefined;
  }

  /** Called after every fetch of an entry still in use. */
  onDidFetch(listener: (e: LiveEntry) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /**
   * `user` (a folder) wants the findings of `target`: its entry (shared with the users that want
   * the same), its cache read, a fetch started or scheduled when one is due. Never waits for the network.
   */
  async use(user: string, target: Target, intervalMinutes: number): Promise<LiveEntry> {
    const key = keyOf(target);
    const previous = this.users.get(user)?.key;
    if (previous && previous !== key) this.release(user);
    let e = this.entries.get(key);
    if (!e) {
      const dir = this.host.storagePath();
      e = new LiveEntry(key, target, dir ? path.join(dir, cacheFileName(key)) : undefined, (x) => void this.fetch(x));
      // a change of key (not the first use) may be an edit in progress: let it settle
      if (previous) e.timing.settleUntil = this.now() + SETTLE_MS;
      this.entries.set(key, e);
    }
    e.users.add(user);
    this.users.set(user, { key, intervalMinutes });
    e.timing.intervalMinutes = this.intervalOf(e);
    await e.readCache((m) => this.host.log(m));
    if (!this.disposed && this.entries.get(e.key) === e && !e.fetching) e.timer.apply(dueOnLoad(e.refreshState(), this.now()));
    return e;
  }

  /** The entry a user uses, if any. */
  entryOf(user: string): LiveEntry | undefined {
    const key = this.users.get(user)?.key;
    return key ? this.entries.get(key) : undefined;
  }

  /** The user no longer uses its entry; an entry nobody uses stops (its fetch is cancelled). */
  release(user: string): void {
    const e = this.entryOf(user);
    this.users.delete(user);
    if (!e) return;
    e.users.delete(user);
    if (e.users.size === 0) {
      this.stop(e);
      this.entries.delete(e.key);
    } else e.timing.intervalMinutes = this.intervalOf(e);
  }

  dispose(): void {
    this.disposed = true;
    for (const e of this.entries.values()) this.stop(e);
    this.entries.clear();
    this.users.clear();
    this.listeners.clear();
  }

  private stop(e: LiveEntry): void {
    e.timer.clear();
    e.fetching?.abort.abort();
  }

  /** The smallest interval of the users sharing the entry. */
  private intervalOf(e: LiveEntry): number {
    const minutes = [...e.users].map((u) => this.users.get(u)?.intervalMinutes).filter((m): m is number => m !== undefined);
    return minutes.length ? Math.min(...minutes) : 60;
  }

  /** Fetches an entry's findings (joins the fetch under way); never throws. */
  fetch(e: LiveEntry): Promise<FetchOutcome> {
    if (e.fetching) return e.fetching.promise;
    const abort = new AbortController();
    const promise = this.runFetch(e, abort);
    e.fetching = { promise, abort };
    return promise;
  }

  private async runFetch(e: LiveEntry, abort: AbortController): Promise<FetchOutcome> {
    e.timing.attempted = true;
    e.timing.lastAttemptAt = this.now();
    e.timer.clear();
    const t = e.target;
    const what = t.roles.length ? plural(t.roles.length, 'role') : 'every role';
    this.host.log(`${e.label}: fetching UnusedPermission findings (${what}${t.profile ? `, profile ${t.profile}` : ''}${t.endpoint ? `, endpoint ${describeEndpoint(t.endpoint)}` : ''})`);
    let progress: ProgressHandle = { report: () => undefined, done: () => undefined };
    let client: ReturnType<Api['createClient']> | undefined;
    let outcome: FetchOutcome;
    try {
      progress = await this.host.progress(`Fetching findings from ${e.label}`, () => abort.abort());
      const api = this.live();
      client = api.createClient({ region: t.region, profile: t.profile, endpoint: t.endpoint });
      const result = await api.fetchFindings({
        client,
        analyzerArn: t.analyzerArn,
        roles: t.roles,
        signal: abort.signal,
        concurrency: this.host.concurrency ?? 4,
        onProgress: (p) => {
          if (p.phase === 'analyzer') progress.report('finding the unused-access analyzer');
          else if (p.phase === 'list') progress.report(`listing findings (${p.listed})`);
          else if (p.phase === 'details') progress.report(`reading findings ${p.fetched}/${p.listed}`, p.listed ? (100 * p.fetched) / p.listed : undefined);
        },
      });
      const cache: CacheFile = {
        format: CACHE_FORMAT,
        fetchedAt: new Date(this.now()).toISOString(),
        analyzerArn: result.analyzer.arn,
        ...(t.region ? { region: t.region } : {}),
        ...(t.profile ? { profile: t.profile } : {}),
        roles: t.roles,
        rolesWithoutFindings: result.rolesWithoutFindings,
        // the analyzer's tracking period goes with each finding: every diagnostic says it
        findings: result.analyzer.unusedAccessAge ? result.findings.map((f) => ({ ...f, unusedAccessAge: result.analyzer.unusedAccessAge })) : result.findings,
      };
      e.setCache(cache);
      e.failure = undefined;
      if (e.file) {
        // a failure is logged; the findings stay in memory
        await writeCacheFile(e.file, cache).catch((err) => this.host.log(`${e.label}: could not write the findings cache ${e.file}: ${err instanceof Error ? err.message : err}`));
      }
      const n = result.findings.length;
      const roleCount = new Set(result.findings.map((f) => f.resource)).size;
      this.host.log(`${e.label}: ${plural(n, 'UnusedPermission finding')}${n ? ` (${plural(roleCount, 'role')})` : ''} from ${result.analyzer.arn}`);
      for (const r of result.rolesWithoutFindings) this.host.log(`${e.label}: ${r}: nothing unused (no active UnusedPermission finding)`);
      outcome = { ok: true, findings: n, rolesWithoutFindings: result.rolesWithoutFindings, analyzerArn: result.analyzer.arn };
    } catch (err) {
      const kind = this.sdkLoaded ? classifyError(err) : 'other';
      if (kind === 'cancelled' || abort.signal.aborted) {
        this.host.log(`${e.label}: fetch cancelled${e.cache ? `; using the findings fetched ${ago(e.cache.fetchedAt, this.now())}` : ''}`);
        outcome = { ok: false, cancelled: true, message: 'cancelled' };
      } else {
        const message = failureMessage(err, t, this.sdkLoaded);
        e.failure = { message, kind };
        this.host.log(`${e.label}: ${message}${e.cache ? ` (${kind === 'network' ? 'offline' : 'keeping the cache'}: using findings from ${ago(e.cache.fetchedAt, this.now())})` : ''}`);
        outcome = { ok: false, message, kind };
      }
    } finally {
      try {
        client?.destroy();
      } catch {
        // nothing to release
      }
      progress.done();
    }
    e.fetching = undefined;
    if (!this.disposed && this.entries.get(e.key) === e) {
      if (e.users.size > 0) e.timer.apply(nextAutomatic(e.refreshState(), this.now()));
      for (const l of [...this.listeners]) l(e);
    }
    return outcome;
  }
}
