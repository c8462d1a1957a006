/**
 * An independent oracle for the refinement engine, written from the rule
 * (/work/shared/mission/least-general-refinement.md), not from the engine's code:
 *
 * - its own word splitter (a character loop, not words.ts's regular expression);
 * - its own universe (a list of names bucketed by service, not Universe's sorted index ranges);
 * - its own pattern expander (one plain RegExp per pattern, tested over the names);
 * - its own policy reader (jsonc-parser's tree, not policy.ts);
 * - its own least-general cover (per member, per word boundary, by scanning the names under a prefix).
 *
 * `refineAndCheck` runs the engine on a policy text and a findings list, and returns every way the
 * result differs from what the rule requires (an empty list when it is exact).
 */
import { Node, ParseError, createScanner, getNodeValue, parseTree, SyntaxKind } from 'jsonc-parser';
import {
  Catalog,
  Finding,
  NothingLeftError,
  ParsedDocument,
  RefineResult,
  Scope,
  StatementChange,
  TextEdit,
  Universe,
  documentActionNames,
  findingActionNames,
  parsePolicyDocument,
  refineDocument,
  resolveUnused,
  universeFor,
} from '../../server/src/core';

// ---------------------------------------------------------------------------------------------
// Words (the rule's step 1)

const isUpper = (c: string) => c >= 'A' && c <= 'Z';
const isLowerLetter = (c: string) => c >= 'a' && c <= 'z';
const isDigit = (c: string) => c >= '0' && c <= '9';
const isLowerOrDigit = (c: string) => isLowerLetter(c) || isDigit(c);

/**
 * An uppercase letter followed by lowercase letters or digits; a run of capitals not followed by a
 * lowercase letter (an acronym); a run of lowercase letters or digits; any other character alone.
 */
export function refSplitWords(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    let j = i + 1;
    if (isUpper(c)) {
      if (j < s.length && isLowerOrDigit(s[j])) {
        while (j < s.length && isLowerOrDigit(s[j])) j++;
      } else {
        while (j < s.length && isUpper(s[j])) j++;
        // the last capital of a run that a lowercase letter follows starts the next word
        if (j < s.length && isLowerLetter(s[j])) j--;
      }
    } else if (isLowerOrDigit(c)) {
      while (j < s.length && isLowerOrDigit(s[j])) j++;
    }
    out.push(s.slice(i, j));
    i = j;
  }
  return out;
}

/** Offsets at which a word of `service:Action` ends; the service and its colon are one token. */
export function refBoundaries(full: string): number[] {
  const colon = full.indexOf(':');
  let at = colon + 1;
  const out = [at];
  for (const w of refSplitWords(full.slice(at))) out.push((at += w.length));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Patterns

const hasWildcard = (p: string) => /[*?]/.test(p);

export function globRegExp(pattern: string): RegExp {
  let src = '';
  // each run of wildcards becomes one quantifier: `?*?*` is `[\s\S]{2,}` (the same language, and
  // no adjacent quantifiers for the regex engine to backtrack over: hostile patterns stay testable)
  for (const run of pattern.match(/[*?]+|[^*?]+/g) ?? []) {
    if (/^[*?]/.test(run)) {
      const q = run.replace(/\*/g, '').length;
      src += run.includes('*') ? `[\\s\\S]{${q},}` : `[\\s\\S]{${q}}`;
    } else src += run.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, 'i');
}

/** Text before the first wildcard, lower-cased. */
export function refLiteralPrefix(pattern: string): string {
  const m = /^[^*?]*/.exec(pattern)!;
  return m[0].toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// Universe

interface RefBase {
  canonical: Map<string, string>;
  byService: Map<string, string[]>;
  all: string[];
}

const bases = new WeakMap<Catalog, RefBase>();

function refBase(catalog: Catalog): RefBase {
  let b = bases.get(catalog);
  if (!b) {
    b = { canonical: new Map(), byService: new Map(), all: [] };
    for (const [prefix, svc] of catalog.services) {
      const bucket: string[] = [];
      for (const a of svc.actions) {
        const name = `${prefix}:${a}`;
        const l = name.toLowerCase();
        if (b.canonical.has(l)) continue;
        b.canonical.set(l, name);
        bucket.push(l);
        b.all.push(l);
      }
      if (bucket.length) b.byService.set(prefix.toLowerCase(), bucket);
    }
    bases.set(catalog, b);
  }
  return b;
}

/** The catalog's names plus the extras (findings' and policy's literal names), bucketed by service. */
export class RefUniverse {
  private readonly base: RefBase;
  /** lower-case extra -> its first spelling */
  private readonly extraNames = new Map<string, string>();
  private readonly extraBuckets = new Map<string, string[]>();
  readonly all: string[];
  readonly extras: string[] = [];

  constructor(catalog: Catalog, extras: Iterable<string> = []) {
    this.base = refBase(catalog);
    for (const e of extras) {
      if (!e.includes(':') || hasWildcard(e)) continue;
      const l = e.toLowerCase();
      if (this.base.canonical.has(l) || this.extraNames.has(l)) continue;
      this.extraNames.set(l, e);
      this.extras.push(l);
      const svc = l.slice(0, l.indexOf(':'));
      if (!this.extraBuckets.has(svc)) this.extraBuckets.set(svc, [...(this.base.byService.get(svc) ?? [])]);
      this.extraBuckets.get(svc)!.push(l);
    }
    this.all = this.extras.length ? this.base.all.concat(this.extras) : this.base.all;
  }

  /** lower-case name -> spelling (the catalog's, else the first mention's) */
  readonly canonical = {
    get: (l: string): string | undefined => this.base.canonical.get(l) ?? this.extraNames.get(l),
    has: (l: string): boolean => this.base.canonical.has(l) || this.extraNames.has(l),
  };

  get size(): number {
    return this.all.length;
  }

  has(name: string): boolean {
    return this.canonical.has(name.toLowerCase());
  }

  /** Services, lower-case. */
  services(): string[] {
    return [...new Set([...this.base.byService.keys(), ...this.extraBuckets.keys()])];
  }

  private readonly memo = new Map<string, string[]>();

  /**
   * Whether an Action entry stands for every action, as `"*"` does: written only with `*`, `?` and
   * `:` (no service or name in it, so it keeps allowing actions AWS adds) and allowing every known one
   * (`"**"`, `"*:*"`, `"?*"`). Such an entry makes its statement a `"*"` statement.
   */
  allowsAll(pattern: string): boolean {
    return pattern.includes('*') && /^[*?:]+$/.test(pattern) && this.expand(pattern).length === this.all.length;
  }

  /** The names a pattern allows (lower-case). The result is shared: do not modify it. */
  expand(pattern: string): string[] {
    let r = this.memo.get(pattern);
    if (!r) this.memo.set(pattern, (r = this.expandNow(pattern)));
    return r;
  }

  private expandNow(pattern: string): string[] {
    if (pattern === '*') return this.all;
    const colon = pattern.indexOf(':');
    const svc = colon >= 0 ? pattern.slice(0, colon) : undefined;
    let pool: string[];
    if (svc !== undefined && !hasWildcard(svc)) pool = this.service(svc);
    else {
      // a wildcard in the service part: only the services that start with the literal text before it
      const lead = refLiteralPrefix(pattern);
      pool = lead ? this.services().filter((x) => x.startsWith(lead)).flatMap((x) => this.service(x)) : this.all;
    }
    const re = globRegExp(pattern);
    return pool.filter((n) => re.test(n));
  }

  /** The names starting with a lower-case prefix that contains the colon. */
  under(prefix: string): string[] {
    return this.service(prefix.slice(0, prefix.indexOf(':'))).filter((n) => n.startsWith(prefix));
  }

  service(svc: string): string[] {
    const l = svc.toLowerCase();
    return this.extraBuckets.get(l) ?? this.base.byService.get(l) ?? [];
  }
}

/** What the findings make unused for one role (or for findings without a role). */
export function refUnusedOf(findings: Finding[], ru: RefUniverse): Set<string> {
  const out = new Set<string>();
  for (const f of findings) {
    if (f.findingType !== 'UnusedPermission' || (f.status !== undefined && f.status !== 'ACTIVE')) continue;
    for (const d of f.details) {
      if (!d.actions || d.actions.length === 0) for (const n of ru.service(d.serviceNamespace)) out.add(n);
      else
        for (const a of d.actions) {
          const full = (a.action.includes(':') ? a.action : `${d.serviceNamespace}:${a.action}`).toLowerCase();
          if (ru.has(full)) out.add(full);
        }
    }
  }
  return out;
}

/** The action names findings mention, qualified by their service. */
export function refFindingNames(findings: Finding[]): string[] {
  const out: string[] = [];
  for (const f of findings) for (const d of f.details) for (const a of d.actions ?? []) out.push(a.action.includes(':') ? a.action : `${d.serviceNamespace}:${a.action}`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The least-general cover, recomputed naively

/**
 * For each member, its shortest safe word-boundary prefix longer than `root`, written as the action
 * when it covers one action and as `prefix*` otherwise; a member with none is written in full; an
 * entry that another entry's `prefix*` matches is left out. Lower-case results.
 */
export function refCover(ru: RefUniverse, members: Iterable<string>, good: (n: string) => boolean, root: string): Set<string> {
  const memo = new Map<string, string | null>();
  const out = new Set<string>();
  for (const m of members) {
    let emitted: string | undefined;
    for (const b of refBoundaries(ru.canonical.get(m)!)) {
      if (b <= root.length) continue;
      const x = m.slice(0, b);
      let e = memo.get(x);
      if (e === undefined) {
        const under = ru.under(x);
        e = under.length > 0 && under.every(good) ? (under.length === 1 ? under[0] : x + '*') : null;
        memo.set(x, e);
      }
      if (e !== null) {
        emitted = e;
        break;
      }
    }
    out.add(emitted ?? m);
  }
  // an entry another entry's `prefix*` already matches (a sibling word spelled with the same letters:
  // `listflowexecution*` matches `listflowexecutions`) adds nothing and is not written
  for (const e of [...out]) {
    for (const p of out) if (p !== e && p.endsWith('*') && e.startsWith(p.slice(0, -1))) {
      out.delete(e);
      break;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading a policy, independently of policy.ts

export interface OStatement {
  node: Node;
  effect?: string;
  key?: 'Action' | 'NotAction';
  keyNode?: Node;
  valueNode?: Node;
  values: string[];
  /** The engine must leave it alone. */
  opaque: boolean;
  /** A Principal or NotPrincipal: a resource or trust policy statement, not a role's permission, never refined. */
  principal: boolean;
}

function prop(obj: Node, key: string): Node | undefined {
  return obj.children?.find((p) => p.children?.[0]?.value === key);
}

export function parseJsoncTree(text: string): { root: Node | undefined; errors: ParseError[] } {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  return { root, errors };
}

/** The statements of a policy document (an object with "Statement"), or undefined. */
export function readStatements(root: Node | undefined): { array: Node | undefined; statements: OStatement[] } | undefined {
  if (!root || root.type !== 'object') return undefined;
  const sp = prop(root, 'Statement');
  const v = sp?.children?.[1];
  if (!v) return undefined;
  const nodes = v.type === 'array' ? v.children ?? [] : v.type === 'object' ? [v] : [];
  return { array: v.type === 'array' ? v : undefined, statements: nodes.map(readStatement) };
}

function readStatement(node: Node): OStatement {
  const st: OStatement = { node, values: [], opaque: false, principal: false };
  if (node.type !== 'object') return { ...st, opaque: true };
  const eff = prop(node, 'Effect')?.children?.[1];
  st.effect = eff?.type === 'string' ? (eff.value as string) : undefined;
  st.principal = !!(prop(node, 'Principal') || prop(node, 'NotPrincipal'));
  if (st.effect !== 'Allow' && st.effect !== 'Deny') st.opaque = true;
  const a = prop(node, 'Action');
  const na = prop(node, 'NotAction');
  if ((a && na) || (!a && !na)) return { ...st, opaque: true };
  const p = (a ?? na)!;
  st.key = a ? 'Action' : 'NotAction';
  st.keyNode = p.children?.[0];
  st.valueNode = p.children?.[1];
  const v = st.valueNode;
  if (v?.type === 'string') st.values = [v.value as string];
  else if (v?.type === 'array' && (v.children?.length ?? 0) > 0 && v.children!.every((c) => c.type === 'string')) st.values = v.children!.map((c) => c.value as string);
  else st.opaque = true;
  return st;
}

/** Every string of every Action/NotAction, in document order. */
export function policyLiterals(statements: OStatement[]): string[] {
  return statements.flatMap((s) => s.values);
}

/** What a statement allows (lower-case names); empty for Deny and opaque statements. */
export function allowsOf(ru: RefUniverse, st: { key?: 'Action' | 'NotAction'; values: string[] }): Set<string> {
  const named = new Set<string>();
  for (const v of st.values) for (const n of ru.expand(v)) named.add(n);
  if (st.key === 'Action') return named;
  return new Set(ru.all.filter((n) => !named.has(n)));
}

// ---------------------------------------------------------------------------------------------
// Text helpers

export function refApplyEdits(text: string, edits: TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.offset - b.offset);
  let out = '';
  let at = 0;
  for (const e of sorted) {
    if (e.offset < at) throw new Error(`overlapping edits at ${e.offset}`);
    out += text.slice(at, e.offset) + e.newText;
    at = e.offset + e.length;
  }
  return out + text.slice(at);
}

export function comments(text: string): { offset: number; text: string }[] {
  const s = createScanner(text, false);
  const out: { offset: number; text: string }[] = [];
  for (let k = s.scan(); k !== SyntaxKind.EOF; k = s.scan()) {
    if (k === SyntaxKind.LineCommentTrivia || k === SyntaxKind.BlockCommentTrivia) out.push({ offset: s.getTokenOffset(), text: text.substr(s.getTokenOffset(), s.getTokenLength()) });
  }
  return out;
}

const slice = (text: string, n: Node) => text.slice(n.offset, n.offset + n.length);

function restOf(n: Node): string {
  const v = { ...(getNodeValue(n) as Record<string, unknown>) };
  delete v.Action;
  delete v.NotAction;
  return JSON.stringify(v);
}

const same = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));

function diff(ru: RefUniverse, got: Set<string>, want: Set<string>): string {
  const extra = [...got].filter((x) => !want.has(x));
  const missing = [...want].filter((x) => !got.has(x));
  const show = (l: string[]) => `${l.length}${l.length ? ` [${l.slice(0, 4).map((x) => ru.canonical.get(x) ?? x).join(', ')}${l.length > 4 ? ', …' : ''}]` : ''}`;
  return `extra ${show(extra)}, missing ${show(missing)}`;
}

// ---------------------------------------------------------------------------------------------
// What every host format's oracle checks the same way (JSON here, YAML, Terraform and Terraform
// JSON in their own modules read their own text and hand the statements in)

/** A statement as an oracle read it, whatever the host format. */
export interface RefStatement {
  effect?: string;
  key?: 'Action' | 'NotAction';
  values: string[];
  opaque: boolean;
  principal: boolean;
}

/** What must happen to one statement. */
export interface Expectation<S extends RefStatement> {
  st: S;
  allowed: Set<string>;
  /** What it must allow afterwards. */
  after: Set<string>;
  touched: boolean;
  removed: boolean;
  /** `"Action": "*"`, which becomes NotAction. */
  star: boolean;
  /** Whether entry k is refined (a quick fix's scope). */
  inScope: (k: number) => boolean;
}

export interface OracleStats {
  changed: number;
  removed: number;
  notAction: number;
  written: number;
}

/** What must happen, statement by statement: only Allow statements of identity policies change. */
export function expectations<S extends RefStatement>(ru: RefUniverse, ost: S[], unused: Set<string>, scope: Scope = { kind: 'document' }): Expectation<S>[] {
  return ost.map((st, s) => {
    const changeable = !st.opaque && !st.principal && st.effect === 'Allow';
    const allowed = changeable ? allowsOf(ru, st) : new Set<string>();
    const starAt = st.key === 'Action' ? st.values.findIndex((v) => ru.allowsAll(v)) : -1;
    const star = starAt >= 0;
    // which entries are refined: all (document or statement scope, a NotAction statement, or the
    // "*" of an Action statement, which stands for the statement), one, or none
    let inScope: (k: number) => boolean = () => true;
    if (scope.kind !== 'document' && scope.statement !== s) inScope = () => false;
    else if (scope.kind === 'entry' && st.key === 'Action' && !ru.allowsAll(st.values[scope.entry])) inScope = (k) => k === scope.entry;
    let after: Set<string>;
    let touched: boolean;
    if (st.key === 'Action' && !star) {
      after = new Set<string>();
      // an entry in scope that allows an unused action is rewritten, even where another entry still allows it
      touched = false;
      st.values.forEach((v, k) => {
        for (const n of ru.expand(v)) {
          if (!inScope(k) || !unused.has(n)) after.add(n);
          else touched = true;
        }
      });
      if (!changeable) {
        after.clear();
        touched = false;
      }
    } else {
      after = inScope(Math.max(0, starAt)) ? new Set([...allowed].filter((n) => !unused.has(n))) : allowed;
      touched = after.size !== allowed.size;
    }
    // "a statement left with no action is removed"; an entry that allows no action of the universe
    // (a wildcard matching nothing known) has nothing unused, so it is kept and keeps its statement,
    // as does an entry outside the scope
    const kept = st.key === 'Action' && !star && st.values.some((v, k) => !inScope(k) || ru.expand(v).length === 0);
    const removed = touched && after.size === 0 && !kept;
    return { st, allowed, after, touched, removed, star, inScope };
  });
}

/** Every edit lies inside one of the zones (changed action lists, removed statements), merged where they touch. */
export function checkEditZones(edits: TextEdit[], zones: [number, number][], problems: string[]): void {
  const merged: [number, number][] = [];
  for (const z of [...zones].sort((a, b) => a[0] - b[0])) {
    const last = merged[merged.length - 1];
    if (last && z[0] <= last[1]) last[1] = Math.max(last[1], z[1]);
    else merged.push([z[0], z[1]]);
  }
  for (const e of edits) if (!merged.some(([a, z]) => e.offset >= a && e.offset + e.length <= z)) problems.push(`an edit at ${e.offset}+${e.length} (${JSON.stringify(e.newText.slice(0, 40))}) lies outside every changed action list and removed statement`);
}

/** A changed statement read back from the output: its key, well-formed, exactly what it must allow, no new repeats. */
export function checkRefinedStatement(ru: RefUniverse, n: RefStatement, b: Expectation<RefStatement>, where: string, problems: string[], stats: OracleStats): void {
  const wantKey = b.star ? 'NotAction' : b.st.key;
  if (n.key !== wantKey) problems.push(`${where}: key ${n.key}, expected ${wantKey}`);
  if (n.opaque) problems.push(`${where}: the output statement is not a well-formed statement`);
  if (n.key === 'NotAction') stats.notAction++;
  const got = allowsOf(ru, n);
  if (!same(got, b.after)) problems.push(`${where}: allows ${diff(ru, got, b.after)}`);
  // no action string is repeated unless the original repeated it
  const dupes = (l: string[]) => {
    const seen = new Set<string>();
    const d = new Set<string>();
    for (const x of l.map((v) => v.toLowerCase())) (seen.has(x) ? d : seen).add(x);
    return d;
  };
  const origDupes = dupes(b.st.values);
  const newDupes = [...dupes(n.values)].filter((x) => !origDupes.has(x));
  if (newDupes.length) problems.push(`${where}: the output repeats ${newDupes.slice(0, 3).join(', ')}`);
}

/** Leastness: the plan of one statement against the least-general cover the oracle computes for each refined entry. */
export function checkPlan(ru: RefUniverse, unused: Set<string>, c: StatementChange, b: Expectation<RefStatement>, where: string, problems: string[], stats: OracleStats): void {
  const lower = (l: string[]) => new Set(l.map((x) => x.toLowerCase()));
  if (c.kind === 'none' && b.touched) problems.push(`${where}: planned no change`);
  if (c.kind === 'remove' && !b.removed) problems.push(`${where}: planned a removal`);
  if (c.kind !== 'none' && !b.touched) problems.push(`${where}: planned ${c.kind} for a statement with nothing unused`);
  if (c.kind === 'entries') {
    const written = new Set(b.st.values.map((v) => v.toLowerCase()));
    c.fates.forEach((f, k) => {
      const value = b.st.values[k];
      const allowed = ru.expand(value);
      const allowedSet = new Set(allowed);
      const members = allowed.filter((n) => !unused.has(n));
      const w = `${where}, "${value}"`;
      if (!b.inScope(k)) {
        if (f.kind !== 'keep') problems.push(`${w}: ${f.kind}, but the entry is outside the scope`);
        return;
      }
      if (members.length === allowed.length) {
        if (f.kind !== 'keep') problems.push(`${w}: ${f.kind}, expected keep`);
        return;
      }
      if (members.length === 0) {
        if (f.kind !== 'remove') problems.push(`${w}: ${f.kind}, expected remove`);
        return;
      }
      const want = refCover(ru, members, (n) => allowedSet.has(n) && !unused.has(n), refLiteralPrefix(value));
      for (const x of written) want.delete(x);
      for (const x of want) written.add(x); // an array says each pattern once
      const got = f.kind === 'replace' ? f.patterns : [];
      if (f.kind === 'replace') stats.written += got.length;
      if (want.size === 0 ? f.kind !== 'remove' : f.kind !== 'replace' || !same(lower(got), want))
        problems.push(`${w}: wrote [${got.join(', ')}], the least-general cover is [${[...want].join(', ')}]`);
      if (lower(got).size !== got.length) problems.push(`${w}: patterns repeated up to case: [${got.join(', ')}]`);
    });
  } else if (c.kind === 'to-not-action' || c.kind === 'extend-not-action') {
    const excluded = c.kind === 'to-not-action' ? new Set<string>() : new Set(b.st.values.flatMap((v) => ru.expand(v)));
    const members = [...unused].filter((n) => !excluded.has(n));
    const want = refCover(ru, members, (n) => unused.has(n) || excluded.has(n), '');
    stats.written += c.patterns.length;
    if (!same(lower(c.patterns), want)) problems.push(`${where}: NotAction gained [${c.patterns.slice(0, 8).join(', ')}${c.patterns.length > 8 ? ', …' : ''}] (${c.patterns.length}), the least-general cover has ${want.size}`);
  }
}

export type EngineRun<S extends RefStatement> =
  | { outcome: 'threw' | 'nothing-left'; error?: unknown }
  | { outcome: 'refined'; before: Expectation<S>[]; survivors: Expectation<S>[]; result: RefineResult };

/**
 * The engine's universe and unused set against the oracle's, what must happen to each statement,
 * then the engine's refinement: refused exactly when no statement survives.
 */
export function runEngine<S extends RefStatement>(catalog: Catalog, doc: ParsedDocument, findings: Finding[], ru: RefUniverse, ost: S[], unused: Set<string>, opts: { roles?: string[]; scope?: Scope }, problems: string[], stats: OracleStats): EngineRun<S> {
  const u = engineUniverse(catalog, doc, findings);
  if (u.size !== ru.size) problems.push(`universe: engine has ${u.size} actions, the oracle ${ru.size}`);
  const engineUnused = resolveUnused(findings, u, opts.roles).indexes;
  const engineUnusedNames = new Set([...engineUnused].map((i) => u.lower[i]));
  if (!same(engineUnusedNames, unused)) problems.push(`unused set: ${diff(ru, engineUnusedNames, unused)}`);
  if (problems.length) return { outcome: 'threw' };
  const before = expectations(ru, ost, unused, opts.scope);
  const survivors = before.filter((b) => !b.removed);
  stats.changed = before.filter((b) => b.touched && !b.removed).length;
  stats.removed = before.length - survivors.length;
  let result: RefineResult;
  try {
    result = refineDocument({ universe: u, unused: engineUnused }, doc, opts.scope);
  } catch (e) {
    if (e instanceof NothingLeftError && ost.length > 0 && survivors.length === 0) return { outcome: 'nothing-left', error: e };
    problems.push(`the engine threw: ${(e as Error).message}`);
    return { outcome: 'threw', error: e };
  }
  if (survivors.length === 0 && ost.length > 0) problems.push('every statement is unused but the engine did not throw NothingLeftError');
  return { outcome: 'refined', before, survivors, result };
}

/** Idempotence: the output refined again makes no edit. */
export function checkIdempotent(catalog: Catalog, out: string, fileName: string | undefined, findings: Finding[], roles: string[] | undefined, problems: string[]): void {
  const doc2 = parsePolicyDocument(out, fileName);
  const u2 = engineUniverse(catalog, doc2, findings);
  try {
    const r2 = refineDocument({ universe: u2, unused: resolveUnused(findings, u2, roles).indexes }, doc2);
    if (r2.edits.length) problems.push(`not idempotent: refining the output again makes ${r2.edits.length} edits (${r2.edits.map((e) => JSON.stringify(e.newText.slice(0, 30))).join(', ')})`);
  } catch (e) {
    problems.push(`not idempotent: refining the output again threw ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The check

export interface CheckOptions {
  /** Roles passed to resolveUnused (the oracle then intersects per role). */
  roles?: string[];
  /** Recompute the least-general cover of every refined entry (default true). */
  leastness?: boolean;
  /** Refine the output again and expect no edit (default true; not with a scope). */
  idempotence?: boolean;
  /** Refine one statement or one entry (of policy 0), as a quick fix does. */
  scope?: Scope;
}

export interface CheckReport {
  problems: string[];
  /** 'nothing-left' when the engine (rightly) refused; 'refined' otherwise. */
  outcome: 'refined' | 'nothing-left' | 'threw';
  result?: RefineResult;
  error?: unknown;
  /** Oracle statistics, for the test's coverage counters. */
  stats: { statements: number; changed: number; removed: number; notAction: number; written: number };
}

/**
 * The universe for a document: the catalog plus the names its findings and its policies mention.
 * Built fresh: project.ts's universeFor caches universes by their lower-cased extra names, so it may
 * hand out one spelt by an earlier document (its members are the same; refineAndCheck checks that).
 */
export function engineUniverse(catalog: Catalog, doc: ParsedDocument, findings: Finding[]): Universe {
  return new Universe(catalog, [...findingActionNames(findings), ...documentActionNames(doc)]);
}

/** The unused set the oracle expects: with roles, what every role leaves unused. */
export function refUnused(findings: Finding[], ru: RefUniverse, roles?: string[]): Set<string> {
  const relevant = findings.filter((f) => f.findingType === 'UnusedPermission' && (f.status === undefined || f.status === 'ACTIVE'));
  if (!roles || roles.length === 0) return refUnusedOf(relevant, ru);
  const chosen = [...new Set(roles)];
  const per = chosen.map((r) => refUnusedOf(relevant.filter((f) => f.resource === r || (!f.resource && chosen.length === 1)), ru));
  return new Set([...per[0]].filter((n) => per.every((s) => s.has(n))));
}

/** Refines `text` with the engine and checks the result against the rule. */
export function refineAndCheck(catalog: Catalog, text: string, findings: Finding[], opts: CheckOptions = {}): CheckReport {
  const problems: string[] = [];
  const stats = { statements: 0, changed: 0, removed: 0, notAction: 0, written: 0 };
  const report = (outcome: CheckReport['outcome'], extra: Partial<CheckReport> = {}): CheckReport => ({ problems, outcome, stats, ...extra });

  // --- the oracle's view of the input
  const { root, errors } = parseJsoncTree(text);
  if (errors.length) problems.push(`the input does not parse (${errors.length} errors): a generator bug`);
  const read = readStatements(root);
  if (!read) return report('threw', { problems: [...problems, 'the input has no Statement'] });
  const ost = read.statements;
  stats.statements = ost.length;
  const ru = new RefUniverse(catalog, [...refFindingNames(findings), ...policyLiterals(ost)]);
  const unused = refUnused(findings, ru, opts.roles);

  // --- the engine's view
  const doc = parsePolicyDocument(text);
  const u = engineUniverse(catalog, doc, findings);
  for (const x of ru.extras) {
    const i = u.indexOf(x);
    if (i === undefined) problems.push(`universe: ${x} missing`);
    else if (u.names[i] !== ru.canonical.get(x)) problems.push(`universe: ${x} spelt ${u.names[i]}, expected ${ru.canonical.get(x)}`);
  }
  const cached = universeFor(catalog, [...findingActionNames(findings), ...documentActionNames(doc)]);
  if (cached.size !== u.size || cached.lower.some((l, i) => l !== u.lower[i])) problems.push('universeFor gives other actions than a fresh universe');
  const run = runEngine(catalog, doc, findings, ru, ost, unused, opts, problems, stats);
  if (run.outcome !== 'refined') return report(run.outcome, { error: run.error });
  const { before, survivors, result } = run;

  // --- the edits and the text
  let applied: string | undefined;
  try {
    applied = refApplyEdits(text, result.edits);
  } catch (e) {
    problems.push(`edits: ${(e as Error).message}`);
  }
  if (applied !== undefined && applied !== result.text) problems.push('result.text is not the original with result.edits applied');
  const out = result.text;
  const parsedOut = parseJsoncTree(out);
  if (parsedOut.errors.length) problems.push(`the output does not parse: ${parsedOut.errors.length} errors at ${parsedOut.errors.map((e) => e.offset).join(',')}`);

  // every edit inside a changed Action/NotAction value (or its key, for Action -> NotAction), or a removed statement's span
  const zones: [number, number][] = [];
  const kids = read.array?.children ?? [];
  before.forEach((b, i) => {
    if (b.removed && read.array) {
      const from = i > 0 ? kids[i - 1].offset + kids[i - 1].length : b.st.node.offset;
      const to = i < kids.length - 1 ? kids[i + 1].offset : b.st.node.offset + b.st.node.length;
      zones.push([from, to]);
    } else if (b.touched) {
      const v = b.st.valueNode!;
      zones.push([v.offset, v.offset + v.length]);
      const k = b.st.keyNode!;
      if (b.star) zones.push([k.offset, k.offset + k.length]);
    }
  });
  checkEditZones(result.edits, zones, problems);

  // comments outside the edits survive, in order; none is invented
  const inEdit = (c: { offset: number; text: string }) => result.edits.some((e) => c.offset < e.offset + e.length && e.offset < c.offset + c.text.length);
  const keptComments = comments(text).filter((c) => !inEdit(c)).map((c) => c.text);
  const outComments = comments(out).map((c) => c.text);
  if (JSON.stringify(keptComments) !== JSON.stringify(outComments)) problems.push(`comments: expected ${keptComments.length} to survive, found ${outComments.length}`);

  // the output, statement by statement
  const readOut = readStatements(parsedOut.root);
  const nst = readOut?.statements ?? [];
  if (nst.length !== survivors.length) problems.push(`expected ${survivors.length} statements, found ${nst.length}`);
  else
    survivors.forEach((b, k) => {
      const n = nst[k];
      const where = `statement ${before.indexOf(b) + 1}`;
      if (!b.touched) {
        if (slice(text, b.st.node) !== slice(out, n.node)) problems.push(`${where}: untouched statement is not byte-identical`);
        return;
      }
      if (restOf(n.node) !== restOf(b.st.node)) problems.push(`${where}: a field other than its actions changed`);
      checkRefinedStatement(ru, n, b, where, problems, stats);
    });

  // --- leastness: recompute each refined entry's cover
  if (opts.leastness !== false) {
    const plans = result.plans[0]?.statements ?? [];
    for (const sp of plans) {
      const b = before.find((x) => x.st.node.offset === sp.model.span.offset);
      if (!b) {
        problems.push(`plan for a statement at ${sp.model.span.offset} the oracle does not know`);
        continue;
      }
      checkPlan(ru, unused, sp.change, b, `statement ${before.indexOf(b) + 1}`, problems, stats);
    }
  }

  // --- idempotence: the output refined again changes nothing
  if (opts.idempotence !== false && !opts.scope && problems.length === 0) checkIdempotent(catalog, out, undefined, findings, opts.roles, problems);
  return report('refined', { result });
}

