/**
 * The language server: LSP wiring only. The workspace service (server/src/workspace) knows the
 * folders, findings, analyses and refinements; the modules in server/src/lsp translate its results
 * (problems → Diagnostics, outcomes → CodeActions, hovers, completion). Validation is debounced,
 * superseded versions are dropped, and every handler logs and degrades instead of throwing.
 */
import {
  ClientCapabilities,
  CodeAction,
  CompletionList,
  CodeActionKind,
  Connection,
  Diagnostic,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  Disposable,
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
import { Catalog, initFormats, mayContainPolicy } from './core';
import { defaultCatalog } from './workspace/catalogFile';
import {
  AwsRecommendationRequest,
  AwsRecommendationResult,
  BindRoleArgs,
  Commands,
  FIX_ALL_KIND,
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
} from '../../shared/protocol';
import { Analysis, describeBinding } from './workspace/analysis';
import { LiveFindingsProvider, LiveHost, describeEndpoint } from './lsp/liveFindings';
import { EditCapabilities, bindingCodeAction, codeActions, refinementResult } from './lsp/codeActions';
import { documentDiagnostics, projectDiagnostics } from './lsp/diagnostics';
import { FileFindingsProvider, FindingsProvider } from './workspace/findingsProvider';
import { hover } from './lsp/hover';
import { completion } from './lsp/completion';
import { startProgress } from './lsp/progress';
import { watcherPatterns } from './lsp/watchers';
import { baseName, pathToUri, uriKey, uriToPath } from './workspace/paths';
import { Project } from './workspace/project';
import { SettingsCache } from './workspace/settings';
import { Workspace } from './workspace/workspace';
import { awsRecommendation } from './workspace/recommend';

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

class IamRefinerServer {
  private readonly documents = new TextDocuments(TextDocument);
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly providerList: FindingsProvider[] = [];
  private readonly providerSubscriptions = new Map<FindingsProvider, { dispose(): void } | undefined>();
  /** Diagnostics published per uri: the document's own and those of the project files (findings, config). */
  private readonly docDiagnostics = new Map<string, Diagnostic[]>();
  private readonly fileDiagnostics = new Map<Project, Map<string, Diagnostic[]>>();
  private readonly ws: Workspace;
  private readonly live: LiveFindingsProvider;
  private caps: ClientCapabilities = {};
  private settings!: SettingsCache;
  private catalogInstance: Catalog | undefined;
  private catalogLoadMs: number | undefined;
  private debounceMs = DEFAULT_DEBOUNCE_MS;
  private initialized!: Promise<void>;
  private markInitialized!: () => void;
  private isInitialized = false;
  private formatsReady: Promise<void>;
  private watchRegistration: Promise<Disposable | undefined> | undefined;
  private watchKey = '';
  private statusTimer: NodeJS.Timeout | undefined;
  private validations = 0;
  private shuttingDown = false;
  /** Endpoint and trust as the client says (never from workspace settings); storage path from initialize. */
  private liveOptions: LiveClientOptions = {};

  constructor(private readonly connection: Connection, private readonly options: ServerOptions) {
    this.initialized = new Promise((resolve) => (this.markInitialized = resolve));
    this.formatsReady = initFormats().catch((e) => this.error('loading the format parsers', e));
    this.ws = new Workspace({
      settings: (scopeUri) => this.settings.get(scopeUri),
      documents: this.documents,
      providers: () => this.providerList,
      catalog: () => this.catalog(),
      log: (m) => this.log(m),
      projectReloaded: (p) => this.projectReloaded(p),
    });
    this.live = new LiveFindingsProvider({
      options: () => this.liveOptions,
      log: (m) => this.log(m),
      progress: (title, onCancel) => (this.shuttingDown ? Promise.resolve({ report: () => undefined, done: () => undefined }) : startProgress(this.connection, this.caps, title, onCancel, (e) => this.error('workDoneProgress', e))),
      ...options.live,
    });
    for (const p of [new FileFindingsProvider(), this.live, ...(options.providers ?? [])]) this.subscribe(p);
  }

  private subscribe(p: FindingsProvider): void {
    this.providerList.push(p);
    this.providerSubscriptions.set(p, p.onDidChange?.((folderUri) => this.reloadProjects(folderUri)));
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

  private log(m: string): void {
    this.connection.console.log(m);
  }

  private error(context: string, e: unknown): void {
    this.connection.console.error(`${context}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  }

  /** window/showMessage (a notification: nothing to answer, nothing to fail). */
  private notify(type: MessageType, text: string): void {
    void this.connection.sendNotification(ShowMessageNotification.type, { type, message: text }).catch((e) => this.error('showMessage', e));
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

  /** The analysis of a document's current version, once the format parsers are loaded. */
  private async analysisOf(doc: TextDocument): Promise<Analysis | undefined> {
    await this.formatsReady;
    return this.ws.analysisOf(doc);
  }

  listen(): void {
    const c = this.connection;
    const docs = this.documents;
    c.onInitialize((params) => this.onInitialize(params));
    c.onInitialized(() => void this.safe('initialized', undefined, () => this.onInitialized()));
    c.onShutdown(() => {
      this.shuttingDown = true;
      for (const t of this.timers.values()) clearTimeout(t);
      this.timers.clear();
      if (this.statusTimer) clearTimeout(this.statusTimer);
      this.ws.dispose();
      for (const p of this.providerList) {
        this.providerSubscriptions.get(p)?.dispose();
        p.dispose?.();
      }
    });
    docs.onDidOpen((e) => this.ws.documentOpened(e.document.uri));
    docs.onDidChangeContent((e) => this.safe('didChange', undefined, () => this.documentChanged(e.document)));
    docs.onDidClose((e) => this.safe('didClose', undefined, () => this.documentClosed(e.document)));
    docs.listen(c);
    c.onDidChangeConfiguration((params) =>
      this.safe('didChangeConfiguration', undefined, () => {
        this.settings.changed((params.settings as Record<string, unknown> | null | undefined)?.iamRefiner);
        this.reloadProjects();
      }),
    );
    c.onDidChangeWatchedFiles((params) =>
      this.safe('didChangeWatchedFiles', undefined, () => {
        const touched = new Set<Project>();
        for (const ch of params.changes) {
          const p = uriToPath(ch.uri);
          if (p) for (const proj of this.ws.projectsWatching(p)) touched.add(proj);
        }
        for (const p of touched) void p.reload();
      }),
    );
    c.onHover((params, token) =>
      this.safe('hover', null, async () => {
        const doc = docs.get(params.textDocument.uri);
        const a = doc && (await this.analysisOf(doc));
        if (!doc || !a || token.isCancellationRequested || a.version !== doc.version) return null;
        return hover(a, doc.offsetAt(params.position), this.catalog());
      }),
    );
    c.onCompletion((params, token) =>
      this.safe('completion', null as CompletionList | null, async () => {
        const doc = docs.get(params.textDocument.uri);
        if (!doc) return null;
        const text = doc.getText();
        if (!mayContainPolicy(text, uriToPath(doc.uri) ?? doc.uri)) return null;
        const a = await this.completionAnalysis(doc);
        if (token.isCancellationRequested) return null;
        return completion(text, doc.offsetAt(params.position), this.catalog(), a, (o) => doc.positionAt(o));
      }),
    );
    c.onCodeAction((params, token) =>
      this.safe('codeAction', [] as CodeAction[], async () => {
        const doc = docs.get(params.textDocument.uri);
        // the analysis the diagnostics came from; a newer version gets no fixes until it is analysed
        const a = doc && (await this.analysisOf(doc));
        if (!doc || !a || a.version !== doc.version || token.isCancellationRequested) return [];
        return codeActions({ analysis: a, diagnostics: params.context.diagnostics, only: params.context.only, caps: this.editCaps, log: (m) => this.log(m), bindingAction: (args) => this.bindingAction(args) });
      }),
    );
    c.onExecuteCommand((params) =>
      this.safe(`command ${params.command}`, null as unknown, async () => {
        const args = params.arguments ?? [];
        switch (params.command) {
          case Commands.refineFile: {
            const uri = typeof args[0] === 'string' ? args[0] : (args[0] as { uri?: string } | undefined)?.uri;
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
        await Promise.all(this.ws.allProjects().map((p) => p.ready()));
        return this.live.refresh(params?.folderUri);
      }),
    );
    c.onRequest(LiveFindingsRequest, (params) =>
      this.safe('liveFindings', { folders: [], reason: 'Reading the live findings failed; see the log.' }, async () => {
        await Promise.all(this.ws.allProjects().map((p) => p.ready()));
        return this.live.cachedFindings(params?.folderUri);
      }),
    );
    c.onRequest(AwsRecommendationRequest, (params, token) =>
      this.safe('awsRecommendation', { kind: 'error', message: "Comparing with AWS's recommendation failed; see the log." } as AwsRecommendationResult, async () => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort());
        await this.formatsReady;
        return awsRecommendation(this.ws, this.live, params, abort.signal, (m) => this.log(m)).finally(() => sub.dispose());
      }),
    );
    c.onRequest(ServerStatsRequest, () => {
      const m = process.memoryUsage();
      return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, documents: this.documents.all().length, analyses: this.ws.analysisCount, catalogLoadMs: this.catalogLoadMs, validations: this.validations };
    });
    c.listen();
  }

  private onInitialize(params: InitializeParams): InitializeResult {
    this.caps = params.capabilities;
    const init = (params.initializationOptions ?? {}) as InitializationOptions;
    const live = (init.live ?? {}) as LiveClientOptions;
    this.liveOptions = {
      storagePath: typeof live.storagePath === 'string' && live.storagePath ? live.storagePath : undefined,
      endpoint: typeof live.endpoint === 'string' && live.endpoint ? live.endpoint : undefined,
      trusted: typeof live.trusted === 'boolean' ? live.trusted : undefined,
    };
    if (typeof init.debounceMs === 'number' && init.debounceMs >= 0) this.debounceMs = init.debounceMs;
    const canPull = !!this.caps.workspace?.configuration;
    this.settings = new SettingsCache(
      canPull ? (scopeUri) => this.initialized.then(() => this.connection.workspace.getConfiguration({ scopeUri, section: 'iamRefiner' })) : undefined,
      init.settings,
      (m) => this.log(m),
    );
    const folders: WorkspaceFolder[] = params.workspaceFolders ?? (params.rootUri ? [{ uri: params.rootUri, name: baseName(params.rootUri) }] : params.rootPath ? [{ uri: pathToUri(params.rootPath), name: baseName(params.rootPath) }] : []);
    for (const f of folders) this.ws.addFolder(f);
    const commands: string[] = [Commands.bindRole];
    if (!init.clientCommands) commands.unshift(Commands.refineFile, Commands.refineAll);
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        completionProvider: { triggerCharacters: ['"', "'", ':'] },
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
          for (const f of e.removed) {
            const p = this.ws.removeFolder(f.uri);
            if (p) this.clearProjectDiagnostics(p);
          }
          for (const f of e.added) void this.ws.addFolder(f).reload();
          void this.updateWatchers();
          for (const doc of this.documents.all()) this.schedule(doc.uri, 0);
        }),
      );
    }
    // load the catalog before the first document needs it
    setImmediate(() => void this.safe('catalog', undefined, () => void this.catalog()));
    this.ws.reload();
    await this.updateWatchers();
  }

  // ------------------------------------------------------------------------------------------
  // projects and documents

  private reloadProjects(folderUri?: string): void {
    if (this.isInitialized) this.ws.reload(folderUri); // every folder loads once the client is initialized
  }

  private projectReloaded(p: Project): void {
    const snap = p.snapshot;
    if (this.shuttingDown || !snap) return;
    // diagnostics on broken findings / config files
    const before = this.fileDiagnostics.get(p) ?? new Map<string, Diagnostic[]>();
    const now = projectDiagnostics(snap);
    this.fileDiagnostics.set(p, now);
    for (const uri of new Set([...before.keys(), ...now.keys()])) this.publish(uri);
    // every open document of this project is analysed again against the new findings
    for (const doc of this.documents.all()) if (this.ws.projectFor(doc.uri, false) === p) this.schedule(doc.uri, 0);
    void this.updateWatchers();
    this.statusChanged();
  }

  private clearProjectDiagnostics(p: Project): void {
    const before = this.fileDiagnostics.get(p);
    this.fileDiagnostics.delete(p);
    for (const uri of before?.keys() ?? []) this.publish(uri);
  }

  /** Registers file watchers for iam-refiner.json and each folder's findings globs (again when they change). */
  private async updateWatchers(): Promise<void> {
    const wf = this.caps.workspace?.didChangeWatchedFiles;
    if (!wf?.dynamicRegistration) return;
    const watchers = watcherPatterns(this.ws.allProjects(), !!wf.relativePatternSupport);
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

  private documentChanged(doc: TextDocument): void {
    this.ws.documentOpened(doc.uri);
    const p = uriToPath(doc.uri);
    if (p) for (const proj of this.ws.projectsWatching(p)) this.debounce(`project:${proj.folder.uri}`, this.debounceMs, () => void proj.reload());
    // the first version is analysed at once; typing is debounced
    this.schedule(doc.uri, this.ws.cached(doc.uri) ? this.debounceMs : 0);
  }

  private documentClosed(doc: TextDocument): void {
    const t = this.timers.get(doc.uri);
    if (t) clearTimeout(t);
    this.timers.delete(doc.uri);
    this.ws.documentClosed(doc.uri);
    this.docDiagnostics.delete(doc.uri);
    const p = uriToPath(doc.uri);
    // the disk's version counts again
    if (p) for (const proj of this.ws.projectsWatching(p)) void proj.reload();
    this.publish(doc.uri);
    this.statusChanged();
  }

  private debounce(key: string, delay: number, fn: () => void): void {
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        fn();
      }, delay),
    );
  }

  /** Validates a document after `delay` ms; a newer change restarts the wait. */
  private schedule(uri: string, delay: number): void {
    this.debounce(uri, delay, () => void this.safe(`validate ${uri}`, undefined, () => this.validate(uri)));
  }

  /** An analysis for completion's unused set: the cached one, else the current one if it comes quickly. */
  private async completionAnalysis(doc: TextDocument): Promise<Analysis | undefined> {
    const cached = this.ws.cached(doc.uri);
    if (cached?.context) return cached;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), COMPLETION_WAIT_MS)));
    try {
      return await Promise.race([this.analysisOf(doc).catch((e) => void this.error('completion analysis', e)), late]);
    } finally {
      clearTimeout(timer);
    }
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
      const project = this.ws.projectFor(uri);
      const snap = project?.snapshot;
      diagnostics = documentDiagnostics(a, snap, snap?.settings ?? (await this.settings.get(project?.folder.uri ?? uri)));
    }
    this.docDiagnostics.set(uri, diagnostics);
    this.publish(uri, a.version ?? undefined);
    this.statusChanged();
  }

  private publish(uri: string, version?: number): void {
    const key = uriKey(uri);
    const fromProjects: Diagnostic[] = [];
    for (const m of this.fileDiagnostics.values()) for (const [u, ds] of m) if (uriKey(u) === key) fromProjects.push(...ds);
    // a project file open in the editor is published under the editor's uri
    const p = uriToPath(uri);
    const target = (p && this.ws.openUri(p)) || uri;
    void this.connection.sendDiagnostics({ uri: target, version, diagnostics: [...(this.docDiagnostics.get(uri) ?? []), ...fromProjects] }).catch((e) => this.error('publishDiagnostics', e));
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
    for (const [uri, a] of this.ws.cachedAnalyses()) {
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
      catalog = `catalog unavailable: ${e instanceof Error ? e.message : String(e)}`;
    }
    const folders = this.ws.allProjects().flatMap((p) => (p.snapshot ? [p.snapshot.status] : []));
    await this.connection.sendNotification(StatusNotification, { catalog, catalogVersion, folders, documents });
  }

  // ------------------------------------------------------------------------------------------
  // refinement commands and bindings

  private async computeRefinement(uris: string[] | undefined): Promise<RefinementResult> {
    await this.formatsReady;
    return refinementResult(await this.ws.refineFiles(uris), this.editCaps);
  }

  /** `iamRefiner.refineFile` / `refineAll` through LSP: compute, apply with workspace/applyEdit, report. */
  private async applyRefinement(uris: string[] | undefined, label: string): Promise<{ applied: boolean; files: RefinementResult['files'] }> {
    const result = await this.computeRefinement(uris);
    for (const f of result.files) {
      if (f.nothingLeft) this.notify(MessageType.Warning, `${baseName(f.uri)}: ${f.error}`);
      else if (f.error && uris) this.notify(MessageType.Warning, `${baseName(f.uri)}: not refined: ${f.error}`);
    }
    const changed = result.files.filter((f) => f.status === 'changed');
    if (changed.length === 0) {
      if (!result.files.some((f) => f.error))
        this.notify(MessageType.Info, uris ? `${uris.map(baseName).join(', ')}: nothing to refine, no allowed action is unused.` : 'No policy file has unused permissions to refine.');
      return { applied: false, files: result.files };
    }
    if (!this.caps.workspace?.applyEdit) {
      this.notify(MessageType.Error, 'This editor cannot apply workspace edits (workspace/applyEdit).');
      return { applied: false, files: result.files };
    }
    const r = await this.connection.workspace.applyEdit({ label, edit: result.edit });
    if (!r.applied) this.notify(MessageType.Warning, `The refinement was not applied${r.failureReason ? `: ${r.failureReason}` : ''} (did the file change meanwhile? Try again).`);
    else this.log(`${label}: ${changed.map((f) => `${baseName(f.uri)}: ${f.summary}`).join('; ')}`);
    return { applied: r.applied, files: result.files };
  }

  /** The quick fix that binds a policy file to a role: an edit of iam-refiner.json (created when absent). */
  private async bindingAction(args: BindRoleArgs): Promise<CodeAction | undefined> {
    const b = await this.ws.bindingEdits(args.folderUri, args.relPath, args.role);
    if (!b) return undefined;
    const configUri = this.ws.openUri(b.configPath) ?? pathToUri(b.configPath);
    return bindingCodeAction(args, configUri, this.documents.get(configUri)?.version ?? null, b, this.editCaps);
  }

  /** `iamRefiner.bindRole` (for clients that cannot create files through an edit): writes iam-refiner.json. */
  private async bindRole(args: BindRoleArgs | undefined): Promise<boolean> {
    if (!args?.folderUri || !args.relPath || !args.role) return false;
    const project = this.ws.projectOfFolder(args.folderUri);
    const openUri = project?.configPath && this.ws.openUri(project.configPath);
    if (openUri && this.caps.workspace?.applyEdit) {
      const action = await this.bindingAction(args);
      if (action?.edit) return (await this.connection.workspace.applyEdit({ label: action.title, edit: action.edit })).applied;
    }
    return this.ws.bindRole(args.folderUri, args.relPath, args.role);
  }
}
