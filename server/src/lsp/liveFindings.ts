/**
 * Live findings from IAM Access Analyzer as a findings source of the language server.
 *
 * - One entry per connection (analyzer setting, region, profile, endpoint) and requested roles; the
 *   folders that share them share one fetch and one cache file.
 * - `load()` never waits for the network: it answers with the cached findings (read from disk on
 *   first use) and starts a fetch in the background when one is due; when the fetch ends the
 *   provider fires onDidChange and the server reloads those folders.
 * - A failed fetch keeps the cached findings in use and says why (offline / stale); only when
 *   nothing is cached does the source carry the error.
 * - Cache: one JSON file per key in `storagePath` holding the findings (get-finding-v2 shaped), the
 *   fetch time and which analyzer/region/profile they are of. Never a credential: the SDK resolves
 *   those itself and nothing here reads them.
 * - The endpoint comes only from the client (LiveClientOptions); the workspace's settings have none.
 * - The AWS SDK is loaded on the first fetch only.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type * as LiveApi from '../live/accessAnalyzer';
import { CONFIG_FILE, Finding, parseConfig, parseFindings, roleName } from '../core';
import { ago, plural } from '../workspace/format';
import { LiveClientOptions, LiveFolderResult, LiveSettings, LiveSourceStatus, LiveState } from '../../../shared/protocol';
import { FindingsProvider, FindingsRequest, FindingsSource, FolderInfo, newest } from '../workspace/findingsProvider';

type Api = typeof LiveApi;
type FindingV2 = LiveApi.FindingV2;

/** Loads the live API (and with it the AWS SDK) on first use. */
function loadApi(): Api {
  // the SDK warns on stderr that future versions need Node 22; the editor's users cannot act on that
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return require('../live/accessAnalyzer') as Api;
}

export interface ProgressHandle {
  report(message: string, percentage?: number): void;
  done(): void;
}

export interface LiveHost {
  /** What the client decided: endpoint, trust, where the cache goes. */
  options(): LiveClientOptions;
  log(message: string): void;
  /** Shows progress in the editor; the user cancelling it calls `onCancel`. */
  progress(title: string, onCancel: () => void): Promise<ProgressHandle>;
  /** Clock (tests). */
  now?(): number;
  /** The live API (tests may pass their own). */
  api?(): Api;
  /** GetFindingV2 calls in flight at once (default 4). */
  concurrency?: number;
}

/** What one fetch asks for. */
interface Target {
  analyzerArn?: string;
  region?: string;
  profile?: string;
  endpoint?: string;
  /** Bound roles, sorted; empty: every role. */
  roles: string[];
}

/** The cache file: findings only (and what they are of), never credentials. */
interface CacheFile {
  format: typeof CACHE_FORMAT;
  fetchedAt: string;
  analyzerArn: string;
  region?: string;
  profile?: string;
  roles: string[];
  rolesWithoutFindings: string[];
  findings: FindingV2[];
}

const CACHE_FORMAT = 'iam-refiner-live-findings/1';
/** After a failed fetch, try again after at most this long (the refresh interval when shorter). */
const RETRY_AFTER_FAILURE_MIN = 5;
/** setTimeout's limit. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** When a folder's key changes (roles edited in iam-refiner.json, settings), the fetch waits this long for the edit to settle. */
const SETTLE_MS = 3000;

interface Failure {
  message: string;
  kind: LiveApi.ErrorKind;
}

export type FetchOutcome =
  | { ok: true; findings: number; rolesWithoutFindings: string[]; analyzerArn: string }
  | { ok: false; cancelled?: boolean; message: string; kind?: LiveApi.ErrorKind };

/** An endpoint for a log line: its origin only (never a user name, password, path or query). */
export function describeEndpoint(endpoint: string | undefined): string {
  if (!endpoint) return 'the AWS endpoint';
  try {
    const u = new URL(endpoint);
    return u.username || u.password ? `${u.protocol}//${u.host} (with a user name or password: refused)` : u.origin;
  } catch {
    return 'an endpoint that is not a URL';
  }
}

function labelOf(t: Target): string {
  return `Access Analyzer (${t.region ?? 'default region'})`;
}

function keyOf(t: Target): string {
  return JSON.stringify([t.analyzerArn ?? '', t.region ?? '', t.profile ?? '', t.endpoint ?? '', t.roles]);
}

/** The cache file of a key: a hash, so nothing about the key shows in the name. */
export function cacheFileName(key: string): string {
  return `live-findings-${createHash('sha256').update(key).digest('hex').slice(0, 24)}.json`;
}

function isCacheFile(v: unknown): v is CacheFile {
  const c = v as CacheFile;
  return !!c && c.format === CACHE_FORMAT && typeof c.fetchedAt === 'string' && typeof c.analyzerArn === 'string' && Array.isArray(c.findings) && Array.isArray(c.roles);
}

/** A failure as one sentence for the editor, never the SDK's error itself (no stack, nothing signed). */
function failureMessage(api: Api | undefined, err: unknown, t: Omit<Target, 'roles'>): string {
  if (!api) return `the live mode could not start: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  return api.friendlyError(err, { surface: 'editor', region: t.region, profile: t.profile, endpoint: t.endpoint, analyzerArn: t.analyzerArn });
}

function closeClient(client: { destroy(): void } | undefined): void {
  try {
    client?.destroy();
  } catch {
    // nothing to release
  }
}

class LiveEntry {
  readonly folders = new Set<string>();
  cache: CacheFile | undefined;
  private parsed: Finding[] | undefined;
  private cacheRead: Promise<void> | undefined;
  fetching: { promise: Promise<FetchOutcome>; abort: AbortController } | undefined;
  /** A fetch was started in this session. */
  attempted = false;
  lastAttemptAt = 0;
  failure: Failure | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Minutes; the smallest of the folders sharing the entry (0: manual only). */
  interval = 60;
  /** No automatic fetch before this time (the key just changed: an edit may still be under way). */
  settleUntil = 0;

  constructor(readonly key: string, readonly target: Target, readonly file: string | undefined) {}

  get label(): string {
    return labelOf(this.target);
  }

  /** Reads the cache file once (a missing or unreadable file is no cache). */
  readCache(log: (m: string) => void): Promise<void> {
    this.cacheRead ??= (async () => {
      if (!this.file) return;
      let text: string;
      try {
        text = await fs.readFile(this.file, 'utf8');
      } catch {
        return; // never fetched
      }
      try {
        const data = JSON.parse(text) as unknown;
        if (!isCacheFile(data)) throw new Error('not a live findings cache');
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

  /** The cached findings in the core's form (parsed once per fetch). */
  findings(log: (m: string) => void): Finding[] {
    if (!this.cache) return [];
    if (!this.parsed) {
      try {
        this.parsed = parseFindings(this.label, JSON.stringify({ findings: this.cache.findings })).findings;
      } catch (e) {
        log(`${this.label}: the fetched findings could not be read: ${e instanceof Error ? e.message : e}`);
        this.parsed = [];
      }
    }
    return this.parsed ?? [];
  }

  get fetchedAtMs(): number {
    const t = this.cache ? Date.parse(this.cache.fetchedAt) : NaN;
    return Number.isNaN(t) ? 0 : t;
  }
}

/** What load() last saw of a folder (for refresh, save and the recommendation). */
interface FolderState {
  folder: FolderInfo;
  settings: LiveSettings;
  key?: string;
  /** The roles last read from iam-refiner.json (kept while the file does not parse). */
  roles?: string[];
  untrusted?: boolean;
}

export interface RecommendationRequest {
  folder: FolderInfo;
  settings: LiveSettings;
  role: string;
  signal: AbortSignal;
}

export type RecommendationOutcome =
  | { kind: 'ok'; recommendation: LiveApi.Recommendation; analyzerArn: string; findingId: string }
  | { kind: 'nothing'; message: string }
  | { kind: 'error'; message: string; cancelled?: boolean };

export class LiveFindingsProvider implements FindingsProvider {
  readonly id = 'live';
  private readonly entries = new Map<string, LiveEntry>();
  private readonly folders = new Map<string, FolderState>();
  private readonly listeners = new Set<(folderUri?: string) => void>();
  private api: Api | undefined;
  private disposed = false;

  constructor(private readonly host: LiveHost) {}

  private now(): number {
    return this.host.now?.() ?? Date.now();
  }

  private live(): Api {
    return (this.api ??= this.host.api?.() ?? loadApi());
  }

  private log(m: string): void {
    this.host.log(m);
  }

  private trusted(): boolean {
    return this.host.options().trusted !== false;
  }

  onDidChange(listener: (folderUri?: string) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private fire(folderUri?: string): void {
    if (this.disposed) return;
    for (const l of [...this.listeners]) l(folderUri);
  }

  /** The client's options changed (endpoint, trust): every live folder loads again. */
  optionsChanged(): void {
    for (const uri of this.folders.keys()) this.fire(uri);
  }

  // ------------------------------------------------------------------------------------------
  // FindingsProvider

  async load(req: FindingsRequest): Promise<FindingsSource[]> {
    const uri = req.folder.uri;
    const settings = req.settings.live;
    if (this.disposed || !settings.enabled) {
      this.detach(uri);
      this.folders.delete(uri);
      return [];
    }
    if (!this.trusted()) {
      this.detach(uri);
      this.folders.set(uri, { folder: req.folder, settings, untrusted: true });
      return [this.untrustedSource(settings)];
    }
    const target = await this.targetFor(req.folder, settings, req.readText);
    const entry = this.attach(uri, target);
    this.folders.set(uri, { folder: req.folder, settings, key: entry.key, roles: target.roles });
    entry.interval = this.intervalOf(entry);
    await entry.readCache((m) => this.log(m));
    if (!this.disposed && this.entries.get(entry.key) === entry) this.maybeFetch(entry);
    return [this.sourceOf(entry, settings)];
  }

  dispose(): void {
    this.disposed = true;
    for (const e of this.entries.values()) this.stop(e);
    this.entries.clear();
    this.folders.clear();
    this.listeners.clear();
  }

  // ------------------------------------------------------------------------------------------
  // entries

  /**
   * The roles bound in iam-refiner.json (`roles`), sorted; none: every role. While the file does not
   * parse (being edited; the project reports it) the roles read before stay.
   */
  private async boundRoles(folder: FolderInfo, readText: (p: string) => Promise<string | undefined>): Promise<string[]> {
    if (!folder.path) return [];
    const text = await readText(path.join(folder.path, CONFIG_FILE));
    if (text === undefined) return [];
    try {
      return [...new Set(parseConfig(CONFIG_FILE, text).roles.flatMap((r) => r.roles))].sort();
    } catch {
      return this.folders.get(folder.uri)?.roles ?? [];
    }
  }

  private async targetFor(folder: FolderInfo, s: LiveSettings, readText: (p: string) => Promise<string | undefined>): Promise<Target> {
    return { ...this.connectionOf(s), roles: await this.boundRoles(folder, readText) };
  }

  /** Where requests go: the analyzer, its region, the profile, the client's endpoint. */
  private connectionOf(s: LiveSettings): Omit<Target, 'roles'> {
    // the analyzer's region, unless the settings name one (as the CLI does)
    const region = s.region ?? (s.analyzerArn ? /^arn:aws[a-z-]*:access-analyzer:([a-z0-9-]+):/.exec(s.analyzerArn)?.[1] : undefined);
    return { analyzerArn: s.analyzerArn, region, profile: s.profile, endpoint: this.host.options().endpoint || undefined };
  }

  private attach(folderUri: string, target: Target): LiveEntry {
    const key = keyOf(target);
    const previous = this.folders.get(folderUri)?.key;
    if (previous && previous !== key) this.detach(folderUri);
    let e = this.entries.get(key);
    if (!e) {
      const dir = this.host.options().storagePath;
      e = new LiveEntry(key, target, dir ? path.join(dir, cacheFileName(key)) : undefined);
      // a change of key (not the first load) may be an edit in progress: let it settle
      if (previous) e.settleUntil = this.now() + SETTLE_MS;
      this.entries.set(key, e);
    }
    e.folders.add(folderUri);
    return e;
  }

  /** The folder no longer uses its entry; an entry nobody uses stops (its fetch is cancelled). */
  private detach(folderUri: string): void {
    const key = this.folders.get(folderUri)?.key;
    const e = key ? this.entries.get(key) : undefined;
    if (!e) return;
    e.folders.delete(folderUri);
    if (e.folders.size === 0) {
      this.stop(e);
      this.entries.delete(e.key);
    }
  }

  private stop(e: LiveEntry): void {
    if (e.timer) clearTimeout(e.timer);
    e.timer = undefined;
    e.fetching?.abort.abort();
  }

  private intervalOf(e: LiveEntry): number {
    const minutes = [...e.folders].map((u) => this.folders.get(u)?.settings.refreshIntervalMinutes).filter((m): m is number => m !== undefined);
    return minutes.length ? Math.min(...minutes) : 60;
  }

  /**
   * Starts a fetch when one is due: nothing cached (first use), the cache older than the refresh
   * interval, or the interval passed since the last attempt. Otherwise the next one is scheduled.
   */
  private maybeFetch(e: LiveEntry): void {
    if (e.fetching) return;
    const intervalMs = e.interval * 60_000;
    const now = this.now();
    const due = !e.attempted ? !e.cache || (intervalMs > 0 && now - e.fetchedAtMs >= intervalMs) : intervalMs > 0 && now - this.lastActivity(e) >= this.waitMs(e);
    if (due && now < e.settleUntil) this.schedule(e, e.settleUntil - now);
    else if (due) void this.fetch(e);
    else this.schedule(e);
  }

  private lastActivity(e: LiveEntry): number {
    return Math.max(e.fetchedAtMs, e.lastAttemptAt);
  }

  /** How long after the last attempt the next automatic one comes (shorter after a failure). */
  private waitMs(e: LiveEntry): number {
    const minutes = e.failure ? Math.min(e.interval, RETRY_AFTER_FAILURE_MIN) : e.interval;
    return minutes * 60_000;
  }

  /** The next automatic fetch: after `delayMs`, else when the refresh interval (or the retry wait) has passed. */
  private schedule(e: LiveEntry, delayMs?: number): void {
    if (e.timer) clearTimeout(e.timer);
    e.timer = undefined;
    if (this.disposed || e.folders.size === 0 || (delayMs === undefined && e.interval <= 0)) return;
    const delay = Math.min(MAX_TIMER_MS, delayMs ?? Math.max(1000, this.lastActivity(e) + this.waitMs(e) - this.now()));
    e.timer = setTimeout(() => {
      e.timer = undefined;
      void this.fetch(e);
    }, delay);
    e.timer.unref?.();
  }

  /** Fetches an entry's findings (joins the fetch under way); never throws. */
  private fetch(e: LiveEntry): Promise<FetchOutcome> {
    if (e.fetching) return e.fetching.promise;
    const abort = new AbortController();
    const promise = this.runFetch(e, abort);
    e.fetching = { promise, abort };
    return promise;
  }

  private async runFetch(e: LiveEntry, abort: AbortController): Promise<FetchOutcome> {
    e.attempted = true;
    e.lastAttemptAt = this.now();
    if (e.timer) clearTimeout(e.timer);
    e.timer = undefined;
    const t = e.target;
    const what = t.roles.length ? plural(t.roles.length, 'role') : 'every role';
    this.log(`${e.label}: fetching UnusedPermission findings (${what}${t.profile ? `, profile ${t.profile}` : ''}${t.endpoint ? `, endpoint ${describeEndpoint(t.endpoint)}` : ''})`);
    let progress: ProgressHandle = { report: () => undefined, done: () => undefined };
    let api: Api | undefined;
    let client: ReturnType<Api['createClient']> | undefined;
    let outcome: FetchOutcome;
    try {
      progress = await this.host.progress(`Fetching findings from ${e.label}`, () => abort.abort());
      api = this.live();
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
        findings: result.findings,
      };
      e.setCache(cache);
      e.failure = undefined;
      await this.writeCache(e, cache);
      const n = result.findings.length;
      const roleCount = new Set(result.findings.map((f) => f.resource)).size;
      this.log(`${e.label}: ${plural(n, 'UnusedPermission finding')}${n ? ` (${plural(roleCount, 'role')})` : ''} from ${result.analyzer.arn}`);
      for (const r of result.rolesWithoutFindings) this.log(`${e.label}: ${r}: nothing unused (no active UnusedPermission finding)`);
      outcome = { ok: true, findings: n, rolesWithoutFindings: result.rolesWithoutFindings, analyzerArn: result.analyzer.arn };
    } catch (err) {
      // one sentence, never the SDK's error itself (no stack, nothing signed)
      const kind = api ? api.classifyError(err) : 'other';
      if (kind === 'cancelled' || abort.signal.aborted) {
        this.log(`${e.label}: fetch cancelled${e.cache ? `; using the findings fetched ${ago(e.cache.fetchedAt, this.now())}` : ''}`);
        outcome = { ok: false, cancelled: true, message: 'cancelled' };
      } else {
        const message = failureMessage(api, err, t);
        e.failure = { message, kind };
        this.log(`${e.label}: ${message}${e.cache ? ` (${kind === 'network' ? 'offline' : 'keeping the cache'}: using findings from ${ago(e.cache.fetchedAt, this.now())})` : ''}`);
        outcome = { ok: false, message, kind };
      }
    } finally {
      closeClient(client);
      progress.done();
    }
    e.fetching = undefined;
    if (!this.disposed && this.entries.get(e.key) === e) {
      this.schedule(e);
      for (const uri of e.folders) this.fire(uri);
    }
    return outcome;
  }

  /** Writes the cache atomically, readable by the user only; a failure is logged and the findings stay in memory. */
  private async writeCache(e: LiveEntry, cache: CacheFile): Promise<void> {
    if (!e.file) return;
    const tmp = `${e.file}.${process.pid}.${Date.now()}.tmp`;
    try {
      await fs.mkdir(path.dirname(e.file), { recursive: true, mode: 0o700 });
      await fs.writeFile(tmp, JSON.stringify(cache, null, 2) + '\n', { encoding: 'utf8', mode: 0o600 });
      await fs.rename(tmp, e.file);
    } catch (err) {
      this.log(`${e.label}: could not write the findings cache ${e.file}: ${err instanceof Error ? err.message : err}`);
      await fs.rm(tmp, { force: true }).catch(() => undefined);
    }
  }

  // ------------------------------------------------------------------------------------------
  // sources and status

  private untrustedSource(s: LiveSettings): FindingsSource {
    return {
      id: 'live:untrusted',
      kind: 'live',
      label: 'Access Analyzer',
      findings: [],
      live: {
        state: 'untrusted',
        region: s.region,
        profile: s.profile,
        message: 'live findings are off in Restricted Mode: trust this workspace to fetch them from Access Analyzer',
        roles: [],
        rolesWithoutFindings: [],
        refreshIntervalMinutes: s.refreshIntervalMinutes,
      },
    };
  }

  private stateOf(e: LiveEntry): LiveState {
    if (e.failure) return e.cache ? (e.failure.kind === 'network' ? 'offline' : 'stale') : 'error';
    if (e.cache) return 'ok';
    return e.fetching ? 'fetching' : 'idle';
  }

  private sourceOf(e: LiveEntry, s: LiveSettings): FindingsSource {
    const state = this.stateOf(e);
    const findings = e.findings((m) => this.log(m));
    const live: LiveSourceStatus = {
      state,
      region: e.target.region,
      profile: e.target.profile,
      analyzerArn: e.cache?.analyzerArn ?? e.target.analyzerArn,
      fetchedAt: e.cache?.fetchedAt,
      message: e.failure?.message ?? (state === 'idle' ? 'nothing fetched yet: run "IAM Refiner: Refresh Findings from Access Analyzer"' : undefined),
      roles: e.target.roles,
      rolesWithoutFindings: e.cache?.rolesWithoutFindings ?? [],
      refreshIntervalMinutes: s.refreshIntervalMinutes,
    };
    return {
      id: `live:${cacheFileName(e.key)}`,
      kind: 'live',
      label: e.label,
      findings,
      error: state === 'error' ? new Error(e.failure!.message) : undefined,
      analyzedAt: newest(findings) ?? e.cache?.fetchedAt,
      live,
    };
  }

  // ------------------------------------------------------------------------------------------
  // commands

  /** Why a folder (or every folder) has nothing live, for the commands. */
  private reasonNone(): string {
    if (!this.trusted()) return 'Live findings are off in Restricted Mode: trust this workspace to fetch findings from Access Analyzer.';
    return 'Live findings are off: turn on the iamRefiner.live.enabled setting (and set iamRefiner.live.region) to fetch findings from Access Analyzer.';
  }

  private liveFolders(folderUri?: string): { state: FolderState; entry: LiveEntry }[] {
    const out: { state: FolderState; entry: LiveEntry }[] = [];
    for (const [uri, state] of this.folders) {
      if (folderUri && uri !== folderUri) continue;
      const entry = state.key ? this.entries.get(state.key) : undefined;
      if (entry) out.push({ state, entry });
    }
    return out;
  }

  /** Fetches now for the folder (or every live folder); each folder's outcome in one sentence. */
  async refresh(folderUri?: string): Promise<{ folders: LiveFolderResult[]; reason?: string }> {
    const targets = this.liveFolders(folderUri);
    if (targets.length === 0) return { folders: [], reason: this.reasonNone() };
    const outcomes = new Map<LiveEntry, Promise<FetchOutcome>>();
    for (const { entry } of targets) if (!outcomes.has(entry)) outcomes.set(entry, this.fetch(entry));
    const folders: LiveFolderResult[] = [];
    for (const { state, entry } of targets) {
      const o = await outcomes.get(entry)!;
      const base = { folderUri: state.folder.uri, folderName: state.folder.name };
      if (o.ok) {
        const roles = o.rolesWithoutFindings.length ? `; ${o.rolesWithoutFindings.map((r) => `${roleName(r)}: nothing unused`).join(', ')}` : '';
        folders.push({ ...base, ok: true, message: `${plural(o.findings, 'finding')} from ${entry.label}${roles}`, findings: o.findings, rolesWithoutFindings: o.rolesWithoutFindings });
      } else {
        const cached = entry.cache ? ` (${o.kind === 'network' ? 'offline: ' : ''}using findings from ${ago(entry.cache.fetchedAt, this.now())})` : '';
        folders.push({
          ...base,
          ok: false,
          cancelled: o.cancelled,
          message: o.cancelled ? `fetching from ${entry.label} was cancelled` : `${entry.label}: ${o.message}${cached}`,
          findings: entry.cache?.findings.length ?? 0,
          rolesWithoutFindings: entry.cache?.rolesWithoutFindings ?? [],
        });
      }
    }
    return { folders };
  }

  /** The findings in use per live folder, as findings file text (what `iam-refine fetch` writes). */
  cachedFindings(folderUri?: string): { folders: { folderUri: string; folderName: string; label: string; fetchedAt?: string; findings: number; text: string }[]; reason?: string } {
    const targets = this.liveFolders(folderUri).filter((t) => t.entry.cache);
    if (targets.length === 0) {
      const any = this.liveFolders(folderUri).length > 0;
      return { folders: [], reason: any ? 'No live findings yet: run "IAM Refiner: Refresh Findings from Access Analyzer" first.' : this.reasonNone() };
    }
    return {
      folders: targets.map(({ state, entry }) => ({
        folderUri: state.folder.uri,
        folderName: state.folder.name,
        label: entry.label,
        fetchedAt: entry.cache!.fetchedAt,
        findings: entry.cache!.findings.length,
        // the same text as findingsFileText(), without loading the SDK for it
        text: JSON.stringify({ findings: entry.cache!.findings }, null, 2) + '\n',
      })),
    };
  }

  /**
   * AWS's recommendation for a role: the role's finding (from the cache, else fetched), then
   * GenerateFindingRecommendation and polling. Errors come back as one sentence.
   */
  async recommend(req: RecommendationRequest): Promise<RecommendationOutcome> {
    if (!this.trusted()) return { kind: 'error', message: this.reasonNone() };
    // the bound roles do not matter here: the request names its role
    const target = this.connectionOf(req.settings);
    const key = this.folders.get(req.folder.uri)?.key;
    const entry = key ? this.entries.get(key) : undefined;
    let api: Api | undefined;
    let client: ReturnType<Api['createClient']> | undefined;
    try {
      api = this.live();
      client = api.createClient({ region: target.region, profile: target.profile, endpoint: target.endpoint });
      const lookup = async (): Promise<{ analyzerArn: string; finding?: FindingV2 }> => {
        const r = await api!.fetchFindings({ client: client!, analyzerArn: target.analyzerArn, roles: [req.role], signal: req.signal });
        return { analyzerArn: r.analyzer.arn, finding: r.findings[0] };
      };
      const cached = entry?.cache?.findings.find((f) => f.resource === req.role);
      let found = cached && entry?.cache ? { analyzerArn: entry.cache.analyzerArn, finding: cached } : await lookup();
      if (!found.finding) return { kind: 'nothing', message: `${roleName(req.role)}: nothing unused (no active UnusedPermission finding), so AWS has nothing to recommend` };
      this.log(`asking AWS for its recommendation for ${req.role} (finding ${found.finding.id})`);
      let recommendation: LiveApi.Recommendation;
      try {
        recommendation = await api.requestRecommendation({ client, analyzerArn: found.analyzerArn, findingId: found.finding.id, signal: req.signal });
      } catch (err) {
        // the cached finding may have been resolved since: look it up once more
        if (!cached || api.classifyError(err) !== 'finding-not-found') throw err;
        found = await lookup();
        if (!found.finding) return { kind: 'nothing', message: `${roleName(req.role)}: nothing unused any more (no active UnusedPermission finding)` };
        recommendation = await api.requestRecommendation({ client, analyzerArn: found.analyzerArn, findingId: found.finding.id, signal: req.signal });
      }
      return { kind: 'ok', recommendation, analyzerArn: found.analyzerArn, findingId: found.finding.id };
    } catch (err) {
      const kind = api ? api.classifyError(err) : 'other';
      if (kind === 'cancelled' || req.signal.aborted) return { kind: 'error', message: 'cancelled', cancelled: true };
      const message = failureMessage(api, err, target);
      this.log(`AWS's recommendation for ${req.role}: ${message}`);
      return { kind: 'error', message };
    } finally {
      closeClient(client);
    }
  }
}
