/**
 * Terraform's JSON syntax (`*.tf.json`) by example: the product's example as a policy string and
 * as a policy document, escapes, interpolations, principals, syntax errors, role binding, the
 * registry's choice of format, and the CLI over a folder.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { Finding, LineIndex, completeActions, ParsedDocument, Universe, documentActionNames, findingActionNames, formatFor, initFormats, isPolicyFileName, jsonFormat, parseFindings, parsePolicyDocument, refineDocument, resolveUnused, terraformJsonFormat } from '../../server/src/core';
import { defaultCatalog } from '../../server/src/workspace/catalogFile';
import { EXAMPLE, EXPECTED_S3, LAMBDA_UNUSED, ROOT } from '../support/example';

const catalog = defaultCatalog();
const exampleFindings = parseFindings('findings.json', readFileSync(join(EXAMPLE, 'findings.json'), 'utf8')).findings;
const examplePolicy = readFileSync(join(EXAMPLE, 'policy.json'), 'utf8');

function refine(text: string, findings: Finding[] = exampleFindings, roles?: string[]) {
  const doc = parsePolicyDocument(text, 'main.tf.json');
  const u = new Universe(catalog, [...findingActionNames(findings), ...documentActionNames(doc)]);
  return { doc, result: refineDocument({ universe: u, unused: resolveUnused(findings, u, roles).indexes }, doc) };
}

const entries = (doc: ParsedDocument, p = 0) => doc.policies[p].statements.map((s) => s.entries.map((e) => e.value));
const slice = (text: string, s: { offset: number; length: number }) => text.slice(s.offset, s.offset + s.length);

/** A resource holding a policy string: the example policy, as Terraform's JSON writes a string (escaped). */
const stringForm = (policy = examplePolicy, resource = 'aws_iam_policy') =>
  JSON.stringify({ resource: { [resource]: { deployer: { name: 'deployer', policy } } } }, null, 2) + '\n';

const documentForm = () => {
  const p = JSON.parse(examplePolicy) as { Statement: { Effect: string; Action: string[]; Resource: string }[] };
  return (
    JSON.stringify(
      {
        data: { aws_iam_policy_document: { deployer: { statement: p.Statement.map((s) => ({ effect: s.Effect, actions: s.Action, resources: [s.Resource] })) } } },
        resource: { aws_iam_policy: { deployer: { name: 'deployer', policy: '${data.aws_iam_policy_document.deployer.json}' } } },
      },
      null,
      2,
    ) + '\n'
  );
};

describe('Terraform JSON (.tf.json)', () => {
  before(async () => {
    await initFormats();
  });

  test('the registry: *.tf.json is Terraform JSON (before JSON claims .json), a directory walk takes it', () => {
    assert.equal(formatFor('infra/main.tf.json'), terraformJsonFormat);
    assert.equal(formatFor('infra/MAIN.TF.JSON'), terraformJsonFormat);
    assert.equal(formatFor('policy.json'), jsonFormat);
    assert.equal(formatFor('main.tf').id, 'terraform');
    assert.ok(isPolicyFileName('a/b/main.tf.json'));
  });

  describe("the product's example", () => {
    test('as a policy string: the same refinement as the JSON, written inside the string with its escapes', () => {
      const text = stringForm();
      const { doc, result } = refine(text);
      assert.equal(doc.policies.length, 1);
      assert.equal(doc.policies[0].label, 'aws_iam_policy.deployer');
      const out = parsePolicyDocument(result.text, 'main.tf.json');
      assert.equal(out.hasSyntaxErrors, false);
      assert.deepEqual(entries(out), [['lambda:Invoke*'], [...EXPECTED_S3, 's3:List*']]);
      assert.equal(result.summary.removedActions, LAMBDA_UNUSED.length);
      // read independently: the output is JSON whose policy string is the example's JSON refined
      const policy = JSON.parse(JSON.parse(result.text).resource.aws_iam_policy.deployer.policy);
      assert.deepEqual(policy.Statement.map((s: { Action: string[] }) => s.Action), [['lambda:Invoke*'], [...EXPECTED_S3, 's3:List*']]);
      // only the string changed, and it is written as JSON writes a string (the input's own escaping)
      const refined = JSON.parse(result.text).resource.aws_iam_policy.deployer.policy as string;
      assert.equal(result.text, text.replace(JSON.stringify(examplePolicy), JSON.stringify(refined)));
      // inside it, only the changed entries: the refined JSON is the example's text with those entries replaced
      assert.equal(refined.slice(0, refined.indexOf('"lambda:')), examplePolicy.slice(0, examplePolicy.indexOf('"lambda:')));
    });

    test('as an aws_iam_policy_document: statements as objects, edited as JSON with the document\'s keys', () => {
      const text = documentForm();
      const { doc, result } = refine(text);
      assert.deepEqual(doc.policies.map((p) => p.label), ['data.aws_iam_policy_document.deployer']);
      const out = JSON.parse(result.text);
      assert.deepEqual(out.data.aws_iam_policy_document.deployer.statement.map((s: { actions: string[] }) => s.actions), [['lambda:Invoke*'], [...EXPECTED_S3, 's3:List*']]);
      assert.deepEqual(out.resource, JSON.parse(text).resource);
    });
  });

  describe('what is read', () => {
    test('exact spans inside an escaped string: every entry\'s source decodes to its value (\\u escapes, \\" quotes)', () => {
      const policy = '{"Statement":[{"Effect":"Allow","Action":["s3:Get*","lambda:Get\\u0046unction"],"Resource":"*"}]}';
      const text = `{"resource": {"aws_iam_role_policy": {"p": {"role": "app", "policy": ${JSON.stringify(policy)}}}}}`;
      const doc = parsePolicyDocument(text, 'main.tf.json');
      const st = doc.policies[0].statements[0];
      assert.deepEqual(st.entries.map((e) => e.value), ['s3:Get*', 'lambda:GetFunction']);
      for (const e of st.entries) assert.equal(JSON.parse(JSON.parse(`"${slice(text, e.span)}"`)), e.value, slice(text, e.span));
      assert.equal(slice(text, st.keySpan!), '\\"Action\\"');
      // refining writes inside the string; what is around the edited entries is untouched
      const { result } = refine(text, parseFindings('f.json', JSON.stringify([{ serviceNamespace: 'lambda', actions: ['GetFunction'] }])).findings);
      assert.equal(JSON.parse(JSON.parse(result.text).resource.aws_iam_role_policy.p.policy).Statement[0].Action.length, 1);
      assert.ok(result.text.includes('\\"Action\\":[\\"s3:Get*\\"]'), result.text);
    });

    test('labels as in .tf: resources, inline_policy blocks, locals (and the policies inside a local\'s map or list), modules', () => {
      const pol = JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] });
      const text = JSON.stringify({
        locals: { p: pol, policies: { read: pol, more: [pol] } },
        module: { m: { source: './m', policy_json: pol } },
        resource: { aws_iam_role: { r: { name: 'x', inline_policy: [{ name: 'a', policy: pol }] } }, aws_iam_user_policy: { u: { user: 'u', policy: pol } } },
      });
      assert.deepEqual(parsePolicyDocument(text, 'main.tf.json').policies.map((p) => p.label), [
        'local.p',
        'local.policies.read',
        'local.policies.more[0]',
        'module.m.policy_json',
        'aws_iam_role.r.inline_policy',
        'aws_iam_user_policy.u',
      ]);
    });

    test('a document: effect defaults to Allow, not_actions, sid NOREPO, principals, exact spans and keys', () => {
      const text = JSON.stringify({ data: { aws_iam_policy_document: { d: { statement: [{ not_actions: ['iam:*'] }, { sid: 'NOREPOkeep', actions: ['s3:Get*'] }, { actions: ['s3:Get*'], principals: [{ type: 'AWS', identifiers: ['*'] }] }] } } } }, null, 2);
      const doc = parsePolicyDocument(text, 'x.tf.json');
      const [a, b, c] = doc.policies[0].statements;
      assert.deepEqual([a.effect, a.key, b.suppressed, c.principal], ['Allow', 'NotAction', true, true]);
      assert.equal(slice(text, a.keySpan!), '"not_actions"');
      for (const st of [a, b, c]) for (const e of st.entries) assert.equal(slice(text, e.span), JSON.stringify(e.value));
      assert.equal(doc.problems.length, 0);
    });

    test('"Action": "*" in a document becomes a not_actions list; in a string, NotAction', () => {
      const findings = parseFindings('f.json', JSON.stringify([{ serviceNamespace: 'lambda' }])).findings;
      const text = JSON.stringify({ data: { aws_iam_policy_document: { d: { statement: [{ actions: ['*'], resources: ['*'] }] } } } }, null, 2);
      const out = JSON.parse(refine(text, findings).result.text).data.aws_iam_policy_document.d.statement[0];
      assert.deepEqual(out, { not_actions: ['lambda:*'], resources: ['*'] });
      const s = stringForm('{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}');
      const p = JSON.parse(JSON.parse(refine(s, findings).result.text).resource.aws_iam_policy.deployer.policy);
      assert.deepEqual(p.Statement, { Effect: 'Allow', NotAction: 'lambda:*', Resource: '*' });
    });

    test('interpolations: an interpolated action is not refined (one information problem there), an interpolated Resource is fine', () => {
      const policy = JSON.stringify({ Statement: [{ Effect: 'Allow', Action: ['${var.svc}:Get*', 's3:Get*'], Resource: '*' }, { Effect: 'Allow', Action: ['s3:Get*', 's3:List*'], Resource: 'arn:aws:s3:::${var.b}/*' }] });
      const text = stringForm(policy);
      const { doc, result } = refine(text);
      const info = doc.problems.filter((p) => p.code === 'not-refinable');
      assert.equal(info.length, 1, JSON.stringify(doc.problems));
      assert.equal(info[0].severity, 'information');
      assert.match(info[0].message, /interpolation/);
      assert.equal(JSON.parse(`"${slice(text, info[0])}"`), '"${var.svc}:Get*"');
      assert.ok(doc.policies[0].statements[0].opaque);
      const p = JSON.parse(JSON.parse(result.text).resource.aws_iam_policy.deployer.policy);
      assert.deepEqual(p.Statement[0].Action, ['${var.svc}:Get*', 's3:Get*']);
      assert.deepEqual(p.Statement[1].Action, [...EXPECTED_S3, 's3:List*']);
    });

    test('a policy string that is not plain JSON (an interpolation outside a string) is reported as computed, not as a syntax error', () => {
      const text = stringForm('{"Statement": [{"Effect": "Allow", "Action": ${jsonencode(var.actions)}, "Resource": "*"}]}');
      const doc = parsePolicyDocument(text, 'main.tf.json');
      assert.equal(doc.policies.length, 0);
      assert.equal(doc.hasSyntaxErrors, false);
      assert.deepEqual(doc.problems.map((p) => p.code), ['not-refinable']);
      assert.match(doc.problems[0].message, /aws_iam_policy\.deployer.*Terraform computes it/);
    });

    test('a policy computed by an expression in the string ("${jsonencode({...})}") is named, not skipped in silence', () => {
      const text = stringForm('${jsonencode({ Statement = [{ Effect = "Allow", Action = ["s3:Get*"], Resource = "*" }] })}');
      const doc = parsePolicyDocument(text, 'main.tf.json');
      assert.equal(doc.policies.length, 0);
      assert.deepEqual(doc.problems.map((p) => [p.code, p.severity]), [['not-refinable', 'information']]);
      assert.match(doc.problems[0].message, /aws_iam_policy\.deployer is a Terraform expression/);
      assert.equal(slice(text, doc.problems[0]), JSON.stringify(JSON.parse(text).resource.aws_iam_policy.deployer.policy));
    });

    test('computed actions in a document: an interpolated list, an interpolated entry, a dynamic statement', () => {
      const text = JSON.stringify(
        { data: { aws_iam_policy_document: { d: { statement: [{ actions: '${var.actions}' }, { actions: ['${var.s}:Get*'] }, { actions: ['lambda:GetFunction', 's3:GetObject'] }], dynamic: { statement: { for_each: '${var.s}', content: { actions: ['${statement.value}'] } } } } } } },
        null,
        2,
      );
      const findings = parseFindings('f.json', JSON.stringify([{ serviceNamespace: 'lambda', actions: ['GetFunction'] }])).findings;
      const { doc, result } = refine(text, findings);
      assert.equal(doc.policies[0].statementCount, 4);
      assert.equal(doc.problems.filter((p) => p.code === 'not-refinable').length, 3, JSON.stringify(doc.problems));
      assert.deepEqual(doc.policies[0].statements.map((s) => !!s.opaque), [true, true, false, true]);
      assert.deepEqual(JSON.parse(result.text).data.aws_iam_policy_document.d.statement[2].actions, ['s3:GetObject']);
    });

    test('source_policy_documents / override_policy_documents: said at each key; under an override, a statement with a sid is left alone', () => {
      const d = { source_policy_documents: ['${data.aws_iam_policy_document.base.json}'], override_json: '${data.aws_iam_policy_document.o.json}', statement: [{ sid: 'Named', actions: ['lambda:GetFunction', 's3:GetObject'] }, { actions: ['lambda:GetFunction', 's3:GetObject'] }] };
      const text = JSON.stringify({ data: { aws_iam_policy_document: { d } } }, null, 2);
      const findings = parseFindings('f.json', JSON.stringify([{ serviceNamespace: 'lambda', actions: ['GetFunction'] }])).findings;
      const { doc, result } = refine(text, findings);
      const info = doc.problems.filter((p) => p.code === 'not-refinable');
      assert.deepEqual(info.map((p) => slice(text, p).slice(0, 25)), ['"source_policy_documents"', '"override_json"', '{\n            "sid": "Nam']);
      assert.match(info[0].message, /only its own statements are read/);
      assert.match(info[1].message, /`override_json`.*replaces the statement with its sid/);
      assert.deepEqual(doc.policies[0].statements.map((s) => !!s.opaque), [true, false]);
      assert.deepEqual(JSON.parse(result.text).data.aws_iam_policy_document.d.statement.map((s: { actions: string[] }) => s.actions), [['lambda:GetFunction', 's3:GetObject'], ['s3:GetObject']]);
    });

    test('trust and resource policies (Principal, principals) are never refined', () => {
      const text = JSON.stringify({
        resource: {
          aws_iam_role: { r: { name: 'app', assume_role_policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] }) } },
          aws_s3_bucket_policy: { b: { policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:Get*', Resource: '*' }] }) } },
        },
      });
      const { doc, result } = refine(text);
      assert.equal(doc.policies.length, 2);
      assert.ok(doc.policies.every((p) => p.statements.every((s) => s.principal)));
      assert.equal(result.edits.length, 0);
    });

    test('bad input: a syntax error of the file, and of the JSON inside a string, named at its place; nothing is refined', () => {
      const broken = '{\n  "resource": {\n    "aws_iam_policy": {\n      "p": { "policy": "{\\"Statement\\": []}" \n    }\n  }\n';
      const doc = parsePolicyDocument(broken, 'main.tf.json');
      assert.equal(doc.hasSyntaxErrors, true);
      assert.ok(doc.problems.some((p) => p.code === 'invalid-json' && p.severity === 'error'));
      const inner = stringForm('{"Statement": [{"Effect": "Allow", "Action": ["s3:Get*",, ], "Resource": "*"}]}');
      const d2 = parsePolicyDocument(inner, 'main.tf.json');
      const p = d2.problems.find((x) => x.code === 'invalid-json')!;
      assert.ok(p, JSON.stringify(d2.problems));
      assert.match(p.message, /in the JSON of aws_iam_policy\.deployer/);
      const at = new LineIndex(inner).position(p.offset);
      assert.equal(inner.split('\n')[at.line].includes('"policy"'), true);
      // the file counts as broken: `refine` refuses it (nothing half-edited), `check` names the place
      assert.equal(d2.hasSyntaxErrors, true);
      // a statement the JSON format refuses, inside the string: named, not refined
      const bad = stringForm('{"Statement": [{"Effect": "allow", "Action": "s3:Get*", "Resource": "*"}]}');
      const d3 = parsePolicyDocument(bad, 'main.tf.json');
      const e = d3.problems.find((x) => x.code === 'invalid-policy')!;
      assert.match(e.message, /Effect/);
      assert.equal(JSON.parse(`"${slice(bad, e)}"`), '"allow"');
    });
  });

  test('while typing: every prefix of a file (both forms) is read without a crash, and refined only when it verifies', () => {
    const text = JSON.stringify({ ...JSON.parse(stringForm()), ...JSON.parse(documentForm()), resource: { ...JSON.parse(stringForm()).resource, ...JSON.parse(documentForm()).resource } }, null, 2);
    let read = 0;
    for (let n = 0; n <= text.length; n += 3) {
      const cut = text.slice(0, n);
      const doc = parsePolicyDocument(cut, 'main.tf.json');
      if (doc.policies.length) read++;
      if (doc.hasSyntaxErrors) {
        assert.ok(doc.problems.some((p) => p.code === 'invalid-json' && p.offset >= 0 && p.offset <= cut.length), `prefix ${n}`);
        continue;
      }
      // a complete file: refinement either verifies or refuses with the reason
      const u = new Universe(catalog, [...findingActionNames(exampleFindings), ...documentActionNames(doc)]);
      refineDocument({ universe: u, unused: resolveUnused(exampleFindings, u).indexes }, doc);
    }
    assert.ok(read > 0);
  });

  describe('which role a policy belongs to, from the code', () => {
    const role = (name: string, extra: Record<string, unknown> = {}) => ({ name, assume_role_policy: '{}', ...extra });
    const pol = JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] });
    const cases: [string, Record<string, unknown>, (string[] | undefined)[]][] = [
      ['aws_iam_role_policy { role = "${aws_iam_role.r.name}" }', { resource: { aws_iam_role: { r: role('deployer') }, aws_iam_role_policy: { p: { role: '${aws_iam_role.r.id}', policy: pol } } } }, [['deployer']]],
      ['aws_iam_role_policy { role = "literal" }', { resource: { aws_iam_role_policy: { p: { role: 'builder', policy: pol } } } }, [['builder']]],
      ['inline_policy of aws_iam_role', { resource: { aws_iam_role: { r: role('deployer', { inline_policy: [{ name: 'x', policy: pol }] }) } } }, [['deployer']]],
      ['aws_iam_policy with attachments', { resource: { aws_iam_role: { r: role('deployer') }, aws_iam_policy: { p: { policy: pol } }, aws_iam_role_policy_attachment: { a: { role: '${aws_iam_role.r.name}', policy_arn: '${aws_iam_policy.p.arn}' } }, aws_iam_policy_attachment: { b: { roles: ['other'], policy_arn: '${aws_iam_policy.p.arn}' } } } }, [['deployer', 'other']]],
      ['a document used by a role policy', { data: { aws_iam_policy_document: { d: { statement: { actions: ['s3:GetObject'] } } } }, resource: { aws_iam_role_policy: { p: { role: 'deployer', policy: '${data.aws_iam_policy_document.d.json}' } } } }, [['deployer']]],
      ['a computed role binds nothing', { resource: { aws_iam_role_policy: { p: { role: '${var.role}', policy: pol } } } }, [undefined]],
      ['an attachment with a computed role binds nothing', { resource: { aws_iam_policy: { p: { policy: pol } }, aws_iam_role_policy_attachment: { a: { role: '${var.r}', policy_arn: '${aws_iam_policy.p.arn}' } } } }, [undefined]],
    ];
    for (const [name, value, want] of cases)
      test(name, () => {
        const doc = parsePolicyDocument(JSON.stringify(value, null, 2), 'main.tf.json');
        assert.deepEqual(doc.policies.map((p) => p.attachedRoles), want);
      });

    test('a bound policy gets only its role\'s findings', () => {
      const findings = parseFindings('f.json', JSON.stringify({ findings: [
        { resource: 'arn:aws:iam::123456789012:role/deployer', resourceType: 'AWS::IAM::Role', findingType: 'UnusedPermission', status: 'ACTIVE', id: '1', analyzedAt: '2026-11-20T00:00:00Z', createdAt: '2026-11-20T00:00:00Z', updatedAt: '2026-11-20T00:00:00Z', resourceOwnerAccount: '123456789012', findingDetails: [{ unusedPermissionDetails: { serviceNamespace: 's3', actions: [{ action: 'GetObject' }] } }] },
        { resource: 'arn:aws:iam::123456789012:role/builder', resourceType: 'AWS::IAM::Role', findingType: 'UnusedPermission', status: 'ACTIVE', id: '2', analyzedAt: '2026-11-20T00:00:00Z', createdAt: '2026-11-20T00:00:00Z', updatedAt: '2026-11-20T00:00:00Z', resourceOwnerAccount: '123456789012', findingDetails: [{ unusedPermissionDetails: { serviceNamespace: 'lambda' } }] },
      ] })).findings;
      const text = JSON.stringify({ resource: { aws_iam_role_policy: { p: { role: 'builder', policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 'lambda:GetFunction'], Resource: '*' }] }) } } } }, null, 2);
      const doc = parsePolicyDocument(text, 'main.tf.json');
      const { result } = refine(text, findings, doc.policies[0].attachedRoles!.map((n) => `arn:aws:iam::123456789012:role/${n}`));
      assert.deepEqual(JSON.parse(JSON.parse(result.text).resource.aws_iam_role_policy.p.policy).Statement[0].Action, ['s3:GetObject']);
    });
  });

  test('completion inside an actions string of a policy document (not in other strings of the file)', () => {
    const text = '{"data": {"aws_iam_policy_document": {"d": {"statement": [{"actions": ["s3:GetObj"], "resources": ["s3:GetObj"]}]}}}}';
    const at = text.indexOf('s3:GetObj') + 's3:GetObj'.length;
    const got = completeActions({ text, offset: at, catalog });
    assert.ok(got.length > 0 && got.every((e) => e.insertText.startsWith('s3:GetObj')), JSON.stringify(got.slice(0, 3)));
    assert.ok(got.some((e) => e.insertText === 's3:GetObject'));
    assert.deepEqual(completeActions({ text, offset: text.lastIndexOf('s3:GetObj') + 9, catalog }), []);
  });

  test('the CLI refuses a file whose policy string is broken JSON, naming file:line:col, and leaves it as it was', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfjson-'));
    try {
      const text = stringForm('{"Statement": [{"Effect": "Allow", "Action": ["s3:Get*" "lambda:DeleteFunction"], "Resource": "*"}]}');
      writeFileSync(join(dir, 'main.tf.json'), text);
      writeFileSync(join(dir, 'findings.json'), readFileSync(join(EXAMPLE, 'findings.json')));
      const cli = join(ROOT, 'out', 'server', 'src', 'cli', 'main.js');
      const w = spawnSync(process.execPath, [cli, 'refine', join(dir, 'main.tf.json'), '--findings', join(dir, 'findings.json'), '--write'], { encoding: 'utf8' });
      assert.equal(w.status, 2, w.stderr);
      // the place of the entry after the missing comma, in the file (inside the escaped string)
      const where = new LineIndex(text).where(text.indexOf('\\"lambda:DeleteFunction'));
      assert.ok(w.stderr.includes(`main.tf.json:${where}: invalid JSON: CommaExpected (in the JSON of aws_iam_policy.deployer)`), w.stderr);
      assert.equal(readFileSync(join(dir, 'main.tf.json'), 'utf8'), text);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the CLI: `check DIR` finds main.tf.json, `refine --write` edits it in place and the result reads back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfjson-'));
    try {
      writeFileSync(join(dir, 'main.tf.json'), stringForm());
      writeFileSync(join(dir, 'findings.json'), readFileSync(join(EXAMPLE, 'findings.json')));
      const cli = join(ROOT, 'out', 'server', 'src', 'cli', 'main.js');
      const check = spawnSync(process.execPath, [cli, 'check', dir, '--findings', join(dir, 'findings.json')], { encoding: 'utf8' });
      assert.equal(check.status, 1, check.stderr + check.stdout);
      assert.match(check.stdout, /main\.tf\.json:\d+:\d+: warning unused-wildcard: s3:Get\*/);
      const write = spawnSync(process.execPath, [cli, 'refine', join(dir, 'main.tf.json'), '--findings', join(dir, 'findings.json'), '--write'], { encoding: 'utf8' });
      assert.equal(write.status, 0, write.stderr);
      const out = JSON.parse(readFileSync(join(dir, 'main.tf.json'), 'utf8'));
      assert.deepEqual(JSON.parse(out.resource.aws_iam_policy.deployer.policy).Statement[1].Action, [...EXPECTED_S3, 's3:List*']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
