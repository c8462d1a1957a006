/**
 * The server's stdio encoder (server/src/lsp/wire.ts) against JSON.stringify: every message it writes,
 * publishes of generated diagnostics in sequences that reuse messages, ranges and data as keystrokes
 * do, is byte for byte `Buffer.from(JSON.stringify(msg))`, whatever the diagnostics' shape (keys
 * missing, added, reordered, undefined; floats, negatives, huge numbers; objects where numbers go;
 * escapes, non-ASCII and lone surrogates in strings; another prototype; toJSON).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeMessage, wireCounts } from '../../server/src/lsp/wire';

const PUBLISH = 'textDocument/publishDiagnostics';

/** A few messages, sources, codes and hrefs, so that a sequence writes the same ones again. */
const text = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('s3:GetObject is unused', 'a4b:Get* allows 2 unused actions (of 13)', 'x "quoted" \\ back', 'tab\there\nline', 'é — ü', '😀 emoji', 'lone \ud800 surrogate', '') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
);
const small = fc.nat({ max: 400 });
const number = fc.oneof({ weight: 8, arbitrary: small }, { weight: 1, arbitrary: fc.constantFrom(-1, -0, 0.5, 2 ** 31, 2 ** 53, 1e21, NaN, Infinity) });
// plain objects, as the server builds them (fast-check also makes some without a prototype: the mutation null-proto does that)
const plain = { noNullPrototype: true } as const;
const position = fc.record({ line: number, character: number }, plain);
const range = fc.record({ start: position, end: position }, plain);

interface Shape {
  range: unknown;
  severity: unknown;
  source: unknown;
  code: unknown;
  message: unknown;
  data?: unknown;
  codeDescription?: unknown;
  tags?: unknown;
}

/** documentDiagnostics' shape: range, severity, source, code, message, then data, codeDescription, tags as present. */
const diagnostic: fc.Arbitrary<Shape> = fc
  .record(
    {
      range,
      severity: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: number }),
      source: fc.constantFrom('iam-refiner', 'other'),
      code: fc.constantFrom('unused-action', 'unused-wildcard', 'unknown-action', 'unbound-policy'),
      message: text,
      data: fc.oneof(
        { weight: 6, arbitrary: fc.array(number, { maxLength: 4 }) },
        { weight: 1, arbitrary: fc.record({ version: small, suggestions: fc.array(text, { maxLength: 2 }) }, plain) },
        { weight: 1, arbitrary: fc.constant(undefined) },
      ),
      codeDescription: fc.constantFrom({ href: 'https://example.com/README#unused-action' }, { href: 'https://example.com/é' }),
      tags: fc.constantFrom([1], [2], [1, 2], []),
    },
    { requiredKeys: ['range', 'severity', 'source', 'code', 'message'], noNullPrototype: true },
  )
  .map((d) => {
    // the record's keys come in its declared order, as documentDiagnostics writes them
    const out: Shape = { range: d.range, severity: d.severity, source: d.source, code: d.code, message: d.message };
    if ('data' in d) out.data = d.data;
    if ('codeDescription' in d) out.codeDescription = d.codeDescription;
    if ('tags' in d) out.tags = d.tags;
    return out;
  });

/** Ways a diagnostic can differ from the shape the fast path writes (each must still come out as JSON.stringify's). */
const mutation = fc.constantFrom(
  'none',
  'none',
  'none',
  'none',
  'reorder',
  'extra-key',
  'drop-required',
  'undefined-value',
  'related',
  'null-proto',
  'to-json',
  'range-extra',
  'range-order',
  'data-hole',
  'string-object',
  'not-object',
);

function mutate(d: Shape, how: string, version: number): unknown {
  switch (how) {
    case 'reorder':
      return Object.assign({ message: d.message }, d);
    case 'extra-key':
      return { ...d, zzz: 1 };
    case 'drop-required': {
      const { severity: _s, ...rest } = d;
      return rest;
    }
    case 'undefined-value':
      return { ...d, source: undefined, data: undefined };
    case 'related': {
      // where the findings name it moves, and what it says changes, from one version to the next (the diagnostic itself may not)
      const at = { line: 3, character: version % 3 };
      return {
        ...d,
        relatedInformation: [
          { location: { uri: 'file:///x', range: d.range }, message: 'unused: s3:GetObject' },
          { location: { uri: 'file:///findings.json', range: { start: { line: 3, character: 0 }, end: at } }, message: version % 5 ? 'unused: s3:GetBucketAcl' : 'unused: s3:GetBucketAcl (last used 2026-01-01)' },
        ],
      };
    }
    case 'null-proto':
      return Object.assign(Object.create(null), d);
    case 'to-json':
      return { ...d, toJSON: (key: string) => ({ key, message: d.message }) };
    case 'range-extra':
      return { ...d, range: { ...(d.range as object), extra: true } };
    case 'range-order': {
      const r = d.range as { start: unknown; end: unknown };
      return { ...d, range: { end: r.end, start: r.start } };
    }
    case 'data-hole':
      // eslint-disable-next-line no-sparse-arrays
      return { ...d, data: [1, , 3] };
    case 'string-object':
      return { ...d, message: new String(d.message) };
    case 'not-object':
      return d.message;
    default:
      return d;
  }
}

/**
 * A keystroke's next publish: the same diagnostics, their data's first number (the version) moved on;
 * some ranges moved, and some diagnostics changed in another field (a setting's severity, a tag, the
 * entry's index in data, the link), each written again under the same message.
 */
function nextVersion(ds: Shape[], version: number, moved: Set<number>, changed: Map<number, number>): Shape[] {
  return ds.map((d, i) => {
    const out: Shape = { ...d };
    if (Array.isArray(d.data) && d.data.length) out.data = [version, ...d.data.slice(1)];
    if (moved.has(i)) {
      const r = d.range as { start: { line: number; character: number }; end: { line: number; character: number } };
      const n = (x: number) => Number(x) + 1;
      // a line typed above (both lines move), a character typed before it on its line, or one typed inside it
      out.range = [
        { start: { line: n(r.start.line), character: r.start.character }, end: { line: n(r.end.line), character: r.end.character } },
        { start: { line: r.start.line, character: n(r.start.character) }, end: { line: r.end.line, character: n(r.end.character) } },
        { start: { line: r.start.line, character: r.start.character }, end: { line: r.end.line, character: n(r.end.character) } },
        // and each number alone (the encoder must tell any of them)
        { start: { line: n(r.start.line), character: r.start.character }, end: { line: r.end.line, character: r.end.character } },
        { start: { line: r.start.line, character: n(r.start.character) }, end: { line: r.end.line, character: r.end.character } },
        { start: { line: r.start.line, character: r.start.character }, end: { line: n(r.end.line), character: r.end.character } },
      ][version % 6];
    }
    switch (changed.get(i)) {
      case 0:
        out.severity = typeof d.severity === 'number' ? (d.severity % 4) + 1 : 1;
        break;
      case 1:
        if ('tags' in d) out.tags = Array.isArray(d.tags) && d.tags[0] === 1 ? [2] : [1];
        break;
      case 2:
        if (Array.isArray(out.data) && out.data.length > 1) out.data = [...(out.data as number[]).slice(0, -1), Number((out.data as number[]).at(-1)) + 1];
        break;
      case 3:
        if ('codeDescription' in d) out.codeDescription = { href: `https://example.com/README#${i}` };
        break;
      case 4:
        out.code = d.code === 'unused-action' ? 'unused-wildcard' : 'unused-action';
        break;
      case 5:
        out.source = d.source === 'other' ? 'iam-refiner' : 'other';
        break;
      case 6:
        if (Array.isArray(out.data)) out.data = [...(out.data as number[]), 0];
        break;
      case 7:
        if (Array.isArray(out.data) && out.data.length > 0) out.data = [version];
        break;
    }
    return out;
  });
}

const publish = (version: number | undefined, diagnostics: unknown[], uri = 'file:///work/readonly-policy.json') => ({
  jsonrpc: '2.0',
  method: PUBLISH,
  params: version === undefined ? { uri, diagnostics } : { uri, version, diagnostics },
});

function assertSame(msg: unknown): void {
  const expected = Buffer.from(JSON.stringify(msg), 'utf8');
  // every publish on the fast path, however few its diagnostics
  const got = encodeMessage(msg, 0);
  assert.ok(got.equals(expected), `encoded:\n${got.toString('utf8')}\nJSON.stringify:\n${expected.toString('utf8')}`);
}

test('wire: every publish of a keystroke sequence is JSON.stringify byte for byte, whatever its diagnostics', () => {
  const before = { ...wireCounts };
  fc.assert(
    fc.property(
      fc.array(fc.tuple(diagnostic, mutation), { minLength: 1, maxLength: 25 }),
      fc.array(fc.tuple(fc.nat({ max: 2 ** 31 + 5 }), fc.array(fc.nat({ max: 24 }), { maxLength: 4 }), fc.array(fc.tuple(fc.nat({ max: 24 }), fc.nat({ max: 7 })), { maxLength: 4 })), { minLength: 1, maxLength: 6 }),
      fc.boolean(),
      (ds, versions, withVersion) => {
        // most messages their own (an entry's), some shared by several diagnostics (a message written again with another range)
        let current = ds.map(([d], i) => (i % 4 && typeof d.message === 'string' ? { ...d, message: `${d.message} ${i}` } : d));
        for (const [version, movedList, changedList] of versions) {
          current = nextVersion(current, version, new Set(movedList), new Map(changedList));
          const mutated = current.map((d, i) => mutate(d, ds[i][1], version));
          assertSame(publish(withVersion ? version : undefined, mutated));
        }
      },
    ),
    { numRuns: 400 },
  );
  // each way of writing a diagnostic was taken
  assert.ok(wireCounts.copied - before.copied > 200, `copied ${wireCounts.copied - before.copied}`);
  assert.ok(wireCounts.written - before.written > 200, `written ${wireCounts.written - before.written}`);
  assert.ok(wireCounts.stringified - before.stringified > 200, `stringified ${wireCounts.stringified - before.stringified}`);
});

test('wire: messages of other shapes are JSON.stringify byte for byte', () => {
  const d = { range: { start: { line: 1, character: 2 }, end: { line: 1, character: 9 } }, severity: 2, source: 'iam-refiner', code: 'unused-action', message: 'm', data: [3, 0, 0, 1] };
  const cases: unknown[] = [
    { jsonrpc: '2.0', id: 1, result: { capabilities: { textDocumentSync: 2 } } },
    { jsonrpc: '2.0', method: 'window/logMessage', params: { type: 3, message: 'hello "world" é' } },
    { jsonrpc: '2.0', method: PUBLISH, params: { uri: 'file:///a', diagnostics: [] } },
    { jsonrpc: '2.0', method: PUBLISH, params: { uri: 'file:///a', version: null, diagnostics: [d] } },
    { jsonrpc: '2.0', method: PUBLISH, params: { uri: 'file:///a', version: 1.5, diagnostics: [d] } },
    { jsonrpc: '2.0', method: PUBLISH, params: { diagnostics: [d], uri: 'file:///a', version: 1 } },
    { jsonrpc: '2.0', method: PUBLISH, params: { uri: 'file:///a', version: 1, diagnostics: [d], extra: 1 } },
    { method: PUBLISH, jsonrpc: '2.0', params: { uri: 'file:///a', version: 1, diagnostics: [d] } },
    { jsonrpc: '2.0', method: PUBLISH, params: { uri: 'file:///a', version: 1, diagnostics: Object.assign([d], { toJSON: () => 'array' }) } },
    { jsonrpc: '2.0', method: PUBLISH, params: { uri: 'file:///a', version: 1, diagnostics: [d, undefined, null, 7, 'x', () => 1] } },
    { jsonrpc: '2.0', method: PUBLISH, params: { uri: 'file:///a', version: 1, diagnostics: [{ ...d, data: [2 ** 40] }] } },
    { jsonrpc: '2.0', method: PUBLISH, params: { uri: 'file:///\ud800', version: 1, diagnostics: [d] } },
  ];
  for (const c of cases) assertSame(c);
});

test('wire: publishes larger than the scratch buffer (growing it, and letting a huge one go) are JSON.stringify byte for byte', () => {
  const diagnostic = (i: number, version: number) => ({
    range: { start: { line: i, character: 8 }, end: { line: i, character: 30 + (i % 7) } },
    severity: 2,
    source: 'iam-refiner',
    code: i % 3 ? 'unused-action' : 'unused-wildcard',
    message: `service${i % 40}:Action${i} is unused`,
    data: [version, 0, i % 5, i],
    ...(i % 3 ? { tags: [1] } : {}),
  });
  // 300 diagnostics (about 60 KB: the scratch grows), 20,000 (about 5 MB: past the size kept), then small ones again
  for (const [n, version] of [
    [300, 1],
    [300, 2],
    [20_000, 3],
    [20_000, 4],
    [300, 5],
  ]) {
    assertSame(publish(version, Array.from({ length: n }, (_, i) => diagnostic(i, version))));
  }
  // one string longer than the scratch buffer's doubling
  assertSame(publish(6, [{ ...diagnostic(0, 6), message: 'x'.repeat(300_000) }]));
});
