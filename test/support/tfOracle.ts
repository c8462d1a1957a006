/**
 * The independent reading of Terraform for the property tests: HashiCorp's own HCL parser
 * (hclsyntax, compiled to WASM in @cdktf/hcl2json) reads the file; a `jsonencode(...)` argument is
 * evaluated from hclsyntax's expression tree, a heredoc's JSON with JSON.parse, a policy document's
 * statement blocks from their converted attributes. Nothing here uses the locator
 * (server/src/core/formats/terraform.ts) or tree-sitter.
 *
 * `checkTerraform` refines a rendered file with the engine and lists every way the result differs
 * from the rule: exactness per statement, nothing granted, leastness of every written pattern,
 * edits only inside the changed lists (byte-identical elsewhere), the output still valid HCL, and
 * idempotence.
 */
import { parse as hclParse, getExpressionAst } from '@cdktf/hcl2json';
import { parseTree, Node } from 'jsonc-parser';
import { Catalog, Finding, RefineResult, parsePolicyDocument } from '../../server/src/core';
import { RefUniverse, checkEditZones, checkIdempotent, checkPlan, checkRefinedStatement, refApplyEdits, refFindingNames, refUnused, runEngine } from './oracle';
import { Rendered } from './tfRender';

export interface TfStatement {
  effect?: string;
  key?: 'Action' | 'NotAction';
  values: string[];
  principal: boolean;
  opaque: boolean;
  /** Everything but the actions, as canonical JSON. */
  rest: string;
}

export interface TfPolicy {
  where: string;
  statements: TfStatement[];
}

// --- hclsyntax expression trees -> values ------------------------------------------------------

interface Ast {
  type: string;
  meta?: { type?: string; value?: string; name?: string };
  range: { start: { byte: number }; end: { byte: number } };
  children: Ast[];
}

const COMPUTED = Symbol('computed');

function unescape(raw: string): string {
  return JSON.parse('"' + raw.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{') + '"');
}

function evalAst(src: string, n: Ast): unknown {
  switch (n.type) {
    case 'literalValue':
      if (n.meta?.type === 'string') return unescape(n.meta.value ?? '');
      if (n.meta?.type === 'number') return Number(n.meta.value);
      if (n.meta?.type === 'bool') return n.meta.value === 'true';
      return null;
    case 'template':
      return n.children.length === 1 && n.children[0].type === 'literalValue' ? evalAst(src, n.children[0]) : n.children.length === 0 ? '' : COMPUTED;
    case 'tuple':
      return n.children.map((c) => evalAst(src, c));
    case 'object': {
      const o: Record<string, unknown> = {};
      for (let i = 0; i + 1 < n.children.length; i += 2) {
        const k = n.children[i];
        const key = k.children.length ? evalAst(src, k.children[0]) : src.slice(k.range.start.byte, k.range.end.byte);
        o[String(key)] = evalAst(src, n.children[i + 1]);
      }
      return o;
    }
    default:
      return COMPUTED;
  }
}

/** How a statement object is spelled: policy JSON (`Effect`, `Action`, …) or a policy document block (`effect`, `actions`, …). */
export interface StatementSpelling {
  effect: string;
  action: string;
  notAction: string;
  principals: string[];
  /** The effect when none is given (a policy document block: Allow). */
  defaultEffect?: string;
  /** A single string is a list of one (policy JSON). */
  single: boolean;
  /** Whether the key is given (hcl2json: not undefined; JSON.parse: present). */
  has(r: Record<string, unknown>, key: string): boolean;
  /** An entry that makes the list unreadable (values not kept). */
  reject(x: string): boolean;
  /** An entry that makes the statement opaque (values kept). */
  opaqueIf(x: string): boolean;
}

export const POLICY_JSON: Omit<StatementSpelling, 'has' | 'reject' | 'opaqueIf'> = { effect: 'Effect', action: 'Action', notAction: 'NotAction', principals: ['Principal', 'NotPrincipal'], single: true };
export const DOCUMENT_BLOCK: Omit<StatementSpelling, 'has' | 'reject' | 'opaqueIf'> = { effect: 'effect', action: 'actions', notAction: 'not_actions', principals: ['principals', 'not_principals'], defaultEffect: 'Allow', single: false };

/** A statement object read by the rules of IAM (and of aws_iam_policy_document), whatever the reader that produced it. */
export function readStatementObject(o: unknown, sp: StatementSpelling): TfStatement {
  if (!o || typeof o !== 'object' || Array.isArray(o)) return { values: [], principal: false, opaque: true, rest: JSON.stringify(o ?? null) };
  const r = o as Record<string, unknown>;
  const st: TfStatement = { values: [], principal: sp.principals.some((k) => k in r), opaque: false, rest: '' };
  const eff = r[sp.effect];
  st.effect = eff === undefined && sp.defaultEffect ? sp.defaultEffect : typeof eff === 'string' ? eff : undefined;
  if (st.effect !== 'Allow' && st.effect !== 'Deny') st.opaque = true;
  const hasA = sp.has(r, sp.action);
  if (hasA === sp.has(r, sp.notAction)) st.opaque = true;
  st.key = hasA ? 'Action' : 'NotAction';
  const v = r[hasA ? sp.action : sp.notAction];
  if (sp.single && typeof v === 'string') st.values = [v];
  else if (Array.isArray(v) && v.length && v.every((x) => typeof x === 'string' && !sp.reject(x))) st.values = v as string[];
  else st.opaque = true;
  if (st.values.some(sp.opaqueIf)) st.opaque = true;
  const rest = { ...r };
  delete rest[sp.action];
  delete rest[sp.notAction];
  st.rest = JSON.stringify(rest);
  return st;
}

const given = (r: Record<string, unknown>, k: string) => r[k] !== undefined;
const never = () => false;

function statementOf(o: unknown): TfStatement {
  return readStatementObject(o, { ...POLICY_JSON, has: given, reject: never, opaqueIf: never });
}

function statementsOf(policy: unknown): TfStatement[] {
  const s = (policy as { Statement?: unknown })?.Statement;
  return (Array.isArray(s) ? s : [s]).map(statementOf);
}

/** A policy document's statement blocks, as hcl2json converts them. */
function documentStatements(blocks: Record<string, unknown>[]): TfStatement[] {
  return blocks.map((b) => readStatementObject(b, { ...DOCUMENT_BLOCK, has: given, reject: (x) => x.includes('${'), opaqueIf: never }));
}

/** The identity policies of a .tf file, read by hclsyntax. Throws when the file is not valid HCL. */
export async function readTerraform(text: string): Promise<TfPolicy[]> {
  const j = (await hclParse('main.tf', text)) as Record<string, Record<string, Record<string, Record<string, unknown>[]>>>;
  const out: TfPolicy[] = [];
  for (const [type, byName] of Object.entries(j.data ?? {}))
    for (const [name, [body]] of Object.entries(byName)) {
      if (type !== 'aws_iam_policy_document') continue;
      out.push({ where: `data.${type}.${name}`, statements: documentStatements((body.statement as Record<string, unknown>[]) ?? []) });
    }
  for (const [type, byName] of Object.entries(j.resource ?? {}))
    for (const [name, [body]] of Object.entries(byName)) {
      const p = body.policy;
      if (typeof p !== 'string' || !p.includes('Statement')) continue;
      const where = `${type}.${name}`;
      const m = /^\$\{(jsonencode\([\s\S]*\))\}$/.exec(p);
      if (m) {
        const ast = (await getExpressionAst('main.tf', m[1])) as Ast | null;
        if (!ast || ast.type !== 'function' || ast.children.length !== 1) throw new Error(`${where}: not a jsonencode call`);
        out.push({ where, statements: statementsOf(evalAst(m[1], ast.children[0])) });
      } else out.push({ where, statements: statementsOf(JSON.parse(p)) });
    }
  return out;
}

// --- the check ----------------------------------------------------------------------------------

export interface TfReport {
  problems: string[];
  outcome: 'refined' | 'nothing-left' | 'threw';
  result?: RefineResult;
  stats: { changed: number; removed: number; notAction: number; written: number };
}

/** Zones an edit may touch: the action lists of touched statements, the regions of removed ones. */
function editZones(r: Rendered, touched: boolean[], removed: boolean[], star: boolean[]): [number, number][] {
  const zones: [number, number][] = [];
  if (r.form === 'heredoc') {
    // the JSON's own nodes, read by jsonc-parser from the heredoc's text
    const content = r.text.slice(r.list[0], r.list[1]);
    const root = parseTree(content);
    const prop = (o: Node | undefined, k: string) => o?.children?.find((p) => p.children?.[0]?.value === k);
    const sv = prop(root, 'Statement')?.children?.[1];
    const nodes = sv?.type === 'array' ? sv.children ?? [] : sv ? [sv] : [];
    nodes.forEach((n, i) => {
      const base = r.list[0];
      if (removed[i]) zones.push([base + (i > 0 ? nodes[i - 1].offset + nodes[i - 1].length : n.offset), base + (i < nodes.length - 1 ? nodes[i + 1].offset : n.offset + n.length)]);
      else if (touched[i]) {
        const p = prop(n, 'Action') ?? prop(n, 'NotAction');
        if (p) zones.push([base + p.offset, base + p.offset + p.length]);
      }
    });
    return zones;
  }
  r.zones.forEach((z, i) => {
    if (removed[i]) zones.push([i > 0 ? r.zones[i - 1].statement[1] : r.list[0], i < r.zones.length - 1 ? r.zones[i + 1].statement[0] : r.list[1]]);
    else if (touched[i] && z.actions) zones.push(z.actions);
    void star;
  });
  return zones;
}

/** Refines a rendered Terraform file with the engine and checks the result against the rule. */
/**
 * How the check reads a dialect of Terraform: HCL by default (hclsyntax, `main.tf`); Terraform's JSON
 * syntax brings its own reader, file name, zones and literal decoding (test/support/tfJsonOracle.ts).
 */
export interface TfDialect {
  read(text: string): Promise<TfPolicy[]>;
  fileName: string;
  zones(r: Rendered, touched: boolean[], removed: boolean[], star: boolean[]): [number, number][];
  /** The value a literal's source text (an entry's span) stands for. */
  literal(source: string): unknown;
}

const HCL: TfDialect = { read: readTerraform, fileName: 'main.tf', zones: editZones, literal: (s) => JSON.parse(s) };

export async function checkTerraform(catalog: Catalog, r: Rendered, findings: Finding[], opts: { roles?: string[]; dialect?: TfDialect } = {}): Promise<TfReport> {
  const dialect = opts.dialect ?? HCL;
  const problems: string[] = [];
  const stats = { changed: 0, removed: 0, notAction: 0, written: 0 };
  const report = (outcome: TfReport['outcome'], result?: RefineResult): TfReport => ({ problems, outcome, stats, result });
  let policies: TfPolicy[];
  try {
    policies = await dialect.read(r.text);
  } catch (e) {
    problems.push(`the rendered input is not valid HCL (a renderer bug): ${(e as Error).message}`);
    return report('threw');
  }
  if (policies.length !== 1) {
    problems.push(`the oracle found ${policies.length} policies, expected 1`);
    return report('threw');
  }
  const ost = policies[0].statements;
  const ru = new RefUniverse(catalog, [...refFindingNames(findings), ...ost.flatMap((s) => s.values)]);
  const unused = refUnused(findings, ru, opts.roles);

  const doc = parsePolicyDocument(r.text, dialect.fileName);
  if (doc.problems.some((p) => p.code === 'invalid-syntax')) problems.push(`the engine's parser reports a syntax error in valid HCL: ${JSON.stringify(doc.problems)}`);
  if (doc.policies.length !== 1) {
    problems.push(`the locator found ${doc.policies.length} policies`);
    return report('threw');
  }
  const found = doc.policies[0].statements;
  if (found.length !== ost.length) problems.push(`the locator found ${found.length} statements, the oracle ${ost.length}`);
  found.forEach((s, i) => {
    const o = ost[i];
    if (!o) return;
    if (!o.opaque && (JSON.stringify(s.entries.map((e) => e.value)) !== JSON.stringify(o.values) || s.key !== o.key || s.effect !== o.effect)) problems.push(`statement ${i + 1}: the locator read ${s.effect} ${s.key} ${JSON.stringify(s.entries.map((e) => e.value))}, the oracle ${o.effect} ${o.key} ${JSON.stringify(o.values)}`);
    // every entry's span holds its literal, quotes included
    for (const e of s.entries) if (dialect.literal(r.text.slice(e.span.offset, e.span.offset + e.span.length)) !== e.value) problems.push(`statement ${i + 1}: span of ${e.value} is ${JSON.stringify(r.text.slice(e.span.offset, e.span.offset + e.span.length))}`);
  });
  const run = runEngine(catalog, doc, findings, ru, ost, unused, opts, problems, stats);
  if (run.outcome !== 'refined') return report(run.outcome);
  const { before, survivors, result } = run;
  const out = result.text;
  try {
    if (refApplyEdits(r.text, result.edits) !== out) problems.push('result.text is not the input with result.edits applied');
  } catch (e) {
    problems.push(`edits: ${(e as Error).message}`);
  }

  // edits only inside the changed lists and removed statements: byte-identical elsewhere
  checkEditZones(result.edits, dialect.zones(r, before.map((b) => b.touched), before.map((b) => b.removed), before.map((b) => b.star)), problems);
  if (out.includes('\r\n') !== r.text.includes('\r\n') || (r.text.includes('\r\n') && /[^\r]\n/.test(out))) problems.push('line endings changed');

  // the output, read again by hclsyntax
  let after: TfPolicy[];
  try {
    after = await dialect.read(out);
  } catch (e) {
    problems.push(`the output is not valid HCL: ${(e as Error).message}`);
    return report('threw', result);
  }
  const nst = after[0]?.statements ?? [];
  if (nst.length !== survivors.length) problems.push(`expected ${survivors.length} statements, found ${nst.length}`);
  else
    survivors.forEach((b, k) => {
      const n = nst[k];
      const where = `statement ${before.indexOf(b) + 1}`;
      if (n.rest !== b.st.rest) problems.push(`${where}: a field other than its actions changed`);
      if (!b.touched) {
        if (JSON.stringify(n.values) !== JSON.stringify(b.st.values) || n.key !== b.st.key) problems.push(`${where}: untouched statement changed`);
        return;
      }
      checkRefinedStatement(ru, n, b, where, problems, stats);
    });

  // leastness: every refined entry's patterns are its least-general cover
  (result.plans[0]?.statements ?? []).forEach((sp, s) => checkPlan(ru, unused, sp.change, before[s], `statement ${s + 1}`, problems, stats));

  // idempotence
  if (problems.length === 0) checkIdempotent(catalog, out, dialect.fileName, findings, opts.roles, problems);
  return report('refined', result);
}
