/**
 * Property test of role binding across a Terraform module's files (workspace/tfModules.ts): a
 * generated module (roles with their unused actions, policies attached in every way Terraform
 * says it: aws_iam_role_policy by reference or name, inline_policy, aws_iam_policy with
 * attachments or managed_policy_arns, a policy document used by reference, a file() JSON policy
 * (below the module or in a sibling directory), and a computed role) is split at random over .tf and .tf.json files of one directory, and
 * `iam-refine check` must flag in each policy exactly the actions that every role attached to it
 * leaves unused; nothing in a policy whose role is computed. The oracle is the generated model
 * itself (which roles each policy was attached to), never a reading of the Terraform text; each
 * flagged range must hold the action it names. A file() call lands in a .tf.json file as
 * `"${file(\"…\")}"`. PROPERTY_RUNS=<factor>, FC_SEED=<n>.
 */
import type { CheckItem } from '../support/cli';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeFiles } from '../support/files';
import { cli } from '../support/cli';

const factor = Number(process.env.PROPERTY_RUNS ?? '1');
const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const ACTIONS = ['s3:GetObject', 's3:PutObject', 'lambda:GetFunction', 'sqs:SendMessage', 'dynamodb:GetItem', 'kms:Decrypt'];
const arn = (name: string) => `arn:aws:iam::123456789012:role/${name}`;

type Attach =
  | { kind: 'role-policy-ref'; role: number; attr: 'name' | 'id' }
  | { kind: 'role-policy-name'; role: number }
  | { kind: 'inline'; role: number }
  | { kind: 'managed'; roles: number[]; via: 'attachment' | 'policy-attachment' | 'arns' }
  | { kind: 'document'; roles: number[] }
  /** `sibling`: the JSON file is in a directory beside the module's (`file("../shared/p.json")`), not below it. */
  | { kind: 'file'; role: number; literalPath: boolean; template: boolean; sibling: boolean }
  | { kind: 'computed' };

interface Model {
  roles: { name: string; unused: string[] }[];
  policies: { actions: string[]; attach: Attach }[];
  /** Per block (in the order they are emitted): the file it goes to. */
  fileOf: number[];
  files: { json: boolean }[];
}

const genModel = fc
  .record({
    roles: fc.uniqueArray(fc.stringMatching(/^[A-Z][a-z]{2,6}$/), { minLength: 1, maxLength: 3 }).chain((names) =>
      fc.tuple(...names.map((name) => fc.subarray(ACTIONS).map((unused) => ({ name, unused })))),
    ),
    files: fc.array(fc.record({ json: fc.boolean() }), { minLength: 1, maxLength: 4 }),
  })
  .chain(({ roles, files }) => {
    const role = fc.nat({ max: roles.length - 1 });
    const some = fc.uniqueArray(role, { minLength: 1, maxLength: roles.length });
    const attach: fc.Arbitrary<Attach> = fc.oneof(
      fc.record({ kind: fc.constant('role-policy-ref' as const), role, attr: fc.constantFrom('name' as const, 'id' as const) }),
      fc.record({ kind: fc.constant('role-policy-name' as const), role }),
      fc.record({ kind: fc.constant('inline' as const), role }),
      fc.record({ kind: fc.constant('managed' as const), roles: some, via: fc.constantFrom('attachment' as const, 'policy-attachment' as const, 'arns' as const) }),
      fc.record({ kind: fc.constant('document' as const), roles: some }),
      fc.record({ kind: fc.constant('file' as const), role, literalPath: fc.boolean(), template: fc.boolean(), sibling: fc.boolean() }),
      fc.constant({ kind: 'computed' as const }),
    );
    const policy = fc.record({ actions: fc.subarray(ACTIONS, { minLength: 1 }), attach });
    return fc.record({
      roles: fc.constant(roles),
      files: fc.constant(files),
      policies: fc.array(policy, { minLength: 1, maxLength: 5 }),
      fileOf: fc.array(fc.nat({ max: files.length - 1 }), { minLength: 40, maxLength: 40 }),
    });
  });

/** One top-level block of the module, in HCL and (where it has no policy inside) as Terraform JSON. */
interface Block {
  hcl: string;
  json?: [string, string, string, Record<string, unknown>];
  /** The policies whose actions this block holds, with their lines in it (0-based, inclusive): the oracle's lookup by range. */
  policies?: [number, number, number][];
}

const hclList = (xs: string[]) => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;
/** A block whose every line may hold policy i's actions. */
const whole = (i: number): [number, number, number][] => [[i, 0, 1000]];
const jsonencode = (actions: string[]) => `jsonencode({\n    Version   = "2012-10-17"\n    Statement = [{ Effect = "Allow", Action = ${hclList(actions)}, Resource = "*" }]\n  })`;

/** The module's directory in the workspace. */
const MOD = 'mod';
/** Where the model put a file() policy's JSON (workspace-relative): below the module, or in a sibling directory. */
function policyFile(m: Model, i: number): string {
  const a = m.policies[i].attach;
  return a.kind === 'file' && a.sibling ? `shared/p${i}.json` : `${MOD}/policies/p${i}.json`;
}

function blocksOf(m: Model): { blocks: Block[]; jsonFiles: Record<string, string> } {
  const blocks: Block[] = [];
  const jsonFiles: Record<string, string> = {};
  const inline = new Map<number, number[]>();
  const arns = new Map<number, string[]>();
  m.policies.forEach((p, i) => {
    const a = p.attach;
    if (a.kind === 'inline') inline.set(a.role, [...(inline.get(a.role) ?? []), i]);
    if (a.kind === 'managed' && a.via === 'arns') for (const r of a.roles) arns.set(r, [...(arns.get(r) ?? []), `aws_iam_policy.p${i}.arn`]);
  });
  m.roles.forEach((r, k) => {
    const pols = inline.get(k) ?? [];
    const managed = arns.get(k);
    if (pols.length) {
      // a role with inline policies: HCL only (its policies are inside), one block per policy index kept for the oracle
      let hcl = `resource "aws_iam_role" "r${k}" {\n  name = ${JSON.stringify(r.name)}\n${managed ? `  managed_policy_arns = [${managed.join(', ')}]\n` : ''}`;
      const at: [number, number, number][] = [];
      for (const i of pols) {
        const sub = `  inline_policy {\n    name   = "p${i}"\n    policy = ${jsonencode(m.policies[i].actions)}\n  }\n`;
        const from = hcl.split('\n').length - 1;
        hcl += sub;
        at.push([i, from, hcl.split('\n').length - 2]);
      }
      blocks.push({ hcl: hcl + '}\n', policies: at });
    } else
      blocks.push({
        hcl: `resource "aws_iam_role" "r${k}" {\n  name = ${JSON.stringify(r.name)}\n${managed ? `  managed_policy_arns = [${managed.join(', ')}]\n` : ''}}\n`,
        json: ['resource', 'aws_iam_role', `r${k}`, { name: r.name, ...(managed ? { managed_policy_arns: managed.map((x) => `\${${x}}`) } : {}) }],
      });
  });
  m.policies.forEach((p, i) => {
    const a = p.attach;
    const ref = (r: number) => `aws_iam_role.r${r}.name`;
    switch (a.kind) {
      case 'role-policy-ref':
        blocks.push({ hcl: `resource "aws_iam_role_policy" "p${i}" {\n  role   = aws_iam_role.r${a.role}.${a.attr}\n  policy = ${jsonencode(p.actions)}\n}\n`, policies: whole(i) });
        break;
      case 'role-policy-name':
        blocks.push({ hcl: `resource "aws_iam_role_policy" "p${i}" {\n  role   = ${JSON.stringify(m.roles[a.role].name)}\n  policy = ${jsonencode(p.actions)}\n}\n`, policies: whole(i) });
        break;
      case 'computed':
        blocks.push({ hcl: `resource "aws_iam_role_policy" "p${i}" {\n  role   = var.role_${i}\n  policy = ${jsonencode(p.actions)}\n}\n`, policies: whole(i) });
        break;
      case 'inline':
        break;
      case 'managed':
      case 'document': {
        const body = a.kind === 'document' ? `data.aws_iam_policy_document.d${i}.json` : jsonencode(p.actions);
        blocks.push({ hcl: `resource "aws_iam_policy" "p${i}" {\n  policy = ${body}\n}\n`, policies: a.kind === 'managed' ? whole(i) : undefined });
        if (a.kind === 'document') blocks.push({ hcl: `data "aws_iam_policy_document" "d${i}" {\n  statement {\n    actions   = ${hclList(p.actions)}\n    resources = ["*"]\n  }\n}\n`, policies: whole(i) });
        const via = a.kind === 'managed' ? a.via : 'attachment';
        if (via === 'attachment')
          a.roles.forEach((r, j) =>
            blocks.push({
              hcl: `resource "aws_iam_role_policy_attachment" "p${i}_${j}" {\n  role       = ${ref(r)}\n  policy_arn = aws_iam_policy.p${i}.arn\n}\n`,
              json: ['resource', 'aws_iam_role_policy_attachment', `p${i}_${j}`, { role: `\${${ref(r)}}`, policy_arn: `\${aws_iam_policy.p${i}.arn}` }],
            }),
          );
        else if (via === 'policy-attachment')
          blocks.push({
            hcl: `resource "aws_iam_policy_attachment" "p${i}" {\n  name       = "p${i}"\n  roles      = [${a.roles.map(ref).join(', ')}]\n  policy_arn = aws_iam_policy.p${i}.arn\n}\n`,
            json: ['resource', 'aws_iam_policy_attachment', `p${i}`, { name: `p${i}`, roles: a.roles.map((r) => `\${${ref(r)}}`), policy_arn: `\${aws_iam_policy.p${i}.arn}` }],
          });
        break;
      }
      case 'file': {
        const rel = a.sibling ? `../shared/p${i}.json` : `policies/p${i}.json`;
        const where = a.literalPath ? `"${rel}"` : `"\${path.module}/${rel}"`;
        const call = a.template ? `templatefile(${where}, { svc = "s3" })` : `file(${where})`;
        // in a .tf.json file the call is HCL inside a string: `"policy": "${file(\"…\")}"`
        blocks.push({
          hcl: `resource "aws_iam_role_policy" "p${i}" {\n  role   = aws_iam_role.r${a.role}.id\n  policy = ${call}\n}\n`,
          json: ['resource', 'aws_iam_role_policy', `p${i}`, { role: `\${aws_iam_role.r${a.role}.id}`, policy: `\${${call}}` }],
        });
        // a template: a first statement with a templated action (left alone: never flagged), then the literal one
        const templated = a.template ? [{ Effect: 'Allow', Action: ['${svc}:Get*', ...p.actions], Resource: '*' }] : [];
        jsonFiles[policyFile(m, i)] = JSON.stringify({ Version: '2012-10-17', Statement: [...templated, { Effect: 'Allow', Action: p.actions, Resource: '*' }] }, null, 2) + '\n';
        break;
      }
    }
  });
  return { blocks, jsonFiles };
}

/** The roles the model attached each policy to (undefined: computed), by the model alone. */
function modelRoles(m: Model, i: number): number[] | undefined {
  const a = m.policies[i].attach;
  if (a.kind === 'computed') return undefined;
  if (a.kind === 'managed' || a.kind === 'document') return a.roles;
  return [a.role];
}

type Item = CheckItem;

test('policies bound across a module\'s files flag exactly what every attached role leaves unused', async () => {
  let cases = 0;
  let splitOver = 0;
  await fc.assert(
    fc.asyncProperty(genModel, async (m) => {
      cases++;
      const { blocks, jsonFiles } = blocksOf(m);
      const files: Record<string, string> = { ...jsonFiles };
      /** Per policy index: [file, start line, end line] of its actions (1-based, inclusive). */
      const where = new Map<number, [string, number, number][]>();
      const hcl: Block[][] = m.files.map(() => []);
      const json: Record<string, Record<string, Record<string, unknown>>>[] = m.files.map(() => ({}));
      const used = new Set<number>();
      blocks.forEach((b, k) => {
        const f = m.fileOf[k % m.fileOf.length];
        used.add(f);
        if (m.files[f].json && b.json) {
          const [type, kind, name, body] = b.json;
          ((json[f][type] ??= {})[kind] ??= {})[name] = body;
        } else hcl[f].push(b);
      });
      splitOver += used.size > 1 ? 1 : 0;
      m.files.forEach((_, f) => {
        let text = '';
        for (const blk of hcl[f]) {
          const start = text.split('\n').length; // the block's first line, 1-based
          const lines = blk.hcl.split('\n').length - 1;
          text += blk.hcl + '\n';
          for (const [i, a, b] of blk.policies ?? []) where.set(i, [...(where.get(i) ?? []), [`${MOD}/m${f}.tf`, start + a, start + Math.min(b, lines - 1)]]);
        }
        if (text) files[`${MOD}/m${f}.tf`] = text;
        if (Object.keys(json[f]).length) files[`${MOD}/m${f}.tf.json`] = JSON.stringify(json[f], null, 2) + '\n';
      });
      // an extra role with findings: a policy bound to no role is ambiguous, never given someone's findings
      const findings = [...m.roles.map((r) => ({ name: r.name, unused: r.unused })), { name: 'Other9', unused: ACTIONS }].map((r) => ({
        resource: arn(r.name),
        findingType: 'UnusedPermission',
        status: 'ACTIVE',
        analyzedAt: '2026-11-01T00:00:00Z',
        // a role that leaves nothing of the pool unused still has a finding (an action outside it), so that it is a known role
        findingDetails: (r.unused.length ? r.unused : ['ec2:RunInstances']).map((a) => ({ unusedPermissionDetails: { serviceNamespace: a.split(':')[0], actions: [{ action: a.split(':')[1] }] } })),
      }));
      const dir = writeFiles(mkdtempSync(path.join(tmpdir(), 'iam-tfmod-prop-')), { ...files, 'findings.json': JSON.stringify(findings) });
      dirs.push(dir);
      try {
        const r = await cli(['check', '.', '--format', 'json'], dir);
        assert.ok(r.code === 0 || r.code === 1, r.err);
        const all = JSON.parse(r.out) as Item[];
        const items = all.filter((i) => i.code === 'unused-action');
        // each template: exactly one information diagnostic, at its templated action
        m.policies.forEach((p, i) => {
          const a = p.attach;
          const info = all.filter((x) => x.file === policyFile(m, i) && x.code === 'not-refinable');
          assert.equal(info.length, a.kind === 'file' && a.template ? 1 : 0, `policy ${i}: ${JSON.stringify(info)}`);
          if (info.length) assert.equal(files[info[0].file].split('\n')[info[0].line - 1].slice(info[0].column - 1).startsWith('"${svc}:Get*"'), true);
        });
        const flaggedIn = (i: number): string[] => {
          if (m.policies[i].attach.kind === 'file') return items.filter((x) => x.file === policyFile(m, i)).map((x) => x.message.split(' ')[0]);
          const ranges = where.get(i) ?? [];
          return items.filter((x) => ranges.some(([f, a, b]) => x.file === f && x.line >= a && x.line <= b)).map((x) => x.message.split(' ')[0]);
        };
        m.policies.forEach((p, i) => {
          const roles = modelRoles(m, i);
          const expected = roles === undefined ? [] : p.actions.filter((a) => roles.every((k) => m.roles[k].unused.includes(a)));
          assert.deepEqual(flaggedIn(i).sort(), [...expected].sort(), `policy ${i} (${JSON.stringify(p.attach)}): files ${JSON.stringify(files, null, 1)}\n${r.out}`);
        });
        // every flagged range holds the action it names, quoted as written
        for (const x of items) {
          const line = files[x.file].split('\n')[x.line - 1];
          const name = x.message.split(' ')[0];
          assert.equal(line.slice(x.column - 1, x.column - 1 + name.length + 2), JSON.stringify(name), `${x.file}:${x.line}:${x.column}`);
        }
        assert.equal(items.length, m.policies.reduce((n, _, i) => n + flaggedIn(i).length, 0), 'no flag outside the policies');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }),
    { numRuns: Math.max(1, Math.round(60 * factor)), seed, endOnFailure: true },
  );
  console.log(`tfModules property: ${cases} modules, ${splitOver} split over several files`);
});
