/**
 * What the language server and the VS Code client share: custom messages, command names, settings
 * and the `data` diagnostics carry. Imported by both sides; types and constants only.
 */
import { NotificationType, RequestType, WorkspaceEdit } from 'vscode-languageserver-protocol';

/** The `source` of every diagnostic the server publishes. */
export const DIAGNOSTIC_SOURCE = 'iam-refiner';

/** The code action kind of "refine the whole file" (also offered under `source.fixAll`). */
export const FIX_ALL_KIND = 'source.fixAll.iamRefiner';

export const Commands = {
  /** Refine a whole file. Argument: the document URI (a string). Through LSP the edit is applied with workspace/applyEdit. */
  refineFile: 'iamRefiner.refineFile',
  /** Refine every policy file of the workspace. No argument. */
  refineAll: 'iamRefiner.refineAll',
  /** Write a policy → role binding into iam-refiner.json. Argument: BindRoleArgs. */
  bindRole: 'iamRefiner.bindRole',
  /** Client only: reveal the log. */
  showOutput: 'iamRefiner.showOutput',
  /** Client only: fetch live findings again now (LiveRefreshRequest). Returns the LiveRefreshResult. */
  refreshLiveFindings: 'iamRefiner.refreshLiveFindings',
  /** Client only: write the live findings to a workspace file (LiveFindingsRequest). Optional argument: the target URI. */
  saveLiveFindings: 'iamRefiner.saveLiveFindings',
  /** Client only: diff AWS's recommended policy with the local refinement (AwsRecommendationRequest). */
  compareWithAwsRecommendation: 'iamRefiner.compareWithAwsRecommendation',
  /** Client only: stop and start the language server. */
  restartServer: 'iamRefiner.restartServer',
  /** Client only: open the Explain Refinement picture. Argument: ExplainParams. */
  explainRefinement: 'iamRefiner.explainRefinement',
  /** Client only: fetch the current action catalog from AWS's Service Reference (UpdateCatalogRequest). Returns the UpdateCatalogResult. */
  updateCatalog: 'iamRefiner.updateCatalog',
} as const;

export interface BindRoleArgs {
  /** The workspace folder whose iam-refiner.json receives the binding. */
  folderUri: string;
  /** The policy file, relative to the folder, `/`-separated: the key written under "roles". */
  relPath: string;
  role: string;
}

export type SeveritySetting = 'error' | 'warning' | 'information' | 'hint' | 'off';

/** `iamRefiner.*`: resource-scoped analysis settings, read per workspace folder. */
export interface Settings {
  enable: boolean;
  /** Findings globs added to those of iam-refiner.json. */
  findings: string[];
  /** Policy files to analyse (globs relative to the folder; empty: every JSON document holding a policy). */
  include: string[];
  exclude: string[];
  severity: {
    unusedAction: SeveritySetting;
    unusedWildcard: SeveritySetting;
    unknownAction: SeveritySetting;
  };
  /** Live findings from Access Analyzer (server/src/lsp/liveFindings.ts). */
  live: LiveSettings;
}

/**
 * `iamRefiner.live.*` as read per folder. There is deliberately no endpoint here: the endpoint
 * override is machine-scoped and comes only from the client (LiveClientOptions), never from a
 * workspace's settings or iam-refiner.json.
 */
export interface LiveSettings {
  enabled: boolean;
  region?: string;
  profile?: string;
  analyzerArn?: string;
  /** Minutes between automatic fetches; 0: only when asked (the refresh command). */
  refreshIntervalMinutes: number;
}

// plain values without the LSP library: the CLI and the workspace service import them from ./defaults
export { DEFAULT_SETTINGS, DEFAULT_FINDINGS_GLOBS } from './defaults';

/** Passed by the client in `initialize`. Every field optional: other editors pass nothing. */
export interface InitializationOptions {
  /**
   * The client runs `iamRefiner.refineFile` / `iamRefiner.refineAll` itself (VS Code: as a refactor
   * preview, through RefinementRequest); the server then does not register them.
   */
  clientCommands?: boolean;
  /** Settings for clients without `workspace/configuration` (same shape as Settings, partial). */
  settings?: Partial<Settings>;
  /** Delay between the last change and validation (default 150 ms). */
  debounceMs?: number;
  /** What only the client decides for the live mode. */
  live?: LiveClientOptions;
  /** The client runs `iamRefiner.explainRefinement` (the picture, through ExplainRequest): the server offers it in code actions and hovers. */
  explainView?: boolean;
  /**
   * The client pulls the diagnostics of the documents it shows (textDocument/diagnostic) after each
   * change, and pulls again on workspace/diagnostic/refresh (VS Code: vscode-languageclient with
   * diagnosticPullOptions.onChange). The server then answers pulls instead of publishing a document's
   * diagnostics, `unchanged` when they are what the client holds (a keystroke that moves none of them
   * sends a few bytes, not a thousand diagnostics); it needs the client's textDocument.diagnostic and
   * workspace.diagnostics.refreshSupport capabilities too. The diagnostics of findings and config files
   * are still published.
   */
  pullDiagnostics?: boolean;
}

/** Live-mode options the client alone decides (never read from a workspace). */
export interface LiveClientOptions {
  /** Directory of the live findings cache (VS Code: the extension's globalStorageUri). Absent: no cache on disk. */
  storagePath?: string;
  /** Endpoint override, from the user's (or default) value of the machine-scoped `iamRefiner.live.endpoint` only. */
  endpoint?: string;
  /** Whether the workspace is trusted; false: no live request at all. Absent: trusted (editors without workspace trust). */
  trusted?: boolean;
}

/** client → server: the endpoint or the workspace trust changed (same fields as LiveClientOptions, storagePath aside). */
export const LiveOptionsNotification = new NotificationType<Omit<LiveClientOptions, 'storagePath'>>('iamRefiner/liveOptions');

// ---------------------------------------------------------------------------------------------
// Diagnostics

export type DiagnosticCode =
  | 'unused-action'
  | 'unused-wildcard'
  | 'unknown-action'
  | 'not-judged'
  | 'invalid-policy'
  | 'unbound-policy'
  | 'invalid-findings'
  | 'invalid-config'
  | 'file-too-large';

/**
 * `Diagnostic.data`: what the code actions need. They never look at the message. On the wire
 * (`encodeDiagnosticData`) a diagnostic with only a version and a target sends the array
 * `[version, policy, statement, entry?]`: a keystroke in a broad policy publishes a thousand of them.
 */
export interface DiagnosticData {
  /** The document version the diagnostic was computed on: fixes are offered for that version only. */
  version: number;
  target?: { policy: number; statement: number; entry?: number };
  suggestions?: string[];
  /** unbound-policy: the roles the file could belong to. */
  candidates?: string[];
  folderUri?: string;
  relPath?: string;
}

const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/**
 * The `data` of one of our diagnostics as it comes back from the client (untyped JSON that went
 * through the editor): checked field by field, undefined when it is not ours or not well formed.
 */
export function decodeDiagnosticData(raw: unknown): DiagnosticData | undefined {
  if (Array.isArray(raw)) {
    if ((raw.length !== 3 && raw.length !== 4) || !raw.every(isIndex)) return undefined;
    const [version, policy, statement, entry] = raw as number[];
    return { version, target: { policy, statement, ...(entry !== undefined ? { entry } : {}) } };
  }
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  if (!isIndex(r.version)) return undefined;
  const out: DiagnosticData = { version: r.version };
  const t = r.target as Record<string, unknown> | undefined;
  if (t !== undefined) {
    if (!t || typeof t !== 'object' || !isIndex(t.policy) || !isIndex(t.statement) || (t.entry !== undefined && !isIndex(t.entry))) return undefined;
    out.target = { policy: t.policy, statement: t.statement, ...(t.entry !== undefined ? { entry: t.entry as number } : {}) };
  }
  if (isStrings(r.suggestions)) out.suggestions = r.suggestions;
  if (isStrings(r.candidates)) out.candidates = r.candidates;
  if (typeof r.folderUri === 'string') out.folderUri = r.folderUri;
  if (typeof r.relPath === 'string') out.relPath = r.relPath;
  return out;
}

/** `data` as the server sends it: the compact array when only the version and a target are said, else the object. */
export function encodeDiagnosticData(d: DiagnosticData): DiagnosticData | number[] {
  const t = d.target;
  if (!t || d.suggestions || d.candidates || d.folderUri !== undefined || d.relPath !== undefined) return d;
  return targetData(d.version, t);
}

/** The compact `data` of a version and a target alone (encodeDiagnosticData's array, without the object first: a keystroke makes a thousand). */
export function targetData(version: number, t: NonNullable<DiagnosticData['target']>): number[] {
  return t.entry === undefined ? [version, t.policy, t.statement] : [version, t.policy, t.statement, t.entry];
}

// ---------------------------------------------------------------------------------------------
// Status: server → client

export interface FindingsSourceStatus {
  /** 'file' for findings files; 'live' for Access Analyzer. */
  kind: string;
  label: string;
  uri?: string;
  roles: string[];
  findings: number;
  /** When the findings were produced (analyzedAt, else the file's modification time). */
  analyzedAt?: string;
  error?: string;
  /** Live sources: where they stand. */
  live?: LiveSourceStatus;
}

/**
 * - fetching: first fetch under way, nothing cached yet
 * - ok: the findings of the last fetch (fetchedAt)
 * - offline: the last fetch could not reach Access Analyzer; the cached findings stay in use
 * - stale: the last fetch failed otherwise (message); the cached findings stay in use
 * - error: the fetch failed and nothing is cached (message)
 * - untrusted: off, the workspace is not trusted
 * - idle: nothing fetched yet and no fetch due (refresh interval 0)
 */
export type LiveState = 'fetching' | 'ok' | 'offline' | 'stale' | 'error' | 'untrusted' | 'idle';

export interface LiveSourceStatus {
  state: LiveState;
  region?: string;
  profile?: string;
  analyzerArn?: string;
  /** When the findings in use were fetched (RFC 3339). */
  fetchedAt?: string;
  /** The last failure (or why live is off), as one sentence. */
  message?: string;
  /** The roles asked for (those bound in iam-refiner.json); empty: every role. */
  roles: string[];
  /** Roles asked for that have no active UnusedPermission finding: nothing unused. */
  rolesWithoutFindings: string[];
  refreshIntervalMinutes: number;
}

export interface FolderStatus {
  uri: string;
  name: string;
  /** iam-refiner.json, when present. */
  configUri?: string;
  configError?: string;
  findingsGlobs: string[];
  defaultGlobs: boolean;
  sources: FindingsSourceStatus[];
  roles: string[];
  /** Distinct actions some role leaves unused. */
  unusedActions: number;
  oldestAnalyzedAt?: string;
  newestAnalyzedAt?: string;
  enabled: boolean;
  /** Findings older than maxFindingsAgeDays, one sentence each (a warning in the status). */
  staleFindings?: string[];
  /** Whether lines newer than the findings can be told apart: "git: …" or why every line is judged. */
  history?: string;
  /** The findings show the action catalog to be stale (newer by more than a week, or naming actions it lacks): why, in one sentence. */
  catalogStale?: string;
}

export interface DocumentStatus {
  /** 'all findings', 'roles Deployer (iam-refiner.json)', 'ambiguous: …', 'no findings', 'skipped: …' */
  binding: string;
  problems: number;
}

export interface StatusParams {
  catalog: string;
  catalogVersion: string;
  /** The date of the catalog's data (YYYY-MM-DD). */
  catalogDate?: string;
  /** 'bundled' (built into the extension) or 'cache' (fetched by Update Action Catalog). */
  catalogOrigin?: 'bundled' | 'cache';
  folders: FolderStatus[];
  documents: Record<string, DocumentStatus>;
}

export const StatusNotification = new NotificationType<StatusParams>('iamRefiner/status');

// ---------------------------------------------------------------------------------------------
// Refinement as data (the VS Code client previews it before applying)

export interface RefinementParams {
  /** Documents to refine; absent: every policy file of every workspace folder. */
  uris?: string[];
}

export interface FileRefinement {
  uri: string;
  /** The document version the edit applies to; null: the file on disk (not open). */
  version: number | null;
  /** changed: the edit holds its verified refinement; unchanged: nothing is unused; failed: not refined (see error). */
  status: 'changed' | 'unchanged' | 'failed';
  /** Human summary, e.g. "removed 8 actions, refined 1 wildcard into 9 patterns"; for unchanged, why. */
  summary?: string;
  /** Why the file was not refined (every permission unused, verification failure, too large…). */
  error?: string;
  nothingLeft?: boolean;
}

export interface RefinementResult {
  edit: WorkspaceEdit;
  files: FileRefinement[];
}

export const RefinementRequest = new RequestType<RefinementParams, RefinementResult, void>('iamRefiner/refinement');

/** What a stats request may ask besides the figures (tests, benchmarks). */
export interface ServerStatsParams {
  /** Collect garbage first (only when the server runs with `node --expose-gc`; `gcRan` says whether it did). */
  gc?: boolean;
  /** The server's copy of this open document: version, length and SHA-256 of its UTF-16 code units (to compare with the client's text after edits). */
  textOf?: string;
}

/** Process figures for tests and benchmarks. */
export interface ServerStats {
  rssBytes: number;
  heapUsedBytes: number;
  /** V8's heap as allocated (used or not), and memory outside it (buffers, WebAssembly memories). */
  heapTotalBytes?: number;
  externalBytes?: number;
  arrayBuffersBytes?: number;
  /** The Terraform parser's WebAssembly memory (0 before the first .tf file). */
  terraformParserBytes?: number;
  /** V8's heap spaces (new_space, old_space, large_object_space, code_space, …): allocated and used. */
  heapSpaces?: Record<string, { sizeBytes: number; usedBytes: number }>;
  gcRan?: boolean;
  documents: number;
  analyses: number;
  catalogLoadMs?: number;
  validations: number;
  /** CPU time the server process has used so far (user + system, all its threads), ms: a cost less bent by the machine's load than a wall clock. */
  cpuMs?: number;
  /** With `textOf`: the document as the server holds it (absent when it is not open). */
  text?: { version: number; length: number; sha256: string };
}

export const ServerStatsRequest = new RequestType<ServerStatsParams | undefined | null, ServerStats, void>('iamRefiner/serverStats');

// ---------------------------------------------------------------------------------------------
// Live mode (Access Analyzer)

export interface LiveRefreshParams {
  /** Only this workspace folder; absent: every folder with live findings on. */
  folderUri?: string;
}

export interface LiveFolderResult {
  folderUri: string;
  folderName: string;
  /** The fetch succeeded (cancelled: false, and nothing else). */
  ok: boolean;
  cancelled?: boolean;
  /** One sentence for the user: what was fetched, or what went wrong (then whether cached findings stay in use). */
  message: string;
  findings: number;
  rolesWithoutFindings: string[];
}

export interface LiveRefreshResult {
  folders: LiveFolderResult[];
  /** Why nothing was fetched, when `folders` is empty. */
  reason?: string;
}

/** Fetches the live findings again now (cancellable through the progress the server shows). */
export const LiveRefreshRequest = new RequestType<LiveRefreshParams, LiveRefreshResult, void>('iamRefiner/liveRefresh');

export interface LiveFindingsParams {
  folderUri?: string;
}

export interface LiveFindingsFolder {
  folderUri: string;
  folderName: string;
  /** "Access Analyzer (us-east-1)". */
  label: string;
  fetchedAt?: string;
  findings: number;
  /** `{"findings": [get-finding-v2 responses]}`: a findings file `iam-refine refine --findings` and the extension read. */
  text: string;
}

export interface LiveFindingsResult {
  folders: LiveFindingsFolder[];
  reason?: string;
}

/** The live findings in use (cached), as findings file text, to save in the workspace. */
export const LiveFindingsRequest = new RequestType<LiveFindingsParams, LiveFindingsResult, void>('iamRefiner/liveFindings');

export interface AwsRecommendationParams {
  /** The policy document (open in the editor). */
  uri: string;
  /** The role, when the document's binding names several (the client asked the user). */
  role?: string;
}

export interface AwsPolicyAdvice {
  /** The policy the step is about: managed policy ARN or inline policy name. */
  policyId: string;
  /** DETACH_POLICY without a replacement. */
  detach: boolean;
  /** CREATE_POLICY: AWS's recommended policy, pretty-printed. */
  recommendedPolicy?: string;
  /** Actions the local refinement allows that AWS's recommendation does not. */
  onlyLocal: string[];
  /** Actions AWS's recommendation allows that the local refinement does not. */
  onlyAws: string[];
  /** How they differ, in one or two sentences. */
  summary: string;
}

export type AwsRecommendationResult =
  | { kind: 'error'; message: string }
  /** The document's binding names several roles: ask, then send `role`. */
  | { kind: 'choose-role'; roles: string[] }
  /** Nothing to compare (the role has no finding, AWS returned no step). */
  | { kind: 'nothing'; message: string }
  | {
      kind: 'ok';
      role: string;
      findingId: string;
      analyzerArn: string;
      /** The local refinement of the document's current text; absent when there is none (note says why). */
      localText?: string;
      localNote?: string;
      /** One per policy AWS's recommendation covers. */
      items: AwsPolicyAdvice[];
      /** The item that is this document (by policy name), when it can be told. */
      chosen?: number;
    };

/** Asks AWS for its recommendation for the document's role and compares it with the local refinement. Cancellable. */
export const AwsRecommendationRequest = new RequestType<AwsRecommendationParams, AwsRecommendationResult, void>('iamRefiner/awsRecommendation');

// ---------------------------------------------------------------------------------------------
// Explain Refinement: the rule's trie for one wildcard (server/src/core/explain.ts builds it)

/**
 * What one action is to the statement:
 * - `used`: allowed and used (Action: it must stay allowed);
 * - `unused`: unused according to the findings;
 * - `outside`: under the literal prefix but not allowed by the pattern (`s3:*Object*` does not allow `s3:GetBucketAcl`);
 * - `excluded`: already in the statement's NotAction.
 */
export type LeafKind = 'used' | 'unused' | 'outside' | 'excluded';

export const LEAF_KINDS: readonly LeafKind[] = ['used', 'unused', 'outside', 'excluded'];

/** Where an unused action's verdict comes from: the finding and its last-accessed date. */
export interface UnusedProvenance {
  /** The findings file (or live source) the finding came from. */
  source: string;
  id?: string;
  /** The role ARN the finding is about. */
  resource?: string;
  /** When last used (RFC 3339), if the finding says; absent: not used in the tracking period. */
  lastAccessed?: string;
  /** The finding says the whole service is unused (no action list). */
  serviceLevel: boolean;
}

export interface ExplainNode {
  /** The node's prefix in its canonical case: `s3:GetBucket` (the root: the pattern's literal prefix). */
  prefix: string;
  /** Its word, the prefix minus its parent's: `Bucket`. */
  word: string;
  /** The prefix is itself an action. */
  action?: { name: string; kind: LeafKind; lastAccessed?: { role: string; date?: string }[]; findings?: UnusedProvenance[] };
  /** The actions whose words pass through the node (the prefix is one of their word boundaries), by kind: children partition them. */
  counts: Record<LeafKind, number>;
  /** Every action under it is good: kept (Action) or excluded-or-unused (NotAction). The root is never a candidate. */
  safe: boolean;
  /**
   * Actions of sibling words its prefix also matches as a string (`ListFlowExecution*` matches
   * `ListFlowExecutions`, a word of its own): they count for `safe`, not in `counts`.
   */
  alsoMatches?: number;
  /** What the node is written as when it is emitted (safe nodes: `prefix*`, or the action when it covers one). */
  pattern?: string;
  /** The pattern the quick fix writes for this node. */
  emitted?: string;
  /** On the refinement's frontier, but already written elsewhere in the statement (not written twice). */
  listed?: string;
  /** Shown closed: wholly safe, wholly unused, or not listed. */
  collapsed: boolean;
  /** Its actions are not listed (nothing under it is a member or unused): `children` is empty. */
  opaque?: boolean;
  children: ExplainNode[];
}

export type ExplainMode =
  /** An Action entry: what stays allowed (the patterns written in place of the wildcard). */
  | 'allow'
  /** A NotAction statement or `"Action": "*"`: what is added to NotAction. */
  | 'exclude';

export type ExplainOutcome =
  /** Nothing under the pattern is unused: it stays as written. */
  | 'keep'
  /** Everything it allows is unused (or listed elsewhere): the entry goes. */
  | 'remove'
  | 'replace'
  /** Every action it allows is unused: the whole statement goes. */
  | 'remove-statement'
  | 'to-not-action'
  | 'extend-not-action'
  /**
   * A list of patterns explained as a whole against the findings (a refined list): its entries are
   * the highlighted nodes; `leastGeneral` says whether they are exactly the shortest safe prefixes.
   */
  | 'list';

export interface Explanation {
  mode: ExplainMode;
  /** The entry as written (`s3:Get*`, `*`), or `NotAction` for a NotAction statement. */
  pattern: string;
  key: 'Action' | 'NotAction';
  outcome: ExplainOutcome;
  /** What the quick fix writes, from its plan (Action: in place of the pattern; exclude: added to NotAction). */
  patterns: string[];
  /** Patterns of the refinement already written elsewhere in the statement. */
  listed: string[];
  /** Patterns of the plan no node of the trie stands for (must be empty). */
  unmatched: string[];
  /** Unsafe nodes (the root too) holding actions to keep beside actions to drop, with an emitted child: what forced the split (prefixes; the root of `*` is `*`). */
  forcedBy: string[];
  roles: string[];
  /** outcome 'list': the entries explained together (same service), whether they are the rule's frontier, and that frontier. */
  list?: { entries: string[]; leastGeneral: boolean; frontier: string[]; /** Unused actions the list allows. */ unusedAllowed: number };
  root: ExplainNode;
  /** Totals over the root (= root.counts) and the number of unused leaves listed. */
  totals: Record<LeafKind, number> & { unusedLeaves: number; nodes: number };
}

export interface ExplainParams {
  uri: string;
  /** The entry (or NotAction statement, without `entry`) to explain, as in DiagnosticData.target. */
  target?: { policy: number; statement: number; entry?: number };
  /** Else: the entry at this position. */
  position?: { line: number; character: number };
  /** The document version the target was computed on (a newer version is explained at the same target). */
  version?: number;
}

export type ExplainResponse =
  | { kind: 'ok'; uri: string; version: number | null; /** "s3:Get* in policy.json" */ title: string; explanation: Explanation; /** The findings' binding, as the hover says it. */ binding: string }
  | { kind: 'error'; message: string };

/** client → server: the explanation of an entry, from the refinement its quick fix applies. */
export const ExplainRequest = new RequestType<ExplainParams, ExplainResponse, void>('iamRefiner/explain');
// The action catalog

export interface UpdateCatalogParams {
  /**
   * A Service Reference URL from the user's own settings (`iamRefiner.catalog.serviceReferenceUrl`,
   * machine scope; the client reads the user value only). Absent: IAM_REFINER_SERVICE_REFERENCE_URL
   * of the server's environment, else AWS's. Never taken from a workspace's settings.
   */
  url?: string;
}

export interface UpdateCatalogResult {
  ok: boolean;
  cancelled?: boolean;
  /** One sentence for the user: what was fetched, or what failed (naming the URL and the service). */
  message: string;
  /** The catalog in use after the request (describe()). */
  catalog: string;
  catalogDate: string;
  added?: number;
  removed?: number;
  ms?: number;
}

/** Fetches the current catalog into the per-user cache and uses it (cancellable through the progress the server shows). */
export const UpdateCatalogRequest = new RequestType<UpdateCatalogParams, UpdateCatalogResult, void>('iamRefiner/updateCatalog');
