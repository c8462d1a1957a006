/** A Terraform file in the real editor: the same diagnostics and quick fix as the JSON example. */
import * as assert from 'node:assert/strict';
import { EXPECTED_S3, applyS3Refinement, assertExampleProblems, openFile, restoreAll } from './helpers';

describe('a Terraform file (infra/main.tf)', () => {
  after(restoreAll);

  it('8 unused lambda actions and s3:Get* are flagged inside jsonencode, the trust policy is not', async () => {
    const doc = await openFile('infra/main.tf');
    await assertExampleProblems(doc, (a) => `"${a}"`);
  });

  it('the quick fix writes the nine patterns in HCL, inline as the list was', async () => {
    const doc = await openFile('infra/main.tf');
    await applyS3Refinement(doc, '"s3:Get*"');
    assert.ok(doc.getText().includes(`Action   = ["s3:List*", ${EXPECTED_S3.map((p) => JSON.stringify(p)).join(', ')}]`), doc.getText());
  });
});
