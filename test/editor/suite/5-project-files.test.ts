/**
 * Diagnostics follow the project's files on disk (findings files, iam-refiner.json) and the
 * iamRefiner.* settings, without reopening anything.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ROLE_DEPLOYER, ROLE_READER, byCode, codeCounts, codeOf, codeActions, deleteFile, openFile, freshExampleEach, originalText, rangeOfText, restore, textOf, titles, waitForDiagnostics, waitForExampleDiagnostics, writeJson } from './helpers';

describe('project files and settings', () => {
  const ex = freshExampleEach();
  afterEach(async () => {
    await vscode.workspace.getConfiguration('iamRefiner', vscode.workspace.workspaceFolders?.[0]).update('severity.unusedAction', undefined, vscode.ConfigurationTarget.Workspace);
  });

  it('findings.json without s3: the s3:Get* warning goes; restored: it comes back', async () => {
    const findings = JSON.parse(originalText('findings.json')) as { serviceNamespace: string }[];
    await writeJson('findings.json', findings.filter((f) => f.serviceNamespace !== 's3'));
    const ds = await waitForDiagnostics(ex.doc.uri, (x) => byCode(x, 'unused-wildcard').length === 0, { what: 'the s3:Get* warning to go' });
    assert.deepEqual(codeCounts(ds), { 'unused-action': 8 });
    await restore('findings.json');
    await waitForExampleDiagnostics(ex.doc);
  });

  it('findings.json emptied of lambda actions: the lambda warnings go', async () => {
    const findings = JSON.parse(originalText('findings.json')) as { serviceNamespace: string }[];
    await writeJson('findings.json', findings.filter((f) => f.serviceNamespace !== 'lambda'));
    const ds = await waitForDiagnostics(ex.doc.uri, (x) => byCode(x, 'unused-action').length === 0, { what: 'the lambda warnings to go' });
    assert.deepEqual(codeCounts(ds), { 'unused-wildcard': 1 });
  });

  it('iam-refiner.json "exclude": the policy is no longer analysed; deleted: analysed again', async () => {
    await writeJson('iam-refiner.json', { exclude: ['policy.json'] });
    await waitForDiagnostics(ex.doc.uri, (x) => x.length === 0, { what: 'no diagnostic on an excluded file' });
    await deleteFile('iam-refiner.json');
    await waitForExampleDiagnostics(ex.doc);
  });

  it('iam-refiner.json pointing at other findings: none apply, then the roles file binds a policy to two roles', async () => {
    // findings of two roles; policy.json is bound to neither → one unbound-policy information, no unused warning
    await writeJson('iam-refiner.json', { findings: ['roles/access-analyzer-export.json'] });
    const ds = await waitForDiagnostics(ex.doc.uri, (x) => x.length === 1 && codeOf(x[0]) === 'unbound-policy', { what: 'one unbound-policy diagnostic' });
    assert.equal(ds[0].severity, vscode.DiagnosticSeverity.Information);
    assert.match(ds[0].message, /2 roles \(Deployer, Reader\)/);
    const bind = await codeActions(ex.doc.uri, ds[0].range);
    assert.deepEqual(titles(bind).filter((t) => t.startsWith('Bind ')), ['Bind this policy to role Deployer in iam-refiner.json', 'Bind this policy to role Reader in iam-refiner.json']);

    // roles/app-policy.json bound to both roles: only what both leave unused (GetFunction) counts
    await writeJson('iam-refiner.json', { findings: ['roles/access-analyzer-export.json'], roles: { 'roles/app-policy.json': [ROLE_DEPLOYER, ROLE_READER] } });
    const app = await openFile('roles/app-policy.json');
    const appDs = await waitForDiagnostics(app.uri, (x) => x.length === 1 && codeOf(x[0]) === 'unused-action', { doc: app, what: 'one diagnostic on roles/app-policy.json' });
    assert.equal(codeOf(appDs[0]), 'unused-action');
    assert.equal(textOf(app, appDs[0].range), '"lambda:GetFunction"');
    assert.match(appDs[0].message, /for Deployer and Reader|lambda:GetFunction is unused/);

    // bound to Deployer only: DeleteFunction too
    await writeJson('iam-refiner.json', { findings: ['roles/access-analyzer-export.json'], roles: { 'roles/app-policy.json': ROLE_DEPLOYER } });
    const deployer = await waitForDiagnostics(app.uri, (x) => x.length === 2 && x.every((d) => codeOf(d) === 'unused-action'), { what: 'two diagnostics for Deployer' });
    assert.deepEqual(deployer.map((d) => textOf(app, d.range)).sort(), ['"lambda:DeleteFunction"', '"lambda:GetFunction"']);

    // no iam-refiner.json: back to the default findings (findings.json, no role)
    await deleteFile('iam-refiner.json');
    await waitForExampleDiagnostics(ex.doc);
    const appDefault = await waitForDiagnostics(app.uri, (x) => x.length === 3 && x.every((d) => codeOf(d) === 'unused-action'), { what: 'three diagnostics with the example findings' });
    assert.deepEqual(appDefault.map((d) => textOf(app, d.range)).sort(), ['"lambda:CreateFunction"', '"lambda:DeleteFunction"', '"lambda:GetFunction"']);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('a broken iam-refiner.json is reported on that file and ignored', async () => {
    await writeJson('iam-refiner.json', { findings: ['findings.json'], rolez: {} });
    const cfg = await openFile('iam-refiner.json');
    const ds = await waitForDiagnostics(cfg.uri, (x) => x.some((d) => codeOf(d) === 'invalid-config'), { what: 'an invalid-config error' });
    assert.equal(ds.find((d) => codeOf(d) === 'invalid-config')!.severity, vscode.DiagnosticSeverity.Error);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await restore('iam-refiner.json');
    await openFile('policy.json');
    await waitForExampleDiagnostics(ex.doc);
  });

  it('iamRefiner.severity.unusedAction = "error" turns the lambda warnings into errors', async () => {
    await vscode.workspace.getConfiguration('iamRefiner', vscode.workspace.workspaceFolders?.[0]).update('severity.unusedAction', 'error', vscode.ConfigurationTarget.Workspace);
    const ds = await waitForDiagnostics(ex.doc.uri, (x) => byCode(x, 'unused-action').length === 8 && byCode(x, 'unused-action').every((d) => d.severity === vscode.DiagnosticSeverity.Error), {
      what: '8 unused-action errors',
    });
    assert.equal(byCode(ds, 'unused-wildcard')[0].severity, vscode.DiagnosticSeverity.Warning);
    assert.ok(rangeOfText(ex.doc, '"s3:Get*"').isEqual(byCode(ds, 'unused-wildcard')[0].range));
  });
});
