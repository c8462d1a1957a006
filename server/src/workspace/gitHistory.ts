/**
 * When each line of a policy file last changed, from `git blame --porcelain`: run once per file
 * content (cached by path and content hash), with the editor's text on stdin (`--contents -`), so
 * unsaved and uncommitted lines count as changed now. git runs through execFile (no shell), with a
 * timeout; without git, or outside a repository, there is no history and every line is judged.
 */
import { nodeChildProcess, nodeCrypto } from './lazyNode';
import * as path from 'node:path';
import type { LineTimes } from '../core';

export type HistoryState = 'git' | 'untracked' | 'no-git' | 'error';

export interface History {
  state: HistoryState;
  /** Undefined: no history, every line judged. */
  lineTimes?: LineTimes;
  /** For the status and the log: why there is no history. */
  note?: string;
  /**
   * Per action entry (by its offset) on a line changed after the findings: when its text was last
   * added to the file (`git log -S`), so a line touched only for a comma does not make an old
   * permission new. Infinity: added since the last commit.
   */
  entryTimes?: ReadonlyMap<number, number>;
}

const TIMEOUT_MS = 10_000;
const UNTRUSTED = 'Restricted Mode: git is not run in an untrusted workspace; every line is judged by the findings';
const ZERO = /^0{40}$/;

export interface GitRunner {
  (args: string[], cwd: string, input?: string): Promise<{ stdout: string; stderr: string; code: number | null; error?: Error }>;
}

/** git through execFile: no shell, a timeout, stdin written and closed, output as UTF-8. */
export const runGit: GitRunner = (args, cwd, input) =>
  new Promise((resolve) => {
    let child;
    try {
      child = nodeChildProcess().execFile(
        'git',
        // nothing of the repository's configuration that runs a program: no fsmonitor daemon, no text conversion
        ['-c', 'core.fsmonitor=false', ...args],
        { cwd, timeout: TIMEOUT_MS, maxBuffer: 256 * 1024 * 1024, windowsHide: true, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' } },
        (error, stdout, stderr) => {
          const code = error ? (typeof (error as NodeJS.ErrnoException).code === 'number' ? ((error as unknown as { code: number }).code) : null) : 0;
          resolve({ stdout: String(stdout), stderr: String(stderr), code, error: error ?? undefined });
        },
      );
    } catch (e) {
      resolve({ stdout: '', stderr: '', code: null, error: e instanceof Error ? e : new Error(String(e)) });
      return;
    }
    child.stdin?.on('error', () => undefined); // git exited before reading all of it: its exit status tells
    child.stdin?.end(input ?? '');
  });

/**
 * Line times from `git blame --porcelain` output: the committer time of each final line's commit,
 * Infinity for lines git reports as not committed yet (the all-zero commit).
 */
export function parsePorcelain(out: string): number[] {
  const times: number[] = [];
  const commitTime = new Map<string, number>();
  let current: string | undefined;
  let currentLine = -1;
  for (const line of out.split('\n')) {
    if (line.startsWith('\t')) {
      if (current !== undefined && currentLine >= 0) times[currentLine] = ZERO.test(current) ? Infinity : commitTime.get(current) ?? Infinity;
      current = undefined;
      continue;
    }
    const header = /^([0-9a-f]{40}) \d+ (\d+)(?: \d+)?$/.exec(line);
    if (header) {
      current = header[1];
      currentLine = Number(header[2]) - 1;
      continue;
    }
    if (current && line.startsWith('committer-time ')) commitTime.set(current, Number(line.slice(15)) * 1000);
  }
  for (let i = 0; i < times.length; i++) if (times[i] === undefined) times[i] = Infinity;
  return times;
}

export class GitHistory {
  private readonly blames = new Map<string, Promise<History>>();
  private readonly tops = new Map<string, Promise<string | undefined | Error>>();

  /**
   * `allowed`: whether git may run here at all. The language server says no in Restricted Mode: a
   * repository's own configuration (`.git/config` filters) can run programs, so an untrusted
   * workspace gets no history and every line is judged.
   */
  constructor(private readonly git: GitRunner = runGit, private readonly allowed: () => boolean = () => true) {}

  /** The repository's top level for a directory; undefined outside one; an Error when git cannot run. */
  topLevel(dir: string): Promise<string | undefined | Error> {
    let t = this.tops.get(dir);
    if (!t) {
      t = this.git(['rev-parse', '--show-toplevel'], dir).then((r) => {
        if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') return new Error('git is not installed (not on PATH)');
        if (r.code !== 0) return undefined;
        return r.stdout.trim() || undefined;
      });
      this.tops.set(dir, t);
    }
    return t;
  }

  /** One sentence for the status: whether newer lines can be told apart. */
  async describeFolder(dir: string | undefined): Promise<string> {
    if (!dir) return 'no folder: every line is judged by the findings';
    if (!this.allowed()) return UNTRUSTED;
    const top = await this.topLevel(dir);
    if (top instanceof Error) return `${top.message}: every line is judged by the findings`;
    if (!top) return 'not a git repository: every line is judged by the findings';
    return 'git: lines changed after the findings are not judged';
  }

  /** The last real blame of each file: a keystroke's times are derived from it, not asked of git again. */
  private readonly lastBlame = new Map<string, { lines: string[]; times: readonly number[] }>();
  private readonly refreshes = new Map<string, ReturnType<typeof setTimeout>>();

  /**
   * When each line of `text` (the file at absPath, maybe unsaved) last changed. The first text of a
   * file is blamed by git; an edited text takes the times of its last blame for the lines before
   * and after the edit, and "not committed" for the edited lines (what git says of a changed line),
   * and git blames it again once the typing pauses (REFRESH_MS), for the next analysis: a keystroke
   * never waits for a git process.
   */
  lineTimes(absPath: string, text: string): Promise<History> {
    if (!this.allowed()) return Promise.resolve({ state: 'no-git', note: UNTRUSTED });
    const key = `${absPath}\0${nodeCrypto().createHash('sha256').update(text).digest('hex')}`;
    let h = this.blames.get(key);
    if (h) return h;
    const last = this.lastBlame.get(absPath);
    if (last) {
      h = Promise.resolve({ state: 'git', lineTimes: deriveTimes(last.lines, last.times, splitLines(text)) });
      this.refreshLater(absPath, text, key);
    } else h = this.blameAndKeep(absPath, text);
    this.remember(key, h);
    return h;
  }

  private remember(key: string, h: Promise<History>): void {
    if (this.blames.size > 256) this.blames.delete(this.blames.keys().next().value!);
    this.blames.set(key, h);
  }

  private blameAndKeep(absPath: string, text: string): Promise<History> {
    return this.blame(absPath, text).then((r) => {
      if (r.state === 'git' && r.lineTimes) this.lastBlame.set(absPath, { lines: splitLines(text), times: r.lineTimes });
      else this.lastBlame.delete(absPath);
      if (this.lastBlame.size > 256) this.lastBlame.delete(this.lastBlame.keys().next().value!);
      // a commit may have happened since: what HEAD holds is asked again
      this.heads.delete(absPath);
      for (const k of [...this.introduced.keys()]) if (k.startsWith(`${absPath}\0`)) this.introduced.delete(k);
      return r;
    });
  }

  private refreshLater(absPath: string, text: string, key: string): void {
    clearTimeout(this.refreshes.get(absPath));
    const t = setTimeout(() => {
      this.refreshes.delete(absPath);
      this.remember(key, this.blameAndKeep(absPath, text));
    }, REFRESH_MS);
    t.unref?.();
    this.refreshes.set(absPath, t);
  }

  private readonly introduced = new Map<string, Promise<number>>();
  private readonly heads = new Map<string, Promise<string | undefined>>();

  /**
   * When `literal` (an action as written, quotes included) was last added to the file: the
   * committer time of the newest commit that changed how often it occurs (`git log -S`), or
   * Infinity when the text holds it more often than HEAD does (added, not committed) or git knows
   * no such commit.
   */
  async introducedAt(absPath: string, text: string, literal: string): Promise<number> {
    if (!this.allowed()) return Infinity;
    const top = await this.topLevel(path.dirname(absPath));
    if (!top || top instanceof Error) return Infinity;
    const rel = path.relative(top, absPath).split(path.sep).join('/');
    // HEAD's text and history do not change with the editor's text: kept per file until its next real blame
    let head = this.heads.get(absPath);
    if (!head) {
      head = this.git(['show', `HEAD:${rel}`], top).then((r) => (r.code === 0 ? r.stdout : undefined));
      this.heads.set(absPath, head);
      if (this.heads.size > 64) this.heads.delete(this.heads.keys().next().value!);
    }
    const committed = await head;
    if (committed === undefined || occurrences(text, literal) > occurrences(committed, literal)) return Infinity;
    const key = `${absPath}\0${literal}`;
    let t = this.introduced.get(key);
    if (!t) {
      t = this.git(['log', '-1', '--no-textconv', '--format=%ct', `-S${literal}`, '--', rel], top).then((r) => {
        const n = Number(r.stdout.trim());
        return r.code === 0 && r.stdout.trim() && Number.isFinite(n) ? n * 1000 : Infinity;
      });
      this.introduced.set(key, t);
      if (this.introduced.size > 4096) this.introduced.delete(this.introduced.keys().next().value!);
    }
    return t;
  }

  private async blame(absPath: string, text: string): Promise<History> {
    const dir = path.dirname(absPath);
    const top = await this.topLevel(dir);
    if (top instanceof Error) return { state: 'no-git', note: top.message };
    if (!top) return { state: 'no-git', note: 'not a git repository' };
    const rel = path.relative(top, absPath).split(path.sep).join('/');
    const r = await this.git(['blame', '--porcelain', '--no-textconv', '--contents', '-', '--', rel], top, text);
    if (r.code === 0) return { state: 'git', lineTimes: parsePorcelain(r.stdout) };
    // a file git does not know (new, untracked, or a repository without commits): every line is new
    if (/no such path|does not exist|bad revision|no such ref|not have any commits/i.test(r.stderr)) {
      const lines = text.split(/\r\n|\r|\n/).length;
      return { state: 'untracked', lineTimes: new Array<number>(lines).fill(Infinity), note: 'not committed: every line is newer than the findings' };
    }
    const why = r.error && (r.error as { killed?: boolean }).killed ? `git blame timed out after ${TIMEOUT_MS / 1000} s` : `git blame failed: ${r.stderr.trim().split('\n')[0] || r.error?.message || 'unknown error'}`;
    return { state: 'error', note: why };
  }
}

/** How long typing must pause before an edited file is blamed by git again. */
const REFRESH_MS = 1500;

function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

/**
 * Line times for `now` from a blame of `before`: the lines before the first difference and after
 * the last keep their times, the lines between are not committed (Infinity). One contiguous edit
 * (a keystroke, a paste) is exact; several at once may call an unchanged line between them new,
 * which only spares it until the next blame.
 */
export function deriveTimes(before: string[], times: readonly number[], now: string[]): number[] {
  let head = 0;
  const max = Math.min(before.length, now.length);
  while (head < max && before[head] === now[head]) head++;
  let tail = 0;
  while (tail < max - head && before[before.length - 1 - tail] === now[now.length - 1 - tail]) tail++;
  const out = new Array<number>(now.length);
  for (let i = 0; i < now.length; i++) {
    if (i < head) out[i] = times[i] ?? Infinity;
    else if (i >= now.length - tail) out[i] = times[before.length - (now.length - i)] ?? Infinity;
    else out[i] = Infinity;
  }
  return out;
}

function occurrences(text: string, literal: string): number {
  let n = 0;
  for (let i = text.indexOf(literal); i >= 0; i = text.indexOf(literal, i + literal.length)) n++;
  return n;
}
