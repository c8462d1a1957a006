/**
 * A small LSP client for tests: spawns the language server over stdio and plays the editor's part
 * (open/change documents, answer workspace/configuration, apply workspace/applyEdit, watch files),
 * with waits on events (diagnostics, status, messages), never fixed sleeps.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CancellationTokenSource, MessageConnection, StreamMessageReader, StreamMessageWriter, createMessageConnection } from 'vscode-jsonrpc/node';
import {
  ApplyWorkspaceEditParams,
  ClientCapabilities,
  CodeAction,
  CodeActionParams,
  CompletionItem,
  CompletionList,
  Diagnostic,
  DocumentDiagnosticReport,
  FileChangeType,
  Hover,
  InitializeResult,
  PublishDiagnosticsParams,
  Range,
  ShowMessageParams,
  TextDocumentEdit,
  TextEdit,
  WorkspaceEdit,
} from 'vscode-languageserver-protocol';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { StatusParams } from '../../shared/protocol';

const ROOT = path.resolve(__dirname, '../../..');

/** The server to test: IAM_REFINER_SERVER, else the compiled one (out/), which needs no bundle. */
export function serverPath(): string {
  return process.env.IAM_REFINER_SERVER ?? path.join(ROOT, 'out/server/src/serverMain.js');
}

export const uriOf = (p: string) => pathToFileURL(p).href;
export const pathOf = (u: string) => fileURLToPath(u);

export const CLIENT_CAPABILITIES: ClientCapabilities = {
  workspace: {
    applyEdit: true,
    workspaceEdit: { documentChanges: true, resourceOperations: ['create'] },
    configuration: true,
    didChangeConfiguration: { dynamicRegistration: true },
    didChangeWatchedFiles: { dynamicRegistration: true, relativePatternSupport: true },
    workspaceFolders: true,
    executeCommand: {},
  },
  textDocument: {
    synchronization: { didSave: false },
    hover: { contentFormat: ['markdown', 'plaintext'] },
    codeAction: {
      disabledSupport: true,
      dataSupport: true,
      isPreferredSupport: true,
      codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source', 'source.fixAll'] } },
    },
    publishDiagnostics: { relatedInformation: true, versionSupport: true, codeDescriptionSupport: true, dataSupport: true, tagSupport: { valueSet: [1, 2] } },
  },
  window: { showMessage: {} },
};

interface Waiter<T> {
  test: (v: T) => boolean;
  resolve: (v: T) => void;
}

export interface StartOptions {
  /** Workspace folders (absolute paths); the first is the root. */
  folders: string[];
  /** `iamRefiner` settings per folder path (or '*' for every scope). */
  settings?: Record<string, unknown>;
  initializationOptions?: unknown;
  capabilities?: ClientCapabilities;
  /** The server's command line (default: node <serverPath()> --stdio). */
  command?: { exe: string; args: string[] };
  /** Added to the server's environment. */
  env?: NodeJS.ProcessEnv;
  /**
   * Pull the diagnostics as VS Code does (vscode-languageclient with diagnosticPullOptions.onChange):
   * the capabilities and InitializationOptions.pullDiagnostics, a textDocument/diagnostic after each
   * didOpen and didChange (one in flight per document: a change cancels it and pulls again after its
   * answer), every open document again on workspace/diagnostic/refresh. Each answer is kept in
   * `diagnostics` as a publish of the version pulled (an `unchanged` one: the diagnostics held);
   * publishes (project files) go to `pushed`.
   */
  pull?: boolean;
}

/** What a client that pulls diagnostics says it can do (with CLIENT_CAPABILITIES). */
export function pullCapabilities(caps: ClientCapabilities = CLIENT_CAPABILITIES): ClientCapabilities {
  return { ...caps, workspace: { ...caps.workspace, diagnostics: { refreshSupport: true } }, textDocument: { ...caps.textDocument, diagnostic: { dynamicRegistration: false, relatedDocumentSupport: false } } };
}

export class LspClient {
  readonly connection: MessageConnection;
  readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  /** Every publishDiagnostics so far, in order of arrival: the versions published per uri. */
  readonly publishedVersions = new Map<string, (number | undefined)[]>();
  readonly messages: ShowMessageParams[] = [];
  readonly logs: string[] = [];
  /** window/logMessage entries of type Error (what the server's handlers caught and logged). */
  readonly errorLogs: string[] = [];
  readonly appliedEdits: ApplyWorkspaceEditParams[] = [];
  readonly docs = new Map<string, TextDocument>();
  readonly registrations = new Map<string, { method: string; registerOptions?: any }>();
  status: StatusParams | undefined;
  stderr = '';
  /** Answer to the next workspace/applyEdit (false: the editor refuses). */
  applyEditAnswer = true;
  /** Pull mode: what was published (project files' diagnostics), per uri. */
  readonly pushed = new Map<string, PublishDiagnosticsParams>();
  /** Pull mode: the answers so far by kind, cancelled pulls, workspace/diagnostic/refresh requests, and the last answer's kind per uri. */
  readonly pullCounts = { full: 0, unchanged: 0, cancelled: 0, refreshes: 0 };
  readonly lastReport = new Map<string, 'full' | 'unchanged'>();
  readonly pullErrors: string[] = [];
  private readonly pullMode: boolean;
  private readonly pulls = new Map<string, { source: CancellationTokenSource; again: boolean }>();
  private readonly resultIds = new Map<string, string>();
  private readonly diagWaiters: Waiter<PublishDiagnosticsParams>[] = [];
  private readonly statusWaiters: Waiter<StatusParams>[] = [];
  private readonly messageWaiters: Waiter<ShowMessageParams>[] = [];
  private settings: Record<string, unknown>;

  private constructor(readonly proc: ChildProcess, opts: StartOptions) {
    this.settings = opts.settings ?? {};
    this.pullMode = opts.pull === true;
    this.connection = createMessageConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    proc.stderr!.on('data', (d) => (this.stderr += d.toString()));
    const c = this.connection;
    c.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      if (this.pullMode) {
        this.pushed.set(p.uri, p);
        return;
      }
      this.diagnostics.set(p.uri, p);
      const list = this.publishedVersions.get(p.uri) ?? [];
      list.push(p.version);
      this.publishedVersions.set(p.uri, list);
      this.fire(this.diagWaiters, p);
    });
    c.onNotification('iamRefiner/status', (p: StatusParams) => {
      this.status = p;
      this.fire(this.statusWaiters, p);
    });
    c.onNotification('window/showMessage', (p: ShowMessageParams) => {
      this.messages.push(p);
      this.fire(this.messageWaiters, p);
    });
    c.onNotification('window/logMessage', (p: { type?: number; message: string }) => {
      this.logs.push(p.message);
      if (p.type === 1) this.errorLogs.push(p.message);
    });
    c.onRequest('workspace/configuration', (p: { items: { scopeUri?: string; section?: string }[] }) =>
      p.items.map((it) => {
        const scope = it.scopeUri ? pathOf(it.scopeUri) : '*';
        return this.settings[scope] ?? this.settings['*'] ?? {};
      }),
    );
    c.onRequest('client/registerCapability', (p: { registrations: { id: string; method: string; registerOptions?: unknown }[] }) => {
      for (const r of p.registrations) this.registrations.set(r.id, r);
      return null;
    });
    c.onRequest('client/unregisterCapability', (p: { unregisterations: { id: string }[] }) => {
      for (const r of p.unregisterations) this.registrations.delete(r.id);
      return null;
    });
    c.onRequest('window/workDoneProgress/create', () => null);
    c.onRequest('workspace/diagnostic/refresh', () => {
      this.pullCounts.refreshes++;
      for (const uri of this.docs.keys()) this.pull(uri);
      return null;
    });
    c.onRequest('workspace/applyEdit', (p: ApplyWorkspaceEditParams): { applied: boolean; failureReason?: string } => {
      this.appliedEdits.push(p);
      if (!this.applyEditAnswer) return { applied: false, failureReason: 'refused by the test' };
      try {
        this.applyWorkspaceEdit(p.edit);
        return { applied: true };
      } catch (e) {
        return { applied: false, failureReason: String(e) };
      }
    });
    c.listen();
  }

  static async start(opts: StartOptions): Promise<{ client: LspClient; init: InitializeResult }> {
    const cmd = opts.command ?? { exe: process.execPath, args: [serverPath(), '--stdio'] };
    const proc = spawn(cmd.exe, cmd.args, { stdio: ['pipe', 'pipe', 'pipe'], ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}) });
    const client = new LspClient(proc, opts);
    const init = await client.connection.sendRequest<InitializeResult>('initialize', {
      processId: process.pid,
      rootUri: opts.folders[0] ? uriOf(opts.folders[0]) : null,
      workspaceFolders: opts.folders.map((f) => ({ uri: uriOf(f), name: path.basename(f) })),
      capabilities: opts.capabilities ?? (opts.pull ? pullCapabilities() : CLIENT_CAPABILITIES),
      initializationOptions: opts.pull ? { ...(opts.initializationOptions as object | undefined), pullDiagnostics: true } : opts.initializationOptions,
    });
    await client.connection.sendNotification('initialized', {});
    return { client, init };
  }

  private fire<T>(waiters: Waiter<T>[], v: T): void {
    for (const w of [...waiters]) {
      if (w.test(v)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(v);
      }
    }
  }

  private wait<T>(waiters: Waiter<T>[], current: T | undefined, test: (v: T) => boolean, what: string, timeoutMs: number): Promise<T> {
    if (current !== undefined && test(current)) return Promise.resolve(current);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\nserver stderr:\n${this.stderr.slice(-2000)}\nlogs:\n${this.logs.slice(-20).join('\n')}`));
      }, timeoutMs);
      const w: Waiter<T> = {
        test,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
      };
      waiters.push(w);
    });
  }

  /** The next diagnostics for `uri` (of its current version, when open) that satisfy `test`; the latest if they already do. */
  waitForDiagnostics(uri: string, test: (d: Diagnostic[]) => boolean = () => true, timeoutMs = 10_000): Promise<Diagnostic[]> {
    const doc = this.docs.get(uri);
    const ok = (p: PublishDiagnosticsParams) => p.uri === uri && (!doc || p.version === undefined || p.version === this.docs.get(uri)!.version) && test(p.diagnostics);
    return this.wait(this.diagWaiters, this.diagnostics.get(uri), ok, `diagnostics of ${path.basename(uri)}`, timeoutMs).then((p) => p.diagnostics);
  }

  /** The diagnostics published for exactly this version of `uri` (the latest if they are; a clearing without a version does not count). */
  waitForVersion(uri: string, version: number, timeoutMs = 10_000): Promise<Diagnostic[]> {
    return this.wait(this.diagWaiters, this.diagnostics.get(uri), (p) => p.uri === uri && p.version === version, `diagnostics of version ${version} of ${path.basename(uri)}`, timeoutMs).then((p) => p.diagnostics);
  }

  /** Diagnostics published after this call (the current ones do not count). */
  nextDiagnostics(uri: string, test: (d: Diagnostic[]) => boolean = () => true, timeoutMs = 10_000): Promise<Diagnostic[]> {
    return this.wait(this.diagWaiters, undefined, (p) => p.uri === uri && test(p.diagnostics), `new diagnostics of ${path.basename(uri)}`, timeoutMs).then((p) => p.diagnostics);
  }

  waitForStatus(test: (s: StatusParams) => boolean, timeoutMs = 10_000): Promise<StatusParams> {
    return this.wait(this.statusWaiters, this.status, test, 'status', timeoutMs);
  }

  waitForMessage(test: (m: ShowMessageParams) => boolean = () => true, timeoutMs = 10_000): Promise<ShowMessageParams> {
    const seen = this.messages.find(test);
    return seen ? Promise.resolve(seen) : this.wait(this.messageWaiters, undefined, test, 'window/showMessage', timeoutMs);
  }

  open(file: string, text = readFileSync(file, 'utf8'), languageId = file.endsWith('.jsonc') ? 'jsonc' : 'json'): string {
    const uri = file.includes('://') || file.startsWith('untitled:') ? file : uriOf(file);
    const doc = TextDocument.create(uri, languageId, 1, text);
    this.docs.set(uri, doc);
    void this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
    this.pull(uri);
    return uri;
  }

  /** Pull mode: a textDocument/diagnostic for the document's current version (see StartOptions.pull). */
  pull(uri: string): void {
    if (!this.pullMode || !this.docs.has(uri)) return;
    const inFlight = this.pulls.get(uri);
    if (inFlight) {
      inFlight.source.cancel();
      inFlight.again = true;
      return;
    }
    const version = this.docs.get(uri)!.version;
    const state = { source: new CancellationTokenSource(), again: false };
    this.pulls.set(uri, state);
    const after = () => {
      this.pulls.delete(uri);
      state.source.dispose();
      if (state.again) this.pull(uri);
    };
    this.connection.sendRequest<DocumentDiagnosticReport>('textDocument/diagnostic', { textDocument: { uri }, previousResultId: this.resultIds.get(uri) }, state.source.token).then(
      (r) => {
        // an answer to a cancelled pull is dropped (the client pulls again), as vscode-languageclient drops it
        if (!state.source.token.isCancellationRequested && this.docs.has(uri)) {
          if (r.resultId !== undefined) this.resultIds.set(uri, r.resultId);
          this.pullCounts[r.kind]++;
          this.lastReport.set(uri, r.kind);
          const p: PublishDiagnosticsParams = { uri, version, diagnostics: r.kind === 'full' ? r.items : this.diagnostics.get(uri)?.diagnostics ?? [] };
          this.diagnostics.set(uri, p);
          this.fire(this.diagWaiters, p);
        } else this.pullCounts.cancelled++;
        after();
      },
      (e: unknown) => {
        if (state.source.token.isCancellationRequested) this.pullCounts.cancelled++;
        else this.pullErrors.push(String(e));
        after();
      },
    );
  }

  /** Replaces the whole text (a full-content change), as some editors send. */
  change(uri: string, text: string): number {
    const doc = this.docs.get(uri)!;
    const next = TextDocument.create(uri, doc.languageId, doc.version + 1, text);
    this.docs.set(uri, next);
    void this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: next.version }, contentChanges: [{ text }] });
    this.pull(uri);
    return next.version;
  }

  /** Incremental edits (as VS Code sends them). */
  edit(uri: string, edits: TextEdit[]): number {
    const doc = this.docs.get(uri)!;
    const text = TextDocument.applyEdits(doc, edits);
    const next = TextDocument.create(uri, doc.languageId, doc.version + 1, text);
    this.docs.set(uri, next);
    // content changes apply one after the other: from the end of the document, earlier ranges stay valid; of two at the same
    // place, the later one first (an insertion, then a replacement starting where it was, both kept as applyEdits keeps them:
    // found by the fuzz comparing the server's text with this one)
    const ordered = edits.map((e, i) => ({ e, i })).sort((a, b) => doc.offsetAt(b.e.range.start) - doc.offsetAt(a.e.range.start) || b.i - a.i).map((x) => x.e);
    void this.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: next.version },
      contentChanges: ordered.map((e) => ({ range: e.range, text: e.newText })),
    });
    this.pull(uri);
    return next.version;
  }

  close(uri: string): void {
    this.docs.delete(uri);
    if (this.pullMode) {
      // as vscode-languageclient forgets a closed document's pulled diagnostics
      this.pulls.get(uri)?.source.cancel();
      this.resultIds.delete(uri);
      this.diagnostics.delete(uri);
    }
    void this.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  text(uri: string): string {
    return this.docs.get(uri)?.getText() ?? readFileSync(pathOf(uri), 'utf8');
  }

  /** A file on disk changed (as the editor's file watcher reports). */
  fileChanged(file: string, type: FileChangeType = FileChangeType.Changed): void {
    void this.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(file), type }] });
  }

  writeFile(file: string, text: string): void {
    const existed = existsSync(file);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    this.fileChanged(file, existed ? FileChangeType.Changed : FileChangeType.Created);
  }

  setSettings(settings: Record<string, unknown>): void {
    this.settings = settings;
    void this.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
  }

  codeActions(uri: string, diagnostics: Diagnostic[], only?: string[], range?: Range): Promise<CodeAction[]> {
    const r = range ?? diagnostics[0]?.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    const params: CodeActionParams = { textDocument: { uri }, range: r, context: { diagnostics, only } };
    return this.connection.sendRequest<CodeAction[] | null>('textDocument/codeAction', params).then((x) => x ?? []);
  }

  hover(uri: string, offset: number): Promise<Hover | null> {
    const doc = this.docs.get(uri)!;
    return this.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: doc.positionAt(offset) });
  }

  completion(uri: string, offset: number): Promise<CompletionList> {
    const doc = this.docs.get(uri)!;
    return this.connection
      .sendRequest<CompletionList | CompletionItem[] | null>('textDocument/completion', { textDocument: { uri }, position: doc.positionAt(offset) })
      .then((r) => (Array.isArray(r) ? { isIncomplete: false, items: r } : r ?? { isIncomplete: false, items: [] }));
  }

  executeCommand(command: string, args: unknown[]): Promise<unknown> {
    return this.connection.sendRequest('workspace/executeCommand', { command, arguments: args });
  }

  request<R>(method: string, params?: unknown): Promise<R> {
    return this.connection.sendRequest<R>(method, params);
  }

  /** Applies a WorkspaceEdit the way an editor does: open documents in memory (then didChange), other files on disk. */
  applyWorkspaceEdit(edit: WorkspaceEdit): void {
    const perUri: { uri: string; version: number | null; edits: TextEdit[] }[] = [];
    for (const ch of edit.documentChanges ?? []) {
      if ('kind' in ch) {
        if (ch.kind !== 'create') throw new Error(`unsupported resource operation ${ch.kind}`);
        const file = pathOf(ch.uri);
        if (!existsSync(file) || !ch.options?.ignoreIfExists) this.writeFile(file, '');
        continue;
      }
      const tde = ch as TextDocumentEdit;
      perUri.push({ uri: tde.textDocument.uri, version: tde.textDocument.version, edits: tde.edits as TextEdit[] });
    }
    for (const [uri, edits] of Object.entries(edit.changes ?? {})) perUri.push({ uri, version: null, edits });
    for (const { uri, version, edits } of perUri) {
      const doc = this.docs.get(uri);
      if (doc) {
        if (version !== null && version !== doc.version) throw new Error(`version mismatch for ${uri}: edit for ${version}, document at ${doc.version}`);
        this.edit(uri, edits);
      } else {
        const file = pathOf(uri);
        const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
        this.writeFile(file, TextDocument.applyEdits(TextDocument.create(uri, 'json', 0, before), edits));
      }
    }
  }

  /** Applies a code action's edit (as choosing it in the editor does). */
  apply(action: CodeAction): void {
    if (!action.edit) throw new Error(`code action "${action.title}" has no edit`);
    this.applyWorkspaceEdit(action.edit);
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
      await this.connection.sendNotification('exit');
    } catch {
      // already gone
    }
    const exited = new Promise<void>((resolve) => {
      if (this.proc.exitCode !== null) resolve();
      else this.proc.once('exit', () => resolve());
    });
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
    if (this.proc.exitCode === null) this.proc.kill();
    this.connection.dispose();
  }
}

/** The analysis diagnostics of a set: by code. */
export function byCode(ds: Diagnostic[], code: string): Diagnostic[] {
  return ds.filter((d) => d.code === code);
}

/** A diagnostic's message as text (LSP 3.18 also allows markup). */
export function msg(d: Diagnostic): string {
  return typeof d.message === 'string' ? d.message : d.message.value;
}
