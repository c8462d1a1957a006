import { ActionEntry, ParsedDocument, StatementModel, isSyntaxProblem, statementRest } from './model';
import { EntryFate, PolicyPlan, Scope, StatementChange, StatementPlan } from './plan';
import { Universe } from './universe';
import { cover, coverRange, goodMask, sortPatterns } from './cover';
import { isWildcard, literalPrefix } from './pattern';
import { TextEdit, applyEdits } from './edits';
import { sameMembers, strictPolicyStatements } from './formats/jsonStrict';

export interface RefineContext {
  universe: Universe;
  /** Universe indexes of the unused actions. */
  unused: Set<number>;
  /**
   * Per policy of the document, where its host code binds it to other roles than the document's
   * (a Terraform or CloudFormation policy attached to a named role): that policy's unused actions.
   */
  unusedByPolicy?: (Set<number> | undefined)[];
  /**
   * Per statement (`"policy.statement"`), where some of its entries are newer than the findings:
   * the unused set without what those entries allow (see core/judged.ts), so they stay allowed.
   */
  unusedByStatement?: Map<string, Set<number>>;
}

/** The context one policy of the document is refined in. */
export function policyContext(ctx: RefineContext, policy: number): RefineContext {
  const own = ctx.unusedByPolicy?.[policy];
  return own ? { universe: ctx.universe, unused: own, unusedByStatement: ctx.unusedByStatement } : ctx;
}

/** The context one statement is refined and verified in: its own unused set where entries newer than the findings are spared. */
export function statementContext(ctx: RefineContext, policy: number, statement: number): RefineContext {
  const own = ctx.unusedByStatement?.get(`${policy}.${statement}`);
  return own ? { universe: ctx.universe, unused: own } : policyContext(ctx, policy);
}

export class InternalVerificationError extends Error {
  constructor(detail: string) {
    super(`internal error: the refinement failed its verification (${detail}); nothing was changed. Please report this with the policy and findings.`);
  }
}

export class NothingLeftError extends Error {
  constructor(readonly label: string) {
    super(`every permission in this ${label === 'policy' ? 'policy' : `policy (${label})`} is unused: IAM rejects a policy with no statement, so it was not rewritten. Detach or delete the policy instead.`);
  }
}

const union = (sets: Iterable<number>[]) => {
  const s = new Set<number>();
  for (const x of sets) for (const i of x) s.add(i);
  return s;
};

/** A mask of the universe: 1 at each index of `set` (an unused set, tested once per allowed action). */
export function unusedMask(u: Universe, set: ReadonlySet<number>): Uint8Array {
  const m = new Uint8Array(u.size);
  for (const i of set) m[i] = 1;
  return m;
}

/**
 * What one refinement's plan and verification share: the masks of the unused sets they work with (a
 * statement's own set, where it has one, gets its own), and each original statement's entries as
 * the universe expanded them (what the statement allowed: the verification's starting point too).
 */
export class RefineWork {
  private readonly made = new Map<ReadonlySet<number>, Uint8Array>();
  readonly expanded = new Map<StatementModel, readonly (readonly number[])[]>();
  constructor(private readonly u: Universe) {}
  mask(set: ReadonlySet<number>): Uint8Array {
    let m = this.made.get(set);
    if (!m) this.made.set(set, (m = unusedMask(this.u, set)));
    return m;
  }
  /** The expansion of each entry of an original statement. */
  entries(st: StatementModel): readonly (readonly number[])[] {
    let e = this.expanded.get(st);
    if (!e) this.expanded.set(st, (e = st.entries.map((x) => this.u.expand(x.value))));
    return e;
  }
}

/**
 * The refinement of one pattern: the least-general patterns allowing what it allowed minus the
 * unused actions. `allowed` is the pattern's expansion; `unused`, ctx.unused as a mask (unusedMask).
 */
export function refinePattern(ctx: RefineContext, pattern: string, allowed: readonly number[] = ctx.universe.expand(pattern), unused: Uint8Array = unusedMask(ctx.universe, ctx.unused)): EntryFate {
  let unusedHere = 0;
  for (let j = 0; j < allowed.length; j++) unusedHere += unused[allowed[j]];
  if (unusedHere === 0) return { kind: 'keep' };
  if (unusedHere === allowed.length) return { kind: 'remove' };
  const u = ctx.universe;
  const root = literalPrefix(pattern);
  // the root's range: for `prefix*`, the expansion is that range itself (no search)
  let lo: number;
  let hi: number;
  if (pattern.indexOf('*') === pattern.length - 1 && !pattern.includes('?')) {
    lo = allowed[0];
    hi = allowed[allowed.length - 1] + 1;
  } else [lo, hi] = u.range(root);
  // good: allowed here and used, as a mask over the root's range (every allowed action is in it)
  const good = goodMask(hi - lo);
  const members: number[] = [];
  for (let j = 0; j < allowed.length; j++) {
    const i = allowed[j];
    if (unused[i] === 0) {
      good[i - lo] = 1;
      members.push(i);
    }
  }
  return { kind: 'replace', patterns: coverRange(u, members, good, root.length, lo, hi) };
}

function inScope(scope: Scope, p: number, s: number, e?: number): boolean {
  if (scope.kind === 'document') return true;
  if (scope.policy !== p || scope.statement !== s) return false;
  return scope.kind === 'statement' || e === undefined || scope.entry === e;
}

/**
 * What an Action array writes, case aside, to drop a replacement that repeats it: its names by their
 * index in the universe (a literal entry's expansion is its one index: no lower-casing of every entry
 * of a large array), anything else (wildcards, names the universe lacks) by its lower-cased text. A
 * replacement is a universe name or a `prefix*` (coverRange), so it can only repeat an entry of its
 * own kind.
 */
class WrittenInArray {
  /**
   * The names written, by universe index: a mask over the universe for a long array (a Set of
   * thousands of indexes cost more than the mask's 22 KB), a Set for a short one.
   */
  private readonly mask: Uint8Array | undefined;
  private readonly names = new Set<number>();
  private readonly texts = new Set<string>();
  constructor(u: Universe, st: StatementModel, expanded: readonly (readonly number[])[]) {
    if (st.entries.length >= 256) this.mask = new Uint8Array(u.size);
    st.entries.forEach((e, k) => this.add(e.value, isWildcard(e.value) || expanded[k].length !== 1 ? undefined : expanded[k][0]));
  }
  /** Counts `x` as written (by `index`, its universe index if it is a name, else by its lower-cased text); false if it was already. */
  private add(x: string, index: number | undefined): boolean {
    if (index !== undefined) {
      const m = this.mask;
      if (m !== undefined) {
        if (m[index] === 1) return false;
        m[index] = 1;
        return true;
      }
      if (this.names.has(index)) return false;
      this.names.add(index);
      return true;
    }
    const l = x.toLowerCase();
    if (this.texts.has(l)) return false;
    this.texts.add(l);
    return true;
  }
  /** The patterns not written yet, now counted as written. */
  addNew(u: Universe, patterns: readonly string[]): string[] {
    return patterns.filter((x) => this.add(x, isWildcard(x) ? undefined : u.indexOfSpelled(x)));
  }
}

export function planStatement(ctx: RefineContext, st: StatementModel, p: number, s: number, scope: Scope, work: RefineWork = new RefineWork(ctx.universe)): StatementPlan {
  const none: StatementPlan = { policy: p, statement: s, model: st, change: { kind: 'none' } };
  if (st.opaque || st.suppressed || st.principal || st.effect !== 'Allow' || !st.key) return none;
  const u = ctx.universe;
  if (st.key === 'NotAction') {
    if (!inScope(scope, p, s)) return none;
    const excluded = union(st.entries.map((e) => u.expand(e.value)));
    const newlyExcluded: number[] = [];
    for (const i of ctx.unused) if (!excluded.has(i)) newlyExcluded.push(i);
    if (newlyExcluded.length === 0) return none;
    const expectedExcluded = union([excluded, newlyExcluded]);
    if (expectedExcluded.size === u.size) return { ...none, change: { kind: 'remove' } };
    const patterns = cover(u, newlyExcluded, (i) => expectedExcluded.has(i), '');
    return { ...none, change: { kind: 'extend-not-action', patterns } };
  }
  // Action
  const star = st.entries.findIndex((e) => allowsEverything(u, e.value));
  if (star >= 0) {
    // any "*" of the array stands for the statement (a quick fix on a repeated "*" too)
    if (!st.entries.some((e, k) => allowsEverything(u, e.value) && inScope(scope, p, s, k))) return none;
    if (ctx.unused.size === 0) return none;
    if (ctx.unused.size === u.size) return { ...none, change: { kind: 'remove' } };
    const patterns = cover(u, ctx.unused, (i) => ctx.unused.has(i), '');
    return { ...none, change: { kind: 'to-not-action', patterns } };
  }
  const fates: EntryFate[] = [];
  let changed = false;
  const unused = work.mask(ctx.unused);
  const expanded = work.entries(st);
  let kept: WrittenInArray | undefined;
  st.entries.forEach((e, k) => {
    const allowed = expanded[k];
    let fate: EntryFate = { kind: 'keep' };
    if (inScope(scope, p, s, k)) fate = refinePattern(ctx, e.value, allowed, unused);
    if (fate.kind === 'replace') {
      // a replacement already written elsewhere in the array (or by an earlier replacement) adds nothing
      kept ??= new WrittenInArray(u, st, expanded);
      const patterns = kept.addNew(u, fate.patterns);
      fate = patterns.length ? { kind: 'replace', patterns } : { kind: 'remove' };
    }
    if (fate.kind !== 'keep') changed = true;
    fates.push(fate);
  });
  if (!changed) return none;
  if (fates.every((f) => f.kind === 'remove')) return { ...none, change: { kind: 'remove' } };
  return { ...none, change: { kind: 'entries', fates } };
}

export function planDocument(ctx: RefineContext, doc: ParsedDocument, scope: Scope = { kind: 'document' }, work: RefineWork = new RefineWork(ctx.universe)): PolicyPlan[] {
  return doc.policies.map((policy, p) => ({
    policy,
    statements: policy.statements.map((st, s) => planStatement(statementContext(ctx, p, s), st, p, s, scope, work)),
  }));
}

export interface RefineResult {
  edits: TextEdit[];
  text: string;
  plans: PolicyPlan[];
  summary: RefineSummary;
  /** Policies of a multi-policy document whose every permission is unused: left unchanged (IAM rejects an empty policy). */
  everythingUnused: string[];
}

export interface RefineSummary {
  removedActions: number;
  refinedWildcards: number;
  removedStatements: number;
  notActionStatements: number;
  /** Action strings written in place of refined wildcards. */
  writtenPatterns: number;
}

function summarize(plans: PolicyPlan[]): RefineSummary {
  const s: RefineSummary = { removedActions: 0, refinedWildcards: 0, removedStatements: 0, notActionStatements: 0, writtenPatterns: 0 };
  for (const pp of plans)
    for (const sp of pp.statements) {
      const c = sp.change;
      if (c.kind === 'remove') {
        s.removedStatements++;
        s.removedActions += sp.model.entries.length;
      } else if (c.kind === 'entries') {
        for (const f of c.fates) {
          if (f.kind === 'remove') s.removedActions++;
          if (f.kind === 'replace') {
            s.refinedWildcards++;
            s.writtenPatterns += f.patterns.length;
          }
        }
      } else if (c.kind === 'to-not-action' || c.kind === 'extend-not-action') s.notActionStatements++;
    }
  return s;
}

/**
 * Refines a document (or the part in `scope`): plans, writes minimal text edits, then verifies the
 * edited text by parsing it again and re-expanding every statement over the universe. Throws
 * NothingLeftError when a policy would be left with no statement, InternalVerificationError when
 * the result is not exactly what it must be (never returned as an output).
 */
export function refineDocument(ctx: RefineContext, doc: ParsedDocument, scope: Scope = { kind: 'document' }): RefineResult {
  const work = new RefineWork(ctx.universe);
  const plans = planDocument(ctx, doc, scope, work);
  const emptied = plans.filter((pp) => {
    if (pp.policy.statements.length === 0 || !pp.statements.every((sp) => sp.change.kind === 'remove')) return false;
    return !(pp.policy.statementCount > pp.policy.statements.length);
  });
  if (emptied.length) {
    // a template with several policies: the others are still refined; the empty ones are left as they are and reported
    if (emptied.length === plans.length) throw new NothingLeftError(emptied[0].policy.label);
    for (const pp of emptied) pp.statements = pp.statements.map((sp) => ({ ...sp, change: { kind: 'none' } }));
  }
  const edits = doc.format.edits(doc, plans);
  const text = applyEdits(doc.text, edits);
  if (edits.length) verify(ctx, doc, plans, text, scope, work);
  return { edits, text, plans, summary: summarize(plans), everythingUnused: emptied.map((pp) => pp.policy.label) };
}

/** Sorted, without repeats (`xs` is reused). */
function sortedUnique(xs: number[]): number[] {
  xs.sort((a, b) => a - b);
  let k = 0;
  for (let i = 0; i < xs.length; i++) if (i === 0 || xs[i] !== xs[i - 1]) xs[k++] = xs[i];
  xs.length = k;
  return xs;
}

/**
 * sortedUnique for indexes below `size` (a universe's): a long list through a mask over the
 * universe (one pass over it, no comparison sort: a broad statement unions thousands of indexes),
 * a short one sorted.
 */
function sortedUniqueBelow(xs: number[], size: number): number[] {
  if (xs.length < 256 || xs.length * 64 < size) return sortedUnique(xs);
  const m = new Uint8Array(size);
  for (let i = 0; i < xs.length; i++) m[xs[i]] = 1;
  let k = 0;
  for (let i = 0; i < size; i++) if (m[i] === 1) xs[k++] = i;
  xs.length = k;
  return xs;
}

function describeDiff(u: Universe, got: readonly number[], want: readonly number[]): string {
  const w = new Set(want);
  const g = new Set(got);
  const extra = got.filter((i) => !w.has(i)).slice(0, 3).map((i) => u.nameAt(i));
  const missing = want.filter((i) => !g.has(i)).slice(0, 3).map((i) => u.nameAt(i));
  return `allows extra [${extra.join(', ')}], misses [${missing.join(', ')}]`;
}

/**
 * `*`, or a pattern such as `*:*` that allows every action of the universe (and every future one):
 * such an entry stands for the whole statement. A padded `" *"` matches nothing, so it is not one.
 */
export function allowsEverything(u: Universe, pattern: string): boolean {
  if (pattern === '*') return true;
  // a pattern that starts with a literal character is under a prefix (most: nothing lower-cased or searched)
  const c = pattern.charCodeAt(0);
  if (c !== 0x2a && c !== 0x3f) return false;
  return isWildcard(pattern) && literalPrefix(pattern) === '' && /^[*?:]+$/.test(pattern) && u.expand(pattern).length === u.size;
}

/**
 * What a statement must allow after the refinement, derived from the original statement alone (not
 * from the plan): what it allowed, minus the unused actions of the entries in scope. Sorted indexes.
 */
function expectedAllows(ctx: RefineContext, sp: StatementPlan, scope: Scope): number[] {
  const u = ctx.universe;
  const want = new Uint8Array(u.size);
  markExpected(ctx, sp, scope, new RefineWork(u), want);
  const out: number[] = [];
  for (let i = 0; i < want.length; i++) if (want[i] === 1) out.push(i);
  return out;
}

/**
 * expectedAllows as marks: sets want[i] = 1 (want: zero over the universe) for each action the
 * statement must allow; returns how many.
 */
function markExpected(ctx: RefineContext, sp: StatementPlan, scope: Scope, work: RefineWork, want: Uint8Array): number {
  const u = ctx.universe;
  const st = sp.model;
  const unused = work.mask(ctx.unused);
  let count = 0;
  if (st.key === 'NotAction' || st.entries.some((e) => allowsEverything(u, e.value))) {
    for (const i of statementAllowList(u, st))
      if (unused[i] === 0 && want[i] === 0) {
        want[i] = 1;
        count++;
      }
    return count;
  }
  const expanded = work.entries(st);
  st.entries.forEach((e, k) => {
    const refined = inScope(scope, sp.policy, sp.statement, k);
    const allowed = expanded[k];
    for (let j = 0; j < allowed.length; j++) {
      const i = allowed[j];
      if ((!refined || unused[i] === 0) && want[i] === 0) {
        want[i] = 1;
        count++;
      }
    }
  });
  return count;
}

/**
 * The entries an edited statement should read, in order, as the plan wrote them, with the
 * expansion of the kept ones (the original entries'). Only a hint: each entry read from the edited
 * text is taken for what it says, the hint serving only where it says the very same string (the
 * expansion is the string's, whoever made it).
 */
interface WrittenEntries {
  text: string[];
  allows: (readonly number[] | undefined)[];
}

function writtenEntries(sp: StatementPlan, work: RefineWork): WrittenEntries | undefined {
  if (sp.change.kind !== 'entries') return undefined;
  const expanded = work.entries(sp.model);
  const text: string[] = [];
  const allows: (readonly number[] | undefined)[] = [];
  sp.change.fates.forEach((f, k) => {
    if (f.kind === 'keep') {
      text.push(sp.model.entries[k].value);
      allows.push(expanded[k]);
    } else if (f.kind === 'replace')
      for (const x of f.patterns) {
        text.push(x);
        allows.push(undefined);
      }
  });
  return { text, allows };
}

/**
 * Whether a statement allows exactly the `count` actions marked 1 in `want` (markExpected): every
 * action it allows is marked (each one found is marked 2), and as many are found as were marked.
 * The statement as read from the edited text: its key and its action strings.
 */
function allowsExactly(u: Universe, key: 'Action' | 'NotAction', values: readonly string[], want: Uint8Array, count: number, hint?: WrittenEntries): boolean {
  let found = 0;
  if (key === 'Action') {
    for (let k = 0; k < values.length; k++) {
      const value = values[k];
      // the string the plan wrote here: its expansion, when already made, is this string's
      const known = hint && k < hint.text.length && hint.text[k] === value ? hint.allows[k] : undefined;
      if (known === undefined && u.run(value)) {
        // a name or a `prefix*` the plan wrote: its run of the universe, read where it lies
        for (let i = u.runLo; i < u.runHi; i++) {
          const w = want[i];
          if (w === 0) return false;
          if (w === 1) {
            want[i] = 2;
            found++;
          }
        }
        continue;
      }
      const allowed = known ?? u.expand(value);
      for (let j = 0; j < allowed.length; j++) {
        const w = want[allowed[j]];
        if (w === 0) return false;
        if (w === 1) {
          want[allowed[j]] = 2;
          found++;
        }
      }
    }
    return found === count;
  }
  const m = u.allowedMask(values);
  for (let i = 0; i < m.length; i++)
    if (!m[i]) {
      if (want[i] === 0) return false;
      found++;
    }
  return found === count;
}

/** The statement an edited text reads, as verify() compares it: however it was read. */
interface ReadBack {
  key?: 'Action' | 'NotAction';
  values: readonly string[];
  opaque?: string;
}

/**
 * The edited text's statements read back, policy by policy: by JSON.parse where the document is a
 * strict JSON policy file (formats/jsonStrict.ts: an independent reader, 10x faster than the
 * document's), else by the document's own format. `rest` says whether survivor `k` of policy `p`
 * (the original statement `sp`) has the same fields other than its actions; `sameText`, where the
 * reading can tell, that its text is the original's to the character (then it is unchanged).
 */
interface Reading {
  statements(p: number): number;
  statement(p: number, k: number): ReadBack;
  rest(p: number, k: number, sp: StatementPlan): boolean;
  sameText?(p: number, k: number, sp: StatementPlan): boolean;
}

const ACTION_KEYS = ['Action', 'NotAction'] as const;

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function strictReading(before: ParsedDocument, text: string): Reading | undefined {
  if (before.format.id !== 'json' || before.policies.length !== 1 || before.policies[0].label !== 'policy') return undefined;
  const now = strictPolicyStatements(text);
  if (!now) return undefined;
  return {
    statements: () => now.length,
    statement: (_p, k) => ({ key: now[k].key, values: now[k].entries, opaque: now[k].opaque }),
    // compared with the document's reading of the original (what the plan started from)
    rest: (_p, k, sp) => sameMembers(now[k].value, statementRest(sp.model) as Record<string, unknown>, ACTION_KEYS),
  };
}

function formatReading(before: ParsedDocument, text: string): Reading {
  const after = before.format.parse(text, { fresh: true });
  const newSyntax = after.problems.filter(isSyntaxProblem).length;
  const oldSyntax = before.problems.filter(isSyntaxProblem).length;
  if (newSyntax > oldSyntax) throw new InternalVerificationError('the edited text does not parse');
  if (after.policies.length !== before.policies.length) throw new InternalVerificationError('a policy was lost');
  // JSON: the very same text is the same statement (most of a large policy); in YAML an alias can
  // carry another statement's list, so there every statement is compared by value
  const sameTextSameStatement = before.format.id === 'json';
  const at = (p: number, k: number) => after.policies[p].statements[k];
  return {
    statements: (p) => after.policies[p].statements.length,
    statement: (p, k) => ({ key: at(p, k).key, values: at(p, k).entries.map((e) => e.value), opaque: at(p, k).opaque }),
    rest: (p, k, sp) => JSON.stringify(statementRest(at(p, k))) === JSON.stringify(statementRest(sp.model)),
    sameText: (p, k, sp) => {
      const st = at(p, k);
      return sameTextSameStatement && text.slice(st.span.offset, st.span.offset + st.span.length) === before.text.slice(sp.model.span.offset, sp.model.span.offset + sp.model.span.length);
    },
  };
}

/** Which reader verify() reads the edited text with: the strict JSON one where it takes the text (the default), or always the format's own. */
export type VerifyReader = 'auto' | 'format';

/**
 * Checks the edited text statement by statement against the original; throws
 * InternalVerificationError on any difference. A removed statement must have allowed only unused
 * actions; every other changed one must allow exactly what it allowed minus the unused actions in
 * scope; everything else must be unchanged.
 */
export function verify(ctx: RefineContext, before: ParsedDocument, plans: PolicyPlan[], text: string, scope: Scope = { kind: 'document' }, work: RefineWork = new RefineWork(ctx.universe), reader: VerifyReader = 'auto'): void {
  // read on its own: the edited text is not the document's next version (the kept parse stays the document's)
  const after = (reader === 'auto' ? strictReading(before, text) : undefined) ?? formatReading(before, text);
  const u = ctx.universe;
  // what a statement must allow, as marks over the universe (cleared after each statement)
  const want = new Uint8Array(u.size);
  plans.forEach((pp, p) => {
    for (const sp of pp.statements) {
      if (sp.change.kind !== 'remove') continue;
      const sctx = statementContext(ctx, p, sp.statement);
      const n = markExpected(sctx, sp, scope, work, want);
      want.fill(0);
      if (n > 0) throw new InternalVerificationError(`statement ${sp.statement + 1} was removed but allows used actions`);
    }
    const survivors = pp.statements.filter((sp) => sp.change.kind !== 'remove');
    const found = after.statements(p);
    if (found !== survivors.length) throw new InternalVerificationError(`policy ${pp.policy.label}: expected ${survivors.length} statements, found ${found}`);
    survivors.forEach((sp, k) => {
      const where = `statement ${sp.statement + 1}${sp.model.sid ? ` (${sp.model.sid})` : ''}`;
      if (sp.change.kind === 'none') {
        if (after.sameText?.(p, k, sp)) return;
        const st = after.statement(p, k);
        const same = st.key === sp.model.key && sameStrings(st.values, sp.model.entries.map((e) => e.value)) && after.rest(p, k, sp);
        if (!same) throw new InternalVerificationError(`${where}: changed but should not have`);
        return;
      }
      if (!after.rest(p, k, sp)) throw new InternalVerificationError(`${where}: a field other than its actions changed`);
      const st = after.statement(p, k);
      if (st.opaque || !st.key) throw new InternalVerificationError(`${where}: the edited statement is malformed (${st.opaque ?? 'no Action'})`);
      const sctx = statementContext(ctx, p, sp.statement);
      const n = markExpected(sctx, sp, scope, work, want);
      const exact = allowsExactly(u, st.key, st.values, want, n, writtenEntries(sp, work));
      want.fill(0);
      if (!exact) {
        const model: StatementModel = { span: { offset: 0, length: 0 }, index: sp.model.index, key: st.key, entries: st.values.map((value) => ({ value, span: { offset: 0, length: 0 }, index: -1 })), rest: () => ({}) };
        throw new InternalVerificationError(`${where}: ${describeDiff(u, statementAllowList(u, model), expectedAllows(sctx, sp, scope))}`);
      }
    });
  });
}

/**
 * What a statement allows over the universe, as sorted indexes: the union of its entries'
 * expansions (its size, not the universe's), or for NotAction everything else.
 */
export function statementAllowList(u: Universe, st: StatementModel): readonly number[] {
  if (st.key === 'Action') {
    if (st.entries.length === 1) return u.expand(st.entries[0].value);
    const all: number[] = [];
    for (const e of st.entries) for (const i of u.expand(e.value)) all.push(i);
    return sortedUniqueBelow(all, u.size);
  }
  const m = u.allowedMask(st.entries.map((e) => e.value));
  const out: number[] = [];
  for (let i = 0; i < m.length; i++) if (!m[i]) out.push(i);
  return out;
}

/** What a statement allows over the universe, as indexes. */
export function statementAllows(u: Universe, st: StatementModel): Set<number> {
  return new Set(statementAllowList(u, st));
}

export { isWildcard, sortPatterns };
export type { ActionEntry, EntryFate, PolicyPlan, Scope, StatementChange, StatementPlan };
