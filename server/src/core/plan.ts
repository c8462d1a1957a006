/** What refinement decides, per statement: the plan types the engine produces and each format writes. */
import type { PolicyModel, StatementModel } from './model';

/** Which part of a document to refine: everything, one statement, or one action entry. */
export type Scope =
  | { kind: 'document' }
  | { kind: 'statement'; policy: number; statement: number }
  | { kind: 'entry'; policy: number; statement: number; entry: number };

export type EntryFate = { kind: 'keep' } | { kind: 'remove' } | { kind: 'replace'; patterns: string[] };

export type StatementChange =
  | { kind: 'none' }
  | { kind: 'remove' }
  | { kind: 'entries'; fates: EntryFate[] }
  /** `"Action": "*"` becomes `"NotAction": [what is unused]`: exactly equivalent, and short. */
  | { kind: 'to-not-action'; patterns: string[] }
  /** Allow + NotAction: the unused actions are added to NotAction. */
  | { kind: 'extend-not-action'; patterns: string[] };

export interface StatementPlan {
  policy: number;
  statement: number;
  model: StatementModel;
  change: StatementChange;
}

export interface PolicyPlan {
  policy: PolicyModel;
  statements: StatementPlan[];
}

/** The simplified fates of a list's entries: keep, remove, or the patterns written in its place. */
export function entryFates(fates: EntryFate[]): ('keep' | 'remove' | string[])[] {
  return fates.map((f) => (f.kind === 'keep' ? 'keep' : f.kind === 'remove' ? 'remove' : f.patterns));
}
