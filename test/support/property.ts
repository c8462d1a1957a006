/**
 * What every property test shares: PROPERTY_RUNS=<factor> scales the runs, FC_SEED=<n> (printed on
 * failure) replays a run, FC_SHRINK=1 shrinks a failure where a test stops at the first one by
 * default; coverage counters, printed at the end and required to be non-zero, so a run shows what
 * it exercised and fails when a generator stops producing a case.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';

const factor = Number(process.env.PROPERTY_RUNS ?? '1');
export const runs = (n: number): number => Math.max(1, Math.round(n * factor));
export const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;

/** fast-check parameters for `numRuns` cases (scaled); `stopAtFirst`: no shrinking unless FC_SHRINK=1. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function params(numRuns: number, opts: { stopAtFirst?: boolean } = {}): fc.Parameters<any> {
  return { numRuns: runs(numRuns), seed, includeErrorInReport: true, ...(opts.stopAtFirst ? { endOnFailure: process.env.FC_SHRINK !== '1' } : {}) };
}

export class Coverage {
  readonly seen: Record<string, number> = {};
  readonly count = (k: string, n = 1): number => (this.seen[k] = (this.seen[k] ?? 0) + n);

  /** An oracle's statistics of one case. */
  stats(s: { changed: number; removed: number; notAction: number; written: number }): void {
    this.count('statements changed', s.changed);
    this.count('statements removed', s.removed);
    this.count('NotAction outputs', s.notAction);
    this.count('patterns written', s.written);
  }

  /** Prints the counters and fails when one of `required` was never seen. */
  report(required: string[]): void {
    console.log(Object.entries(this.seen).map(([k, v]) => `${k}: ${v}`).join('; '));
    for (const k of required) assert.ok((this.seen[k] ?? 0) > 0, `no case exercised: ${k}`);
  }
}
