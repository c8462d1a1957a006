/**
 * The verification's two readers of an edited JSON policy file: JSON.parse (formats/jsonStrict.ts,
 * where it takes the text) and the document's own jsonc-parser reading. Over generated policies,
 * their refinements, and those refinements tampered with (an action widened or dropped, a statement
 * lost or reordered, a field changed, Action renamed, a key given twice, the syntax broken), verify()
 * must reach the same verdict with either reader: the fast one never passes what the full one
 * rejects, nor the other way round.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse as parseJsoncValue } from 'jsonc-parser';
import { Coverage, params } from '../support/property';
import { InternalVerificationError, Universe, applyEdits, documentActionNames, findingActionNames, parseFindings, parsePolicyDocument, planDocument, resolveUnused, verify } from '../../server/src/core';
import type { VerifyReader } from '../../server/src/core/refine';
import { strictPolicyStatements, membersWritten } from '../../server/src/core/formats/jsonStrict';
import { defaultCatalog } from '../../server/src/workspace/catalogFile';
import { RefUniverse } from '../support/oracle';
import { CatalogPools, detailJson, genDetails, genLayout, genPolicy, writeJsonc } from '../support/generators';

const catalog = defaultCatalog();
const pools = new CatalogPools(catalog);
const cov = new Coverage();
const count = cov.count;

type G = fc.GeneratorValue;
type Value = Record<string, unknown>;

const pick = <T>(g: G, xs: readonly T[]): T => xs[g(fc.nat, { max: xs.length - 1 })];

function statementsOf(v: Value): Value[] {
  const s = v.Statement;
  return (Array.isArray(s) ? s : [s]) as Value[];
}

/** A tampering of the refined text: value-level ones written back as JSON (strict), text-level ones in place. */
function tamper(g: G, text: string): { kind: string; text: string } {
  const kind = pick(g, ['as written', 'widen', 'drop an action', 'add an action', 'lose a statement', 'swap statements', 'change Resource', 'rename Action', 'duplicate a key', 'duplicate a key (last wins)', 'break the syntax', 'add a comment', 'rewrite strict'] as const);
  if (kind === 'as written') return { kind, text };
  if (kind === 'break the syntax') {
    const at = text.lastIndexOf(pick(g, ['}', ']', ',', '"']));
    return { kind, text: at < 0 ? text + '}' : text.slice(0, at) + text.slice(at + 1) };
  }
  if (kind === 'add a comment') return { kind, text: text.replace('{', '{ /* x */') };
  if (kind === 'duplicate a key' || kind === 'duplicate a key (last wins)') {
    // a statement's key written twice: JSON.parse keeps the last, the document's reader reports it
    const m = /"(Action|NotAction|Resource|Effect)"\s*:\s*("(?:[^"\\]|\\.)*"|\[[^\]]*\])/.exec(text);
    if (!m) return { kind: 'as written', text };
    const extra = kind === 'duplicate a key' ? `"${m[1]}": "s3:GetObject", ` : `, "${m[1]}": ${m[2]}`;
    const at = kind === 'duplicate a key' ? m.index : m.index + m[0].length;
    return { kind, text: text.slice(0, at) + extra + text.slice(at) };
  }
  const v = parseJsoncValue(text, [], { allowTrailingComma: true }) as Value;
  const sts = statementsOf(v);
  const s = pick(g, sts);
  const key = 'Action' in s ? 'Action' : 'NotAction';
  const list = (): string[] => {
    const a = s[key];
    return Array.isArray(a) ? (a as string[]) : typeof a === 'string' ? [a] : [];
  };
  switch (kind) {
    case 'widen': {
      const a = list();
      if (a.length) {
        const i = g(fc.nat, { max: a.length - 1 });
        a[i] = a[i].endsWith('*') ? a[i].slice(0, Math.max(a[i].indexOf(':') + 1, a[i].length - 4)) + '*' : a[i] + '*';
        s[key] = a;
      }
      break;
    }
    case 'drop an action': {
      const a = list();
      if (a.length > 1) a.splice(g(fc.nat, { max: a.length - 1 }), 1);
      s[key] = a;
      break;
    }
    case 'add an action':
      s[key] = [...list(), pick(g, pools.names.get(pick(g, pools.popular))!)];
      break;
    case 'lose a statement':
      if (Array.isArray(v.Statement) && v.Statement.length > 1) v.Statement.splice(g(fc.nat, { max: v.Statement.length - 1 }), 1);
      break;
    case 'swap statements':
      if (Array.isArray(v.Statement) && v.Statement.length > 1) v.Statement.reverse();
      break;
    case 'change Resource':
      s.Resource = pick(g, ['*', 'arn:aws:s3:::other/*', ['arn:aws:s3:::b', 'arn:aws:s3:::c']]);
      break;
    case 'rename Action': {
      const value = s[key];
      delete s[key];
      s[key === 'Action' ? 'NotAction' : 'Action'] = value;
      break;
    }
    case 'rewrite strict':
      break;
  }
  return { kind, text: JSON.stringify(v, null, pick(g, [0, 2, 4])) };
}

function verdict(run: () => void): 'passes' | 'rejects' {
  try {
    run();
    return 'passes';
  } catch (e) {
    if (e instanceof InternalVerificationError) return 'rejects';
    throw e;
  }
}

test('property: verify() reaches the same verdict reading the edited text by JSON.parse as by the document\'s reader', () => {
  fc.assert(
    fc.property(fc.gen(), (g) => {
      const spec = genPolicy(g, pools);
      // half of the originals strict JSON (the fast reader's case), half JSONC in random layouts
      const text = g(fc.boolean) ? JSON.stringify(spec.value, null, pick(g, [0, 1, 2, 4])) : writeJsonc(spec.value, genLayout(g));
      const ru = new RefUniverse(catalog, spec.statements.flatMap((s) => s.values));
      const findings = parseFindings('findings.json', JSON.stringify(genDetails(g, pools, ru, spec).map(detailJson))).findings;
      const doc = parsePolicyDocument(text);
      const u = new Universe(catalog, [...findingActionNames(findings), ...documentActionNames(doc)]);
      const ctx = { universe: u, unused: resolveUnused(findings, u).indexes };
      const plans = planDocument(ctx, doc);
      // a policy left with nothing is refused before any edit (refineDocument: NothingLeftError)
      fc.pre(!plans.every((pp) => pp.statements.every((sp) => sp.change.kind === 'remove')));
      const edits = doc.format.edits(doc, plans);
      fc.pre(edits.length > 0);
      const t = tamper(g, applyEdits(text, edits));
      const by = (reader: VerifyReader) => verdict(() => verify(ctx, doc, plans, t.text, { kind: 'document' }, undefined, reader));
      const fast = by('auto');
      const full = by('format');
      const strict = !doc.hasSyntaxErrors && strictPolicyStatements(text) !== undefined && strictPolicyStatements(t.text) !== undefined;
      count(`${t.kind}: ${full}${strict ? ' (both strict)' : ''}`);
      assert.equal(fast, full, `${t.kind}: JSON.parse reading ${fast}, document reading ${full}\n--- original ---\n${text}\n--- edited ---\n${t.text}`);
    }),
    params(1000),
  );
  cov.report(['as written: passes (both strict)', 'widen: rejects (both strict)', 'drop an action: rejects (both strict)', 'lose a statement: rejects (both strict)', 'change Resource: rejects (both strict)', 'rename Action: rejects (both strict)', 'duplicate a key: rejects', 'duplicate a key (last wins): rejects', 'break the syntax: rejects', 'rewrite strict: passes (both strict)']);
});

test('the members of a JSON text are counted outside its strings, escaped quotes and all', () => {
  assert.equal(membersWritten('{"a:b": 1, "c": {"d\\":": "e:f", "g": [":"]}}'), 4);
  assert.equal(membersWritten('{"a\\\\": ":", "b": 2}'), 2);
  assert.equal(membersWritten('[]'), 0);
  // a key given twice: the text has one more member than JSON.parse keeps
  assert.equal(strictPolicyStatements('{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Action": "s3:PutObject"}]}'), undefined);
  assert.deepEqual(strictPolicyStatements('{"Statement": {"Effect": "Allow", "Action": "s3:GetObject"}}')?.map((s) => s.entries), [['s3:GetObject']]);
  assert.equal(strictPolicyStatements('{"Statement": [1]}'), undefined);
  assert.equal(strictPolicyStatements('{/* c */ "Statement": []}'), undefined);
});
