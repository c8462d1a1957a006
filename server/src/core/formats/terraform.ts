/**
 * Terraform (`.tf`): identity policies written as `jsonencode({...})` in any attribute,
 * `data "aws_iam_policy_document"` statement blocks, and heredoc JSON (`<<EOF`, `<<-EOF`), read
 * from tree-sitter's HCL tree with exact offsets. Computed action lists are never guessed at: their
 * statement is left alone with one information problem. Edits are written on the tree in the
 * file's own style (one-per-line lists stay so with their trailing commas, inline lists stay
 * inline, `=` columns kept).
 */
import { HostFormat, ParsedDocument, PolicyModel, PolicyProblem, ProblemSeverity, Span, StatementModel } from '../model';
import { EntryFate, PolicyPlan, entryFates } from '../plan';
import { TextEdit, documentLayout, lineIndent, lineStart } from '../edits';
import type { Node as JsonNode } from 'jsonc-parser';
import { parseJsonPolicies, jsonFormat } from './json';
import { HNode, blockKey, child, initHcl, named, parseHcl, parseHclFresh, syntaxErrors, textOf, unescapeHcl } from './hcl/tree';
import { HEntry, HValue, readValue, referencePath, toJson } from './hcl/value';
import { terraformInfo } from './sniff';
import { MERGE_ARGUMENTS, OVERRIDDEN, TfBindingPart, TfBlock, TfFileUse, TfSite, TfValues, bindTerraformRoles, mergeNote, referenceKey, siteAttach } from './tfBinding';
import { MAX_SYNTAX_ERRORS } from '../text';

// ------------------------------------------------------------------------------------------------
// hosts: what edits need to find again

interface HclStatementHost {
  kind: 'object' | 'block';
  /** The statement node: an object's expression, or a `statement` block. */
  node: HNode;
  /** The key (object key expression, or the attribute's identifier) of Action/NotAction or actions/not_actions. */
  keyNode?: HNode;
  /** The value expression of the action list. */
  value?: HValue;
  /** The enclosing object value (for choosing a list style). */
  container?: HNode;
}

interface HclPolicyHost {
  kind: 'jsonencode' | 'document';
  /** The Statement tuple (jsonencode), or the data block (document). */
  list?: HValue;
  block?: HNode;
}

interface HeredocPolicyHost {
  kind: 'heredoc';
  doc: ParsedDocument;
  inner: PolicyModel;
}

interface TfDocHost {
  root: HNode;
}

const span = (n: HNode): Span => ({ offset: n.start, length: n.end - n.start });

function problemAt(n: HNode | Span, code: PolicyProblem['code'], message: string, severity: ProblemSeverity): PolicyProblem {
  const s = 'offset' in n ? n : span(n);
  return { code, message, offset: s.offset, length: Math.max(s.length, 1), severity };
}

export const terraformFormat: HostFormat = {
  ...terraformInfo,
  init: initHcl,
  parse: parseTerraform,
  edits: terraformEdits,
};

// ------------------------------------------------------------------------------------------------
// the tree's blocks

interface BlockInfo {
  node: HNode;
  type: string;
  labels: string[];
  body?: HNode;
}

function blockInfo(text: string, b: HNode): BlockInfo {
  const labels: string[] = [];
  let type = '';
  for (const c of b.children) {
    if (c.type === 'identifier' && !type) type = textOf(text, c);
    else if (c.type === 'identifier') labels.push(textOf(text, c));
    else if (c.type === 'string_lit') labels.push(textOf(text, c).slice(1, -1));
  }
  return { node: b, type, labels, body: child(b, 'body') };
}

function attributes(text: string, body: HNode | undefined): Map<string, { attr: HNode; name: HNode; expr: HNode }> {
  const out = new Map<string, { attr: HNode; name: HNode; expr: HNode }>();
  for (const a of body?.children ?? []) {
    if (a.type !== 'attribute') continue;
    const name = child(a, 'identifier');
    const expr = child(a, 'expression');
    if (name && expr && !out.has(textOf(text, name))) out.set(textOf(text, name), { attr: a, name, expr });
  }
  return out;
}

const blocks = (body: HNode | undefined) => (body?.children ?? []).filter((c) => c.type === 'block');

/** The address of a top-level block: `aws_iam_role.x`, `data.aws_iam_policy_document.x`, `module.m`, `locals`. */
function address(b: BlockInfo): string {
  if (b.type === 'resource') return b.labels.join('.');
  if (b.type === 'data') return ['data', ...b.labels].join('.');
  if (b.type === 'module') return `module.${b.labels[0] ?? ''}`;
  return [b.type, ...b.labels].join('.');
}

// ------------------------------------------------------------------------------------------------
// reading

interface Reading {
  text: string;
  problems: PolicyProblem[];
  policies: PolicyModel[];
  /** Where each policy is used: the attribute holding it (for role binding). */
  sites: Map<PolicyModel, PolicySite>;
  /** `file(...)` / `templatefile(...)` policies: the file is the policy (role binding only). */
  fileCalls: { fn: 'file' | 'templatefile'; path: string; site: PolicySite; offset: number }[];
}

interface PolicySite {
  /** The top-level block. */
  top: BlockInfo;
  /** The type of the nested block (inline_policy) holding the attribute, if any. */
  nested?: string;
  attribute: string;
  /** For a local or a policy document: the reference other blocks use (`local.p`, `data.aws_iam_policy_document.x`). */
  ref?: string;
}

/** `fresh`: a parse that neither uses nor replaces the kept previous tree (another file of the module, read for its facts). */
export function parseTerraform(text: string, opts?: { fresh?: boolean }): ParsedDocument {
  const root = opts?.fresh ? parseHclFresh(text) : parseHcl(text);
  if (root.tooDeep !== undefined) {
    // every reading of the tree recurses: a file nested this deep is an error at the place, not a stack overflow
    const problems: PolicyProblem[] = [{ code: 'invalid-syntax', message: 'invalid Terraform: nested too deeply: not read', offset: root.tooDeep, length: 1, severity: 'error' }];
    return { format: terraformFormat, text, policies: [], problems, hasSyntaxErrors: true, recognised: false, host: { root } satisfies TfDocHost };
  }
  const r: Reading = { text, problems: [], policies: [], sites: new Map(), fileCalls: [] };
  const allErrors = syntaxErrors(root);
  for (const e of allErrors.slice(0, MAX_SYNTAX_ERRORS)) {
    const lineEnd = text.slice(e.start).search(/[\r\n]/);
    const length = e.missing ? 1 : Math.max(1, lineEnd < 0 ? e.end - e.start : Math.min(e.end - e.start, lineEnd));
    if (!e.missing && e.end >= text.trimEnd().length) {
      // an error running to the end of the file: something opened is never closed (shown where the text ends)
      const end = Math.max(0, text.trimEnd().length - 1);
      r.problems.push({ code: 'invalid-syntax', message: 'invalid Terraform syntax: the file ends inside an unclosed block, list or string', offset: end, length: 1, severity: 'error' });
      continue;
    }
    const what = e.missing ? `missing ${JSON.stringify(e.type)}` : 'unexpected text';
    r.problems.push({ code: 'invalid-syntax', message: `invalid Terraform syntax: ${what}`, offset: Math.min(e.start, Math.max(0, text.length - 1)), length, severity: 'error' });
  }
  if (allErrors.length > MAX_SYNTAX_ERRORS) {
    const rest = allErrors[MAX_SYNTAX_ERRORS];
    r.problems.push({ code: 'invalid-syntax', message: `invalid Terraform syntax: ${allErrors.length - MAX_SYNTAX_ERRORS} more errors from here on (not shown)`, offset: Math.min(rest.start, Math.max(0, text.length - 1)), length: 1, severity: 'error' });
  }
  const hasSyntaxErrors = r.problems.length > 0;
  const top = root.children.find((c) => c.type === 'body');
  // a tree without errors: a block read before (unmoved or moved by an edit elsewhere) is not read again
  const keep = root.hasError === false && !opts?.fresh;
  for (const b of blocks(top)) {
    const k = keep ? blockKey(b) : undefined;
    const was = k && readBlocks.get(k.key);
    if (was) {
      carriedOver(r, was, k.delta, b);
      continue;
    }
    const from = { policies: r.policies.length, problems: r.problems.length, fileCalls: r.fileCalls.length };
    readTopBlock(r, b);
    if (k) readBlocks.set(k.key, blockTemplate(r, from));
  }
  const binding = bindRoles(r, top);
  // a statement with a syntax error inside is read for diagnostics but never edited
  const errors = allErrors;
  if (errors.length)
    for (const p of r.policies)
      for (const st of p.statements) {
        const end = st.span.offset + st.span.length;
        if (errors.some((e) => e.start < end && e.end >= st.span.offset)) st.opaque ??= 'a syntax error inside';
      }
  return { format: terraformFormat, text, policies: r.policies, problems: r.problems, hasSyntaxErrors, recognised: r.policies.length > 0, host: { root } satisfies TfDocHost, terraform: binding };
}

function readTopBlock(r: Reading, b: HNode): void {
  const info = blockInfo(r.text, b);
  if (info.type === 'data' && info.labels[0] === 'aws_iam_policy_document') readPolicyDocument(r, info);
  else walkBody(r, info, undefined, info.body, info.type === 'locals' ? 'local.' : undefined);
}

// --- blocks read before ---------------------------------------------------------------------------
// While typing, the tree's top-level blocks away from the edit are the previous parse's (hcl/tree.ts):
// what was read from such a block is kept as plain data (spans, values, problems; no node, no text,
// no closure), under the block's key, and handed out again with its offsets moved. What needs the
// syntax nodes (the edits, a statement's other fields, the policy's value) reads that block again
// from the current tree when first asked: a quick fix, not a keystroke.

/** A statement's reading without its closures and nodes. */
type StatementTemplate = Omit<StatementModel, 'rest' | 'host'>;
/** Where a policy is used, without its block (the current tree's is put back). */
type SiteTemplate = Omit<PolicySite, 'top'>;

interface BlockTemplate {
  policies: (Omit<PolicyModel, 'statements' | 'value' | 'host' | 'attachedRoles'> & { statements: StatementTemplate[]; site?: SiteTemplate })[];
  problems: PolicyProblem[];
  fileCalls: (Omit<Reading['fileCalls'][number], 'site'> & { site: SiteTemplate })[];
}

/** What each block read so far gave, by its key (`blockKey`): alive while a tree holds the key. */
const readBlocks = new WeakMap<object, BlockTemplate>();

/** A policy handed out again: `host` says to read its block again for the syntax nodes. */
interface CarriedHost {
  kind: 'carried';
  /** The policy as read from the current tree and text. */
  resolve: () => PolicyModel;
}

const copySpan = (s: Span, by: number): Span => ({ offset: s.offset + by, length: s.length });
const siteData = ({ top: _, ...site }: PolicySite): SiteTemplate => site;

/**
 * What the reading of one block added to `r` since `from`, as plain data: its spans, entries and
 * problems shared with the models handed out (none of them is changed after reading), the models'
 * closures and nodes left out.
 */
function blockTemplate(r: Reading, from: { policies: number; problems: number; fileCalls: number }): BlockTemplate {
  const policies: BlockTemplate['policies'] = [];
  for (let i = from.policies; i < r.policies.length; i++) {
    const p = r.policies[i];
    const site = r.sites.get(p);
    const statements = p.statements.map(({ rest: _r, host: _h, ...data }): StatementTemplate => data);
    const { statements: _s, value: _v, host: _h, attachedRoles: _a, ...data } = p;
    policies.push({ ...data, statements, site: site && siteData(site) });
  }
  const fileCalls: BlockTemplate['fileCalls'] = [];
  for (let i = from.fileCalls; i < r.fileCalls.length; i++) {
    const f = r.fileCalls[i];
    fileCalls.push({ ...f, site: siteData(f.site) });
  }
  return { policies, problems: from.problems === r.problems.length ? [] : r.problems.slice(from.problems), fileCalls };
}

/** A block read before, added to `r` moved by `by`; `b` is the block in the current tree. */
function carriedOver(r: Reading, t: BlockTemplate, by: number, b: HNode): void {
  const text = r.text;
  const info = blockInfo(text, b);
  // the block read again from the current tree, once, when something needs its nodes
  let again: PolicyModel[] | undefined;
  const fresh = (i: number): PolicyModel => {
    if (!again) {
      const q: Reading = { text, problems: [], policies: [], sites: new Map(), fileCalls: [] };
      readTopBlock(q, b);
      again = q.policies;
    }
    return again[i];
  };
  const siteOf = (s: SiteTemplate): PolicySite => ({ ...s, top: info });
  t.policies.forEach(({ site, ...tp }, i) => {
    const p: PolicyModel = {
      ...tp,
      span: copySpan(tp.span, by),
      statementKeySpan: copySpan(tp.statementKeySpan, by),
      statements: tp.statements.map((ts, j) => ({
        ...ts,
        span: copySpan(ts.span, by),
        keySpan: ts.keySpan && copySpan(ts.keySpan, by),
        entries: by === 0 ? ts.entries : ts.entries.map((e) => ({ ...e, span: copySpan(e.span, by) })),
        rest: () => fresh(i).statements[j].rest(),
      })),
      value: () => fresh(i).value(),
      host: { kind: 'carried', resolve: () => fresh(i) } satisfies CarriedHost,
    };
    r.policies.push(p);
    if (site) r.sites.set(p, siteOf(site));
  });
  for (const p of t.problems) r.problems.push(by === 0 ? p : { ...p, offset: p.offset + by });
  for (const f of t.fileCalls) r.fileCalls.push({ ...f, offset: f.offset + by, site: siteOf(f.site) });
}

/** Looks through a block's attributes (and nested blocks) for jsonencode policies and heredoc JSON. */
function walkBody(r: Reading, top: BlockInfo, nested: BlockInfo | undefined, body: HNode | undefined, localPrefix?: string): void {
  const text = r.text;
  const counts = new Map<string, number>();
  for (const c of body?.children ?? []) {
    if (c.type === 'attribute') {
      const name = textOf(text, child(c, 'identifier')!);
      const expr = child(c, 'expression');
      if (!expr) continue;
      const where = nested ? `${address(top)}.${nested.type}${nested.labels.length ? '.' + nested.labels.join('.') : ''}` : address(top);
      const label = localPrefix ? `${localPrefix}${name}` : name === 'policy' ? where : `${where}.${name}`;
      const site: PolicySite = { top, nested: nested?.type, attribute: name, ref: localPrefix ? `${localPrefix}${name}` : undefined };
      findInExpression(r, expr, label, site);
    } else if (c.type === 'block') {
      const info = blockInfo(text, c);
      const n = counts.get(info.type) ?? 0;
      counts.set(info.type, n + 1);
      walkBody(r, top, info, info.body);
    }
  }
}

/** jsonencode({... Statement ...}) anywhere in an expression; a heredoc holding a JSON policy. */
function findInExpression(r: Reading, expr: HNode, label: string, site: PolicySite): void {
  const text = r.text;
  let found = 0;
  const visit = (n: HNode) => {
    if (n.type === 'function_call') {
      const fn = child(n, 'identifier');
      if (fn && textOf(text, fn) === 'jsonencode') {
        const arg = named(child(n, 'function_arguments') ?? n).find((c) => c.type === 'expression');
        if (arg) {
          const v = readValue(text, arg);
          if (v.kind === 'object' && v.entries.some((e) => e.key === 'Statement')) {
            const p = readJsonencode(r, v, found ? `${label}#${found + 1}` : label);
            found++;
            r.policies.push(p);
            r.sites.set(p, site);
            return;
          }
        }
      }
    }
    if (n.type === 'heredoc_template') {
      for (const p of readHeredoc(r, n, found ? `${label}#${found + 1}` : label)) {
        found++;
        r.policies.push(p);
        r.sites.set(p, site);
      }
      return;
    }
    for (const c of n.children) visit(c);
  };
  visit(expr);
  if (!found) {
    const call = fileCall(text, expr);
    if (call) r.fileCalls.push({ ...call, site });
  }
}

/**
 * `file(P)` or `templatefile(P, {...})` as the whole expression, P a literal path or
 * `"${path.module}/rest"`: the path relative to the .tf file's directory; undefined for others.
 */
export function fileCall(text: string, expr: HNode): { fn: 'file' | 'templatefile'; path: string; offset: number } | undefined {
  const parts = named(expr);
  if (parts.length !== 1 || parts[0].type !== 'function_call') return undefined;
  const call = parts[0];
  const id = child(call, 'identifier');
  const fn = id && textOf(text, id);
  if (fn !== 'file' && fn !== 'templatefile') return undefined;
  const arg = named(child(call, 'function_arguments') ?? call).find((c) => c.type === 'expression');
  if (!arg) return undefined;
  const v = readValue(text, arg);
  if (v.kind === 'string') return { fn, path: v.value, offset: call.start };
  // "${path.module}/policy.json": one interpolation of path.module, then literal text
  const q = named(arg)[0]?.type === 'template_expr' ? named(named(arg)[0])[0] : undefined;
  if (!q || q.type !== 'quoted_template') return undefined;
  const inner = q.children.slice(1, -1);
  if (q.children[0]?.type !== 'quoted_template_start' || q.children[q.children.length - 1]?.type !== 'quoted_template_end') return undefined;
  const [interp, ...rest] = inner;
  if (interp?.type !== 'template_interpolation' || rest.some((c) => c.type !== 'template_literal')) return undefined;
  const e = named(interp).find((c) => c.type === 'expression');
  const ref = e && referencePath(text, e);
  if (!ref || ref.length !== 2 || ref[0] !== 'path' || ref[1] !== 'module') return undefined;
  const after = unescapeHcl(text.slice(interp.end, q.children[q.children.length - 1].start));
  if (!after.startsWith('/')) return undefined;
  return { fn, path: after.slice(1), offset: call.start };
}

/**
 * A Terraform JSON string that is one interpolation of a file() / templatefile() call
 * (`"${file(\"p.json\")}"`, its value `${file("p.json")}`): read as the HCL quoted template it is
 * (`x = "…"`), never by pattern; undefined for any other string (text around the interpolation, a
 * syntax error). The format must be ready (ensureFormat of a .tf name).
 */
export function fileCallOfTemplate(value: string): { fn: 'file' | 'templatefile'; path: string } | undefined {
  if (/[\r\n]/.test(value)) return undefined;
  const src = `x = "${value}"\n`;
  const root = parseHclFresh(src);
  if (root.tooDeep !== undefined || syntaxErrors(root).length) return undefined;
  const attr = blocksAndAttributes(root).find((c) => c.type === 'attribute');
  const expr = attr && child(attr, 'expression');
  const q = expr && named(expr)[0]?.type === 'template_expr' ? named(named(expr)[0])[0] : undefined;
  if (!q || q.type !== 'quoted_template' || q.children.length !== 3) return undefined;
  const interp = q.children[1];
  if (interp.type !== 'template_interpolation' || q.children[0].type !== 'quoted_template_start' || q.children[2].type !== 'quoted_template_end') return undefined;
  const e = named(interp).find((c) => c.type === 'expression');
  const call = e && fileCall(src, e);
  return call && { fn: call.fn, path: call.path };
}

/** The attributes and blocks of a file's top-level body. */
const blocksAndAttributes = (root: HNode): HNode[] => root.children.find((c) => c.type === 'body')?.children ?? [];

/** Marks a statement opaque with one information problem (only the first reason is reported). */
function notRefinable(r: Reading, st: StatementModel, at: HNode, why: string): void {
  if (st.opaque) return;
  st.opaque = why;
  // statements the engine would leave alone anyway (Deny, Principal, NOREPO) need no word
  if (st.effect === 'Deny' || st.principal || st.suppressed) return;
  r.problems.push(problemAt(at, 'not-refinable', `not refined: ${why}; Terraform computes it, so this statement is left as it is`, 'information'));
}

// --- jsonencode ---------------------------------------------------------------------------------

function readJsonencode(r: Reading, obj: Extract<HValue, { kind: 'object' }>, label: string): PolicyModel {
  const text = r.text;
  const stEntry = obj.entries.find((e) => e.key === 'Statement')!;
  const v = stEntry.value;
  const statements: StatementModel[] = [];
  let statementCount = 0;
  const host: HclPolicyHost = { kind: 'jsonencode' };
  if (v.kind === 'tuple') {
    host.list = v;
    statementCount = v.items.length;
    v.items.forEach((item, i) => statements.push(readObjectStatement(r, item, i, obj.node)));
  } else if (v.kind === 'object') {
    statementCount = 1;
    statements.push(readObjectStatement(r, v, -1, obj.node));
  } else if (v.kind === 'computed') {
    statementCount = 1;
    r.problems.push(problemAt(v.node, 'not-refinable', `not refined: the statement list is ${v.why}, computed by Terraform`, 'information'));
  } else {
    r.problems.push(problemAt(v.node, 'invalid-policy', '"Statement" must be an object or a list of objects', 'error'));
  }
  return {
    label,
    span: span(obj.node),
    statementKeySpan: span(stEntry.keyNode),
    statements,
    statementCount,
    value: () => toJson(text, obj),
    host,
  };
}

function readObjectStatement(r: Reading, item: HValue, index: number, container: HNode): StatementModel {
  const text = r.text;
  const host: HclStatementHost = { kind: 'object', node: item.node, container };
  const st: StatementModel = {
    span: span(item.node),
    index,
    entries: [],
    rest: () => {
      if (item.kind !== 'object') return toJson(text, item);
      const o = { ...(toJson(text, item) as Record<string, unknown>) };
      delete o.Action;
      delete o.NotAction;
      return o;
    },
    host,
  };
  if (item.kind !== 'object') {
    if (item.kind === 'computed') notRefinable(r, st, item.node, `the statement is ${item.why}`);
    else {
      r.problems.push(problemAt(item.node, 'invalid-policy', 'a statement must be an object', 'error'));
      st.opaque = 'not an object';
    }
    return st;
  }
  const get = (k: string) => item.entries.find((e) => e.key === k);
  const effect = get('Effect');
  const sid = get('Sid');
  if (sid?.value.kind === 'string') {
    st.sid = sid.value.value;
    st.suppressed = /^norepo/i.test(st.sid);
  }
  if (get('Principal') || get('NotPrincipal')) st.principal = true;
  let computedEffect: string | undefined;
  if (effect?.value.kind === 'string') {
    st.effect = effect.value.value;
    if (st.effect !== 'Allow' && st.effect !== 'Deny') {
      r.problems.push(problemAt(effect.value.node, 'invalid-policy', '"Effect" must be "Allow" or "Deny"', 'error'));
      st.opaque = 'invalid Effect';
    }
  } else if (effect?.value.kind === 'computed') computedEffect = effect.value.why;
  else if (effect) {
    r.problems.push(problemAt(effect.value.node, 'invalid-policy', '"Effect" must be "Allow" or "Deny"', 'error'));
    st.opaque = 'invalid Effect';
  } else {
    r.problems.push(problemAt(item.node, 'invalid-policy', 'the statement has no "Effect"', 'error'));
    st.opaque = 'no Effect';
  }
  readActions(r, st, host, get('Action'), get('NotAction'), 'Action', 'NotAction', item.node);
  if (computedEffect) notRefinable(r, st, effect!.value.node, `its Effect is ${computedEffect}`);
  return st;
}

/** Action/NotAction (or actions/not_actions) of a statement into its entries. */
function readActions(
  r: Reading,
  st: StatementModel,
  host: HclStatementHost,
  action: { keyNode: HNode; value: HValue } | undefined,
  notAction: { keyNode: HNode; value: HValue } | undefined,
  aName: string,
  naName: string,
  at: HNode,
): void {
  if (action && notAction) {
    r.problems.push(problemAt(notAction.keyNode, 'invalid-policy', `a statement cannot have both "${aName}" and "${naName}"`, 'error'));
    st.opaque ??= 'both Action and NotAction';
  }
  const prop = action ?? notAction;
  if (!prop) {
    r.problems.push(problemAt(at, 'invalid-policy', `the statement has neither "${aName}" nor "${naName}"`, 'warning'));
    st.opaque ??= 'no Action';
    return;
  }
  st.key = action ? 'Action' : 'NotAction';
  st.keySpan = span(prop.keyNode);
  host.keyNode = prop.keyNode;
  host.value = prop.value;
  const v = prop.value;
  if (v.kind === 'string') st.entries.push({ value: v.value, span: span(v.node), index: -1 });
  else if (v.kind === 'tuple') {
    v.items.forEach((x, i) => {
      if (x.kind === 'string') st.entries.push({ value: x.value, span: span(x.node), index: i });
      else if (x.kind === 'computed') notRefinable(r, st, x.node, `the action is ${x.why}`);
      else {
        r.problems.push(problemAt(x.node, 'invalid-policy', 'an action must be a string', 'warning'));
        st.opaque ??= 'non-string action';
      }
    });
    if (v.items.length === 0 && !st.opaque) {
      r.problems.push(problemAt(v.node, 'invalid-policy', `an empty "${prop === action ? aName : naName}" list`, 'warning'));
      st.opaque = 'empty';
    }
  } else if (v.kind === 'computed') notRefinable(r, st, v.node, `the action list is ${v.why}`);
  else {
    r.problems.push(problemAt(v.node, 'invalid-policy', `"${prop === action ? aName : naName}" must be a string or a list of strings`, 'error'));
    st.opaque ??= 'invalid Action';
  }
}

// --- data "aws_iam_policy_document" -------------------------------------------------------------

function readPolicyDocument(r: Reading, info: BlockInfo): void {
  const text = r.text;
  const statements: StatementModel[] = [];
  let statementCount = 0;
  let firstKey: HNode | undefined;
  for (const b of blocks(info.body)) {
    const sb = blockInfo(text, b);
    if (sb.type === 'statement') {
      firstKey ??= child(b, 'identifier');
      statements.push(readBlockStatement(r, sb, statementCount));
      statementCount++;
    } else if (sb.type === 'dynamic' && sb.labels[0] === 'statement') {
      firstKey ??= child(b, 'identifier');
      const st: StatementModel = { span: span(b), index: statementCount, entries: [], rest: () => ({ $hcl: textOf(text, b) }), host: { kind: 'block', node: b } satisfies HclStatementHost };
      notRefinable(r, st, child(b, 'identifier') ?? b, 'a `dynamic "statement"` block is generated by Terraform');
      statements.push(st);
      statementCount++;
    }
  }
  // documents merged in by Terraform: said, never read; an override may replace a statement that has its sid
  const attrs = attributes(text, info.body);
  for (const name of MERGE_ARGUMENTS) {
    const a = attrs.get(name);
    if (!a) continue;
    r.problems.push(problemAt(a.name, 'not-refinable', mergeNote(address(info), name), 'information'));
    if (name.startsWith('override')) for (const st of statements) if (st.sid !== undefined) notRefinable(r, st, child((st.host as HclStatementHost).node, 'identifier') ?? (st.host as HclStatementHost).node, OVERRIDDEN);
  }
  if (statementCount === 0) return;
  const p: PolicyModel = {
    label: address(info),
    span: span(info.node),
    statementKeySpan: span(firstKey!),
    statements,
    statementCount,
    value: () => ({ Version: '2012-10-17', Statement: statements.map((s) => ({ ...(s.rest() as object), [s.key ?? 'Action']: s.entries.map((e) => e.value) })) }),
    host: { kind: 'document', block: info.node } satisfies HclPolicyHost,
  };
  r.policies.push(p);
  r.sites.set(p, { top: info, attribute: 'json', ref: address(info) });
}

/** A block's content as a canonical value: its attributes and nested blocks, in order. */
function blockValue(text: string, body: HNode | undefined, skip: Set<string> = new Set()): unknown {
  const out: [string, unknown][] = [];
  for (const c of body?.children ?? []) {
    if (c.type === 'attribute') {
      const name = textOf(text, child(c, 'identifier')!);
      const expr = child(c, 'expression');
      if (skip.has(name) || !expr) continue;
      out.push([name, toJson(text, readValue(text, expr))]);
    } else if (c.type === 'block') {
      const b = blockInfo(text, c);
      out.push([`${b.type}${b.labels.map((l) => ` "${l}"`).join('')} {}`, blockValue(text, b.body)]);
    }
  }
  return out;
}

function readBlockStatement(r: Reading, sb: BlockInfo, index: number): StatementModel {
  const text = r.text;
  const host: HclStatementHost = { kind: 'block', node: sb.node };
  const st: StatementModel = { span: span(sb.node), index, entries: [], rest: () => blockValue(text, sb.body, new Set(['actions', 'not_actions'])), host };
  const attrs = attributes(text, sb.body);
  const inner = blocks(sb.body).map((b) => blockInfo(text, b));
  if (inner.some((b) => b.type === 'principals' || b.type === 'not_principals' || (b.type === 'dynamic' && /principals$/.test(b.labels[0] ?? '')))) st.principal = true;
  const sid = attrs.get('sid');
  const sidV = sid && readValue(text, sid.expr);
  if (sidV?.kind === 'string') {
    st.sid = sidV.value;
    st.suppressed = /^norepo/i.test(sidV.value);
  }
  const effect = attrs.get('effect');
  let computedEffect: HValue | undefined;
  if (!effect) st.effect = 'Allow';
  else {
    const v = readValue(text, effect.expr);
    if (v.kind === 'string' && (v.value === 'Allow' || v.value === 'Deny')) st.effect = v.value;
    else if (v.kind === 'computed') computedEffect = v;
    else {
      r.problems.push(problemAt(effect.expr, 'invalid-policy', '"effect" must be "Allow" or "Deny"', 'error'));
      st.opaque = 'invalid effect';
    }
  }
  const kv = (name: string) => {
    const a = attrs.get(name);
    return a && { keyNode: a.name, value: readValue(text, a.expr) };
  };
  readActions(r, st, host, kv('actions'), kv('not_actions'), 'actions', 'not_actions', child(sb.node, 'identifier') ?? sb.node);
  if (computedEffect && computedEffect.kind === 'computed') notRefinable(r, st, computedEffect.node, `its effect is ${computedEffect.why}`);
  return st;
}

// --- heredoc JSON -------------------------------------------------------------------------------

/** A JSON document parsed from a slice of the text, moved to the slice's place (nodes, spans, problems) and given the whole text. */
function shiftDocument(doc: ParsedDocument, by: number, text: string): ParsedDocument {
  const moveNode = (n: JsonNode) => {
    (n as { offset: number }).offset += by;
    for (const c of n.children ?? []) moveNode(c);
  };
  if (doc.host) moveNode(doc.host as JsonNode);
  const moveSpan = (s: Span | undefined) => {
    if (s) s.offset += by;
  };
  for (const p of doc.policies) {
    moveSpan(p.span);
    moveSpan(p.statementKeySpan);
    for (const st of p.statements) {
      moveSpan(st.span);
      moveSpan(st.keySpan);
      for (const e of st.entries) moveSpan(e.span);
    }
  }
  for (const p of doc.problems) p.offset += by;
  return { ...doc, text };
}

/** The content of a heredoc: from the line after `<<EOF` to the start of the closing line. */
function heredocContent(text: string, h: HNode): [number, number] | undefined {
  const ids = h.children.filter((c) => c.type === 'heredoc_identifier');
  if (ids.length < 2 || ids[1].missing) return undefined;
  let start = ids[0].end;
  while (start < text.length && text[start] !== '\n') start++;
  start++;
  const end = lineStart(text, ids[1].start);
  return start <= end ? [start, end] : undefined;
}

function readHeredoc(r: Reading, h: HNode, label: string): PolicyModel[] {
  const text = r.text;
  const range = heredocContent(text, h);
  if (!range) return [];
  const [from, to] = range;
  const content = text.slice(from, to);
  if (!content.includes('"Statement"')) return [];
  // the heredoc's JSON read on its own, then moved to its offsets in the .tf file
  const doc = shiftDocument(parseJsonPolicies(content), from, text);
  const interpolated = h.children.some((c) => c.type === 'template_interpolation' || c.type === 'template_directive');
  const syntax = doc.problems.filter((p) => p.code === 'invalid-json');
  if (syntax.length && interpolated) {
    r.problems.push(problemAt(h, 'not-refinable', 'not refined: this heredoc policy is not plain JSON (it has `${...}` or `%{...}` outside a string), Terraform computes it', 'information'));
    return [];
  }
  for (const p of doc.problems) r.problems.push(p);
  const out: PolicyModel[] = [];
  for (const inner of doc.policies) {
    for (const st of inner.statements) {
      const computed = st.entries.find((e) => /[$%]\{/.test(e.value));
      if (computed && !st.opaque) {
        st.opaque = 'interpolated action';
        if (st.effect === 'Allow' && !st.principal && !st.suppressed)
          r.problems.push(problemAt(computed.span, 'not-refinable', `not refined: the action ${JSON.stringify(computed.value)} has a Terraform interpolation; this statement is left as it is`, 'information'));
      }
    }
    const p: PolicyModel = { ...inner, label: doc.policies.length > 1 ? `${label}.${inner.label}` : label, host: { kind: 'heredoc', doc, inner } satisfies HeredocPolicyHost };
    out.push(p);
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// role binding: which roles the code attaches each policy to, where their names are literal

/** A top-level block as the shared binding reads it (tfBinding.ts), its attributes indexed once. */
interface HclBindingBlock extends TfBlock<HNode> {
  info: BlockInfo;
}

function bindRoles(r: Reading, top: HNode | undefined): TfBindingPart {
  const text = r.text;
  const all: HclBindingBlock[] = blocks(top).map((b) => {
    const info = blockInfo(text, b);
    let attrs: ReturnType<typeof attributes> | undefined;
    return { info, type: info.type, labels: info.labels, attr: (name) => (attrs ??= attributes(text, info.body)).get(name)?.expr };
  });
  const byInfo = new Map(all.map((b) => [b.info.node, b]));
  const values: TfValues<HNode> = {
    literal: (v) => {
      const x = readValue(text, v);
      return x.kind === 'string' ? x.value : undefined;
    },
    reference: (v) => referencePath(text, v),
    items: (v) => {
      const x = readValue(text, v);
      return x.kind === 'tuple' ? x.items.map((i) => i.node) : undefined;
    },
  };
  const siteOf = (s: PolicySite): TfSite<HclBindingBlock> => ({ top: byInfo.get(s.top.node)!, nested: s.nested, attribute: s.attribute, ref: s.ref });
  /** Attributes that use a policy by reference (`data.aws_iam_policy_document.x.json`, `local.p`), in one pass; the file() policies. */
  const scan = () => {
    const uses: [string, TfSite<HclBindingBlock>][] = [];
    const visit = (topBlock: HclBindingBlock, nested: BlockInfo | undefined, body: HNode | undefined) => {
      for (const c of body?.children ?? []) {
        if (c.type === 'attribute') {
          const expr = child(c, 'expression');
          const path = expr && referencePath(text, expr);
          const key = path && referenceKey(path);
          if (key) uses.push([key, { top: topBlock, nested: nested?.type, attribute: textOf(text, child(c, 'identifier')!) }]);
        } else if (c.type === 'block') {
          const b = blockInfo(text, c);
          visit(topBlock, b, b.body);
        }
      }
    };
    for (const b of all) visit(b, undefined, b.info.body);
    const fileUses: TfFileUse[] = r.fileCalls.map((f) => ({ fn: f.fn, path: f.path, offset: f.offset, attach: siteAttach(values, siteOf(f.site)) }));
    return { uses, fileUses };
  };
  return bindTerraformRoles(all, values, r.policies, r.policies.map((p) => (r.sites.has(p) ? siteOf(r.sites.get(p)!) : undefined)), scan);
}

// ------------------------------------------------------------------------------------------------
// edits

const quote = (s: string) => JSON.stringify(s);
const isBlank = (s: string) => /^[ \t]*$/.test(s);

/** The end of the line holding `offset`, after its line break. */
function nextLineStart(text: string, offset: number): number {
  let i = offset;
  while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
  if (text[i] === '\r' && text[i + 1] === '\n') return i + 2;
  return i < text.length ? i + 1 : i;
}

/** The end of an item's trailing `,` (if any), after white space and comments on its line. */
function afterComma(text: string, item: HNode, tuple: HNode): { comma?: number; end: number } {
  const kids = tuple.children;
  const k = kids.indexOf(item);
  let comma: number | undefined;
  let end = item.end;
  for (let j = k + 1; j < kids.length; j++) {
    const c = kids[j];
    if (c.type === ',' && comma === undefined) {
      comma = c.start;
      end = c.end;
    } else break;
  }
  return { comma, end };
}

/** Whether the list's items each stand on their own lines (one-per-line style). */
function onePerLine(text: string, tuple: HNode, items: HNode[]): boolean {
  if (items.length === 0) return false;
  return items.every((it) => {
    if (!isBlank(text.slice(lineStart(text, it.start), it.start))) return false;
    const { end } = afterComma(text, it, tuple);
    const rest = text.slice(end, nextLineStart(text, end)).replace(/[\r\n]+$/, '');
    return /^[ \t]*((#|\/\/).*|\/\*.*\*\/[ \t]*)?$/.test(rest);
  });
}

/** The tuple node of a list value (expression > collection_value > tuple). */
function tupleOf(v: HValue): HNode {
  return named(named(v.node)[0])[0];
}

/** How inline items are separated: `, ` or `,`. */
function inlineSeparator(text: string, items: HNode[]): string {
  if (items.length > 1) {
    const between = text.slice(items[0].end, items[1].start);
    return /,\s/.test(between) ? ', ' : ',';
  }
  return ', ';
}

/**
 * Edits that remove or replace items of an HCL list. One-per-line lists lose whole lines and gain
 * lines at the item's indentation (trailing commas as the list has them); inline lists keep their
 * separators.
 */
function listEdits(text: string, eol: string, v: Extract<HValue, { kind: 'tuple' }>, fates: ('keep' | 'remove' | string[])[]): TextEdit[] {
  const tuple = tupleOf(v);
  const items = v.items.map((x) => x.node);
  const edits: TextEdit[] = [];
  if (onePerLine(text, tuple, items)) {
    const lastKept = fates.map((f) => f !== 'remove').lastIndexOf(true);
    const last = items.length - 1;
    items.forEach((it, i) => {
      const f = fates[i];
      if (f === 'keep') return;
      if (f === 'remove') {
        const { end } = afterComma(text, it, tuple);
        edits.push({ offset: lineStart(text, it.start), length: nextLineStart(text, end) - lineStart(text, it.start), newText: '' });
        return;
      }
      const sep = ',' + eol + lineIndent(text, it.start);
      edits.push({ offset: it.start, length: it.end - it.start, newText: f.map(quote).join(sep) });
    });
    // the last item had no trailing comma and is gone: the new last item loses its comma too
    if (lastKept < last && afterComma(text, items[last], tuple).comma === undefined) {
      const c = afterComma(text, items[lastKept], tuple).comma;
      if (c !== undefined) edits.push({ offset: c, length: 1, newText: '' });
    }
    return edits;
  }
  const sep = inlineSeparator(text, items);
  let lastKept = items.length - 1;
  while (lastKept >= 0 && fates[lastKept] === 'remove') lastKept--;
  if (lastKept < 0) throw new Error('listEdits: every item removed');
  items.forEach((it, i) => {
    const f = fates[i];
    if (f === 'keep') return;
    if (f === 'remove') {
      if (i < lastKept) edits.push({ offset: it.start, length: items[i + 1].start - it.start, newText: '' });
      return;
    }
    edits.push({ offset: it.start, length: it.end - it.start, newText: f.map(quote).join(sep) });
  });
  if (lastKept < items.length - 1) {
    const from = items[lastKept].end;
    const to = items[items.length - 1].end;
    edits.push({ offset: from, length: to - from, newText: '' });
  }
  return edits;
}

/** A new list written in place of a value: inline, or one item a line when `multiline` gives the indentation. */
function newList(items: string[], eol: string, multiline?: { indent: string; unit: string; trailing: boolean }): string {
  if (!multiline) return '[' + items.map(quote).join(', ') + ']';
  const inner = multiline.indent + multiline.unit;
  return '[' + eol + items.map((x) => inner + quote(x)).join(',' + eol) + (multiline.trailing ? ',' : '') + eol + multiline.indent + ']';
}

/** The first one-per-line tuple with several items under a node: the style a new list follows (with its trailing-comma habit). */
function multilineStyle(text: string, under: HNode): { trailing: boolean } | undefined {
  let found: { trailing: boolean } | undefined;
  const visit = (n: HNode) => {
    if (found) return;
    if (n.type === 'tuple') {
      const items = n.children.filter((c) => c.type === 'expression');
      if (items.length > 1 && onePerLine(text, n, items)) {
        found = { trailing: afterComma(text, items[items.length - 1], n).comma !== undefined };
        return;
      }
    }
    for (const c of n.children) visit(c);
  };
  visit(under);
  return found;
}

/** A key renamed (Action -> NotAction, actions -> not_actions), eating padding before `=` so that the `=` column stays. */
function renameKey(text: string, keyNode: HNode, newKey: string): TextEdit {
  const old = textOf(text, keyNode);
  const quoted = old.startsWith('"');
  const written = quoted ? quote(newKey) : newKey;
  let ws = keyNode.end;
  while (text[ws] === ' ') ws++;
  const pad = ws - keyNode.end;
  const grow = written.length - old.length;
  if (text[ws] === '=' || text[ws] === ':') {
    const keep = Math.max(1, pad - grow);
    if (pad > 0) return { offset: keyNode.start, length: ws - keyNode.start, newText: written + ' '.repeat(keep) };
  }
  return { offset: keyNode.start, length: keyNode.end - keyNode.start, newText: written };
}

/** The removal of a whole `statement { ... }` block with its line (and one blank line next to it, not two left). */
function removeBlock(text: string, b: { start: number; end: number }): TextEdit {
  const ls = lineStart(text, b.start);
  const nl = nextLineStart(text, b.end);
  const ownLine = isBlank(text.slice(ls, b.start)) && isBlank(text.slice(b.end, nl).replace(/[\r\n]+$/, ''));
  if (!ownLine) return { offset: b.start, length: b.end - b.start, newText: '' };
  let from = ls;
  let to = nl;
  // the previous line, without its line break (\n, \r\n or \r)
  let prevEnd = ls;
  if (text[prevEnd - 1] === '\n') prevEnd--;
  if (text[prevEnd - 1] === '\r') prevEnd--;
  const prevStart = ls > 0 ? lineStart(text, prevEnd) : -1;
  const prevBlank = prevStart >= 0 && isBlank(text.slice(prevStart, prevEnd));
  const after = text.slice(nl, nextLineStart(text, nl));
  const nextBlank = nl < text.length && isBlank(after.replace(/[\r\n]+$/, ''));
  const nextClosing = /^[ \t]*}/.test(after);
  if (prevBlank && (nextBlank || nextClosing)) from = prevStart;
  else if (nextBlank && !prevBlank) to = nextLineStart(text, nl);
  return { offset: from, length: to - from, newText: '' };
}

/**
 * The removal of several statement blocks: blocks with only white space between them go as one
 * run (so that the blank lines around a run are handled once); overlapping removals are merged.
 */
function removeBlocks(text: string, nodes: HNode[]): TextEdit[] {
  const sorted = [...nodes].sort((a, b) => a.start - b.start);
  const runs: { start: number; end: number }[] = [];
  for (const n of sorted) {
    const last = runs[runs.length - 1];
    if (last && /^\s*$/.test(text.slice(last.end, n.start))) last.end = n.end;
    else runs.push({ start: n.start, end: n.end });
  }
  const out: TextEdit[] = [];
  for (const e of runs.map((r) => removeBlock(text, r))) {
    const last = out[out.length - 1];
    if (last && e.offset <= last.offset + last.length) last.length = Math.max(last.offset + last.length, e.offset + e.length) - last.offset;
    else out.push({ ...e });
  }
  return out;
}

/** A plan on a policy handed out again (`carriedOver`): the same plan on the policy read from the current tree, statement for statement. */
function uncarried(pp: PolicyPlan): PolicyPlan {
  const h = pp.policy.host as CarriedHost | undefined;
  if (h?.kind !== 'carried') return pp;
  const policy = h.resolve();
  return { ...pp, policy, statements: pp.statements.map((sp) => ({ ...sp, model: policy.statements[sp.statement] })) };
}

function terraformEdits(doc: ParsedDocument, plans: PolicyPlan[]): TextEdit[] {
  const text = doc.text;
  const layout = documentLayout(text);
  const eol = layout.eol;
  const edits: TextEdit[] = [];
  for (const given of plans) {
    const pp = uncarried(given);
    const ph = pp.policy.host as HclPolicyHost | HeredocPolicyHost;
    if (ph.kind === 'heredoc') {
      edits.push(...jsonFormat.edits(ph.doc, [{ ...pp, policy: ph.inner }]));
      continue;
    }
    const removed = pp.statements.filter((s) => s.change.kind === 'remove');
    if (removed.length) {
      if (ph.kind === 'document') edits.push(...removeBlocks(text, removed.map((sp) => (sp.model.host as HclStatementHost).node)));
      else if (ph.list?.kind === 'tuple') {
        const gone = new Set(removed.map((s) => s.model.index));
        edits.push(...listEdits(text, eol, ph.list, ph.list.items.map((_, i) => (gone.has(i) ? 'remove' : 'keep'))));
      }
    }
    for (const sp of pp.statements) {
      const c = sp.change;
      if (c.kind === 'none' || c.kind === 'remove') continue;
      const h = sp.model.host as HclStatementHost;
      const v = h.value!;
      const keyNode = h.keyNode!;
      const stInline = !/[\r\n]/.test(textOf(text, h.node));
      /** The style of a list written where a string was: one-per-line when the surrounding code has such lists. */
      const fresh = (items: string[]) => {
        const style = stInline ? undefined : multilineStyle(text, h.container ?? h.node);
        return newList(items, eol, style && { indent: lineIndent(text, keyNode.start), unit: layout.unit, trailing: style.trailing });
      };
      if (c.kind === 'entries') {
        if (v.kind === 'string') {
          const f: EntryFate = c.fates[0];
          if (f.kind === 'replace') edits.push({ offset: v.node.start, length: v.node.end - v.node.start, newText: f.patterns.length === 1 ? quote(f.patterns[0]) : fresh(f.patterns) });
        } else if (v.kind === 'tuple') edits.push(...listEdits(text, eol, v, entryFates(c.fates)));
      } else if (c.kind === 'to-not-action') {
        edits.push(renameKey(text, keyNode, h.kind === 'block' ? 'not_actions' : 'NotAction'));
        let value: string;
        if (v.kind === 'tuple' && onePerLine(text, tupleOf(v), v.items.map((x) => x.node))) {
          const items = v.items.map((x) => x.node);
          const tuple = tupleOf(v);
          const trailing = afterComma(text, items[items.length - 1], tuple).comma !== undefined;
          const close = tuple.children[tuple.children.length - 1];
          value = newList(c.patterns, eol, { indent: lineIndent(text, close.start), unit: lineIndent(text, items[0].start).slice(lineIndent(text, close.start).length) || layout.unit, trailing });
        } else if (v.kind === 'tuple' || h.kind === 'block') value = newList(c.patterns, eol);
        else value = c.patterns.length === 1 ? quote(c.patterns[0]) : fresh(c.patterns);
        edits.push({ offset: v.node.start, length: v.node.end - v.node.start, newText: value });
      } else if (c.kind === 'extend-not-action') {
        if (v.kind === 'string') {
          const all = fresh([sp.model.entries[0].value, ...c.patterns]);
          edits.push({ offset: v.node.start, length: v.node.end - v.node.start, newText: all.replace(quote(sp.model.entries[0].value), textOf(text, v.node)) });
        } else if (v.kind === 'tuple') {
          const items = v.items.map((x) => x.node);
          const tuple = tupleOf(v);
          const last = items[items.length - 1];
          if (onePerLine(text, tuple, items)) {
            const { comma, end } = afterComma(text, last, tuple);
            const ind = lineIndent(text, last.start);
            if (comma !== undefined) {
              const at = nextLineStart(text, end);
              edits.push({ offset: at, length: 0, newText: c.patterns.map((x) => ind + quote(x) + ',' + eol).join('') });
            } else edits.push({ offset: last.end, length: 0, newText: c.patterns.map((x) => ',' + eol + ind + quote(x)).join('') });
          } else {
            const sep = inlineSeparator(text, items);
            edits.push({ offset: last.end, length: 0, newText: sep + c.patterns.map(quote).join(sep) });
          }
        }
      }
    }
  }
  return edits;
}
