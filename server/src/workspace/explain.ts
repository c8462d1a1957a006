/**
 * The explanation of one entry of an analysed document, from the refinement the quick fix uses
 * (`refinement()` of the same scope, cached on the analysis). Shared by the language server and
 * `iam-refine explain`.
 */
import { ExplainError, Explanation, Finding, Scope, StatementPlan, allowsEverything, explainStatement, planDocument } from '../core';
import { Analysis, refinement } from './analysis';

export interface ExplainTargetRef {
  policy: number;
  statement: number;
  /** The Action entry; absent for a NotAction statement. */
  entry?: number;
}

export type ExplainResult = { kind: 'ok'; explanation: Explanation; scope: Scope } | { kind: 'error'; message: string };

/** The entry (or NotAction key) at an offset of the analysed text. */
export function explainTargetAt(a: Analysis, offset: number): ExplainTargetRef | undefined {
  const policies = a.parsed?.policies ?? [];
  for (let p = 0; p < policies.length; p++) {
    const sts = policies[p].statements;
    for (let s = 0; s < sts.length; s++) {
      const st = sts[s];
      for (let k = 0; k < st.entries.length; k++) {
        const sp = st.entries[k].span;
        if (offset >= sp.offset && offset < sp.offset + Math.max(1, sp.length)) return st.key === 'NotAction' ? { policy: p, statement: s } : { policy: p, statement: s, entry: k };
      }
      const key = st.keySpan;
      if (st.key === 'NotAction' && key && offset >= key.offset && offset < key.offset + key.length) return { policy: p, statement: s };
    }
  }
  return undefined;
}

/** Whether Explain Refinement has something to show at a target: an Allow statement's wildcard, NotAction, or "*". */
export function explainable(a: Analysis, t: ExplainTargetRef): boolean {
  const st = a.parsed?.policies[t.policy]?.statements[t.statement];
  if (!st || st.effect !== 'Allow' || st.opaque || st.suppressed || st.principal || !a.context) return false;
  if (st.key === 'NotAction') return true;
  const e = t.entry === undefined ? undefined : st.entries[t.entry];
  return !!e && /[*?]/.test(e.value);
}

/**
 * The entries explained with `k` as a list: those of its service (literal service prefix), when
 * there are several. Used for an entry that allows no unused action (a refined list's pattern), or
 * always with `forceList` (`iam-refine explain` with several patterns).
 */
function listGroup(st: { entries: { value: string }[] }, k: number): number[] {
  const svc = (v: string) => {
    const c = v.indexOf(':');
    const s = c < 0 ? '' : v.slice(0, c).toLowerCase();
    return /[*?]/.test(s) ? '' : s;
  };
  const mine = svc(st.entries[k].value);
  if (!mine) return [k];
  return st.entries.flatMap((e, i) => (svc(e.value) === mine ? [i] : []));
}

export function explainTarget(a: Analysis, findings: Finding[], t: ExplainTargetRef, log: (m: string) => void, opts: { forceList?: boolean } = {}): ExplainResult {
  if (a.kind !== 'policy' || !a.parsed || !a.context) return { kind: 'error', message: 'not a policy document' };
  if (a.parsed.hasSyntaxErrors) return { kind: 'error', message: 'fix the syntax errors first' };
  const st = a.parsed.policies[t.policy]?.statements[t.statement];
  if (!st) return { kind: 'error', message: 'the statement is gone (the document changed)' };
  if (st.suppressed) return { kind: 'error', message: 'this statement is opted out of refinement (its Sid starts with NOREPO)' };
  if (st.principal) return { kind: 'error', message: 'a statement with a Principal belongs to a resource or trust policy: never refined' };
  const unused = a.context.unusedByPolicy?.[t.policy] ?? a.context.unused;
  const u = a.context.universe;
  const whole = st.key === 'NotAction' || st.entries.some((e) => allowsEverything(u, e.value));
  if (!whole && t.entry === undefined) return { kind: 'error', message: 'no action entry given' };
  if (!whole && unused && st.key === 'Action' && st.effect === 'Allow' && !st.opaque && st.entries[t.entry!]) {
    const e = st.entries[t.entry!];
    const clean = !u.expand(e.value).some((i) => unused.indexes.has(i));
    const group = listGroup(st, t.entry!);
    if ((opts.forceList || clean) && group.length > 1) {
      try {
        const scope: Scope = { kind: 'statement', policy: t.policy, statement: t.statement };
        return { kind: 'ok', scope, explanation: explainStatement({ universe: u, unused, findings, statement: st, plan: undefined, entry: t.entry, list: group }) };
      } catch (x) {
        if (x instanceof ExplainError) return { kind: 'error', message: x.message };
        throw x;
      }
    }
  }
  const scope: Scope = whole ? { kind: 'statement', policy: t.policy, statement: t.statement } : { kind: 'entry', policy: t.policy, statement: t.statement, entry: t.entry! };
  const outcome = refinement(a, scope, log);
  if (outcome.kind === 'unavailable' || !unused) return { kind: 'error', message: outcome.kind === 'unavailable' ? outcome.message : 'no findings apply to this file' };
  let plan: StatementPlan | undefined;
  if (outcome.kind === 'ok') plan = outcome.result.plans[t.policy]?.statements[t.statement];
  else {
    // every permission of the policy is unused: the quick fix is withheld (IAM rejects an empty
    // policy), but its plan is what it would have written
    const ctx = { universe: u, unused: a.context.unused!.indexes, unusedByPolicy: a.context.unusedByPolicy?.map((x) => x?.indexes) };
    plan = planDocument(ctx, a.parsed, scope)[t.policy]?.statements[t.statement];
  }
  try {
    return { kind: 'ok', scope, explanation: explainStatement({ universe: u, unused, findings, statement: st, plan, entry: t.entry }) };
  } catch (e) {
    if (e instanceof ExplainError) return { kind: 'error', message: e.message };
    throw e;
  }
}
