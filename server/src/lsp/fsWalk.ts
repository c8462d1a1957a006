import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { matchesGlob } from '../core';

/** Directories never searched for findings or policy files. */
const SKIPPED_DIRS = new Set(['node_modules', '.git', '.hg', '.svn', '.vscode-test', '.cache']);

export interface WalkOptions {
  /** Depth limit below the root (0: the root's own files). */
  maxDepth?: number;
  /** Stop after visiting this many entries (a runaway tree must not hang the server). */
  maxEntries?: number;
  isCancelled?: () => boolean;
}

/** The literal directory a glob starts in, and how deep it may reach below it. */
function globBase(glob: string): { base: string; depth: number } {
  const g = glob.replace(/^\.\//, '');
  if (!g.includes('/')) return { base: '', depth: Infinity }; // a bare name matches at any depth
  const segs = g.split('/');
  const literal: string[] = [];
  for (const s of segs.slice(0, -1)) {
    if (/[*?{[]/.test(s)) break;
    literal.push(s);
  }
  const rest = segs.slice(literal.length);
  return { base: literal.join('/'), depth: rest.includes('**') ? Infinity : rest.length - 1 };
}

/**
 * The files under `root` matching any of `globs` (relative, `/`-separated, sorted). Starts each
 * search in the glob's literal directory and stops at its depth, so `findings/*.json` reads one directory.
 */
export async function findFiles(root: string, globs: string[], opts: WalkOptions = {}): Promise<string[]> {
  const found = new Set<string>();
  const budget = { left: opts.maxEntries ?? 100_000 };
  const starts = new Map<string, number>();
  for (const g of globs) {
    const { base, depth } = globBase(g);
    starts.set(base, Math.max(starts.get(base) ?? -1, Math.min(depth, opts.maxDepth ?? Infinity)));
  }
  // a start inside another start with a deeper reach is already covered
  const list = [...starts.entries()].sort((a, b) => a[0].length - b[0].length);
  const visited = new Set<string>();
  for (const [base, depth] of list) {
    await walk(root, base, depth, globs, found, budget, visited, opts);
  }
  return [...found].sort();
}

async function walk(
  root: string,
  rel: string,
  depth: number,
  globs: string[],
  found: Set<string>,
  budget: { left: number },
  visited: Set<string>,
  opts: WalkOptions,
): Promise<void> {
  const key = `${rel}\0${depth}`;
  if (visited.has(key) || budget.left <= 0 || opts.isCancelled?.()) return;
  visited.add(key);
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(path.join(root, rel), { withFileTypes: true });
  } catch {
    return;
  }
  const dirs: string[] = [];
  for (const e of entries) {
    if (--budget.left <= 0) return;
    const child = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (!SKIPPED_DIRS.has(e.name)) dirs.push(child);
    } else if (e.isFile() && globs.some((g) => matchesGlob(g, child))) {
      found.add(child);
    }
  }
  if (depth <= 0) return;
  for (const d of dirs) await walk(root, d, depth - 1, globs, found, budget, visited, opts);
}
