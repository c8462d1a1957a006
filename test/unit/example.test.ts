import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync, readdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { cli } from '../support/cli';
import { EXAMPLE, EXPECTED_S3, ROOT } from '../support/example';

test('the shared example refines to exactly the documented list through the CLI', async () => {
  const r = await cli(['refine', 'examples/policy.json', '--findings', 'examples/findings.json']);
  assert.equal(r.code, 0, r.err);
  const doc = JSON.parse(r.out);
  assert.deepEqual(doc.Statement[0].Action, ['lambda:Invoke*']);
  assert.deepEqual(doc.Statement[1].Action, [...EXPECTED_S3, 's3:List*']);
  assert.equal(doc.Statement[0].Resource, 'arn:aws:lambda:us-east-1:123456789012:function:my-lambda');
  assert.match(r.err, /removed 8 unused actions, refined 1 wildcard into 9 patterns/);
});

test('only the changed entries change: the rest of the example is byte-identical', async () => {
  const before = readFileSync(join(EXAMPLE, 'policy.json'), 'utf8');
  const r = await cli(['refine', 'examples/policy.json', '--findings', 'examples/findings.json']);
  // the odd indentation of statement 2 ("Effect" : …) and the closing brackets survive as written
  assert.ok(r.out.includes('  {\n    "Effect" : "Allow",\n    "Action" : [\n      "s3:GetAccess*",\n'));
  assert.ok(r.out.endsWith('    "Resource" : "*"\n  }\n ]\n}\n'));
  assert.equal(before.split('\n').slice(0, 5).join('\n'), r.out.split('\n').slice(0, 5).join('\n'));
});

test('--diff prints a unified diff of the change', async () => {
  const r = await cli(['refine', 'examples/policy.json', '--findings', 'examples/findings.json', '--diff']);
  assert.equal(r.code, 0);
  assert.match(r.out, /^--- a\/examples\/policy.json\n\+\+\+ b\/examples\/policy.json\n@@ /);
  assert.equal((r.out.match(/^-\s+"lambda:/gm) ?? []).length, 8);
  assert.equal((r.out.match(/^\+\s+"s3:/gm) ?? []).length, 9);
  assert.match(r.out, /^-\s+"s3:Get\*",$/m);
});

test('--write replaces the file atomically and leaves no temporary file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'iam-refine-'));
  copyFileSync(join(EXAMPLE, 'policy.json'), join(dir, 'policy.json'));
  copyFileSync(join(EXAMPLE, 'findings.json'), join(dir, 'findings.json'));
  const r = await cli(['refine', 'policy.json', '--findings', 'findings.json', '--write'], dir);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, '');
  const doc = JSON.parse(readFileSync(join(dir, 'policy.json'), 'utf8'));
  assert.deepEqual(doc.Statement[1].Action, [...EXPECTED_S3, 's3:List*']);
  assert.deepEqual(readdirSync(dir).sort(), ['findings.json', 'policy.json']);
  // idempotent: a second run has nothing to change, and says so
  const again = await cli(['refine', 'policy.json', '--findings', 'findings.json', '--write'], dir);
  assert.equal(again.code, 0);
  assert.match(again.err, /nothing to change/);
});

test('check reports every problem with file:line:col and a stable code', async () => {
  const r = await cli(['check', 'examples', '--findings', 'examples/findings.json']);
  assert.equal(r.code, 1);
  const lines = r.out.trim().split('\n');
  assert.equal(lines.length, 9);
  assert.equal(lines.filter((l) => / unused-action: lambda:/.test(l)).length, 8);
  assert.ok(lines.includes('examples/policy.json:22:7: warning unused-wildcard: s3:Get* allows 22 unused actions (of 63) [findings list examples/findings.json, undated, tracking period not stated]'), lines.join('\n'));
  assert.ok(lines.includes('examples/policy.json:7:9: warning unused-action: lambda:AddPermission is unused (not used in the tracking period) [findings list examples/findings.json, undated, tracking period not stated]'));
});

test('check --format sarif is SARIF 2.1.0 with rules and regions', async () => {
  const r = await cli(['check', 'examples/policy.json', '--findings', 'examples/findings.json', '--format', 'sarif']);
  assert.equal(r.code, 1);
  const s = JSON.parse(r.out);
  assert.equal(s.version, '2.1.0');
  const run = s.runs[0];
  assert.equal(run.tool.driver.name, 'iam-refine');
  assert.ok(run.tool.driver.rules.some((x: { id: string }) => x.id === 'unused-wildcard'));
  assert.equal(run.results.length, 9);
  const w = run.results.find((x: { ruleId: string }) => x.ruleId === 'unused-wildcard');
  assert.deepEqual(w.locations[0].physicalLocation.region, { startLine: 22, startColumn: 7, endLine: 22, endColumn: 16 });
  assert.equal(w.locations[0].physicalLocation.artifactLocation.uri, 'examples/policy.json');
  assert.equal(w.properties.unusedActions.length, 22);
});

test('check --format json and exit 0 when there is nothing to report', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'iam-refine-'));
  writeFileSync(join(dir, 'p.json'), JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' }] }));
  writeFileSync(join(dir, 'f.json'), JSON.stringify([{ serviceNamespace: 'lambda', actions: ['GetFunction'] }]));
  const r = await cli(['check', 'p.json', '--findings', 'f.json', '--format', 'json'], dir);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(r.out), []);
});

test('the bundled bin runs the demo end to end', () => {
  const out = execFileSync(process.execPath, [join(ROOT, 'bin', 'iam-refine.js'), 'refine', 'examples/policy.json', '--findings', 'examples/findings.json'], { cwd: ROOT, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out).Statement[1].Action, [...EXPECTED_S3, 's3:List*']);
  const v = execFileSync(process.execPath, [join(ROOT, 'bin', 'iam-refine.js'), '--version'], { encoding: 'utf8' });
  assert.match(v, /catalog: @cloud-copilot\/iam-data 0\.21\.202609261 \(456 services, 22091 actions, data of 2026-09-26\)/);
});

test('expand lists what a pattern allows, and says when it matches nothing', async () => {
  const r = await cli(['expand', 's3:Get*']);
  assert.equal(r.code, 0);
  assert.equal(r.out.trim().split('\n').length, 63);
  const none = await cli(['expand', 's3:GetObjekt']);
  assert.equal(none.code, 1);
  assert.match(none.err, /matches no action/);
});
