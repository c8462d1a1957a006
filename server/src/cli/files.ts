import {
  readFileSync, renameSync, statSync, lstatSync, readdirSync, openSync, fsyncSync, fchmodSync, fchownSync, closeSync, unlinkSync, writeSync,
  realpathSync, accessSync, constants as fsConstants,
} from 'node:fs';
import { nodeCrypto } from '../workspace/lazyNode';
import { join, dirname, basename, relative, resolve, sep, isAbsolute } from 'node:path';
import { CliError } from './io';
import { BOM, matchesAnyGlob, mayContainPolicy, parsePolicyDocument, ParsedDocument, CONFIG_FILE } from '../core';

export const MAX_POLICY_BYTES = 1024 * 1024;

/** How a file is named in messages: relative to the current directory when it is inside it, else absolute. */
export function displayPath(cwd: string, file: string): string {
  const abs = resolve(cwd, file);
  const rel = relative(cwd, abs);
  if (rel === '') return '.';
  return rel.startsWith('..') || isAbsolute(rel) ? abs : rel;
}

function readError(e: unknown, name: string, role?: string): CliError {
  const code = (e as NodeJS.ErrnoException).code;
  const what =
    code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
  return new CliError(`${name}: ${what}${role ? ` (${role})` : ''}`);
}

export interface InputText {
  /** The text, without a leading byte-order mark. */
  text: string;
  /** It had a UTF-8 byte-order mark (kept when the file is written back). */
  bom: boolean;
}

/** Reads a UTF-8 input file; `name` is how messages call it, `role` which argument it came from. */
export function readInput(file: string, name = file, role?: string): InputText {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw readError(e, name, role);
  }
  return text.startsWith(BOM) ? { text: text.slice(BOM.length), bom: true } : { text, bom: false };
}

export function readText(file: string, name = file, role?: string): string {
  return readInput(file, name, role).text;
}

const TMP_RE = /^\.(.+)\.iam-refine-(\d+)-[0-9a-f]{16}\.tmp$/;
const OLD_TMP_RE = /^\.(.+)\.(\d+)\.iam-refine\.tmp$/; // the predictable name of versions before 0.1.1

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // someone else's live process
  }
}

/** Removes temporary files of `base` left in `dir` by a `--write` that was killed: only ours, only of processes no longer alive. */
export function removeStaleTemps(dir: string, base: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const n of names) {
    const m = TMP_RE.exec(n) ?? OLD_TMP_RE.exec(n);
    if (!m || m[1] !== base || processAlive(Number(m[2]))) continue;
    const p = join(dir, n);
    try {
      const st = lstatSync(p);
      if (!st.isFile() && !st.isSymbolicLink()) continue;
      unlinkSync(p); // a link is removed itself, never what it points to
      removed.push(p);
    } catch {
      /* gone already, or not ours to remove */
    }
  }
  return removed;
}

export interface WriteOptions {
  /** How messages name the file. */
  name?: string;
  /** Write a UTF-8 byte-order mark first. */
  bom?: boolean;
  /** The text the caller read: refuse when the file changed since. */
  expected?: string;
}

/**
 * Replaces a file atomically and safely: never half-written, never through a planted file.
 * - A symbolic link is written through to its target (the link stays a link).
 * - A read-only file (no write bit, or not writable by this user) is refused, as root too.
 * - The temporary file beside the target has an unpredictable name and is created exclusively
 *   (O_CREAT|O_EXCL: a planted file or symlink of that name makes it fail, never followed), with
 *   the original's mode (and owner, when run as root); it is flushed, then renamed over the target.
 * - Leftovers of earlier killed runs (of dead processes) are removed first.
 */
export function writeAtomic(file: string, text: string, opts: WriteOptions = {}): void {
  const name = opts.name ?? file;
  let target = file;
  let mode = 0o666;
  let owner: { uid: number; gid: number } | undefined;
  let exists = true;
  try {
    lstatSync(file);
  } catch {
    exists = false;
  }
  if (exists) {
    try {
      target = realpathSync(file);
    } catch {
      throw new CliError(`${name}: a symbolic link to a missing file; not written`);
    }
    const st = statSync(target);
    if (!st.isFile()) throw new CliError(`${name}: not a regular file; not written`);
    if ((st.mode & 0o222) === 0) {
      throw new CliError(`${name}: the file is read-only (mode ${(st.mode & 0o777).toString(8).padStart(3, '0')}); not written. Make it writable (chmod u+w) to let --write replace it`);
    }
    try {
      accessSync(target, fsConstants.W_OK);
    } catch {
      throw new CliError(`${name}: not writable by you; not written`);
    }
    mode = st.mode & 0o7777;
    owner = { uid: st.uid, gid: st.gid };
    if (opts.expected !== undefined) {
      const now = readFileSync(target, 'utf8');
      if (now !== (opts.bom ? BOM : '') + opts.expected) throw new CliError(`${name}: the file changed while it was being refined; not written (run again)`);
    }
  }
  const dir = dirname(target);
  const base = basename(target);
  removeStaleTemps(dir, base);
  const tmp = join(dir, `.${base}.iam-refine-${process.pid}-${nodeCrypto().randomBytes(8).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | (fsConstants.O_NOFOLLOW ?? 0), 0o600);
    const data = Buffer.from((opts.bom ? BOM : '') + text, 'utf8');
    for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
    fchmodSync(fd, mode);
    if (owner && process.getuid?.() === 0 && (owner.uid !== 0 || owner.gid !== 0)) {
      try {
        fchownSync(fd, owner.uid, owner.gid);
      } catch {
        /* best effort: the content and mode are what matter */
      }
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        /* closing a failed descriptor */
      }
    }
    try {
      if (lstatSync(tmp).isFile()) unlinkSync(tmp);
    } catch {
      /* never created */
    }
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied in its directory' : code === 'ENOSPC' ? 'no space left on the device' : (e as Error).message;
    throw new CliError(`${name}: could not write (${why}); the file is unchanged`);
  }
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* directories cannot be opened for fsync everywhere */
  }
}

const SKIP_DIRS = new Set(['node_modules', '.git', 'out', 'dist', '.cache', 'cdk.out', '.terraform']);

/** JSON files below a directory, sorted, skipping dependency and build folders. */
export function walkJson(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch (e) {
      throw new CliError(`${d}: cannot read directory (${(e as Error).message})`);
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) visit(join(d, e.name));
      } else if (e.isFile() && /\.jsonc?$/i.test(e.name)) out.push(join(d, e.name));
    }
  };
  visit(dir);
  return out;
}

/** Files below `root` whose relative path matches one of the globs. */
export function expandGlobs(root: string, globs: string[]): string[] {
  const out = walkJson(root).filter((f) => matchesAnyGlob(globs, relative(root, f).split(sep).join('/')));
  return out;
}

export interface PolicyFile {
  file: string;
  /** How messages name it (relative to the current directory). */
  name: string;
  /** The text without a byte-order mark. */
  text: string;
  bom: boolean;
  doc: ParsedDocument;
}

/** Policy files from PATH arguments: files as given, directories searched for JSON files that hold policies. */
export function collectPolicyFiles(paths: string[], cwd: string, exclude: Set<string>, notes: string[], role = 'the policy'): PolicyFile[] {
  const out: PolicyFile[] = [];
  for (const p of paths) {
    const abs = resolve(cwd, p);
    const name = displayPath(cwd, abs);
    let isDir = false;
    try {
      isDir = statSync(abs).isDirectory();
    } catch (e) {
      throw readError(e, name, role);
    }
    if (!isDir) {
      if (statSync(abs).size > MAX_POLICY_BYTES) throw new CliError(`${name}: over 1 MB, not analysed`);
      const { text, bom } = readInput(abs, name, role);
      const doc = parsePolicyDocument(text);
      if (doc.policies.length === 0 && !doc.hasSyntaxErrors) throw new CliError(`${name}: no IAM policy found (expected a "Statement" at the top level, or a CloudFormation template with IAM policies)`);
      out.push({ file: abs, name, text, bom, doc });
      continue;
    }
    let found = 0;
    for (const f of walkJson(abs)) {
      if (exclude.has(f) || basename(f) === CONFIG_FILE) continue;
      const fname = displayPath(cwd, f);
      if (statSync(f).size > MAX_POLICY_BYTES) {
        notes.push(`${fname}: over 1 MB, skipped`);
        continue;
      }
      const { text, bom } = readInput(f, fname);
      if (!mayContainPolicy(text)) continue;
      const doc = parsePolicyDocument(text);
      // a file that names a Statement but cannot be read is reported, not skipped in silence
      if (doc.policies.length === 0 && !doc.hasSyntaxErrors) continue;
      out.push({ file: f, name: fname, text, bom, doc });
      found++;
    }
    if (found === 0) notes.push(`${name}: no IAM policy files found`);
  }
  return out;
}
