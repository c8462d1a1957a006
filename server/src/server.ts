/**
 * The language server: LSP wiring only. The workspace service (server/src/workspace) knows the
 * folders, findings, analyses and refinements; the modules in server/src/lsp translate its results
 * (problems → Diagnostics, outcomes → CodeActions, hovers, completion). Validation is debounced,
 * superseded versions are dropped, and every handler logs and degrades instead of throwing.
 */
import { ClientCapabilities, Connection, Diagnostic, DidChangeConfigurationNotification, Disposable, FileChangeType, InitializeParams, InitializeResult, MessageType, ShowMessageNotification, TextDocuments } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { Catalog } from './core';
import { InitializationOptions, LiveClientOptions, RefinementResult, ServerStatsRequest, StatusNotification } from '../../shared/protocol';
import { LazyCatalog } from './workspace/catalogFile';
import { FileFindingsProvider, FindingsProvider, FindingsProviders } from './workspace/findingsProvider';
import { GitHistory, runGit } from './workspace/gitHistory';
import { uriToPath } from './workspace/paths';
import { Project } from './workspace/project';
import { SettingsCache } from './workspace/settings';
import { Workspace } from './workspace/workspace';
import { BindingHost, bindRole, bindingAction } from './lsp/bindRole';
import { initialFolders, initializeResult, liveClientOptions, pullsDiagnostics } from './lsp/capabilities';
import { registerCatalogRequests } from './lsp/catalogRequests';
import { createServerConnection } from './lsp/connection';
import { EditCapabilities, refinementResult } from './lsp/codeActions';
import { Debouncer } from './lsp/debounce';
import { documentDiagnostics } from './lsp/diagnostics';
import { registerFeatures } from './lsp/features';
import { LiveFindingsProvider, LiveHost } from './lsp/liveFindings';
import { registerLiveRequests } from './lsp/liveRequests';
import { startProgress } from './lsp/progress';
import { DiagnosticsPublisher } from './lsp/publisher';
import { applyRefinement } from './lsp/refineCommand';
import { statusParams } from './lsp/status';
import { FileWatchers } from './lsp/watchers';
import { serverStats } from './lsp/stats';

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
/** An analysis slower than this makes the document's next version wait as long as it took (see schedule), up to MAX_COST_WAIT_MS. */
const SLOW_ANALYSIS_MS = 150;
const MAX_COST_WAIT_MS = 2000;
/** The timer of a project's debounced reload (an edited findings or config file). */
const reloadKey = (p: Project) => `project:${p.folder.uri}`;

/** Starts the IAM Policy Refiner language server (the VS Code extension, `iam-refine lsp --stdio`). */
export function startServer(options: ServerOptions = {}): ServerHandle {
  const connection = options.connection ?? createServerConnection();
  // a stray rejection is a bug to log, not a reason to take the editor's server down
  process.on('unhandledRejection', (e) => connection.console.error(`unhandled rejection: ${e instanceof Error ? e.stack : String(e)}`));
  const server = new IamRefinerServer(connection, options);
  server.listen();
  return { connection, addFindingsProvider: (p) => server.addProvider(p) };
}

class IamRefinerServer {
  private readonly documents = new TextDocuments(TextDocument);
  private readonly timers = new Debouncer();
  private readonly providers = new FindingsProviders((folderUri) => this.reloadProjects(folderUri));
  private readonly catalog: () => Catalog;
  private readonly catalogs: LazyCatalog;
  private readonly diagnostics: DiagnosticsPublisher;
  private readonly ws: Workspace;
  private readonly live: LiveFindingsProvider;
  private caps: ClientCapabilities = {};
  private settings!: SettingsCache;
  private debounceMs = DEFAULT_DEBOUNCE_MS;
  private initialized!: Promise<void>;
  private markInitialized!: () => void;
  private isInitialized = false;
  private readonly watchers: FileWatchers;
  private statusTimer: NodeJS.Timeout | undefined;
  private validations = 0;
  /** Per open document: how long its last analysis took (ms), which a newer version waits at least (see schedule). */
  private readonly costMs = new Map<string, number>();
  private shuttingDown = false;
  /** Endpoint and trust as the client says (never from workspace settings); storage path from initialize. */
  private liveOptions: LiveClientOptions = {};
  /** The client shows Explain Refinement (InitializationOptions.explainView). */
  private explainView = false;
  /** The client pulls the documents' diagnostics (capabilities.pullsDiagnostics). */
  private pullDiagnostics = false;

  constructor(private readonly connection: Connection, private readonly options: ServerOptions) {
    this.initialized = new Promise((resolve) => (this.markInitialized = resolve));
    this.catalogs = new LazyCatalog(() => options.catalog?.(), (m) => this.log(m));
    this.catalog = this.catalogs.get;
    this.watchers = new FileWatchers(connection, (e) => this.error('registering file watchers', e));
    this.diagnostics = new DiagnosticsPublisher(connection, (p) => this.ws.openUri(p), (e) => this.error('publishDiagnostics', e), () => this.pullDiagnostics);
    this.ws = new Workspace({
      settings: (scopeUri) => this.settings.get(scopeUri),
      documents: this.documents,
      providers: () => this.providers.list,
      catalog: () => this.catalog(),
      log: (m) => this.log(m),
      projectReloaded: (p) => this.projectReloaded(p),
      history: new GitHistory(runGit, () => this.liveOptions.trusted !== false),
      watchesTerraform: () => this.watchers.registered,
    });
    this.live = new LiveFindingsProvider({
      options: () => this.liveOptions,
      log: (m) => this.log(m),
      progress: (title, onCancel) => (this.shuttingDown ? Promise.resolve({ report: () => undefined, done: () => undefined }) : startProgress(this.connection, this.caps, title, onCancel, (e) => this.error('workDoneProgress', e))),
      ...options.live,
    });
    for (const p of [new FileFindingsProvider(), this.live, ...(options.providers ?? [])]) this.providers.add(p);
  }

  addProvider(p: FindingsProvider): Disposable {
    this.providers.add(p);
    this.reloadProjects();
    return Disposable.create(() => {
      this.providers.remove(p);
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

  private get editCaps(): EditCapabilities {
    const we = this.caps.workspace?.workspaceEdit;
    return {
      documentChanges: !!we?.documentChanges,
      createFile: !!we?.documentChanges && !!we?.resourceOperations?.includes('create'),
      disabledSupport: !!this.caps.textDocument?.codeAction?.disabledSupport,
    };
  }

  listen(): void {
    const c = this.connection;
    const docs = this.documents;
    c.onInitialize((params) => this.onInitialize(params));
    c.onInitialized(() => void this.safe('initialized', undefined, () => this.onInitialized()));
    c.onShutdown(() => {
      this.shuttingDown = true;
      this.timers.dispose();
      this.diagnostics.dispose();
      if (this.statusTimer) clearTimeout(this.statusTimer);
      this.ws.dispose();
      this.providers.dispose();
    });
    docs.onDidOpen((e) => this.ws.documentOpened(e.document.uri));
    docs.onDidChangeContent((e) => this.safe('didChange', undefined, () => this.documentChanged(e.document)));
    docs.onDidClose((e) => this.safe('didClose', undefined, () => this.documentClosed(e.document)));
    docs.listen(c);
    // pull mode: answered once the document's current version is validated (see DiagnosticsPublisher.answer)
    c.languages.diagnostics.on((params, token) => this.diagnostics.answer(params, token, (uri) => (this.shuttingDown ? undefined : this.documents.get(uri)?.version)));
    c.onDidChangeConfiguration((params) =>
      this.safe('didChangeConfiguration', undefined, () => {
        this.settings.changed((params.settings as Record<string, unknown> | null | undefined)?.iamRefiner);
        this.reloadProjects();
      }),
    );
    c.onDidChangeWatchedFiles((params) =>
      this.safe('didChangeWatchedFiles', undefined, () => {
        const touched = new Set<Project>();
        const rebind = new Set<string>();
        for (const ch of params.changes) {
          const p = uriToPath(ch.uri);
          if (p) for (const proj of this.ws.projectsWatching(p)) touched.add(proj);
          // every event (an open file saved too): a Terraform file's kept listing and facts are dropped
          this.ws.terraformChanged(ch.uri, ch.type === FileChangeType.Created ? 'created' : ch.type === FileChangeType.Deleted ? 'deleted' : 'changed');
          // a Terraform file changed on disk (an open one is read as the editor has it): its module's open files are bound again
          if (!docs.get(ch.uri)) for (const u of this.ws.moduleDependents(ch.uri)) rebind.add(u);
        }
        for (const p of touched) void p.reload();
        for (const u of rebind) this.schedule(u, this.debounceMs);
      }),
    );
    registerFeatures(c, {
      documents: docs,
      ws: this.ws,
      catalog: this.catalog,
      explainView: () => this.explainView,
      editCaps: () => this.editCaps,
      isCurrent: (uri, version, d) => this.diagnostics.isCurrent(uri, version, d),
      log: (m) => this.log(m),
      error: (ctx, e) => this.error(ctx, e),
      notify: (t, m) => this.notify(t, m),
      safe: (ctx, fallback, fn) => this.safe(ctx, fallback, fn),
      computeRefinement: (uris) => this.computeRefinement(uris),
      applyRefinement: (uris, label) => this.applyRefinement(uris, label),
      bindingAction: (args) => bindingAction(this.bindingHost(), args),
      bindRole: (args) => bindRole(this.bindingHost(), args),
    });
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
        this.catalogs.use(cat);
        this.ws.reload(); // every folder and open document is analysed again over the new catalog
        this.statusChanged();
      },
      log: (m) => this.log(m),
      progress: (title, onCancel) => startProgress(this.connection, this.caps, title, onCancel, (e) => this.error('workDoneProgress', e)),
      safe: (ctx, fallback, fn) => this.safe(ctx, fallback, fn),
      env: process.env,
    });
    c.onRequest(ServerStatsRequest, (params) => serverStats(params, { documents: this.documents, analyses: this.ws.analysisCount, catalogLoadMs: this.catalogs.loadMs, validations: this.validations }));
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
    this.pullDiagnostics = pullsDiagnostics(params);
    return initializeResult(init, this.pullDiagnostics);
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
    if (p) for (const proj of this.ws.projectsWatching(p)) this.timers.run(reloadKey(proj), this.debounceMs, () => void proj.reload());
    // the first version is analysed at once; typing is debounced
    this.schedule(doc.uri, this.ws.cached(doc.uri) ? this.debounceMs : 0);
    for (const u of this.ws.moduleDependents(doc.uri)) this.schedule(u, this.debounceMs); // a Terraform module's other open files
  }

  private documentClosed(doc: TextDocument): void {
    this.timers.cancel(doc.uri);
    this.costMs.delete(doc.uri);
    this.ws.documentClosed(doc.uri);
    const p = uriToPath(doc.uri);
    // the disk's version counts again
    if (p) for (const proj of this.ws.projectsWatching(p)) void proj.reload();
    this.diagnostics.clearDocument(doc.uri);
    this.statusChanged();
  }

  /**
   * Validates a document after `delay` ms; a newer change restarts the wait. A document whose last
   * analysis took longer than the delay (a megabyte of Terraform with a syntax error: about a second)
   * waits that long instead (when over SLOW_ANALYSIS_MS, the editor's own debounce), up to MAX_COST_WAIT_MS: changes that come while one version is analysed are
   * read one per turn of the event loop, so with a shorter wait each of them would be analysed in turn
   * (seven versions sent at once took seven seconds to answer the last: fuzz seed 701000, case 1706);
   * waiting for as long as an analysis costs, only the newest is.
   */
  private schedule(uri: string, delay: number): void {
    const cost = this.costMs.get(uri) ?? 0;
    const wait = cost > SLOW_ANALYSIS_MS ? Math.max(delay, Math.min(cost, MAX_COST_WAIT_MS)) : delay;
    this.timers.run(uri, wait, () =>
      void this.validate(uri).catch((e) => {
        this.error(`validate ${uri}`, e);
        const version = this.documents.get(uri)?.version;
        if (version !== undefined) this.diagnostics.validationFailed(uri, version);
      }),
    );
  }

  private isProjectFileOf(uri: string, p: Project): boolean {
    const abs = uriToPath(uri);
    return !!abs && p.isProjectFile(abs);
  }

  private async validate(uri: string): Promise<void> {
    const doc = this.documents.get(uri);
    if (!doc) return;
    // whether it is a findings file is known once its project has loaded: before, one opened at once was published as a plain
    // document, then again by the first load with its project diagnostics (fuzz seed 12345, case 0)
    const loading = this.ws.allProjects().filter((p) => !p.snapshot);
    if (loading.length) await Promise.all(loading.map((p) => p.ready()));
    // a findings or config file: published with its project's reloaded diagnostics, once (the reload validates it again)
    const owners = this.ws.projectsWatching(uriToPath(uri) ?? '');
    if (owners.some((p) => this.timers.has(reloadKey(p)))) return;
    await Promise.all(owners.map((p) => p.ready()));
    // again after the wait: a change that came during it (the document object is the same, now at the new version) set a reload
    // that the snapshot just made has not seen; that reload validates it (publishing here sent the version twice, fuzz seeds 5, 431988)
    if (owners.some((p) => this.timers.has(reloadKey(p)))) return;
    if (this.timers.has(uri)) return; // a newer version came during the waits: its own validation is set
    this.validations++;
    const started = performance.now();
    const a = await this.ws.analysisOf(doc);
    if (this.documents.get(uri)) this.costMs.set(uri, performance.now() - started);
    const current = this.documents.get(uri);
    if (!a || !current || current.version !== a.version) return; // a newer version is on its way
    let diagnostics: Diagnostic[] = [];
    if (a.kind !== 'none') {
      const project = this.ws.projectFor(uri);
      const snap = project?.snapshot;
      const settings = snap?.settings ?? (await this.settings.get(project?.folder.uri ?? uri));
      diagnostics = documentDiagnostics(a, snap, settings, this.diagnostics.memoFor(uri));
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

  private bindingHost(): BindingHost {
    return { ws: this.ws, connection: this.connection, caps: this.caps, editCaps: this.editCaps, versionOf: (uri) => this.documents.get(uri)?.version ?? null };
  }
}
