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

  it('starts the language server with MALLOC_ARENA_MAX=2 on Linux (one malloc arena per V8 thread held 9 MB more)', async function () {
    if (process.platform !== 'linux') this.skip();
    const { readdirSync, readFileSync } = await import('node:fs');
    // the server: a child of this extension host running dist/server.js
    const servers = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((pid) => {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
          return ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('dist/server.js');
        } catch {
          return false;
        }
      });
    assert.equal(servers.length, 1, `language server processes under the extension host ${process.pid}: ${servers.join(', ')}`);
    const env = readFileSync(`/proc/${servers[0]}/environ`, 'utf8').split('\0');
    assert.ok(env.includes(process.env.MALLOC_ARENA_MAX === undefined ? 'MALLOC_ARENA_MAX=2' : `MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX}`), env.filter((e) => e.startsWith('MALLOC')).join(' ') || 'no MALLOC_ARENA_MAX');
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
