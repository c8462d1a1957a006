/**
 * One workspace model: `iam-refine check --format json` and the language server, over the same
 * fixture workspaces, report the same problems at the same places with the same messages
 * (nested findings files, globs with braces, classes and `**`, include/exclude, role bindings,
 * skipped folders, a file over the size limit).
 */
import type { CheckItem } from '../support/cli';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LspClient } from '../support/lspClient';
import { EXAMPLE } from '../support/example';
import { writeFiles } from '../support/files';
import { cli } from '../support/cli';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const policy = readFileSync(path.join(EXAMPLE, 'policy.json'), 'utf8');
const findings = readFileSync(path.join(EXAMPLE, 'findings.json'), 'utf8');
const DEPLOYER = 'arn:aws:iam::123456789012:role/Deployer';
const READER = 'arn:aws:iam::123456789012:role/Reader';

function finding(role: string, details: { serviceNamespace: string; actions?: string[] }[]) {
  return {
    resource: role,
    findingType: 'UnusedPermission',
    status: 'ACTIVE',
    analyzedAt: '2026-11-01T00:00:00Z',
    findingDetails: details.map((d) => ({ unusedPermissionDetails: { serviceNamespace: d.serviceNamespace, actions: d.actions?.map((a) => ({ action: a })) } })),
  };
}

/** The folders this test expects to be skipped, written down independently of the walker. */
const SKIPPED = new Set(['.git', '.hg', '.svn', 'node_modules', '.terraform', '.vscode-test', '.cache']);

function filesOf(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (!SKIPPED.has(e.name)) out.push(...filesOf(root, child));
    } else out.push(child);
  }
  return out;
}

type Item = CheckItem;

const key = (i: Item) => `${i.file}:${i.line}:${i.column}: ${i.code}: ${i.message}`;
/** Editor-only diagnostics (the CLI says these on stderr): a file over the limit, a policy with no role. */
const EDITOR_ONLY = new Set(['file-too-large', 'unbound-policy']);

/** Each file's count of one problem code in the CLI's report; then the editor reports exactly what the CLI does. */
function expectCounts(r: { cli: string[]; lsp: string[]; editorOnly: string[] }, expected: [file: string, code: string, count: number][]): void {
  for (const [file, code, count] of expected) {
    assert.equal(r.cli.filter((k) => k.startsWith(file + ':') && k.includes(code)).length, count, `${file} ${code}\n${r.cli.join('\n')}`);
  }
  assert.deepEqual(r.editorOnly, []);
  assert.deepEqual(r.lsp, r.cli);
}

async function both(files: Record<string, string | object>): Promise<{ cli: string[]; lsp: string[]; err: string; editorOnly: string[] }> {
  const dir = writeFiles(mkdtempSync(path.join(tmpdir(), 'iam-parity-')), files);
  dirs.push(dir);
  const r = await cli(['check', '.', '--format', 'json'], dir);
  assert.ok(r.code === 0 || r.code === 1, `check failed: ${r.err}`);
  const fromCli = (JSON.parse(r.out) as Item[]).filter((i) => i.code !== 'invalid-json').map(key).sort();
  const { client } = await LspClient.start({ folders: [dir], initializationOptions: { debounceMs: 0 } });
  const fromLsp: string[] = [];
  const editorOnly: string[] = [];
  try {
    for (const rel of filesOf(dir)) {
      if (!/\.(jsonc?|ya?ml|tf|tftpl)$/.test(rel)) continue; // .tf.json too (ends in .json)
      const text = readFileSync(path.join(dir, rel), 'utf8');
      const uri = client.open(path.join(dir, rel), text);
      const ds = await client.waitForDiagnostics(uri);
      for (const d of ds) {
        const item = { file: rel, line: d.range.start.line + 1, column: d.range.start.character + 1, code: String(d.code), message: typeof d.message === 'string' ? d.message : d.message.value };
        (EDITOR_ONLY.has(item.code) ? editorOnly : fromLsp).push(key(item));
      }
    }
  } finally {
    await client.stop();
  }
  return { cli: fromCli, lsp: fromLsp.sort(), err: r.err, editorOnly };
}

test('nested findings found by a bare-name glob, the same in the CLI and the editor', async () => {
  const r = await both({ 'iam-refiner.json': { findings: ['*findings*.json'] }, 'sub/deep/my-findings.json': findings, 'policies/app.json': policy });
  assert.equal(r.cli.length, 9, r.err);
  assert.deepEqual(r.lsp, r.cli);
});

test('no settings at all: both find **/*findings*.json beside the policy', async () => {
  const r = await both({ 'findings.json': findings, 'policy.json': policy });
  assert.equal(r.cli.length, 9, r.err);
  assert.deepEqual(r.lsp, r.cli);
});

test('globs with braces, classes and ** in findings, include and exclude', async () => {
  const r = await both({
    'iam-refiner.json': { findings: ['audit/{dev,prod}-findings.json'], include: ['**/*.{json,jsonc}'], exclude: ['legacy/[ab]*.json', '**/skip/**'] },
    'audit/dev-findings.json': findings,
    'audit/test-findings.json': '[{"serviceNamespace": "s3"}]', // not matched: would make every s3 action unused
    'policies/app.jsonc': policy,
    'legacy/a-old.json': policy, // excluded by the class
    'legacy/c-old.json': policy, // not excluded
    'x/skip/p.json': policy, // excluded by **
  });
  const files = new Set(r.cli.map((k) => k.slice(0, k.indexOf(':'))));
  assert.deepEqual([...files].sort(), ['legacy/c-old.json', 'policies/app.jsonc']);
  assert.ok(r.cli.some((k) => k.includes('s3:Get* allows 22 unused actions (of 63)')), 'the dev findings apply, not the test ones');
  assert.deepEqual(r.lsp, r.cli);
});

test('role bindings: iam-refiner.json, the file name, and an ambiguous file', async () => {
  const r = await both({
    'iam-refiner.json': { findings: ['findings/*.json'], roles: { 'policies/deploy-app.json': [DEPLOYER] } },
    'findings/all.json': JSON.stringify([
      finding(DEPLOYER, [{ serviceNamespace: 'lambda', actions: ['GetFunction', 'DeleteFunction'] }]),
      finding(READER, [{ serviceNamespace: 's3', actions: ['GetObjectAcl'] }]),
    ]),
    'policies/deploy-app.json': policy,
    'policies/reader.json': policy,
    'policies/other.json': policy,
  });
  const byFile = (f: string) => r.cli.filter((k) => k.startsWith(f + ':'));
  assert.equal(byFile('policies/deploy-app.json').filter((k) => k.includes('unused-action')).length, 2);
  assert.equal(byFile('policies/reader.json').filter((k) => k.includes('unused-wildcard')).length, 1);
  assert.equal(byFile('policies/other.json').filter((k) => k.includes('unused')).length, 0);
  assert.match(r.err, /policies\/other\.json: the findings concern 2 roles/);
  assert.ok(r.editorOnly.some((k) => k.startsWith('policies/other.json:') && k.includes('unbound-policy')));
  assert.deepEqual(r.lsp, r.cli);
});

test('Terraform JSON (*.tf.json): found by the folder search, bound to roles by its own code, the same in the CLI and the editor', async () => {
  const p = JSON.parse(policy) as { Statement: { Effect: string; Action: string[]; Resource: string }[] };
  const r = await both({
    ...twoRoles(),
    'infra/main.tf.json': JSON.stringify(
      {
        resource: {
          aws_iam_role: { deployer: { name: 'Deployer', assume_role_policy: '{}' } },
          aws_iam_role_policy: { deployer: { role: '${aws_iam_role.deployer.name}', policy: policy } },
          aws_iam_policy: { reader: { policy: '${data.aws_iam_policy_document.reader.json}' } },
          aws_iam_role_policy_attachment: { reader: { role: 'Reader', policy_arn: '${aws_iam_policy.reader.arn}' } },
        },
        data: { aws_iam_policy_document: { reader: { statement: p.Statement.map((s) => ({ actions: s.Action, resources: [s.Resource] })) } } },
      },
      null,
      2,
    ),
  });
  const tf = r.cli.filter((k) => k.startsWith('infra/main.tf.json:'));
  // the role policy gets the Deployer's findings (two unused lambda actions), the document the Reader's (s3:Get* too wide)
  assert.equal(tf.filter((k) => k.includes('unused-action')).length, 2, r.cli.join('\n'));
  assert.equal(tf.filter((k) => k.includes('unused-wildcard')).length, 1, r.cli.join('\n'));
  assert.deepEqual(r.lsp, r.cli);
});

/** Findings of two roles (the Deployer: two unused lambda actions; the Reader: s3:GetObjectAcl) and the config naming them. */
const twoRoles = () => ({
  'findings/all.json': JSON.stringify([
    finding(DEPLOYER, [{ serviceNamespace: 'lambda', actions: ['GetFunction', 'DeleteFunction'] }]),
    finding(READER, [{ serviceNamespace: 's3', actions: ['GetObjectAcl'] }]),
  ]),
  'iam-refiner.json': { findings: ['findings/*.json'] },
});

test('a Terraform module across files (.tf and .tf.json), a file() JSON policy and a templatefile() template: bound and reported the same in the CLI and the editor', async () => {
  const p = JSON.parse(policy) as { Statement: { Effect: string; Action: string[]; Resource: string }[] };
  const tpl = policy.replace('"lambda:Invoke*"', '"${svc}:Invoke*"');
  const r = await both({
    ...twoRoles(),
    'infra/roles.tf': 'resource "aws_iam_role" "deployer" {\n  name = "Deployer"\n}\n',
    'infra/reader.tf.json': JSON.stringify({ resource: { aws_iam_role: { reader: { name: 'Reader' } } } }, null, 2),
    'infra/policies.tf':
      'resource "aws_iam_role_policy" "file" {\n  role   = aws_iam_role.deployer.id\n  policy = file("${path.module}/policies/deployer.json")\n}\n\n' +
      'resource "aws_iam_role_policy" "tpl" {\n  role   = aws_iam_role.reader.name\n  policy = templatefile("${path.module}/policies/reader.json", { svc = "lambda" })\n}\n\n' +
      'resource "aws_iam_policy" "doc" {\n  policy = data.aws_iam_policy_document.doc.json\n}\n',
    'infra/attach.tf.json': JSON.stringify({ resource: { aws_iam_role_policy_attachment: { doc: { role: '${aws_iam_role.reader.name}', policy_arn: '${aws_iam_policy.doc.arn}' } } } }, null, 2),
    'infra/documents.tf': `data "aws_iam_policy_document" "doc" {\n${p.Statement.map((s) => `  statement {\n    actions   = [${s.Action.map((a) => JSON.stringify(a)).join(', ')}]\n    resources = [${JSON.stringify(s.Resource)}]\n  }\n`).join('')}}\n`,
    'infra/policies/deployer.json': policy,
    'infra/policies/reader.json': tpl,
  });
  // deployer.json: the Deployer's findings (two unused lambda actions); reader.json and the document: the Reader's (s3:Get* too wide), the templated statement left alone
  expectCounts(r, [
    ['infra/policies/deployer.json', 'unused-action', 2],
    ['infra/policies/deployer.json', 'unused-wildcard', 0],
    ['infra/policies/reader.json', 'unused-wildcard', 1],
    ['infra/policies/reader.json', 'not-refinable', 1],
    ['infra/documents.tf', 'unused-wildcard', 1],
    ['infra/documents.tf', 'unused-action', 0],
  ]);
});

test('file() from a sibling directory, in a .tf.json string, and a .tftpl template: bound and reported the same in the CLI and the editor', async () => {
  const tpl = policy.replace('"lambda:Invoke*"', '"${svc}:Invoke*"');
  const r = await both({
    ...twoRoles(),
    'infra/roles.tf':
      'resource "aws_iam_role" "deployer" {\n  name = "Deployer"\n}\n\nresource "aws_iam_role" "reader" {\n  name = "Reader"\n}\n\n' +
      'resource "aws_iam_role_policy" "sibling" {\n  role   = aws_iam_role.deployer.id\n  policy = file("../policies/deployer.json")\n}\n\n' +
      'resource "aws_iam_role_policy" "tpl" {\n  role   = aws_iam_role.reader.name\n  policy = templatefile("${path.module}/../templates/reader.json.tftpl", { svc = "lambda" })\n}\n',
    'infra/more.tf.json': JSON.stringify({ resource: { aws_iam_role_policy: { j: { role: '${aws_iam_role.reader.id}', policy: '${file("${path.module}/../policies/reader.json")}' } } } }, null, 2),
    'policies/deployer.json': policy,
    'policies/reader.json': policy,
    'templates/reader.json.tftpl': tpl,
  });
  expectCounts(r, [
    ['policies/deployer.json', 'unused-action', 2],
    ['policies/reader.json', 'unused-wildcard', 1],
    ['policies/reader.json', 'unused-action', 0],
    ['templates/reader.json.tftpl', 'unused-wildcard', 1],
    ['templates/reader.json.tftpl', 'not-refinable', 1],
  ]);
});

test('skipped folders and a file over the size limit', async () => {
  const big = policy.replace('"Version"', `"Padding": "${'x'.repeat(1024 * 1024)}", "Version"`);
  const r = await both({
    'findings.json': findings,
    'node_modules/pkg/policy.json': policy,
    '.terraform/modules/m/policy.json': policy,
    'cdk.out/Stack.template.json': { Resources: { Role: { Type: 'AWS::IAM::Role', Properties: { Policies: [{ PolicyName: 'p', PolicyDocument: JSON.parse(policy) }] } } } },
    'big.json': big,
  });
  const files = new Set(r.cli.map((k) => k.slice(0, k.indexOf(':'))));
  assert.deepEqual([...files], ['cdk.out/Stack.template.json'], 'synthesized templates are checked; dependencies and Terraform downloads are not');
  assert.match(r.err, /big\.json: over 1 MB, skipped/);
  assert.ok(r.editorOnly.some((k) => k.startsWith('big.json:') && k.includes('file-too-large')));
  assert.deepEqual(r.lsp, r.cli);
});
