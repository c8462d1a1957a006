/**
 * "IAM Refiner: Update Action Catalog": asks the server to fetch the current catalog from AWS's
 * Service Reference (the server does the fetching and uses the result at once). The only thing
 * decided here is the test override of the URL: the user's own value of the machine-scoped
 * `iamRefiner.catalog.serviceReferenceUrl`, never a workspace's or folder's.
 */
import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';
import { Commands, UpdateCatalogRequest, UpdateCatalogResult } from '../../shared/protocol';

/** The Service Reference URL override from user settings only (a workspace value is ignored). */
export function userServiceReferenceUrl(): string | undefined {
  const i = vscode.workspace.getConfiguration('iamRefiner').inspect<string>('catalog.serviceReferenceUrl');
  const v = i?.globalValue;
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

export function registerCatalogCommands(lc: LanguageClient, log: vscode.LogOutputChannel): vscode.Disposable[] {
  return [vscode.commands.registerCommand(Commands.updateCatalog, () => updateCatalog(lc, log))];
}

/** Runs the update (the server shows the progress, cancellable); returns the result (tests). */
async function updateCatalog(lc: LanguageClient, log: vscode.LogOutputChannel): Promise<UpdateCatalogResult | undefined> {
  if (!lc.isRunning()) {
    void vscode.window.showWarningMessage('IAM Refiner: the language server is not running.');
    return undefined;
  }
  const r = await lc.sendRequest(UpdateCatalogRequest, { url: userServiceReferenceUrl() });
  if (r.ok) {
    log.info(r.message);
    void vscode.window.showInformationMessage(`IAM Refiner: ${r.message}`);
  } else if (r.cancelled) log.info(r.message);
  else {
    log.warn(r.message);
    void vscode.window.showErrorMessage(`IAM Refiner: ${r.message}`);
  }
  return r;
}
