/** The extension activates on a policy file and contributes its commands. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, openFile, restoreAll, snapshotWorkspace, waitForExampleDiagnostics } from './helpers';

before(async () => {
  await snapshotWorkspace();
});

describe('activation', () => {
  after(restoreAll);

  it('is installed and activates when a JSON policy opens', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not installed; extensions: ${vscode.extensions.all.map((e) => e.id).filter((id) => !id.startsWith('vscode.')).join(', ')}`);
    const doc = await openFile('policy.json');
    assert.equal(doc.languageId, 'json');
    await ext.activate();
    assert.equal(ext.isActive, true);
    assert.equal(ext.packageJSON.name, 'iam-policy-refiner');
    // the language server is up once it has published the example's diagnostics
    await waitForExampleDiagnostics(doc);
  });

  it('contributes its commands', async () => {
    const all = await vscode.commands.getCommands(true);
    for (const c of ['iamRefiner.refineFile', 'iamRefiner.refineAll', 'iamRefiner.showOutput']) assert.ok(all.includes(c), `${c} not registered`);
    // the log opens without an error
    await vscode.commands.executeCommand('iamRefiner.showOutput');
  });

  it('exposes its status (findings, catalog) to tests', function () {
    // The language status item (client/src/status.ts) cannot be read through the VS Code API;
    // activate() returns nothing. The UI steps (test/editor/ui-steps.mjs) check the item on screen.
    const api = vscode.extensions.getExtension(EXTENSION_ID)?.exports as { status?: () => unknown } | undefined;
    if (!api || typeof api.status !== 'function') this.skip();
    const s = api!.status!() as { catalogVersion?: string; folders?: { unusedActions: number }[] } | undefined;
    assert.ok(s?.catalogVersion, 'status has no catalog version');
    assert.equal(s?.folders?.[0]?.unusedActions, 30);
  });
});
