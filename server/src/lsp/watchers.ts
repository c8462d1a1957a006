import { FileSystemWatcher } from 'vscode-languageserver';
import { CONFIG_FILE } from '../core';
import { Project } from '../workspace/project';

/** File watchers for iam-refiner.json and each project's findings globs. */
export function watcherPatterns(projects: Project[], relativePatterns: boolean): FileSystemWatcher[] {
  const watchers: FileSystemWatcher[] = [{ globPattern: `**/${CONFIG_FILE}` }];
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
