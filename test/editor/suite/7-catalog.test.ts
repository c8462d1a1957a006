/**
 * "IAM Refiner: Update Action Catalog" in the real editor: the Service Reference stand-in on
 * 127.0.0.1, its URL in the user's (machine-scoped) iamRefiner.catalog.serviceReferenceUrl, a
 * second stand-in named by the workspace's .vscode/settings.json that must never be contacted, the
 * catalog's date in the status, and s3:Get* keeping the action the stand-in added.
 *
 * The language server is a child of the extension host and reads the per-user cache at
 * $XDG_CACHE_HOME: this suite points it at a temporary directory (restarting the server) and puts
 * everything back afterwards, so the suites after it see the bundled catalog again.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { UpdateCatalogResult } from '../../../shared/protocol';
import { EXPECTED_S3, EXTENSION_ID, byCode, openFile, restoreAll, snapshotWorkspace, waitForDiagnostics, writeJson } from './helpers';

// the compiled stand-in and the bundled catalog (out/test/support, out/server/src/workspace), next to this compiled file's parent
const { startFakeServiceReference } = require(path.join(__dirname, '..', '..', 'support', 'fakeServiceReference.js')) as typeof import('../../support/fakeServiceReference');
const { defaultCatalog } = require(path.join(__dirname, '..', '..', '..', 'server', 'src', 'workspace', 'catalogFile.js')) as typeof import('../../../server/src/workspace/catalogFile');

const NEW_ACTION = 's3:GetBucketNewFeature';
type Status = { catalogDate?: string; catalogOrigin?: string; catalog?: string } | undefined;

function status(): Status {
  return (vscode.extensions.getExtension(EXTENSION_ID)?.exports as { status(): Status } | undefined)?.status();
}

function waitForStatus(test: (s: Status) => boolean, what: string, timeoutMs = 30_000): Promise<Status> {
  const api = vscode.extensions.getExtension(EXTENSION_ID)?.exports as { status(): Status; onDidChangeStatus: vscode.Event<void> };
  if (test(api.status())) return Promise.resolve(api.status());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (sub.dispose(), reject(new Error(`timed out waiting for ${what}: ${JSON.stringify(api.status())}`))), timeoutMs);
    const sub = api.onDidChangeStatus(() => {
      if (test(api.status())) (clearTimeout(timer), sub.dispose(), resolve(api.status()));
    });
  });
}

describe('Update Action Catalog', function () {
  this.timeout(90_000);
  let trusted: Awaited<ReturnType<typeof startFakeServiceReference>>;
  let fromWorkspace: Awaited<ReturnType<typeof startFakeServiceReference>>;
  let cacheDir: string;
  const saved = { XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, URL: process.env.IAM_REFINER_SERVICE_REFERENCE_URL };

  before(async () => {
    await snapshotWorkspace();
    trusted = await startFakeServiceReference({ catalog: defaultCatalog(), add: { [NEW_ACTION]: 'R' } });
    fromWorkspace = await startFakeServiceReference({ catalog: defaultCatalog() });
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-refiner-editor-catalog-'));
    process.env.XDG_CACHE_HOME = cacheDir;
    delete process.env.IAM_REFINER_SERVICE_REFERENCE_URL;
    await vscode.commands.executeCommand('iamRefiner.restartServer');
    // a cloned repository's settings name a Service Reference of their own: never used
    await writeJson('.vscode/settings.json', { 'iamRefiner.catalog.serviceReferenceUrl': fromWorkspace.url });
    await vscode.workspace.getConfiguration('iamRefiner').update('catalog.serviceReferenceUrl', trusted.url, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await vscode.workspace.getConfiguration('iamRefiner').update('catalog.serviceReferenceUrl', undefined, vscode.ConfigurationTarget.Global);
    await restoreAll();
    for (const [k, v] of [['XDG_CACHE_HOME', saved.XDG_CACHE_HOME], ['IAM_REFINER_SERVICE_REFERENCE_URL', saved.URL]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await vscode.commands.executeCommand('iamRefiner.restartServer');
    await trusted?.close();
    await fromWorkspace?.close();
    if (cacheDir) fs.rmSync(cacheDir, { recursive: true, force: true });
  });

  it('fetches from the user-level URL (not the workspace one) and s3:Get* keeps the new action', async () => {
    const doc = await openFile('policy.json');
    await waitForDiagnostics(doc.uri, (ds) => byCode(ds, 'unused-wildcard').some((d) => d.message.startsWith('s3:Get* allows 22 unused actions (of 63)')), { what: 'the bundled catalog' });
    await waitForStatus((s) => s?.catalogOrigin === 'bundled' && s.catalogDate === '2026-09-26', 'the bundled catalog in the status');

    const r = await vscode.commands.executeCommand<UpdateCatalogResult | undefined>('iamRefiner.updateCatalog');
    assert.ok(r, 'the command returns its result');
    assert.equal(r.ok, true, r.message);
    assert.equal(r.added, 1);
    assert.equal(trusted.requests.length, 457, 'the index and every service from the user-level URL');
    assert.deepEqual(fromWorkspace.requests, [], 'the URL in the workspace settings was never contacted');
    assert.ok(fs.existsSync(path.join(cacheDir, 'iam-policy-refiner', 'catalog.json')));

    const ds = await waitForDiagnostics(doc.uri, (x) => byCode(x, 'unused-wildcard').some((d) => d.message.startsWith('s3:Get* allows 22 unused actions (of 64) [')), { what: 'the fetched catalog', doc });
    const w = byCode(ds, 'unused-wildcard')[0];
    const fixes = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, w.range)) ?? [];
    assert.ok(fixes.some((f) => f.title === `Refine s3:Get* to ${EXPECTED_S3.length + 1} patterns`), fixes.map((f) => f.title).join('; '));
    const s = await waitForStatus((x) => x?.catalogOrigin === 'cache', 'the fetched catalog in the status');
    assert.match(s?.catalog ?? '', /^AWS Service Reference .*22092 actions/);
    assert.equal(status()?.catalogOrigin, 'cache');
  });
});
