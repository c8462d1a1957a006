/**
 * Completion of IAM action names in Action/NotAction strings: service prefixes, a service's
 * actions with their access level, unused ones marked and sorted last, on broken text too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEdits } from 'jsonc-parser';
import { CompletionEntry, Universe, completeActions, isActionValuePath } from '../../server/src/core';
import { defaultCatalog } from '../../server/src/workspace/catalogFile';

const catalog = defaultCatalog();
const u = new Universe(catalog);

/** Completions at the `|` of a text. */
function at(marked: string, opts: { unused?: string[] } = {}): { text: string; offset: number; items: CompletionEntry[] } {
  const offset = marked.indexOf('|');
  assert.ok(offset >= 0, 'a cursor mark');
  const text = marked.slice(0, offset) + marked.slice(offset + 1);
  const unused = opts.unused ? new Set(opts.unused.flatMap((n) => u.expand(n))) : undefined;
  return { text, offset, items: completeActions({ text, offset, catalog, universe: u, unused }) };
}

/** The text after accepting an item. */
function accept(text: string, item: CompletionEntry): string {
  return applyEdits(text, [{ offset: item.replaceStart, length: item.replaceEnd - item.replaceStart, content: item.insertText }]);
}

const labels = (items: CompletionEntry[]) => items.map((i) => i.label);

test('after "service:": that service\'s actions by prefix, canonical case, access level as detail', () => {
  const { text, offset, items } = at('{"Statement": [{"Effect": "Allow", "Action": ["s3:GetObj|"], "Resource": "*"}]}');
  assert.ok(items.length > 1);
  assert.ok(items.every((i) => i.kind === 'action' && i.insertText.startsWith('s3:GetObj')));
  const get = items.find((i) => i.label === 'GetObject');
  assert.ok(get);
  assert.equal(get.insertText, 's3:GetObject');
  assert.equal(get.detail, 'Read');
  assert.ok(labels(items).includes('GetObjectAcl'));
  assert.equal(get.replaceStart, text.indexOf('s3:GetObj'));
  assert.equal(get.replaceEnd, offset);
  const after = accept(text, get);
  assert.deepEqual(JSON.parse(after).Statement[0].Action, ['s3:GetObject']);
});

test('outside an Action string: nothing', () => {
  const doc = '{"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b|"}]}';
  assert.deepEqual(at(doc).items, []);
  assert.deepEqual(at('{"Statement": [{"Effect": "Al|low", "Action": "s3:GetObject"}]}').items, []);
  // the key itself, before the opening quote, after the closing quote
  assert.deepEqual(at('{"Statement": [{"Effect": "Allow", "Act|ion": "s3:GetObject"}]}').items, []);
  assert.deepEqual(at('{"Statement": [{"Effect": "Allow", "Action": |"s3:GetObject"}]}').items, []);
  assert.deepEqual(at('{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject"|}]}').items, []);
  // not a policy: an "Action" elsewhere
  assert.deepEqual(at('{"Action": ["s3:Get|"]}').items, []);
  assert.deepEqual(at('{"Other": {"Statement": [{"Action": ["s3:Get|"]}]}}').items, []);
  // a Condition value that happens to be under the statement
  assert.deepEqual(at('{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Condition": {"StringEquals": {"Action": "s3:G|"}}}]}').items, []);
});

test('broken JSON while typing: an unterminated string at the end, or before the next line', () => {
  const { text, offset, items } = at('{"Statement": [{"Effect": "Allow", "Action": ["s3:Get|');
  assert.ok(labels(items).includes('GetObject'));
  const get = items.find((i) => i.label === 'GetObject')!;
  assert.equal(get.replaceStart, text.indexOf('s3:Get'));
  assert.equal(get.replaceEnd, offset);
  assert.equal(accept(text, get), '{"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject');
  const mid = at('{\n  "Statement": [{\n    "Effect": "Allow",\n    "Action": [\n      "s3:GetObj|\n      "s3:List*"\n    ]\n  }]\n}\n');
  assert.ok(labels(mid.items).includes('GetObject'));
  assert.equal(mid.items[0].replaceEnd, mid.offset);
  // a just-opened string (the editor's auto-closing quote, or none)
  assert.ok(at('{"Statement": [{"Effect": "Allow", "Action": ["|"]}]}').items.some((i) => i.insertText === 's3:'));
  assert.ok(at('{"Statement": [{"Effect": "Allow", "Action": ["|').items.some((i) => i.insertText === 's3:'));
});

test('NotAction, a single string, a single statement object', () => {
  assert.ok(labels(at('{"Statement": [{"Effect": "Allow", "NotAction": ["iam:Pass|"], "Resource": "*"}]}').items).includes('PassRole'));
  assert.ok(labels(at('{"Statement": [{"Effect": "Allow", "Action": "iam:Pass|", "Resource": "*"}]}').items).includes('PassRole'));
  assert.ok(labels(at('{"Statement": {"Effect": "Deny", "NotAction": "iam:Pass|"}}').items).includes('PassRole'));
});

test('CloudFormation: PolicyDocument and Policies[i].PolicyDocument', () => {
  const tpl = (doc: string) =>
    `{"Resources": {"P": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": ${doc}}}, "R": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [{"PolicyName": "x", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"]}]}}]}}}}`;
  assert.ok(labels(at(tpl('{"Statement": [{"Effect": "Allow", "Action": ["lambda:Inv|"]}]}')).items).includes('InvokeFunction'));
  const role = at(
    '{"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [{"PolicyName": "x", "PolicyDocument": {"Statement": [{"Effect": "Allow", "NotAction": ["sqs:Send|"]}]}}]}}}}',
  );
  assert.ok(labels(role.items).includes('SendMessage'));
  assert.deepEqual(at('{"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"Action": ["s3:G|"]}}}}').items, []);
  assert.ok(isActionValuePath(['Resources', 'R', 'Properties', 'Policies', 0, 'PolicyDocument', 'Statement', 1, 'Action', 2]));
  assert.ok(!isActionValuePath(['Resources', 'R', 'Properties', 'Policies', 'PolicyDocument', 'Statement', 1, 'Action', 2]));
  assert.ok(!isActionValuePath(['Statement', 0, 'Action', 0, 0]));
});

test('matching is case-insensitive by prefix; the insert text is canonical', () => {
  const { text, items } = at('{"Statement": [{"Effect": "Allow", "Action": ["S3:getobj|"]}]}');
  const get = items.find((i) => i.label === 'GetObject')!;
  assert.equal(get.insertText, 's3:GetObject');
  assert.equal(accept(text, get), '{"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"]}]}');
  assert.ok(items.every((i) => i.label.toLowerCase().startsWith('getobj')));
  // prefix, not substring
  assert.ok(!labels(at('{"Statement": [{"Effect": "Allow", "Action": ["s3:Object|"]}]}').items).includes('GetObject'));
  // an unknown service: nothing
  assert.deepEqual(at('{"Statement": [{"Effect": "Allow", "Action": ["nosuchservice:Get|"]}]}').items, []);
});

test('before the colon: service prefixes with the service name, then `service:*` after it', () => {
  const { text, items } = at('{"Statement": [{"Effect": "Allow", "Action": ["La|"]}]}');
  assert.ok(items.length > 0 && items.every((i) => i.kind === 'service' && i.insertText.startsWith('la')));
  const lambda = items.find((i) => i.insertText === 'lambda:')!;
  assert.equal(lambda.label, 'lambda:');
  assert.equal(lambda.detail, catalog.serviceName('lambda'));
  assert.equal(accept(text, lambda), '{"Statement": [{"Effect": "Allow", "Action": ["lambda:"]}]}');
  const s3 = at('{"Statement": [{"Effect": "Allow", "Action": ["s|"]}]}').items.find((i) => i.insertText === 's3:')!;
  assert.equal(s3.detail, 'Amazon S3');
  // after the colon: every action and the wildcard, first
  const all = at('{"Statement": [{"Effect": "Allow", "Action": ["s3:|"]}]}').items;
  assert.equal(all[0].label, '*');
  assert.equal(all[0].insertText, 's3:*');
  assert.equal(all.length, catalog.services.get('s3')!.actions.length + 1);
  assert.ok(!at('{"Statement": [{"Effect": "Allow", "Action": ["s3:G|"]}]}').items.some((i) => i.label === '*'));
});

test('the replace range: from after the opening quote to the end of the word under the cursor', () => {
  // in the middle of an action: the whole action string is replaced
  const mid = at('{"Statement": [{"Effect": "Allow", "Action": ["s3:Get|Object", "s3:PutObject"]}]}');
  const acl = mid.items.find((i) => i.label === 'GetObjectAcl')!;
  assert.equal(accept(mid.text, acl), '{"Statement": [{"Effect": "Allow", "Action": ["s3:GetObjectAcl", "s3:PutObject"]}]}');
  // in the service part: the service and its colon are replaced, the action kept
  const svc = at('{"Statement": [{"Effect": "Allow", "Action": ["s|3:GetObject"]}]}');
  const sqs = svc.items.find((i) => i.insertText === 'sqs:')!;
  assert.equal(accept(svc.text, sqs), '{"Statement": [{"Effect": "Allow", "Action": ["sqs:GetObject"]}]}');
  // never past the closing quote
  const end = at('{"Statement": [{"Effect": "Allow", "Action": ["s3:GetObj|"]}]}');
  assert.equal(end.text[end.items[0].replaceEnd], '"');
});

test('unused actions (from the findings) are marked and sorted after the used ones', () => {
  const { items } = at('{"Statement": [{"Effect": "Allow", "Action": ["s3:GetObj|"]}]}', { unused: ['s3:GetObject', 's3:GetObjectAcl'] });
  const get = items.find((i) => i.label === 'GetObject')!;
  assert.equal(get.unused, true);
  assert.match(get.detail, /unused/);
  assert.match(get.detail, /^Read/);
  const used = items.filter((i) => !i.unused);
  assert.ok(used.length > 0);
  const sorted = [...items].sort((a, b) => (a.sortText < b.sortText ? -1 : 1));
  const firstUnused = sorted.findIndex((i) => i.unused);
  assert.ok(sorted.slice(firstUnused).every((i) => i.unused), 'unused ones last');
  assert.ok(!used.some((i) => /unused/.test(i.detail)));
  // without findings nothing is marked
  assert.ok(at('{"Statement": [{"Effect": "Allow", "Action": ["s3:GetObj|"]}]}').items.every((i) => !i.unused));
});

test('nesting far too deep before the cursor (found by the language server fuzz): nothing, no stack overflow; after the cursor: completions as usual', () => {
  const deep = '['.repeat(20_000) + ']'.repeat(20_000);
  // was RangeError: Maximum call stack size exceeded (jsonc-parser's getLocation recurses), logged by the server's completion
  assert.deepEqual(at(`{"Condition": ${deep}, "Statement": [{"Effect": "Allow", "Action": ["s3:GetObj|"]}]}`).items, []);
  const after = at(`{"Statement": [{"Effect": "Allow", "Action": ["s3:GetObj|"]}], "Condition": ${deep}}`).items;
  assert.ok(after.some((i) => i.label === 'GetObject'));
});
