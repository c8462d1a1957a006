/**
 * The live findings cache: one JSON file per connection and roles (a hash names it, so nothing
 * about them shows in the name) holding the findings, when they were fetched and what they are
 * of. Never a credential: the SDK resolves those and nothing here sees them. Written atomically,
 * readable by the user only.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { FindingV2 } from './findingsV2';

export const CACHE_FORMAT = 'iam-refiner-live-findings/1';

/** The cache file: findings only (and what they are of), never credentials. */
export interface CacheFile {
  format: typeof CACHE_FORMAT;
  fetchedAt: string;
  analyzerArn: string;
  region?: string;
  profile?: string;
  roles: string[];
  rolesWithoutFindings: string[];
  findings: FindingV2[];
}

/** The cache file name of a key. */
export function cacheFileName(key: string): string {
  return `live-findings-${createHash('sha256').update(key).digest('hex').slice(0, 24)}.json`;
}

export function isCacheFile(v: unknown): v is CacheFile {
  const c = v as CacheFile;
  return !!c && c.format === CACHE_FORMAT && typeof c.fetchedAt === 'string' && typeof c.analyzerArn === 'string' && Array.isArray(c.findings) && Array.isArray(c.roles);
}

/** Reads a cache file: undefined when there is none (never fetched); throws when it is not a cache file. */
export async function readCacheFile(file: string): Promise<CacheFile | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const data = JSON.parse(text) as unknown;
  if (!isCacheFile(data)) throw new Error('not a live findings cache');
  // older files may lack the list
  return { ...data, rolesWithoutFindings: Array.isArray(data.rolesWithoutFindings) ? data.rolesWithoutFindings : [] };
}

/** Writes a cache file atomically (a temporary file renamed), mode 0600 in a 0700 directory; on failure nothing is left behind and the error is thrown. */
export async function writeCacheFile(file: string, cache: CacheFile): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await fs.writeFile(tmp, JSON.stringify(cache, null, 2) + '\n', { encoding: 'utf8', mode: 0o600 });
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}
