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
  /** Reserved for live findings from Access Analyzer (server/src/live/). */
  live: LiveSettings;
}

export interface LiveSettings {
  enabled: boolean;
  region?: string;
  profile?: string;
  analyzerArn?: string;
  /** Machine scope: never taken from a workspace. */
  endpoint?: string;
  refreshIntervalMinutes: number;
}

export const DEFAULT_SETTINGS: Settings = {
  enable: true,
  findings: [],
  include: [],
  exclude: [],
  severity: { unusedAction: 'warning', unusedWildcard: 'warning', unknownAction: 'warning' },
  live: { enabled: false, refreshIntervalMinutes: 60 },
};

/** Findings globs used when neither iam-refiner.json nor the settings name any. */
export const DEFAULT_FINDINGS_GLOBS = ['**/*findings*.json'];

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
}

// ---------------------------------------------------------------------------------------------
// Diagnostics

export type DiagnosticCode =
  | 'unused-action'
  | 'unused-wildcard'
  | 'unknown-action'
  | 'invalid-policy'
  | 'unbound-policy'
  | 'invalid-findings'
  | 'invalid-config'
  | 'file-too-large';

/** `Diagnostic.data`: what the code actions need. They never look at the message. */
export interface DiagnosticData {
  /** The document version the diagnostic was computed on: fixes are offered for that version only. */
  version: number;
  target?: { policy: number; statement: number; entry?: number };
  pattern?: string;
  suggestions?: string[];
  /** unbound-policy: the roles the file could belong to. */
  candidates?: string[];
  folderUri?: string;
  relPath?: string;
}

// ---------------------------------------------------------------------------------------------
// Status: server → client

export interface FindingsSourceStatus {
  /** 'file' for findings files; 'live' (later) for Access Analyzer. */
  kind: string;
  label: string;
  uri?: string;
  roles: string[];
  findings: number;
  /** When the findings were produced (analyzedAt, else the file's modification time). */
  analyzedAt?: string;
  error?: string;
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
}

export interface DocumentStatus {
  /** 'all findings', 'roles Deployer (iam-refiner.json)', 'ambiguous: …', 'no findings', 'skipped: …' */
  binding: string;
  problems: number;
}

export interface StatusParams {
  catalog: string;
  catalogVersion: string;
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
  /** Human summary, e.g. "removed 8 actions, refined 1 wildcard into 9 patterns". */
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

/** Process figures for tests and benchmarks. */
export interface ServerStats {
  rssBytes: number;
  heapUsedBytes: number;
  documents: number;
  analyses: number;
  catalogLoadMs?: number;
  validations: number;
}

export const ServerStatsRequest = new RequestType<void, ServerStats, void>('iamRefiner/serverStats');
