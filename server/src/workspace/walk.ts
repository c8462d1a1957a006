/**
 * The one directory walker of the CLI and the editor: findings files by glob, policy files by the
 * registered formats' file names. One skip list, documented in the README ("Which files").
 */
import { Dirent, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { globBase, matchesAnyGlob } from '../core';

/** Folders never searched: version control, dependencies, downloaded Terraform modules, editor test installs and caches. */
export const SKIPPED_DIRS: readonly string[] = ['.git', '.hg', '.svn', 'node_modules', '.terraform', '.vscode-test', '.cache'];
const SKIPPED = new Set(SKIPPED_DIRS);

export interface WalkOptions {
  /** Depth limit below the root (0: the root's own files). */
  maxDepth?: number;
  /** Stop after visiting this many entries (a runaway tree must not hang the server). */
  maxEntries?: number;
  isCancelled?: () => boolean;
  /** How long the walk reads before it lets other work run (default SLICE_MS; 0: it yields after every folder). */
  sliceMs?: number;
  /** `accept` is given each file's own name, not its relative path (none is made for the files it refuses). */
  byName?: boolean;
}

/**
 * Folders are read synchronously, a slice of SLICE_MS at a time, then the walk yields (setImmediate):
 * fs.promises.readdir cost 150–300 µs a folder here (a thread-pool round trip and its promise each),
 * readdirSync 20–40: walking this repository's 80 folders took 13–30 ms, now 2–3, and the language
 * server's event loop is never held longer than a slice (and one folder's read).
 */
const SLICE_MS = 8;

/** A monotonic clock in ms without the global `performance` (its first use loads perf_hooks: about 0.5 ms of a CLI command). */
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * The files under `root` (relative, `/`-separated, sorted) that `accept` takes, searching from
 * `starts` (literal folders, each with how deep it may reach).
 */
async function walkFrom(root: string, starts: Map<string, number>, accept: (rel: string) => boolean, opts: WalkOptions): Promise<string[]> {
  const found = new Set<string>();
  let left = opts.maxEntries ?? 200_000;
  const visited = new Set<string>();
  const sliceMs = opts.sliceMs ?? SLICE_MS;
  const byName = !!opts.byName;
  let sliceFrom = nowMs();
  // a start inside another start with a deeper reach is covered by it
  for (const [base, depth] of [...starts.entries()].sort((a, b) => a[0].length - b[0].length)) {
    // depth first, each folder's entries in name order (the order the budget counts them in), as a recursion would visit them
    const stack: [string, number][] = [[base, Math.min(depth, opts.maxDepth ?? Infinity)]];
    while (stack.length) {
      if (nowMs() - sliceFrom >= sliceMs) {
        await yieldNow();
        sliceFrom = nowMs();
      }
      if (left <= 0 || opts.isCancelled?.()) return [...found].sort();
      const [rel, d] = stack.pop()!;
      const key = `${rel}\0${d}`;
      if (visited.has(key)) continue;
      visited.add(key);
      let entries: Dirent[];
      try {
        entries = readdirSync(path.join(root, rel), { withFileTypes: true });
      } catch {
        continue;
      }
      entries.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
      const dirs: string[] = [];
      for (const e of entries) {
        if (--left <= 0) return [...found].sort();
        const name = e.name;
        if (e.isDirectory()) {
          if (!SKIPPED.has(name)) dirs.push(rel ? `${rel}/${name}` : name);
        } else if (e.isFile()) {
          if (byName) {
            if (accept(name)) found.add(rel ? `${rel}/${name}` : name);
          } else {
            const child = rel ? `${rel}/${name}` : name;
            if (accept(child)) found.add(child);
          }
        }
      }
      // the first folder is read next
      if (d > 0) for (let i = dirs.length - 1; i >= 0; i--) stack.push([dirs[i], d - 1]);
    }
  }
  return [...found].sort();
}

const yieldNow = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The files under `root` matching any of `globs`. Each search starts in the glob's literal folder
 * and stops at its depth, so `findings/*.json` reads one folder.
 */
export function findFiles(root: string, globs: string[], opts: WalkOptions = {}): Promise<string[]> {
  const starts = new Map<string, number>();
  for (const g of globs) {
    const { base, depth } = globBase(g);
    starts.set(base, Math.max(starts.get(base) ?? -1, depth));
  }
  return walkFrom(root, starts, (rel) => matchesAnyGlob(globs, rel), opts);
}

/** Every file under `root` that `accept` takes (by its relative path). */
export function walkFiles(root: string, accept: (rel: string) => boolean, opts: WalkOptions = {}): Promise<string[]> {
  return walkFrom(root, new Map([['', Infinity]]), accept, opts);
}
