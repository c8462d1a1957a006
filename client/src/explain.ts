/**
 * Explain Refinement: asks the server for the explanation of an entry (ExplainRequest) and shows
 * it in a webview panel (client/src/explainHtml.ts draws it). One panel, reused; scripts only with
 * the page's nonce; no local or remote resources.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';
import { Commands, ExplainParams, ExplainRequest } from '../../shared/protocol';
import { explainErrorHtml, explainHtml } from './explainHtml';

export const EXPLAIN_VIEW_TYPE = 'iamRefiner.explain';

export function registerExplain(context: vscode.ExtensionContext, client: () => LanguageClient | undefined, log: vscode.LogOutputChannel): void {
  let panel: vscode.WebviewPanel | undefined;
  context.subscriptions.push(
    vscode.commands.registerCommand(Commands.explainRefinement, async (arg?: ExplainParams) => {
      const lc = client();
      if (!lc) return;
      let params = arg && typeof arg.uri === 'string' ? arg : undefined;
      if (!params) {
        const editor = vscode.window.activeTextEditor;
        if (!editor) {
          void vscode.window.showInformationMessage('Explain Refinement: put the cursor on a wildcard of an IAM policy (such as "s3:Get*").');
          return;
        }
        params = { uri: lc.code2ProtocolConverter.asUri(editor.document.uri), position: lc.code2ProtocolConverter.asPosition(editor.selection.active) };
      }
      const r = await lc.sendRequest(ExplainRequest, params);
      const nonce = randomBytes(16).toString('hex');
      if (r.kind === 'error') log.info(`explain: ${r.message}`);
      const title = r.kind === 'ok' ? `Explain: ${r.title.replace(/ in .*$/, '')}` : 'Explain Refinement';
      if (!panel) {
        panel = vscode.window.createWebviewPanel(EXPLAIN_VIEW_TYPE, title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, { enableScripts: true, enableFindWidget: true, localResourceRoots: [] });
        panel.onDidDispose(() => (panel = undefined), undefined, context.subscriptions);
      } else panel.reveal(vscode.ViewColumn.Beside);
      panel.title = title;
      panel.webview.html = r.kind === 'ok' ? explainHtml(r, nonce) : explainErrorHtml(r.message, nonce);
    }),
  );
}
