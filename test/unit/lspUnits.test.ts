/**
 * The language server's pure helpers and the extension's static contributions: binding edits of
 * iam-refiner.json, the findings file search, settings normalisation, the grammar, the schemas and
 * package.json staying in step with the shared protocol.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { applyEdits, parse } from 'jsonc-parser';
import { bindingEdits, formattingOf } from '../../server/src/workspace/configEdit';
import { findFiles } from '../../server/src/workspace/walk';
import { normalizeSettings } from '../../server/src/workspace/settings';
import { Commands, DEFAULT_SETTINGS } from '../../shared/protocol';
import { matchesGlob, parseConfig } from '../../server/src/core';

const ROOT = path.resolve(__dirname, '../../..');
const ROLE = 'arn:aws:iam::123456789012:role/Deployer';
const ROLE2 = 'arn:aws:iam::123456789012:role/Reader';

test('bindingEdits: a new iam-refiner.json is valid and parses as a config', () => {
  const text = applyEdits('', bindingEdits('', 'policies/app.json', ROLE));
  assert.equal(text, `{\n  "roles": {\n    "policies/app.json": [\n      "${ROLE}"\n    ]\n  }\n}\n`);
  assert.deepEqual(parseConfig('iam-refiner.json', text).roles, [{ glob: 'policies/app.json', roles: [ROLE] }]);
});

test('bindingEdits: comments, other keys and the file indentation are kept; a bound key gains the role once', () => {
  const before = '{\n\t// findings from CI\n\t"findings": ["ci/*.json"],\n\t"roles": {\n\t\t"a.json": ["' + ROLE + '"]\n\t}\n}\n';
  const once = applyEdits(before, bindingEdits(before, 'a.json', ROLE2));
  assert.ok(once.startsWith('{\n\t// findings from CI\n\t"findings": ["ci/*.json"],\n'));
  assert.deepEqual(parse(once).roles, { 'a.json': [ROLE, ROLE2] });
  assert.deepEqual(bindingEdits(once, 'a.json', ROLE2), []);
  const other = applyEdits(once, bindingEdits(once, 'b.json', ROLE));
  assert.deepEqual(parse(other).roles, { 'a.json': [ROLE, ROLE2], 'b.json': [ROLE] });
  assert.deepEqual(formattingOf(before), { insertSpaces: false, tabSize: 4, eol: '\n' });
  assert.deepEqual(formattingOf('{\r\n    "x": 1\r\n}'), { insertSpaces: true, tabSize: 4, eol: '\r\n' });
});

test('findFiles: globs relative to the root, bare names at any depth, node_modules and .git skipped', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'iam-walk-'));
  try {
    for (const f of ['findings.json', 'a/b/unused-findings.json', 'node_modules/x/findings.json', '.git/findings.json', 'findings/one.json', 'findings/deep/two.json', 'other.json']) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      writeFileSync(path.join(dir, f), '[]');
    }
    assert.deepEqual(await findFiles(dir, ['**/*findings*.json']), ['a/b/unused-findings.json', 'findings.json']);
    assert.deepEqual(await findFiles(dir, ['findings/*.json']), ['findings/one.json']);
    assert.deepEqual(await findFiles(dir, ['findings/**/*.json']), ['findings/deep/two.json', 'findings/one.json']);
    assert.deepEqual(await findFiles(dir, ['*findings*.json'], { maxDepth: 0 }), ['findings.json']);
    assert.deepEqual(await findFiles(path.join(dir, 'missing'), ['**/*.json']), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('normalizeSettings: defaults, junk ignored, single strings accepted', () => {
  assert.deepEqual(JSON.parse(JSON.stringify(normalizeSettings(undefined))), DEFAULT_SETTINGS);
  const s = normalizeSettings({ enable: 'yes', findings: 'f/*.json', severity: { unusedAction: 'error', unknownAction: 'loud' }, live: { refreshIntervalMinutes: -3, region: ' eu-west-1 ' } });
  assert.equal(s.enable, true);
  assert.deepEqual(s.findings, ['f/*.json']);
  assert.equal(s.severity.unusedAction, 'error');
  assert.equal(s.severity.unknownAction, 'warning');
  assert.equal(s.live.refreshIntervalMinutes, 60);
  assert.equal(s.live.region, 'eu-west-1');
});

test('normalizeSettings: a glob longer than iam-refiner.json allows is not used, and said (the glob library throws past 65,536 characters)', () => {
  const warnings: string[] = [];
  const long = '*'.repeat(98_990);
  assert.throws(() => matchesGlob(long, 'a.json'));
  const s = normalizeSettings({ findings: [long, 'ok/*.json'], include: long, exclude: ['**/x/**'] }, (m) => warnings.push(m));
  assert.deepEqual(s.findings, ['ok/*.json']);
  assert.deepEqual(s.include, DEFAULT_SETTINGS.include);
  assert.deepEqual(s.exclude, ['**/x/**']);
  assert.equal(warnings.length, 2);
  assert.match(warnings[0], /^setting iamRefiner\.findings: a glob of 98990 characters \(at most 4096\) is not used/);
  assert.match(warnings[1], /^setting iamRefiner\.include: .* is not used \(the default is\)/);
});

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

test('package.json: commands, settings and scopes match the protocol', () => {
  const contributed = pkg.contributes.commands.map((c: { command: string }) => c.command).sort();
  assert.deepEqual(
    contributed,
    [Commands.refineAll, Commands.refineFile, Commands.showOutput, Commands.refreshLiveFindings, Commands.saveLiveFindings, Commands.compareWithAwsRecommendation, Commands.restartServer, Commands.explainRefinement, Commands.updateCatalog].sort(),
  );
  const props = pkg.contributes.configuration.properties as Record<string, { scope: string; default: unknown }>;
  const keys = (o: object, prefix: string): string[] => Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' && !Array.isArray(v) ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
  const expected = keys(DEFAULT_SETTINGS, 'iamRefiner.').concat(['iamRefiner.live.region', 'iamRefiner.live.profile', 'iamRefiner.live.analyzerArn', 'iamRefiner.live.endpoint', 'iamRefiner.catalog.serviceReferenceUrl', 'iamRefiner.trace.server']);
  assert.deepEqual(Object.keys(props).sort(), [...new Set(expected)].sort());
  assert.equal(props['iamRefiner.live.endpoint'].scope, 'machine');
  // the catalog's source is the user's to choose, never a workspace's
  assert.equal(props['iamRefiner.catalog.serviceReferenceUrl'].scope, 'machine');
  for (const k of ['enable', 'findings', 'include', 'exclude', 'severity.unusedAction', 'severity.unusedWildcard', 'severity.unknownAction']) assert.equal(props[`iamRefiner.${k}`].scope, 'resource', k);
  assert.equal(props['iamRefiner.severity.unusedWildcard'].default, DEFAULT_SETTINGS.severity.unusedWildcard);
  assert.equal(pkg.engines.vscode, '^1.138.0');
  assert.equal(pkg.main, './dist/client.js');
});

test('the injection grammar marks service:Action strings and their wildcards, nothing else', () => {
  const g = JSON.parse(readFileSync(path.join(ROOT, 'syntaxes/iam-actions.injection.tmLanguage.json'), 'utf8'));
  const contrib = pkg.contributes.grammars[0];
  assert.equal(contrib.scopeName, g.scopeName);
  assert.deepEqual(contrib.injectTo, ['source.json', 'source.json.comments']);
  const re = new RegExp(g.repository.action.match);
  const m = (s: string) => s.match(re)?.slice(1);
  assert.deepEqual(m('"s3:GetObject"'), ['s3', ':', 'GetObject']);
  assert.deepEqual(m('"s3:Get*"'), ['s3', ':', 'Get*']);
  assert.deepEqual(m('"ec2:*"'), ['ec2', ':', '*']);
  assert.deepEqual(m('"s3:*Object?"'), ['s3', ':', '*Object?']);
  for (const s of ['"eslint:recommended"', '"arn:aws:s3:::bucket/*"', '"*"', '"s3:GetObject extra"']) assert.equal(m(s), undefined, s);
});

test('the schemas are well-formed and what jsonValidation points at', () => {
  for (const v of pkg.contributes.jsonValidation) {
    const schema = JSON.parse(readFileSync(path.join(ROOT, v.url), 'utf8'));
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    // every local $ref resolves
    const refs = JSON.stringify(schema).match(/"\$ref":"#\/definitions\/[^"]+"/g) ?? [];
    for (const r of refs) assert.ok(schema.definitions[r.split('/').pop()!.replace('"', '')], r);
  }
  const policy = JSON.parse(readFileSync(path.join(ROOT, 'schemas/iam-policy.schema.json'), 'utf8'));
  assert.deepEqual(Object.keys(policy.properties), ['Version', 'Id', 'Statement']);
  assert.deepEqual(Object.keys(policy.definitions.statement.properties).sort(), ['Action', 'Condition', 'Effect', 'NotAction', 'NotPrincipal', 'NotResource', 'Principal', 'Resource', 'Sid']);
  const ops = new RegExp(policy.definitions.statement.properties.Condition.propertyNames.pattern);
  for (const op of ['StringEquals', 'ForAnyValue:StringLike', 'ArnLikeIfExists', 'Bool', 'Null']) assert.ok(ops.test(op), op);
  assert.ok(!ops.test('StringEqual'));
});

test('.vscodeignore ships only what runs', () => {
  const lines = readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  assert.equal(lines[0], '**');
  for (const f of ['!dist/client.js', '!dist/server.js', '!dist/catalog.json', '!package.json', '!LICENSE']) assert.ok(lines.includes(f), f);
  assert.ok(!lines.some((l) => l.includes('.map')));
});
