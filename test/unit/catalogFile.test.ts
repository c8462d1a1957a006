/**
 * The bundled catalog's file (format 3): its packed list of actions is the last member, joined by
 * commas, so Catalog.fromJSON takes it as a slice of the text and parses only the rest. The slice must
 * give exactly the catalog a whole JSON.parse gives, and anything that is not that layout (other
 * spacing, an escape inside the list, an older format) is read by the whole parse or refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Catalog } from '../../server/src/core';
import { defaultCatalogPath, readCatalogText } from '../../server/src/workspace/catalogFile';

const text = readFileSync(defaultCatalogPath(), 'utf8');

function same(a: Catalog, b: Catalog): void {
  assert.equal(a.version, b.version);
  assert.equal(a.updatedAt, b.updatedAt);
  assert.equal(a.actionCount, b.actionCount);
  assert.deepEqual(a.sorted(), b.sorted());
  assert.deepEqual([...a.services.keys()], [...b.services.keys()]);
  for (const [k, s] of a.services) {
    const t = b.services.get(k)!;
    assert.deepEqual([s.name, s.levels, s.actions], [t.name, t.levels, t.actions], k);
  }
}

test('the bundled file: format 3, its list last and without escapes; the slice reads what a whole parse reads', () => {
  const j = JSON.parse(text) as { format: number; actions: string; services: [string, string, string][] };
  assert.equal(j.format, 3);
  assert.equal(Object.keys(j).pop(), 'actions');
  assert.ok(!/["\\]/.test(j.actions));
  // the order the engine takes on trust from a format-3 file: strictly increasing, lower-cased, by code units
  const lower = j.actions.toLowerCase().split(',');
  for (let i = 1; i < lower.length; i++) assert.ok(lower[i - 1] < lower[i], `${lower[i - 1]} before ${lower[i]}`);
  assert.equal(new Set(lower).size, lower.length);
  const fast = Catalog.fromJSON(text);
  // the same data with other spacing: not the layout the slice takes, so parsed whole
  const spaced = Catalog.fromJSON(JSON.stringify(j, null, 1));
  same(fast, spaced);
  assert.equal(fast.actionCount, j.actions.split(',').length);
  assert.equal(fast.sorted().names.join(','), j.actions);
  assert.ok(fast.has('s3:GetObject') && !fast.has('s3:GetObjectX'));
});

test('a list with an escape or a quote is not sliced: the whole parse reads it (or refuses the file)', () => {
  const j = JSON.parse(text) as { actions: string };
  // "\u0073" is "s": sliced, the list would hold the six characters
  const escaped = text.replace(',"actions":"a2c:', ',"actions":"a2c\\u003a').replace('s3:GetObject,', '\\u00733:GetObject,');
  same(Catalog.fromJSON(escaped), Catalog.fromJSON(text));
  assert.throws(() => Catalog.fromJSON(text.slice(0, -10) + '"x"}'));
  // the list's key is looked for from the start: a member before it with a key "actions" of its own is
  // found first, what follows it holds quotes, and the file is parsed whole (the last "actions" counts)
  const earlier = text.replace('{"source":', '{"x":{"n":1,"actions":"s3:GetObject"},"source":');
  assert.notEqual(earlier, text);
  same(Catalog.fromJSON(earlier), Catalog.fromJSON(text));
  // an older file (format 2: the list joined by line breaks) is refused with its format, not misread
  const old = JSON.stringify({ ...JSON.parse(text), format: 2, actions: j.actions.replaceAll(',', '\n') });
  assert.throws(() => Catalog.fromJSON(old), /catalog format 2 is not read/);
});

test('readCatalogText: the text readFileSync gives as UTF-8, for an ASCII file (taken byte for byte) and any other', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iam-cat-text-'));
  try {
    assert.equal(readCatalogText(defaultCatalogPath()), text);
    for (const t of ['{"a":"é ☃ 😀"}', '\ufeff{"a":1}', 'plain ascii', '', 'bad \xff byte']) {
      const f = join(dir, 'c.json');
      writeFileSync(f, t === 'bad \xff byte' ? Buffer.from([0x62, 0xff, 0x0a]) : t);
      assert.equal(readCatalogText(f), readFileSync(f, 'utf8'), JSON.stringify(t));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
