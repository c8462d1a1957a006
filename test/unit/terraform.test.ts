/**
 * The Terraform format by example: the product's example in each of the three forms, computed
 * entries, principals, syntax errors while typing, role binding from the code, edits in HCL style,
 * and the fixtures under test/fixtures/terraform.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Finding, LineIndex, NothingLeftError, ParsedDocument, Universe, documentActionNames, findingActionNames, initFormats, parseFindings, parsePolicyDocument, refineDocument, resolveUnused, terraformFormat } from '../../server/src/core';
import { defaultCatalog } from '../../server/src/workspace/catalogFile';
import { EXAMPLE, EXPECTED_S3, LAMBDA_UNUSED, ROOT } from '../support/example';
import { readTerraform } from '../support/tfOracle';

const catalog = defaultCatalog();
const exampleFindings = parseFindings('findings.json', readFileSync(join(EXAMPLE, 'findings.json'), 'utf8')).findings;

function refine(text: string, findings: Finding[] = exampleFindings, file = 'main.tf') {
  const doc = parsePolicyDocument(text, file);
  const u = new Universe(catalog, [...findingActionNames(findings), ...documentActionNames(doc)]);
  return { doc, result: refineDocument({ universe: u, unused: resolveUnused(findings, u).indexes }, doc) };
}

const unusedOf = (svc: string, ...actions: string[]) => parseFindings('f.json', JSON.stringify([{ serviceNamespace: svc, actions }])).findings;
const slice = (text: string, x: { offset: number; length: number }) => text.slice(x.offset, x.offset + x.length);
const entries = (doc: ParsedDocument, p = 0) => doc.policies[p].statements.map((s) => s.entries.map((e) => e.value));

const EXAMPLE_JSONENCODE = `resource "aws_iam_role_policy" "deployer" {
  name = "deployer"
  role = aws_iam_role.deployer.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect = "Allow"
        Action = [
          ${LAMBDA_UNUSED.map((a) => JSON.stringify(a)).join(',\n          ')},
          "lambda:Invoke*",
        ]
        Resource = "arn:aws:lambda:us-east-1:123456789012:function:my-lambda"
      },
      {
        Effect   = "Allow"
        Action   = ["s3:Get*", "s3:List*"]
        Resource = "*"
      },
    ]
  })
}

resource "aws_iam_role" "deployer" {
  name               = "deployer"
  assume_role_policy = "{}"
}
`;

const EXAMPLE_DOCUMENT = `data "aws_iam_policy_document" "deployer" {
  statement {
    actions = [
      ${LAMBDA_UNUSED.map((a) => JSON.stringify(a)).join(',\n      ')},
      "lambda:Invoke*",
    ]
    resources = ["arn:aws:lambda:us-east-1:123456789012:function:my-lambda"]
  }

  statement {
    effect    = "Allow"
    actions   = ["s3:Get*", "s3:List*"]
    resources = ["*"]
  }
}
`;

const EXAMPLE_HEREDOC = () => `resource "aws_iam_policy" "deployer" {
  name   = "deployer"
  policy = <<EOF
${readFileSync(join(EXAMPLE, 'policy.json'), 'utf8')}EOF
}
`;

describe('Terraform', () => {
  before(async () => {
    await initFormats();
  });

  describe('the product\'s example in each form', () => {
    for (const [form, text] of [
      ['jsonencode', () => EXAMPLE_JSONENCODE],
      ['policy document', () => EXAMPLE_DOCUMENT],
      ['heredoc', EXAMPLE_HEREDOC],
    ] as const) {
      test(`${form}: the same refinement as the JSON`, async () => {
        const { result } = refine(text());
        const out = parsePolicyDocument(result.text, 'main.tf');
        assert.equal(out.hasSyntaxErrors, false);
        assert.deepEqual(entries(out), [['lambda:Invoke*'], [...EXPECTED_S3, 's3:List*']]);
        assert.equal(result.summary.removedActions, 8);
        assert.equal(result.summary.refinedWildcards, 1);
        // HashiCorp's parser reads the output as the same policy
        const read = await readTerraform(result.text);
        assert.deepEqual(read[0].statements.map((s) => s.values), [['lambda:Invoke*'], [...EXPECTED_S3, 's3:List*']]);
      });
    }

    test('jsonencode: one-per-line stays one-per-line with its trailing comma, inline stays inline, nothing else changes', () => {
      const { result } = refine(EXAMPLE_JSONENCODE);
      assert.equal(
        result.text,
        EXAMPLE_JSONENCODE.replace(/ {10}"lambda:AddPermission",[\s\S]*?"lambda:GetFunction",\n/, '').replace('["s3:Get*", "s3:List*"]', `[${EXPECTED_S3.map((x) => JSON.stringify(x)).join(', ')}, "s3:List*"]`),
      );
    });

    test('heredoc: the JSON inside is edited as JSON, at its place in the .tf file', () => {
      const text = EXAMPLE_HEREDOC();
      const { result } = refine(text);
      const head = 'resource "aws_iam_policy" "deployer" {\n  name   = "deployer"\n  policy = <<EOF\n';
      assert.ok(result.text.startsWith(head));
      assert.ok(result.text.endsWith('EOF\n}\n'));
      assert.deepEqual(JSON.parse(result.text.slice(head.length, -'EOF\n}\n'.length)).Statement[1].Action, [...EXPECTED_S3, 's3:List*']);
    });
  });

  describe('what is read', () => {
    test('labels, keys quoted or bare, Effect default in a document, exact spans', () => {
      const text = 'locals {\n  p = jsonencode({ "Statement" = { "Effect" = "Allow", Action = "s3:Get*" } })\n}\ndata "aws_iam_policy_document" "d" {\n  statement {\n    not_actions = ["iam:*"]\n  }\n}\n';
      const doc = parsePolicyDocument(text, 'x.tf');
      assert.deepEqual(doc.policies.map((p) => p.label), ['local.p', 'data.aws_iam_policy_document.d']);
      const [a, b] = doc.policies.map((p) => p.statements[0]);
      assert.equal(a.index, -1);
      assert.deepEqual([a.effect, a.key, b.effect, b.key], ['Allow', 'Action', 'Allow', 'NotAction']);
      for (const st of [a, b]) for (const e of st.entries) assert.equal(text.slice(e.span.offset, e.span.offset + e.span.length), JSON.stringify(e.value));
      assert.equal(text.slice(b.keySpan!.offset, b.keySpan!.offset + b.keySpan!.length), 'not_actions');
    });

    test('computed entries: one information problem per statement, the statement left alone, the rest refined', () => {
      const text = `resource "aws_iam_policy" "p" {
  policy = jsonencode({
    Statement = [
      { Effect = "Allow", Action = ["\${var.svc}:Get*", "s3:GetObject", local.more], Resource = "*" },
      { Effect = "Allow", Action = var.actions, Resource = "*" },
      { Effect = "Allow", Action = concat(["s3:Get*"], var.x), Resource = "*" },
      { Effect = "Allow", Action = [for a in var.a : "s3:\${a}"], Resource = "*" },
      { Effect = "Allow", Action = var.ro ? ["s3:Get*"] : ["s3:*"], Resource = "*" },
      { Effect = "Deny", Action = var.denied, Resource = "*" },
      { Effect = "Allow", Action = ["s3:Get*", "s3:List*"], Resource = "*" },
    ]
  })
}
`;
      const { doc, result } = refine(text);
      const info = doc.problems.filter((p) => p.code === 'not-refinable');
      assert.equal(info.length, 5, JSON.stringify(info));
      assert.ok(info.every((p) => p.severity === 'information'));
      assert.match(info[0].message, /interpolation/);
      assert.equal(text.slice(info[0].offset, info[0].offset + info[0].length), '"${var.svc}:Get*"');
      assert.match(info[1].message, /reference \(`var\.actions`\)/);
      assert.match(info[2].message, /function call \(`concat/);
      assert.match(info[3].message, /`for` expression/);
      assert.match(info[4].message, /conditional/);
      assert.ok(doc.policies[0].statements.slice(0, 6).every((s) => s.opaque));
      const out = parsePolicyDocument(result.text, 'main.tf');
      assert.deepEqual(out.policies[0].statements[6].entries.map((e) => e.value), [...EXPECTED_S3, 's3:List*']);
      assert.equal(result.text.split('\n').slice(0, 9).join('\n'), text.split('\n').slice(0, 9).join('\n'));
    });

    test('a dynamic "statement" block and computed actions in a document: not refined, counted as statements', () => {
      const text = 'data "aws_iam_policy_document" "d" {\n  dynamic "statement" {\n    for_each = var.s\n    content {\n      actions = [statement.value]\n    }\n  }\n  statement {\n    actions = ["lambda:GetFunction"]\n  }\n}\n';
      const doc = parsePolicyDocument(text, 'main.tf');
      assert.equal(doc.policies[0].statementCount, 2);
      assert.equal(doc.problems.filter((p) => p.code === 'not-refinable').length, 1);
      // the one readable statement is wholly unused, but the dynamic one may hold used actions: the statement goes, the document stays
      const { result } = refine(text);
      assert.equal(result.text, 'data "aws_iam_policy_document" "d" {\n  dynamic "statement" {\n    for_each = var.s\n    content {\n      actions = [statement.value]\n    }\n  }\n}\n');
    });

    test('source_policy_documents / override_policy_documents: said at each argument; under an override, a statement with a sid is left alone', () => {
      const text =
        'data "aws_iam_policy_document" "d" {\n  source_policy_documents   = [data.aws_iam_policy_document.base.json]\n  override_policy_documents = [data.aws_iam_policy_document.o.json]\n' +
        '  statement {\n    sid     = "Named"\n    actions = ["lambda:GetFunction", "s3:GetObject"]\n  }\n  statement {\n    actions = ["lambda:GetFunction", "s3:GetObject"]\n  }\n}\n';
      const { doc, result } = refine(text, unusedOf('lambda', 'GetFunction'));
      const info = doc.problems.filter((p) => p.code === 'not-refinable');
      assert.ok(info.every((p) => p.severity === 'information'));
      assert.deepEqual(info.map((p) => slice(text, p)), ['source_policy_documents', 'override_policy_documents', 'statement']);
      assert.match(info[0].message, /data\.aws_iam_policy_document\.d also takes the statements of `source_policy_documents`.*only its own statements are read/);
      assert.match(info[1].message, /replaces the statement with its sid/);
      assert.match(info[2].message, /override_policy_documents.*may replace it/);
      assert.deepEqual(doc.policies[0].statements.map((s) => !!s.opaque), [true, false]);
      assert.deepEqual(entries(parsePolicyDocument(result.text, 'main.tf')), [['lambda:GetFunction', 's3:GetObject'], ['s3:GetObject']]);
      // a source document alone: every own statement is refined
      const src = refine(text.replace(/  override_policy_documents.*\n/, ''), unusedOf('lambda', 'GetFunction'));
      assert.deepEqual(src.doc.problems.map((p) => slice(src.doc.text, p)), ['source_policy_documents']);
      assert.deepEqual(entries(parsePolicyDocument(src.result.text, 'main.tf')), [['s3:GetObject'], ['s3:GetObject']]);
    });

    test('heredoc with an interpolated action: that statement is not refined, an interpolated Resource is fine', () => {
      const text = 'resource "aws_iam_policy" "p" {\n  policy = <<-EOT\n    {"Statement": [\n      {"Effect": "Allow", "Action": "${var.s}:Get*", "Resource": "*"},\n      {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "arn:aws:s3:::${var.b}/*"}\n    ]}\n    EOT\n}\n';
      const { doc, result } = refine(text);
      assert.equal(doc.problems.filter((p) => p.code === 'not-refinable').length, 1);
      assert.ok(doc.policies[0].statements[0].opaque);
      assert.deepEqual(entries(parsePolicyDocument(result.text, 'main.tf'))[1], [...EXPECTED_S3, 's3:List*']);
    });

    test('principals / Principal: never refined (trust and resource policies)', () => {
      const text = 'data "aws_iam_policy_document" "trust" {\n  statement {\n    actions = ["s3:Get*"]\n    principals {\n      type        = "AWS"\n      identifiers = ["*"]\n    }\n  }\n  statement {\n    actions = ["s3:Get*"]\n    not_principals {\n      type        = "AWS"\n      identifiers = ["*"]\n    }\n  }\n}\nresource "aws_s3_bucket_policy" "b" {\n  policy = jsonencode({ Statement = [{ Effect = "Allow", Principal = "*", Action = "s3:Get*", Resource = "*" }] })\n}\n';
      const { doc, result } = refine(text);
      assert.ok(doc.policies.every((p) => p.statements.every((s) => s.principal)));
      assert.equal(result.edits.length, 0);
      assert.equal(doc.problems.length, 0);
    });

    test('a syntax error while typing: positioned, and the policies that can be read are read', () => {
      const text = readFileSync(join(ROOT, 'test', 'fixtures', 'terraform', 'broken.tf'), 'utf8');
      const doc = parsePolicyDocument(text, 'broken.tf');
      assert.equal(doc.hasSyntaxErrors, true);
      const syntax = doc.problems.filter((p) => p.code === 'invalid-syntax');
      assert.ok(syntax.length >= 1);
      const at = new LineIndex(text).position(syntax[0].offset);
      assert.ok(at.line >= 7 && at.line <= 8, `reported at line ${at.line + 1}`);
      assert.deepEqual(doc.policies.map((p) => p.label), ['aws_iam_role_policy.typing', 'data.aws_iam_policy_document.readable']);
      // the statement with the error inside is never edited; the one after it is refined
      assert.ok(doc.policies[0].statements[0].opaque);
      const { result } = refine(text);
      assert.ok(result.text.includes(`actions = [${EXPECTED_S3.map((x) => JSON.stringify(x)).join(', ')}]`));
      assert.ok(result.text.includes('Action = ["s3:Get*", "s3:List*"\n'));
    });

    test('an unclosed file is reported, not thrown', () => {
      const doc = parsePolicyDocument('data "aws_iam_policy_document" "d" {\n  statement {\n    actions = ["s3:Get*"', 'main.tf');
      assert.equal(doc.hasSyntaxErrors, true);
      const p = doc.problems.find((x) => x.code === 'invalid-syntax');
      assert.match(p!.message, /unclosed|missing/);
      assert.equal(p!.offset, 'data "aws_iam_policy_document" "d" {\n  statement {\n    actions = ["s3:Get*"'.length - 1);
    });

    test('non-ASCII text before a policy: offsets are UTF-16, as the editor counts', () => {
      const text = '# rôle déployeur 🚀\nlocals {\n  p = jsonencode({ Statement = [{ Effect = "Allow", Action = ["s3:Get*"] }] })\n}\n';
      const e = parsePolicyDocument(text, 'main.tf').policies[0].statements[0].entries[0];
      assert.equal(text.slice(e.span.offset, e.span.offset + e.span.length), '"s3:Get*"');
    });

    test('claims .tf only; mayContainPolicy is cheap', () => {
      assert.ok(terraformFormat.claims('main.tf'));
      assert.ok(!terraformFormat.claims('main.tf.json'));
      assert.ok(!terraformFormat.claims('policy.json'));
      assert.ok(!terraformFormat.mayContainPolicy('variable "x" {}\n'));
    });
  });

  describe('roles bound from the code', () => {
    const roles = (text: string) => parsePolicyDocument(text, 'main.tf').policies.map((p) => [p.label, p.attachedRoles]);

    test('aws_iam_role_policy with a literal role, by reference (.name / .id), and computed', () => {
      const pol = 'jsonencode({ Statement = [{ Effect = "Allow", Action = "s3:Get*", Resource = "*" }] })';
      const text = `resource "aws_iam_role" "r" {\n  name = "deployer"\n}\nresource "aws_iam_role" "v" {\n  name = var.n\n}\nresource "aws_iam_role_policy" "a" {\n  role = "worker"\n  policy = ${pol}\n}\nresource "aws_iam_role_policy" "b" {\n  role = aws_iam_role.r.name\n  policy = ${pol}\n}\nresource "aws_iam_role_policy" "c" {\n  role = aws_iam_role.r.id\n  policy = ${pol}\n}\nresource "aws_iam_role_policy" "d" {\n  role = aws_iam_role.v.name\n  policy = ${pol}\n}\nresource "aws_iam_role_policy" "e" {\n  role = "arn:aws:iam::123456789012:role/path/batch"\n  policy = ${pol}\n}\n`;
      assert.deepEqual(roles(text), [
        ['aws_iam_role_policy.a', ['worker']],
        ['aws_iam_role_policy.b', ['deployer']],
        ['aws_iam_role_policy.c', ['deployer']],
        ['aws_iam_role_policy.d', undefined],
        ['aws_iam_role_policy.e', ['batch']],
      ]);
    });

    test('inline_policy, managed policies through attachments and a policy document', () => {
      const text = readFileSync(join(ROOT, 'test', 'fixtures', 'terraform', 'main.tf'), 'utf8');
      assert.deepEqual(roles(text), [
        ['aws_iam_role.deployer.inline_policy', ['deployer']],
        ['data.aws_iam_policy_document.assume', undefined],
        ['data.aws_iam_policy_document.artifacts', ['deployer']],
      ]);
    });

    test('aws_iam_policy_attachment roles and managed_policy_arns; one computed role means none', () => {
      const pol = 'jsonencode({ Statement = [{ Effect = "Allow", Action = "s3:Get*", Resource = "*" }] })';
      const text = `resource "aws_iam_role" "r" {\n  name = "app"\n  managed_policy_arns = [aws_iam_policy.m.arn]\n}\nresource "aws_iam_policy" "p" {\n  policy = ${pol}\n}\nresource "aws_iam_policy_attachment" "a" {\n  name = "a"\n  roles = ["one", aws_iam_role.r.name]\n  policy_arn = aws_iam_policy.p.arn\n}\nresource "aws_iam_policy" "m" {\n  policy = ${pol}\n}\nresource "aws_iam_policy" "q" {\n  policy = ${pol}\n}\nresource "aws_iam_role_policy_attachment" "q1" {\n  role = "one"\n  policy_arn = aws_iam_policy.q.arn\n}\nresource "aws_iam_role_policy_attachment" "q2" {\n  role = var.other\n  policy_arn = aws_iam_policy.q.arn\n}\n`;
      assert.deepEqual(roles(text), [
        ['aws_iam_policy.p', ['one', 'app']],
        ['aws_iam_policy.m', ['app']],
        ['aws_iam_policy.q', undefined],
      ]);
    });
  });

  describe('edits in HCL style', () => {
    test('a single string that becomes several patterns: inline list, or one-per-line where the neighbours are', () => {
      const inline = 'locals {\n  p = jsonencode({\n    Statement = [{\n      Effect = "Allow"\n      Action = "s3:Get*"\n      Resource = "*"\n    }]\n  })\n}\n';
      assert.equal(refine(inline).result.text, inline.replace('"s3:Get*"', `[${EXPECTED_S3.map((x) => JSON.stringify(x)).join(', ')}]`));
      const block = 'locals {\n  p = jsonencode({\n    Statement = [{\n      Effect = "Allow"\n      Action = "s3:Get*"\n      Resource = [\n        "arn:aws:s3:::a",\n        "arn:aws:s3:::b",\n      ]\n    }]\n  })\n}\n';
      assert.equal(refine(block).result.text, block.replace('"s3:Get*"', `[\n${EXPECTED_S3.map((x) => `        ${JSON.stringify(x)},\n`).join('')}      ]`));
    });

    test('Action = "*" becomes NotAction, keeping the = column; actions = ["*"] becomes not_actions', () => {
      const text = 'locals {\n  p = jsonencode({\n    Statement = [{\n      Effect   = "Allow"\n      Action   = "*"\n      Resource = "*"\n    }]\n  })\n}\n';
      const out = refine(text, unusedOf('lambda')).result.text;
      assert.equal(out, text.replace('Action   = "*"', 'NotAction = "lambda:*"'));
      const doc = 'data "aws_iam_policy_document" "d" {\n  statement {\n    actions     = ["*"]\n    resources   = ["*"]\n  }\n}\n';
      assert.equal(refine(doc, unusedOf('lambda')).result.text, doc.replace('actions     = ["*"]', 'not_actions = ["lambda:*"]'));
    });

    test('Allow + not_actions: the unused actions are appended in the list\'s style', () => {
      const text = 'data "aws_iam_policy_document" "d" {\n  statement {\n    not_actions = [\n      "iam:*",\n    ]\n    resources = ["*"]\n  }\n}\n';
      assert.equal(refine(text, unusedOf('lambda')).result.text, text.replace('      "iam:*",\n', '      "iam:*",\n      "lambda:*",\n'));
      const inline = 'data "aws_iam_policy_document" "d" {\n  statement {\n    not_actions = ["iam:*"]\n  }\n}\n';
      assert.equal(refine(inline, unusedOf('lambda')).result.text, inline.replace('["iam:*"]', '["iam:*", "lambda:*"]'));
    });

    test('removing a statement block takes its line and one blank line, never the neighbours\' comments', () => {
      const text = 'data "aws_iam_policy_document" "d" {\n  # reads\n  statement {\n    actions = ["s3:Get*"]\n  }\n\n  # lambda\n  statement {\n    actions = ["lambda:GetFunction"]\n  }\n\n  statement {\n    actions = ["sqs:SendMessage"]\n  }\n}\n';
      const out = refine(text, unusedOf('lambda', 'GetFunction')).result.text;
      assert.equal(out, 'data "aws_iam_policy_document" "d" {\n  # reads\n  statement {\n    actions = ["s3:Get*"]\n  }\n\n  # lambda\n  statement {\n    actions = ["sqs:SendMessage"]\n  }\n}\n');
    });

    test('a document whose every statement is unused is refused', () => {
      const text = 'data "aws_iam_policy_document" "d" {\n  statement {\n    actions = ["lambda:GetFunction"]\n  }\n}\n';
      assert.throws(() => refine(text, unusedOf('lambda', 'GetFunction')), NothingLeftError);
    });

    test('CRLF and tabs are kept', () => {
      const text = 'data "aws_iam_policy_document" "d" {\r\n\tstatement {\r\n\t\tactions = [\r\n\t\t\t"lambda:GetFunction",\r\n\t\t\t"s3:Get*",\r\n\t\t]\r\n\t}\r\n}\r\n';
      const out = refine(text).result.text;
      assert.equal(out, text.replace('\t\t\t"lambda:GetFunction",\r\n', '').replace('\t\t\t"s3:Get*",\r\n', EXPECTED_S3.map((x) => `\t\t\t${JSON.stringify(x)},\r\n`).join('')));
    });

    test('a last entry without a trailing comma keeps the list without one', () => {
      const text = 'data "aws_iam_policy_document" "d" {\n  statement {\n    actions = [\n      "s3:List*",\n      "lambda:GetFunction"\n    ]\n  }\n}\n';
      assert.equal(refine(text).result.text, text.replace('      "s3:List*",\n      "lambda:GetFunction"\n', '      "s3:List*"\n'));
    });
  });

  test('thousands of syntax errors (found by the language server fuzz): the first 100, then how many more', () => {
    const d = parsePolicyDocument(`${EXAMPLE_JSONENCODE}\n${'locals {\n  a = 1 +\n}\n'.repeat(3000)}`, 'main.tf');
    assert.equal(d.problems.length, 101);
    assert.equal(d.problems[100].message, 'invalid Terraform syntax: 2900 more errors from here on (not shown)');
    assert.equal(d.policies.length, 1);
  });

  test('nesting far too deep (found by the language server fuzz): an error at its place, no stack overflow', () => {
    // these used to end in "Maximum call stack size exceeded" (every reading of the tree recurses), and no diagnostics at all in the editor
    for (const [what, make] of [
      ['lists', (n: number) => 'x = jsonencode(' + '['.repeat(n) + ']'.repeat(n) + ')'],
      ['objects', (n: number) => 'a = ' + '{ b = '.repeat(n) + '1' + ' }'.repeat(n)],
      ['parentheses', (n: number) => 'x = ' + '('.repeat(n) + '1' + ')'.repeat(n)],
      ['blocks', (n: number) => 'a {\n'.repeat(n) + '}\n'.repeat(n)],
      ['unclosed', (n: number) => 'x = jsonencode(' + '['.repeat(n)],
    ] as const) {
      const text = `${EXAMPLE_JSONENCODE}\n${make(20_000)}\n`;
      const doc = parsePolicyDocument(text, 'main.tf');
      assert.equal(doc.hasSyntaxErrors, true, what);
      // an unclosed run is an error tree of its own (flat, not deep): an error where the file ends
      if (what !== 'unclosed') assert.equal(doc.policies.length, 0, what);
      const p = doc.problems.find((x) => (what === 'unclosed' ? /unclosed/ : /nested too deeply/).test(x.message));
      assert.ok(p, `${what}: ${doc.problems.map((x) => x.message).join('; ')}`);
      assert.ok(p.offset > EXAMPLE_JSONENCODE.length && p.offset < EXAMPLE_JSONENCODE.length + 20_000 * 6, `${what}: at ${p.offset}`);
    }
    // nesting as deep as real code goes is read as before
    const ok = parsePolicyDocument(`${EXAMPLE_JSONENCODE}\nlocals {\n  x = ${'{ b = '.repeat(100)}1${' }'.repeat(100)}\n}\n`, 'main.tf');
    assert.equal(ok.hasSyntaxErrors, false);
    assert.equal(ok.policies.length, 1);
  });

  test('the fixtures: every file is read (the broken one with its error), with the expected policies', () => {
    const dir = join(ROOT, 'test', 'fixtures', 'terraform');
    const files: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (f.endsWith('.tf')) files.push(p);
      }
    };
    walk(dir);
    const counts: Record<string, number> = {};
    for (const f of files) {
      const doc = parsePolicyDocument(readFileSync(f, 'utf8'), f);
      assert.equal(doc.hasSyntaxErrors, f.endsWith('broken.tf'), f);
      counts[f.slice(dir.length + 1)] = doc.policies.length;
      // every fixture refines without error with the example's findings
      refine(readFileSync(f, 'utf8'), exampleFindings, f);
    }
    assert.deepEqual(counts, { 'broken.tf': 2, 'main.tf': 3, 'modules/lambda_role/main.tf': 1, 'root.tf': 1, 'worker.tf': 2 });
  });
});
