/**
 * Live findings from IAM Access Analyzer as a findings source of the language server: adapts
 * live/store.ts (entries, fetches, cache, refresh timing) to the FindingsProvider interface, the
 * status and the commands' answers.
 *
 * - A folder's target is its live settings, the roles bound in its iam-refiner.json (parsed by
 *   the project, handed in with the request) and the client's endpoint; folders with the same
 *   target share one entry.
 * - `load()` never waits for the network; when a fetch ends the folders of its entry reload.
 * - The endpoint comes only from the client (LiveClientOptions); the workspace's settings have none.
 * - Off in untrusted workspaces: no request at all.
 */
import { roleName } from '../core';
import { ago, plural } from '../workspace/format';
import { findingsFileText } from '../live/findingsV2';
import { RecommendationOutcome, recommendForRole } from '../live/recommend';
import { Api, Connection, FetchOutcome, LiveEntry, LiveFindingsStore, ProgressHandle } from '../live/store';
import { LiveClientOptions, LiveFindingsResult, LiveFolderResult, LiveSettings, LiveSourceStatus } from '../../../shared/protocol';
import { FindingsProvider, FindingsRequest, FindingsSource, FolderInfo, newest } from '../workspace/findingsProvider';

export { describeEndpoint } from '../live/names';
export type { ProgressHandle, RecommendationOutcome };

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

/** What load() last saw of a folder (for refresh, save and the recommendation). */
interface FolderState {
  folder: FolderInfo;
  settings: LiveSettings;
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

const UNTRUSTED_MESSAGE = 'live findings are off in Restricted Mode: trust this workspace to fetch them from Access Analyzer';

export class LiveFindingsProvider implements FindingsProvider {
  readonly id = 'live';
  private readonly store: LiveFindingsStore;
  private readonly folders = new Map<string, FolderState>();
  private readonly listeners = new Set<(folderUri?: string) => void>();
  private disposed = false;

  constructor(private readonly host: LiveHost) {
    this.store = new LiveFindingsStore({
      storagePath: () => host.options().storagePath,
      log: (m) => host.log(m),
      progress: (title, onCancel) => host.progress(title, onCancel),
      now: host.now && (() => host.now!()),
      api: host.api && (() => host.api!()),
      concurrency: host.concurrency,
    });
    this.store.onDidFetch((e) => {
      for (const uri of e.users) this.fire(uri);
    });
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
      this.store.release(uri);
      this.folders.delete(uri);
      return [];
    }
    if (!this.trusted()) {
      this.store.release(uri);
      this.folders.set(uri, { folder: req.folder, settings, untrusted: true });
      return [untrustedSource(settings)];
    }
    const roles = this.boundRoles(req);
    this.folders.set(uri, { folder: req.folder, settings, roles });
    const entry = await this.store.use(uri, { ...this.connectionOf(settings), roles }, settings.refreshIntervalMinutes);
    return [this.sourceOf(entry, settings)];
  }

  dispose(): void {
    this.disposed = true;
    this.store.dispose();
    this.folders.clear();
    this.listeners.clear();
  }

  /**
   * The roles bound in iam-refiner.json (`roles`), sorted; none: every role. While the file does not
   * parse (being edited; the project reports it) the roles read before stay.
   */
  private boundRoles(req: FindingsRequest): string[] {
    if (req.configInvalid) return this.folders.get(req.folder.uri)?.roles ?? [];
    return [...new Set(req.config.roles.flatMap((r) => r.roles))].sort();
  }

  /** Where requests go: the analyzer, its region, the profile, the client's endpoint. */
  private connectionOf(s: LiveSettings): Connection {
    // the analyzer's region, unless the settings name one (as the CLI does)
    const region = s.region ?? (s.analyzerArn ? /^arn:aws[a-z-]*:access-analyzer:([a-z0-9-]+):/.exec(s.analyzerArn)?.[1] : undefined);
    return { analyzerArn: s.analyzerArn, region, profile: s.profile, endpoint: this.host.options().endpoint || undefined };
  }

  // ------------------------------------------------------------------------------------------
  // sources and status

  private sourceOf(e: LiveEntry, s: LiveSettings): FindingsSource {
    const state = e.state;
    const findings = e.findings((m) => this.host.log(m));
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
      id: `live:${e.fileName}`,
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
      const entry = this.store.entryOf(uri);
      if (entry) out.push({ state, entry });
    }
    return out;
  }

  /** Fetches now for the folder (or every live folder); each folder's outcome in one sentence. */
  async refresh(folderUri?: string): Promise<{ folders: LiveFolderResult[]; reason?: string }> {
    const targets = this.liveFolders(folderUri);
    if (targets.length === 0) return { folders: [], reason: this.reasonNone() };
    const outcomes = new Map<LiveEntry, Promise<FetchOutcome>>();
    for (const { entry } of targets) if (!outcomes.has(entry)) outcomes.set(entry, this.store.fetch(entry));
    const folders: LiveFolderResult[] = [];
    for (const { state, entry } of targets) {
      const o = await outcomes.get(entry)!;
      const base = { folderUri: state.folder.uri, folderName: state.folder.name };
      if (o.ok) {
        const roles = o.rolesWithoutFindings.length ? `; ${o.rolesWithoutFindings.map((r) => `${roleName(r)}: nothing unused`).join(', ')}` : '';
        folders.push({ ...base, ok: true, message: `${plural(o.findings, 'finding')} from ${entry.label}${roles}`, findings: o.findings, rolesWithoutFindings: o.rolesWithoutFindings });
      } else {
        const cached = entry.cache ? ` (${o.kind === 'network' ? 'offline: ' : ''}using findings from ${ago(entry.cache.fetchedAt, this.store.now())})` : '';
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
  cachedFindings(folderUri?: string): LiveFindingsResult {
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
        text: findingsFileText(entry.cache!.findings),
      })),
    };
  }

  /** AWS's recommendation for a role (live/recommend.ts), with the folder's findings in use when they are of the same connection. */
  async recommend(req: RecommendationRequest): Promise<RecommendationOutcome> {
    if (!this.trusted()) return { kind: 'error', message: this.reasonNone() };
    // the bound roles do not matter here: the request names its role
    const connection = this.connectionOf(req.settings);
    const cache = this.store.entryOf(req.folder.uri)?.cache;
    return recommendForRole(this.store, {
      connection,
      role: req.role,
      cached: cache && { analyzerArn: cache.analyzerArn, findings: cache.findings },
      signal: req.signal,
      log: (m) => this.host.log(m),
    });
  }
}

function untrustedSource(s: LiveSettings): FindingsSource {
  return {
    id: 'live:untrusted',
    kind: 'live',
    label: 'Access Analyzer',
    findings: [],
    live: { state: 'untrusted', region: s.region, profile: s.profile, message: UNTRUSTED_MESSAGE, roles: [], rolesWithoutFindings: [], refreshIntervalMinutes: s.refreshIntervalMinutes },
  };
}
