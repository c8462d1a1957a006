/**
 * Terraform's JSON syntax (`*.tf.json`) for the property tests: a renderer of generated policies
 * (generators.ts's PolicySpec) in its two forms, a policy string inside an `aws_iam_role_policy`
 * and an `aws_iam_policy_document`'s statement objects, and an independent reading of the format
 * with JSON.parse (nothing here uses the locator, server/src/core/formats/tfjson.ts, or the
 * engine's offset mapping). The check itself is tfOracle.ts's `checkTerraform`, given this dialect.
 *
 * The string form stresses the escapes: the policy's own JSON (random layout, `\u` escapes of its
 * own, CRLF or LF) is encoded as a Terraform JSON string with random extra escapes (`\/`, `\u0041`),
 * so an action's source can be `\"s3:Get\u002a\"` or `\\u0073…`; the renderer records where every
 * character of the policy landed, so that the zones an edit may touch are known without the locator.
 */
import { parseTree, Node } from 'jsonc-parser';
import { PolicySpec, prng, writeJsonc, Layout as JsonLayout } from './generators';
import { Rendered } from './tfRender';
import { DOCUMENT_BLOCK, POLICY_JSON, TfDialect, TfPolicy, TfStatement, readStatementObject } from './tfOracle';

export type TfJsonForm = 'json-string' | 'json-document';

export interface TfJsonLayout {
  indent: string;
  eol: string;
  /** Chance that a character of the policy string is written as an escape it need not be. */
  extraEscapes: number;
  /** A block that holds no policy, and `"//"` comment keys. */
  decoys: boolean;
  seed: number;
}

const prop = (o: Node | undefined, k: string) => o?.children?.find((p) => p.children?.[0]?.value === k);

/** The statement nodes of a policy (or document) object, and for each its action property. */
function statementNodes(obj: Node | undefined, listKey: string, keys: [string, string]): { nodes: Node[]; actions: (Node | undefined)[] } {
  const sv = prop(obj, listKey)?.children?.[1];
  const nodes = sv?.type === 'array' ? sv.children ?? [] : sv ? [sv] : [];
  return { nodes, actions: nodes.map((n) => prop(n, keys[0]) ?? prop(n, keys[1])) };
}

/** Zones of statements (and their action properties), at offsets mapped by `at`. */
function zonesOf(nodes: Node[], actions: (Node | undefined)[], touched: boolean[], removed: boolean[], at: (o: number) => number): [number, number][] {
  const zones: [number, number][] = [];
  nodes.forEach((n, i) => {
    if (removed[i]) zones.push([at(i > 0 ? nodes[i - 1].offset + nodes[i - 1].length : n.offset), at(i < nodes.length - 1 ? nodes[i + 1].offset : n.offset + n.length)]);
    else if (touched[i] && actions[i]) zones.push([at(actions[i]!.offset), at(actions[i]!.offset + actions[i]!.length)]);
  });
  return zones;
}

/** The policy JSON written inside a Terraform JSON string: [the literal, the source offset of each value character (and of the end)]. */
function encodeString(value: string, l: TfJsonLayout, r: () => number, base: number): [string, number[]] {
  let out = '"';
  const pos: number[] = [];
  for (const c of value) {
    pos.push(base + out.length);
    let e = JSON.stringify(c).slice(1, -1);
    if (e === c && l.extraEscapes > 0 && r() < l.extraEscapes) e = c === '/' ? '\\/' : '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
    out += e;
  }
  pos.push(base + out.length);
  return [out + '"', pos];
}

interface JsonRendered extends Rendered {
  /** json-string: the policy's JSON and where each of its characters is in the text. */
  inner?: { json: string; pos: number[] };
}

function decoy(l: TfJsonLayout, ind: (d: number) => string): string {
  return l.decoys ? `${ind(1)}"//": "generated for a test",${l.eol}${ind(1)}"variable": {${l.eol}${ind(2)}"svc": { "default": "s3" }${l.eol}${ind(1)}},${l.eol}` : '';
}

function renderString(spec: PolicySpec, l: TfJsonLayout, json: JsonLayout): JsonRendered {
  const r = prng(l.seed);
  const ind = (d: number) => l.indent.repeat(d);
  const { eol } = l;
  // the policy as IAM reads it: no comments or trailing commas; its own escapes and line ends are the generator's
  const inner = writeJsonc(spec.value, { ...json, comments: 0, trailingCommas: 0 });
  let text = `{${eol}` + decoy(l, ind) + `${ind(1)}"resource": {${eol}${ind(2)}"aws_iam_role_policy": {${eol}${ind(3)}"under_test": {${eol}${ind(4)}"role": "app",${eol}${ind(4)}"policy": `;
  const [lit, pos] = encodeString(inner, l, r, text.length);
  text += lit + `${eol}${ind(3)}}${eol}${ind(2)}}${eol}${ind(1)}}${eol}}${eol}`;
  const root = parseTree(inner);
  const { nodes } = statementNodes(root, 'Statement', ['Action', 'NotAction']);
  return { text, form: 'json-string', zones: [], list: [pos[nodes[0]?.offset ?? 0], pos[inner.length]], inner: { json: inner, pos } };
}

/** A statement of the generator as a policy document's statement object. */
function documentStatement(o: Record<string, unknown>, r: () => number): Record<string, unknown> {
  const list = (v: unknown) => (Array.isArray(v) ? v : [v]);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === 'Sid') out.sid = v;
    else if (k === 'Effect') {
      if (v === 'Deny' || r() < 0.6) out.effect = v;
    } else if (k === 'Action') out.actions = list(v);
    else if (k === 'NotAction') out.not_actions = list(v);
    else if (k === 'Resource') out.resources = list(v);
    else if (k === 'NotResource') out.not_resources = list(v);
    else if (k === 'Condition')
      out.condition = Object.entries(v as Record<string, Record<string, unknown>>).flatMap(([test, vars]) => Object.entries(vars).map(([variable, values]) => ({ test, variable, values: list(values) })));
    else if (k === 'Principal') out.principals = Object.entries(v as Record<string, string>).map(([type, id]) => ({ type, identifiers: [id] }));
  }
  return out;
}

function renderDocument(spec: PolicySpec, l: TfJsonLayout, json: JsonLayout): JsonRendered {
  const r = prng(l.seed);
  const sts = spec.statements.map((s) => documentStatement(s.object, r));
  const value: Record<string, unknown> = {};
  if (l.decoys) {
    value['//'] = 'generated for a test';
    value.variable = { svc: { default: 's3' } };
  }
  value.data = { aws_iam_policy_document: { under_test: { statement: spec.singleObject ? sts[0] : sts } } };
  value.resource = { aws_iam_policy: { under_test: { name: 'under-test', policy: '${data.aws_iam_policy_document.under_test.json}' } } };
  // Terraform's JSON has no comments or trailing commas; layout, escapes and line ends are the generator's
  const text = writeJsonc(value, { ...json, eol: l.eol, comments: 0, trailingCommas: 0 });
  const doc = prop(prop(prop(parseTree(text), 'data')?.children?.[1], 'aws_iam_policy_document')?.children?.[1], 'under_test')?.children?.[1];
  const list = prop(doc, 'statement')?.children?.[1];
  return { text, form: 'json-document', zones: [], list: [list?.offset ?? 0, (list?.offset ?? 0) + (list?.length ?? 0)] };
}

export function renderTerraformJson(spec: PolicySpec, form: TfJsonForm, layout: TfJsonLayout, json: JsonLayout): Rendered {
  return form === 'json-string' ? renderString(spec, layout, json) : renderDocument(spec, layout, json);
}

// --- the independent reading --------------------------------------------------------------------

const computed = (x: unknown) => typeof x === 'string' && /[$%]\{/.test(x);

const present = (r: Record<string, unknown>, k: string) => k in r;

function fromPolicyStatement(o: unknown): TfStatement {
  return readStatementObject(o, { ...POLICY_JSON, has: present, reject: () => false, opaqueIf: computed });
}

function fromDocumentStatement(b: Record<string, unknown>): TfStatement {
  return readStatementObject(b, { ...DOCUMENT_BLOCK, has: present, reject: computed, opaqueIf: () => false });
}

type Blocks = Record<string, Record<string, Record<string, unknown>>>;

/** The identity policies of a .tf.json file, read with JSON.parse. Throws when the file is not JSON. */
export async function readTerraformJson(text: string): Promise<TfPolicy[]> {
  const j = JSON.parse(text) as { data?: Blocks; resource?: Blocks };
  const out: TfPolicy[] = [];
  for (const [type, byName] of Object.entries(j.data ?? {}))
    for (const [name, body] of Object.entries(byName)) {
      if (type !== 'aws_iam_policy_document') continue;
      const s = body.statement;
      out.push({ where: `data.${type}.${name}`, statements: (Array.isArray(s) ? s : s === undefined ? [] : [s]).map((x) => fromDocumentStatement(x as Record<string, unknown>)) });
    }
  for (const [type, byName] of Object.entries(j.resource ?? {}))
    for (const [name, body] of Object.entries(byName)) {
      const p = body.policy;
      if (typeof p !== 'string') continue;
      let v: unknown;
      try {
        v = JSON.parse(p);
      } catch {
        continue; // not JSON: a reference such as "${data.aws_iam_policy_document.x.json}"
      }
      if (!v || typeof v !== 'object' || !('Statement' in v)) continue;
      const s = (v as { Statement?: unknown }).Statement;
      out.push({ where: `${type}.${name}`, statements: (Array.isArray(s) ? s : [s]).map(fromPolicyStatement) });
    }
  return out;
}

/** What checkTerraform needs to judge a Terraform JSON file. */
export const TF_JSON: TfDialect = {
  read: readTerraformJson,
  fileName: 'main.tf.json',
  literal: (source) => {
    // a document's entry is a JSON string; a policy string's entry is a JSON string written inside one
    const once = JSON.parse(source.startsWith('\\') ? `"${source}"` : source) as string;
    return source.startsWith('\\') ? JSON.parse(once) : once;
  },
  zones: (r, touched, removed) => {
    const jr = r as JsonRendered;
    if (jr.inner) {
      const { nodes, actions } = statementNodes(parseTree(jr.inner.json), 'Statement', ['Action', 'NotAction']);
      return zonesOf(nodes, actions, touched, removed, (o) => jr.inner!.pos[o]);
    }
    const doc = prop(prop(prop(parseTree(r.text), 'data')?.children?.[1], 'aws_iam_policy_document')?.children?.[1], 'under_test')?.children?.[1];
    const { nodes, actions } = statementNodes(doc, 'statement', ['actions', 'not_actions']);
    return zonesOf(nodes, actions, touched, removed, (o) => o);
  },
};
