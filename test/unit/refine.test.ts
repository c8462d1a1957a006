import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicyDocument, planDocument, refineDocument, verify, Universe, InternalVerificationError, applyEdits } from '../../server/src/core';
import { defaultCatalog } from '../../server/src/workspace/catalogFile';

const catalog = defaultCatalog();
const u = new Universe(catalog);
const unusedOf = (...names: string[]) => new Set(names.flatMap((n) => u.expand(n)));

test('"*:*" is refined like "*": an exactly equivalent, short NotAction', () => {
  const doc = parsePolicyDocument('{"Statement": [{"Effect": "Allow", "Action": ["*:*"], "Resource": "*"}]}');
  const r = refineDocument({ universe: u, unused: unusedOf('ec2:*', 's3:GetObjectAcl') }, doc);
  const st = JSON.parse(r.text).Statement[0];
  assert.equal(st.Action, undefined);
  assert.deepEqual(st.NotAction, ['ec2:*', 's3:GetObjectAcl']);
});

test('a padded " *" matches nothing and is left alone', () => {
  const doc = parsePolicyDocument('{"Statement": [{"Effect": "Allow", "Action": [" *", "s3:GetObject", "s3:PutObject"], "Resource": "*"}]}');
  const r = refineDocument({ universe: u, unused: unusedOf('s3:GetObject') }, doc);
  assert.deepEqual(JSON.parse(r.text).Statement[0].Action, [' *', 's3:PutObject']);
});

test('verification rejects an edit that grants more, or removes a statement that allowed used actions', () => {
  const text = '{"Statement": [{"Effect": "Allow", "Action": ["s3:Get*"], "Resource": "*"}, {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}';
  const doc = parsePolicyDocument(text);
  const ctx = { universe: u, unused: unusedOf('s3:GetObjectAcl') };
  const plans = planDocument(ctx, doc);
  const good = applyEdits(text, doc.format.edits(doc, plans));
  assert.doesNotThrow(() => verify(ctx, doc, plans, good));
  // a refinement that lets GetObjectAcl back in
  const widened = good.replace('"s3:GetObject"', '"s3:GetObject*"');
  assert.notEqual(widened, good);
  assert.throws(() => verify(ctx, doc, plans, widened), InternalVerificationError);
  // a plan that removes the sqs statement although SendMessage is used
  const tampered = plans.map((pp) => ({ ...pp, statements: pp.statements.map((sp) => (sp.statement === 1 ? { ...sp, change: { kind: 'remove' as const } } : sp)) }));
  const dropped = applyEdits(text, doc.format.edits(doc, tampered));
  assert.throws(() => verify(ctx, doc, tampered, dropped), /removed but allows used actions/);
});

test('a single-line statement keeps Resource and Condition exactly, Deny untouched', () => {
  const text = '{"Statement": [{"Effect": "Deny", "Action": "s3:GetObjectAcl", "Resource": "*"}, {"Sid": "R", "Effect": "Allow", "Action": "s3:GetObject*", "Resource": ["arn:aws:s3:::b/*"], "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}';
  const r = refineDocument({ universe: u, unused: unusedOf('s3:GetObjectAcl') }, parsePolicyDocument(text));
  const out = JSON.parse(r.text);
  assert.deepEqual(out.Statement[0], { Effect: 'Deny', Action: 's3:GetObjectAcl', Resource: '*' });
  assert.equal(out.Statement[1].Sid, 'R');
  assert.deepEqual(out.Statement[1].Condition, { Bool: { 'aws:SecureTransport': 'true' } });
  assert.ok(!out.Statement[1].Action.includes('s3:GetObjectAcl'));
  assert.ok(r.text.startsWith('{"Statement": [{"Effect": "Deny", "Action": "s3:GetObjectAcl", "Resource": "*"}, {"Sid": "R", "Effect": "Allow", "Action": '));
});

test('a one-line statement gets its new array on the same line', () => {
  const text = '{\n  "Statement": [\n    {"Effect": "Allow", "Action": "s3:GetObject*", "Resource": "*"}\n  ]\n}\n';
  const r = refineDocument({ universe: u, unused: unusedOf('s3:GetObjectAcl') }, parsePolicyDocument(text));
  const line = r.text.split('\n')[2];
  assert.match(line, /^ {4}\{"Effect": "Allow", "Action": \["s3:GetObject", "s3:GetObjectAnnotation", .*"s3:GetObjectVersion\*"\], "Resource": "\*"\}$/);
});

test('a pattern another written pattern already matches is not written (a sibling word with the same letters)', () => {
  // cloud9:Describe* minus DescribeEC2Remote: the word trie has the nodes DescribeEnvironment
  // (Memberships, Status) and DescribeEnvironments, both shortest safe prefixes; the first's
  // `DescribeEnvironment*` already matches the second
  const doc = parsePolicyDocument('{"Statement": [{"Effect": "Allow", "Action": "cloud9:Describe*", "Resource": "*"}]}');
  const names = (p: string) => u.expand(p).map((i) => u.names[i]);
  const under = names('cloud9:DescribeEnvironment*');
  assert.ok(under.length >= 3 && under.some((n) => /DescribeEnvironments$/.test(n)), 'the catalog still has the sibling words');
  const r = refineDocument({ universe: u, unused: unusedOf('cloud9:DescribeEC2Remote') }, doc);
  const action: string[] = JSON.parse(r.text).Statement[0].Action;
  assert.ok(action.includes('cloud9:DescribeEnvironment*'), action.join(', '));
  for (const p of action) for (const q of action) if (p !== q && p.endsWith('*')) assert.ok(!q.toLowerCase().startsWith(p.slice(0, -1).toLowerCase()), `${p} already matches ${q}`);
  const allowed = new Set(action.flatMap(names));
  assert.deepEqual([...allowed].sort(), names('cloud9:Describe*').filter((n) => n !== 'cloud9:DescribeEC2Remote').sort());
});
