/**
 * When live findings are fetched: a pure decision (`dueOnLoad`, `nextAutomatic`) over what is known
 * of one set of findings, and a timer that carries it out (RefreshTimer).
 *
 * - On first use in a session a fetch is due when nothing is cached or the cache is older than the
 *   refresh interval; later, when the interval has passed since the last fetch or attempt.
 * - After a failure the next automatic attempt comes after at most RETRY_AFTER_FAILURE_MIN minutes.
 * - Interval 0: never automatically (only the refresh command), except the first fetch when
 *   nothing is cached.
 * - Just after the connection or roles changed (an edit of iam-refiner.json or the settings may
 *   still be under way) a due fetch waits until `settleUntil`.
 */

/** After a failed fetch, try again after at most this long (the refresh interval when shorter). */
export const RETRY_AFTER_FAILURE_MIN = 5;
/** When the key changes (roles edited in iam-refiner.json, settings), the fetch waits this long for the edit to settle. */
export const SETTLE_MS = 3000;
/** setTimeout's limit. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface RefreshState {
  /** Minutes between automatic fetches; 0: only when asked. */
  intervalMinutes: number;
  /** A fetch was started in this session. */
  attempted: boolean;
  /** When the last fetch started (ms), 0 if none. */
  lastAttemptAt: number;
  /** When the findings in use were fetched (ms), 0 if none. */
  fetchedAtMs: number;
  hasCache: boolean;
  /** The last fetch failed. */
  failed: boolean;
  /** No automatic fetch before this time (ms). */
  settleUntil: number;
}

export type NextFetch = { kind: 'now' } | { kind: 'after'; delayMs: number } | { kind: 'none' };

const lastActivity = (s: RefreshState) => Math.max(s.fetchedAtMs, s.lastAttemptAt);

/** How long after the last activity the next automatic fetch comes (shorter after a failure). */
const waitMs = (s: RefreshState) => (s.failed ? Math.min(s.intervalMinutes, RETRY_AFTER_FAILURE_MIN) : s.intervalMinutes) * 60_000;

/** The next automatic fetch after a fetch (or when none is due now): when the interval (or the retry wait) has passed; never with interval 0. */
export function nextAutomatic(s: RefreshState, now: number): NextFetch {
  if (s.intervalMinutes <= 0) return { kind: 'none' };
  return { kind: 'after', delayMs: Math.min(MAX_TIMER_MS, Math.max(1000, lastActivity(s) + waitMs(s) - now)) };
}

/** What to do when the findings are asked for (a folder loads): fetch now, after the settling time, or schedule the next one. */
export function dueOnLoad(s: RefreshState, now: number): NextFetch {
  const intervalMs = s.intervalMinutes * 60_000;
  const due = !s.attempted ? !s.hasCache || (intervalMs > 0 && now - s.fetchedAtMs >= intervalMs) : intervalMs > 0 && now - lastActivity(s) >= waitMs(s);
  if (!due) return nextAutomatic(s, now);
  if (now < s.settleUntil) return { kind: 'after', delayMs: Math.min(MAX_TIMER_MS, s.settleUntil - now) };
  return { kind: 'now' };
}

/** Carries out a NextFetch: runs `fetch` now or after the delay (one timer at a time, not keeping the process alive). */
export class RefreshTimer {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly fetch: () => void) {}

  apply(next: NextFetch): void {
    this.clear();
    if (next.kind === 'now') this.fetch();
    else if (next.kind === 'after') {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.fetch();
      }, next.delayMs);
      this.timer.unref?.();
    }
  }

  get armed(): boolean {
    return this.timer !== undefined;
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
