/** Quick fixes through vscode.executeCodeActionProvider, applied as VS Code applies them. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXPECTED_S3, LAMBDA_UNUSED, actions, applyAction, byCode, codeActions, freshExampleEach, rangeOfText, titles, waitForDiagnostics } from './helpers';

describe('quick fixes', () => {
  const ex = freshExampleEach();

  it('s3:Get* → its least-general refinement (9 patterns); the wildcard warning goes, the lambda ones stay', async () => {
    const fixes = await codeActions(ex.doc.uri, rangeOfText(ex.doc, '"s3:Get*"'));
    const refine = fixes.find((f) => f.isPreferred);
    assert.ok(refine, `no preferred fix; offered: ${JSON.stringify(titles(fixes))}`);
    assert.equal(refine.title, 'Refine s3:Get* to 9 patterns');
    assert.equal(refine.kind?.value, 'quickfix');
    assert.ok(titles(fixes).includes('Refine the whole file'), JSON.stringify(titles(fixes)));
    await applyAction(ex.doc, refine);
    const [lambda, s3] = actions(ex.doc);
    assert.deepEqual(s3, [...EXPECTED_S3, 's3:List*']);
    assert.deepEqual(lambda, [...LAMBDA_UNUSED, 'lambda:Invoke*'], 'statement 1 must be untouched');
    const after = await waitForDiagnostics(ex.doc.uri, (ds) => byCode(ds, 'unused-wildcard').length === 0, { doc: ex.doc, what: 'the s3:Get* warning to go' });
    assert.equal(byCode(after, 'unused-action').length, 8);
    assert.equal(after.length, 8);
    // no fix is left to offer on the refined patterns
    const none = await codeActions(ex.doc.uri, rangeOfText(ex.doc, '"s3:GetObject*"'));
    assert.deepEqual(titles(none).filter((t) => /s3:/.test(t)), []);
  });

  it('"Remove unused lambda:AddPermission" removes exactly that entry', async () => {
    const fixes = await codeActions(ex.doc.uri, rangeOfText(ex.doc, '"lambda:AddPermission"'));
    assert.equal(fixes[0]?.title, 'Remove unused lambda:AddPermission', JSON.stringify(titles(fixes)));
    assert.ok(fixes[0].isPreferred);
    assert.ok(titles(fixes).includes('Refine this statement'), JSON.stringify(titles(fixes)));
    await applyAction(ex.doc, fixes[0]);
    const [lambda, s3] = actions(ex.doc);
    assert.deepEqual(lambda, [...LAMBDA_UNUSED.slice(1), 'lambda:Invoke*']);
    assert.deepEqual(s3, ['s3:Get*', 's3:List*']);
    const after = await waitForDiagnostics(ex.doc.uri, (ds) => byCode(ds, 'unused-action').length === 7, { doc: ex.doc, what: '7 unused-action' });
    assert.equal(byCode(after, 'unused-wildcard').length, 1);
    // the document is still valid JSON laid out one entry per line
    assert.ok(!/,\s*,|\[\s*,/.test(ex.doc.getText()), ex.doc.getText());
  });

  it('"Refine this statement" on a lambda action leaves only lambda:Invoke*', async () => {
    const fixes = await codeActions(ex.doc.uri, rangeOfText(ex.doc, '"lambda:GetFunction"'));
    const st = fixes.find((f) => f.title === 'Refine this statement');
    assert.ok(st, JSON.stringify(titles(fixes)));
    await applyAction(ex.doc, st);
    assert.deepEqual(actions(ex.doc), [['lambda:Invoke*'], ['s3:Get*', 's3:List*']]);
    await waitForDiagnostics(ex.doc.uri, (ds) => ds.length === 1 && byCode(ds, 'unused-wildcard').length === 1, { doc: ex.doc, what: 'only the s3:Get* warning' });
  });

  it('"Refine the whole file" (quick fix) and source.fixAll leave no iam-refiner diagnostic', async () => {
    const fixes = await codeActions(ex.doc.uri, rangeOfText(ex.doc, '"lambda:DeleteFunction"'));
    const whole = fixes.find((f) => f.title === 'Refine the whole file');
    assert.ok(whole, JSON.stringify(titles(fixes)));
    // the same edit is offered as the source.fixAll action (editor.codeActionsOnSave)
    const [fixAll, ...more] = await codeActions(ex.doc.uri, new vscode.Range(0, 0, 0, 0), 'source.fixAll');
    assert.equal(more.length, 0, JSON.stringify(titles(more)));
    assert.equal(fixAll?.kind?.value, 'source.fixAll.iamRefiner');
    assert.match(fixAll.title, /removed 8 unused actions, refined 1 wildcard into 9 patterns/);
    await applyAction(ex.doc, whole);
    assert.deepEqual(actions(ex.doc), [['lambda:Invoke*'], [...EXPECTED_S3, 's3:List*']]);
    await waitForDiagnostics(ex.doc.uri, (ds) => ds.length === 0, { doc: ex.doc, what: 'no iam-refiner diagnostic' });
    const again = await codeActions(ex.doc.uri, new vscode.Range(0, 0, 0, 0), 'source.fixAll');
    assert.deepEqual(titles(again), [], 'nothing left to fix');
  });
});
