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

  it('exposes its status: findings, unused actions, catalog', async () => {
    // the language status item cannot be read through the VS Code API: activate() returns it
    type Status = { catalogVersion?: string; folders?: { unusedActions: number }[]; text: string; detail?: string } | undefined;
    const api = vscode.extensions.getExtension(EXTENSION_ID)?.exports as { status(): Status; onDidChangeStatus: vscode.Event<void> } | undefined;
    assert.ok(api && typeof api.status === 'function', 'activate() exports no status API');
    const ready = (s: Status) => !!s && s.folders?.[0]?.unusedActions === 30;
    let s = api.status();
    if (!ready(s)) {
      s = await new Promise<Status>((resolve, reject) => {
        const timer = setTimeout(() => (sub.dispose(), reject(new Error(`status never showed 30 unused actions: ${JSON.stringify(api.status())}`))), 30_000);
        const sub = api.onDidChangeStatus(() => {
          const now = api.status();
          if (ready(now)) (clearTimeout(timer), sub.dispose(), resolve(now));
        });
      });
    }
    assert.match(s!.catalogVersion ?? '', /^0\.21\.202609261$/);
    assert.match(s!.text, /IAM: 30 unused/);
    assert.match(s!.detail ?? '', /findings\.json/);
  });
});
