// Temp dirs, workspace copies and artifact collection.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function makeTempRoot(prefix = 'editor-test-') {
  // Short base path: VS Code puts unix sockets under TMPDIR (108-byte limit).
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

const SKIP = new Set(['.git', 'node_modules', '.cache']);

/** Copies `src` (a directory) to <root>/workspace/<basename>; an empty folder when src is undefined. */
export function copyWorkspace(src, root) {
  const name = src ? path.basename(src) : 'workspace';
  const dest = path.join(root, 'workspace', name);
  if (src) {
    if (!existsSync(src)) throw new Error(`workspace not found: ${src}`);
    cpSync(src, dest, { recursive: true, filter: (p) => !SKIP.has(path.basename(p)) || p === src });
  } else {
    mkdirSync(dest, { recursive: true });
  }
  return dest;
}

const ARTIFACTS_MARKER = '.editor-artifacts';

/** Empties (or creates) an artifacts dir; refuses to wipe a non-empty dir this harness did not make. */
export function freshDir(dir) {
  if (existsSync(dir) && readdirSync(dir).length && !existsSync(path.join(dir, ARTIFACTS_MARKER))) {
    throw new Error(`refusing to empty ${dir}: it has files and no ${ARTIFACTS_MARKER} marker (not made by this harness); choose another --artifacts`);
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, ARTIFACTS_MARKER), '');
  return dir;
}

export function copyIfExists(src, dest) {
  try {
    if (existsSync(src)) cpSync(src, dest, { recursive: true });
  } catch {}
}

export function withTimeout(promise, ms, what) {
  let t;
  return Promise.race([
    promise.finally(() => clearTimeout(t)),
    new Promise((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]);
}
