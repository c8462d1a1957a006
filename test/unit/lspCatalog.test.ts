/**
 * The catalog in the language server: its date in the status, the hover and every wildcard
 * diagnostic; stale warnings in messages, data and quick fix titles; "Update Action Catalog"
 * (iamRefiner/updateCatalog) against the Service Reference stand-in, after which every open
 * document is analysed over the new catalog; and the URL never taken from a workspace's settings.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MarkupContent } from 'vscode-languageserver-protocol';
import { LspClient, byCode, msg } from '../support/lspClient';
import { EXAMPLE, EXPECTED_S3 } from '../support/example';
import { writeFiles } from '../support/files';
import { startFakeServiceReference } from '../support/fakeServiceReference';
import { defaultCatalog } from '../../server/src/workspace/catalogFile';
import { SERVICE_REFERENCE_ENV } from '../../server/src/workspace/catalogUpdate';
import type { UpdateCatalogResult } from '../../shared/protocol';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tmp = (p: string) => {
  const d = mkdtempSync(path.join(tmpdir(), p));
  dirs.push(d);
  return d;
};

const NEW_ACTION = 's3:GetBucketNewFeature';

function v2Findings(analyzedAt: string): object {
  const list = JSON.parse(readFileSync(path.join(EXAMPLE, 'findings.json'), 'utf8')) as { serviceNamespace: string; actions: string[] }[];
  return {
    findings: [
      {
        id: 'f-1',
        resource: 'arn:aws:iam::123456789012:role/Deployer',
        findingType: 'UnusedPermission',
        status: 'ACTIVE',
        analyzedAt,
        findingDetails: list.map((d) => ({ unusedPermissionDetails: { serviceNamespace: d.serviceNamespace, actions: d.actions.map((action) => ({ action })) } })),
      },
    ],
  };
}

test('stale catalog in the editor: message, data, quick fix title, hover, status; Update Action Catalog from the environment URL (never the workspace one) clears it', async () => {
  const trusted = await startFakeServiceReference({ catalog: defaultCatalog(), add: { [NEW_ACTION]: 'R' } });
  const fromWorkspace = await startFakeServiceReference({ catalog: defaultCatalog() });
  const cache = tmp('iam-lsp-cache-');
  const dir = writeFiles(tmp('iam-lsp-catalog-'), {
    'policy.json': readFileSync(path.join(EXAMPLE, 'policy.json'), 'utf8'),
    'findings.json': v2Findings('2026-11-01T10:00:00Z'),
  });
  const { client: c } = await LspClient.start({
    folders: [dir],
    // a cloned repository's settings try to choose the Service Reference: ignored
    settings: { '*': { catalog: { serviceReferenceUrl: fromWorkspace.url } } },
    env: { XDG_CACHE_HOME: cache, [SERVICE_REFERENCE_ENV]: trusted.url },
  });
  try {
    const uri = c.open(path.join(dir, 'policy.json'));
    const ds = await c.waitForDiagnostics(uri, (d) => byCode(d, 'unused-wildcard').length === 1);
    const w = byCode(ds, 'unused-wildcard')[0];
    assert.match(msg(w), /^s3:Get\* allows 22 unused actions \(of 63\) \[Access Analyzer, role Deployer, findings of 2026-11-01, tracking period not stated\] — the action catalog may be stale \(@cloud-copilot\/iam-data, data of 2026-09-26\): the findings of 2026-11-01 are 36 days newer/);
    // what a quick fix needs, no more: its title (below) says the catalog may be stale, from the server's analysis
    assert.deepEqual(w.data, [1, 0, 1, 0]);
    for (const d of byCode(ds, 'unused-action')) assert.ok(!msg(d).includes('stale'), msg(d));
    const fixes = await c.codeActions(uri, [w]);
    const preferred = fixes.find((f) => f.isPreferred)!;
    assert.equal(preferred.title, 'Refine s3:Get* to 9 patterns (⚠ catalog of 2026-09-26 may be stale)');
    assert.equal(fixes.find((f) => f.title.startsWith('Refine the whole file'))?.title, 'Refine the whole file (⚠ catalog of 2026-09-26 may be stale)');
    const [fixAll] = await c.codeActions(uri, [], ['source.fixAll']);
    assert.match(fixAll.title, /^Refine the IAM policy \(removed 8 unused actions, refined 1 wildcard into 9 patterns\) \(⚠ catalog of 2026-09-26 may be stale\)$/);
    const text = c.text(uri);
    const h = await c.hover(uri, text.indexOf('"s3:Get*"') + 2);
    const hv = (h!.contents as MarkupContent).value;
    assert.match(hv, /catalog 0\.21\.202609261 \(@cloud-copilot\/iam-data\), data of 2026-09-26/);
    assert.match(hv, /⚠ The action catalog may be stale/);
    const st = await c.waitForStatus((s) => s.folders.length > 0 && !!s.folders[0].catalogStale);
    assert.equal(st.catalogDate, '2026-09-26');
    assert.equal(st.catalogOrigin, 'bundled');

    // the update: from the environment's URL; the workspace's stand-in hears nothing
    const t0 = performance.now();
    const r = await c.request<UpdateCatalogResult>('iamRefiner/updateCatalog', {});
    const ms = performance.now() - t0;
    assert.equal(r.ok, true, r.message);
    assert.match(r.message, /^Action catalog updated: AWS Service Reference .*1 action added \(s3:GetBucketNewFeature\), 0 removed/);
    assert.equal(r.added, 1);
    assert.equal(trusted.requests.length, 457);
    assert.deepEqual(fromWorkspace.requests, [], 'the URL in the workspace settings was never used');
    assert.ok(existsSync(path.join(cache, 'iam-policy-refiner', 'catalog.json')));
    console.log(`# Update Action Catalog through the server: ${ms.toFixed(0)} ms`);

    // every open document again, over the new catalog: no stale note, and s3:Get* keeps the new action
    const fresh = await c.waitForDiagnostics(uri, (d) => byCode(d, 'unused-wildcard').length === 1 && !msg(byCode(d, 'unused-wildcard')[0]).includes('stale'));
    const w2 = byCode(fresh, 'unused-wildcard')[0];
    assert.equal(msg(w2), 's3:Get* allows 22 unused actions (of 64) [Access Analyzer, role Deployer, findings of 2026-11-01, tracking period not stated]');
    const fixes2 = await c.codeActions(uri, [w2]);
    assert.ok(fixes2.every((f) => !f.title.includes('stale')), fixes2.map((f) => f.title).join('; '));
    const fix2 = fixes2.find((f) => f.isPreferred)!;
    assert.equal(fix2.title, `Refine s3:Get* to ${EXPECTED_S3.length + 1} patterns`);
    c.apply(fix2);
    const doc = JSON.parse(c.text(uri));
    const written = doc.Statement[1].Action as string[];
    assert.deepEqual([...written].sort(), [...EXPECTED_S3, NEW_ACTION, 's3:List*'].sort(), JSON.stringify(written));
    const st2 = await c.waitForStatus((s) => s.catalogOrigin === 'cache' && s.folders.length > 0 && !s.folders[0].catalogStale);
    assert.match(st2.catalog, /^AWS Service Reference .*22092 actions/);

    // a user setting pointing at plain http elsewhere is refused, naming the setting
    const bad = await c.request<UpdateCatalogResult>('iamRefiner/updateCatalog', { url: 'http://mirror.example/' });
    assert.equal(bad.ok, false);
    assert.match(bad.message, /iamRefiner\.catalog\.serviceReferenceUrl \(user settings\): the Service Reference URL http:\/\/mirror\.example must use https/);
    assert.match(bad.catalog, /^AWS Service Reference/);
  } finally {
    await c.stop();
    await trusted.close();
    await fromWorkspace.close();
  }
});

test('a failed update in the editor keeps the catalog in use and says which URL and service failed', async () => {
  const broken = await startFakeServiceReference({ catalog: defaultCatalog(), status: { iam: 403 } });
  const cache = tmp('iam-lsp-cache-');
  const dir = writeFiles(tmp('iam-lsp-catalog-'), { 'policy.json': readFileSync(path.join(EXAMPLE, 'policy.json'), 'utf8'), 'findings.json': readFileSync(path.join(EXAMPLE, 'findings.json'), 'utf8') });
  const { client: c } = await LspClient.start({ folders: [dir], env: { XDG_CACHE_HOME: cache, [SERVICE_REFERENCE_ENV]: broken.url } });
  try {
    const uri = c.open(path.join(dir, 'policy.json'));
    await c.waitForDiagnostics(uri, (d) => d.length > 0);
    const r = await c.request<UpdateCatalogResult>('iamRefiner/updateCatalog', {});
    assert.equal(r.ok, false);
    assert.match(r.message, /^The catalog update failed: reading service iam failed: http:\/\/127\.0\.0\.1:\d+\/v1\/iam\/iam\.json: HTTP 403 Forbidden\. The catalog in use is unchanged \(@cloud-copilot\/iam-data /);
    assert.equal(r.catalogDate, '2026-09-26');
    assert.ok(!existsSync(path.join(cache, 'iam-policy-refiner', 'catalog.json')), 'nothing written');
  } finally {
    await c.stop();
    await broken.close();
  }
});
