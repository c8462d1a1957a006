/**
 * The language server: wires LSP to the pure core (server/src/core) and the LSP helpers
 * (server/src/lsp). Per-document analyses are cached by uri+version and project generation,
 * settings per workspace folder; validation is debounced and superseded versions are dropped;
 * every handler logs and degrades instead of throwing.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  ApplyWorkspaceEditParams,
  ClientCapabilities,
  CodeAction,
  CompletionList,
  CodeActionKind,
  Connection,
  Diagnostic,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  Disposable,
  FileSystemWatcher,
  InitializeParams,
  InitializeResult,
  MessageType,
  ShowMessageNotification,
  TextDocumentSyncKind,
  TextDocuments,
  WorkspaceFolder,
  createConnection,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { applyEdits as applyJsonEdits } from 'jsonc-parser';
import { CONFIG_FILE, Catalog, LineIndex, ParsedDocument, mayContainPolicy } from './core';
import { defaultCatalog } from './workspace/catalogFile';
import {
  AwsRecommendationParams,
  AwsRecommendationRequest,
  AwsRecommendationResult,
  BindRoleArgs,
  Commands,
  FIX_ALL_KIND,
  FileRefinement,
  InitializationOptions,
  LiveClientOptions,
  LiveFindingsRequest,
  LiveOptionsNotification,
  LiveRefreshRequest,
  RefinementRequest,
  RefinementResult,
  ServerStatsRequest,
  StatusNotification,
  StatusParams,
} from './protocol';
import { Analysis, MAX_POLICY_BYTES, analyze, describeBinding, refinement } from './lsp/analysis';
import { adviceView } from './lsp/awsRecommendation';
import { LiveFindingsProvider, LiveHost, ProgressHandle, describeEndpoint } from './lsp/liveFindings';
import { DocumentChange, EditCapabilities, bindTitle, codeActions, describeSummary, documentEdit, toTextEdits, workspaceEdit } from './lsp/codeActions';
import { bindingEdits } from './lsp/configEdit';
import { documentDiagnostics, projectDiagnostics, rangeOf } from './lsp/diagnostics';
import { FileFindingsProvider, FindingsProvider, FolderInfo } from './lsp/findingsProvider';
import { findFiles } from './lsp/fsWalk';
import { hover } from './lsp/hover';
import { completion } from './lsp/completion';
import { baseName, pathKey, pathToUri, uriKey, uriToPath } from './lsp/paths';
import { Project, ProjectSnapshot, isAnalysed } from './lsp/project';
import { SettingsCache } from './lsp/settings';

export interface ServerOptions {
  /** A connection to serve (tests, embedding); default: from the process arguments (--stdio, --node-ipc, --socket=…). */
  connection?: Connection;
  /** The action catalog; default: dist/catalog.json next to the bundle. */
  catalog?: () => Catalog;
  /** Findings sources besides the findings files and the live one. */
  providers?: FindingsProvider[];
  /** Replaces parts of the live provider's host (tests: clock, API). */
  live?: Partial<Pick<LiveHost, 'now' | 'api' | 'concurrency'>>;
}

export interface ServerHandle {
  connection: Connection;
  /** Adds a findings source; every folder reloads. */
  addFindingsProvider(provider: FindingsProvider): Disposable;
}

const DEFAULT_DEBOUNCE_MS = 150;
/** How long completion waits for a first analysis of the document (for its unused actions) before answering without. */
const COMPLETION_WAIT_MS = 300;

/** Starts the IAM Policy Refiner language server (the VS Code extension, `iam-refine lsp --stdio`). */
export function startServer(options: ServerOptions = {}): ServerHandle {
  const connection = options.connection ?? createConnection();
  // a stray rejection is a bug to log, not a reason to take the editor's server down
  process.on('unhandledRejection', (e) => connection.console.error(`unhandled rejection: ${e instanceof Error ? e.stack : String(e)}`));
  const server = new IamRefinerServer(connection, options);
  server.listen();
  return { connection, addFindingsProvider: (p) => server.addProvider(p) };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

class IamRefinerServer {
  private readonly documents = new TextDocuments(TextDocument);
  /** pathKey → uri of the open documents, so files read for the project see unsaved edits. */
  private readonly openByPath = new Map<string, string>();
  private readonly analyses = new Map<string, Analysis>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly folders = new Map<string, Project>();
  private readonly loose = new Map<string, Project>();
  private readonly providerList: FindingsProvider[];
  /** Diagnostics published per uri: the document's own and those of the project files (findings, config). */
  private readonly docDiagnostics = new Map<string, Diagnostic[]>();
  private readonly fileDiagnostics = new Map<Project, Map<string, Diagnostic[]>>();
  private caps: ClientCapabilities = {};
  private init: InitializationOptions = {};
  private settings!: SettingsCache;
  private catalogInstance: Catalog | undefined;
  private catalogLoadMs: number | undefined;
  private debounceMs = DEFAULT_DEBOUNCE_MS;
  private initialized!: Promise<void>;
  private markInitialized!: () => void;
  private watchRegistration: Promise<Disposable | undefined> | undefined;
  private watchKey = '';
  private statusTimer: NodeJS.Timeout | undefined;
  private validations = 0;
  private shuttingDown = false;

  private readonly providerSubscriptions = new Map<FindingsProvider, { dispose(): void } | undefined>();
  private isInitialized = false;
  /** Endpoint and trust as the client says (never from workspace settings); storage path from initialize. */
  private liveOptions: LiveClientOptions = {};
  private readonly live: LiveFindingsProvider;

  constructor(private readonly connection: Connection, private readonly options: ServerOptions) {
    this.providerList = [];
    this.initialized = new Promise((resolve) => (this.markInitialized = resolve));
    this.live = new LiveFindingsProvider({
      options: () => this.liveOptions,
      log: (m) => this.log(m),
      progress: (title, onCancel) => this.progress(title, onCancel),
      ...options.live,
    });
    for (const p of [new FileFindingsProvider(), this.live, ...(options.providers ?? [])]) this.subscribe(p);
  }

  private subscribe(p: FindingsProvider): void {
    this.providerList.push(p);
    this.providerSubscriptions.set(p, p.onDidChange?.((folderUri) => this.reloadProjects(folderUri)));
  }

  // ------------------------------------------------------------------------------------------
  // plumbing

  private log(m: string): void {
    this.connection.console.log(m);
  }

  /** window/showMessage (a notification: nothing to answer, nothing to fail). */
  private notify(type: MessageType, text: string): void {
    void this.connection.sendNotification(ShowMessageNotification.type, { type, message: text }).catch((e) => this.error('showMessage', e));
  }

  /** Server-initiated window/workDoneProgress (nothing when the client has none); cancelling it calls onCancel. */
  private async progress(title: string, onCancel: () => void): Promise<ProgressHandle> {
    const none: ProgressHandle = { report: () => undefined, done: () => undefined };
    if (!this.caps.window?.workDoneProgress || this.shuttingDown) return none;
    try {
      const r = await this.connection.window.createWorkDoneProgress();
      r.begin(`IAM Refiner: ${title}`, 0, undefined, true);
      const sub = r.token.onCancellationRequested(onCancel);
      return {
        report: (message, percentage) => (percentage === undefined ? r.report(message) : r.report(percentage, message)),
        done: () => {
          sub.dispose();
          r.done();
        },
      };
    } catch (e) {
      this.error('workDoneProgress', e);
      return none;
    }
  }

  private error(context: string, e: unknown): void {
    this.connection.console.error(`${context}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  }

  /** Runs a handler; a failure is logged and answered with the fallback. */
  private async safe<T>(context: string, fallback: T, fn: () => Promise<T> | T): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      this.error(context, e);
      return fallback;
    }
  }

  private catalog = (): Catalog => {
    if (!this.catalogInstance) {
      const t0 = performance.now();
      this.catalogInstance = (this.options.catalog ?? defaultCatalog)();
      this.catalogLoadMs = performance.now() - t0;
      this.log(`catalog: ${this.catalogInstance.describe()} loaded in ${this.catalogLoadMs.toFixed(0)} ms`);
    }
    return this.catalogInstance;
  };

  private get editCaps(): EditCapabilities {
    const we = this.caps.workspace?.workspaceEdit;
    return {
      documentChanges: !!we?.documentChanges,
      createFile: !!we?.documentChanges && !!we?.resourceOperations?.includes('create'),
      disabledSupport: !!this.caps.textDocument?.codeAction?.disabledSupport,
    };
  }

  addProvider(p: FindingsProvider): Disposable {
    this.subscribe(p);
    this.reloadProjects();
    return Disposable.create(() => {
      const i = this.providerList.indexOf(p);
      if (i >= 0) this.providerList.splice(i, 1);
      this.providerSubscriptions.get(p)?.dispose();
      this.providerSubscriptions.delete(p);
      p.dispose?.();
      this.reloadProjects();
    });
  }

  listen(): void {
    const c = this.connection;
    c.onInitialize((params) => this.onInitialize(params));
    c.onInitialized(() => void this.safe('initialized', undefined, () => this.onInitialized()));
    c.onShutdown(() => {
      this.shuttingDown = true;
      for (const t of this.timers.values()) clearTimeout(t);
      this.timers.clear();
      if (this.statusTimer) clearTimeout(this.statusTimer);
      for (const p of [...this.folders.values(), ...this.loose.values()]) p.dispose();
      for (const p of this.providerList) {
        this.providerSubscriptions.get(p)?.dispose();
        p.dispose?.();
      }
    });

    const docs = this.documents;
    docs.onDidOpen((e) => {
      const p = uriToPath(e.document.uri);
      if (p) this.openByPath.set(pathKey(p), e.document.uri);
    });
    docs.onDidChangeContent((e) => this.safe('didChange', undefined, () => this.documentChanged(e.document)));
    docs.onDidClose((e) => this.safe('didClose', undefined, () => this.documentClosed(e.document)));
    docs.listen(c);

    c.onDidChangeConfiguration((params) =>
      this.safe('didChangeConfiguration', undefined, () => {
        const pushed = (params.settings as Record<string, unknown> | null | undefined)?.iamRefiner;
        this.settings.changed(pushed);
        this.reloadProjects();
      }),
    );
    c.onDidChangeWatchedFiles((params) => this.safe('didChangeWatchedFiles', undefined, () => this.watchedFilesChanged(params.changes.map((ch) => ch.uri))));
    c.onHover((params, token) =>
      this.safe('hover', null, async () => {
        const doc = docs.get(params.textDocument.uri);
        if (!doc) return null;
        const a = await this.analysisOf(doc);
        if (!a || token.isCancellationRequested || a.version !== doc.version) return null;
        return hover(a, doc.offsetAt(params.position), this.catalog());
      }),
    );
    c.onCompletion((params, token) =>
      this.safe('completion', null as CompletionList | null, async () => {
        const doc = docs.get(params.textDocument.uri);
        if (!doc) return null;
        const text = doc.getText();
        if (!mayContainPolicy(text)) return null;
        const a = await this.completionAnalysis(doc);
        if (token.isCancellationRequested) return null;
        return completion(text, doc.offsetAt(params.position), this.catalog(), a, (o) => doc.positionAt(o));
      }),
    );
    c.onCodeAction((params, token) =>
      this.safe('codeAction', [] as CodeAction[], async () => {
        const doc = docs.get(params.textDocument.uri);
        if (!doc) return [];
        // the analysis the diagnostics came from; a newer version gets no fixes until it is analysed
        const a = await this.analysisOf(doc);
        if (!a || a.version !== doc.version || token.isCancellationRequested) return [];
        return codeActions({
          analysis: a,
          diagnostics: params.context.diagnostics,
          only: params.context.only,
          caps: this.editCaps,
          log: (m) => this.log(m),
          bindingAction: (args) => this.bindingAction(args),
        });
      }),
    );
    c.onExecuteCommand((params) =>
      this.safe(`command ${params.command}`, null as unknown, async () => {
        const args = params.arguments ?? [];
        switch (params.command) {
          case Commands.refineFile: {
            const uri = typeof args[0] === 'string' ? args[0] : (args[0] as { uri?: string; external?: string } | undefined)?.uri;
            if (!uri) {
              this.notify(MessageType.Error, `${Commands.refineFile} needs the document URI as its argument.`);
              return null;
            }
            return this.applyRefinement([uri], 'Refine IAM policy file');
          }
          case Commands.refineAll:
            return this.applyRefinement(undefined, 'Refine all IAM policy files');
          case Commands.bindRole:
            return this.bindRole(args[0] as BindRoleArgs);
          default:
            this.log(`unknown command ${params.command}`);
            return null;
        }
      }),
    );
    c.onRequest(RefinementRequest, (params) => this.safe('refinement', { edit: {}, files: [] } as RefinementResult, () => this.computeRefinement(params.uris)));
    c.onNotification(LiveOptionsNotification, (params) =>
      this.safe('liveOptions', undefined, () => {
        const p = params ?? {};
        this.liveOptions = { ...this.liveOptions, endpoint: typeof p.endpoint === 'string' ? p.endpoint : undefined, trusted: typeof p.trusted === 'boolean' ? p.trusted : this.liveOptions.trusted };
        this.log(`live options: endpoint ${this.liveOptions.endpoint ? describeEndpoint(this.liveOptions.endpoint) : 'AWS default'}, workspace ${this.liveOptions.trusted === false ? 'not trusted' : 'trusted'}`);
        this.live.optionsChanged();
      }),
    );
    c.onRequest(LiveRefreshRequest, (params) =>
      this.safe('liveRefresh', { folders: [], reason: 'The refresh failed; see the log.' }, async () => {
        await Promise.all(this.allProjects().map((p) => p.ready()));
        return this.live.refresh(params?.folderUri);
      }),
    );
    c.onRequest(LiveFindingsRequest, (params) =>
      this.safe('liveFindings', { folders: [], reason: 'Reading the live findings failed; see the log.' }, async () => {
        await Promise.all(this.allProjects().map((p) => p.ready()));
        return this.live.cachedFindings(params?.folderUri);
      }),
    );
    c.onRequest(AwsRecommendationRequest, (params, token) =>
      this.safe('awsRecommendation', { kind: 'error', message: "Comparing with AWS's recommendation failed; see the log." } as AwsRecommendationResult, () => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort());
        return this.awsRecommendation(params, abort.signal).finally(() => sub.dispose());
      }),
    );
    c.onRequest(ServerStatsRequest, () => {
      const m = process.memoryUsage();
      return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, documents: this.documents.all().length, analyses: this.analyses.size, catalogLoadMs: this.catalogLoadMs, validations: this.validations };
    });
    c.listen();
  }

  private onInitialize(params: InitializeParams): InitializeResult {
    this.caps = params.capabilities;
    this.init = (params.initializationOptions ?? {}) as InitializationOptions;
    const live = (this.init.live ?? {}) as LiveClientOptions;
    this.liveOptions = {
      storagePath: typeof live.storagePath === 'string' && live.storagePath ? live.storagePath : undefined,
      endpoint: typeof live.endpoint === 'string' && live.endpoint ? live.endpoint : undefined,
      trusted: typeof live.trusted === 'boolean' ? live.trusted : undefined,
    };
    if (typeof this.init.debounceMs === 'number' && this.init.debounceMs >= 0) this.debounceMs = this.init.debounceMs;
    const canPull = !!this.caps.workspace?.configuration;
    this.settings = new SettingsCache(
      canPull ? (scopeUri) => this.initialized.then(() => this.connection.workspace.getConfiguration({ scopeUri, section: 'iamRefiner' })) : undefined,
      this.init.settings,
      (m) => this.log(m),
    );
    const folders: WorkspaceFolder[] = params.workspaceFolders ?? (params.rootUri ? [{ uri: params.rootUri, name: baseName(params.rootUri) }] : params.rootPath ? [{ uri: pathToUri(params.rootPath), name: baseName(params.rootPath) }] : []);
    for (const f of folders) this.addFolder(f);
    const commands: string[] = [Commands.bindRole];
    if (!this.init.clientCommands) commands.unshift(Commands.refineFile, Commands.refineAll);
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        completionProvider: { triggerCharacters: ['"', ':'] },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND], resolveProvider: false },
        executeCommandProvider: { commands },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'iam-refiner', version: '0.1.0' },
    };
  }

  private async onInitialized(): Promise<void> {
    this.isInitialized = true;
    this.markInitialized();
    const c = this.connection;
    if (this.caps.workspace?.didChangeConfiguration?.dynamicRegistration) {
      await c.client.register(DidChangeConfigurationNotification.type, { section: 'iamRefiner' }).catch((e) => this.error('register didChangeConfiguration', e));
    }
    if (this.caps.workspace?.workspaceFolders) {
      c.workspace.onDidChangeWorkspaceFolders((e) =>
        this.safe('didChangeWorkspaceFolders', undefined, () => {
          for (const f of e.removed) this.removeFolder(f.uri);
          for (const f of e.added) void this.addFolder(f).reload();
          this.revalidateAll();
        }),
      );
    }
    // load the catalog before the first document needs it
    setImmediate(() => void this.safe('catalog', undefined, () => void this.catalog()));
    for (const p of this.folders.values()) void p.reload();
    await this.updateWatchers();
  }

  // ------------------------------------------------------------------------------------------
  // projects

  private addFolder(f: WorkspaceFolder): Project {
    const existing = this.folders.get(f.uri);
    if (existing) return existing;
    const folder: FolderInfo = { uri: f.uri, path: uriToPath(f.uri), name: f.name };
    const p = new Project(folder, this.projectHost, (proj) => this.projectReloaded(proj));
    this.folders.set(f.uri, p);
    return p;
  }

  private removeFolder(uri: string): void {
    const p = this.folders.get(uri);
    if (!p) return;
    p.dispose();
    this.folders.delete(uri);
    this.clearProjectDiagnostics(p);
    void this.updateWatchers();
  }

  private readonly projectHost = {
    settings: (scopeUri: string) => this.settings.get(scopeUri),
    readText: (p: string) => this.readText(p),
    providers: () => this.providerList,
    catalog: () => this.catalog(),
    log: (m: string) => this.log(m),
  };

  /** The project a document belongs to: the innermost workspace folder, else its own directory. */
  private projectFor(uri: string, create = true): Project | undefined {
    const p = uriToPath(uri);
    if (!p) return this.folders.values().next().value; // untitled: the first folder, as VS Code does
    const key = pathKey(p);
    let best: Project | undefined;
    for (const proj of this.folders.values()) {
      const root = proj.folder.path;
      if (!root) continue;
      const rk = pathKey(root);
      if ((key === rk || key.startsWith(rk.endsWith(path.sep) ? rk : rk + path.sep)) && (!best || rk.length > pathKey(best.folder.path!).length)) best = proj;
    }
    if (best) return best;
    const dir = path.dirname(p);
    let loose = this.loose.get(pathKey(dir));
    if (!loose && create) {
      loose = new Project({ uri: pathToUri(dir), path: dir, name: path.basename(dir) || dir, maxDepth: 0 }, this.projectHost, (proj) => this.projectReloaded(proj));
      this.loose.set(pathKey(dir), loose);
    }
    return loose;
  }

  private allProjects(): Project[] {
    return [...this.folders.values(), ...this.loose.values()];
  }

  private reloadProjects(folderUri?: string): void {
    if (!this.isInitialized) return; // every folder loads once the client is initialized
    for (const p of this.allProjects()) if (!folderUri || p.folder.uri === folderUri) void p.reload();
  }

  private projectReloaded(p: Project): void {
    if (this.shuttingDown) return;
    const snap = p.snapshot;
    if (!snap) return;
    // diagnostics on broken findings / config files
    const before = this.fileDiagnostics.get(p) ?? new Map<string, Diagnostic[]>();
    const now = projectDiagnostics(snap);
    this.fileDiagnostics.set(p, now);
    for (const uri of new Set([...before.keys(), ...now.keys()])) this.publish(uri);
    // every open document of this project is analysed again against the new findings
    for (const doc of this.documents.all()) if (this.projectFor(doc.uri, false) === p) this.schedule(doc.uri, 0);
    void this.updateWatchers();
    this.statusChanged();
  }

  private clearProjectDiagnostics(p: Project): void {
    const before = this.fileDiagnostics.get(p);
    this.fileDiagnostics.delete(p);
    for (const uri of before?.keys() ?? []) this.publish(uri);
  }

  /** Text of a file: the open editor's (unsaved edits count), else the disk's; undefined when absent. */
  private async readText(absPath: string): Promise<string | undefined> {
    const uri = this.openByPath.get(pathKey(absPath));
    const doc = uri ? this.documents.get(uri) : undefined;
    if (doc) return doc.getText();
    try {
      return await fs.readFile(absPath, 'utf8');
    } catch {
      return undefined;
    }
  }

  /** Which project file a path is, if any: a change to it reloads the project. */
  private projectsWatching(absPath: string): Project[] {
    return this.allProjects().filter((p) => p.isProjectFile(absPath));
  }

  private watchedFilesChanged(uris: string[]): void {
    const touched = new Set<Project>();
    for (const uri of uris) {
      const p = uriToPath(uri);
      if (!p) continue;
      for (const proj of this.projectsWatching(p)) touched.add(proj);
    }
    for (const p of touched) void p.reload();
  }

  /** Registers file watchers for iam-refiner.json and each folder's findings globs (again when they change). */
  private async updateWatchers(): Promise<void> {
    const wf = this.caps.workspace?.didChangeWatchedFiles;
    if (!wf?.dynamicRegistration) return;
    const relative = !!wf.relativePatternSupport;
    const watchers: FileSystemWatcher[] = [{ globPattern: `**/${CONFIG_FILE}` }];
    for (const p of this.allProjects()) {
      const snap = p.snapshot;
      if (!snap || !p.folder.path) continue;
      const shallow = p.folder.maxDepth === 0; // a file's own directory (outside the folders): not recursive
      for (const g of snap.globs) {
        const glob = shallow ? g.replace(/^\.\//, '').replace(/\*\*\//g, '') : g.includes('/') ? g.replace(/^\.\//, '') : `**/${g}`;
        watchers.push({ globPattern: relative ? { baseUri: p.folder.uri, pattern: glob } : glob });
      }
    }
    const key = JSON.stringify(watchers);
    if (key === this.watchKey) return;
    this.watchKey = key;
    const previous = this.watchRegistration;
    // a failed registration is logged here, so neither this call nor the next one that replaces it sees a rejection
    this.watchRegistration = this.connection.client.register(DidChangeWatchedFilesNotification.type, { watchers }).catch((e) => {
      this.error('registering file watchers', e);
      return undefined;
    });
    (await previous)?.dispose();
    await this.watchRegistration;
  }

  // ------------------------------------------------------------------------------------------
  // documents

  private documentChanged(doc: TextDocument): void {
    const p = uriToPath(doc.uri);
    if (p) {
      this.openByPath.set(pathKey(p), doc.uri);
      for (const proj of this.projectsWatching(p)) this.scheduleProjectReload(proj);
    }
    // the first version is analysed at once; typing is debounced
    this.schedule(doc.uri, this.analyses.has(doc.uri) ? this.debounceMs : 0);
  }

  private documentClosed(doc: TextDocument): void {
    const t = this.timers.get(doc.uri);
    if (t) clearTimeout(t);
    this.timers.delete(doc.uri);
    this.analyses.delete(doc.uri);
    this.docDiagnostics.delete(doc.uri);
    const p = uriToPath(doc.uri);
    if (p) {
      this.openByPath.delete(pathKey(p));
      // the disk's version counts again
      for (const proj of this.projectsWatching(p)) void proj.reload();
    }
    this.publish(doc.uri);
    this.statusChanged();
  }

  private scheduleProjectReload(p: Project): void {
    const key = `project:${p.folder.uri}`;
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        void p.reload();
      }, this.debounceMs),
    );
  }

  /** Validates a document after `delay` ms; a newer change restarts the wait (debounce). */
  private schedule(uri: string, delay: number): void {
    const t = this.timers.get(uri);
    if (t) clearTimeout(t);
    this.timers.set(
      uri,
      setTimeout(() => {
        this.timers.delete(uri);
        void this.safe(`validate ${uri}`, undefined, () => this.validate(uri));
      }, delay),
    );
  }

  private revalidateAll(): void {
    for (const doc of this.documents.all()) this.schedule(doc.uri, 0);
  }

  /** The file's path relative to its project root (`/`-separated); undefined for untitled documents. */
  private relPathOf(uri: string, project: Project | undefined): string | undefined {
    const p = uriToPath(uri);
    return (p && project?.relPath(p)) || undefined;
  }

  /**
   * The analysis of a document's current version (cached by uri+version and project generation).
   * Documents that cannot hold a policy are answered without loading anything.
   */
  private async analysisOf(doc: TextDocument): Promise<Analysis | undefined> {
    const text = doc.getText();
    const version = doc.version;
    if (!mayContainPolicy(text)) {
      const cached = this.analyses.get(doc.uri);
      if (cached?.version === version && cached.kind === 'none') return cached;
      const a = analyze({ uri: doc.uri, version, text, special: true, snapshot: undefined, catalog: this.catalog });
      this.analyses.set(doc.uri, a);
      return a;
    }
    const project = this.projectFor(doc.uri);
    const snap = project ? await project.ready() : undefined;
    // read after the wait: a request that waited alongside (validation, hover, code action) may have analysed this version
    const cached = this.analyses.get(doc.uri);
    if (cached && cached.version === version && cached.generation === (snap?.generation ?? -1)) return cached;
    const current = this.documents.get(doc.uri);
    if (!current || current.version !== version) return undefined; // superseded while waiting
    // the same version against newer findings or settings: parsed once, analysed again
    const parsed = cached?.version === version && cached.text === text ? cached.parsed : undefined;
    const a = this.analyzeFile(doc.uri, version, text, project, snap, parsed);
    this.analyses.set(doc.uri, a);
    return a;
  }

  /**
   * An analysis for completion's unused set: any analysis of the document will do (the findings do not
   * depend on the text being typed); otherwise the current one, if it comes quickly.
   */
  private async completionAnalysis(doc: TextDocument): Promise<Analysis | undefined> {
    const cached = this.analyses.get(doc.uri);
    if (cached?.context) return cached;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), COMPLETION_WAIT_MS)));
    try {
      return await Promise.race([this.analysisOf(doc).catch((e) => void this.error('completion analysis', e)), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Analyses a file's text against its project (its findings and config files are never analysed as policies). */
  private analyzeFile(uri: string, version: number | null, text: string, project: Project | undefined, snap: ProjectSnapshot | undefined, parsed?: ParsedDocument): Analysis {
    const abs = uriToPath(uri);
    const special = !!abs && !!project?.isProjectFile(abs);
    return analyze({ uri, version, text, relPath: this.relPathOf(uri, project), special, snapshot: snap, catalog: this.catalog, parsed });
  }

  /** The open document of a file, whichever way its URI is spelled. */
  private openDocument(uri: string): TextDocument | undefined {
    return this.documents.get(uri) ?? this.documents.get(this.openByPath.get(uriKey(uri)) ?? '');
  }

  private async validate(uri: string): Promise<void> {
    const doc = this.documents.get(uri);
    if (!doc) return;
    this.validations++;
    const a = await this.analysisOf(doc);
    const current = this.documents.get(uri);
    if (!a || !current || current.version !== a.version) return; // a newer version is on its way
    let diagnostics: Diagnostic[] = [];
    if (a.kind !== 'none') {
      const project = this.projectFor(uri);
      const snap = project?.snapshot;
      const settings = snap?.settings ?? (await this.settings.get(project?.folder.uri ?? uri));
      diagnostics = documentDiagnostics(a, snap, settings);
    }
    this.docDiagnostics.set(uri, diagnostics);
    this.publish(uri, a.version ?? undefined);
    this.statusChanged();
  }

  private publish(uri: string, version?: number): void {
    const own = this.docDiagnostics.get(uri) ?? [];
    const key = uriKey(uri);
    const fromProjects: Diagnostic[] = [];
    for (const m of this.fileDiagnostics.values()) {
      for (const [u, ds] of m) if (uriKey(u) === key) fromProjects.push(...ds);
    }
    // a project file open in the editor is published under the editor's uri
    const target = (uriToPath(uri) && this.openByPath.get(key)) || uri;
    void this.connection.sendDiagnostics({ uri: target, version, diagnostics: [...own, ...fromProjects] }).catch((e) => this.error('publishDiagnostics', e));
  }

  // ------------------------------------------------------------------------------------------
  // status

  private statusChanged(): void {
    if (this.statusTimer) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      void this.safe('status', undefined, () => this.sendStatus());
    }, 50);
  }

  private async sendStatus(): Promise<void> {
    if (this.shuttingDown) return;
    const documents: StatusParams['documents'] = {};
    for (const [uri, a] of this.analyses) {
      if (a.kind === 'none' && !a.note) continue;
      documents[uri] = { binding: describeBinding(a), problems: this.docDiagnostics.get(uri)?.length ?? 0 };
    }
    let catalog = 'catalog not loaded';
    let catalogVersion = '';
    try {
      const c = this.catalog();
      catalog = c.describe();
      catalogVersion = c.version;
    } catch (e) {
      catalog = `catalog unavailable: ${message(e)}`;
    }
    const folders = this.allProjects()
      .map((p) => p.snapshot?.status)
      .filter((s): s is NonNullable<typeof s> => !!s);
    await this.connection.sendNotification(StatusNotification, { catalog, catalogVersion, folders, documents });
  }

  // ------------------------------------------------------------------------------------------
  // refinement commands

  /** Analysis of a file that may not be open (version null: the disk's text). */
  private async analysisOfUri(uri: string): Promise<Analysis | undefined> {
    const doc = this.openDocument(uri);
    if (doc) return this.analysisOf(doc);
    const abs = uriToPath(uri);
    if (!abs) return undefined;
    let text: string;
    try {
      // far beyond the analysis limit: not even read
      if ((await fs.stat(abs)).size > MAX_POLICY_BYTES * 16) return undefined;
      text = await fs.readFile(abs, 'utf8');
    } catch {
      return undefined;
    }
    const project = this.projectFor(uri);
    const snap = project ? await project.ready() : undefined;
    return this.analyzeFile(uri, null, text, project, snap);
  }

  /** Every policy file of every workspace folder (on disk or open). */
  private async policyFiles(): Promise<string[]> {
    const out = new Map<string, string>();
    for (const doc of this.documents.all()) if (mayContainPolicy(doc.getText())) out.set(uriKey(doc.uri), doc.uri);
    for (const p of this.folders.values()) {
      const root = p.folder.path;
      if (!root) continue;
      const snap = await p.ready();
      if (!snap.settings.enable) continue;
      for (const rel of await findFiles(root, ['**/*.json', '**/*.jsonc'])) {
        if (!isAnalysed(rel, snap)) continue;
        const abs = path.join(root, rel);
        if (p.isProjectFile(abs)) continue;
        const key = pathKey(abs);
        if (!out.has(key)) out.set(key, pathToUri(abs));
      }
    }
    return [...out.values()];
  }

  /** The verified refinement of files as one WorkspaceEdit (nothing is applied). */
  private async computeRefinement(uris: string[] | undefined): Promise<RefinementResult> {
    const targets = uris ?? (await this.policyFiles());
    const files: FileRefinement[] = [];
    const changes: DocumentChange[] = [];
    const caps = this.editCaps;
    for (const uri of targets) {
      const a = await this.analysisOfUri(uri);
      if (!a) {
        if (uris) files.push({ uri, version: null, error: 'cannot read the file' });
        continue;
      }
      if (a.kind === 'too-large') {
        files.push({ uri: a.uri, version: a.version, error: `larger than ${MAX_POLICY_BYTES / 1024 / 1024} MB: not analysed` });
        continue;
      }
      if (a.kind !== 'policy') {
        if (uris) files.push({ uri: a.uri, version: a.version, error: a.note ? `skipped: ${a.note}` : 'not an IAM policy document' });
        continue;
      }
      const outcome = refinement(a, { kind: 'document' }, (m) => this.log(m));
      if (outcome.kind === 'ok') {
        if (outcome.result.edits.length === 0) {
          files.push({ uri: a.uri, version: a.version, summary: 'nothing to change' });
          continue;
        }
        changes.push({ uri: a.uri, version: a.version, edits: toTextEdits(a, outcome.result.edits) });
        files.push({ uri: a.uri, version: a.version, summary: describeSummary(outcome.result) });
      } else if (outcome.kind === 'nothing-left') {
        files.push({ uri: a.uri, version: a.version, error: outcome.message, nothingLeft: true });
      } else if (uris || a.binding?.kind === 'ambiguous') {
        files.push({ uri: a.uri, version: a.version, error: outcome.message });
      }
    }
    return { edit: changes.length ? workspaceEdit(changes, caps) : {}, files };
  }

  /** `iamRefiner.refineFile` / `refineAll` through LSP: compute, apply with workspace/applyEdit, report. */
  private async applyRefinement(uris: string[] | undefined, label: string): Promise<{ applied: boolean; files: FileRefinement[] }> {
    const result = await this.computeRefinement(uris);
    for (const f of result.files) {
      if (f.nothingLeft) this.notify(MessageType.Warning, `${baseName(f.uri)}: ${f.error}`);
      else if (f.error && uris) this.notify(MessageType.Warning, `${baseName(f.uri)}: not refined: ${f.error}`);
    }
    const changed = result.files.filter((f) => f.summary && f.summary !== 'nothing to change');
    if (changed.length === 0) {
      if (!result.files.some((f) => f.error))
        this.notify(
          MessageType.Info,
          uris ? `${uris.map(baseName).join(', ')}: nothing to refine, no allowed action is unused.` : 'No policy file has unused permissions to refine.',
        );
      return { applied: false, files: result.files };
    }
    if (!this.caps.workspace?.applyEdit) {
      this.notify(MessageType.Error, 'This editor cannot apply workspace edits (workspace/applyEdit).');
      return { applied: false, files: result.files };
    }
    const params: ApplyWorkspaceEditParams = { label, edit: result.edit };
    const r = await this.connection.workspace.applyEdit(params);
    if (!r.applied) {
      this.notify(MessageType.Warning, `The refinement was not applied${r.failureReason ? `: ${r.failureReason}` : ''} (did the file change meanwhile? Try again).`);
    } else {
      this.log(`${label}: ${changed.map((f) => `${baseName(f.uri)}: ${f.summary}`).join('; ')}`);
    }
    return { applied: r.applied, files: result.files };
  }

  // ------------------------------------------------------------------------------------------
  // AWS's recommendation

  /** AWS's recommendation for the document's role, beside the local refinement of its current text. */
  private async awsRecommendation(params: AwsRecommendationParams, signal: AbortSignal): Promise<AwsRecommendationResult> {
    const uri = params?.uri;
    const doc = uri ? this.openDocument(uri) : undefined;
    if (!doc) return { kind: 'error', message: 'Open the policy file in the editor first.' };
    const a = await this.analysisOf(doc);
    const name = baseName(doc.uri);
    if (!a || a.kind !== 'policy' || !a.parsed || !a.context) return { kind: 'error', message: `${name} is not an IAM policy document this extension analyses${a?.note ? ` (${a.note})` : ''}.` };
    if (a.parsed.hasSyntaxErrors) return { kind: 'error', message: `${name}: fix the JSON syntax errors first.` };
    const project = this.projectFor(doc.uri);
    if (!project) return { kind: 'error', message: `${name} belongs to no folder.` };
    const snap = await project.ready();
    const b = a.binding;
    const roles = b?.kind === 'roles' || b?.kind === 'all' ? b.roles : b?.kind === 'ambiguous' ? b.candidates : [];
    let role = params.role;
    if (!role) {
      if (roles.length === 0) {
        return { kind: 'error', message: `${name} is bound to no role: AWS recommends per role, so bind the file to its role in iam-refiner.json ("roles") first.` };
      }
      if (roles.length > 1) return { kind: 'choose-role', roles };
      role = roles[0];
    }
    const outcome = await this.live.recommend({ folder: project.folder, settings: snap.settings.live, role, signal });
    if (outcome.kind !== 'ok') return outcome.kind === 'nothing' ? outcome : { kind: 'error', message: outcome.message };
    const rec = outcome.recommendation;
    if (rec.steps.length === 0) return { kind: 'nothing', message: `AWS's recommendation for ${role} (finding ${rec.findingId}) has no step: nothing to change.` };
    // the local refinement of the same text (it may use the findings files as well as the live ones)
    const local = refinement(a, { kind: 'document' }, (m) => this.log(m));
    const localText = local.kind === 'ok' ? local.result.text : undefined;
    const localNote = local.kind === 'ok' ? undefined : local.message;
    const view = adviceView({ steps: rec.steps, fileName: name, localText, localRemovesAll: local.kind === 'nothing-left', universe: a.context.universe });
    for (const it of view.items) this.log(`AWS's recommendation for ${role}, ${it.policyId || '(unnamed policy)'}: ${it.summary}`);
    return { kind: 'ok', role, findingId: outcome.findingId, analyzerArn: outcome.analyzerArn, localText, localNote, items: view.items, chosen: view.chosen };
  }

  // ------------------------------------------------------------------------------------------
  // bindings in iam-refiner.json

  private projectOfFolder(folderUri: string): Project | undefined {
    return this.folders.get(folderUri) ?? this.allProjects().find((p) => p.folder.uri === folderUri);
  }

  /** The quick fix that binds a policy file to a role: an edit of iam-refiner.json (created when absent). */
  private async bindingAction(args: BindRoleArgs): Promise<CodeAction | undefined> {
    const project = this.projectOfFolder(args.folderUri);
    const configPath = project?.configPath;
    if (!project || !configPath) return undefined;
    const configUri = this.openByPath.get(pathKey(configPath)) ?? pathToUri(configPath);
    const text = await this.readText(configPath);
    const caps = this.editCaps;
    const title = bindTitle(args.role, text !== undefined);
    if (text !== undefined) {
      const edits = bindingEdits(text, args.relPath, args.role);
      const lines = new LineIndex(text);
      const open = this.documents.get(configUri);
      return {
        title,
        kind: CodeActionKind.QuickFix,
        edit: documentEdit(
          configUri,
          open ? open.version : null,
          edits.map((e) => ({ range: rangeOf(lines, e.offset, e.length), newText: e.content })),
          caps,
        ),
      };
    }
    if (caps.createFile) {
      const content = applyJsonEdits('', bindingEdits('', args.relPath, args.role));
      return {
        title,
        kind: CodeActionKind.QuickFix,
        edit: {
          documentChanges: [
            { kind: 'create', uri: configUri, options: { ignoreIfExists: true } },
            { textDocument: { uri: configUri, version: null }, edits: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: content }] },
          ],
        },
      };
    }
    return { title, kind: CodeActionKind.QuickFix, command: { title, command: Commands.bindRole, arguments: [args] } };
  }

  /** `iamRefiner.bindRole` (for clients that cannot create files through an edit): writes iam-refiner.json. */
  private async bindRole(args: BindRoleArgs | undefined): Promise<boolean> {
    if (!args?.folderUri || !args.relPath || !args.role) return false;
    const project = this.projectOfFolder(args.folderUri);
    const configPath = project?.configPath;
    if (!project || !configPath) return false;
    const action = await this.bindingAction(args);
    const openUri = this.openByPath.get(pathKey(configPath));
    if (openUri && action?.edit && this.caps.workspace?.applyEdit) {
      return (await this.connection.workspace.applyEdit({ label: action.title, edit: action.edit })).applied;
    }
    const text = (await this.readText(configPath)) ?? '';
    await fs.writeFile(configPath, applyJsonEdits(text, bindingEdits(text, args.relPath, args.role)), 'utf8');
    this.log(`bound ${args.relPath} to ${args.role} in ${configPath}`);
    await project.reload();
    return true;
  }
}
