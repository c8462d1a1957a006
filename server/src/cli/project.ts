/**
 * The CLI's view of the workspace service: one folder (the directory of iam-refiner.json, else the
 * current one) with the editor's defaults — the same findings discovery, include/exclude, skipped
 * folders, size limit and role binding as in VS Code.
 */
import { statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { CONFIG_FILE, Catalog, InputError, ensureFormat, isPolicyFileName, parseFindings, parseJsoncStrict, propertyNode } from '../core';
import { DEFAULT_SETTINGS } from '../../../shared/defaults';
import { Analysis, MAX_POLICY_BYTES } from '../workspace/analysis';
import { syncDisk } from '../workspace/disk';
import { FileFindingsProvider, FindingsProvider, FindingsSource, newest } from '../workspace/findingsProvider';
import { pathToUri } from '../workspace/paths';
import { Project, ProjectSnapshot } from '../workspace/project';
import { Workspace } from '../workspace/workspace';
import { CliError, CliIO } from './io';
import { ParsedArgs, value, values } from './args';
import { displayPath, readInput, readText } from './files';

/** Findings files named on the command line (`--findings`), reported by their path from the current directory. */
class ListedFindingsProvider implements FindingsProvider {
  readonly id = 'files';
  constructor(private readonly files: { abs: string; name: string }[]) {}
  async load(): Promise<FindingsSource[]> {
    return this.files.map(({ abs, name }) => {
      const text = readText(abs, name, '--findings');
      const uri = pathToUri(abs);
      try {
        const f = parseFindings(name, text);
        return { id: uri, kind: 'file', label: name, uri, text, findings: f.findings, analyzedAt: newest(f.findings) };
      } catch (e) {
        return { id: uri, kind: 'file', label: name, uri, text, findings: [], error: e instanceof Error ? e : new Error(String(e)) };
      }
    });
  }
}

export interface CliProject {
  ws: Workspace;
  project: Project;
  snap: ProjectSnapshot;
  root: string;
}

/** Opens the project: config, findings (named, the config's globs, or the editor's default glob), role flags. */
export async function openProject(args: ParsedArgs, io: CliIO, catalog: Catalog, requireFindings: boolean): Promise<CliProject> {
  let configFile = value(args, '--config');
  if (configFile) {
    configFile = resolve(io.cwd, configFile);
    readText(configFile, displayPath(io.cwd, configFile), '--config'); // a missing --config is an error, named as given
  } else if (existsSync(resolve(io.cwd, CONFIG_FILE))) configFile = resolve(io.cwd, CONFIG_FILE);
  const root = configFile ? dirname(configFile) : io.cwd;
  const listed = values(args, '--findings').map((f) => ({ abs: resolve(io.cwd, f), name: displayPath(io.cwd, resolve(io.cwd, f)) }));
  const provider = listed.length ? new ListedFindingsProvider(listed) : new FileFindingsProvider(syncDisk);
  const ws = new Workspace({ settings: async () => DEFAULT_SETTINGS, documents: { get: () => undefined, all: () => [] }, providers: () => [provider], catalog: () => catalog, log: () => undefined, stableDisk: true });
  const roles = values(args, '--role');
  const project = ws.addFolder({ uri: pathToUri(root), name: basename(root) || root });
  Object.assign(project.folder, { configFile, roles: roles.length ? roles : undefined });
  const snap = await project.ready();
  if (snap.configError) throw snap.configError;
  const broken = snap.sources.find((s) => s.error);
  if (broken) throw broken.error;
  const files = snap.sources.filter((s) => s.kind === 'file');
  if (!listed.length && !snap.defaultGlobs && files.length === 0) {
    const name = displayPath(io.cwd, configFile!);
    const text = readText(configFile!, name, '--config');
    const at = propertyNode(parseJsoncStrict(name, text), 'findings')?.offset ?? 0;
    throw InputError.at(name, text, at, `the findings globs (${snap.globs.join(', ')}) match no file`);
  }
  if (files.length === 0 && requireFindings) throw new CliError(`no findings: pass --findings FILE, list findings globs in ${CONFIG_FILE}, or keep them in files named *findings*.json`);
  if (!listed.length && files.length) io.err(`iam-refine: findings: ${files.map((s) => displayPath(io.cwd, resolve(root, s.label))).join(', ')}${snap.defaultGlobs ? ` (found with ${snap.globs.join(', ')})` : ''}\n`);
  for (const s of files) {
    if (s.findings.every((x) => x.findingType !== 'UnusedPermission')) io.err(`iam-refine: note: ${s.label} holds no UnusedPermission finding; it removes nothing\n`);
  }
  return { ws, project, snap, root };
}

export interface Target {
  file: string;
  /** The path as shown: relative to the current directory. */
  name: string;
  /** Named on the command line (as opposed to found in a directory). */
  named: boolean;
}

/** The policy files of PATH arguments: files as given; directories searched as the editor does (formats, include/exclude, skipped folders). */
export async function policyTargets(cp: CliProject, paths: string[], io: CliIO, notes: string[], role: string): Promise<Target[]> {
  const out: Target[] = [];
  for (const p of paths) {
    const abs = resolve(io.cwd, p);
    const name = displayPath(io.cwd, abs);
    let isDir: boolean;
    try {
      isDir = statSync(abs).isDirectory();
    } catch {
      readInput(abs, name, role); // throws the message naming the file and the argument it came from
      throw new CliError(`${name}: cannot be read`);
    }
    if (!isDir) {
      out.push({ file: abs, name, named: true });
      continue;
    }
    const files = await cp.ws.policyFilesOf(cp.project, abs);
    for (const f of files) out.push({ file: f, name: displayPath(io.cwd, f), named: false });
    if (files.length === 0) notes.push(`${name}: no IAM policy files found`);
  }
  return out;
}

export interface AnalysedFile extends Target {
  text: string;
  bom: boolean;
  analysis: Analysis;
}

/** Reads and analyses one policy file against the project; undefined (with a note) when it is no policy file. */
export async function analyseTarget(cp: CliProject, t: Target, notes: string[]): Promise<AnalysedFile | undefined> {
  if (statSync(t.file).size > MAX_POLICY_BYTES) {
    if (t.named) throw new CliError(`${t.name}: over ${MAX_POLICY_BYTES / 1024 / 1024} MB, not analysed`);
    notes.push(`${t.name}: over ${MAX_POLICY_BYTES / 1024 / 1024} MB, skipped`);
    return undefined;
  }
  const { text, bom } = readInput(t.file, t.name, t.named ? 'the policy' : undefined);
  await ensureFormat(t.file);
  const uri = pathToUri(t.file);
  const analysis = await cp.ws.analyzeFileInModule(uri, text, cp.project, cp.snap);
  if (analysis.kind !== 'policy' || !analysis.parsed) {
    const recognised = analysis.parsed?.hasSyntaxErrors || analysis.parsed?.recognised;
    if (t.named && !recognised) throw new CliError(`${t.name}: no IAM policy found (${isPolicyFileName(t.file) ? 'expected a "Statement" at the top level, or a template with IAM policies' : 'not a file type this tool reads'})`);
    if (analysis.note) notes.push(`${t.name}: skipped: ${analysis.note}`);
    return undefined;
  }
  return { ...t, text, bom, analysis };
}

export { InputError };
