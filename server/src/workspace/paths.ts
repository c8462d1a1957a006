import { fileURLToPath, pathToFileURL } from 'node:url';
import * as path from 'node:path';

/** The file system path of a `file:` URI, undefined for other schemes (untitled:, …). */
export function uriToPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return path.normalize(fileURLToPath(uri));
  } catch {
    return undefined;
  }
}

export function pathToUri(p: string): string {
  return pathToFileURL(p).href;
}

const caseInsensitive = process.platform === 'win32' || process.platform === 'darwin';

/** A key that identifies a file whatever way its URI was encoded. */
export function pathKey(p: string): string {
  const n = path.normalize(p);
  return caseInsensitive ? n.toLowerCase() : n;
}

export function uriKey(uri: string): string {
  const p = uriToPath(uri);
  return p ? pathKey(p) : uri;
}

/** `a/b/c.json` relative to root, or undefined when the file is not under root. */
export function relativePosix(root: string, file: string): string | undefined {
  const rel = path.relative(root, file);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep).join('/');
}

/** The last segment of a URI or path. */
export function baseName(uriOrPath: string): string {
  const s = uriOrPath.replace(/[\\/]+$/, '');
  return s.slice(Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\')) + 1);
}
