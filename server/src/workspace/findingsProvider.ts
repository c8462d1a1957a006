import * as path from 'node:path';
import { Finding, FindingsFile, ProjectConfig, parseFindings } from '../core';
import type { LiveSourceStatus, Settings } from '../../../shared/protocol';
import { findFiles } from './walk';
import { Disk, asyncDisk } from './disk';
import { pathToUri } from './paths';

/** One place findings come from: a findings file now, Access Analyzer (live) later. */
export interface FindingsSource {
  /** Stable identity, e.g. the file URI, or `live:<analyzer ARN>`. */
  id: string;
  /** 'file' | 'live' | … */
  kind: string;
  /** Shown in the status: a relative path, or "Access Analyzer (us-east-1)". */
  label: string;
  /** Where the findings can be opened (related information points there), when they live in a file. */
  uri?: string;
  /** The file's text, so related information can point at the exact action. */
  text?: string;
  findings: Finding[];
  /** The source could not be read: reported on the source (at error.line/column for a file), other sources keep working. */
  error?: Error;
  /** When the findings were produced (newest analyzedAt, else the file's modification time). */
  analyzedAt?: string;
  /** Live sources: fetch state, age, the last failure (passed on to the status). */
  live?: LiveSourceStatus;
}

export interface FolderInfo {
  uri: string;
  /** File system path; undefined for a folder-less (untitled) context. */
  path?: string;
  name: string;
  /** How deep a search may go (folder-less files: only their own directory). */
  maxDepth?: number;
  /** The project file when it is not `<path>/iam-refiner.json` (`iam-refine --config FILE`). */
  configFile?: string;
  /** Roles every policy file of the folder is bound to, whatever iam-refiner.json says (`iam-refine --role`). */
  roles?: string[];
}

export interface FindingsRequest {
  folder: FolderInfo;
  settings: Settings;
  /** Findings globs from iam-refiner.json, the settings, or the defaults. */
  globs: string[];
  /** The folder's iam-refiner.json as the project parsed it (empty when absent or invalid). */
  config: ProjectConfig;
  /** iam-refiner.json is there but does not parse (being edited, the project reports it): `config` is empty, not what the user means. */
  configInvalid?: boolean;
  /** The text of a file if it is open in the editor (unsaved edits count). */
  readText(absPath: string): Promise<string | undefined>;
  isCancelled(): boolean;
}

/**
 * A source of findings for a workspace folder. The server asks every registered provider again
 * when something they depend on changes (files, settings), and whenever a provider fires onDidChange
 * (a live provider polling Access Analyzer does that on its own schedule).
 */
export interface FindingsProvider {
  readonly id: string;
  load(request: FindingsRequest): Promise<FindingsSource[]>;
  onDidChange?(listener: (folderUri?: string) => void): { dispose(): void };
  dispose?(): void;
}

/** The newest analyzedAt of the findings. */
export function newest(findings: Finding[]): string | undefined {
  const dates = findings.map((f) => f.analyzedAt).filter((d): d is string => !!d).sort();
  return dates[dates.length - 1];
}

async function modifiedAt(disk: Disk, absPath: string): Promise<string | undefined> {
  try {
    return (await disk.stat(absPath)).mtime.toISOString();
  } catch {
    return undefined;
  }
}

/** Findings files matched by the globs in the folder (the open editor's text wins over the disk). */
export class FileFindingsProvider implements FindingsProvider {
  readonly id = 'files';
  private readonly parsed = new Map<string, { text: string; result: FindingsFile | Error }>();

  /** `disk`: how a file's modification time is read (the CLI's synchronously, see disk.ts). */
  constructor(private readonly disk: Disk = asyncDisk) {}

  async load(req: FindingsRequest): Promise<FindingsSource[]> {
    const root = req.folder.path;
    if (!root || req.globs.length === 0) return [];
    const files = await findFiles(root, req.globs, { maxDepth: req.folder.maxDepth, isCancelled: req.isCancelled });
    const out: FindingsSource[] = [];
    for (const rel of files) {
      const abs = path.join(root, rel);
      const text = await req.readText(abs);
      if (text === undefined) continue;
      if (!text.trim()) continue; // a file being created
      const cached = this.parsed.get(abs);
      let result: FindingsFile | Error;
      if (cached && cached.text === text) result = cached.result;
      else {
        try {
          result = parseFindings(rel, text);
        } catch (e) {
          result = e instanceof Error ? e : new Error(String(e));
        }
        this.parsed.set(abs, { text, result });
      }
      const uri = pathToUri(abs);
      // the file's modification time only when the findings do not say when they were produced
      const analyzedAt = (result instanceof Error ? undefined : newest(result.findings)) ?? (await modifiedAt(this.disk, abs));
      if (result instanceof Error) out.push({ id: uri, kind: 'file', label: rel, uri, text, findings: [], error: result, analyzedAt });
      else out.push({ id: uri, kind: 'file', label: rel, uri, text, findings: result.findings, analyzedAt });
    }
    // forget files that are gone
    const seen = new Set(files.map((f) => path.join(root, f)));
    for (const k of [...this.parsed.keys()]) if (k.startsWith(root + path.sep) && !seen.has(k)) this.parsed.delete(k);
    return out;
  }
}

/** The findings sources in use, in order; each one's changes reach `changed` until it is removed. */
export class FindingsProviders {
  readonly list: FindingsProvider[] = [];
  private readonly subscriptions = new Map<FindingsProvider, { dispose(): void } | undefined>();

  constructor(private readonly changed: (folderUri?: string) => void) {}

  add(p: FindingsProvider): void {
    this.list.push(p);
    this.subscriptions.set(p, p.onDidChange?.((folderUri) => this.changed(folderUri)));
  }

  remove(p: FindingsProvider): void {
    const i = this.list.indexOf(p);
    if (i >= 0) this.list.splice(i, 1);
    this.subscriptions.get(p)?.dispose();
    this.subscriptions.delete(p);
    p.dispose?.();
  }

  dispose(): void {
    for (const p of [...this.list]) this.remove(p);
  }
}
