/** The rows of the bench table: what test/bench/bench.ts and test/bench/lspBench.ts both measure into. */

/** One line of the table. */
export interface BenchRow {
  name: string;
  median_ms: number;
  min_ms: number;
  max_ms: number;
  /** '< 60 ms', '< 150 MB' or '—'. The status compares the median with it. */
  target: string;
  note: string;
  memory?: string;
  /** 'missing' or an error message, when the row could not be measured. */
  unavailable?: string;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** A row of timings (ms): the median, min and max of `samples`, each rounded by `round`. */
export function timingRow(name: string, samples: number[], target: string, note: string, round: (x: number) => number): BenchRow {
  return { name, median_ms: round(median(samples)), min_ms: round(Math.min(...samples)), max_ms: round(Math.max(...samples)), target, note };
}
