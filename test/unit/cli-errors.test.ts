import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { cli } from '../support/cli';
import { defaultCatalog } from '../../server/src/workspace/catalogFile';

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'iam-refine-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:Get*'], Resource: '*' }] }, null, 2);

test('a malformed findings file is an error naming the file, line and column, never "nothing unused"', async () => {
  const dir = workspace({ 'p.json': POLICY, 'f.json': '[\n  {"serviceNamespace": "s3", "actions": ["GetObject",]\n  ,,\n]' });
  const r = await cli(['refine', 'p.json', '--findings', 'f.json'], dir);
  assert.equal(r.code, 2);
  assert.match(r.err, /^f\.json:3:4: invalid JSON: (ValueExpected|PropertyNameExpected)/);
  assert.equal(r.out, '');
});

test('an unrecognisable findings file names the place', async () => {
  const dir = workspace({ 'p.json': POLICY, 'f.json': '{\n  "Findings": []\n}' });
  const r = await cli(['refine', 'p.json', '--findings', 'f.json'], dir);
  assert.equal(r.code, 2);
  assert.match(r.err, /^f\.json:1:1: unrecognised findings format/);
  const wrongShape = workspace({ 'p.json': POLICY, 'f.json': '[{"serviceNamespace": "s3", "actions": "GetObject"}]' });
  const r2 = await cli(['refine', 'p.json', '--findings', 'f.json'], wrongShape);
  assert.match(r2.err, /^f\.json:1:40: "actions" must be an array/);
});

test('a broken policy is an error with its place, and --write leaves it untouched', async () => {
  const broken = '{\n  "Statement": [\n    {"Effect": "Allow", "Action": "s3:Get*" "Resource": "*"}\n  ]\n}\n';
  const dir = workspace({ 'p.json': broken, 'f.json': '[{"serviceNamespace":"s3","actions":["GetObject"]}]' });
  const r = await cli(['refine', 'p.json', '--findings', 'f.json', '--write'], dir);
  assert.equal(r.code, 2);
  assert.match(r.err, /^p\.json:3:45: invalid JSON: CommaExpected/);
  assert.equal(readFileSync(join(dir, 'p.json'), 'utf8'), broken);
});

test('unknown flags print usage and exit 2', async () => {
  const r = await cli(['refine', 'p.json', '--frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown option --frobnicate/);
  assert.match(r.err, /Usage: iam-refine/);
});

test('refine without findings is an error, not a silent no-op', async () => {
  const dir = workspace({ 'p.json': POLICY });
  const r = await cli(['refine', 'p.json'], dir);
  assert.equal(r.code, 2);
  assert.match(r.err, /no findings/);
});

test('a policy with every permission unused is refused, and not written', async () => {
  const dir = workspace({ 'p.json': POLICY, 'f.json': '[{"serviceNamespace":"s3"}]' });
  const r = await cli(['refine', 'p.json', '--findings', 'f.json', '--write'], dir);
  assert.equal(r.code, 2);
  assert.match(r.err, /every permission in this policy is unused/);
  assert.equal(readFileSync(join(dir, 'p.json'), 'utf8'), POLICY);
  assert.deepEqual(readdirSync(dir).sort(), ['f.json', 'p.json']);
});

test('findings for several roles: ambiguous without --role; with roles only the common unused actions go', async () => {
  const finding = (role: string, actions: string[]) => ({
    id: role, resource: `arn:aws:iam::123456789012:role/${role}`, findingType: 'UnusedPermission', status: 'ACTIVE',
    findingDetails: [{ unusedPermissionDetails: { serviceNamespace: 's3', actions: actions.map((action) => ({ action })) } }],
  });
  const policy = JSON.stringify({ Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: '*' }] }, null, 2);
  const dir = workspace({ 'p.json': policy, 'f.json': JSON.stringify({ findings: [finding('A', ['PutObject', 'DeleteObject']), finding('B', ['s3:DeleteObject', 'GetObject'])] }) });
  const amb = await cli(['refine', 'p.json', '--findings', 'f.json'], dir);
  assert.equal(amb.code, 2);
  assert.match(amb.err, /concern 2 roles \(A, B\)/);
  const both = await cli(['refine', 'p.json', '--findings', 'f.json', '--role', 'arn:aws:iam::123456789012:role/A', 'arn:aws:iam::123456789012:role/B'], dir);
  assert.equal(both.code, 0, both.err);
  assert.deepEqual(JSON.parse(both.out).Statement[0].Action, ['s3:GetObject', 's3:PutObject']);
  const one = await cli(['refine', 'p.json', '--findings', 'f.json', '--role', 'arn:aws:iam::123456789012:role/A'], dir);
  assert.deepEqual(JSON.parse(one.out).Statement[0].Action, ['s3:GetObject']);
});

test('--config reads iam-refiner.json: findings globs and role bindings', async () => {
  const finding = (role: string, actions: string[]) => ({
    resource: `arn:aws:iam::123456789012:role/${role}`, findingType: 'UnusedPermission',
    findingDetails: [{ unusedPermissionDetails: { serviceNamespace: 's3', actions: actions.map((action) => ({ action })) } }],
  });
  const policy = JSON.stringify({ Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: '*' }] }, null, 2);
  const dir = workspace({
    'deployer.json': policy,
    'a-findings.json': JSON.stringify(finding('Deployer', ['PutObject'])),
    'b-findings.json': JSON.stringify(finding('Other', ['GetObject'])),
    'iam-refiner.json': '{\n  // JSONC works here\n  "findings": ["*-findings.json"],\n}',
  });
  const r = await cli(['refine', 'deployer.json', '--config', 'iam-refiner.json'], dir);
  assert.equal(r.code, 0, r.err);
  // bound by its file name to role/Deployer
  assert.deepEqual(JSON.parse(r.out).Statement[0].Action, ['s3:GetObject']);
  writeFileSync(join(dir, 'iam-refiner.json'), '{"findings": ["*-findings.json"], "roles": {"deployer.json": ["arn:aws:iam::123456789012:role/Other"]}}');
  const r2 = await cli(['refine', 'deployer.json'], dir);
  assert.deepEqual(JSON.parse(r2.out).Statement[0].Action, ['s3:PutObject']);
  writeFileSync(join(dir, 'iam-refiner.json'), '{"findings": ["*-findings.json"], "rolez": {}}');
  const bad = await cli(['refine', 'deployer.json'], dir);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /^iam-refiner\.json:1:35: unknown setting "rolez"/);
});

test('JSONC policies (comments, trailing commas) refine with comments kept', async () => {
  const text = '// deploy role\n{\n  "Statement": [\n    {\n      "Effect": "Allow", // allow\n      "Action": [\n        "lambda:GetFunction", // unused\n        "lambda:Invoke*",\n      ],\n      "Resource": "*",\n    },\n  ],\n}\n';
  const dir = workspace({ 'p.json': text, 'f.json': '[{"serviceNamespace":"lambda","actions":["GetFunction"]}]' });
  const r = await cli(['refine', 'p.json', '--findings', 'f.json'], dir);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, '// deploy role\n{\n  "Statement": [\n    {\n      "Effect": "Allow", // allow\n      "Action": [\n        "lambda:Invoke*",\n      ],\n      "Resource": "*",\n    },\n  ],\n}\n');
});

test('check finds unknown actions with suggestions, without findings', async () => {
  const dir = workspace({ 'p.json': '{"Statement": [{"Effect": "Allow", "Action": ["s3:GetObjekt", "s4:GetObject", "lambda:Invoke*"], "Resource": "*"}]}' });
  const r = await cli(['check', '.'], dir);
  assert.equal(r.code, 1);
  assert.match(r.out, /p\.json:1:47: warning unknown-action: s3:GetObjekt is not an action in the catalog .*did you mean s3:GetObject\?/);
  assert.match(r.out, /s4:GetObject is not an action .*did you mean s3:GetObject/);
  assert.match(r.err, /no findings given/);
});

test('a CloudFormation template: policies are refined in place; one whose every permission is unused is left and reported', async () => {
  const template = {
    AWSTemplateFormatVersion: '2010-09-09',
    Resources: {
      Reader: { Type: 'AWS::IAM::ManagedPolicy', Properties: { PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:Get*', 'lambda:GetFunction'], Resource: '*' }] } } },
      Role: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
          Policies: [{ PolicyName: 'sqs', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }] } }],
        },
      },
    },
  };
  const text = JSON.stringify(template, null, 2);
  const dir = workspace({ 't.json': text, 'f.json': '[{"serviceNamespace":"sqs"},{"serviceNamespace":"lambda","actions":["GetFunction"]},{"serviceNamespace":"s3","actions":["GetObjectAcl"]}]' });
  const r = await cli(['refine', 't.json', '--findings', 'f.json'], dir);
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out);
  const actions = out.Resources.Reader.Properties.PolicyDocument.Statement[0].Action as string[];
  assert.ok(!actions.includes('lambda:GetFunction'));
  assert.ok(!actions.includes('s3:Get*') && actions.includes('s3:GetObject') && !actions.some((a) => a.toLowerCase() === 's3:getobjectacl'));
  assert.deepEqual(out.Resources.Role.Properties.Policies[0].PolicyDocument.Statement[0].Action, 'sqs:*');
  assert.deepEqual(out.Resources.Role.Properties.AssumeRolePolicyDocument, template.Resources.Role.Properties.AssumeRolePolicyDocument);
  assert.match(r.err, /every permission in Role\.Policies\[0\] is unused; it was left as it is/);
});

test('a statement whose Sid starts with NOREPO is neither reported nor refined (Repokid convention)', async () => {
  const policy = JSON.stringify({ Statement: [
    { Sid: 'NOREPOKeep', Effect: 'Allow', Action: ['lambda:GetFunction', 's3:Get*'], Resource: '*' },
    { Sid: 'Other', Effect: 'Allow', Action: ['lambda:GetFunction', 'lambda:Invoke*'], Resource: '*' },
  ] }, null, 2);
  const dir = workspace({ 'p.json': policy, 'f.json': '[{"serviceNamespace":"lambda","actions":["GetFunction"]},{"serviceNamespace":"s3","actions":["GetObjectAcl"]}]' });
  const check = await cli(['check', 'p.json', '--findings', 'f.json'], dir);
  assert.equal(check.code, 1);
  assert.equal(check.out.trim().split('\n').length, 1, check.out);
  assert.match(check.out, /^p\.json:16:9: warning unused-action: lambda:GetFunction/);
  const r = await cli(['refine', 'p.json', '--findings', 'f.json'], dir);
  const out = JSON.parse(r.out);
  assert.deepEqual(out.Statement[0].Action, ['lambda:GetFunction', 's3:Get*']);
  assert.deepEqual(out.Statement[1].Action, ['lambda:Invoke*']);
});

test('refine says when the refined policy is over IAM size limits', async () => {
  const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ec2:*'], Resource: '*' }] }, null, 2);
  // every other action unused: what is left cannot be written as a few prefixes
  const unused = defaultCatalog().services.get('ec2')!.actions.filter((_, i) => i % 2 === 0);
  const dir = workspace({ 'p.json': policy, 'f.json': JSON.stringify([{ serviceNamespace: 'ec2', actions: unused }]) });
  const r = await cli(['refine', 'p.json', '--findings', 'f.json'], dir);
  assert.equal(r.code, 0, r.err);
  const size = JSON.stringify(JSON.parse(r.out)).length;
  assert.ok(size > 6144, `expected a large result, got ${size}`);
  assert.match(r.err, new RegExp(`p\\.json is ${size} characters without white space after refinement: over IAM's 6144 for a managed policy`));
});
