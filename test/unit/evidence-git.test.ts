// Permissions newer than the findings: a real git repository made here, with commits dated before
// and after the findings (GIT_AUTHOR_DATE / GIT_COMMITTER_DATE); lines changed after them are spared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../support/cli';
import { LspClient, byCode, msg } from '../support/lspClient';
import { DiagnosticSeverity } from 'vscode-languageserver-protocol';
import { GitHistory, parsePorcelain } from '../../server/src/workspace/gitHistory';
import { Universe, parsePolicyDocument, resolveUnused, parseFindings, spareUnjudged, refineDocument, findingActionNames } from '../../server/src/core';
import { defaultCatalog } from '../../server/src/workspace/catalogFile';

const ROLE = 'arn:aws:iam::123456789012:role/Deployer';
const FINDINGS_AT = '2026-11-20T12:00:00Z';

function git(dir: string, args: string[], date?: string): string {
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
  if (date) Object.assign(env, { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
  return execFileSync('git', args, { cwd: dir, env, encoding: 'utf8' });
}

const findings = (at = FINDINGS_AT) =>
  JSON.stringify({
    findings: [
      {
        id: 'f1', resource: ROLE, findingType: 'UnusedPermission', status: 'ACTIVE', analyzedAt: at, updatedAt: at,
        findingDetails: [
          { unusedPermissionDetails: { serviceNamespace: 's3', actions: [{ action: 'PutObject' }, { action: 'DeleteObject' }, { action: 'GetObjectAcl' }, { action: 'GetBucketAcl' }] } },
          { unusedPermissionDetails: { serviceNamespace: 'sqs' } },
        ],
      },
    ],
  }, null, 2);

const OLD = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "s3:GetObject*",
        "s3:DeleteObject",
        "sqs:SendMessage"
      ],
      "Resource": "*"
    }
  ]
}
`;
// the feature shipping now: s3:PutObject and sqs:ReceiveMessage, added after the findings
// (inserted before the last entry: appending would add a comma to the line before, and a changed line counts as new)
const NEW = OLD.replace('"s3:DeleteObject",', '"s3:DeleteObject",\n        "s3:PutObject",').replace('"sqs:SendMessage"', '"sqs:ReceiveMessage",\n        "sqs:SendMessage"');

function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'iam-git-'));
  git(dir, ['init', '-q', '-b', 'main']);
  writeFileSync(join(dir, 'policy.json'), OLD);
  writeFileSync(join(dir, 'findings.json'), findings());
  git(dir, ['add', '.']);
  git(dir, ['commit', '-q', '-m', 'before the findings'], '2026-10-01T09:00:00Z');
  writeFileSync(join(dir, 'policy.json'), NEW);
  git(dir, ['commit', '-q', '-am', 'after the findings'], '2026-11-25T09:00:00Z');
  return dir;
}

test('git blame: committed lines carry their commit time, an unsaved line is newer than anything', async () => {
  const dir = repo();
  try {
    const h = new GitHistory();
    const committed = await h.lineTimes(join(dir, 'policy.json'), NEW);
    assert.equal(committed.state, 'git');
    const lines = NEW.split('\n');
    const at = (needle: string) => committed.lineTimes![lines.findIndex((l) => l.includes(needle))];
    assert.equal(at('s3:GetObject*'), Date.parse('2026-10-01T09:00:00Z'));
    assert.equal(at('s3:PutObject'), Date.parse('2026-11-25T09:00:00Z'));
    const unsaved = NEW.replace('"s3:GetObject*",', '"s3:GetObject*",\n        "s3:GetBucketAcl",');
    const dirty = await h.lineTimes(join(dir, 'policy.json'), unsaved);
    const dl = unsaved.split('\n');
    assert.equal(dirty.lineTimes![dl.findIndex((l) => l.includes('GetBucketAcl'))], Infinity);
    assert.equal(dirty.lineTimes![dl.findIndex((l) => l.includes('s3:GetObject*'))], Date.parse('2026-10-01T09:00:00Z'));
    // cached by content: the same text is not blamed twice
    assert.equal(await h.lineTimes(join(dir, 'policy.json'), NEW), committed);
    // outside a repository: no history, and the reason
    const plain = mkdtempSync(join(tmpdir(), 'iam-nogit-'));
    writeFileSync(join(plain, 'p.json'), OLD);
    const none = await h.lineTimes(join(plain, 'p.json'), OLD);
    assert.equal(none.state, 'no-git');
    assert.equal(none.lineTimes, undefined);
    assert.match(await h.describeFolder(plain), /not a git repository: every line is judged/);
    rmSync(plain, { recursive: true, force: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('check: lines committed after the findings are not flagged; one information diagnostic says so', async () => {
  const dir = repo();
  try {
    const r = await cli(['check', 'policy.json', '--findings', 'findings.json', '--format', 'json'], dir);
    const items = JSON.parse(r.out) as { line: number; code: string; severity: string; message: string }[];
    const lines = NEW.split('\n');
    const lineOf = (needle: string) => lines.findIndex((l) => l.includes(needle)) + 1;
    // old lines are judged
    assert.ok(items.some((i) => i.line === lineOf('s3:DeleteObject') && i.code === 'unused-action'), r.out);
    assert.ok(items.some((i) => i.line === lineOf('s3:GetObject*') && i.code === 'unused-wildcard'), r.out);
    assert.ok(items.some((i) => i.line === lineOf('sqs:SendMessage') && i.code === 'unused-action'), r.out);
    // the new ones are not: one information each, with the findings' date
    for (const needle of ['s3:PutObject', 'sqs:ReceiveMessage']) {
      const here = items.filter((i) => i.line === lineOf(needle));
      assert.deepEqual(here.map((i) => i.code), ['not-judged'], `${needle}: ${r.out}`);
      assert.equal(here[0].severity, 'information');
      assert.match(here[0].message, /changed 2026-11-25: added after the findings of 2026-11-20; not judged yet/);
    }
    // every unused diagnostic says which source, which role, which date and tracking period
    for (const i of items.filter((x) => x.code.startsWith('unused'))) assert.match(i.message, /\[Access Analyzer, role Deployer, findings of 2026-11-20, tracking period/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('refine: the new permissions stay allowed, the old unused ones go, and the result is verified', async () => {
  const dir = repo();
  try {
    const r = await cli(['refine', 'policy.json', '--findings', 'findings.json'], dir);
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out) as { Statement: { Action: string[] }[] };
    const actions = out.Statement[0].Action;
    assert.ok(actions.includes('s3:PutObject'), r.out);
    assert.ok(actions.includes('sqs:ReceiveMessage'), r.out);
    assert.ok(!actions.includes('s3:DeleteObject'), r.out);
    assert.ok(!actions.includes('sqs:SendMessage'), r.out);
    assert.ok(!actions.includes('s3:GetObject*'), 's3:GetObject* covers the unused s3:GetObjectAcl: refined');
    assert.match(r.err, /s3:PutObject: changed 2026-11-25: added after the findings of 2026-11-20; not judged yet.*: kept/);
    // gracePeriodDays widens it: with the findings 3 days after the change and a 7-day grace, still spared
    writeFileSync(join(dir, 'findings.json'), findings('2026-11-28T00:00:00Z'));
    writeFileSync(join(dir, 'iam-refiner.json'), JSON.stringify({ findings: ['findings.json'] }));
    const judged = await cli(['refine', 'policy.json'], dir);
    assert.ok(!(JSON.parse(judged.out).Statement[0].Action as string[]).includes('s3:PutObject'), 'findings after the change judge it');
    writeFileSync(join(dir, 'iam-refiner.json'), JSON.stringify({ findings: ['findings.json'], gracePeriodDays: 7 }));
    const graced = await cli(['refine', 'policy.json'], dir);
    assert.ok((JSON.parse(graced.out).Statement[0].Action as string[]).includes('s3:PutObject'), graced.err);
    assert.match(graced.err, /within gracePeriodDays 7/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a line touched only for a comma: the permission on it was there before the findings, so it is judged', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'iam-git-'));
  try {
    git(dir, ['init', '-q', '-b', 'main']);
    writeFileSync(join(dir, 'policy.json'), OLD);
    writeFileSync(join(dir, 'findings.json'), findings());
    git(dir, ['add', '.']);
    git(dir, ['commit', '-q', '-m', 'before'], '2026-10-01T09:00:00Z');
    // appended after the last entry: "sqs:SendMessage" gets a comma, and its line a new date
    const appended = OLD.replace('"sqs:SendMessage"', '"sqs:SendMessage",\n        "sqs:ReceiveMessage"');
    writeFileSync(join(dir, 'policy.json'), appended);
    git(dir, ['commit', '-q', '-am', 'after'], '2026-11-25T09:00:00Z');
    const r = await cli(['check', 'policy.json', '--findings', 'findings.json', '--format', 'json'], dir);
    const items = JSON.parse(r.out) as { line: number; code: string }[];
    const lineOf = (needle: string) => appended.split('\n').findIndex((l) => l.includes(needle)) + 1;
    assert.deepEqual(items.filter((i) => i.line === lineOf('sqs:SendMessage')).map((i) => i.code), ['unused-action'], r.out);
    assert.deepEqual(items.filter((i) => i.line === lineOf('sqs:ReceiveMessage')).map((i) => i.code), ['not-judged'], r.out);
    // the same, not committed: the comma is in the working tree only
    git(dir, ['reset', '-q', '--hard', 'HEAD~1']);
    writeFileSync(join(dir, 'policy.json'), appended);
    const dirty = await cli(['check', 'policy.json', '--findings', 'findings.json', '--format', 'json'], dir);
    const d = JSON.parse(dirty.out) as { line: number; code: string }[];
    assert.deepEqual(d.filter((i) => i.line === lineOf('sqs:SendMessage')).map((i) => i.code), ['unused-action'], dirty.out);
    assert.deepEqual(d.filter((i) => i.line === lineOf('sqs:ReceiveMessage')).map((i) => i.code), ['not-judged'], dirty.out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an uncommitted edit counts as changed now; without git everything is judged and the CLI says so', async () => {
  const dir = repo();
  try {
    const edited = NEW.replace('"s3:GetObject*",', '"s3:GetObject*",\n        "s3:GetBucketAcl",');
    writeFileSync(join(dir, 'policy.json'), edited);
    const r = await cli(['check', 'policy.json', '--findings', 'findings.json', '--format', 'json'], dir);
    const items = JSON.parse(r.out) as { line: number; code: string; message: string }[];
    const line = edited.split('\n').findIndex((l) => l.includes('GetBucketAcl')) + 1;
    assert.deepEqual(items.filter((i) => i.line === line).map((i) => i.code), ['not-judged']);
    assert.match(items.find((i) => i.line === line)!.message, /changed, not committed: added after the findings/);
    rmSync(join(dir, '.git'), { recursive: true, force: true });
    const plain = await cli(['check', 'policy.json', '--findings', 'findings.json', '--format', 'json'], dir);
    const all = JSON.parse(plain.out) as { line: number; code: string }[];
    assert.ok(!all.some((i) => i.code === 'not-judged'), plain.out);
    assert.ok(all.some((i) => i.line === line && i.code === 'unused-action'));
    assert.match(plain.err, /not a git repository: every line is judged by the findings/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('spareUnjudged is exact: a newer wildcard keeps all it allows, an older one in the same statement is refined, verification holds', () => {
  const catalog = defaultCatalog();
  const text = '{"Statement":[{"Effect":"Allow","Action":[\n"s3:Get*",\n"s3:GetObject*"\n],"Resource":"*"},\n{"Effect":"Allow","NotAction":[\n"iam:*"\n],"Resource":"*"}]}';
  const doc = parsePolicyDocument(text, 'p.json');
  const f = parseFindings('f.json', findings());
  const u = new Universe(catalog, findingActionNames(f.findings));
  const unused = resolveUnused(f.findings, u, [ROLE]);
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  // line 2 (s3:GetObject*) and line 5 (NotAction's iam:*) are newer
  const times = [t0, t0, Infinity, t0, t0, Infinity, t0];
  const judged = spareUnjudged(doc, { universe: u, unused, lineTimes: times });
  const s0 = judged.unusedByStatement.get('0.0')!;
  assert.ok(!s0.indexes.has(u.indexOf('s3:GetObjectAcl')!), 'what the newer s3:GetObject* allows is spared');
  assert.ok(s0.indexes.has(u.indexOf('s3:GetBucketAcl')!), 'what only the older s3:Get* allows is still unused');
  assert.equal(judged.unusedByStatement.get('0.1')!.indexes.size, 0, 'a NotAction statement with a newer part is spared whole');
  const result = refineDocument({ universe: u, unused: unused.indexes, unusedByStatement: new Map([...judged.unusedByStatement].map(([k, v]) => [k, v.indexes])) }, doc);
  const after = parsePolicyDocument(result.text, 'p.json');
  const allowed = new Set(after.policies[0].statements[0].entries.flatMap((e) => u.expand(e.value)));
  assert.ok(allowed.has(u.indexOf('s3:GetObjectAcl')!));
  assert.ok(!allowed.has(u.indexOf('s3:GetBucketAcl')!));
  assert.equal(after.policies[0].statements[1].entries.map((e) => e.value).join(), 'iam:*', 'the spared NotAction statement is unchanged');
  assert.equal(judged.problems.length, 2);
});

test('porcelain parsing: repeated commits, the all-zero commit, lines in any order', () => {
  const a = 'a'.repeat(40);
  const out = [`${a} 1 2 1`, 'author-time 1', 'committer-time 100', '\tline2', `${'0'.repeat(40)} 1 1 1`, 'committer-time 5', '\tline1', `${a} 2 3`, '\tline3'].join('\n');
  assert.deepEqual(parsePorcelain(out), [Infinity, 100_000, 100_000]);
});

test('language server: newer lines get one information diagnostic, an unsaved line too; fix-all spares them; the status says git and that the findings are stale', async () => {
  const dir = repo();
  writeFileSync(join(dir, 'iam-refiner.json'), JSON.stringify({ findings: ['findings.json'], maxFindingsAgeDays: 1 }));
  const { client: c } = await LspClient.start({ folders: [dir], initializationOptions: { debounceMs: 20 } });
  try {
    const uri = c.open(join(dir, 'policy.json'));
    const ds = await c.waitForDiagnostics(uri, (d) => d.length > 0);
    const lines = NEW.split('\n');
    const line = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle));
    const judged = byCode(ds, 'not-judged');
    assert.deepEqual(judged.map((d) => d.range.start.line).sort(), [lines.findIndex((l) => l.includes('s3:PutObject')), lines.findIndex((l) => l.includes('sqs:ReceiveMessage'))].sort());
    assert.ok(judged.every((d) => d.severity === DiagnosticSeverity.Information && /not judged yet/.test(msg(d))));
    assert.ok(!ds.some((d) => d.code !== 'not-judged' && (d.range.start.line === line(NEW, 's3:PutObject') || d.range.start.line === line(NEW, 'sqs:ReceiveMessage'))));
    // typed, not saved: the new line is newer than anything committed
    const edited = NEW.replace('"s3:GetObject*",', '"s3:GetObject*",\n        "s3:GetBucketAcl",');
    c.change(uri, edited);
    const after = await c.waitForDiagnostics(uri, (d) => byCode(d, 'not-judged').some((x) => x.range.start.line === line(edited, 'GetBucketAcl')));
    assert.match(msg(byCode(after, 'not-judged').find((x) => x.range.start.line === line(edited, 'GetBucketAcl'))!), /changed, not committed/);
    const [fixAll] = await c.codeActions(uri, [], ['source.fixAll']);
    c.apply(fixAll);
    const actions = JSON.parse(c.text(uri)).Statement[0].Action as string[];
    for (const kept of ['s3:PutObject', 'sqs:ReceiveMessage', 's3:GetBucketAcl']) assert.ok(actions.includes(kept), `${kept} kept: ${actions}`);
    for (const gone of ['s3:DeleteObject', 'sqs:SendMessage']) assert.ok(!actions.includes(gone), `${gone} removed: ${actions}`);
    const status = await c.waitForStatus((s) => s.folders.length === 1 && !!s.folders[0].history);
    assert.equal(status.folders[0].history, 'git: lines changed after the findings are not judged');
    assert.match(status.folders[0].staleFindings?.[0] ?? '', /^findings\.json \(Access Analyzer, role Deployer\): findings of 2026-11-20 are \d+ days old \(maxFindingsAgeDays 1\)/);
  } finally {
    await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no history when git may not or cannot run: Restricted Mode, git missing, git failing; each said in one sentence', async () => {
  const dir = repo();
  try {
    const untrusted = new GitHistory(undefined, () => false);
    const u = await untrusted.lineTimes(join(dir, 'policy.json'), NEW);
    assert.equal(u.lineTimes, undefined);
    assert.match(u.note!, /Restricted Mode: git is not run in an untrusted workspace/);
    assert.match(await untrusted.describeFolder(dir), /^Restricted Mode/);
    const missing = new GitHistory(async () => ({ stdout: '', stderr: '', code: null, error: Object.assign(new Error('spawn git ENOENT'), { code: 'ENOENT' }) }));
    assert.match(await missing.describeFolder(dir), /^git is not installed \(not on PATH\): every line is judged/);
    assert.equal((await missing.lineTimes(join(dir, 'policy.json'), NEW)).lineTimes, undefined);
    const failing = new GitHistory(async (args) => (args[0] === 'rev-parse' ? { stdout: dir + '\n', stderr: '', code: 0 } : { stdout: '', stderr: 'fatal: something broke\n', code: 128, error: new Error('exit 128') }));
    const f = await failing.lineTimes(join(dir, 'policy.json'), NEW);
    assert.equal(f.state, 'error');
    assert.equal(f.lineTimes, undefined);
    assert.equal(f.note, 'git blame failed: fatal: something broke');
    // a file git does not track: every line is new
    writeFileSync(join(dir, 'new.json'), OLD);
    const untracked = await new GitHistory().lineTimes(join(dir, 'new.json'), OLD);
    assert.equal(untracked.state, 'untracked');
    assert.ok(untracked.lineTimes!.every((t) => t === Infinity));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
