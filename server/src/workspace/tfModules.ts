/**
 * Terraform modules read across their files, for role binding (shared by the CLI and the editor):
 *
 * - a `.tf` / `.tf.json` file whose policies name a role, a managed policy or a reference its own
 *   file does not resolve is bound over the facts of every Terraform file of its directory (a
 *   module is a directory): `aws_iam_role_policy { role = aws_iam_role.app.id }` in `policies.tf`
 *   with `aws_iam_role "app"` in `roles.tf`;
 * - a JSON policy file that a `.tf` file reads with `file("${path.module}/p.json")` or
 *   `templatefile(...)` (in any directory of the workspace folder: its own, one above it, or a
 *   sibling, `file("../policies/p.json")`) is bound to the roles that Terraform attaches the policy
 *   to; a templatefile() template has its templated actions left alone (core: withCodeBinding).
 *   The folder's `.tf` and `.tf.json` files are listed once (one walk, MAX_INDEX_FILES at most) and kept: a file
 *   outside every folder is looked for in its own directory only.
 *
 * The other files are read as the editor has them (an open document's unsaved text counts), else
 * from disk; their facts are kept per file. The CLI reads the disk once (`stable`); the language
 * server with a file watcher (`watched`) keeps listings and facts until `changed()` reports the
 * file (no directory read or stat on a keystroke); without one, a file is read again when its size
 * or modification time changes, a directory is listed on each use and the folder's list is walked
 * again after LISTING_TTL_MS.
 */
import * as path from 'node:path';
import { CodeBinding, LineIndex, ParsedDocument, TfAttach, TfFacts, dependsOnModule, ensureFormat, indexFacts, resolveRoles, terraformFactsOf } from '../core';
import { pathKey } from './paths';
import { SKIPPED_DIRS, walkFiles } from './walk';
import { MAX_POLICY_BYTES, overSizeLimit } from './analysis';
import { Disk, asyncDisk } from './disk';

/** A Terraform file by its name (`.tf`, `.tf.json`). */
export const isTerraform = (name: string) => /\.tf(\.json)?$/i.test(name);
/** How far up from a JSON policy a module that reads it with file() is looked for. */
const MAX_LEVELS_UP = 8;
/** A directory with more Terraform files than this is not read as one module (generated code, a benchmark). */
const MAX_MODULE_FILES = 200;
/** A workspace folder with more .tf / .tf.json files than this is not searched for file() calls beyond the JSON file's own directory and those above it. */
const MAX_INDEX_FILES = 5000;
/** Without a file watcher, how long the folder's list of Terraform files is kept. */
const LISTING_TTL_MS = 10_000;
/** What a .tftpl template no templatefile() call of its folder reads is said to be, in messages. */
const TFTPL_UNREAD = 'a .tftpl file; no templatefile() call of the workspace folder reads it';
/** Files read at once (a folder's first search reads every .tf file once). */
const READ_BATCH = 64;

/**
 * A cheap test before parsing another file of a module (most files of a large module hold only
 * policies): whether it can declare a role (`resource "aws_iam_role"`), an attachment, a reference
 * to a document or a local, or a file() call. A substring test, never a reading of HCL: a file it
 * passes is parsed, and one it wrongly skipped could only leave a policy unbound, never bound wrong.
 */
export function mayHaveFacts(text: string): boolean {
  return /["\s]aws_iam_role["\s{]|_attachment|managed_policy_arns|data\.|local\.|file\(/.test(text);
}

export interface ModuleSources {
  /** The text of an open document at this path, with a key that changes with its version; undefined when not open. */
  open(absPath: string): { key: string; text: string } | undefined;
  /** The open documents' paths (files not saved yet are part of their module too). */
  openPaths(): string[];
}

interface FactsEntry {
  key: string;
  facts: TfFacts | undefined;
  text?: string;
}

/** What a document's binding was read from: the same key means the same binding. */
export interface ModuleBinding {
  code?: CodeBinding;
  key: string;
}

/** A workspace folder's Terraform files: `pending` while walked (each binding waits for the one walk); `dirty`: a change reported during the walk, walked again on the next use. */
interface FolderIndex {
  files: Map<string, string> | undefined;
  at: number;
  pending?: Promise<Map<string, string> | undefined>;
  dirty?: boolean;
}

export class TerraformModules {
  private readonly facts = new Map<string, FactsEntry>();
  /** Per directory (pathKey): its Terraform files, [pathKey, path] (made once: a binding of each of 1,000 files joined and keyed its module's 50 names again). */
  private readonly listings = new Map<string, [string, string][]>();
  /** Per workspace folder: its .tf and .tf.json files (absolute paths by pathKey), undefined past MAX_INDEX_FILES. */
  private readonly folders = new Map<string, FolderIndex>();

  /**
   * `stable`: the disk does not change (the CLI); `watched`: it changes only as `changed()` says
   * (the language server's file watcher is registered).
   */
  constructor(
    private readonly sources: ModuleSources,
    private readonly stable: boolean,
    private readonly log: (m: string) => void,
    private readonly watched: () => boolean = () => false,
    private readonly disk: Disk = asyncDisk,
  ) {}

  /** Listings and disk facts are kept until changed() (or forever, for the CLI). */
  private get keeps(): boolean {
    return this.stable || this.watched();
  }

  /** A Terraform file (or a directory) was created, changed or deleted on disk (the file watcher): what was kept of it is dropped. */
  changed(absPath: string, kind: 'created' | 'changed' | 'deleted'): void {
    const k = pathKey(absPath);
    this.listings.delete(pathKey(path.dirname(absPath)));
    for (const key of [...this.facts.keys()]) if (key === k || key.startsWith(k + '\u0000') || (kind === 'deleted' && key.startsWith(k + path.sep))) this.facts.delete(key);
    if (kind === 'deleted') for (const key of [...this.listings.keys()]) if (key.startsWith(k + path.sep) || key === k) this.listings.delete(key);
    for (const [root, ix] of this.folders) {
      if (!(k + path.sep).startsWith(root + path.sep)) continue;
      if (ix.pending) ix.dirty = true;
      if (!ix.files) continue;
      if (kind === 'deleted') {
        for (const f of [...ix.files.keys()]) if (f === k || f.startsWith(k + path.sep)) ix.files.delete(f);
      } else if (isTerraform(absPath) && !path.relative(root, k).split(path.sep).some((seg) => SKIPPED_DIRS.includes(seg))) ix.files.set(k, absPath);
    }
  }

  /**
   * The binding the other files of a document's module give it, or undefined when they cannot
   * change it (its own file resolves every policy, or it is no Terraform or JSON policy).
   * `root`: the workspace folder (no directory above it is read).
   */
  async bindingOf(absPath: string, doc: ParsedDocument, root: string | undefined): Promise<ModuleBinding | undefined> {
    try {
      if (doc.terraform) return await this.moduleBinding(absPath, doc);
      if (doc.format.id === 'json') return await this.fileBinding(absPath, doc, root);
    } catch (e) {
      this.log(`Terraform module of ${absPath}: ${e instanceof Error ? e.message : e}`);
    }
    return undefined;
  }

  /** A .tf / .tf.json document bound over its directory's files. */
  private async moduleBinding(absPath: string, doc: ParsedDocument): Promise<ModuleBinding | undefined> {
    const part = doc.terraform!;
    if (!part.attach.some((a) => a && !('roles' in a && a.roles.every((r) => 'name' in r)))) return undefined;
    const own = part.facts();
    const ownIx = indexFacts([own]);
    if (!part.attach.some((a) => dependsOnModule(a, ownIx))) return undefined;
    const dir = path.dirname(absPath);
    const others = (await this.terraformFiles(dir)).filter((f) => pathKey(f) !== pathKey(absPath));
    // read side by side: a module's first file waits for the others' texts once
    const entries = await Promise.all(others.map((f) => this.factsOf(f)));
    const read = others.flatMap((file, i) => (entries[i].facts ? [{ file, facts: entries[i].facts! }] : []));
    const ix = indexFacts([own, ...read.map((r) => r.facts)]);
    const roles = doc.policies.map((_, i) => resolveRoles(part.attach[i], ix));
    const from = read.filter((r) => r.facts.roles.length || r.facts.attachments.length || r.facts.uses.length).map((r) => path.basename(r.file));
    return { code: { roles, from }, key: JSON.stringify(['module', roles, from]) };
  }

  /** A JSON policy bound by the modules that read it with file() / templatefile(). */
  private async fileBinding(absPath: string, doc: ParsedDocument, root: string | undefined): Promise<ModuleBinding> {
    const me = pathKey(absPath);
    const found: { tf: string; line: number; fn: 'file' | 'templatefile'; attach: TfAttach; dir: string }[] = [];
    // a .tf.json file's calls are HCL inside `"${file(\"p.json\")}"` strings (read by the HCL parser too)
    const files = await this.callersOf(absPath, root);
    for (let i = 0; i < files.length; i += READ_BATCH) {
      const batch = files.slice(i, i + READ_BATCH);
      const read = await Promise.all(batch.map((f) => this.factsOf(f, 'file(')));
      for (const [j, f] of batch.entries()) {
        const e = read[j];
        const dir = path.dirname(f);
        for (const u of e.facts?.fileUses ?? []) {
          if (pathKey(path.resolve(dir, u.path)) !== me) continue;
          const text = e.text ?? (await this.textOf(f)) ?? '';
          found.push({ tf: f, line: new LineIndex(text).position(u.offset).line + 1, fn: u.fn, attach: u.attach, dir });
        }
      }
    }
    // a .tftpl file is a template whoever reads it (or when nothing is found to): never read as a plain policy
    const tftpl = /\.tftpl$/i.test(absPath);
    if (!found.length) {
      if (!tftpl) return { key: 'none' };
      const code: CodeBinding = { roles: doc.policies.map(() => undefined), from: [], template: TFTPL_UNREAD };
      return { code, key: JSON.stringify(['file', code]) };
    }
    let names: string[] | undefined = [];
    for (const use of found) {
      const facts = (await Promise.all((await this.terraformFiles(use.dir)).map((f) => this.factsOf(f)))).flatMap((e) => (e.facts ? [e.facts] : []));
      const n = resolveRoles(use.attach, indexFacts(facts));
      if (n === undefined) {
        names = undefined;
        break;
      }
      names.push(...n);
    }
    const rel = (f: string) => (root ? path.relative(root, f) : path.basename(f)).split(path.sep).join('/');
    const tpl = found.find((u) => u.fn === 'templatefile');
    const code: CodeBinding = { roles: doc.policies.map(() => names), from: [...new Set(found.map((u) => rel(u.tf)))] };
    if (tpl) code.template = `${rel(tpl.tf)}:${tpl.line}`;
    else if (tftpl) code.template = `a .tftpl file, read by ${rel(found[0].tf)}:${found[0].line}`;
    return { code, key: JSON.stringify(['file', code]) };
  }

  /**
   * The Terraform files that may read a JSON file with file(): every one of its workspace folder
   * (sorted), else (outside every folder, or a folder past MAX_INDEX_FILES) those of its own
   * directory and the ones above it, up to the folder.
   */
  private async callersOf(absPath: string, root: string | undefined): Promise<string[]> {
    const me = pathKey(absPath);
    const stop = root ? pathKey(root) : pathKey(path.dirname(absPath));
    if (root && me.startsWith(stop + path.sep)) {
      const all = await this.folderFiles(root);
      if (all) {
        const out = new Map(all);
        for (const p of this.sources.openPaths()) if (isTerraform(p) && pathKey(p).startsWith(stop + path.sep)) out.set(pathKey(p), p);
        return [...out.keys()].sort().map((k) => out.get(k)!);
      }
    }
    const out: string[] = [];
    let dir = path.dirname(absPath);
    for (let level = 0; level <= MAX_LEVELS_UP; level++) {
      out.push(...(await this.terraformFiles(dir)));
      const k = pathKey(dir);
      const up = path.dirname(dir);
      if (k === stop || !k.startsWith(stop) || up === dir) break;
      dir = up;
    }
    return out;
  }

  /** A workspace folder's .tf and .tf.json files on disk (pathKey → path), walked once and kept (see `changed`); undefined past MAX_INDEX_FILES. */
  private async folderFiles(root: string): Promise<Map<string, string> | undefined> {
    const k = pathKey(root);
    const had = this.folders.get(k);
    if (had?.pending) return had.pending;
    if (had && !had.dirty && (this.keeps || Date.now() - had.at < LISTING_TTL_MS)) return had.files;
    const entry: FolderIndex = { files: undefined, at: Date.now() };
    entry.pending = (async () => {
      try {
        const rels = await walkFiles(root, isTerraform, { maxEntries: 200_000, byName: true });
        if (rels.length > MAX_INDEX_FILES) this.log(`${root}: ${rels.length} Terraform files (more than ${MAX_INDEX_FILES}): file() calls are looked for only in a JSON policy's own directory and those above it`);
        else entry.files = new Map(rels.map((r) => path.join(root, ...r.split('/'))).map((f) => [pathKey(f), f]));
        return entry.files;
      } finally {
        entry.pending = undefined;
      }
    })();
    this.folders.set(k, entry);
    return entry.pending;
  }

  /** The Terraform files of a directory (on disk and open), at most MAX_MODULE_FILES. */
  private async terraformFiles(dir: string): Promise<string[]> {
    const dk = pathKey(dir);
    let files = this.keeps ? this.listings.get(dk) : undefined;
    if (!files) {
      try {
        files = (await this.disk.readdir(dir)).filter((e) => e.isFile() && isTerraform(e.name)).map((e) => {
          const p = path.join(dir, e.name);
          return [pathKey(p), p];
        });
      } catch {
        files = [];
      }
      if (this.keeps) this.listings.set(dk, files);
    }
    const open = this.sources.openPaths().filter((p) => isTerraform(p) && pathKey(path.dirname(p)) === dk);
    if (!open.length) return files.length > MAX_MODULE_FILES ? [] : files.map((f) => f[1]);
    const out = new Map(files);
    for (const p of open) out.set(pathKey(p), p);
    return out.size > MAX_MODULE_FILES ? [] : [...out.values()];
  }

  private async textOf(file: string): Promise<string | undefined> {
    const open = this.sources.open(file);
    if (open) return open.text;
    try {
      return await this.disk.readText(file);
    } catch {
      return undefined;
    }
  }

  /** A file's facts, read again only when it changed; `mustInclude`: a text without it has none worth reading (cheap test first). */
  private async factsOf(file: string, mustInclude?: string): Promise<FactsEntry> {
    const k = pathKey(file) + (mustInclude ? '\u0000' + mustInclude : '');
    const open = this.sources.open(file);
    let key: string;
    if (open) key = open.key;
    else if (this.keeps) key = 'disk';
    else {
      try {
        const st = await this.disk.stat(file);
        key = `disk:${st.size}:${st.mtimeMs}`;
      } catch {
        return { key: 'gone', facts: undefined };
      }
    }
    const had = this.facts.get(k);
    if (had && had.key === key) return had;
    const text = open ? open.text : await this.textOf(file);
    let facts: TfFacts | undefined;
    if (text !== undefined && overSizeLimit(text)) {
      // over the analysis limit, as the file itself would be: not parsed for another file's binding either (a hostile 5 MB
      // sibling took the CLI 9 s and 1.6 GB, for any policy file of its directory); its roles count as unknown, as a broken file's
      this.log(`${file}: larger than ${MAX_POLICY_BYTES / 1024 / 1024} MB, not read for role binding`);
    } else if (text !== undefined && (!mustInclude || text.includes(mustInclude)) && mayHaveFacts(text)) {
      await ensureFormat(file);
      // a .tf.json file's file() calls are read with the HCL parser
      if (/\.tf\.json$/i.test(file) && text.includes('file(')) await ensureFormat('x.tf');
      try {
        facts = terraformFactsOf(text, file);
      } catch (e) {
        this.log(`reading ${file} for role binding: ${e instanceof Error ? e.message : e}`);
      }
    }
    // the text is kept only where a message needs a line number (a file() call)
    const entry: FactsEntry = { key, facts, text: facts?.fileUses.length ? text : undefined };
    this.facts.set(k, entry);
    return entry;
  }
}
