/**
 * The YAML format (CloudFormation, SAM, Serverless, plain YAML policies): what is read, what is
 * reported and not refined, and how edits are written. The bundled example, rendered into each
 * host (test/fixtures/yaml/), must refine exactly as the JSON does.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { yamlTooDeep } from '../../server/src/core/formats/yaml';
import { LineIndex, ParsedDocument, Universe, documentActionNames, findingActionNames, mayContainPolicy, parseFindings, parsePolicyDocument, refineDocument, resolveUnused, formatFor, analyzeDocument } from '../../server/src/core';
import { defaultCatalog } from '../../server/src/workspace/catalogFile';
import { EXPECTED_S3, LAMBDA_UNUSED, ROOT } from '../support/example';
import { longFormTags } from '../support/yamlOracle';

const catalog = defaultCatalog();
const FIXTURES = join(ROOT, 'test', 'fixtures', 'yaml');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const exampleFindings = parseFindings('findings.json', readFileSync(join(ROOT, 'examples', 'findings.json'), 'utf8')).findings;

function refine(text: string, fileName = 'template.yaml', findings = exampleFindings) {
  const doc = parsePolicyDocument(text, fileName);
  const u = new Universe(catalog, [...findingActionNames(findings), ...documentActionNames(doc)]);
  const r = refineDocument({ universe: u, unused: resolveUnused(findings, u).indexes }, doc);
  return { doc, r, out: r.text, value: parseYaml(r.text, { customTags: longFormTags }) as Record<string, any> };
}
const unusedFindings = (svc: string, ...actions: string[]) => parseFindings('f.json', JSON.stringify([{ serviceNamespace: svc, actions }])).findings;
const info = (doc: ParsedDocument) => doc.problems.filter((p) => p.code === 'not-refinable');
const at = (doc: ParsedDocument, offset: number) => new LineIndex(doc.text).where(offset);

/** The lines of `a` and `b` that differ, as a set of a's line numbers (same length prefix/suffix compare). */
function changedRegion(a: string, b: string): { head: string; tail: string } {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  let j = 0;
  while (j < a.length - i && a[a.length - 1 - j] === b[b.length - 1 - j]) j++;
  return { head: a.slice(0, i), tail: a.slice(a.length - j) };
}

describe('the bundled example in each YAML host', () => {
  test('CloudFormation: same refinement as the JSON; trust policy, bucket policy and computed statement untouched', () => {
    const text = fixture('cloudformation.yaml');
    const { doc, r, value } = refine(text);
    assert.equal(formatFor('template.yaml').id, 'yaml');
    assert.deepEqual(doc.policies.map((p) => p.label), ['DeployerRole.Policies[0]', 'ComputedPolicy.PolicyDocument']);
    assert.deepEqual(doc.policies.map((p) => p.attachedRoles), [['deployer'], ['deployer']]);
    const role = value.Resources.DeployerRole.Properties;
    const st = role.Policies[0].PolicyDocument.Statement;
    assert.deepEqual(st[0].Action, ['lambda:Invoke*']);
    assert.deepEqual(st[1].Action, [...EXPECTED_S3, 's3:List*']);
    // the trust policy and the bucket policy are never read, so never changed
    assert.deepEqual(role.AssumeRolePolicyDocument.Statement[0].Action, 'sts:AssumeRole');
    assert.equal(value.Resources.BucketPolicy.Properties.PolicyDocument.Statement[0].Action, 's3:Get*');
    // the statement with a !Sub action: one information problem, at the !Sub value, and unchanged
    const notes = info(doc);
    assert.equal(notes.length, 1);
    assert.equal(text.substr(notes[0].offset, notes[0].length), '"${Svc}:Get*"');
    assert.match(notes[0].message, /computed by Fn::Sub/);
    assert.deepEqual(value.Resources.ComputedPolicy.Properties.PolicyDocument.Statement[0].Action, [{ 'Fn::Sub': '${Svc}:Get*' }, 's3:PutObject']);
    // the scalar s3:Get* became a block sequence under its key
    assert.ok(r.text.includes('          - Effect: Allow\n            Action:\n              - s3:GetAccess*\n              - s3:GetAccountPublicAccessBlock\n'));
    // the flow sequence stayed flow, the comment after lambda:Invoke* stayed
    assert.ok(r.text.includes(`                Action: [${EXPECTED_S3.join(', ')}, s3:List*]\n`));
    assert.ok(r.text.includes('                  - lambda:Invoke*   # keep invoking\n'));
    assert.ok(r.text.includes('              # the lambda functions this role deploys\n'));
    assert.equal(r.summary.removedActions, 8);
    // the eight removed lines are exactly the lambda lines
    const gone = text.split('\n').filter((l) => !r.text.split('\n').includes(l));
    assert.deepEqual(gone.filter((l) => l.includes('lambda:')).map((l) => l.trim().slice(2)), LAMBDA_UNUSED);
  });

  test('SAM: the inline statements refined; policy templates and managed policies reported once each, not refined', () => {
    const text = fixture('sam-template.yaml');
    const { doc, value, out } = refine(text);
    const pol = value.Resources.DeployFunction.Properties.Policies;
    assert.equal(pol[0], 'AWSLambdaBasicExecutionRole');
    assert.deepEqual(pol[1], { S3ReadPolicy: { BucketName: { Ref: 'BucketName' } } });
    assert.deepEqual(pol[2].Statement[0].Action, ['lambda:Invoke*']);
    assert.deepEqual(pol[2].Statement[1].Action, [...EXPECTED_S3, 's3:List*']);
    // single quotes, as the neighbours
    assert.ok(out.includes("                - 's3:GetAccess*'\n                - 's3:GetAccountPublicAccessBlock'\n"));
    const notes = info(doc).map((p) => [at(doc, p.offset), p.message]);
    assert.deepEqual(notes.map((n) => n[0]), ['23:11', '24:11', '50:11', '54:27']);
    assert.match(notes[0][1], /managed policy AWSLambdaBasicExecutionRole .*SAM resolves it at deploy time/);
    assert.match(notes[1][1], /SAM policy template S3ReadPolicy is expanded by SAM at deploy time/);
    assert.match(notes[3][1], /computed by Fn::If/);
    assert.deepEqual(doc.policies.map((p) => p.label), ['DeployFunction.Policies[2]', 'Workflow.Policies[1]']);
  });

  test('Serverless: provider.iam.role.statements refined in double quotes, a ${self:} action left alone with one note', () => {
    const text = fixture('serverless.yml');
    const { doc, value, out } = refine(text, 'serverless.yml');
    assert.deepEqual(doc.policies.map((p) => [p.label, p.attachedRoles]), [['provider.iam.role.statements', ['deployer']], ['functions.deploy.iamRoleStatements', undefined]]);
    const st = value.provider.iam.role.statements;
    assert.deepEqual(st[0].Action, ['lambda:Invoke*']);
    assert.deepEqual(st[1].Action, [...EXPECTED_S3, 's3:List*']);
    assert.ok(out.includes('            - "s3:GetAccess*"\n'));
    const notes = info(doc);
    assert.equal(notes.length, 1);
    assert.equal(at(doc, notes[0].offset), '40:13');
    assert.match(notes[0].message, /Serverless variable/);
    // everything before the provider's statements and after them is byte-identical
    const { head, tail } = changedRegion(text, out);
    assert.ok(head.endsWith('            - "lambda:'), JSON.stringify(head.slice(-40)));
    assert.ok(tail.includes('functions:\n  deploy:\n    handler: handler.deploy\n    iamRoleStatements:          # serverless-iam-roles-per-function\n'));
  });

  test('the same problems as the JSON example: 8 unused actions, one unused wildcard, with positions', () => {
    const text = fixture('cloudformation.yaml');
    const doc = parsePolicyDocument(text, 'template.yaml');
    const u = new Universe(catalog, [...findingActionNames(exampleFindings), ...documentActionNames(doc)]);
    const problems = analyzeDocument(doc, { catalog, universe: u, unused: resolveUnused(exampleFindings, u) });
    assert.equal(problems.filter((p) => p.code === 'unused-action').length, 8);
    const wild = problems.filter((p) => p.code === 'unused-wildcard');
    // s3:Get* in the role's flow sequence and the ManagedPolicy's scalar
    assert.deepEqual(wild.map((p) => [at(doc, p.offset), text.substr(p.offset, p.length)]), [['38:26', 's3:Get*'], ['54:21', 's3:Get*']]);
  });
});

describe('YAML edits in the file\'s style', () => {
  const s3Acl = unusedFindings('s3', 'GetObjectAcl');

  test('a scalar in a flow mapping becomes a flow sequence; quoting follows the neighbour', () => {
    const text = "Statement:\n  - {Effect: Allow, Action: 's3:GetObject*', Resource: '*'}\n";
    const { out, value } = refine(text, 'policy.yaml', s3Acl);
    assert.match(out, /^Statement:\n {2}- \{Effect: Allow, Action: \['s3:GetObject', 's3:GetObjectAnnotation', .*'s3:GetObjectVersion\*'\], Resource: '\*'\}\n$/);
    assert.ok(!value.Statement[0].Action.includes('s3:GetObjectAcl'));
  });

  test('Action "*" becomes NotAction, key quoting kept; a "*" pattern is always quoted', () => {
    const text = 'Version: "2012-10-17"\nStatement:\n  - Effect: Allow\n    "Action": "*"\n    Resource: "*"\n  - Effect: Allow\n    Action: [s3:GetObject]\n    Resource: "*"\n';
    const { out } = refine(text, 'p.yml', unusedFindings('ec2', 'RunInstances'));
    assert.equal(out, 'Version: "2012-10-17"\nStatement:\n  - Effect: Allow\n    "NotAction": ec2:RunInstances\n    Resource: "*"\n  - Effect: Allow\n    Action: [s3:GetObject]\n    Resource: "*"\n');
  });

  test('Allow + NotAction: unused actions appended in the list\'s own style', () => {
    const text = 'Statement:\r\n- Effect: Allow\r\n  NotAction:\r\n  - iam:*   # never IAM\r\n  Resource: "*"\r\n';
    const { out } = refine(text, 'p.yaml', unusedFindings('ec2', 'RunInstances'));
    assert.equal(out, 'Statement:\r\n- Effect: Allow\r\n  NotAction:\r\n  - iam:*   # never IAM\r\n  - ec2:RunInstances\r\n  Resource: "*"\r\n');
  });

  test('a removed statement takes its whole item; comments around it stay; CRLF kept', () => {
    const text = 'Statement:\r\n  # first\r\n  - Effect: Allow\r\n    Action: s3:GetObjectAcl  # only this\r\n    Resource: "*"\r\n  # second\r\n  - Effect: Allow\r\n    Action:\r\n      - s3:GetObjectAcl\r\n      - s3:PutObject\r\n    Resource: "*"';
    const { out } = refine(text, 'p.yaml', s3Acl);
    assert.equal(out, 'Statement:\r\n  # first\r\n  # second\r\n  - Effect: Allow\r\n    Action:\r\n      - s3:PutObject\r\n    Resource: "*"');
    // the last statement removed, in a text without a final line break
    const t2 = 'Statement:\n  - Effect: Allow\n    Action: s3:PutObject\n  - Effect: Allow\n    Action: s3:GetObjectAcl';
    assert.equal(refine(t2, 'p.yaml', s3Acl).out, 'Statement:\n  - Effect: Allow\n    Action: s3:PutObject');
  });

  test('a new block sequence copies the file\'s habit of indenting sequences under keys (here: not at all)', () => {
    const text = 'Statement:\n- Effect: Allow\n  Action: s3:GetObject*\n  Resource:\n  - arn:aws:s3:::b/*\n';
    const { out } = refine(text, 'p.yaml', s3Acl);
    assert.ok(out.startsWith('Statement:\n- Effect: Allow\n  Action:\n  - s3:GetObject\n  - s3:GetObjectAnnotation\n'), out);
  });

  test('a PolicyDocument JSON string in a !Sub block: read with exact offsets, edited as JSON inside the block', () => {
    const text = [
      'Resources:',
      '  P:',
      '    Type: AWS::IAM::Policy',
      '    Properties:',
      '      Roles: [!Ref R]',
      '      PolicyDocument: !Sub |',
      '        {',
      '          "Statement": [',
      '            {',
      '              "Effect": "Allow",',
      '              "Action": "s3:GetObject*",',
      '              "Resource": "arn:aws:s3:::${AWS::AccountId}/*"',
      '            },',
      '            {"Effect": "Allow", "Action": ["${Svc}:Get*"], "Resource": "*"}',
      '          ]',
      '        }',
      '  R:',
      '    Type: AWS::IAM::Role',
      '    Properties:',
      '      RoleName: app',
      '',
    ].join('\r\n');
    const { doc, out, value } = refine(text, 't.yaml', s3Acl);
    assert.deepEqual(doc.policies[0].attachedRoles, ['app']);
    const e = doc.policies[0].statements[0].entries[0];
    assert.equal(text.substr(e.span.offset, e.span.length), '"s3:GetObject*"');
    assert.equal(at(doc, e.span.offset), '11:25');
    assert.equal(info(doc).length, 1);
    assert.equal(text.substr(info(doc)[0].offset, info(doc)[0].length), '"${Svc}:Get*"');
    const json = JSON.parse(value.Resources.P.Properties.PolicyDocument['Fn::Sub']);
    assert.ok(json.Statement[0].Action.includes('s3:GetObject') && !json.Statement[0].Action.includes('s3:GetObjectAcl'));
    assert.ok(out.includes('\r\n              "Action": [\r\n                "s3:GetObject",\r\n'), JSON.stringify(out));
  });

  test('long-form Fn::If choosing between policies: both branches read; Fn::Join document reported', () => {
    const text = [
      'Conditions:',
      '  IsProd: !Equals [!Ref Stage, prod]',
      'Resources:',
      '  Role:',
      '    Type: AWS::IAM::Role',
      '    Properties:',
      '      Policies:',
      '        - Fn::If:',
      '            - IsProd',
      '            - PolicyName: prod',
      '              PolicyDocument:',
      '                Statement:',
      '                  - {Effect: Allow, Action: s3:GetObjectAcl, Resource: "*"}',
      '                  - {Effect: Allow, Action: s3:PutObject, Resource: "*"}',
      '            - Ref: AWS::NoValue',
      '        - PolicyName: joined',
      '          PolicyDocument: !Join ["", ["{", "}"]]',
      '',
    ].join('\n');
    const { doc, value } = refine(text, 't.yaml', s3Acl);
    assert.deepEqual(doc.policies.map((p) => p.label), ['Role.Policies[0].Fn::If[1]']);
    assert.deepEqual(value.Resources.Role.Properties.Policies[0]['Fn::If'][1].PolicyDocument.Statement, [{ Effect: 'Allow', Action: 's3:PutObject', Resource: '*' }]);
    assert.equal(info(doc).length, 1);
    assert.match(info(doc)[0].message, /computed by Fn::Join/);
  });

  test('a wildcard starting with "*" written plain would be an alias: quoted', () => {
    const text = 'Statement:\n  - Effect: Allow\n    NotAction: iam:*\n    Resource: "*"\n';
    const findings = parseFindings('f.json', JSON.stringify([{ serviceNamespace: 'ec2' }, { serviceNamespace: 's3' }])).findings;
    const { out, value } = refine(text, 'p.yaml', findings);
    assert.deepEqual(value.Statement[0].NotAction, ['iam:*', 'ec2:*', 's3:*']);
    assert.ok(out.includes('    NotAction:\n      - iam:*\n      - ec2:*\n'));
  });
});

describe('what YAML files are read', () => {
  test('labels: a template gives the same policy labels in YAML and in JSON; a Serverless file\'s resources as in its synthesized template', () => {
    const doc = (k: number) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: [`s3:GetObject${k}`], Resource: '*' }] });
    const template = {
      Resources: {
        AppRole: { Type: 'AWS::IAM::Role', Properties: { RoleName: 'app', Policies: [{ PolicyName: 'a', PolicyDocument: doc(1) }, { PolicyName: 'b', PolicyDocument: doc(2) }] } },
        Managed: { Type: 'AWS::IAM::ManagedPolicy', Properties: { Roles: [{ Ref: 'AppRole' }], PolicyDocument: doc(3) } },
      },
    };
    const json = parsePolicyDocument(JSON.stringify(template, null, 2), 'template.json');
    const yaml = parsePolicyDocument(toYaml(template), 'template.yaml');
    assert.deepEqual(json.policies.map((p) => p.label), ['AppRole.Policies[0]', 'AppRole.Policies[1]', 'Managed.PolicyDocument']);
    assert.deepEqual(yaml.policies.map((p) => p.label), json.policies.map((p) => p.label));
    const sls = parsePolicyDocument(toYaml({ service: 's', provider: { name: 'aws' }, resources: template }), 'serverless.yml');
    assert.deepEqual(sls.policies.map((p) => p.label), json.policies.map((p) => p.label));
  });

  test('thousands of syntax errors (found by the language server fuzz: 135,000 in 500 KB stalled the editor): the first 100, then how many more', () => {
    const base = 'Resources:\n  R:\n    Type: AWS::IAM::Policy\n    Properties:\n      PolicyDocument:\n        Statement:\n          - Effect: Allow\n            Action: s3:GetObject\n            Resource: "*"\n';
    const d = parsePolicyDocument(base + ']: }\n'.repeat(3000), 'template.yaml');
    assert.equal(d.problems.length, 101);
    assert.match(d.problems[100].message, /^invalid YAML: \d+ more syntax errors from here on \(not shown\)$/);
    assert.ok(d.problems[100].offset >= d.problems[99].offset);
    assert.equal(d.policies.length, 1);
  });

  test('nesting far too deep (found by the language server fuzz): one error in words at its place, the policy still read', () => {
    const base = 'Resources:\n  R:\n    Type: AWS::IAM::Policy\n    Properties:\n      PolicyDocument:\n        Statement:\n          - Effect: Allow\n            Action: s3:GetObject\n            Resource: "*"\n';
    for (const deep of ['{a: '.repeat(20_000) + '1' + '}'.repeat(20_000), '['.repeat(20_000) + ']'.repeat(20_000), '['.repeat(5_000)]) {
      const d = parsePolicyDocument(`${base}x: ${deep}\n`, 'template.yaml');
      // was "invalid YAML: Maximum call stack size exceeded", twice
      assert.ok(d.problems.every((p) => !/call stack/.test(p.message)), d.problems.map((p) => p.message).join('; '));
      const too = d.problems.filter((p) => /nested too deeply/.test(p.message));
      assert.equal(too.length, 1);
      assert.ok(too[0].offset > base.length, `at ${too[0].offset}`);
      assert.equal(d.policies.length, 1);
    }
  });
  test('500,000 levels of [ or { and 200,000 of compact "- ": an error at the first place too deep, quickly (was 7 s, and 3 s)', () => {
    const base = 'Resources:\n  R:\n    Type: AWS::IAM::Policy\n    Properties:\n      PolicyDocument:\n        Statement:\n          - Effect: Allow\n            Action: s3:GetObject\n            Resource: "*"\n';
    const n = 500_000;
    for (const [deep, at, what] of [
      ['['.repeat(n) + ']'.repeat(n), 512, /over 512 levels of \[ and \{/],
      ['{a: '.repeat(n / 2) + '1' + '}'.repeat(n / 2), 512 * 4, /over 512 levels/],
      ['\n  ' + '- '.repeat(200_000) + 'x', 259, /indented past column 256/],
    ] as const) {
      const text = `${base}x: ${deep}\ny: 1\n`;
      const t0 = Date.now();
      const d = parsePolicyDocument(text, 'template.yaml');
      const ms = Date.now() - t0;
      const too = d.problems.filter((p) => /nested too deeply/.test(p.message));
      assert.equal(too.length, 1, d.problems.map((p) => p.message).join('; '));
      // the bracket (or the "-") one past the bound
      assert.equal(too[0].offset, base.length + 3 + at, `${too[0].offset}: ${too[0].message}`);
      assert.match(too[0].message, what);
      assert.ok(d.problems.every((p) => !/call stack/.test(p.message)));
      // what is around it is still read
      assert.equal(d.policies.length, 1);
      assert.ok(ms < 4000, `${ms} ms`);
    }
  });

  test('what only looks deep is read: 500 levels, brackets in quoted and block scalars and comments, a long line', () => {
    const base = 'Resources:\n  R:\n    Type: AWS::IAM::Policy\n    Properties:\n      PolicyDocument:\n        Statement:\n          - Effect: Allow\n            Action: s3:GetObject\n            Resource: "*"\n';
    const text = `${base}a: ${'['.repeat(500)}${']'.repeat(500)}\nb: "${'['.repeat(2000)}"\nc: '${'{'.repeat(2000)}'\n# ${'['.repeat(2000)}\nd: |\n  ${'['.repeat(2000)}\ne: ${'x'.repeat(300)} - y ? z\n`;
    const d = parsePolicyDocument(text, 'template.yaml');
    assert.deepEqual(d.problems, []);
    assert.equal(d.policies.length, 1);
    assert.equal(yamlTooDeep(text), undefined);
  });

  test('other YAML (a Kubernetes manifest, a CI file) costs a substring test and gives nothing', () => {
    const k8s = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n';
    assert.equal(mayContainPolicy(k8s, 'deploy.yaml'), false);
    const d = parsePolicyDocument(k8s, 'deploy.yaml');
    assert.deepEqual([d.policies.length, d.problems.length, d.recognised], [0, 0, false]);
    // one that merely mentions statements, broken: still not this tool's business
    const ci = 'jobs:\n  lint:\n    statements: [a, b\n  other: {\n';
    const c = parsePolicyDocument(ci, '.github/workflows/ci.yml');
    assert.deepEqual([c.policies.length, c.problems.length, c.recognised], [0, 0, false]);
  });

  test('a plain YAML policy document', () => {
    const { doc, value } = refine('Version: "2012-10-17"\nStatement:\n  Effect: Allow\n  Action: [s3:GetObjectAcl, s3:PutObject]\n  Resource: "*"\n', 'policy.yaml', unusedFindings('s3', 'GetObjectAcl'));
    assert.equal(doc.policies[0].label, 'policy');
    assert.deepEqual(value.Statement.Action, ['s3:PutObject']);
  });

  test('syntax errors are positioned (line:col right with tabs and CRLF); what can be read is read', () => {
    const text = 'Resources:\r\n  R:\r\n    Type: AWS::IAM::Role\r\n    Properties:\r\n      Policies:\r\n        - PolicyName: p\r\n          PolicyDocument:\r\n            Statement:\r\n              - Effect: Allow\r\n                Action: [s3:GetObject\r\n\t\tResource: "*"\r\n';
    const doc = parsePolicyDocument(text, 't.yaml');
    assert.ok(doc.hasSyntaxErrors);
    const errs = doc.problems.filter((p) => p.code === 'invalid-syntax');
    assert.ok(errs.length >= 1);
    for (const e of errs) assert.match(e.message, /^invalid YAML: /);
    // the tab at the start of line 11
    assert.ok(errs.some((e) => at(doc, e.offset) === '11:1' || at(doc, e.offset) === '11:3'), errs.map((e) => `${at(doc, e.offset)} ${e.message}`).join('\n'));
    assert.equal(doc.policies.length, 1);
    assert.equal(doc.policies[0].statements[0].entries[0].value, 's3:GetObject');
    // a broken template is recognised, so it is reported rather than skipped
    assert.ok(doc.recognised);
  });

  test('YAML merge keys (<<: *base) in a statement or a document: not refined, one information problem at the key; the rest refined', () => {
    const text = [
      'Metadata:',
      '  Base: &base',
      '    Effect: Allow',
      "    Resource: '*'",
      '  Doc: &doc',
      '    Statement:',
      '      - {Effect: Allow, Action: "s3:Get*", Resource: "*"}',
      'Resources:',
      '  P:',
      '    Type: AWS::IAM::ManagedPolicy',
      '    Properties:',
      '      PolicyDocument:',
      '        Statement:',
      '          - <<: *base',
      '            Action: s3:Get*',
      '          - Effect: Allow',
      '            <<: [*base]',
      '            Action: lambda:DeleteFunction',
      '          - Effect: Allow',
      '            Action: [s3:Get*, lambda:DeleteFunction]',
      "            Resource: '*'",
      '  Q:',
      '    Type: AWS::IAM::ManagedPolicy',
      '    Properties:',
      '      PolicyDocument:',
      '        <<: *doc',
      '',
    ].join('\n');
    const { doc, r, value } = refine(text);
    // no guessed "no Effect" error: the fields may come from the merged mapping
    assert.deepEqual(doc.problems.filter((p) => p.code !== 'not-refinable'), []);
    const notes = info(doc);
    assert.deepEqual(notes.map((p) => at(doc, p.offset)), ['14:13', '17:13', '26:9']);
    assert.match(notes[0].message, /YAML merge key \(<<: \*base\).*not refined/);
    assert.match(notes[1].message, /<<: \[\*base\]/);
    assert.match(notes[2].message, /^Q\.PolicyDocument: the policy takes its fields from a YAML merge key \(<<: \*doc\)/);
    assert.deepEqual(doc.policies[0].statements.map((s) => !!s.opaque), [true, true, false]);
    const st = value.Resources.P.Properties.PolicyDocument.Statement;
    assert.equal(st[0].Action, 's3:Get*');
    assert.equal(st[1].Action, 'lambda:DeleteFunction');
    assert.deepEqual(st[2].Action, EXPECTED_S3);
    assert.equal(r.text.split('\n').slice(0, 19).join('\n'), text.split('\n').slice(0, 19).join('\n'));
  });

  test('YAML merge keys in a role\'s Policies item and in SAM Policies: named as merge keys, not as SAM templates, never skipped in silence', () => {
    const text = [
      'Transform: AWS::Serverless-2016-10-31',
      'Metadata:',
      '  Pol: &pol',
      '    PolicyName: p',
      '    PolicyDocument: {Statement: [{Effect: Allow, Action: "s3:Get*", Resource: "*"}]}',
      '  Doc: &doc',
      '    Statement: [{Effect: Allow, Action: "s3:Get*", Resource: "*"}]',
      'Resources:',
      '  R:',
      '    Type: AWS::IAM::Role',
      '    Properties:',
      '      Policies:',
      '        - <<: *pol',
      '  F:',
      '    Type: AWS::Serverless::Function',
      '    Properties:',
      '      Policies:',
      '        - <<: *doc',
      '',
    ].join('\n');
    const doc = parsePolicyDocument(text, 'template.yaml');
    assert.equal(doc.policies.length, 0);
    assert.deepEqual(
      info(doc).map((p) => [at(doc, p.offset), p.message.slice(0, p.message.indexOf(':', p.message.indexOf(']')))]),
      [['13:11', 'R.Policies[0]'], ['18:11', 'F.Policies[0]']],
    );
    assert.ok(info(doc).every((p) => /YAML merge key \(<<: \*(pol|doc)\)/.test(p.message)), JSON.stringify(info(doc)));
  });

  test('a Deny, a Principal, a NOREPO Sid: never refined', () => {
    const text = 'Statement:\n  - Effect: Deny\n    Action: s3:GetObjectAcl\n  - Effect: Allow\n    Principal: {AWS: "*"}\n    Action: s3:GetObjectAcl\n  - Sid: NOREPOKeep\n    Effect: Allow\n    Action: s3:GetObjectAcl\n  - Effect: Allow\n    Action: [s3:GetObjectAcl, s3:PutObject]\n';
    const { doc, r } = refine(text, 'p.yaml', unusedFindings('s3', 'GetObjectAcl'));
    assert.deepEqual(doc.policies[0].statements.map((s) => [!!s.principal, !!s.suppressed]), [[false, false], [true, false], [false, true], [false, false]]);
    assert.equal(r.text, text.replace('[s3:GetObjectAcl, s3:PutObject]', '[s3:PutObject]'));
  });
});

describe('fixtures for the CLI and language-server tests', () => {
  test('broken-template.yaml: a recognised template with a positioned syntax error (tabs, CRLF); its statement still read', () => {
    const doc = parsePolicyDocument(fixture('broken-template.yaml'), 'broken-template.yaml');
    assert.ok(doc.recognised && doc.hasSyntaxErrors);
    const where = doc.problems.filter((p) => p.code === 'invalid-syntax').map((p) => at(doc, p.offset));
    // line 13 starts with four tabs: the error is at the R after them, column 5 (a tab is one character, as in LSP)
    assert.ok(where.includes('13:5'), where.join(', '));
    assert.deepEqual(doc.policies[0]?.statements[0]?.entries.map((e) => e.value), ['s3:GetObject*', 's3:PutObject']);
  });

  test('k8s-deployment.yaml: nothing', () => {
    const doc = parsePolicyDocument(fixture('k8s-deployment.yaml'), 'k8s-deployment.yaml');
    assert.deepEqual([doc.recognised, doc.policies.length, doc.problems.length], [false, 0, 0]);
  });
});

test('a written pattern with a space inside (from findings naming "CreateDomain ") is plain in a file that writes plain', () => {
  // found by the YAML property test (seed -1345750127): the pattern was single-quoted among plain ones
  const text = 'service: app\nprovider:\n  name: aws\n  iam:\n    role:\n      statements: [{Effect: Allow, Resource: arn:aws:s3:::b/*, Action: [s3:GetObject, \'*\']}]\n';
  const doc = parsePolicyDocument(text, 'serverless.yml');
  const findings = unusedFindings('cloudwatch', 'CreateDomain ', 'CreateDomain Ex');
  const u = new Universe(defaultCatalog(), [...findingActionNames(findings), ...documentActionNames(doc)]);
  const r = refineDocument({ universe: u, unused: resolveUnused(findings, u).indexes }, doc);
  assert.match(r.text, /NotAction: \[cloudwatch:CreateDomain \*\]\}\]/, r.text);
  assert.deepEqual((parseYaml(r.text) as { provider: { iam: { role: { statements: { NotAction: string[] }[] } } } }).provider.iam.role.statements[0].NotAction, ['cloudwatch:CreateDomain *']);
});
