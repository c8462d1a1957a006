/** unknown-action suggestions: real actions only, the closest service prefixes first, never a far one. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { levenshtein, suggest } from '../../server/src/core';
import { defaultCatalog } from '../../server/src/workspace/catalogFile';

const catalog = defaultCatalog();
const names = catalog.sorted().names.filter((n) => catalog.has(n));
/** The oracle's edit distance: plain dynamic programming, no bound. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

test('a misspelt service prefix: every suggestion is an action of the catalog under a prefix within a third of its length, closest first; the real one is found', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: names.length - 1 }), fc.nat(), fc.constantFrom('x', 'q', 'z', '9', '-'), (k, at, ch) => {
      const name = names[k];
      const colon = name.indexOf(':');
      const prefix = name.slice(0, colon);
      // one character replaced or added: a prefix the catalog does not have
      const i = at % prefix.length;
      const typo = at % 2 ? prefix.slice(0, i) + ch + prefix.slice(i + 1) : prefix.slice(0, i) + ch + prefix.slice(i);
      if (catalog.services.has(typo)) return;
      const wrong = `${typo}${name.slice(colon)}`;
      const got = suggest(catalog, wrong);
      const limit = Math.max(1, Math.floor(typo.length / 3));
      const ds = got.map((s) => distance(typo, s.slice(0, s.indexOf(':'))));
      for (const [j, s] of got.entries()) {
        assert.ok(catalog.has(s), `${wrong}: suggested ${s}, not in the catalog`);
        assert.equal(s.slice(s.indexOf(':') + 1).toLowerCase(), name.slice(colon + 1).toLowerCase(), `${wrong}: ${s} is another action`);
        assert.ok(ds[j] <= limit, `${wrong}: ${s} is ${ds[j]} edits away (limit ${limit})`);
        if (j) assert.ok(ds[j - 1] <= ds[j], `${wrong}: not closest first: ${got}`);
      }
      // the real action is one edit away: suggested, unless three at least as close come before it
      if (!got.includes(name)) assert.ok(got.length === 3 && ds[2] <= 1, `${wrong}: ${name} not suggested (${got})`);
    }),
    { numRuns: 300 },
  );
});

test('the bounded levenshtein says "more than max" for anything farther, and the distance otherwise', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), fc.integer({ min: 0, max: 6 }), (a, b, max) => {
      const d = distance(a, b);
      const got = levenshtein(a, b, max);
      if (d <= max) assert.equal(got, d);
      else assert.ok(got > max, `${a} ${b}: ${got} for ${d} with max ${max}`);
    }),
    { numRuns: 500 },
  );
});
