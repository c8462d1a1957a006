/** A CloudFormation YAML template in the real editor: the same diagnostics and quick fix as the JSON example. */
import * as assert from 'node:assert/strict';
import { EXPECTED_S3, applyS3Refinement, assertExampleProblems, openFile, restoreAll } from './helpers';

describe('a CloudFormation YAML template (infra/template.yaml)', () => {
  after(restoreAll);

  it('8 unused lambda actions and s3:Get* are flagged in the role\'s inline policy, the trust policy is not', async () => {
    const doc = await openFile('infra/template.yaml');
    assert.equal(doc.languageId, 'yaml');
    await assertExampleProblems(doc, (a) => a);
  });

  it('the quick fix writes the nine patterns in the flow list, plain as the file writes them, the comment kept', async () => {
    const doc = await openFile('infra/template.yaml');
    await applyS3Refinement(doc, 's3:Get*');
    assert.ok(doc.getText().includes(`Action: [s3:List*, ${EXPECTED_S3.join(', ')}]`), doc.getText());
    assert.ok(doc.getText().includes('- lambda:Invoke*  # the one lambda permission in use'), 'the comment stays');
  });
});
