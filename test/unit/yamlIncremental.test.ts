/**
 * The YAML parse of an edited text (server/src/core/formats/yamlIncremental.ts): after any edit, the
 * documents built from the previous parse's untouched items equal a whole parse of the new text by
 * the `yaml` library, node for node and token for token (ranges, scalar types and values, tags,
 * comments, blank lines, source tokens, errors). PROPERTY_RUNS=<factor>, FC_SEED=<n> as elsewhere.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Document, isDocument } from 'yaml';
import { documentReading, refinementEdits } from '../support/reading';
import { params } from '../support/property';
import { defaultCatalog } from '../../server/src/workspace/catalogFile';
import { CatalogPools, genPolicy } from '../support/generators';
import { YAML_HOSTS, genYamlStyle, renderYaml } from '../support/yamlOracle';
import { parseYamlDocuments, parseYamlFresh, resetYamlParse, yamlParseStats } from '../../server/src/core/formats/yamlIncremental';
import { PARSE_OPTIONS, parseYamlPolicies } from '../../server/src/core/formats/yaml';
import { yamlText } from '../bench/formatsBench';
import { ParsedDocument, parseFindings } from '../../server/src/core';

const pools = new CatalogPools(defaultCatalog());

/**
 * The fields of an object as read: its own enumerable ones, and those its prototypes give through
 * getters (the nodes and tokens after an edit make their children when read).
 */
function fieldsOf(x: object): string[] {
  const names = new Set(Object.keys(x));
  for (let p = Object.getPrototypeOf(x); p && p !== Object.prototype; p = Object.getPrototypeOf(p))
    for (const k of Object.getOwnPropertyNames(p)) if (Object.getOwnPropertyDescriptor(p, k)?.get) names.add(k);
  return [...names].sort();
}

/** A value as data: every field (a node's source tokens included; undefined ones left out), the class of each object, no schema. */
function plain(x: unknown, seen = new Set<object>()): unknown {
  if (!x || typeof x !== 'object') return x;
  if (seen.has(x)) return '<cycle>';
  seen.add(x);
  try {
    if (Array.isArray(x)) return x.map((v) => plain(v, seen));
    const out: Record<string, unknown> = { class: x.constructor?.name };
    for (const k of fieldsOf(x)) {
      if (k === 'schema' || k === 'options' || k === 'directives') continue;
      const v = (x as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = plain(v, seen);
    }
    return out;
  } finally {
    seen.delete(x);
  }
}

function plainDocs(docs: Document[]): unknown {
  return docs.map((d) => {
    assert.ok(isDocument(d));
    return {
      range: d.range,
      contents: plain(d.contents),
      comment: d.comment,
      commentBefore: d.commentBefore,
      errors: d.errors.map((e) => [e.code, e.pos, e.message]),
      warnings: d.warnings.map((e) => [e.code, e.pos, e.message]),
      docStart: d.directives?.docStart,
      docEnd: d.directives?.docEnd,
    };
  });
}

/** Templates as users write them: several resources, comments at every depth, blank lines, block scalars, flow collections, CRLF. */
const HANDWRITTEN = [
  "AWSTemplateFormatVersion: '2010-09-09'\n# the roles\nResources:\n  # first\n  A:\n    Type: AWS::IAM::Policy # inline\n    Properties:\n      PolicyDocument:\n        Statement:\n          - Effect: Allow\n            Action: [s3:GetObject, 's3:Put*']\n            Resource: '*'\n\n    # trailing\n  # before B\n\n  B:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      Description: |+\n        kept\n\n      PolicyDocument: {Statement: [{Effect: Allow, Action: \"ec2:Describe*\", Resource: '*'}]}\n  C:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: app\n      Policies:\n      - PolicyName: p\n        PolicyDocument:\n          Statement:\n          - Effect: Allow\n            Action:\n            - sqs:SendMessage\n            Resource: !GetAtt Q.Arn\nOutputs:\n  Out:\n    Value: !Ref A\n# end\n",
  'Resources:\r\n  P:\r\n    Type: AWS::IAM::Policy\r\n    Properties:\r\n      PolicyDocument:\r\n        Statement:\r\n          - Effect: Allow\r\n            Action: "s3:*"\r\n            Resource: "*"\r\n  Q:\r\n    Type: AWS::IAM::Policy\r\n    Properties:\r\n      PolicyDocument: !If\r\n        - Cond\r\n        - Statement: [{Effect: Allow, Action: s3:Get*, Resource: "*"}]\r\n        - !Ref AWS::NoValue\r\n',
  "service: app\nprovider:\n  name: aws\n  iam:\n    role:\n      name: fn-role\n      statements:\n        - Effect: Allow\n          Action:\n            - dynamodb:GetItem\n          Resource: '*'\nfunctions:\n  hello:\n    handler: h.js\n    iamRoleStatements:\n      - Effect: Allow\n        Action: lambda:Invoke*\n        Resource: '*'\n  bye:\n    handler: b.js\n",
  "Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    Policies:\n      - S3ReadPolicy:\n          BucketName: b\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Policies:\n        - Statement:\n            - Effect: Allow\n              Action: logs:*\n              Resource: '*'\n  Doc:\n    Type: AWS::IAM::Policy\n    Properties:\n      PolicyDocument: |\n        {\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:Get*\", \"Resource\": \"*\"}]}\n",
];

/** What an edit inserts (besides typing, and comments and blank lines where items end): YAML's indicators, line breaks, indentation, comments, anchors, directives, document markers. */
const INSERTS = [
  '', 'X', '0', ' ', '  ', '\n', '\r\n', '\t', '#', ' # c', '# c\n', ':', ': ', ': x', '- ', '-', '"', "'", '|', '|+\n', '>-\n', '&a ', '*a', '!Ref ', '!!str ',
  '[', ']', '{', '}', ',', '? ', '---\n', '...\n', '%YAML 1.2\n', 'Key: v\n', '  Extra:\n    Type: X\n', '\n\n', "  - 's3:Put*'\n", 'A:', '<<: ',
];

/**
 * Where a generated edit goes in `text`: line `n`, column `col` (-1: the end of the line before, where
 * one item ends and the next begins), inside the `n`th role name, between two word characters, or at
 * offset `n`.
 */
function editOffset(text: string, where: { n: number; col?: number; role?: boolean; word?: boolean }): number {
  if (where.col !== undefined) {
    const starts = [0];
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
    return Math.max(0, Math.min(text.length, starts[where.n % starts.length] + where.col));
  }
  if (where.role) {
    const names: number[] = [];
    for (let i = text.indexOf('RoleName: '); i >= 0; i = text.indexOf('RoleName: ', i + 1)) names.push(i + 'RoleName: '.length + 1);
    return names.length ? names[where.n % names.length] : 0;
  }
  if (where.word) {
    const inWord: number[] = [];
    for (let i = 1; i < text.length; i++) if (/\w/.test(text[i - 1]) && /\w/.test(text[i])) inWord.push(i);
    return inWord.length ? inWord[where.n % inWord.length] : 0;
  }
  return where.n % (text.length + 1);
}

test('property: after random edits of random templates, the incremental parse equals a whole parse', () => {
  const before = { ...yamlParseStats };
  fc.assert(
    fc.property(
      fc.gen(),
      fc.array(
        fc.record({
          // anywhere, or near the start of a line (indentation, keys, dashes)
          where: fc.oneof(fc.nat().map((n) => ({ line: false, n })), fc.record({ line: fc.constant(true), n: fc.nat(), col: fc.nat({ max: 14 }) }), fc.record({ line: fc.constant(true), n: fc.nat(), col: fc.constant(-1) })),
          del: fc.oneof({ arbitrary: fc.nat({ max: 2 }), weight: 3 }, { arbitrary: fc.nat({ max: 40 }), weight: 1 }),
          // mostly typing (a syntax error makes every later parse a whole one), often YAML's structure
          undo: fc.nat({ max: 3 }).map((n) => n > 0),
          ins: fc.oneof({ arbitrary: fc.constantFrom('', 'X', '0', 'ab', ' x', 's3:Get*'), weight: 3 }, { arbitrary: fc.constantFrom(...INSERTS), weight: 2 }, { arbitrary: fc.constantFrom('\n', '\n\n', '\n# c', '\n  # c', '\n      # c', '\n   ', ' # c'), weight: 2 }, { arbitrary: fc.string({ maxLength: 6 }), weight: 1 }),
        }),
        { minLength: 1, maxLength: 8 },
      ),
      (g, edits) => {
        const base =
          g(fc.nat, { max: 3 }) === 0
            ? g(fc.constantFrom, ...HANDWRITTEN)
            : g(fc.boolean)
              ? yamlText(g(fc.integer, { min: 200, max: 2000 }))
              : renderYaml(genPolicy(g, pools).value, g(fc.constantFrom, ...YAML_HOSTS), genYamlStyle(g)).text;
        let text = base;
        resetYamlParse();
        parseYamlDocuments(text, PARSE_OPTIONS);
        for (const e of edits) {
          const at = editOffset(text, e.where);
          const was = text;
          text = text.slice(0, at) + e.ins + text.slice(Math.min(text.length, at + e.del));
          const whole = parseYamlFresh(text, PARSE_OPTIONS);
          assert.deepEqual(plainDocs(parseYamlDocuments(text, PARSE_OPTIONS)), plainDocs(whole), `after editing at ${at}:\n${text}`);
          // a syntax error makes every later parse a whole one: often the edit is undone (as a user does), and the next edits start from a readable text
          if (e.undo && whole.some((d) => d.errors.length)) {
            text = was;
            assert.deepEqual(plainDocs(parseYamlDocuments(text, PARSE_OPTIONS)), plainDocs(parseYamlFresh(text, PARSE_OPTIONS)), `after undoing:\n${text}`);
          }
        }
      },
    ),
    params(150),
  );
  // not vacuous: most edits of these texts were read incrementally, and some were not
  const inc = yamlParseStats.incremental - before.incremental;
  const fallback = yamlParseStats.fallback - before.fallback;
  console.log(`incremental ${inc}, whole after a readable text ${fallback}, whole ${yamlParseStats.full - before.full}`);
  assert.ok(inc > fallback / 3, `incremental ${inc}, whole after a readable text ${fallback}`);
});

test('property: one template after another (the previous parse is of another text: another file, a paste), equal to a whole parse', () => {
  const gen = (g: fc.GeneratorValue) =>
    g(fc.nat, { max: 3 }) === 0
      ? g(fc.constantFrom, ...HANDWRITTEN)
      : g(fc.boolean)
        ? yamlText(g(fc.integer, { min: 200, max: 1500 }))
        : renderYaml(genPolicy(g, pools).value, g(fc.constantFrom, ...YAML_HOSTS), genYamlStyle(g)).text;
  fc.assert(
    fc.property(fc.gen(), (g) => {
      resetYamlParse();
      const texts = [gen(g), gen(g), gen(g)];
      for (const t of texts) assert.deepEqual(plainDocs(parseYamlDocuments(t, PARSE_OPTIONS)), plainDocs(parseYamlFresh(t, PARSE_OPTIONS)), t);
    }),
    params(150),
  );
});

test('an edit replacing the first item by several, and indenting the next one, is a whole parse (the yaml property test, seed -337714033)', () => {
  // one text after another: what the diff of the two sees is an edit from the start to the next item's key, whose line gains an indentation
  const prev = 'Statement:\n  Effect: "Allow"\n  Action: ["s3:Get*"]\nVersion: "2012-10-17"\n';
  const next = 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Statement: [{Effect: Allow, Action: "s3:*", Resource: "*"}]\n        Version: "2012-10-17"\n';
  resetYamlParse();
  parseYamlDocuments(prev, PARSE_OPTIONS);
  assert.deepEqual(plainDocs(parseYamlDocuments(next, PARSE_OPTIONS)), plainDocs(parseYamlFresh(next, PARSE_OPTIONS)));
  assert.equal(parseYamlPolicies(next).policies.length, 1);
});

test('an edit inside one resource reads only that resource again; the policies are those of a whole parse', () => {
  const text = yamlText(20 * 1024);
  resetYamlParse();
  const first = parseYamlDocuments(text, PARSE_OPTIONS)[0];
  const at = text.indexOf('Stmt3') + 4;
  const edited = text.slice(0, at) + 'XY' + text.slice(at + 1);
  const before = yamlParseStats.incremental;
  const next = parseYamlDocuments(edited, PARSE_OPTIONS)[0];
  assert.equal(yamlParseStats.incremental, before + 1);
  const resources = (d: Document) => (d.get('Resources') as { items: unknown[] }).items;
  // the resources before the edit are the previous parse's own nodes; the later ones copies with moved offsets; the old document unchanged
  assert.equal(resources(next)[0], resources(first)[0]);
  assert.notEqual(resources(next)[3], resources(first)[3]);
  assert.notEqual(resources(next)[5], resources(first)[5]);
  assert.deepEqual(plainDocs([first]), plainDocs(parseYamlFresh(text, PARSE_OPTIONS)));
  assert.deepEqual(plainDocs([next]), plainDocs(parseYamlFresh(edited, PARSE_OPTIONS)));
  // the format's reading of it is the whole parse's
  const summary = (t: string) => {
    const p = parseYamlPolicies(t);
    return { problems: p.problems, policies: p.policies.map((q) => ({ label: q.label, span: q.span, roles: q.attachedRoles, statements: q.statements.map((s) => ({ span: s.span, sid: s.sid, entries: s.entries, opaque: s.opaque })) })) };
  };
  const inc = summary(edited);
  resetYamlParse();
  assert.deepEqual(inc, summary(edited));
});

/** A YAML document as data: everything parseYamlPolicies read, and what its closures and hosts give. */
function reading(doc: ParsedDocument): unknown {
  return documentReading(doc, hostData);
}

/** What a host points at: its kind, and the range of each node it holds (a statement's mapping, its Action pair's key and value; a policy's list). */
function hostData(h: unknown): unknown {
  if (!h || typeof h !== 'object') return h ?? null;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(h as Record<string, unknown>)) {
    if (v && typeof v === 'object' && 'range' in v) out[k] = (v as { range: unknown }).range;
    else if (v && typeof v === 'object' && 'key' in v && 'value' in v) out[k] = [((v as { key: { range?: unknown } }).key)?.range, ((v as { value: { range?: unknown } | null }).value)?.range ?? null];
    else if (typeof v !== 'object' || v === null) out[k] = v;
    else out[k] = typeof v;
  }
  return out;
}

test('property: after random edits, what parseYamlPolicies reads (resources read before carried over) equals a fresh reading, and so do its refinement edits', () => {
  const catalog = defaultCatalog();
  const findings = parseFindings('f.json', JSON.stringify([
    { serviceNamespace: 'lambda', actions: ['GetFunction', 'DeleteFunction'] },
    { serviceNamespace: 's3', actions: ['GetObject', 'GetObjectAcl', 'ListBucket', 'PutObject'] },
    { serviceNamespace: 'ec2', actions: ['DescribeInstances', 'RunInstances'] },
    { serviceNamespace: 'sqs', actions: ['SendMessage'] },
  ])).findings;
  const refineEdits = (doc: ParsedDocument) => refinementEdits(catalog, findings, doc);
  const edit = fc.record({
    // inside a word (as when typing a name or an action), anywhere, or near a line's start (keys, indentation, dashes)
    where: fc.oneof(
      { arbitrary: fc.nat().map((n) => ({ word: true, n })), weight: 3 },
      // in a role's name (which the policies of other resources are bound by)
      { arbitrary: fc.nat().map((n) => ({ role: true, n })), weight: 1 },
      { arbitrary: fc.nat().map((n) => ({ line: false, n })), weight: 1 },
      { arbitrary: fc.record({ line: fc.constant(true), n: fc.nat(), col: fc.nat({ max: 14 }) }), weight: 1 },
    ),
    del: fc.oneof({ arbitrary: fc.nat({ max: 2 }), weight: 4 }, { arbitrary: fc.nat({ max: 30 }), weight: 1 }),
    // mostly typing, which keeps the text readable (what the carried path needs); sometimes YAML's structure, a role's name, a type
    ins: fc.oneof(
      { arbitrary: fc.constantFrom('', 'X', '0', 'ab', 's3:Put*', 'Deny', '*'), weight: 4 },
      { arbitrary: fc.constantFrom(...INSERTS), weight: 1 },
      { arbitrary: fc.constantFrom('RoleName: other\n', 'AWS::IAM::Role', 'Principal: "*"\n', '!Ref ', '\n'), weight: 1 },
    ),
    undo: fc.boolean(),
  });
  let carried = 0;
  let parses = 0;
  fc.assert(
    fc.property(fc.gen(), fc.array(edit, { minLength: 1, maxLength: 8 }), (g, edits) => {
      // templates of several resources (handwritten, the benchmark's, generated policies in every host; a role named in the first two)
      const which = g(fc.nat, { max: 3 });
      let text =
        which === 0
          ? g(fc.constantFrom, ...HANDWRITTEN)
          : which === 1
            ? yamlText(g(fc.integer, { min: 300, max: 2500 })) + (g(fc.boolean) ? '  Role1:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: app-role\n' : '')
            : renderYaml(genPolicy(g, pools).value, g(fc.constantFrom, ...YAML_HOSTS), genYamlStyle(g)).text;
      resetYamlParse();
      parseYamlPolicies(text);
      for (const e of edits) {
        const at = editOffset(text, e.where);
        const was = text;
        text = text.slice(0, at) + e.ins + text.slice(Math.min(text.length, at + ('word' in e.where || 'role' in e.where ? Math.min(e.del, 1) : e.del)));
        const inc = parseYamlPolicies(text);
        parses++;
        if (inc.policies.some((p) => Object.getOwnPropertyDescriptor(p, 'host')?.get)) carried++;
        const fresh = parseYamlPolicies(text, { fresh: true });
        assert.deepEqual(reading(inc), reading(fresh), `after editing at ${at}:\n${text}`);
        assert.deepEqual(refineEdits(inc), refineEdits(fresh), `the refinement's edits after editing at ${at}:\n${text}`);
        // a syntax error makes every later parse a whole one: often undone, as a user does
        if (e.undo && fresh.hasSyntaxErrors) text = was;
      }
    }),
    params(150),
  );
  // the run exercised the carried-over path
  console.log(`carried ${carried} of ${parses} parses`);
  assert.ok(carried > 50, `only ${carried} of ${parses} parses carried resources over`);
});
