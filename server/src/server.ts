/**
 * The language server: LSP wiring only. The workspace service (server/src/workspace) knows the
 * folders, findings, analyses and refinements; the modules in server/src/lsp translate its results
 * (problems → Diagnostics, outcomes → CodeActions, hovers, completion). Validation is debounced,
 * superseded versions are dropped, and every handler logs and degrades instead of throwing.
 */
import { ClientCapabilities, CodeAction, CompletionList, Connection, Diagnostic, DidChangeConfigurationNotification, Disposable, InitializeParams, InitializeResult, MessageType, ShowMessageNotification, TextDocuments, createConnection } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { Catalog, mayContainPolicy } from './core';
import { chooseCatalog } from './workspace/catalogFile';
import { registerCatalogRequests } from './lsp/catalogRequests';
import { BindRoleArgs, Commands, ExplainRequest, ExplainResponse, InitializationOptions, LiveClientOptions, RefinementRequest, RefinementResult, ServerStatsRequest, StatusNotification } from '../../shared/protocol';
import { Analysis } from './workspace/analysis';
import { LiveFindingsProvider, LiveHost } from './lsp/liveFindings';
import { registerLiveRequests } from './lsp/liveRequests';
import { EditCapabilities, codeActions, refinementResult } from './lsp/codeActions';
import { documentDiagnostics } from './lsp/diagnostics';
import { DiagnosticsPublisher } from './lsp/publisher';
import { FileFindingsProvider, FindingsProvider } from './workspace/findingsProvider';
import { hover } from './lsp/hover';
import { explainRequest, withExplanation } from './lsp/explain';
import { completion } from './lsp/completion';
import { startProgress } from './lsp/progress';
import { applyRefinement } from './lsp/refineCommand';
import { statusParams } from './lsp/status';
import { FileWatchers } from './lsp/watchers';
import { serverStats } from './lsp/stats';
import { BindingHost, bindRole, bindingAction } from './lsp/bindRole';
import { initialFolders, initializeResult, liveClientOptions } from './lsp/capabilities';
import { pathToUri, uriToPath } from './workspace/paths';
import { Project } from './workspace/project';
import { SettingsCache } from './workspace/settings';
import { GitHistory, runGit } from './workspace/gitHistory';
import { Workspace } from './workspace/workspace';

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
  private readonly diagnostics: DiagnosticsPublisher;
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
  private readonly watchers: FileWatchers;
  private statusTimer: NodeJS.Timeout | undefined;
  private validations = 0;
  private shuttingDown = false;
  /** Endpoint and trust as the client says (never from workspace settings); storage path from initialize. */
  private liveOptions: LiveClientOptions = {};
  /** The client shows Explain Refinement (InitializationOptions.explainView). */
  private explainView = false;

  constructor(private readonly connection: Connection, private readonly options: ServerOptions) {
    this.initialized = new Promise((resolve) => (this.markInitialized = resolve));
    this.watchers = new FileWatchers(connection, (e) => this.error('registering file watchers', e));
    this.diagnostics = new DiagnosticsPublisher(connection, (p) => this.ws.openUri(p), (e) => this.error('publishDiagnostics', e));
    this.ws = new Workspace({
      settings: (scopeUri) => this.settings.get(scopeUri),
      documents: this.documents,
      providers: () => this.providerList,
      catalog: () => this.catalog(),
      log: (m) => this.log(m),
      projectReloaded: (p) => this.projectReloaded(p),
      history: new GitHistory(runGit, () => this.liveOptions.trusted !== false),
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
      // the newest catalog there is: the one Update Action Catalog fetched, else the bundled one
      this.catalogInstance = this.options.catalog?.() ?? this.chosenCatalog();
      this.catalogLoadMs = performance.now() - t0;
      this.log(`catalog: ${this.catalogInstance.describe()} loaded in ${this.catalogLoadMs.toFixed(0)} ms`);
    }
    return this.catalogInstance;
  };

  private chosenCatalog(): Catalog {
    const c = chooseCatalog(process.env);
    if (c.note) this.log(`catalog: ${c.note}`);
    return c.catalog;
  }

  private get editCaps(): EditCapabilities {
    const we = this.caps.workspace?.workspaceEdit;
    return {
      documentChanges: !!we?.documentChanges,
      createFile: !!we?.documentChanges && !!we?.resourceOperations?.includes('create'),
      disabledSupport: !!this.caps.textDocument?.codeAction?.disabledSupport,
    };
  }

  /** The analysis of a document's current version, once the format parsers are loaded. */
  private analysisOf(doc: TextDocument): Promise<Analysis | undefined> {
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
        const offset = doc.offsetAt(params.position);
        return withExplanation(hover(a, offset, this.catalog()), a, this.findingsOf(doc.uri), offset, this.explainView, (m) => this.log(m));
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
        return codeActions({ analysis: a, diagnostics: params.context.diagnostics, only: params.context.only, caps: this.editCaps, log: (m) => this.log(m), bindingAction: (args) => this.bindingAction(args), explain: this.explainView });
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
    c.onRequest(ExplainRequest, (params) =>
      this.safe('explain', { kind: 'error', message: 'internal error: see the log' } as ExplainResponse, async () => {
        const doc = this.documents.get(params.uri);
        const a = doc ? await this.analysisOf(doc) : await this.ws.analysisOfUri(params.uri);
        return explainRequest(a, this.findingsOf(params.uri), params, (m) => this.log(m));
      }),
    );
    c.onRequest(RefinementRequest, (params) => this.safe('refinement', { edit: {}, files: [] } as RefinementResult, () => this.computeRefinement(params.uris)));
    registerLiveRequests(c, {
      live: this.live,
      ws: this.ws,
      log: (m) => this.log(m),
      setOptions: (o) => (this.liveOptions = { ...this.liveOptions, ...o }),
      options: () => this.liveOptions,
      safe: (ctx, fallback, fn) => this.safe(ctx, fallback, fn),
    });
    registerCatalogRequests(c, {
      catalog: () => this.catalog(),
      useCatalog: (cat) => {
        this.catalogInstance = cat;
        this.log(`catalog: now ${cat.describe()}`);
        this.ws.reload(); // every folder and open document is analysed again over the new catalog
        this.statusChanged();
      },
      log: (m) => this.log(m),
      progress: (title, onCancel) => startProgress(this.connection, this.caps, title, onCancel, (e) => this.error('workDoneProgress', e)),
      safe: (ctx, fallback, fn) => this.safe(ctx, fallback, fn),
      env: process.env,
    });
    c.onRequest(ServerStatsRequest, (params) => serverStats(params, { documents: this.documents, analyses: this.ws.analysisCount, catalogLoadMs: this.catalogLoadMs, validations: this.validations }));
    c.listen();
  }

  private onInitialize(params: InitializeParams): InitializeResult {
    this.caps = params.capabilities;
    const init = (params.initializationOptions ?? {}) as InitializationOptions;
    this.liveOptions = liveClientOptions(init);
    if (typeof init.debounceMs === 'number' && init.debounceMs >= 0) this.debounceMs = init.debounceMs;
    this.explainView = init.explainView === true;
    const canPull = !!this.caps.workspace?.configuration;
    this.settings = new SettingsCache(
      canPull ? (scopeUri) => this.initialized.then(() => this.connection.workspace.getConfiguration({ scopeUri, section: 'iamRefiner' })) : undefined,
      init.settings,
      (m) => this.log(m),
    );
    for (const f of initialFolders(params)) this.ws.addFolder(f);
    return initializeResult(init);
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
            if (p) this.diagnostics.clearProject(p);
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
    this.diagnostics.setProject(p, snap);
    // every open document of this project is analysed again against the new findings
    for (const doc of this.documents.all()) if (this.ws.projectFor(doc.uri, false) === p || this.isProjectFileOf(doc.uri, p)) this.schedule(doc.uri, 0);
    void this.updateWatchers();
    this.statusChanged();
  }

  private updateWatchers(): Promise<void> {
    return this.watchers.update(this.caps, this.ws.allProjects());
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
    const p = uriToPath(doc.uri);
    // the disk's version counts again
    if (p) for (const proj of this.ws.projectsWatching(p)) void proj.reload();
    this.diagnostics.clearDocument(doc.uri);
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

  private isProjectFileOf(uri: string, p: Project): boolean {
    const abs = uriToPath(uri);
    return !!abs && p.isProjectFile(abs);
  }

  private async validate(uri: string): Promise<void> {
    const doc = this.documents.get(uri);
    if (!doc) return;
    // a findings or config file: published with its project's reloaded diagnostics, once (the reload validates it again)
    const owners = this.ws.projectsWatching(uriToPath(uri) ?? '');
    if (owners.some((p) => this.timers.has(`project:${p.folder.uri}`))) return;
    await Promise.all(owners.map((p) => p.ready()));
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
    this.diagnostics.setDocument(uri, diagnostics, a.version ?? undefined);
    this.statusChanged();
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
    if (!this.shuttingDown) await this.connection.sendNotification(StatusNotification, statusParams(this.ws, this.diagnostics.documents, this.catalog));
  }

  // ------------------------------------------------------------------------------------------
  // refinement commands and bindings

  private async computeRefinement(uris: string[] | undefined): Promise<RefinementResult> {
    return refinementResult(await this.ws.refineFiles(uris), this.editCaps);
  }

  /** `iamRefiner.refineFile` / `refineAll` through LSP: compute, apply with workspace/applyEdit, report. */
  private async applyRefinement(uris: string[] | undefined, label: string): Promise<{ applied: boolean; files: RefinementResult['files'] }> {
    return applyRefinement({ connection: this.connection, caps: this.caps, notify: (t, m) => this.notify(t, m), log: (m) => this.log(m) }, await this.computeRefinement(uris), uris, label);
  }

  /** The findings of the project a document belongs to (for the provenance of unused actions). */
  private findingsOf(uri: string) {
    return this.ws.projectFor(uri, false)?.snapshot?.findings ?? [];
  }

  private bindingHost(): BindingHost {
    return { ws: this.ws, connection: this.connection, caps: this.caps, editCaps: this.editCaps, versionOf: (uri) => this.documents.get(uri)?.version ?? null };
  }

  private bindingAction(args: BindRoleArgs): Promise<CodeAction | undefined> {
    return bindingAction(this.bindingHost(), args);
  }

  private bindRole(args: BindRoleArgs | undefined): Promise<boolean> {
    return bindRole(this.bindingHost(), args);
  }
}
