import { Catalog } from './catalog';
import { ParsedDocument, PolicyProblem, ProblemSeverity } from './model';
import { UnusedSet } from './findings';
import { Universe } from './universe';
import { isWildcard, matchesPattern, patternShapeError } from './pattern';
import { CatalogStaleness, refinesWildcard, staleMessage } from './staleness';

export type ProblemCode = 'unused-action' | 'unused-wildcard' | 'unknown-action' | 'not-judged' | PolicyProblem['code'];

/** Where a problem sits in the policy model: what a fix needs (never the message text). */
export interface ProblemTarget {
  policy: number;
  statement: number;
  /** Index among the statement's string entries; absent for a NotAction statement. */
  entry?: number;
}

export interface Problem {
  code: ProblemCode;
  message: string;
  severity: ProblemSeverity;
  offset: number;
  length: number;
  /** Faded in the editor: the text allows nothing that is used. */
  unnecessary?: boolean;
  target?: ProblemTarget;
  /** The pattern or action as written. */
  pattern?: string;
  /** Canonical names of the unused actions it allows. */
  unused?: string[];
  /** How many actions it allows in all. */
  allows?: number;
  /** Closest real names, for unknown-action. */
  suggestions?: string[];
  /** A wildcard refinement over a catalog the findings show to be stale: a few words saying so (see staleness.ts). */
  catalogStale?: string;
}

export interface AnalyzeContext {
  catalog: Catalog;
  universe: Universe;
  /** Undefined when no findings apply to this document. */
  unused?: UnusedSet;
  /** Per policy, where the host code binds it to its own roles (see RefineContext.unusedByPolicy). */
  unusedByPolicy?: (UnusedSet | undefined)[];
  /** Per statement (`"policy.statement"`): the unused set without what entries newer than the findings allow (core/judged.ts). */
  unusedByStatement?: Map<string, UnusedSet>;
  /**
   * The findings show the catalog to be stale: every wildcard refinement says so (as markStale
   * would; made with the entry's cached problems, not copied a keystroke at a time).
   */
  staleness?: CatalogStaleness;
}

/** "; Access Analyzer, role Deployer, findings of 2026-11-20, tracking period 90 days": which source, role, date. */
export function evidenceNote(unused: UnusedSet): string {
  return unused.evidence ? ` [${unused.evidence}]` : '';
}

export const README_URL = 'https://github.com/iam-policy-refiner/iam-policy-refiner#diagnostics';

/** What the findings say of an unused action they give no date for. */
export const NOT_USED_NOTE = 'not used in the tracking period';

/** "last used 2024-05-01" or "not used in the analyzer's tracking period", from what the findings say. */
export function usageNote(unused: UnusedSet, index: number): string {
  const info = unused.info.get(index);
  const dates = [...(info?.lastAccessed.values() ?? [])].filter((d): d is string => !!d).sort();
  if (dates.length === 0) return NOT_USED_NOTE;
  return `last used ${dates[dates.length - 1].slice(0, 10)}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** What an entry's problems are, but for where it is written (offset, length, target): the same for every entry of that text in a context. */
interface EntryTemplate {
  code: ProblemCode;
  message: string;
  severity: ProblemSeverity;
  /** The problem's other fields, in their order. */
  rest: Partial<Problem>;
}

/**
 * Per universe and unused set (a findings snapshot's), the problems of each entry text: a keystroke in
 * a large policy leaves most entries as they were, so their problems (expansion, unused filter,
 * message) are computed once, not per version. Bounded; the arrays in them are shared, never modified.
 */
const templateCache = new WeakMap<Universe, WeakMap<UnusedSet | Universe, WeakMap<CatalogStaleness | Universe, Map<string, readonly EntryTemplate[]>>>>();
const TEMPLATES_KEPT = 50_000;

function entryTemplates(u: Universe, unused: UnusedSet | undefined, staleness: CatalogStaleness | undefined): Map<string, readonly EntryTemplate[]> {
  let byUnused = templateCache.get(u);
  if (!byUnused) templateCache.set(u, (byUnused = new WeakMap()));
  const key = unused ?? u;
  let byStaleness = byUnused.get(key);
  if (!byStaleness) byUnused.set(key, (byStaleness = new WeakMap()));
  let m = byStaleness.get(staleness ?? u);
  if (!m) byStaleness.set(staleness ?? u, (m = new Map()));
  return m;
}

/** A template marked as markStale marks a problem: a wildcard refinement says the catalog may be stale. */
function markTemplate(t: EntryTemplate, value: string, staleness: CatalogStaleness): EntryTemplate {
  return refinesWildcard(t.code, value) ? { ...t, message: staleMessage(staleness, t.message), rest: { ...t.rest, catalogStale: staleness.short } } : t;
}

const NONE: readonly EntryTemplate[] = [];

/** The problems of one Action/NotAction entry; `unused` only where its statement allows and lists actions (an Allow `Action`). */
function entryProblems(catalog: Catalog, u: Universe, unused: UnusedSet | undefined, value: string): readonly EntryTemplate[] {
  // an interpolation (`${var.service}:Get*`, `!Sub`, `${self:…}`) is computed by its tool: reported as not refinable by the format, never as an unknown action
  if (value.includes('${')) return NONE;
  const shape = patternShapeError(value);
  // IAM rejects the whole policy for an empty or blank action: an error, as `iam-refine refine` says
  if (shape && value.trim() === '') return [{ code: 'invalid-policy', message: `${shape}: IAM rejects it`, severity: 'error', rest: {} }];
  if (shape) return [{ code: 'unknown-action', message: `${shape}`, severity: 'warning', rest: { suggestions: [] } }];
  const out: EntryTemplate[] = [];
  const allowed = u.expand(value);
  if (!allowed.some((i) => u.inCatalog(i))) {
    const suggestions = suggest(catalog, value);
    const known = isWildcard(value) ? 'matches no action' : 'is not an action';
    out.push({
      code: 'unknown-action',
      message: `${value} ${known} in the catalog (${catalog.source} ${catalog.version})${suggestions.length ? `; did you mean ${suggestions.join(', ')}?` : ''}`,
      severity: 'warning',
      rest: { suggestions },
    });
  }
  if (!unused) return out.length ? out : NONE;
  const unusedHere = allowed.filter((i) => unused.indexes.has(i));
  if (unusedHere.length === 0) return out.length ? out : NONE;
  const names = unusedHere.map((i) => u.nameAt(i));
  if (value.trim() === '*') {
    out.push({ code: 'unused-wildcard', message: `"*" allows ${plural(unusedHere.length, 'unused action')}${evidenceNote(unused)}`, severity: 'warning', rest: { unused: names, allows: allowed.length } });
  } else if (unusedHere.length === allowed.length) {
    const message = isWildcard(value)
      ? `${value} allows only unused actions (${unusedHere.length})${evidenceNote(unused)}`
      : `${u.nameAt(allowed[0])} is unused (${usageNote(unused, allowed[0])})${evidenceNote(unused)}`;
    out.push({ code: 'unused-action', message, severity: 'warning', rest: { unnecessary: true, unused: names, allows: allowed.length } });
  } else {
    out.push({
      code: 'unused-wildcard',
      message: `${value} allows ${plural(unusedHere.length, 'unused action')} (of ${allowed.length})${evidenceNote(unused)}`,
      severity: 'warning',
      rest: { unused: names, allows: allowed.length },
    });
  }
  return out;
}

/**
 * The target of entry k of statement s of policy p: one frozen object per place, shared by every
 * problem of every version that points there (a keystroke in a broad policy made a thousand of them;
 * kept, they are old objects a young-generation collection does not copy). Bounded by the largest
 * document seen (ReadOnlyAccess: 2,914 entries).
 */
const targets: ProblemTarget[][][] = [];

function entryTarget(p: number, s: number, k: number): ProblemTarget {
  const byStatement = (targets[p] ??= []);
  const byEntry = (byStatement[s] ??= []);
  return (byEntry[k] ??= Object.freeze({ policy: p, statement: s, entry: k }) as ProblemTarget);
}

/** Everything the editor and `iam-refine check` report for a document. */
export function analyzeDocument(doc: ParsedDocument, ctx: AnalyzeContext): Problem[] {
  const problems: Problem[] = doc.problems.map((p) => ({ ...p }));
  const u = ctx.universe;
  doc.policies.forEach((policy, p) => {
    const policyUnused = ctx.unusedByPolicy?.[p] ?? ctx.unused;
    policy.statements.forEach((st, s) => {
      const unused = ctx.unusedByStatement?.get(`${p}.${s}`) ?? policyUnused;
      const allowStatement = st.effect === 'Allow' && !st.opaque && !st.suppressed && !st.principal;
      const active = allowStatement && st.key === 'Action' ? unused : undefined;
      const stale = ctx.staleness;
      const templates = entryTemplates(u, active, stale);
      st.entries.forEach((e, k) => {
        let tpl = templates.get(e.value);
        if (tpl === undefined) {
          if (templates.size >= TEMPLATES_KEPT) templates.clear();
          tpl = entryProblems(ctx.catalog, u, active, e.value);
          if (stale && tpl.length) tpl = tpl.map((t) => markTemplate(t, e.value, stale));
          templates.set(e.value, tpl);
        }
        if (tpl.length === 0) return;
        const target = entryTarget(p, s, k);
        for (const t of tpl) problems.push(Object.assign({ code: t.code, message: t.message, severity: t.severity, offset: e.span.offset, length: e.span.length, pattern: e.value, target }, t.rest));
      });
      if (allowStatement && st.key === 'NotAction' && unused && st.keySpan) {
        const excluded = new Set(st.entries.flatMap((e) => u.expand(e.value)));
        const names: string[] = [];
        for (const i of unused.indexes) if (!excluded.has(i)) names.push(u.nameAt(i));
        if (names.length) {
          const key = st.keySpan;
          names.sort();
          const message = `this NotAction statement allows ${plural(names.length, 'unused action')}${evidenceNote(unused)}`;
          const problem: Problem = {
            code: 'unused-wildcard',
            message: ctx.staleness ? staleMessage(ctx.staleness, message) : message,
            severity: 'warning',
            offset: key.offset,
            length: key.length,
            target: { policy: p, statement: s },
            pattern: 'NotAction',
            unused: names,
            allows: u.size - excluded.size,
          };
          if (ctx.staleness) problem.catalogStale = ctx.staleness.short;
          problems.push(problem);
        }
      }
    });
  });
  return problems.sort((a, b) => a.offset - b.offset);
}

export function levenshtein(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      rowMin = Math.min(rowMin, cur[j]);
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length];
}

const suggestions = new WeakMap<Catalog, Map<string, string[]>>();

/** The closest real names for a pattern that matches nothing: same service first, else the closest service prefixes (kept per catalog: a keystroke asks again). */
export function suggest(catalog: Catalog, pattern: string, count = 3): string[] {
  let byPattern = suggestions.get(catalog);
  if (!byPattern) suggestions.set(catalog, (byPattern = new Map()));
  const key = `${count}\n${pattern}`;
  let out = byPattern.get(key);
  if (!out) {
    if (byPattern.size >= 4096) byPattern.clear();
    byPattern.set(key, (out = suggestNow(catalog, pattern, count)));
  }
  return [...out];
}

function suggestNow(catalog: Catalog, pattern: string, count: number): string[] {
  const colon = pattern.indexOf(':');
  if (colon < 0) return [];
  const prefix = pattern.slice(0, colon).toLowerCase();
  const action = pattern.slice(colon + 1).toLowerCase();
  const svc = catalog.services.get(prefix);
  if (!svc) {
    // the closest service prefixes that have the action (or, for a wildcard, an action it matches), spelled as the catalog spells them
    const limit = Math.max(1, Math.floor(prefix.length / 3));
    const out: string[] = [];
    const near = [...catalog.services.keys()]
      .map((k) => [k, levenshtein(prefix, k, limit)] as const)
      .filter(([, d]) => d <= limit)
      .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
    for (const [k] of near) {
      const other = catalog.services.get(k)!;
      const name = isWildcard(action) ? (other.actions.some((a) => matchesPattern(action, a)) ? pattern.slice(colon + 1) : undefined) : other.actions.find((a) => a.toLowerCase() === action);
      if (name !== undefined) out.push(`${other.prefix}:${name}`);
      if (out.length === count) break;
    }
    return out;
  }
  if (isWildcard(action)) return [];
  const limit = Math.max(2, Math.floor(action.length / 4));
  return svc.actions
    .map((a) => [a, levenshtein(action, a.toLowerCase(), limit)] as const)
    .filter(([, d]) => d <= limit)
    .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, count)
    .map(([a]) => `${svc.prefix}:${a}`);
}
