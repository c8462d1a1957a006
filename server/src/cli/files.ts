import { readFileSync, writeFileSync, renameSync, statSync, readdirSync, openSync, fsyncSync, closeSync, unlinkSync, existsSync } from 'node:fs';
import { join, dirname, basename, relative, resolve, sep } from 'node:path';
import { CliError } from './io';
import { matchesAnyGlob, mayContainPolicy, parsePolicyDocument, ParsedDocument, CONFIG_FILE } from '../core';

export const MAX_POLICY_BYTES = 1024 * 1024;

export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`);
  }
}

/** Replaces a file atomically: a temporary file beside it, flushed, then renamed over it. */
export function writeAtomic(file: string, text: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.iam-refine.tmp`);
  let mode: number | undefined;
  try {
    mode = statSync(file).mode;
  } catch {
    /* new file */
  }
  try {
    writeFileSync(tmp, text, { mode });
    const fd = openSync(tmp, 'r+');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, file);
  } catch (e) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw new CliError(`${file}: could not write (${(e as Error).message}); the file is unchanged`);
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
  text: string;
  doc: ParsedDocument;
}

/** Policy files from PATH arguments: files as given, directories searched for JSON files that hold policies. */
export function collectPolicyFiles(paths: string[], cwd: string, exclude: Set<string>, notes: string[]): PolicyFile[] {
  const out: PolicyFile[] = [];
  for (const p of paths) {
    const abs = resolve(cwd, p);
    let isDir = false;
    try {
      isDir = statSync(abs).isDirectory();
    } catch {
      throw new CliError(`${p}: no such file or directory`);
    }
    if (!isDir) {
      const text = readText(abs);
      if (text.length > MAX_POLICY_BYTES) throw new CliError(`${p}: over 1 MB, not analysed`);
      const doc = parsePolicyDocument(text);
      if (doc.policies.length === 0 && !doc.hasSyntaxErrors) throw new CliError(`${p}: no IAM policy found (expected a "Statement" at the top level, or a CloudFormation template with IAM policies)`);
      out.push({ file: abs, text, doc });
      continue;
    }
    let found = 0;
    for (const f of walkJson(abs)) {
      if (exclude.has(f) || basename(f) === CONFIG_FILE) continue;
      if (statSync(f).size > MAX_POLICY_BYTES) {
        notes.push(`${relative(cwd, f)}: over 1 MB, skipped`);
        continue;
      }
      const text = readFileSync(f, 'utf8');
      if (!mayContainPolicy(text)) continue;
      const doc = parsePolicyDocument(text);
      if (doc.policies.length === 0) continue;
      out.push({ file: f, text, doc });
      found++;
    }
    if (found === 0) notes.push(`${p}: no IAM policy files found`);
  }
  return out;
}
