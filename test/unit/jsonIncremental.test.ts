/**
 * The incremental reading of an edited JSON policy (server/src/core/formats/jsonIncremental.ts):
 * after any edit, what the JSON format reads from the previous reading equals a whole reading of
 * the new text by jsonc-parser (every field of every policy and statement, what `value()`, `rest()`
 * and the syntax-tree hosts give, the problems), and the refinement's edits (or its refusal) are the
 * same. PROPERTY_RUNS=<factor>, FC_SEED=<n> as elsewhere.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Node } from 'jsonc-parser';
import { documentReading, refinementEdits } from '../support/reading';
import { params } from '../support/property';
import { defaultCatalog } from '../../server/src/workspace/catalogFile';
import { CatalogPools, genFindingsFor, genLayout, genPolicy, writeJsonc } from '../support/generators';
import { ParsedDocument, jsonFormat } from '../../server/src/core';
import { jsonReadings, parseJsonPolicies } from '../../server/src/core/formats/json';
import { jsonParseStats } from '../../server/src/core/formats/jsonIncremental';
import { managedPolicies, releaseManagedPolicies } from '../support/corpus';

const catalog = defaultCatalog();
const pools = new CatalogPools(catalog);

/** A syntax-tree node as data: its kind and place (hosts are compared by what they point at). */
const nodeData = (n: unknown) => {
  const x = n as Node | undefined;
  return x ? [x.type, x.offset, x.length, x.parent?.offset ?? null] : null;
};
/** A JSON host as data: the nodes it points at (a moved reading's hosts read them from a whole reading of the same text). */
const hostData = (h: unknown) => {
  if (!h || typeof h !== 'object') return h ?? null;
  const x = h as Record<string, unknown>;
  return { node: nodeData(x.node), property: nodeData(x.property), valueNode: nodeData(x.valueNode), statementProperty: nodeData(x.statementProperty) };
};

function reading(doc: ParsedDocument): unknown {
  return { ...documentReading(doc, hostData), text: doc.text, format: doc.format.id };
}

/** The incremental reading equals the whole one; its root, where it has one, too. */
function assertSame(inc: ParsedDocument, whole: ParsedDocument, what: string): void {
  assert.deepEqual(reading(inc), reading(whole), what);
  if (inc.host !== undefined) assert.deepEqual(nodeData(inc.host), nodeData(whole.host), what);
}

/** The places of a text a user edits: inside each string (an action typed in, a Sid), at token boundaries, anywhere. */
function editOffset(text: string, where: { kind: 'action' | 'string' | 'boundary' | 'word' | 'any'; n: number; k: number }): number {
  if (where.kind === 'any') return where.n % (text.length + 1);
  const at: number[] = [];
  if (where.kind === 'action') {
    for (const m of text.matchAll(/"[a-z0-9-]+:[^"\\]*"/g)) at.push(m.index! + 1);
  } else if (where.kind === 'string') {
    for (let i = text.indexOf('"'); i >= 0; i = text.indexOf('"', i + 1)) at.push(i + 1);
  } else if (where.kind === 'word') {
    // between two characters of a word: in a number or literal (`36|00`, `tr|ue`), or a string
    for (let i = 1; i < text.length; i++) if (/\w/.test(text[i - 1]) && /\w/.test(text[i])) at.push(i);
  } else {
    for (let i = 0; i < text.length; i++) if (/[\s,:[\]{}]/.test(text[i])) at.push(i);
  }
  if (!at.length) return 0;
  const start = at[where.n % at.length];
  // inside a string: a few characters in (never far past its end)
  return where.kind === 'string' || where.kind === 'action' ? Math.min(text.length, start + (where.k % 4)) : start;
}

/** A policy text: a generated one in a random layout (mostly without comments, which make every reading whole), or a CloudFormation template holding it. */
function genText(g: fc.GeneratorValue): { text: string; spec: ReturnType<typeof genPolicy> } {
  const spec = genPolicy(g, pools);
  const layout = { ...genLayout(g), comments: g(fc.constantFrom, 0, 0, 0, 0.2), escapes: g(fc.constantFrom, 0, 0, 0.1) };
  const value = g(fc.nat, { max: 4 }) === 0 ? { AWSTemplateFormatVersion: '2010-09-09', Resources: { Reader: { Type: 'AWS::IAM::ManagedPolicy', Properties: { PolicyDocument: spec.value } }, Other: { Type: 'AWS::IAM::Role', Properties: { RoleName: 'r', MaxSessionDuration: 3600, Tags: [{ Key: 'on', Value: 'x' }], Enabled: true, Nothing: null } } } } : spec.value;
  return { text: writeJsonc(value, layout), spec };
}

const INSERTS = ['', 'X', 'a', '0', ':', 's3:Get*', 'Get', ' ', '  ', '\n', '\r\n', '\t', '\n    ', '"', '\\', '\\u0041', ',', '{', '}', '[', ']', '//', '/* c */', '"x",', 'true', '\u00e9', '\u0001'];

test('property: after random edits of random policies, the incremental reading equals a whole reading, and so do its refinement edits', () => {
  const before = { ...jsonParseStats };
  fc.assert(
    fc.property(
      fc.gen(),
      fc.array(
        fc.oneof(
          // typing in a string (an action, a Sid, a key), white space between tokens, anything anywhere
          { arbitrary: fc.record({ where: fc.record({ kind: fc.constantFrom<'action' | 'string'>('action', 'action', 'string'), n: fc.nat(), k: fc.nat() }), del: fc.nat({ max: 1 }), ins: fc.constantFrom('', 'X', 'a', '0', ':', 'Get', '*', '?', '-', ' ', '\u00e9', '"', '\\', '\t') }), weight: 3 },
          { arbitrary: fc.record({ where: fc.record({ kind: fc.constantFrom<'boundary' | 'word'>('boundary', 'boundary', 'word'), n: fc.nat(), k: fc.nat() }), del: fc.constantFrom(0, 0, 0, 1), ins: fc.constantFrom('', ' ', '  ', '\n', '\r\n', '\t', '\n    ', '\r', ',', '1') }), weight: 2 },
          {
            arbitrary: fc.record({
              where: fc.record({ kind: fc.constantFrom<'string' | 'boundary' | 'any'>('string', 'boundary', 'any'), n: fc.nat(), k: fc.nat() }),
              del: fc.oneof({ arbitrary: fc.nat({ max: 2 }), weight: 4 }, { arbitrary: fc.nat({ max: 30 }), weight: 1 }),
              ins: fc.oneof({ arbitrary: fc.constantFrom(...INSERTS), weight: 4 }, { arbitrary: fc.string({ maxLength: 4 }), weight: 1 }),
            }),
            weight: 1,
          },
        ).chain((e) => fc.nat({ max: 3 }).map((n) => ({ ...e, undo: n > 0 }))),
        { minLength: 1, maxLength: 10 },
      ),
      (g, edits) => {
        const { text: base, spec } = genText(g);
        const { findings } = genFindingsFor(g, pools, spec);
        jsonReadings.reset();
        let text = base;
        jsonFormat.parse(text);
        for (const e of edits) {
          const at = editOffset(text, e.where);
          const was = text;
          text = text.slice(0, at) + e.ins + text.slice(Math.min(text.length, at + e.del));
          const inc = jsonFormat.parse(text);
          const whole = parseJsonPolicies(text);
          assertSame(inc, whole, `after editing at ${at} (${JSON.stringify(e)}):\n${text}`);
          assert.deepEqual(refinementEdits(catalog, findings, inc), refinementEdits(catalog, findings, whole), `refinement after editing at ${at}:\n${text}`);
          if (e.undo && whole.hasSyntaxErrors) {
            text = was;
            assertSame(jsonFormat.parse(text), parseJsonPolicies(text), `after undoing:\n${text}`);
          }
        }
      },
    ),
    params(200),
  );
  // not vacuous: many edits were read incrementally
  const inc = jsonParseStats.incremental - before.incremental;
  const fallback = jsonParseStats.fallback - before.fallback;
  console.log(`incremental ${inc}, whole after a text that could be a base ${fallback}, whole ${jsonParseStats.full - before.full}`);
  assert.ok(inc > 150, `only ${inc} incremental readings`);
});

test('the reading before an edit is not changed by it; what it shares with the next is plain data', () => {
  const text = '{\n  "Statement": [\n    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:Get*"], "Resource": "*"},\n    {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "arn:aws:s3:::b/*"}\n  ]\n}\n';
  jsonReadings.reset();
  const first = jsonFormat.parse(text);
  const snapshot = reading(first);
  const at = text.indexOf('Describe') + 3;
  const typed = text.slice(0, at) + 'X' + text.slice(at);
  const before = jsonParseStats.incremental;
  const next = jsonFormat.parse(typed);
  assert.equal(jsonParseStats.incremental, before + 1, 'read incrementally');
  assert.equal(next.policies[0].statements[1].entries[0].value, 'ec2:DesXcribe*');
  // the first statement ends before the edit: its entries are the previous reading's
  assert.equal(next.policies[0].statements[0].entries, first.policies[0].statements[0].entries);
  assert.deepEqual(reading(first), snapshot);
  assert.deepEqual(reading(next), reading(parseJsonPolicies(typed)));
  // white space between tokens, and then a line break inside the policy
  const spaced = typed.replace('"Statement": [', '"Statement":   [');
  assert.deepEqual(reading(jsonFormat.parse(spaced)), reading(parseJsonPolicies(spaced)));
  assert.equal(jsonParseStats.incremental, before + 2);
  // a typed quote, a comment, a key: whole readings
  for (const t of [spaced.replace('DesX', 'Des"X'), spaced.replace('"Resource": "*"', '"Resource": "*" /* c */'), spaced.replace('"Effect"', '"Effec"')]) {
    const n = jsonParseStats.full;
    assert.deepEqual(reading(jsonFormat.parse(t)), reading(parseJsonPolicies(t)));
    assert.equal(jsonParseStats.full, n + 1, t);
  }
});

test('ReadOnlyAccess: a keystroke in an action and white space before "Statement" are read incrementally, equal to whole readings', () => {
  const ro = JSON.stringify(managedPolicies().getLatestPolicyDocument('ReadOnlyAccess'), null, 2) + '\n';
  releaseManagedPolicies();
  jsonReadings.reset();
  jsonFormat.parse(ro);
  const at = ro.indexOf('"Statement"');
  const spaced = ro.slice(0, at) + ' ' + ro.slice(at);
  const typedAt = ro.indexOf('s3:Get') + 3;
  const typed = spaced.slice(0, typedAt + 1) + 'x' + spaced.slice(typedAt + 1);
  const before = jsonParseStats.incremental;
  for (const t of [spaced, typed, spaced, ro]) assert.deepEqual(reading(jsonFormat.parse(t)), reading(parseJsonPolicies(t)));
  assert.equal(jsonParseStats.incremental, before + 4);
});
