/**
 * The VS Code side: starts the bundled language server, shows its status, and runs the refine
 * commands as refactor previews. Everything IAM happens in the server.
 */
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, RevealOutputChannelOn, ServerOptions, TransportKind } from 'vscode-languageclient/node';
import { Commands, FileRefinement, InitializationOptions, RefinementRequest, StatusNotification, StatusParams } from '../../shared/protocol';
import { StatusView } from './status';
import { liveClientOptions, registerLiveCommands, watchLiveOptions } from './live';
import { registerExplain } from './explain';
import { registerCatalogCommands } from './catalog';

let client: LanguageClient | undefined;

/**
 * The documents the server reads: JSON/JSONC policies and CloudFormation JSON, YAML templates (SAM,
 * Serverless), Terraform. `.tf` files are matched by name too: without a Terraform extension VS Code
 * opens them as plain text. Terraform JSON (`*.tf.json`) opens as `json` (the server reads it as
 * Terraform by its name).
 */
const SELECTOR: { scheme: string; language?: string; pattern?: string }[] = [
  ...['json', 'jsonc', 'yaml', 'terraform', 'hcl'].flatMap((language) => [
    { scheme: 'file', language },
    { scheme: 'untitled', language },
  ]),
  { scheme: 'file', pattern: '**/*.tf' },
  // Terraform templates of policies (`policy.json.tftpl`): read as JSON with template syntax
  { scheme: 'file', pattern: '**/*.tftpl' },
];

/** What the extension exports: its status, for tests and other extensions. */
export interface IamRefinerApi {
  status(): ReturnType<StatusView['snapshot']>;
  onDidChangeStatus: vscode.Event<void>;
  /**
   * The document version whose diagnostics the editor was last given for a uri (pulled: a full
   * answer, or `unchanged` — the diagnostics then keep the version they were computed on in their
   * data). For tests and other extensions: VS Code tells of no pull answered unchanged.
   */
  pulledVersion(uri: vscode.Uri): number | undefined;
  /** Fires after each pull answered, once the editor holds its diagnostics. */
  onDidPullDiagnostics: vscode.Event<vscode.Uri>;
}

/**
 * What the server's environment adds to the extension host's (vscode-languageclient merges it in):
 * on Linux, glibc's MALLOC_ARENA_MAX=2 unless the user set it. Without it every V8 helper thread
 * (collector, compiler) keeps a malloc arena of its own, and a server that analysed ReadOnlyAccess
 * through 1,000 keystrokes held 9 MB more (124.3 against 115.1 MB RSS, the same edit times). It counts
 * where the server's Node allocates with glibc (Linux: VS Code Server for Remote and WSL, code-server).
 */
function serverEnv(): Record<string, string> {
  return process.platform === 'linux' && process.env.MALLOC_ARENA_MAX === undefined ? { MALLOC_ARENA_MAX: '2' } : {};
}

export async function activate(context: vscode.ExtensionContext): Promise<IamRefinerApi> {
  const log = vscode.window.createOutputChannel('IAM Policy Refiner', { log: true });
  context.subscriptions.push(log);

  const module = context.asAbsolutePath('dist/server.js');
  // stdio, not node-ipc: on stdio the server writes its messages itself (server/src/lsp/wire.ts), a publish of a thousand
  // diagnostics a third of what JSON.stringify costs; node-ipc's messages are always Node's own JSON.stringify
  const env = serverEnv();
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.stdio, options: { env } },
    debug: { module, transport: TransportKind.stdio, options: { env, execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  // a function: a restarted server gets the endpoint and trust of that moment
  const initializationOptions = (): InitializationOptions => ({ clientCommands: true, explainView: true, pullDiagnostics: true, live: liveClientOptions(context) });
  const pulled = new Map<string, number>();
  const pulledEvent = new vscode.EventEmitter<vscode.Uri>();
  context.subscriptions.push(pulledEvent, vscode.workspace.onDidCloseTextDocument((d) => pulled.delete(d.uri.toString())));
  const clientOptions: LanguageClientOptions = {
    documentSelector: SELECTOR,
    outputChannel: log,
    // the status item leads to the log; a handler's logged error must not pop the panel open
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    initializationOptions,
    // command links in hovers: only the one that opens the Explain Refinement picture
    markdown: { isTrusted: { enabledCommands: [Commands.explainRefinement] }, supportHtml: false },
    // the diagnostics pulled after every change (initializationOptions.pullDiagnostics): a keystroke that moves none of a
    // broad policy's thousand diagnostics gets `unchanged`, a few bytes, where a publish sends them all again
    diagnosticPullOptions: { onChange: true, onSave: false },
    middleware: {
      provideDiagnostics: async (document, previousResultId, token, next) => {
        const version = document instanceof vscode.Uri ? undefined : document.version;
        const uri = document instanceof vscode.Uri ? document : document.uri;
        const report = await next(document, previousResultId, token);
        if (report && version !== undefined && !token.isCancellationRequested) {
          pulled.set(uri.toString(), version);
          // after the language client has put the answer in its collection (the continuation of this promise)
          setTimeout(() => pulledEvent.fire(uri), 0);
        }
        return report;
      },
      workspace: {
        // the endpoint goes to the server only through the live options (machine scope); the server
        // ignores it in settings anyway, and here it is not even sent
        configuration: async (params, token, next) => {
          const result = await next(params, token);
          if (!Array.isArray(result)) return result;
          return result.map((v) => {
            const live = (v as { live?: Record<string, unknown> } | null)?.live;
            if (!live || typeof live !== 'object' || !('endpoint' in live)) return v;
            const { endpoint: _ignored, ...rest } = live;
            return { ...(v as object), live: rest };
          });
        },
      },
    },
  };
  const lc = new LanguageClient('iamRefiner', 'IAM Policy Refiner', serverOptions, clientOptions);
  client = lc;

  const status = new StatusView(SELECTOR, Commands.showOutput, Commands.refreshLiveFindings);
  context.subscriptions.push(status);
  context.subscriptions.push(
    lc.onNotification(StatusNotification, (params: StatusParams) => status.update(params)),
    vscode.window.onDidChangeActiveTextEditor(() => status.render()),
    vscode.commands.registerCommand(Commands.showOutput, () => log.show(true)),
    vscode.commands.registerCommand(Commands.refineFile, async (arg?: vscode.Uri | string) => {
      const uri = typeof arg === 'string' ? vscode.Uri.parse(arg) : arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
      if (!uri) {
        void vscode.window.showWarningMessage('IAM Refiner: open a policy file first.');
        return;
      }
      await previewRefinement(lc, log, [uri]);
    }),
    vscode.commands.registerCommand(Commands.refineAll, () => previewRefinement(lc, log, undefined)),
    vscode.commands.registerCommand(Commands.restartServer, async () => {
      log.info('restarting the language server');
      await lc.restart();
    }),
    ...registerLiveCommands(lc, log),
    ...registerCatalogCommands(lc, log),
    ...watchLiveOptions(lc),
  );
  registerExplain(context, () => lc, log);

  try {
    await lc.start();
  } catch (e) {
    log.error(`the language server did not start: ${e instanceof Error ? e.message : e}`);
    void vscode.window.showErrorMessage('IAM Policy Refiner: the language server did not start; see the output.');
  }
  return { status: () => status.snapshot(), onDidChangeStatus: status.onDidChange, pulledVersion: (uri) => pulled.get(uri.toString()), onDidPullDiagnostics: pulledEvent.event };
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) await c.stop();
}

/**
 * Asks the server for the verified refinement and shows it in VS Code's Refactor Preview to accept.
 * Each file's refinement becomes ONE change (the span from its first to its last edit), so the
 * preview can accept or leave a file's verified refinement, never a part of it. VS Code starts
 * changes that need confirmation unticked; if the preview is applied with nothing ticked, the user
 * is told so and offered to apply without the preview. A file edited meanwhile is not touched.
 */
async function previewRefinement(lc: LanguageClient, log: vscode.LogOutputChannel, uris: vscode.Uri[] | undefined, direct = false): Promise<void> {
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: uris ? 'Refining IAM policy…' : 'Refining IAM policy files…' },
    () => lc.sendRequest(RefinementRequest, { uris: uris?.map((u) => lc.code2ProtocolConverter.asUri(u)) }),
  );
  const name = (f: FileRefinement) => vscode.workspace.asRelativePath(lc.protocol2CodeConverter.asUri(f.uri));
  for (const f of result.files) {
    if (f.error) {
      log.warn(`${name(f)}: ${f.error}`);
      if (f.nothingLeft || uris) void vscode.window.showWarningMessage(`${name(f)}: ${f.error}`);
    } else if (f.summary) log.info(`${name(f)}: ${f.summary}`);
  }
  const changed = result.files.filter((f) => f.status === 'changed');
  if (changed.length === 0) {
    if (!result.files.some((f) => f.error)) {
      void vscode.window.showInformationMessage(uris ? 'Nothing to refine: no action this file allows is unused.' : 'No policy file has unused permissions to refine.');
    }
    return;
  }
  // the edit is for the versions the server saw; a document changed since is not refined blindly
  for (const f of changed) {
    if (f.version === null) continue;
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === lc.protocol2CodeConverter.asUri(f.uri).toString());
    if (doc && doc.version !== f.version) {
      void vscode.window.showWarningMessage(`${name(f)} changed while it was being refined; run the command again.`);
      return;
    }
  }
  const converted = await lc.protocol2CodeConverter.asWorkspaceEdit(result.edit);
  const edit = new vscode.WorkspaceEdit();
  const summaries = new Map(changed.map((f) => [lc.protocol2CodeConverter.asUri(f.uri).toString(), f.summary!]));
  const before = new Map<string, number>();
  for (const [uri, edits] of converted.entries()) {
    if (edits.length === 0) continue;
    const doc = await vscode.workspace.openTextDocument(uri);
    before.set(uri.toString(), doc.version);
    const metadata: vscode.WorkspaceEditEntryMetadata = {
      needsConfirmation: !direct,
      label: 'Least-privilege refinement (verified)',
      description: summaries.get(uri.toString()),
    };
    const one = asOneEdit(doc, edits);
    edit.replace(uri, one.range, one.newText, metadata);
  }
  const applied = await vscode.workspace.applyEdit(edit, { isRefactoring: true });
  const changedDocs = [...before].filter(([u, v]) => vscode.workspace.textDocuments.find((d) => d.uri.toString() === u)?.version !== v).length;
  if (applied && changedDocs > 0) {
    log.info(`refinement applied to ${changedDocs} file(s)`);
    return;
  }
  log.info('refinement preview dismissed or applied with nothing ticked');
  if (direct) return;
  // not awaited: the command is over; the offer stays until the user answers it
  void vscode.window
    .showInformationMessage('The refinement was not applied: in the Refactor Preview, tick the file to accept its refinement, then Apply.', 'Apply Without Preview')
    .then((choice) => (choice === 'Apply Without Preview' ? previewRefinement(lc, log, uris, true) : undefined));
}

/** Edits of one document as one replacement, from the first edit's start to the last edit's end. */
function asOneEdit(doc: vscode.TextDocument, edits: vscode.TextEdit[]): { range: vscode.Range; newText: string } {
  const spans = edits.map((e) => ({ start: doc.offsetAt(e.range.start), end: doc.offsetAt(e.range.end), text: e.newText })).sort((a, b) => a.start - b.start);
  const from = spans[0].start;
  const to = Math.max(...spans.map((x) => x.end));
  const text = doc.getText();
  let out = '';
  let at = from;
  for (const x of spans) {
    out += text.slice(at, x.start) + x.text;
    at = x.end;
  }
  out += text.slice(at, to);
  return { range: new vscode.Range(doc.positionAt(from), doc.positionAt(to)), newText: out };
}
