/** A CloudFormation YAML template in the real editor: the same diagnostics and quick fix as the JSON example. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXPECTED_S3, LAMBDA_UNUSED, applyAction, byCode, codeActions, openFile, rangeOfText, restoreAll, textOf, titles, waitForDiagnostics, waitForDocument } from './helpers';

describe('a CloudFormation YAML template (infra/template.yaml)', () => {
  after(restoreAll);

  it('8 unused lambda actions and s3:Get* are flagged in the role\'s inline policy, the trust policy is not', async () => {
    const doc = await openFile('infra/template.yaml');
    assert.equal(doc.languageId, 'yaml');
    const ds = await waitForDiagnostics(doc.uri, (d) => byCode(d, 'unused-action').length === 8 && byCode(d, 'unused-wildcard').length === 1);
    assert.deepEqual(
      byCode(ds, 'unused-action').sort((a, b) => a.range.start.compareTo(b.range.start)).map((d) => textOf(doc, d.range)),
      LAMBDA_UNUSED,
    );
    const [w] = byCode(ds, 'unused-wildcard');
    assert.ok(w.range.isEqual(rangeOfText(doc, 's3:Get*')));
    assert.match(w.message, /s3:Get\* allows 22 unused actions \(of 63\)/);
    assert.ok(!ds.some((d) => d.range.intersection(rangeOfText(doc, 'sts:AssumeRole'))), 'the trust policy is not a permission of the role');
  });

  it('the quick fix writes the nine patterns in the flow list, plain as the file writes them, the comment kept', async () => {
    const doc = await openFile('infra/template.yaml');
    const range = rangeOfText(doc, 's3:Get*');
    const fixes = await codeActions(doc.uri, range, vscode.CodeActionKind.QuickFix.value);
    const fix = fixes.find((f) => f.title === 'Refine s3:Get* to 9 patterns');
    assert.ok(fix, `offered: ${JSON.stringify(titles(fixes))}`);
    await applyAction(doc, fix);
    await waitForDocument(doc, (d) => d.getText().includes('s3:GetStorage*'));
    assert.ok(doc.getText().includes(`Action: [s3:List*, ${EXPECTED_S3.join(', ')}]`), doc.getText());
    assert.ok(doc.getText().includes('- lambda:Invoke*  # the one lambda permission in use'), 'the comment stays');
  });
});
