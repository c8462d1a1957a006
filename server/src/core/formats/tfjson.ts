/**
 * Terraform's JSON syntax (`*.tf.json`): identity policies written as a JSON string in any
 * attribute (`"policy": "{\"Statement\": …}"`: `jsonencode` cannot be called there, the policy is
 * a string, possibly with `${…}` interpolations), and `data.aws_iam_policy_document` statement
 * objects (`"statement": [{"actions": [...]}]`). Read with jsonc-parser's tree, the one JSON reader
 * of the product: exact offsets for every string, escapes included. A policy in a string is read
 * and edited by the shared embedded-JSON code (embeddedJson.ts, as YAML's JSON-string policies),
 * its new text written with JSON's escapes; a policy document's statements are edited by the JSON
 * format's own edit writer (`not_actions`, lists always). Role binding is tfBinding.ts's, as for `.tf`.
 */
import { Node, getNodeValue } from 'jsonc-parser';
import { HostFormat, ParsedDocument, PolicyModel, PolicyProblem, ProblemSeverity, Span, StatementModel } from '../model';
import { PolicyPlan } from '../plan';
import { TextEdit, documentLayout } from '../edits';
import { describeParseError, parseJsonc, propertyNode } from '../text';
import { JsonPolicyHost as JsonDocumentHost, JsonStatementHost as JsonObjectStatementHost, jsonEditsWith, objectStatement } from './json';
import { EmbeddedSink, JsonPolicyHost as EmbeddedHost, ValueMap, embeddedJsonEdits, readEmbeddedJson } from './embeddedJson';
import { terraformJsonInfo } from './sniff';
import { MERGE_ARGUMENTS, OVERRIDDEN, TfBindingPart, TfBlock, TfFileString, TfSite, TfValues, bindTerraformRoles, mergeNote, referenceKey, siteAttach } from './tfBinding';

interface DocumentHost extends JsonDocumentHost {
  kind: 'document';
}

const span = (n: Node): Span => ({ offset: n.offset, length: n.length });

function problemAt(n: Node | Span, code: PolicyProblem['code'], message: string, severity: ProblemSeverity): PolicyProblem {
  const s = 'offset' in n && !('type' in n) ? n : span(n as Node);
  return { code, message, offset: s.offset, length: Math.max(s.length, 1), severity };
}

export const terraformJsonFormat: HostFormat = {
  ...terraformJsonInfo,
  parse: parseTerraformJson,
  edits: terraformJsonEdits,
};

// ------------------------------------------------------------------------------------------------
// the document's blocks

/** The objects a block is given as: one object, or an array of objects (Terraform's JSON syntax allows both at every level). */
function objects(n: Node | undefined): Node[] {
  if (!n) return [];
  if (n.type === 'object') return [n];
  if (n.type === 'array') return (n.children ?? []).filter((c) => c.type === 'object');
  return [];
}

interface Prop {
  key: string;
  keyNode: Node;
  value: Node;
}

/** An object's properties, without Terraform JSON's comment properties (`"//"`). */
function props(o: Node): Prop[] {
  const out: Prop[] = [];
  for (const p of o.children ?? []) {
    const k = p.children?.[0];
    const v = p.children?.[1];
    if (!k || !v || typeof k.value !== 'string' || k.value === '//') continue;
    out.push({ key: k.value, keyNode: k, value: v });
  }
  return out;
}

const get = (o: Node, key: string): Prop | undefined => props(o).find((p) => p.key === key);

interface BlockInfo {
  type: string;
  labels: string[];
  body: Node;
}

/** The address of a top-level block, as terraform.ts writes it: `aws_iam_role.x`, `data.aws_iam_policy_document.x`, `module.m`, `locals`. */
function address(b: BlockInfo): string {
  if (b.type === 'resource') return b.labels.join('.');
  if (b.type === 'data') return ['data', ...b.labels].join('.');
  if (b.type === 'module') return `module.${b.labels[0] ?? ''}`;
  return [b.type, ...b.labels].join('.');
}

/** The top-level blocks: `resource` and `data` (two labels), `module` and `output` (one), `locals` (none). */
function topBlocks(root: Node): BlockInfo[] {
  const out: BlockInfo[] = [];
  for (const top of props(root)) {
    const labels = top.key === 'resource' || top.key === 'data' ? 2 : top.key === 'module' || top.key === 'output' ? 1 : top.key === 'locals' ? 0 : -1;
    if (labels < 0) continue;
    const walk = (n: Node, got: string[]) => {
      for (const o of objects(n)) {
        if (got.length === labels) out.push({ type: top.key, labels: got, body: o });
        else for (const p of props(o)) walk(p.value, [...got, p.key]);
      }
    };
    walk(top.value, []);
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// reading

/** A whole string that is one interpolation of a reference: `"${data.aws_iam_policy_document.x.json}"`. */
function referencePath(n: Node | undefined): string[] | undefined {
  if (n?.type !== 'string') return undefined;
  const m = /^\$\{\s*([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)+)\s*\}$/.exec(n.value as string);
  return m ? m[1].split('.') : undefined;
}

/** Whether a Terraform string holds an interpolation or a directive (`$${` and `%%{` are escapes, not templates). */
const isTemplate = (s: string): boolean => /(^|[^$])\$\{|(^|[^%])%\{/.test(s);

/**
 * Offsets of a JSON string literal's value mapped to the source: one run per stretch written as it
 * reads, each escape sequence (`\"`, `\\`, `\n`, `\u0041`) one value character between runs.
 */
function mapJsonString(text: string, n: Node): ValueMap | undefined {
  const end = n.offset + n.length - 1;
  if (text[n.offset] !== '"' || text[end] !== '"' || n.length < 2) return undefined;
  const runs: [number, number, number][] = [];
  let v = 0;
  let seg = n.offset + 1;
  let i = seg;
  while (i < end) {
    if (text[i] !== '\\') {
      i++;
      continue;
    }
    runs.push([v, seg, i - seg]);
    v += i - seg + 1;
    i += text[i + 1] === 'u' ? 6 : 2;
    seg = i;
  }
  if (i !== end) return undefined;
  runs.push([v, seg, end - seg]);
  if (v + (end - seg) !== (n.value as string).length) return undefined;
  return new ValueMap(runs, end);
}

interface PolicySite {
  top: BlockInfo;
  nested?: string;
  attribute: string;
  ref?: string;
}

interface Reading extends EmbeddedSink {
  text: string;
  policies: PolicyModel[];
  sites: Map<PolicyModel, PolicySite>;
}

export function parseTerraformJson(text: string): ParsedDocument {
  const { root, errors } = parseJsonc(text);
  const problems: PolicyProblem[] = errors.map((e) => ({ code: 'invalid-json' as const, message: describeParseError(e), offset: e.offset, length: Math.max(e.length, 1), severity: 'error' as const }));
  const r: Reading = {
    text,
    problems,
    policies: [],
    sites: new Map(),
    info(at, message) {
      problems.push(problemAt(at, 'not-refinable', message, 'information'));
    },
  };
  const all = root?.type === 'object' ? topBlocks(root) : [];
  for (const b of all) {
    if (b.type === 'data' && b.labels[0] === 'aws_iam_policy_document') readPolicyDocument(r, b);
    else walkBody(r, b, undefined, b.body, b.type === 'locals' ? 'local.' : undefined);
  }
  const binding = bindRoles(r, all);
  // a syntax error of the file, or of the JSON inside a policy string: nothing in the file is refined until it is fixed
  const hasSyntaxErrors = problems.some((p) => p.code === 'invalid-json');
  return { format: terraformJsonFormat, text, policies: r.policies, problems, hasSyntaxErrors, recognised: r.policies.length > 0 || hasSyntaxErrors, host: root, terraform: binding };
}

/** A block's attributes: a string holding a JSON policy is read; objects (nested blocks, `inline_policy`) are walked. */
function walkBody(r: Reading, top: BlockInfo, nested: string | undefined, body: Node, localPrefix?: string): void {
  for (const p of props(body)) {
    if (p.value.type === 'string') {
      const where = nested ? `${address(top)}.${nested}` : address(top);
      const label = localPrefix ? `${localPrefix}${p.key}` : p.key === 'policy' ? where : `${where}.${p.key}`;
      stringPolicy(r, p.value, label, { top, nested, attribute: p.key, ref: localPrefix ? `${localPrefix}${p.key}` : undefined });
    } else if (!localPrefix) for (const o of objects(p.value)) walkBody(r, top, p.key, o);
    else walkValue(r, top, p.value, `${localPrefix}${p.key}`);
  }
}

/** The policy strings anywhere inside a local's map or list value (`local.policies.read`, `local.list[0]`); bound to no role. */
function walkValue(r: Reading, top: BlockInfo, n: Node, label: string): void {
  if (n.type === 'string') stringPolicy(r, n, label, { top, attribute: label });
  else if (n.type === 'object') for (const p of props(n)) walkValue(r, top, p.value, `${label}.${p.key}`);
  else if (n.type === 'array') (n.children ?? []).forEach((c, i) => walkValue(r, top, c, `${label}[${i}]`));
}

/** A JSON policy written as a Terraform string. */
function stringPolicy(r: Reading, n: Node, label: string, site: PolicySite): void {
  const value = n.value as string;
  if (!value.trimStart().startsWith('{') && value.includes('Statement') && isTemplate(value)) {
    // `"${jsonencode({ Statement = [...] })}"`: an HCL expression inside the string, evaluated by Terraform
    r.info(span(n), `not refined: the policy of ${label} is a Terraform expression (\`\${...}\`), Terraform computes it; write it as a JSON string or an aws_iam_policy_document to have it refined`);
    return;
  }
  // cheap first: a policy names its Statement (possibly with a \u escape inside the key)
  if (!value.trimStart().startsWith('{') || !(value.includes('Statement') || value.includes('\\u'))) return;
  const pre = parseJsonc(value);
  if (!(pre.root?.type === 'object' && propertyNode(pre.root, 'Statement')) && !value.includes('"Statement"')) return;
  const map = mapJsonString(r.text, n);
  if (!map) {
    r.info(span(n), `${label}: this policy string cannot be read in place: not refined`);
    return;
  }
  if (isTemplate(value) && pre.errors.length) {
    r.info(span(n), `not refined: the policy of ${label} is not plain JSON (it has \`\${...}\` or \`%{...}\` outside a string), Terraform computes it`);
    return;
  }
  const p = readEmbeddedJson(r, value, { map, jsonEscaped: true }, span(n), label, {
    quietWhenUntouched: true,
    computed: (v) => (isTemplate(v) ? { why: 'interpolated action', message: `not refined: the action ${JSON.stringify(v)} has a Terraform interpolation; this statement is left as it is` } : undefined),
  });
  if (!p) return;
  r.policies.push(p);
  r.sites.set(p, site);
}

/** Marks a statement opaque with one information problem (only the first reason is said). */
function notRefinable(r: Reading, st: StatementModel, at: Node, why: string): void {
  if (st.opaque) return;
  st.opaque = why;
  if (st.effect === 'Deny' || st.principal || st.suppressed) return;
  r.problems.push(problemAt(at, 'not-refinable', `not refined: ${why}; Terraform computes it, so this statement is left as it is`, 'information'));
}

function readPolicyDocument(r: Reading, b: BlockInfo): void {
  const statementProp = propertyNode(b.body, 'statement');
  const list = statementProp?.children?.[1];
  const statements: StatementModel[] = [];
  let count = 0;
  if (list?.type === 'array') {
    (list.children ?? []).forEach((s, i) => {
      if (s.type === 'object') statements.push(readDocumentStatement(r, s, i));
      else r.problems.push(problemAt(s, 'invalid-policy', 'a statement must be an object', 'error'));
    });
    count = list.children?.length ?? 0;
  } else if (list?.type === 'object') {
    statements.push(readDocumentStatement(r, list, -1));
    count = 1;
  } else if (list) {
    if (list.type === 'string' && isTemplate(list.value as string)) r.problems.push(problemAt(list, 'not-refinable', 'not refined: the statement list is computed by Terraform', 'information'));
    else r.problems.push(problemAt(list, 'invalid-policy', '"statement" must be an object or a list of objects', 'error'));
    count = 1;
  }
  // `"dynamic": {"statement": {...}}`: statements Terraform generates, counted but never read
  const dynamic = get(b.body, 'dynamic');
  let extra = list?.type === 'array' ? count : Math.max(count, 1);
  for (const o of objects(dynamic?.value))
    for (const d of props(o)) {
      if (d.key !== 'statement') continue;
      const st: StatementModel = { span: span(d.value), index: extra++, entries: [], rest: () => ({ $dynamic: getNodeValue(d.value) }), host: { node: d.value } satisfies JsonObjectStatementHost };
      notRefinable(r, st, d.keyNode, 'a `dynamic "statement"` block is generated by Terraform');
      statements.push(st);
      count++;
    }
  // documents merged in by Terraform: said, never read; an override may replace a statement that has its sid
  for (const name of MERGE_ARGUMENTS) {
    const a = get(b.body, name);
    if (!a) continue;
    r.problems.push(problemAt(a.keyNode, 'not-refinable', mergeNote(address(b), name), 'information'));
    if (name.startsWith('override')) for (const st of statements) if (st.sid !== undefined) notRefinable(r, st, (st.host as JsonObjectStatementHost).node, OVERRIDDEN);
  }
  if (statements.length === 0 && !list) return;
  const keyNode = statementProp?.children?.[0] ?? dynamic?.keyNode ?? b.body;
  const p: PolicyModel = {
    label: address(b),
    span: span(b.body),
    statementKeySpan: span(keyNode),
    statements,
    statementCount: count,
    value: () => ({ Version: '2012-10-17', Statement: statements.map((s) => ({ ...(s.rest() as object), [s.key ?? 'Action']: s.entries.map((e) => e.value) })) }),
    host: { kind: 'document', statementProperty: statementProp ?? propertyNode(b.body, 'dynamic')! } satisfies DocumentHost,
  };
  r.policies.push(p);
  r.sites.set(p, { top: b, attribute: 'json', ref: address(b) });
}

function readDocumentStatement(r: Reading, node: Node, index: number): StatementModel {
  const st = objectStatement(node, index, ['actions', 'not_actions']);
  const host = st.host as JsonObjectStatementHost;
  const dynamic = get(node, 'dynamic');
  if (get(node, 'principals') || get(node, 'not_principals') || objects(dynamic?.value).some((o) => get(o, 'principals') || get(o, 'not_principals'))) st.principal = true;
  const sid = get(node, 'sid');
  if (sid?.value.type === 'string') {
    st.sid = sid.value.value as string;
    st.suppressed = /^norepo/i.test(st.sid);
  }
  const effect = get(node, 'effect');
  let computedEffect = false;
  if (!effect) st.effect = 'Allow';
  else if (effect.value.type === 'string' && (effect.value.value === 'Allow' || effect.value.value === 'Deny')) st.effect = effect.value.value;
  else if (effect.value.type === 'string' && isTemplate(effect.value.value as string)) computedEffect = true;
  else {
    r.problems.push(problemAt(effect.value, 'invalid-policy', '"effect" must be "Allow" or "Deny"', 'error'));
    st.opaque = 'invalid effect';
  }
  const action = get(node, 'actions');
  const notAction = get(node, 'not_actions');
  if (action && notAction) {
    r.problems.push(problemAt(notAction.keyNode, 'invalid-policy', 'a statement cannot have both "actions" and "not_actions"', 'error'));
    st.opaque ??= 'both Action and NotAction';
  }
  const prop = action ?? notAction;
  if (!prop) {
    r.problems.push(problemAt(node, 'invalid-policy', 'the statement has neither "actions" nor "not_actions"', 'warning'));
    st.opaque ??= 'no Action';
  } else {
    const name = prop === action ? 'actions' : 'not_actions';
    st.key = prop === action ? 'Action' : 'NotAction';
    st.keySpan = span(prop.keyNode);
    host.property = prop.keyNode.parent;
    host.valueNode = prop.value;
    const v = prop.value;
    if (v.type === 'array') {
      (v.children ?? []).forEach((x, i) => {
        if (x.type === 'string' && isTemplate(x.value as string)) notRefinable(r, st, x, `the action ${JSON.stringify(x.value)} has a Terraform interpolation`);
        else if (x.type === 'string') st.entries.push({ value: x.value as string, span: span(x), index: i });
        else {
          r.problems.push(problemAt(x, 'invalid-policy', 'an action must be a string', 'warning'));
          st.opaque ??= 'non-string action';
        }
      });
      if ((v.children ?? []).length === 0 && !st.opaque) {
        r.problems.push(problemAt(v, 'invalid-policy', `an empty "${name}" list`, 'warning'));
        st.opaque = 'empty';
      }
    } else if (v.type === 'string' && isTemplate(v.value as string)) notRefinable(r, st, v, 'the action list is an interpolation');
    else {
      r.problems.push(problemAt(v, 'invalid-policy', `"${name}" must be a list of strings`, 'error'));
      st.opaque ??= 'invalid Action';
    }
  }
  if (computedEffect) notRefinable(r, st, effect!.value, 'its effect is an interpolation');
  return st;
}

// ------------------------------------------------------------------------------------------------
// role binding: tfBinding.ts's, as for .tf, over the JSON tree

function bindRoles(r: Reading, all: BlockInfo[]): TfBindingPart {
  const blocks = all.map((b): TfBlock<Node> & { info: BlockInfo } => ({ info: b, type: b.type, labels: b.labels, attr: (name) => get(b.body, name)?.value }));
  const byInfo = new Map(all.map((b, i) => [b, blocks[i]]));
  const values: TfValues<Node> = {
    literal: (v) => (v.type === 'string' && !isTemplate(v.value as string) ? (v.value as string) : undefined),
    reference: referencePath,
    items: (v) => (v.type === 'array' ? v.children ?? [] : undefined),
  };
  type B = (typeof blocks)[number];
  // file() and templatefile() are HCL inside a `${...}` string in this syntax: a string that may be
  // one (a substring test) is handed on with where it is attached, and read by the HCL parser
  // (terraformFactsOf in formats/index.ts), which this format does not load
  const scan = () => {
    const uses: [string, TfSite<B>][] = [];
    const fileStrings: TfFileString[] = [];
    const visit = (top: B, nested: string | undefined, body: Node) => {
      for (const p of props(body)) {
        const path = referencePath(p.value);
        const key = path && referenceKey(path);
        if (key) uses.push([key, { top, nested, attribute: p.key }]);
        else if (p.value.type === 'string') {
          const v = p.value.value as string;
          if (v.includes('file(') && isTemplate(v)) {
            const ref = top.type === 'locals' && !nested ? `local.${p.key}` : undefined;
            fileStrings.push({ value: v, offset: p.value.offset, attach: siteAttach(values, { top, nested, attribute: p.key, ref }) });
          }
        } else for (const o of objects(p.value)) visit(top, p.key, o);
      }
    };
    for (const b of blocks) visit(b, undefined, b.info.body);
    return { uses, fileUses: [], fileStrings };
  };
  const sites = r.policies.map((p): TfSite<B> => {
    const s = r.sites.get(p)!;
    return { top: byInfo.get(s.top)!, nested: s.nested, attribute: s.attribute, ref: s.ref };
  });
  return bindTerraformRoles(blocks, values, r.policies, sites, scan);
}

// ------------------------------------------------------------------------------------------------
// edits

function terraformJsonEdits(doc: ParsedDocument, plans: PolicyPlan[]): TextEdit[] {
  const eol = documentLayout(doc.text).eol;
  const edits: TextEdit[] = [];
  for (const pp of plans) {
    const h = pp.policy.host as EmbeddedHost | DocumentHost;
    if (h.kind === 'json') edits.push(...embeddedJsonEdits(pp, eol));
    else edits.push(...jsonEditsWith(doc, [pp], { notActionKey: 'not_actions', alwaysList: true }));
  }
  return edits;
}
