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
import { Catalog, Finding, NothingLeftError, RefineResult, parsePolicyDocument, refineDocument, resolveUnused } from '../../server/src/core';
import { RefUniverse, engineUniverse, refApplyEdits, refCover, refFindingNames, refLiteralPrefix, refUnused } from './oracle';
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

function statementOf(o: unknown): TfStatement {
  if (!o || typeof o !== 'object' || Array.isArray(o)) return { values: [], principal: false, opaque: true, rest: JSON.stringify(o ?? null) };
  const r = o as Record<string, unknown>;
  const st: TfStatement = { values: [], principal: 'Principal' in r || 'NotPrincipal' in r, opaque: false, rest: '' };
  st.effect = typeof r.Effect === 'string' ? r.Effect : undefined;
  if (st.effect !== 'Allow' && st.effect !== 'Deny') st.opaque = true;
  const a = r.Action;
  const na = r.NotAction;
  if ((a === undefined) === (na === undefined)) st.opaque = true;
  st.key = a !== undefined ? 'Action' : 'NotAction';
  const v = a ?? na;
  if (typeof v === 'string') st.values = [v];
  else if (Array.isArray(v) && v.length && v.every((x) => typeof x === 'string')) st.values = v as string[];
  else st.opaque = true;
  const rest = { ...r };
  delete rest.Action;
  delete rest.NotAction;
  st.rest = JSON.stringify(rest);
  return st;
}

function statementsOf(policy: unknown): TfStatement[] {
  const s = (policy as { Statement?: unknown })?.Statement;
  return (Array.isArray(s) ? s : [s]).map(statementOf);
}

/** A policy document's statement blocks, as hcl2json converts them. */
function documentStatements(blocks: Record<string, unknown>[]): TfStatement[] {
  return blocks.map((b) => {
    const st: TfStatement = { values: [], principal: 'principals' in b || 'not_principals' in b, opaque: false, rest: '' };
    st.effect = b.effect === undefined ? 'Allow' : typeof b.effect === 'string' ? b.effect : undefined;
    if (st.effect !== 'Allow' && st.effect !== 'Deny') st.opaque = true;
    const a = b.actions;
    const na = b.not_actions;
    if ((a === undefined) === (na === undefined)) st.opaque = true;
    st.key = a !== undefined ? 'Action' : 'NotAction';
    const v = a ?? na;
    if (Array.isArray(v) && v.length && v.every((x) => typeof x === 'string' && !x.includes('${'))) st.values = v as string[];
    else st.opaque = true;
    const rest = { ...b };
    delete rest.actions;
    delete rest.not_actions;
    st.rest = JSON.stringify(rest);
    return st;
  });
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

const same = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));

function allowsOf(ru: RefUniverse, st: TfStatement): Set<string> {
  const named = new Set<string>();
  for (const v of st.values) for (const n of ru.expand(v)) named.add(n);
  if (st.key === 'Action') return named;
  return new Set(ru.all.filter((n) => !named.has(n)));
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
  const u = engineUniverse(catalog, doc, findings);
  if (u.size !== ru.size) problems.push(`universe: engine ${u.size}, oracle ${ru.size}`);
  const engineUnused = resolveUnused(findings, u, opts.roles).indexes;
  if (!same(new Set([...engineUnused].map((i) => u.lower[i])), unused)) problems.push('unused sets differ');
  if (problems.length) return report('threw');

  // what must happen, statement by statement
  const before = ost.map((st) => {
    const changeable = !st.opaque && !st.principal && st.effect === 'Allow';
    const allowed = changeable ? allowsOf(ru, st) : new Set<string>();
    const star = st.key === 'Action' && st.values.includes('*');
    let after: Set<string>;
    let touched: boolean;
    if (st.key === 'Action' && !star) {
      after = new Set<string>();
      touched = false;
      for (const v of st.values)
        for (const n of ru.expand(v)) {
          if (!unused.has(n)) after.add(n);
          else touched = true;
        }
      if (!changeable) {
        after.clear();
        touched = false;
      }
    } else {
      after = new Set([...allowed].filter((n) => !unused.has(n)));
      touched = after.size !== allowed.size;
    }
    const kept = st.key === 'Action' && !star && st.values.some((v) => ru.expand(v).length === 0);
    const removed = touched && after.size === 0 && !kept;
    return { st, allowed, after, touched, removed, star };
  });
  const survivors = before.filter((b) => !b.removed);
  stats.changed = before.filter((b) => b.touched && !b.removed).length;
  stats.removed = before.length - survivors.length;

  let result: RefineResult;
  try {
    result = refineDocument({ universe: u, unused: engineUnused }, doc);
  } catch (e) {
    if (e instanceof NothingLeftError && ost.length > 0 && survivors.length === 0) return report('nothing-left');
    problems.push(`the engine threw: ${(e as Error).message}`);
    return report('threw');
  }
  if (survivors.length === 0 && ost.length > 0) problems.push('every statement is unused but the engine did not throw NothingLeftError');
  const out = result.text;
  try {
    if (refApplyEdits(r.text, result.edits) !== out) problems.push('result.text is not the input with result.edits applied');
  } catch (e) {
    problems.push(`edits: ${(e as Error).message}`);
  }

  // edits only inside the changed lists and removed statements: byte-identical elsewhere
  const zones: [number, number][] = [];
  for (const z of dialect.zones(r, before.map((b) => b.touched), before.map((b) => b.removed), before.map((b) => b.star)).sort((a, b) => a[0] - b[0])) {
    const last = zones[zones.length - 1];
    if (last && z[0] <= last[1]) last[1] = Math.max(last[1], z[1]);
    else zones.push([z[0], z[1]]);
  }
  for (const e of result.edits) if (!zones.some(([a, z]) => e.offset >= a && e.offset + e.length <= z)) problems.push(`an edit at ${e.offset}+${e.length} (${JSON.stringify(e.newText.slice(0, 40))}) lies outside every changed action list and removed statement`);
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
      const wantKey = b.star ? 'NotAction' : b.st.key;
      if (n.key !== wantKey) problems.push(`${where}: key ${n.key}, expected ${wantKey}`);
      if (n.opaque) problems.push(`${where}: the output statement is not well-formed`);
      if (n.key === 'NotAction') stats.notAction++;
      const got = allowsOf(ru, n);
      if (!same(got, b.after)) {
        const extra = [...got].filter((x) => !b.after.has(x));
        const missing = [...b.after].filter((x) => !got.has(x));
        problems.push(`${where}: allows ${extra.length} extra [${extra.slice(0, 3)}], misses ${missing.length} [${missing.slice(0, 3)}]`);
      }
    });

  // leastness: every refined entry's patterns are its least-general cover
  const lower = (l: string[]) => new Set(l.map((x) => x.toLowerCase()));
  (result.plans[0]?.statements ?? []).forEach((sp, s) => {
    const b = before[s];
    const where = `statement ${s + 1}`;
    const c = sp.change;
    if (c.kind === 'none' && b.touched) problems.push(`${where}: planned no change`);
    if (c.kind === 'remove' && !b.removed) problems.push(`${where}: planned a removal`);
    if (c.kind !== 'none' && !b.touched) problems.push(`${where}: planned ${c.kind} with nothing unused`);
    if (c.kind === 'entries') {
      const written = new Set(b.st.values.map((v) => v.toLowerCase()));
      c.fates.forEach((f, k) => {
        const value = b.st.values[k];
        const allowed = ru.expand(value);
        const allowedSet = new Set(allowed);
        const members = allowed.filter((n) => !unused.has(n));
        if (members.length === allowed.length) {
          if (f.kind !== 'keep') problems.push(`${where}, "${value}": ${f.kind}, expected keep`);
          return;
        }
        if (members.length === 0) {
          if (f.kind !== 'remove') problems.push(`${where}, "${value}": ${f.kind}, expected remove`);
          return;
        }
        const want = refCover(ru, members, (n) => allowedSet.has(n) && !unused.has(n), refLiteralPrefix(value));
        for (const x of written) want.delete(x);
        for (const x of want) written.add(x);
        const got = f.kind === 'replace' ? f.patterns : [];
        stats.written += got.length;
        if (want.size === 0 ? f.kind !== 'remove' : f.kind !== 'replace' || !same(lower(got), want)) problems.push(`${where}, "${value}": wrote [${got.join(', ')}], the least-general cover is [${[...want].join(', ')}]`);
      });
    } else if (c.kind === 'to-not-action' || c.kind === 'extend-not-action') {
      const excluded = c.kind === 'to-not-action' ? new Set<string>() : new Set(b.st.values.flatMap((v) => ru.expand(v)));
      const want = refCover(ru, [...unused].filter((n) => !excluded.has(n)), (n) => unused.has(n) || excluded.has(n), '');
      stats.written += c.patterns.length;
      if (!same(lower(c.patterns), want)) problems.push(`${where}: NotAction gained ${c.patterns.length} patterns, the least-general cover has ${want.size}`);
    }
  });

  // idempotence
  if (problems.length === 0) {
    const doc2 = parsePolicyDocument(out, dialect.fileName);
    const u2 = engineUniverse(catalog, doc2, findings);
    try {
      const r2 = refineDocument({ universe: u2, unused: resolveUnused(findings, u2, opts.roles).indexes }, doc2);
      if (r2.edits.length) problems.push(`not idempotent: ${r2.edits.length} more edits (${r2.edits.map((e) => JSON.stringify(e.newText.slice(0, 30))).join(', ')})`);
    } catch (e) {
      problems.push(`not idempotent: refining the output again threw ${(e as Error).message}`);
    }
  }
  return report('refined', result);
}
