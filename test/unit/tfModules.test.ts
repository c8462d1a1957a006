/**
 * Terraform modules read across their files (workspace/tfModules.ts): a role declared in one .tf
 * file binds the policies of the others in its directory; a JSON file read by file() or
 * templatefile() is bound to the role Terraform attaches it to, and its templated actions are left
 * alone. Through `iam-refine check` / `refine` and the language server (an edit to one file of the
 * module re-binds the others that are open).
 */
import type { CheckItem } from '../support/cli';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeFiles } from '../support/files';
import { cli } from '../support/cli';
import { LspClient, byCode, msg } from '../support/lspClient';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const DEPLOYER = 'arn:aws:iam::123456789012:role/Deployer';
const READER = 'arn:aws:iam::123456789012:role/Reader';

function finding(role: string, svc: string, actions: string[]) {
  return {
    resource: role,
    findingType: 'UnusedPermission',
    status: 'ACTIVE',
    analyzedAt: '2026-11-01T00:00:00Z',
    findingDetails: [{ unusedPermissionDetails: { serviceNamespace: svc, actions: actions.map((action) => ({ action })) } }],
  };
}

/** Deployer never used lambda:GetFunction, Reader never used sqs:SendMessage: which one a file gets shows its binding. */
const FINDINGS = JSON.stringify([finding(DEPLOYER, 'lambda', ['GetFunction']), finding(READER, 'sqs', ['SendMessage'])]);

const POLICY_JSON = '{\n  "Version": "2012-10-17",\n  "Statement": [{ "Effect": "Allow", "Action": ["lambda:GetFunction", "sqs:SendMessage", "s3:GetObject"], "Resource": "*" }]\n}\n';
const HCL_POLICY = 'jsonencode({\n    Version   = "2012-10-17"\n    Statement = [{ Effect = "Allow", Action = ["lambda:GetFunction", "sqs:SendMessage", "s3:GetObject"], Resource = "*" }]\n  })';

const ROLES_TF = 'resource "aws_iam_role" "app" {\n  name               = "Deployer"\n  assume_role_policy = "{}"\n}\n\nresource "aws_iam_role" "reader" {\n  name               = "Reader"\n  assume_role_policy = "{}"\n}\n';

function workspace(files: Record<string, string | object>): string {
  const dir = writeFiles(mkdtempSync(path.join(tmpdir(), 'iam-tfmod-')), { 'findings.json': FINDINGS, ...files });
  dirs.push(dir);
  return dir;
}

type Item = CheckItem;

async function check(dir: string): Promise<{ items: Item[]; err: string }> {
  const r = await cli(['check', '.', '--format', 'json'], dir);
  assert.ok(r.code === 0 || r.code === 1, r.err);
  return { items: JSON.parse(r.out) as Item[], err: r.err };
}

/** The unused actions flagged per file: `file: action, action`. */
const flagged = (items: Item[]) => {
  const out: Record<string, string[]> = {};
  for (const i of items) if (i.code === 'unused-action') (out[i.file] ??= []).push(i.message.split(' ')[0]);
  return out;
};

test('a role declared in another .tf file of the module binds aws_iam_role_policy, attachments and a policy document used across files', async () => {
  const dir = workspace({
    'infra/roles.tf': ROLES_TF,
    'infra/inline.tf': `resource "aws_iam_role_policy" "app" {\n  role   = aws_iam_role.app.id\n  policy = ${HCL_POLICY}\n}\n`,
    'infra/managed.tf': `resource "aws_iam_policy" "read" {\n  policy = ${HCL_POLICY}\n}\n`,
    'infra/attach.tf': 'resource "aws_iam_role_policy_attachment" "read" {\n  role       = aws_iam_role.reader.name\n  policy_arn = aws_iam_policy.read.arn\n}\n\nresource "aws_iam_policy" "doc" {\n  policy = data.aws_iam_policy_document.doc.json\n}\n\nresource "aws_iam_role_policy_attachment" "doc" {\n  role       = "Deployer"\n  policy_arn = aws_iam_policy.doc.arn\n}\n',
    'infra/documents.tf': 'data "aws_iam_policy_document" "doc" {\n  statement {\n    actions   = ["lambda:GetFunction", "sqs:SendMessage"]\n    resources = ["*"]\n  }\n}\n',
    // another directory is another module: its role of the same label binds nothing here
    'other/main.tf': `resource "aws_iam_role_policy" "x" {\n  role   = aws_iam_role.app.id\n  policy = ${HCL_POLICY}\n}\n`,
  });
  const { items, err } = await check(dir);
  assert.deepEqual(flagged(items), {
    'infra/inline.tf': ['lambda:GetFunction'],
    'infra/managed.tf': ['sqs:SendMessage'],
    'infra/documents.tf': ['lambda:GetFunction'],
  });
  assert.match(err, /other\/main\.tf: the findings concern 2 roles/);
  assert.doesNotMatch(err, /infra\/(inline|managed|documents)\.tf: the findings concern/);
});

test('a computed role in one file of the module (or an attachment of it) binds nothing, never a guess', async () => {
  const dir = workspace({
    'm/roles.tf': 'resource "aws_iam_role" "app" {\n  name = var.role_name\n}\n',
    'm/inline.tf': `resource "aws_iam_role_policy" "app" {\n  role   = aws_iam_role.app.id\n  policy = ${HCL_POLICY}\n}\n`,
    'm/managed.tf': `resource "aws_iam_policy" "p" {\n  policy = ${HCL_POLICY}\n}\n`,
    'm/attach.tf': 'resource "aws_iam_role_policy_attachment" "a" {\n  role       = "Reader"\n  policy_arn = aws_iam_policy.p.arn\n}\nresource "aws_iam_role_policy_attachment" "b" {\n  role       = var.other\n  policy_arn = aws_iam_policy.p.arn\n}\n',
  });
  const { items, err } = await check(dir);
  assert.deepEqual(flagged(items), {});
  assert.match(err, /m\/inline\.tf: the findings concern 2 roles/);
  assert.match(err, /m\/managed\.tf: the findings concern 2 roles/);
});

test('file("${path.module}/…") and file("…"): the JSON file is bound to the role the resource attaches it to, and refined there', async () => {
  const dir = workspace({
    'infra/roles.tf': ROLES_TF,
    'infra/main.tf':
      'resource "aws_iam_role_policy" "deploy" {\n  role   = aws_iam_role.app.name\n  policy = file("${path.module}/policies/deploy.json")\n}\n\n' +
      'locals {\n  read = file("policies/read.json")\n}\n\nresource "aws_iam_policy" "read" {\n  policy = local.read\n}\n\nresource "aws_iam_role_policy_attachment" "read" {\n  role       = aws_iam_role.reader.id\n  policy_arn = aws_iam_policy.read.arn\n}\n' +
      'resource "aws_iam_role_policy" "lost" {\n  role   = var.role\n  policy = file("${path.module}/policies/computed.json")\n}\n',
    'infra/policies/deploy.json': POLICY_JSON,
    'infra/policies/read.json': POLICY_JSON,
    'infra/policies/computed.json': POLICY_JSON,
    'infra/policies/unreferenced.json': POLICY_JSON,
  });
  const { items, err } = await check(dir);
  assert.deepEqual(flagged(items), { 'infra/policies/deploy.json': ['lambda:GetFunction'], 'infra/policies/read.json': ['sqs:SendMessage'] });
  const gf = items.find((i) => i.file === 'infra/policies/deploy.json')!;
  assert.deepEqual([gf.line, gf.column], [3, 49]);
  assert.match(err, /infra\/policies\/computed\.json: the findings concern 2 roles/);
  assert.match(err, /infra\/policies\/unreferenced\.json: the findings concern 2 roles/);
  // refine writes the JSON file itself, with the module's role
  const r = await cli(['refine', 'infra/policies/deploy.json', '--diff'], dir);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^-.*"lambda:GetFunction", "sqs:SendMessage", "s3:GetObject"/m);
  assert.match(r.out, /^\+.*\["sqs:SendMessage", "s3:GetObject"\]/m);
});

test('templatefile(): templated actions are left alone with one information diagnostic; literal ones are refined; a %{…} directive is not read', async () => {
  const tpl = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    { "Effect": "Allow", "Action": ["${service}:Get*", "lambda:GetFunction"], "Resource": "*" },\n    { "Effect": "Allow", "Action": ["lambda:GetFunction", "s3:GetObject"], "Resource": "arn:aws:s3:::${bucket}/*" }\n  ]\n}\n';
  const directive = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    %{ for s in services ~}\n    { "Effect": "Allow", "Action": ["${s}:Get*"], "Resource": "*" },\n    %{ endfor ~}\n    { "Effect": "Allow", "Action": ["lambda:GetFunction"], "Resource": "*" }\n  ]\n}\n';
  const dir = workspace({
    'infra/main.tf':
      'resource "aws_iam_role" "app" {\n  name = "Deployer"\n}\n\nresource "aws_iam_role_policy" "t" {\n  role   = aws_iam_role.app.id\n  policy = templatefile("${path.module}/t.json", { service = "s3", bucket = "b" })\n}\n\n' +
      'resource "aws_iam_role_policy" "d" {\n  role   = aws_iam_role.app.id\n  policy = templatefile("${path.module}/d.json", { services = ["s3"] })\n}\n',
    'infra/t.json': tpl,
    'infra/d.json': directive,
  });
  const { items } = await check(dir);
  const t = items.filter((i) => i.file === 'infra/t.json');
  assert.deepEqual(
    t.map((i) => [i.line, i.column, i.code]),
    [
      [4, 37, 'not-refinable'],
      [5, 37, 'unused-action'],
    ],
  );
  assert.match(t[0].message, /"\$\{service\}:Get\*" has a template variable that templatefile\(\) \(infra\/main\.tf:7\) fills in/);
  const d = items.filter((i) => i.file === 'infra/d.json');
  assert.deepEqual(d.map((i) => [i.line, i.column, i.code]), [[4, 5, 'not-refinable']]);
  assert.match(d[0].message, /template of templatefile\(\) \(infra\/main\.tf:12\) with a `%\{…\}` directive/);
  // refine keeps the templated statement byte for byte and removes the unused action of the other
  const r = await cli(['refine', 'infra/t.json'], dir);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, tpl.replace('["lambda:GetFunction", "s3:GetObject"]', '["s3:GetObject"]'));
});

test('a Terraform file of the module changed on disk (not open) re-binds the open files of its module', async () => {
  const dir = workspace({
    'infra/inline.tf': `resource "aws_iam_role_policy" "app" {\n  role   = aws_iam_role.app.id\n  policy = ${HCL_POLICY}\n}\n`,
    'infra/deploy.json': POLICY_JSON,
    'infra/main.tf': 'resource "aws_iam_role_policy" "deploy" {\n  role   = aws_iam_role.app.name\n  policy = file("${path.module}/deploy.json")\n}\n',
    // another directory is another module: its role "app" binds nothing here
    'other/roles.tf': 'resource "aws_iam_role" "app" {\n  name = "Reader"\n}\n',
  });
  const { client } = await LspClient.start({ folders: [dir], initializationOptions: { debounceMs: 0 } });
  try {
    const watchers = () => [...client.registrations.values()].filter((r) => r.method === 'workspace/didChangeWatchedFiles').flatMap((r) => r.registerOptions.watchers.map((w: { globPattern: unknown }) => w.globPattern));
    const inline = client.open(path.join(dir, 'infra/inline.tf'), undefined, 'terraform');
    const json = client.open(path.join(dir, 'infra/deploy.json'));
    const unusedOf = (ds: { message: unknown }[]) => byCode(ds as never, 'unused-action').map((d) => msg(d).split(' ')[0]);
    // no role "app" in the module yet: nothing binds either file (the findings' two roles are ambiguous)
    assert.deepEqual(unusedOf(await client.waitForDiagnostics(inline)), []);
    assert.deepEqual(unusedOf(await client.waitForDiagnostics(json)), []);
    assert.ok(watchers().includes('**/*.tf') && watchers().includes('**/*.tf.json'), JSON.stringify(watchers()));
    // roles.tf is written by another tool (git pull, a generator): the editor's watcher reports it
    const roles = path.join(dir, 'infra/roles.tf');
    client.writeFile(roles, ROLES_TF);
    assert.deepEqual(unusedOf(await client.waitForDiagnostics(inline, (ds) => unusedOf(ds).length > 0)), ['lambda:GetFunction']);
    assert.deepEqual(unusedOf(await client.waitForDiagnostics(json, (ds) => unusedOf(ds).length > 0)), ['lambda:GetFunction']);
    // changed on disk: the role is Reader now
    client.writeFile(roles, ROLES_TF.replace('"Deployer"', '"Reader"'));
    assert.deepEqual(unusedOf(await client.waitForDiagnostics(inline, (ds) => unusedOf(ds)[0] === 'sqs:SendMessage')), ['sqs:SendMessage']);
    assert.deepEqual(unusedOf(await client.waitForDiagnostics(json, (ds) => unusedOf(ds)[0] === 'sqs:SendMessage')), ['sqs:SendMessage']);
    assert.deepEqual(client.errorLogs, []);
  } finally {
    await client.stop();
  }
});

test('the language server binds the same way, and an edit to one file of the module re-binds the others that are open', async () => {
  const dir = workspace({
    'infra/roles.tf': ROLES_TF,
    'infra/inline.tf': `resource "aws_iam_role_policy" "app" {\n  role   = aws_iam_role.app.id\n  policy = ${HCL_POLICY}\n}\n`,
    'infra/main.tf': 'resource "aws_iam_role_policy" "deploy" {\n  role   = aws_iam_role.app.name\n  policy = file("${path.module}/deploy.json")\n}\n',
    'infra/deploy.json': POLICY_JSON,
  });
  const { client } = await LspClient.start({ folders: [dir], initializationOptions: { debounceMs: 0 } });
  try {
    const inline = client.open(path.join(dir, 'infra/inline.tf'), undefined, 'terraform');
    const json = client.open(path.join(dir, 'infra/deploy.json'));
    const unusedOf = (ds: { message: unknown }[]) => byCode(ds as never, 'unused-action').map((d) => msg(d).split(' ')[0]);
    assert.deepEqual(unusedOf(await client.waitForDiagnostics(inline)), ['lambda:GetFunction']);
    assert.deepEqual(unusedOf(await client.waitForDiagnostics(json)), ['lambda:GetFunction']);
    const hover = await client.hover(inline, client.text(inline).indexOf('lambda:GetFunction') + 2);
    assert.match(JSON.stringify(hover), /role Deployer \(attached in the code with roles\.tf\)/);
    const jsonHover = await client.hover(json, client.text(json).indexOf('lambda:GetFunction') + 2);
    assert.match(JSON.stringify(jsonHover), /role Deployer \(attached in the code of infra\/main\.tf\)/);
    // the role becomes Reader in the open roles.tf (unsaved): both other files follow
    const roles = client.open(path.join(dir, 'infra/roles.tf'), undefined, 'terraform');
    const text = readFileSync(path.join(dir, 'infra/roles.tf'), 'utf8');
    const at = text.indexOf('"Deployer"');
    client.edit(roles, [{ range: { start: client.docs.get(roles)!.positionAt(at), end: client.docs.get(roles)!.positionAt(at + 10) }, newText: '"Reader"' }]);
    assert.deepEqual(unusedOf(await client.waitForDiagnostics(inline, (ds) => unusedOf(ds)[0] === 'sqs:SendMessage')), ['sqs:SendMessage']);
    assert.deepEqual(unusedOf(await client.waitForDiagnostics(json, (ds) => unusedOf(ds)[0] === 'sqs:SendMessage')), ['sqs:SendMessage']);
    assert.deepEqual(client.errorLogs, []);
  } finally {
    await client.stop();
  }
});

test('file("../policies/…") and "${path.module}/../…": a JSON policy in a sibling directory is bound by the module that reads it (check and refine)', async () => {
  const dir = workspace({
    'infra/roles.tf': ROLES_TF,
    'infra/main.tf':
      'resource "aws_iam_role_policy" "deploy" {\n  role   = aws_iam_role.app.name\n  policy = file("../policies/deploy.json")\n}\n\n' +
      'resource "aws_iam_role_policy" "read" {\n  role   = aws_iam_role.reader.id\n  policy = file("${path.module}/../shared/iam/read.json")\n}\n',
    'policies/deploy.json': POLICY_JSON,
    'shared/iam/read.json': POLICY_JSON,
    // a sibling's file of the same name that no .tf reads stays unbound
    'infra/policies/deploy.json': POLICY_JSON,
  });
  const { items, err } = await check(dir);
  assert.deepEqual(flagged(items), { 'policies/deploy.json': ['lambda:GetFunction'], 'shared/iam/read.json': ['sqs:SendMessage'] });
  assert.match(err, /infra\/policies\/deploy\.json: the findings concern 2 roles/);
  const r = await cli(['refine', 'policies/deploy.json', '--diff'], dir);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^\+.*\["sqs:SendMessage", "s3:GetObject"\]/m);
});

test('the language server binds a JSON policy read from a sibling directory, and a .tf created, changed or deleted there on disk (reported by the watcher) re-binds it', async () => {
  const dir = workspace({
    'infra/roles.tf': ROLES_TF,
    'policies/deploy.json': POLICY_JSON,
  });
  const { client } = await LspClient.start({ folders: [dir], initializationOptions: { debounceMs: 0 } });
  try {
    const json = client.open(path.join(dir, 'policies/deploy.json'));
    const unusedOf = (ds: { message: unknown }[]) => byCode(ds as never, 'unused-action').map((d) => msg(d).split(' ')[0]);
    assert.deepEqual(unusedOf(await client.waitForDiagnostics(json)), []);
    // main.tf in the sibling directory infra/ is written by another tool: the watcher reports it
    client.writeFile(path.join(dir, 'infra/main.tf'), 'resource "aws_iam_role_policy" "deploy" {\n  role   = aws_iam_role.app.name\n  policy = file("../policies/deploy.json")\n}\n');
    assert.deepEqual(unusedOf(await client.waitForDiagnostics(json, (ds) => unusedOf(ds).length > 0)), ['lambda:GetFunction']);
    const hover = await client.hover(json, client.text(json).indexOf('lambda:GetFunction') + 2);
    assert.match(JSON.stringify(hover), /role Deployer \(attached in the code of infra\/main\.tf\)/);
    // it now attaches the reader role
    client.writeFile(path.join(dir, 'infra/main.tf'), 'resource "aws_iam_role_policy" "deploy" {\n  role   = aws_iam_role.reader.name\n  policy = file("../policies/deploy.json")\n}\n');
    assert.deepEqual(unusedOf(await client.waitForDiagnostics(json, (ds) => unusedOf(ds)[0] === 'sqs:SendMessage')), ['sqs:SendMessage']);
    // deleted: unbound again
    rmSync(path.join(dir, 'infra/main.tf'));
    client.fileChanged(path.join(dir, 'infra/main.tf'), 3);
    assert.deepEqual(unusedOf(await client.waitForDiagnostics(json, (ds) => unusedOf(ds).length === 0)), []);
    assert.deepEqual(client.errorLogs, []);
  } finally {
    await client.stop();
  }
});

test('.tftpl templates: read as JSON templates (templated statements left alone, the rest refined), a directive or a syntax error reported at its line, a template nothing reads never refined as a plain policy', async () => {
  const tpl = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    { "Effect": "Allow", "Action": ["${service}:Get*", "lambda:GetFunction"], "Resource": "*" },\n    { "Effect": "Allow", "Action": ["lambda:GetFunction", "s3:GetObject"], "Resource": "*" }\n  ]\n}\n';
  const directive = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    %{ for s in services ~}\n    { "Effect": "Allow", "Action": ["${s}:Get*"], "Resource": "*" },\n    %{ endfor ~}\n    { "Effect": "Allow", "Action": ["lambda:GetFunction"], "Resource": "*" }\n  ]\n}\n';
  const broken = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    { "Effect": "Allow", "Action": ["lambda:GetFunction"] "Resource": "*" }\n  ]\n}\n';
  const dir = workspace({
    'infra/main.tf':
      'resource "aws_iam_role" "app" {\n  name = "Deployer"\n}\n\nresource "aws_iam_role_policy" "t" {\n  role   = aws_iam_role.app.id\n  policy = templatefile("${path.module}/policy.json.tftpl", { service = "s3" })\n}\n\n' +
      'resource "aws_iam_role_policy" "d" {\n  role   = aws_iam_role.app.id\n  policy = templatefile("../templates/loop.tftpl", { services = ["s3"] })\n}\n\n' +
      'resource "aws_iam_role_policy" "b" {\n  role   = aws_iam_role.app.id\n  policy = templatefile("${path.module}/broken.tftpl", {})\n}\n',
    'infra/policy.json.tftpl': tpl,
    'templates/loop.tftpl': directive,
    'infra/broken.tftpl': broken,
    // read by nothing: still a template (its ${…} never taken for an action), and unbound
    'infra/orphan.tftpl': tpl,
    // not a policy: costs nothing, says nothing
    'infra/user_data.sh.tftpl': '#!/bin/sh\necho ${name}\n',
  });
  const { items, err } = await check(dir);
  const of = (f: string) => items.filter((i) => i.file === f).map((i) => [i.line, i.column, i.code]);
  assert.deepEqual(of('infra/policy.json.tftpl'), [
    [4, 37, 'not-refinable'],
    [5, 37, 'unused-action'],
  ]);
  assert.match(items.find((i) => i.file === 'infra/policy.json.tftpl')!.message, /templatefile\(\) \(infra\/main\.tf:7\) fills in/);
  assert.deepEqual(of('templates/loop.tftpl'), [[4, 5, 'not-refinable']]);
  assert.match(items.find((i) => i.file === 'templates/loop.tftpl')!.message, /template of templatefile\(\) \(infra\/main\.tf:12\) with a `%\{…\}` directive/);
  assert.deepEqual(of('infra/orphan.tftpl'), [[4, 37, 'not-refinable']]);
  assert.match(items.find((i) => i.file === 'infra/orphan.tftpl')!.message, /no templatefile\(\) call of the workspace folder reads it/);
  assert.deepEqual(of('infra/user_data.sh.tftpl'), []);
  // the broken template is reported with its line, never skipped in silence
  const b = items.filter((i) => i.file === 'infra/broken.tftpl');
  assert.ok(b.length > 0 && b.every((i) => i.line === 4), JSON.stringify(b) + err);
  // refine keeps the templated statement byte for byte
  const r = await cli(['refine', 'infra/policy.json.tftpl'], dir);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, tpl.replace('["lambda:GetFunction", "s3:GetObject"]', '["s3:GetObject"]'));
});

test('.tf.json: "${file(\\"p.json\\")}" and templatefile() inside strings bind the JSON file as in .tf; a string with other text around the call binds nothing', async () => {
  const tfjson = {
    resource: {
      aws_iam_role: { app: { name: 'Deployer' }, reader: { name: 'Reader' } },
      aws_iam_role_policy: {
        deploy: { role: '${aws_iam_role.app.name}', policy: '${file("${path.module}/policies/deploy.json")}' },
        sibling: { role: '${aws_iam_role.reader.id}', policy: '${file("../shared/read.json")}' },
        tpl: { role: '${aws_iam_role.app.id}', policy: '${templatefile("policies/t.json", { service = "s3" })}' },
        other: { role: '${aws_iam_role.app.id}', policy: '${trimspace(file("policies/other.json"))}' },
      },
      aws_iam_policy: { viaLocal: { policy: '${local.p}' } },
      aws_iam_role_policy_attachment: { viaLocal: { role: '${aws_iam_role.reader.name}', policy_arn: '${aws_iam_policy.viaLocal.arn}' } },
    },
    locals: { p: '${file("policies/local.json")}' },
  };
  const tpl = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    { "Effect": "Allow", "Action": ["${service}:Get*", "lambda:GetFunction"], "Resource": "*" },\n    { "Effect": "Allow", "Action": ["lambda:GetFunction", "s3:GetObject"], "Resource": "*" }\n  ]\n}\n';
  const dir = workspace({
    'infra/main.tf.json': JSON.stringify(tfjson, null, 2) + '\n',
    'infra/policies/deploy.json': POLICY_JSON,
    'shared/read.json': POLICY_JSON,
    'infra/policies/t.json': tpl,
    'infra/policies/other.json': POLICY_JSON,
    'infra/policies/local.json': POLICY_JSON,
  });
  const { items, err } = await check(dir);
  assert.deepEqual(flagged(items), {
    'infra/policies/deploy.json': ['lambda:GetFunction'],
    'shared/read.json': ['sqs:SendMessage'],
    'infra/policies/t.json': ['lambda:GetFunction'],
    'infra/policies/local.json': ['sqs:SendMessage'],
  });
  const t = items.find((i) => i.file === 'infra/policies/t.json' && i.code === 'not-refinable')!;
  const line = (JSON.stringify(tfjson, null, 2).split('\n').findIndex((l) => l.includes('templatefile')) + 1).toString();
  assert.match(t.message, new RegExp(`templatefile\\(\\) \\(infra/main\\.tf\\.json:${line}\\) fills in`));
  assert.match(err, /infra\/policies\/other\.json: the findings concern 2 roles/);
});
