/**
 * "IAM Refiner: Refine Whole File" (iamRefiner.refineFile): the client asks the server for the
 * verified refinement and applies it as a refactoring that VS Code previews (needsConfirmation:
 * the change starts unticked in the Refactor Preview); the suite answers the preview with VS
 * Code's own commands, as a person would with the keyboard (Space on the file, Apply / Discard).
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXPECTED_S3, actions, applyRefactorPreview, discardRefactorPreview, fileUri, originalText, freshExampleEach, waitForDiagnostics, waitForExampleDiagnostics } from './helpers';

describe('Refine Whole File command (refactor preview)', () => {
  const ex = freshExampleEach();

  it('shows a preview: discarding it leaves the file untouched', async () => {
    const version = ex.doc.version;
    await discardRefactorPreview(() => vscode.commands.executeCommand('iamRefiner.refineFile', ex.doc.uri));
    assert.equal(ex.doc.version, version, 'the document changed although the preview was discarded');
    assert.equal(ex.doc.getText(), originalText('policy.json'));
    assert.equal(ex.doc.isDirty, false);
  });

  it('ticking the change and applying the preview refines the whole file; no iam-refiner diagnostic remains', async () => {
    await applyRefactorPreview(ex.doc, () => vscode.commands.executeCommand('iamRefiner.refineFile', ex.doc.uri));
    assert.deepEqual(actions(ex.doc), [['lambda:Invoke*'], [...EXPECTED_S3, 's3:List*']]);
    const policy = JSON.parse(ex.doc.getText());
    assert.equal(policy.Statement[0].Resource, 'arn:aws:lambda:us-east-1:123456789012:function:my-lambda');
    assert.equal(policy.Statement[1].Resource, '*');
    await waitForDiagnostics(ex.doc.uri, (ds) => ds.length === 0, { doc: ex.doc, what: 'no iam-refiner diagnostic' });
    // one undo step brings the example back
    await vscode.window.showTextDocument(ex.doc);
    await vscode.commands.executeCommand('undo');
    assert.equal(ex.doc.getText(), originalText('policy.json'));
    await waitForExampleDiagnostics(ex.doc);
  });

  it('works on the active editor without an argument (as from the command palette)', async () => {
    assert.equal(vscode.window.activeTextEditor?.document, ex.doc);
    await applyRefactorPreview(ex.doc, () => vscode.commands.executeCommand('iamRefiner.refineFile'));
    assert.deepEqual(actions(ex.doc), [['lambda:Invoke*'], [...EXPECTED_S3, 's3:List*']]);
    await waitForDiagnostics(ex.doc.uri, (ds) => ds.length === 0, { doc: ex.doc, what: 'no iam-refiner diagnostic' });
  });

  it('on an already refined file: nothing to change, no preview, the document is not touched', async () => {
    await applyRefactorPreview(ex.doc, () => vscode.commands.executeCommand('iamRefiner.refineFile', ex.doc.uri));
    await waitForDiagnostics(ex.doc.uri, (ds) => ds.length === 0, { doc: ex.doc, what: 'no iam-refiner diagnostic' });
    const version = ex.doc.version;
    // resolves by itself (an information message is shown): nothing waits for a preview
    await vscode.commands.executeCommand('iamRefiner.refineFile', ex.doc.uri);
    assert.equal(ex.doc.version, version);
  });

  it('Refine All Policy Files previews every policy file; discarding it changes nothing', async () => {
    const other = await vscode.workspace.openTextDocument(fileUri('roles/app-policy.json'));
    const before = [ex.doc.getText(), other.getText()];
    await discardRefactorPreview(() => vscode.commands.executeCommand('iamRefiner.refineAll'));
    assert.deepEqual([ex.doc.getText(), other.getText()], before);
  });
});
