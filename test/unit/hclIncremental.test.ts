/**
 * The Terraform parser's incremental copy (server/src/core/formats/hcl/tree.ts): after any edit, the
 * plain tree built from the previous copy's untouched top-level blocks equals a fresh parse of the
 * new text, node for node (types, offsets, fields, leaves, errors).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ParsedDocument, initFormats, parseFindings } from '../../server/src/core';
import { parseTerraform } from '../../server/src/core/formats/terraform';
import { defaultCatalog } from '../../server/src/workspace/catalogFile';
import { documentReading, refinementEdits } from '../support/reading';
import { CatalogPools, genLayout, genPolicy } from '../support/generators';
import { renderTerraform, TfForm } from '../support/tfRender';
import { HCL_MEMORY_LIMIT, HNode, hclDirectCursor, hclMemory, parseHcl, parseHclFresh, useDirectCursor } from '../../server/src/core/formats/hcl/tree';
import { terraformText } from '../bench/formatsBench';

const factor = Number(process.env.PROPERTY_RUNS ?? '1');

/** The tree as data, without parent links. */
function plain(n: HNode): unknown {
  return [n.type, n.start, n.end, n.named, n.missing, n.field ?? null, n.leaf ?? null, n.hasError ?? null, n.children.map(plain)];
}

test('property: after random edits, the incremental tree equals a fresh parse', async () => {
  await initFormats();
  const base = terraformText(3 * 1024);
  const edit = fc.record({
    at: fc.nat(),
    del: fc.nat({ max: 12 }),
    ins: fc.oneof(fc.constantFrom('', 'X', '0', '"', '{', '}', '\n', ' ', '"s3:Put*", ', '#', '[', ']', ',', '='), fc.string({ maxLength: 6 })),
  });
  fc.assert(
    fc.property(fc.array(fc.record({ e: edit, look: fc.boolean() }), { minLength: 1, maxLength: 8 }), (edits) => {
      let text = base;
      parseHcl(text);
      // moved blocks make their children on first read: some trees are read at once, the others
      // only after later parses were made from them (a moved node of a moved node, read late)
      const unread: [HNode, string][] = [];
      for (const { e, look } of edits) {
        const at = e.at % (text.length + 1);
        text = text.slice(0, at) + e.ins + text.slice(Math.min(text.length, at + e.del));
        const tree = parseHcl(text);
        if (look) assert.deepEqual(plain(tree), plain(parseHclFresh(text)), `after editing at ${at}`);
        else unread.push([tree, text]);
      }
      for (const [tree, t] of unread.reverse()) assert.deepEqual(plain(tree), plain(parseHclFresh(t)), 'a tree read after later parses');
    }),
    { numRuns: Math.round(150 * factor) },
  );
});

test('a one-character edit inside the last block reuses every block before it', async () => {
  await initFormats();
  const text = terraformText(3 * 1024);
  const first = parseHcl(text);
  const at = text.lastIndexOf('Stmt') + 4;
  const next = parseHcl(text.slice(0, at) + 'X' + text.slice(at + 1));
  const body = (r: HNode) => r.children.find((c) => c.type === 'body')!.children;
  const [a, b] = [body(first), body(next)];
  assert.equal(a.length, b.length);
  // unmoved blocks are the previous parse's own nodes (shared, never changed); the edited (last) block was read again
  assert.equal(b[0], a[0]);
  assert.notEqual(b[b.length - 1], a[a.length - 1]);
  assert.deepEqual(plain(next), plain(parseHclFresh(text.slice(0, at) + 'X' + text.slice(at + 1))));
  // a character typed into the first block moves every later one: copies with the new offsets, the old tree unchanged
  const before = plain(next);
  const first0 = text.indexOf('Stmt') + 4;
  const typed = text.slice(0, first0) + 'XY' + text.slice(first0 + 1);
  const moved = parseHcl(typed);
  const c = body(moved);
  assert.notEqual(c[c.length - 1], b[b.length - 1]);
  assert.equal(c[c.length - 1].start, b[b.length - 1].start + 1);
  assert.deepEqual(plain(moved), plain(parseHclFresh(typed)));
  assert.deepEqual(plain(next), before);
});

test("a parse that grows tree-sitter's WASM memory past the limit renews the runtime (the old memory let go), and parsing goes on the same", async () => {
  await initFormats();
  let s = '';
  for (let i = 0; i < 1_000_000; i++) s += String.fromCharCode(32 + ((i * 7919) % 90)); // a hostile megabyte: about 340 MB of WASM memory
  const before = hclMemory().renewals;
  parseHcl(s);
  assert.ok(hclMemory().bytes > HCL_MEMORY_LIMIT, `${hclMemory().bytes}`);
  assert.ok(hclMemory().renewing, 'a fresh runtime is loading');
  await hclMemory().renewing;
  assert.equal(hclMemory().renewals, before + 1);
  assert.ok(hclMemory().bytes <= HCL_MEMORY_LIMIT, `${hclMemory().bytes}`);
  const text = 'resource "aws_iam_policy" "p" {\n  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = ["s3:GetObject"], Resource = "*" }] })\n}\n';
  const strip = (n: HNode): unknown => ({ type: n.type, start: n.start, end: n.end, children: n.children.map(strip) });
  assert.deepEqual(strip(parseHcl(text)), strip(parseHclFresh(text)));
  assert.deepEqual(strip(parseHcl(text + '# x\n')), strip(parseHclFresh(text + '# x\n')));
});

test("property: the tree copied with the runtime's cursor functions called directly equals the one copied through the library's TreeCursor", async () => {
  await initFormats();
  assert.ok(hclDirectCursor(), 'the runtime in use exports its cursor functions (else this test compares the library with itself)');
  const base = terraformText(3 * 1024);
  const piece = fc.oneof(fc.constantFrom('"s3:Get*"', '{', '}', '[', ']', '(', ')', ',', '=', '\n', ' ', '#', '<<EOF\n', 'EOF\n', '${', '"', 'jsonencode(', 'resource "a" "b" {', '\t'), fc.string({ maxLength: 8 }), fc.string({ unit: 'grapheme', maxLength: 4 }));
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(), fc.nat({ max: 40 }), piece), { maxLength: 10 }), fc.boolean(), (edits, fromBase) => {
      let text = fromBase ? base : '';
      for (const [at, del, ins] of edits) {
        const i = at % (text.length + 1);
        text = text.slice(0, i) + ins + text.slice(Math.min(text.length, i + del));
      }
      try {
        useDirectCursor(false);
        const expected = plain(parseHclFresh(text));
        useDirectCursor(true);
        assert.deepEqual(plain(parseHclFresh(text)), expected);
      } finally {
        useDirectCursor(true);
      }
    }),
    { numRuns: Math.round(300 * factor) },
  );
});

/** A Terraform document as data: everything parseTerraform read, what its closures give, its binding. */
function reading(doc: ParsedDocument): unknown {
  return {
    ...documentReading(doc),
    attach: doc.terraform?.attach ?? null,
    facts: doc.terraform ? JSON.parse(JSON.stringify(doc.terraform.facts())) : null,
  };
}

test('property: after random edits, what parseTerraform reads (blocks read before carried over) equals a fresh reading, and so do its refinement edits', async () => {
  await initFormats();
  const catalog = defaultCatalog();
  const pools = new CatalogPools(catalog);
  const findings = parseFindings('f.json', JSON.stringify([
    { serviceNamespace: 'lambda', actions: ['GetFunction', 'DeleteFunction'] },
    { serviceNamespace: 's3', actions: ['GetObject', 'GetObjectAcl', 'ListBucket', 'PutObject'] },
    { serviceNamespace: 'ec2', actions: ['DescribeInstances', 'RunInstances'] },
  ])).findings;
  const edit = fc.record({
    at: fc.nat(),
    del: fc.nat({ max: 12 }),
    ins: fc.oneof(fc.constantFrom('', 'X', '0', '"', '{', '}', '\n', ' ', '"s3:Put*", ', '#', '[', ']', ',', '=', 'Deny', '${x}'), fc.string({ maxLength: 6 })),
  });
  const refineEdits = (doc: ParsedDocument) => refinementEdits(catalog, findings, doc);
  let carried = 0;
  fc.assert(
    fc.property(fc.gen(), fc.array(edit, { minLength: 1, maxLength: 6 }), (g, edits) => {
      // several blocks of every form, with role blocks and attachments that bind them
      const forms: TfForm[] = ['jsonencode', 'document', 'heredoc', 'jsonencode'];
      let text = terraformText(1024) + forms.map((form, i) => renderTerraform(genPolicy(g, pools, {}), form, { indent: '  ', eol: '\n', inlineLists: 0.3, trailingCommas: 0.5, comments: 0.2, align: i % 2 === 0, quotedKeys: 0, blankLines: true, indentedHeredoc: i % 2 === 1, seed: i }, genLayout(g)).text).join('\n');
      text += '\nresource "aws_iam_role" "app" {\n  name = "app-role"\n}\n';
      parseTerraform(text);
      for (const e of edits) {
        const at = e.at % (text.length + 1);
        text = text.slice(0, at) + e.ins + text.slice(Math.min(text.length, at + e.del));
        const inc = parseTerraform(text);
        if (inc.policies.some((p) => (p.host as { kind?: string }).kind === 'carried')) carried++;
        const fresh = parseTerraform(text, { fresh: true });
        assert.deepEqual(reading(inc), reading(fresh), `after editing at ${at}`);
        assert.deepEqual(refineEdits(inc), refineEdits(fresh), `the refinement's edits after editing at ${at}`);
      }
    }),
    { numRuns: Math.round(120 * factor) },
  );
  // the run exercised the carried-over path
  assert.ok(carried > 50, `only ${carried} parses carried blocks over`);
});
