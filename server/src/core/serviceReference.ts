/**
 * AWS's Service Reference (https://servicereference.us-east-1.amazonaws.com/): its JSON read into
 * the packed catalog the engine loads. Pure: the texts are handed in, nothing is fetched here
 * (server/src/workspace/catalogUpdate.ts does the fetching).
 *
 * - The index: `[{"service": "s3", "url": "https://…/v1/s3/s3.json"}, …]`.
 * - A service: `{"Name": "s3", "Actions": [{"Name": "GetObject", "Annotations": {"Properties":
 *   {"IsList", "IsWrite", "IsPermissionManagement", "IsTaggingOnly"}}}, …], …}`. The access level is
 *   read from the flags: permissions management, else tagging, else write, else list, else read.
 *
 * Every problem is an InputError naming the URL and the place (`line:col` for a syntax error, the
 * JSON path for a wrong shape), so a bad answer is refused with a sentence, never half-read.
 */
import { Catalog } from './catalog';
import { InputError, parseJsoncStrict } from './text';

export const SERVICE_REFERENCE_URL = 'https://servicereference.us-east-1.amazonaws.com/';
export const SERVICE_REFERENCE_SOURCE = 'AWS Service Reference';

export interface ServiceRef {
  service: string;
  url: string;
}

/** One service as read from its document: canonical action names sorted case-insensitively, one access level letter per action. */
export interface ServiceActions {
  prefix: string;
  actions: string[];
  levels: string;
}

/** The packed catalog file (dist/catalog.json, the per-user cache): what Catalog.fromJSON reads. */
export interface PackedCatalog {
  source: string;
  version: string;
  updatedAt: string;
  /** [prefix, service name, comma-separated actions, access level letters] */
  services: [string, string, string, string][];
  /** Where it was fetched from (an origin: no path, query or credentials), for a fetched catalog. */
  fetchedFrom?: string;
}

const PREFIX = /^[a-z0-9][a-z0-9-]*$/;
/** Action names are letters, digits, `-` and `_`; nothing that would break the packed list (`,`) or read as a pattern (`*`, `?`). */
const ACTION = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** JSON.parse, and on failure the exact place from the strict reader (the fast path stays fast on 30 MB of answers). */
function parseJson(url: string, text: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    parseJsoncStrict(url, text); // throws with line:col
    throw new InputError(url, 1, 1, 'invalid JSON');
  }
}

function shape(url: string, where: string, detail: string): InputError {
  // the place is a JSON path: line and column would point into a one-line answer
  const e = new InputError(url, 1, 1, `${where}: ${detail}`);
  e.message = `${url}: ${where}: ${detail}`;
  return e;
}

/** The index of the Service Reference: every service and the URL of its document (on the index's own origin). */
export function parseServiceIndex(url: string, text: string): ServiceRef[] {
  const j = parseJson(url, text);
  if (!Array.isArray(j)) throw shape(url, '$', 'expected a list of {"service", "url"}');
  const origin = new URL(url).origin;
  const seen = new Set<string>();
  const out: ServiceRef[] = [];
  j.forEach((el, i) => {
    const where = `[${i}]`;
    if (!el || typeof el !== 'object' || Array.isArray(el)) throw shape(url, where, 'expected an object {"service", "url"}');
    const { service, url: u } = el as Record<string, unknown>;
    if (typeof service !== 'string' || !PREFIX.test(service)) throw shape(url, `${where}.service`, `expected a service prefix such as "s3", not ${JSON.stringify(service)}`);
    if (typeof u !== 'string') throw shape(url, `${where}.url`, `expected a URL, not ${JSON.stringify(u)}`);
    let abs: URL;
    try {
      abs = new URL(u, url);
    } catch {
      throw shape(url, `${where}.url`, `"${u}" is not a URL`);
    }
    // the index decides which documents are read, never where they come from
    if (abs.origin !== origin) throw shape(url, `${where}.url`, `${abs.origin} is not the Service Reference's origin (${origin}): refused`);
    if (abs.username || abs.password) throw shape(url, `${where}.url`, 'a URL with a user name or password: refused');
    if (seen.has(service)) return; // listed twice: once is enough
    seen.add(service);
    out.push({ service, url: abs.href });
  });
  if (out.length === 0) throw shape(url, '$', 'the list of services is empty');
  return out;
}

/** Access level letter of the packed catalog: P(ermissions management), T(agging), W(rite), L(ist), R(ead). */
function level(url: string, where: string, a: Record<string, unknown>): string {
  const ann = a.Annotations;
  if (ann === undefined || ann === null) return 'R';
  if (typeof ann !== 'object') throw shape(url, `${where}.Annotations`, 'expected an object');
  const props = (ann as Record<string, unknown>).Properties;
  if (props === undefined || props === null) return 'R';
  if (typeof props !== 'object') throw shape(url, `${where}.Annotations.Properties`, 'expected an object');
  const p = props as Record<string, unknown>;
  const flag = (k: string) => {
    const v = p[k];
    if (v !== undefined && v !== null && typeof v !== 'boolean') throw shape(url, `${where}.Annotations.Properties.${k}`, `expected true or false, not ${JSON.stringify(v)}`);
    return v === true;
  };
  const pm = flag('IsPermissionManagement');
  const tag = flag('IsTaggingOnly');
  const write = flag('IsWrite');
  const list = flag('IsList');
  return pm ? 'P' : tag ? 'T' : write ? 'W' : list ? 'L' : 'R';
}

/** One service's document: its actions (deduplicated case-insensitively, sorted as the catalog sorts them) and their access levels. */
export function parseServiceDocument(url: string, text: string, service: string): ServiceActions {
  const j = parseJson(url, text);
  if (!j || typeof j !== 'object' || Array.isArray(j)) throw shape(url, '$', 'expected an object {"Name", "Actions"}');
  const doc = j as Record<string, unknown>;
  if (typeof doc.Name !== 'string') throw shape(url, '$.Name', 'expected the service prefix');
  if (doc.Name.toLowerCase() !== service) throw shape(url, '$.Name', `"${doc.Name}" is not the service the index lists here ("${service}")`);
  const actions = doc.Actions ?? [];
  if (!Array.isArray(actions)) throw shape(url, '$.Actions', 'expected a list of actions');
  const byLower = new Map<string, [string, string]>();
  actions.forEach((a, i) => {
    const where = `$.Actions[${i}]`;
    if (!a || typeof a !== 'object' || Array.isArray(a)) throw shape(url, where, 'expected an object {"Name", …}');
    const name = (a as Record<string, unknown>).Name;
    if (typeof name !== 'string' || !ACTION.test(name)) throw shape(url, `${where}.Name`, `expected an action name, not ${JSON.stringify(name)}`);
    const l = level(url, where, a as Record<string, unknown>);
    if (!byLower.has(name.toLowerCase())) byLower.set(name.toLowerCase(), [name, l]);
  });
  const sorted = [...byLower.values()].sort((x, y) => (x[0].toLowerCase() < y[0].toLowerCase() ? -1 : 1));
  return { prefix: service, actions: sorted.map((x) => x[0]), levels: sorted.map((x) => x[1]).join('') };
}

/**
 * The packed catalog of a Service Reference download. Service names (for the documentation links)
 * come from `names` (the bundled catalog's) where it knows the prefix; the date is the download's.
 */
export function packServiceReference(services: ServiceActions[], fetchedAt: Date, fetchedFrom: string, names: (prefix: string) => string | undefined): PackedCatalog {
  const iso = fetchedAt.toISOString();
  const rows = [...services]
    .sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0))
    .map((s): [string, string, string, string] => [s.prefix, names(s.prefix) ?? s.prefix, s.actions.join(','), s.levels]);
  return { source: SERVICE_REFERENCE_SOURCE, version: `${iso.slice(0, 16)}Z`, updatedAt: iso, fetchedFrom, services: rows };
}

/**
 * Reads a packed catalog file, checking its shape (a cache file can be truncated or edited by hand):
 * an InputError naming the file and the place otherwise.
 */
export function parsePackedCatalog(file: string, text: string): Catalog {
  const j = parseJson(file, text);
  if (!j || typeof j !== 'object' || Array.isArray(j)) throw shape(file, '$', 'expected a packed catalog {"source", "version", "updatedAt", "services"}');
  const c = j as Record<string, unknown>;
  for (const k of ['source', 'version', 'updatedAt'] as const) if (typeof c[k] !== 'string' || !c[k]) throw shape(file, `$.${k}`, 'expected a string');
  if (Number.isNaN(Date.parse(c.updatedAt as string))) throw shape(file, '$.updatedAt', `"${c.updatedAt}" is not a date`);
  if (!Array.isArray(c.services) || c.services.length === 0) throw shape(file, '$.services', 'expected a non-empty list');
  c.services.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== 4 || row.some((x) => typeof x !== 'string')) throw shape(file, `$.services[${i}]`, 'expected [prefix, name, actions, levels]');
    const n = row[2] ? row[2].split(',').length : 0;
    if (row[3].length !== n || /[^LRWTP]/.test(row[3])) throw shape(file, `$.services[${i}]`, `${n} actions but access levels "${row[3].slice(0, 20)}"`);
  });
  return new Catalog(c.version as string, c.updatedAt as string, c.source as string, c.services as [string, string, string, string][]);
}

/** What changed between two catalogs: actions added and removed (full names). */
export function catalogDiff(before: Catalog, after: Catalog): { added: string[]; removed: string[] } {
  const added: string[] = [];
  const removed: string[] = [];
  for (const [lower, name] of after.canonical) if (!before.canonical.has(lower)) added.push(name);
  for (const [lower, name] of before.canonical) if (!after.canonical.has(lower)) removed.push(name);
  return { added: added.sort(), removed: removed.sort() };
}
