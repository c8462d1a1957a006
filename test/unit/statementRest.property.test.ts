/**
 * A JSON statement's `rest()` (everything but its action keys, what verification compares to find a
 * changed field) against the generated statement itself: keys in any order, given twice (the last
 * value counts, at the first one's place), `__proto__` and integer-like keys, nested values, the
 * action keys anywhere (and given twice).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseJsonc } from '../../server/src/core/text';
import { objectStatement } from '../../server/src/core/formats/json';

const keys = fc.constantFrom('Action', 'NotAction', 'actions', 'not_actions', 'Effect', 'Sid', 'Resource', 'Condition', '__proto__', 'constructor', '10', '2', 'x');
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, fc.string({ maxLength: 6 }), fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('v'), { maxLength: 3 }), fc.array(fc.tuple(keys, tie('v')), { maxLength: 3 })),
})).v;

/** The value as JSON text: a [key, value] list is an object written in that order (duplicates kept). */
function write(v: unknown): string {
  if (Array.isArray(v) && v.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string') && v.length > 0) return `{${(v as [string, unknown][]).map(([k, x]) => `${JSON.stringify(k)}: ${write(x)}`).join(', ')}}`;
  if (Array.isArray(v)) return `[${v.map(write).join(', ')}]`;
  return JSON.stringify(v);
}

/** The oracle's value of the same model: objects built key by key, the last value of a key counting. */
function valueOf(v: unknown): unknown {
  if (Array.isArray(v) && v.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string') && v.length > 0) {
    const o = Object.create(null) as Record<string, unknown>;
    for (const [k, x] of v as [string, unknown][]) o[k] = valueOf(x);
    return o;
  }
  if (Array.isArray(v)) return v.map(valueOf);
  return v;
}

test('property: rest() of a JSON statement is every field but its action keys, as the statement gives them', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(keys, value), { minLength: 1, maxLength: 8 }), fc.constantFrom<readonly [string, string]>(['Action', 'NotAction'], ['actions', 'not_actions']), (fields, actionKeys) => {
      const text = write(fields);
      const { root } = parseJsonc(text);
      assert.ok(root && root.type === 'object', text);
      const want = Object.create(null) as Record<string, unknown>;
      for (const [k, x] of fields) if (k !== actionKeys[0] && k !== actionKeys[1]) want[k] = valueOf(x);
      const got = objectStatement(root, 0, actionKeys).rest();
      assert.deepEqual(got, { ...want }, text);
      // verification compares the two as JSON text: the same keys in the same order
      assert.equal(JSON.stringify(got), JSON.stringify({ ...want }), text);
    }),
    { numRuns: 2000 },
  );
});
