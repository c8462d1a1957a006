/**
 * A Terraform JSON file (infra-json/main.tf.json) in the real editor: the example policy written as a
 * JSON string inside Terraform's JSON syntax. Every squiggle is exactly its escaped literal
 * (`\"s3:Get*\"`), the trust policy document is left alone, and the quick fix writes the nine
 * patterns back inside the string with JSON's escapes, compact as the string was.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXPECTED_S3, LAMBDA_UNUSED, applyAction, byCode, codeActions, openFile, rangeOfText, restoreAll, textOf, titles, waitForDiagnostics, waitForDocument } from './helpers';

const FILE = 'infra-json/main.tf.json';
const escaped = (a: string) => `\\"${a}\\"`;

describe('a Terraform JSON file (infra-json/main.tf.json)', () => {
  after(restoreAll); // the file is tracked (helpers.ts): put back as it was

  it('8 unused lambda actions and s3:Get* are flagged at their escaped literals inside the policy string; the trust policy is not', async () => {
    const doc = await openFile(FILE);
    assert.equal(doc.languageId, 'json', 'VS Code opens *.tf.json as JSON; the server reads it as Terraform by its name');
    const ds = await waitForDiagnostics(doc.uri, (d) => byCode(d, 'unused-action').length === 8 && byCode(d, 'unused-wildcard').length === 1);
    assert.deepEqual(
      byCode(ds, 'unused-action').sort((a, b) => a.range.start.compareTo(b.range.start)).map((d) => textOf(doc, d.range)),
      LAMBDA_UNUSED.map(escaped),
    );
    const [w] = byCode(ds, 'unused-wildcard');
    assert.ok(w.range.isEqual(rangeOfText(doc, escaped('s3:Get*'))), `range ${JSON.stringify(w.range)}: ${textOf(doc, w.range)}`);
    assert.match(w.message, /s3:Get\* allows 22 unused actions \(of 63\)/);
    assert.ok(!ds.some((d) => d.range.intersection(rangeOfText(doc, '"sts:AssumeRole"'))), 'the trust policy is not a permission of the role');
  });

  it('the quick fix writes the nine patterns inside the string, escaped and compact; nothing else changes', async () => {
    const doc = await openFile(FILE);
    const before = doc.getText();
    const range = rangeOfText(doc, escaped('s3:Get*'));
    const fixes = await codeActions(doc.uri, range, vscode.CodeActionKind.QuickFix.value);
    const fix = fixes.find((f) => f.title === 'Refine s3:Get* to 9 patterns');
    assert.ok(fix, `offered: ${JSON.stringify(titles(fixes))}`);
    await applyAction(doc, fix);
    await waitForDocument(doc, (d) => d.getText().includes(escaped('s3:GetStorage*')));
    assert.equal(doc.getText(), before.replace(escaped('s3:Get*'), EXPECTED_S3.map(escaped).join(',')));
    // the file is still Terraform JSON whose policy string is the refined policy
    const tf = JSON.parse(doc.getText()) as { resource: { aws_iam_role_policy: { deployer: { policy: string } } } };
    const policy = JSON.parse(tf.resource.aws_iam_role_policy.deployer.policy) as { Statement: { Action: string[] }[] };
    assert.deepEqual(policy.Statement[1].Action, ['s3:List*', ...EXPECTED_S3]);
    // the wildcard's warning is gone, the lambda ones stay
    await waitForDiagnostics(doc.uri, (d) => byCode(d, 'unused-wildcard').length === 0 && byCode(d, 'unused-action').length === 8);
  });
});
