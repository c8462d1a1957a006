/**
 * The one directory walker of the CLI and the editor: findings files by glob, policy files by the
 * registered formats' file names. One skip list, documented in the README ("Which files").
 */
import { promises as fs } from 'node:fs';
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
}

/**
 * The files under `root` (relative, `/`-separated, sorted) that `accept` takes, searching from
 * `starts` (literal folders, each with how deep it may reach).
 */
async function walkFrom(root: string, starts: Map<string, number>, accept: (rel: string) => boolean, opts: WalkOptions): Promise<string[]> {
  const found = new Set<string>();
  const budget = { left: opts.maxEntries ?? 200_000 };
  const visited = new Set<string>();
  // a start inside another start with a deeper reach is covered by it
  for (const [base, depth] of [...starts.entries()].sort((a, b) => a[0].length - b[0].length)) {
    await walk(root, base, Math.min(depth, opts.maxDepth ?? Infinity), accept, found, budget, visited, opts);
  }
  return [...found].sort();
}

async function walk(root: string, rel: string, depth: number, accept: (rel: string) => boolean, found: Set<string>, budget: { left: number }, visited: Set<string>, opts: WalkOptions): Promise<void> {
  const key = `${rel}\0${depth}`;
  if (visited.has(key) || budget.left <= 0 || opts.isCancelled?.()) return;
  visited.add(key);
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(path.join(root, rel), { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const dirs: string[] = [];
  for (const e of entries) {
    if (--budget.left <= 0) return;
    const child = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (!SKIPPED.has(e.name)) dirs.push(child);
    } else if (e.isFile() && accept(child)) found.add(child);
  }
  if (depth <= 0) return;
  for (const d of dirs) await walk(root, d, depth - 1, accept, found, budget, visited, opts);
}

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
