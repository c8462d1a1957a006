/**
 * The workspace service: folders and their projects (iam-refiner.json, settings, findings), the open
 * documents laid over the disk, the analyses cache, the policy files of a folder, refinement of
 * files as data, and role bindings written to iam-refiner.json. No LSP in it: the language server
 * translates its results into LSP, the CLI into text, JSON and SARIF.
 */
import * as path from 'node:path';
import { CONFIG_FILE, Catalog, ParsedDocument, RefineResult, TextEdit, applyEdits, ensureFormat, formatFor, isPolicyFileName, mayContainPolicy } from '../core';

/** The formats whose documents a Terraform module can bind: its own files, and JSON files read by file(). */
const MODULE_FORMATS = new Set(['terraform', 'terraform-json', 'json']);
import type { Settings } from '../../../shared/protocol';
import { Analysis, MAX_POLICY_BYTES, analyze, overSizeLimit, refinement, staleNote } from './analysis';
import { ModuleBinding, TerraformModules, isTerraform } from './tfModules';
import { bindingEdits } from './configEdit';
import { FindingsProvider, FolderInfo } from './findingsProvider';
import { baseName, pathKey, pathToUri, uriKey, uriToPath } from './paths';
import { Project, ProjectSnapshot, isAnalysed } from './project';
import { walkFiles } from './walk';
import { Disk, asyncDisk, syncDisk } from './disk';
import { writeFileAtomic } from './atomicWrite';
import { plural } from './format';
import { GitHistory, History } from './gitHistory';
import { LineIndex, judgedAt, parsePolicyDocument } from '../core';

/** A document open in an editor: its text wins over the disk's. */
export interface OpenDocument {
  readonly uri: string;
  readonly version: number;
  getText(): string;
}

export interface WorkspaceHost {
  settings(scopeUri: string): Promise<Settings>;
  /** The open documents (none for the CLI). */
  documents: { get(uri: string): OpenDocument | undefined; all(): OpenDocument[] };
  providers(): FindingsProvider[];
  catalog(): Catalog;
  log(message: string): void;
  /** A project has a new snapshot (findings, config or settings changed). */
  projectReloaded?(project: Project): void;
  /** The git history reader (tests pass their own). */
  history?: GitHistory;
  /** The disk does not change while this workspace lives (the CLI): other files of a Terraform module are read once, and the disk is read synchronously (disk.ts). */
  stableDisk?: boolean;
  /** Terraform files changed on disk are reported (`terraformChanged`, the editor's file watcher): their listings and facts are kept until then. */
  watchesTerraform?(): boolean;
}

/** What refining one file came to; a change is verified and whole, never partial. */
export type FileOutcome =
  | { kind: 'changed'; uri: string; version: number | null; edits: TextEdit[]; result: RefineResult; analysis: Analysis; summary: string }
  | { kind: 'unchanged'; uri: string; version: number | null; reason: string }
  | { kind: 'not-refined'; uri: string; version: number | null; reason: string; nothingLeft?: boolean }
  /** Not a policy file this product reads (asked for by name), or not readable. */
  | { kind: 'skipped'; uri: string; version: number | null; reason: string };

/** "removed 8 unused actions, refined 1 wildcard into 9 patterns". */
export function describeSummary(r: RefineResult): string {
  const s = r.summary;
  const parts: string[] = [];
  if (s.removedActions) parts.push(`removed ${plural(s.removedActions, 'unused action')}`);
  if (s.refinedWildcards) parts.push(`refined ${plural(s.refinedWildcards, 'wildcard')} into ${plural(s.writtenPatterns, 'pattern')}`);
  if (s.notActionStatements) parts.push(`excluded unused actions in ${plural(s.notActionStatements, 'NotAction statement')}`);
  if (s.removedStatements) parts.push(`removed ${plural(s.removedStatements, 'empty statement')}`);
  return parts.join(', ') || 'no change';
}

export class Workspace {
  private readonly folders = new Map<string, Project>();
  /** Projects of files outside every folder: their own directory. */
  private readonly loose = new Map<string, Project>();
  /** pathKey → uri of the open documents, so files read for a project see unsaved edits. */
  private readonly openByPath = new Map<string, string>();
  private readonly analyses = new Map<string, Analysis>();
  /** git blame of policy files, cached by content. */
  readonly history: GitHistory;
  /** The other files of Terraform modules, for role binding across files. */
  private readonly modules: TerraformModules;
  /** The disk as this host reads it (see disk.ts). */
  private readonly disk: Disk;

  constructor(private readonly host: WorkspaceHost) {
    this.disk = host.stableDisk ? syncDisk : asyncDisk;
    this.history = host.history ?? new GitHistory();
    this.modules = new TerraformModules(
      {
        open: (abs) => {
          const uri = this.openByPath.get(pathKey(abs));
          const doc = uri ? this.host.documents.get(uri) : undefined;
          return doc ? { key: `open:${doc.uri}:${doc.version}`, text: doc.getText() } : undefined;
        },
        openPaths: () => [...this.openByPath.values()].map((u) => uriToPath(u)).filter((p): p is string => !!p),
      },
      !!host.stableDisk,
      (m) => this.host.log(m),
      () => !!this.host.watchesTerraform?.(),
      this.disk,
    );
  }

  /**
   * What the other files of a document's Terraform module say about it (roles across files, a
   * JSON file read by file() / templatefile()), with the document parsed for it; nothing for other
   * documents.
   */
  async moduleOf(uri: string, text: string, project: Project | undefined, parsed?: ParsedDocument): Promise<{ parsed?: ParsedDocument; module?: ModuleBinding }> {
    const abs = uriToPath(uri);
    if (!abs || !MODULE_FORMATS.has(formatFor(abs).id) || overSizeLimit(text) || !mayContainPolicy(text, abs) || project?.isProjectFile(abs)) return { parsed };
    await ensureFormat(abs);
    parsed ??= parsePolicyDocument(text, abs);
    return { parsed, module: await this.modules.bindingOf(abs, parsed, project?.folder.path) };
  }

  /** Analyses a file's text as `check` does: its git history and its Terraform module read first. */
  async analyzeFileInModule(uri: string, text: string, project: Project | undefined, snap: ProjectSnapshot | undefined): Promise<Analysis> {
    const history = await this.historyOf(uri, text, snap);
    const m = await this.moduleOf(uri, text, project);
    return this.analyzeFile(uri, null, text, project, snap, m.parsed, false, history, m.module);
  }

  /** The open documents whose analysis read other files of their module, in the directory of a file just changed, or a JSON policy anywhere (file() may read it from a sibling directory). */
  moduleDependents(uri: string): string[] {
    const abs = uriToPath(uri);
    if (!abs || !isTerraform(abs)) return [];
    const dir = pathKey(path.dirname(abs));
    const out: string[] = [];
    for (const [u, a] of this.analyses) {
      const p = a.moduleKey !== undefined && u !== uri ? uriToPath(u) : undefined;
      if (!p) continue;
      // a file of the same module, or a JSON policy (its binding key says whether it changed)
      if (!isTerraform(p) || pathKey(path.dirname(p)) === dir) out.push(u);
    }
    return out;
  }

  /** A Terraform file (or a directory holding some) changed on disk, as the file watcher reports it: what the module reader kept of it is dropped. */
  terraformChanged(uri: string, kind: 'created' | 'changed' | 'deleted'): void {
    const abs = uriToPath(uri);
    if (abs) this.modules.changed(abs, kind);
  }

  /**
   * The line history a file is analysed with: asked of git only when findings with a date apply
   * to the project (else nothing can be newer than them).
   */
  async historyOf(uri: string, text: string, snap: ProjectSnapshot | undefined): Promise<History | undefined> {
    const abs = uriToPath(uri);
    if (!abs || !snap || !snap.findings.some((f) => judgedAt(f) !== undefined)) return undefined;
    if (!mayContainPolicy(text, abs)) return undefined;
    try {
      const h = await this.history.lineTimes(abs, text);
      if (h.state !== 'git' || !h.lineTimes) return h;
      // lines changed after the earliest findings: when was each action on them added (a line touched for a comma is not new)
      const dates = snap.findings.map((f) => judgedAt(f)).filter((d): d is string => !!d).map((d) => Date.parse(d));
      const threshold = Math.min(...dates) - (snap.config.gracePeriodDays ?? 0) * 86_400_000;
      const times = h.lineTimes;
      if (!times.some((t) => t > threshold)) return h;
      await ensureFormat(abs);
      const doc = parsePolicyDocument(text, abs);
      const lines = new LineIndex(text);
      const entryTimes = new Map<number, number>();
      for (const p of doc.policies)
        for (const st of p.statements)
          for (const e of st.entries) {
            const line = lines.position(e.span.offset).line;
            if (line < times.length && !(times[line] > threshold)) continue;
            if (lines.position(e.span.offset + e.span.length).line !== line) continue; // an entry over several lines: its lines decide
            const literal = text.slice(e.span.offset, e.span.offset + e.span.length);
            entryTimes.set(e.span.offset, Math.min(times[line] ?? Infinity, await this.history.introducedAt(abs, text, literal)));
          }
      return entryTimes.size ? { ...h, entryTimes } : h;
    } catch (e) {
      this.host.log(`git history of ${abs}: ${e instanceof Error ? e.message : e}`);
      return undefined;
    }
  }

  // ------------------------------------------------------------------------------------------
  // folders and projects

  addFolder(f: { uri: string; name: string }): Project {
    const existing = this.folders.get(f.uri);
    if (existing) return existing;
    const p = this.newProject({ uri: f.uri, path: uriToPath(f.uri), name: f.name });
    this.folders.set(f.uri, p);
    return p;
  }

  removeFolder(uri: string): Project | undefined {
    const p = this.folders.get(uri);
    if (!p) return undefined;
    p.dispose();
    this.folders.delete(uri);
    return p;
  }

  private newProject(folder: FolderInfo): Project {
    return new Project(
      folder,
      { settings: (s) => this.host.settings(s), readText: (p) => this.readText(p), providers: () => this.host.providers(), catalog: () => this.host.catalog(), log: (m) => this.host.log(m), historyNote: (dir) => this.history.describeFolder(dir) },
      (p) => this.host.projectReloaded?.(p),
    );
  }

  /** The project a document belongs to: the innermost workspace folder, else its own directory. */
  projectFor(uri: string, create = true): Project | undefined {
    const p = uriToPath(uri);
    if (!p) return this.folders.values().next().value; // untitled: the first folder, as VS Code does
    const key = pathKey(p);
    let best: Project | undefined;
    for (const proj of this.folders.values()) {
      const root = proj.folder.path;
      if (!root) continue;
      const rk = pathKey(root);
      if ((key === rk || key.startsWith(rk.endsWith(path.sep) ? rk : rk + path.sep)) && (!best || rk.length > pathKey(best.folder.path!).length)) best = proj;
    }
    if (best) return best;
    const dir = path.dirname(p);
    let loose = this.loose.get(pathKey(dir));
    if (!loose && create) {
      loose = this.newProject({ uri: pathToUri(dir), path: dir, name: path.basename(dir) || dir, maxDepth: 0 });
      this.loose.set(pathKey(dir), loose);
    }
    return loose;
  }

  projectOfFolder(folderUri: string): Project | undefined {
    return this.folders.get(folderUri) ?? this.allProjects().find((p) => p.folder.uri === folderUri);
  }

  allProjects(): Project[] {
    return [...this.folders.values(), ...this.loose.values()];
  }

  folderProjects(): Project[] {
    return [...this.folders.values()];
  }

  reload(folderUri?: string): void {
    for (const p of this.allProjects()) if (!folderUri || p.folder.uri === folderUri) void p.reload();
  }

  /** The projects a file is a project file of (iam-refiner.json, a findings file): a change to it reloads them. */
  projectsWatching(absPath: string): Project[] {
    return this.allProjects().filter((p) => p.isProjectFile(absPath));
  }

  dispose(): void {
    for (const p of this.allProjects()) p.dispose();
  }

  // ------------------------------------------------------------------------------------------
  // documents

  documentOpened(uri: string): void {
    const p = uriToPath(uri);
    if (p) this.openByPath.set(pathKey(p), uri);
  }

  documentClosed(uri: string): void {
    this.analyses.delete(uri);
    const p = uriToPath(uri);
    if (p) this.openByPath.delete(pathKey(p));
  }

  /** The open document of a file, whichever way its URI is spelled. */
  openDocument(uri: string): OpenDocument | undefined {
    return this.host.documents.get(uri) ?? this.host.documents.get(this.openByPath.get(uriKey(uri)) ?? '');
  }

  /** The uri under which a file is open, if it is. */
  openUri(absPath: string): string | undefined {
    return this.openByPath.get(pathKey(absPath));
  }

  /** Text of a file: the open editor's (unsaved edits count), else the disk's; undefined when absent. */
  async readText(absPath: string): Promise<string | undefined> {
    const uri = this.openByPath.get(pathKey(absPath));
    const doc = uri ? this.host.documents.get(uri) : undefined;
    if (doc) return doc.getText();
    try {
      return await this.disk.readText(absPath);
    } catch {
      return undefined;
    }
  }

  // ------------------------------------------------------------------------------------------
  // analyses

  /** The cached analysis of a document, whatever its version. */
  cached(uri: string): Analysis | undefined {
    return this.analyses.get(uri);
  }

  get analysisCount(): number {
    return this.analyses.size;
  }

  cachedAnalyses(): IterableIterator<[string, Analysis]> {
    return this.analyses.entries();
  }

  /**
   * The analysis of a document's current version (cached by uri+version and project generation).
   * Documents that cannot hold a policy are answered without loading anything.
   */
  async analysisOf(doc: OpenDocument): Promise<Analysis | undefined> {
    const text = doc.getText();
    const version = doc.version;
    const fileName = uriToPath(doc.uri) ?? doc.uri;
    await ensureFormat(fileName);
    if (!mayContainPolicy(text, fileName)) {
      const cached = this.analyses.get(doc.uri);
      if (cached?.version === version && cached.kind === 'none') return cached;
      const a = analyze({ uri: doc.uri, fileName, version, text, special: true, snapshot: undefined, catalog: this.host.catalog });
      this.analyses.set(doc.uri, a);
      return a;
    }
    const project = this.projectFor(doc.uri);
    const snap = project ? await project.ready() : undefined;
    // read after the wait: a request that waited alongside (validation, hover, code action) may have analysed this version
    const cached = this.analyses.get(doc.uri);
    const fresh = (c: Analysis | undefined): c is Analysis => !!c && c.version === version && c.generation === (snap?.generation ?? -1);
    // the same version against newer findings or settings: parsed once, analysed again
    const known = cached?.version === version && cached.text === text ? cached.sourceParsed ?? cached.parsed : undefined;
    if (fresh(cached) && cached.moduleKey === undefined) return cached;
    const current = this.host.documents.get(doc.uri);
    if (!current || current.version !== version) return undefined; // superseded while waiting
    // the other files of its Terraform module (their facts kept per file): the cached analysis stands while they say the same
    const m = await this.moduleOf(doc.uri, text, project, known);
    if (fresh(cached) && cached.moduleKey === m.module?.key) return cached;
    const history = await this.historyOf(doc.uri, text, snap);
    const again = this.analyses.get(doc.uri);
    if (fresh(again) && again.moduleKey === m.module?.key) return again;
    const still = this.host.documents.get(doc.uri);
    if (!still || still.version !== version) return undefined; // superseded while git ran or the module was read
    const a = this.analyzeFile(doc.uri, version, text, project, snap, m.parsed, false, history, m.module);
    this.analyses.set(doc.uri, a);
    return a;
  }

  /** Analysis of a file that may not be open (version null: the disk's text). */
  async analysisOfUri(uri: string): Promise<Analysis | undefined> {
    const doc = this.openDocument(uri);
    if (doc) return this.analysisOf(doc);
    const abs = uriToPath(uri);
    if (!abs) return undefined;
    let text: string;
    try {
      // far beyond the analysis limit: not even read
      if ((await this.disk.stat(abs)).size > MAX_POLICY_BYTES * 16) return this.analyzeFile(uri, null, ' '.repeat(0), undefined, undefined, undefined, true);
      text = await this.disk.readText(abs);
    } catch {
      return undefined;
    }
    const project = this.projectFor(uri);
    const snap = project ? await project.ready() : undefined;
    await ensureFormat(abs);
    return this.analyzeFileInModule(uri, text, project, snap);
  }

  /** Analyses a file's text against its project (its findings and config files are never analysed as policies). */
  analyzeFile(uri: string, version: number | null, text: string, project: Project | undefined, snap: ProjectSnapshot | undefined, parsed?: ParsedDocument, tooLarge = false, history?: History, module?: ModuleBinding): Analysis {
    const abs = uriToPath(uri);
    const special = !!abs && !!project?.isProjectFile(abs);
    const relPath = (abs && project?.relPath(abs)) || undefined;
    return analyze({ uri, fileName: abs ?? uri, version, text, relPath, special, snapshot: snap, catalog: this.host.catalog, parsed, tooLarge, history, module });
  }

  // ------------------------------------------------------------------------------------------
  // policy files and refinement

  /** The policy files of a project on disk: files a registered format reads, included, not its project files. */
  async policyFilesOf(p: Project, under?: string): Promise<string[]> {
    const root = p.folder.path;
    if (!root) return [];
    const snap = await p.ready();
    if (!snap.settings.enable) return [];
    const start = under ? path.resolve(root, under) : root;
    const rels = await walkFiles(start, isPolicyFileName, { maxDepth: p.folder.maxDepth, byName: true });
    const out: string[] = [];
    for (const r of rels) {
      const abs = path.join(start, r);
      const rel = p.relPath(abs) ?? r;
      if (path.basename(abs) === CONFIG_FILE || p.isProjectFile(abs) || !isAnalysed(rel, snap)) continue;
      out.push(abs);
    }
    return out;
  }

  /** Every policy file of every workspace folder (on disk or open), as uris. */
  async policyFiles(): Promise<string[]> {
    const out = new Map<string, string>();
    for (const doc of this.host.documents.all()) if (mayContainPolicy(doc.getText(), uriToPath(doc.uri) ?? doc.uri)) out.set(uriKey(doc.uri), doc.uri);
    for (const p of this.folders.values()) {
      for (const abs of await this.policyFilesOf(p)) {
        const key = pathKey(abs);
        if (!out.has(key)) out.set(key, pathToUri(abs));
      }
    }
    return [...out.values()];
  }

  /**
   * The verified refinement of files (every policy file of every folder when `uris` is absent), as
   * data: nothing is applied. Files asked for by name are answered even when skipped; in a
   * whole-workspace run, files with nothing to do are left out unless their binding is ambiguous.
   */
  async refineFiles(uris?: string[]): Promise<FileOutcome[]> {
    const targets = uris ?? (await this.policyFiles());
    const out: FileOutcome[] = [];
    for (const uri of targets) {
      const a = await this.analysisOfUri(uri);
      if (!a) {
        if (uris) out.push({ kind: 'skipped', uri, version: null, reason: 'cannot read the file' });
        continue;
      }
      if (a.kind === 'too-large') {
        out.push({ kind: 'skipped', uri: a.uri, version: a.version, reason: `larger than ${MAX_POLICY_BYTES / 1024 / 1024} MB: not analysed` });
        continue;
      }
      if (a.kind !== 'policy') {
        if (uris) out.push({ kind: 'skipped', uri: a.uri, version: a.version, reason: a.note ? `skipped: ${a.note}` : 'not an IAM policy document' });
        continue;
      }
      const outcome = refinement(a, { kind: 'document' }, (m) => this.host.log(m));
      if (outcome.kind === 'ok') {
        if (outcome.result.edits.length === 0) out.push({ kind: 'unchanged', uri: a.uri, version: a.version, reason: 'no allowed action is unused' });
        else out.push({ kind: 'changed', uri: a.uri, version: a.version, edits: outcome.result.edits, result: outcome.result, analysis: a, summary: describeSummary(outcome.result) + staleNote(a, outcome.result) });
      } else if (outcome.kind === 'nothing-left') {
        out.push({ kind: 'not-refined', uri: a.uri, version: a.version, reason: outcome.message, nothingLeft: true });
      } else if (uris || a.binding?.kind === 'ambiguous') {
        out.push({ kind: 'not-refined', uri: a.uri, version: a.version, reason: outcome.message });
      }
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------
  // role bindings in iam-refiner.json

  /** The edits binding a policy file to a role in a folder's iam-refiner.json, and the file's text now (undefined: no file yet). */
  async bindingEdits(folderUri: string, relPath: string, role: string): Promise<{ configPath: string; text: string | undefined; edits: TextEdit[] } | undefined> {
    const project = this.projectOfFolder(folderUri);
    const configPath = project?.configPath;
    if (!project || !configPath) return undefined;
    const text = await this.readText(configPath);
    const edits = bindingEdits(text ?? '', relPath, role).map((e) => ({ offset: e.offset, length: e.length, newText: e.content }));
    return { configPath, text, edits };
  }

  /** Binds a policy file to a role by writing iam-refiner.json (atomically) and reloading the project. */
  async bindRole(folderUri: string, relPath: string, role: string): Promise<boolean> {
    const b = await this.bindingEdits(folderUri, relPath, role);
    if (!b) return false;
    await writeFileAtomic(b.configPath, applyEdits(b.text ?? '', b.edits));
    this.host.log(`bound ${relPath} to ${role} in ${b.configPath}`);
    await this.projectOfFolder(folderUri)?.reload();
    return true;
  }

  /** A file's name for messages. */
  static nameOf(uri: string): string {
    return baseName(uri);
  }
}
