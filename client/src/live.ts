/**
 * The VS Code side of the live mode: the machine-only endpoint and workspace trust passed to the
 * server, and the commands (refresh, save, compare with AWS's recommendation). Every AWS call
 * happens in the language server; this file only asks it and shows the answers.
 */
import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';
import {
  AwsPolicyAdvice,
  AwsRecommendationRequest,
  AwsRecommendationResult,
  Commands,
  LiveClientOptions,
  LiveFindingsFolder,
  LiveFindingsRequest,
  LiveOptionsNotification,
  LiveRefreshRequest,
  LiveRefreshResult,
} from '../../shared/protocol';

/** The scheme of the read-only documents showing AWS's recommendation and the local refinement. */
export const AWS_SCHEME = 'iam-refiner-aws';

/**
 * The endpoint override: only the user's (or the default) value of the machine-scoped setting. A
 * value from workspace or folder settings is ignored: a repository must not be able to send
 * requests signed with the user's credentials elsewhere.
 */
export function machineEndpoint(): string | undefined {
  const i = vscode.workspace.getConfiguration('iamRefiner').inspect<string>('live.endpoint');
  const v = i?.globalValue ?? i?.defaultValue;
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

/** What the server needs to know at start: where the cache goes, the endpoint, the trust. */
export function liveClientOptions(context: vscode.ExtensionContext): LiveClientOptions {
  const storage = context.globalStorageUri;
  return {
    storagePath: storage.scheme === 'file' ? storage.fsPath : undefined,
    endpoint: machineEndpoint(),
    trusted: vscode.workspace.isTrusted,
  };
}

/** Keeps the server told of the endpoint and trust as they change. */
export function watchLiveOptions(lc: LanguageClient): vscode.Disposable[] {
  const send = () => {
    if (!lc.isRunning()) return;
    lc.sendNotification(LiveOptionsNotification, { endpoint: machineEndpoint(), trusted: vscode.workspace.isTrusted }).catch(() => undefined);
  };
  return [
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('iamRefiner.live.endpoint')) send();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(send),
  ];
}

/** Read-only documents: AWS's recommended policy and the local refinement, for the diff view. */
class AwsDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly contents = new Map<string, string>();
  private counter = 0;
  private readonly closing = vscode.workspace.onDidCloseTextDocument((d) => {
    if (d.uri.scheme === AWS_SCHEME) this.contents.delete(d.uri.toString());
  });

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '// no longer available: run "IAM Refiner: Compare with AWS Recommendation" again\n';
  }

  /** A new document (a fresh URI each time, so VS Code never shows an old one). */
  put(label: string, fileName: string, text: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: AWS_SCHEME, path: `/${label}/${fileName}`, query: `v=${++this.counter}` });
    this.contents.set(uri.toString(), text);
    return uri;
  }

  dispose(): void {
    this.closing.dispose();
    this.contents.clear();
  }
}

const baseName = (uri: vscode.Uri) => uri.path.slice(uri.path.lastIndexOf('/') + 1);
const roleName = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

/** The folder of the active editor, when it has one. */
function activeFolderUri(lc: LanguageClient): string | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  const wf = doc && vscode.workspace.getWorkspaceFolder(doc.uri);
  return wf ? lc.code2ProtocolConverter.asUri(wf.uri) : undefined;
}

export function registerLiveCommands(lc: LanguageClient, log: vscode.LogOutputChannel): vscode.Disposable[] {
  const docs = new AwsDocuments();
  return [
    docs,
    vscode.workspace.registerTextDocumentContentProvider(AWS_SCHEME, docs),
    vscode.commands.registerCommand(Commands.refreshLiveFindings, () => refresh(lc, log)),
    vscode.commands.registerCommand(Commands.saveLiveFindings, (target?: vscode.Uri) => save(lc, log, target)),
    vscode.commands.registerCommand(Commands.compareWithAwsRecommendation, (arg?: vscode.Uri) => compare(lc, log, docs, arg)),
  ];
}

/** `IAM Refiner: Refresh Findings from Access Analyzer`: every live folder fetches now. Returns the result (tests). */
async function refresh(lc: LanguageClient, log: vscode.LogOutputChannel): Promise<LiveRefreshResult | undefined> {
  if (!lc.isRunning()) {
    void vscode.window.showWarningMessage('IAM Refiner: the language server is not running.');
    return undefined;
  }
  // the server shows the progress (cancellable) while it fetches
  const result = await lc.sendRequest(LiveRefreshRequest, {});
  if (result.folders.length === 0) {
    if (result.reason) void vscode.window.showWarningMessage(`IAM Refiner: ${result.reason}`);
    return result;
  }
  const multi = result.folders.length > 1;
  for (const f of result.folders) {
    const text = `${multi ? `${f.folderName}: ` : ''}${f.message}`;
    if (f.ok) {
      log.info(text);
      void vscode.window.showInformationMessage(`IAM Refiner: ${text}`);
    } else if (f.cancelled) log.info(text);
    else {
      log.warn(text);
      void vscode.window.showErrorMessage(`IAM Refiner: ${text}`);
    }
  }
  return result;
}

/** `IAM Refiner: Save Live Findings to Workspace`: the findings in use, as a findings file the user can review and commit. */
async function save(lc: LanguageClient, log: vscode.LogOutputChannel, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
  if (!lc.isRunning()) return undefined;
  const result = await lc.sendRequest(LiveFindingsRequest, { folderUri: activeFolderUri(lc) });
  let folder: LiveFindingsFolder | undefined = result.folders[0];
  if (!folder) {
    void vscode.window.showWarningMessage(`IAM Refiner: ${result.reason ?? 'No live findings to save.'}`);
    return undefined;
  }
  if (result.folders.length > 1) {
    const pick = await vscode.window.showQuickPick(
      result.folders.map((f) => ({ label: f.folderName, description: `${f.findings} findings from ${f.label}`, folder: f })),
      { placeHolder: 'Whose live findings?' },
    );
    if (!pick) return undefined;
    folder = pick.folder;
  }
  const folderUri = lc.protocol2CodeConverter.asUri(folder.folderUri);
  let uri = target instanceof vscode.Uri ? target : undefined;
  if (!uri) {
    uri = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(folderUri, 'findings', 'access-analyzer.json'),
      filters: { JSON: ['json'] },
      saveLabel: 'Save Findings',
      title: `Save the ${folder.findings} findings from ${folder.label}`,
    });
    if (!uri) return undefined;
  }
  await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(uri, '..'));
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(folder.text));
  const where = vscode.workspace.asRelativePath(uri);
  log.info(`saved ${folder.findings} live findings from ${folder.label} (fetched ${folder.fetchedAt ?? '?'}) to ${where}`);
  void vscode.window.showInformationMessage(`IAM Refiner: ${folder.findings} findings from ${folder.label} saved to ${where}.`, 'Open').then((choice) => {
    if (choice === 'Open') void vscode.window.showTextDocument(uri!);
  });
  return uri;
}

/** The left side of the diff: AWS's recommended policy, or a note that AWS recommends detaching it. */
function awsText(item: AwsPolicyAdvice, role: string): string {
  if (item.recommendedPolicy) return item.recommendedPolicy + '\n';
  return [
    `// AWS recommends detaching this policy${item.policyId ? ` (${item.policyId})` : ''} from ${roleName(role)}:`,
    '// none of the permissions it grants was used in the tracking period.',
    '{',
    '  "Version": "2012-10-17",',
    '  "Statement": []',
    '}',
    '',
  ].join('\n');
}

function localText(r: Extract<AwsRecommendationResult, { kind: 'ok' }>): string {
  if (r.localText !== undefined) return r.localText;
  return `// No local refinement: ${r.localNote ?? 'none could be computed'}.\n`;
}

type CompareOutcome = Extract<AwsRecommendationResult, { kind: 'ok' }> & { item: AwsPolicyAdvice; left: vscode.Uri; right: vscode.Uri };

/**
 * `IAM Refiner: Compare with AWS Recommendation`: asks the server (which asks AWS), then shows AWS's
 * recommended policy (left) beside the local refinement of the current file (right), and how they differ.
 */
async function compare(lc: LanguageClient, log: vscode.LogOutputChannel, docs: AwsDocuments, arg?: vscode.Uri): Promise<CompareOutcome | undefined> {
  const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
  if (!uri) {
    void vscode.window.showWarningMessage('IAM Refiner: open a policy file first.');
    return undefined;
  }
  if (!lc.isRunning()) return undefined;
  const ask = (role?: string): Thenable<AwsRecommendationResult> =>
    vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: "IAM Refiner: asking AWS for its recommendation (this can take half a minute)…", cancellable: true },
      async (_p, token) => {
        try {
          return await lc.sendRequest(AwsRecommendationRequest, { uri: lc.code2ProtocolConverter.asUri(uri), role }, token);
        } catch (e) {
          // cancelled from the notification: the server stops polling AWS; nothing to report
          if (token.isCancellationRequested) return { kind: 'error', message: 'cancelled' };
          throw e;
        }
      },
    );
  let r = await ask();
  if (r.kind === 'choose-role') {
    const pick = await vscode.window.showQuickPick(
      r.roles.map((arn) => ({ label: roleName(arn), description: arn, arn })),
      { placeHolder: `${baseName(uri)} is bound to several roles: which one's recommendation?` },
    );
    if (!pick) return undefined;
    r = await ask(pick.arn);
  }
  if (r.kind === 'error') {
    if (r.message !== 'cancelled') {
      log.warn(`AWS recommendation: ${r.message}`);
      void vscode.window.showErrorMessage(`IAM Refiner: ${r.message}`);
    }
    return undefined;
  }
  if (r.kind === 'nothing') {
    log.info(r.message);
    void vscode.window.showInformationMessage(`IAM Refiner: ${r.message}`);
    return undefined;
  }
  if (r.kind !== 'ok') return undefined;
  let index = r.chosen;
  if (index === undefined) {
    const pick = await vscode.window.showQuickPick(
      r.items.map((it, i) => ({ label: it.policyId || '(unnamed policy)', description: it.detach ? 'detach' : 'replace', i })),
      { placeHolder: `AWS's recommendation covers ${r.items.length} policies of ${roleName(r.role)}: which one is ${baseName(uri)}?` },
    );
    if (!pick) return undefined;
    index = pick.i;
  }
  const item = r.items[index];
  const name = baseName(uri);
  const left = docs.put('AWS recommendation', item.recommendedPolicy ? name : name.replace(/\.json$/i, '.jsonc'), awsText(item, r.role));
  const right = docs.put('local refinement', r.localText !== undefined ? name : name.replace(/\.json$/i, '.jsonc'), localText(r));
  await vscode.commands.executeCommand('vscode.diff', left, right, `${name}: AWS recommendation ↔ local refinement`, { preview: true });
  const head = item.detach ? 'AWS recommends detaching this policy' : `AWS's recommendation for ${roleName(r.role)}`;
  const summary = item.summary.startsWith('AWS recommends detaching this policy') ? item.summary : `${head}: ${item.summary}`;
  log.info(`${name} (${r.role}, finding ${r.findingId}): ${summary}`);
  void vscode.window.showInformationMessage(`IAM Refiner: ${summary}.`);
  return { ...r, item, left, right };
}
