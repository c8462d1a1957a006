import { ClientCapabilities, Connection, DidChangeWatchedFilesNotification, Disposable, FileSystemWatcher } from 'vscode-languageserver';
import { CONFIG_FILE } from '../core';
import { Project } from '../workspace/project';

/**
 * Terraform files: one that changes on disk (not open) may declare the role or the attachment that
 * binds the open files of its module (a directory), or the JSON files it reads with file().
 */
export const TERRAFORM_WATCHERS: FileSystemWatcher[] = [{ globPattern: '**/*.tf' }, { globPattern: '**/*.tf.json' }];

/** File watchers for iam-refiner.json, each project's findings globs, and Terraform files. */
export function watcherPatterns(projects: Project[], relativePatterns: boolean): FileSystemWatcher[] {
  const watchers: FileSystemWatcher[] = [{ globPattern: `**/${CONFIG_FILE}` }, ...TERRAFORM_WATCHERS];
  for (const p of projects) {
    const snap = p.snapshot;
    if (!snap || !p.folder.path) continue;
    const shallow = p.folder.maxDepth === 0; // a file's own directory (outside the folders): not recursive
    for (const g of snap.globs) {
      const glob = shallow ? g.replace(/^\.\//, '').replace(/\*\*\//g, '') : g.includes('/') ? g.replace(/^\.\//, '') : `**/${g}`;
      watchers.push({ globPattern: relativePatterns ? { baseUri: p.folder.uri, pattern: glob } : glob });
    }
  }
  return watchers;
}

/** The client-side file watchers, registered again only when the patterns change. */
export class FileWatchers {
  private registration: Promise<Disposable | undefined> | undefined;
  private key = '';
  /** The client accepted a registration (Terraform files changed on disk are reported). */
  registered = false;

  constructor(private readonly connection: Connection, private readonly onError: (e: unknown) => void) {}

  async update(caps: ClientCapabilities, projects: Project[]): Promise<void> {
    const wf = caps.workspace?.didChangeWatchedFiles;
    if (!wf?.dynamicRegistration) return;
    const watchers = watcherPatterns(projects, !!wf.relativePatternSupport);
    const key = JSON.stringify(watchers);
    if (key === this.key) return;
    this.key = key;
    const previous = this.registration;
    // a failed registration is logged here, so neither this call nor the next one that replaces it sees a rejection
    this.registration = this.connection.client.register(DidChangeWatchedFilesNotification.type, { watchers }).catch((e) => {
      this.onError(e);
      return undefined;
    });
    (await previous)?.dispose();
    this.registered = !!(await this.registration);
  }
}
