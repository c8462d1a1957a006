/**
 * Permissions newer than the findings. Access Analyzer (and Access Advisor, Security Hub) judge only
 * permissions that existed when they looked: an action line changed after the findings' date was
 * not judged, so it is never flagged or removed. Pure: the lines' times (from `git blame`) are
 * handed in by the workspace service.
 */
import { LineIndex } from './text';
import { ParsedDocument, StatementModel, Span } from './model';
import { UnusedSet } from './findings';
import { Universe } from './universe';
import type { Problem } from './analyze';
import { statementAllows } from './refine';

/**
 * When each line of a text last changed (0-based line → epoch ms), as `git blame` says;
 * `Infinity` for a line not committed (changed in the working tree or unsaved in the editor).
 */
export type LineTimes = readonly number[];

export interface JudgedInput {
  universe: Universe;
  unused?: UnusedSet;
  unusedByPolicy?: (UnusedSet | undefined)[];
  /** Undefined: no history (not a git repository, git missing): every line counts as judged. */
  lineTimes?: LineTimes;
  /** Per entry offset: when its text was added (wins over its line's time; see workspace/gitHistory.ts). */
  entryTimes?: ReadonlyMap<number, number>;
  /** `gracePeriodDays` of iam-refiner.json: lines changed this many days before the findings are not judged either. */
  graceDays?: number;
}

export interface JudgedResult {
  /** Per statement `"policy.statement"`: its unused set without what its unjudged entries allow. */
  unusedByStatement: Map<string, UnusedSet>;
  /** One information problem per unjudged entry that the findings would otherwise flag. */
  problems: Problem[];
  /** How many entries were spared. */
  spared: number;
}

const DAY = 86_400_000;

function lastChange(lines: LineIndex, times: LineTimes, span: Span): number {
  const a = lines.position(span.offset).line;
  const b = lines.position(span.offset + Math.max(0, span.length - 1)).line;
  let t = -Infinity;
  // a line the blame does not cover (the text grew meanwhile) is as new as can be
  for (let l = a; l <= b; l++) t = Math.max(t, l < times.length ? times[l] : Infinity);
  return t;
}

function day(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 10) : 'not committed';
}

/**
 * Which action entries changed after the findings judged (minus the grace period), and the unused
 * sets that spare them: per statement, the actions those entries allow are taken out of the unused
 * set, so the refinement keeps them allowed and verification checks exactly that. A NotAction
 * statement, or an Action `*`, with an unjudged part is spared as a whole.
 */
export function spareUnjudged(doc: ParsedDocument, input: JudgedInput): JudgedResult {
  const out: JudgedResult = { unusedByStatement: new Map(), problems: [], spared: 0 };
  const times = input.lineTimes;
  if (!times) return out;
  const u = input.universe;
  const lines = new LineIndex(doc.text);
  doc.policies.forEach((policy, p) => {
    const unused = input.unusedByPolicy?.[p] ?? input.unused;
    if (!unused || !unused.judgedAt || unused.indexes.size === 0) return;
    const judged = Date.parse(unused.judgedAt);
    const cutoff = judged - (input.graceDays ?? 0) * DAY;
    const findingsDay = unused.judgedAt.slice(0, 10);
    policy.statements.forEach((st: StatementModel, s) => {
      if (st.effect !== 'Allow' || st.opaque || st.suppressed || st.principal || !st.key) return;
      const newer = st.entries.map((e) => input.entryTimes?.get(e.span.offset) ?? lastChange(lines, times, e.span)).map((t) => (t > cutoff ? t : undefined));
      const keyNewer = st.keySpan && st.key === 'NotAction' ? lastChange(lines, times, st.keySpan) > cutoff : false;
      if (!keyNewer && newer.every((t) => t === undefined)) return;
      const whole = st.key === 'NotAction' || st.entries.some((e, k) => newer[k] !== undefined && (e.value === '*' || /^[*?:]+$/.test(e.value)));
      const spared = new Set<number>();
      if (whole) for (const i of statementAllows(u, st)) spared.add(i);
      else st.entries.forEach((e, k) => newer[k] !== undefined && u.expand(e.value).forEach((i) => spared.add(i)));
      const kept = new Set<number>();
      for (const i of unused.indexes) if (!spared.has(i)) kept.add(i);
      if (kept.size === unused.indexes.size) return; // the new entries allow nothing the findings call unused
      out.unusedByStatement.set(`${p}.${s}`, { ...unused, indexes: kept });
      const note = (t: number) => {
        const when = Number.isFinite(t) ? `changed ${day(t)}` : 'changed, not committed';
        const graceNote = t <= judged ? ` (within gracePeriodDays ${input.graceDays})` : '';
        return `${when}${graceNote}: added after the findings of ${findingsDay}; not judged yet`;
      };
      st.entries.forEach((e, k) => {
        const t = newer[k];
        if (t === undefined && !(whole && keyNewer)) return;
        const hit = whole ? [...spared].filter((i) => unused.indexes.has(i)) : u.expand(e.value).filter((i) => unused.indexes.has(i));
        if (hit.length === 0) return;
        out.spared++;
        out.problems.push({
          code: 'not-judged',
          message: `${e.value}: ${note(t ?? lastChange(lines, times, st.keySpan!))} (${unused.evidence ?? 'the findings'} would call ${hit.length === 1 ? u.nameAt(hit[0]) : `${hit.length} of its actions`} unused)`,
          severity: 'information',
          offset: e.span.offset,
          length: e.span.length,
          target: { policy: p, statement: s, entry: k },
          pattern: e.value,
          unused: hit.map((i) => u.nameAt(i)).sort(),
        });
      });
    });
  });
  return out;
}
