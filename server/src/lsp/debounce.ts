/** Timers by key: a newer call for the same key restarts its wait. */
export class Debouncer {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  run(key: string, delay: number, fn: () => void): void {
    this.cancel(key);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        fn();
      }, delay),
    );
  }

  /** Whether a call for `key` is waiting. */
  has(key: string): boolean {
    return this.timers.has(key);
  }

  cancel(key: string): void {
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.delete(key);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
