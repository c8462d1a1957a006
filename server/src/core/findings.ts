import { Node } from 'jsonc-parser';
import { InputError, parseJsoncStrict, propertyValue } from './text';
import { Universe } from './universe';
import { parseOtherSources } from './sources';

/** One service's unused permissions, as Access Analyzer's `unusedPermissionDetails`. */
export interface UnusedDetail {
  serviceNamespace: string;
  /** Absent or empty: every action of the service is unused. */
  actions?: { action: string; lastAccessed?: string }[];
  lastAccessed?: string;
}

/** Which product produced a finding: what every diagnostic names as its source. */
export type EvidenceSource = 'access-analyzer' | 'access-advisor' | 'security-hub' | 'list';

export const EVIDENCE_NAMES: Record<EvidenceSource, string> = {
  'access-analyzer': 'Access Analyzer',
  'access-advisor': 'Access Advisor',
  'security-hub': 'Security Hub',
  list: 'findings list',
};

export interface Finding {
  id?: string;
  /** The role (or user) ARN, when the source says. */
  resource?: string;
  findingType: string;
  status?: string;
  analyzedAt?: string;
  updatedAt?: string;
  details: UnusedDetail[];
  /** The findings file it came from. */
  source: string;
  /** The product that judged (absent: Access Analyzer, the default format). */
  evidence?: EvidenceSource;
  /** How many days of activity the judgement covers, where the source says (Access Analyzer's unusedAccessAge, Access Advisor's window, Security Hub's 90 days). */
  trackingDays?: number;
}

/**
 * When a finding judged the permissions: the earlier of its analyzedAt and updatedAt (a line
 * changed after it was not judged). Undefined: the finding does not say.
 */
export function judgedAt(f: Finding): string | undefined {
  const ds = [f.analyzedAt, f.updatedAt].filter((d): d is string => !!d && !Number.isNaN(Date.parse(d)));
  if (ds.length === 0) return undefined;
  return ds.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b));
}

export type FindingsFormat = 'list' | 'get-finding-v2' | 'get-finding-v2-array' | 'findings-object' | 'access-advisor' | 'security-hub';

export interface FindingsFile {
  file: string;
  format: FindingsFormat;
  findings: Finding[];
}

function fail(file: string, text: string, node: Node | undefined, msg: string): never {
  throw InputError.at(file, text, node?.offset ?? 0, msg);
}

function str(file: string, text: string, obj: Node, key: string, required: boolean): string | undefined {
  const v = propertyValue(obj, key);
  if (!v || v.type === 'null') {
    if (required) fail(file, text, obj, `missing "${key}"`);
    return undefined;
  }
  if (v.type !== 'string') fail(file, text, v, `"${key}" must be a string`);
  return v.value as string;
}

function parseActions(file: string, text: string, arr: Node | undefined, mode: 'strings' | 'objects' | 'either') {
  if (!arr || arr.type === 'null') return undefined;
  if (arr.type !== 'array') fail(file, text, arr, '"actions" must be an array');
  const out: { action: string; lastAccessed?: string }[] = [];
  for (const el of arr.children ?? []) {
    if (el.type === 'string' && mode !== 'objects') out.push({ action: el.value as string });
    else if (el.type === 'object' && mode !== 'strings') {
      out.push({ action: str(file, text, el, 'action', true)!, lastAccessed: str(file, text, el, 'lastAccessed', false) });
    } else fail(file, text, el, mode === 'strings' ? 'an action must be a string' : 'an action must be an object {"action": …}');
  }
  return out;
}

function parseDetailList(file: string, text: string, node: Node): Finding {
  // format (a): [{"serviceNamespace": "s3", "actions": ["GetObject", …]}]
  const details: UnusedDetail[] = [];
  for (const el of node.children ?? []) {
    if (el.type !== 'object') fail(file, text, el, 'expected an object {"serviceNamespace": …, "actions": […]}');
    details.push({
      serviceNamespace: str(file, text, el, 'serviceNamespace', true)!,
      actions: parseActions(file, text, propertyValue(el, 'actions'), 'either'),
      lastAccessed: str(file, text, el, 'lastAccessed', false),
    });
  }
  return { findingType: 'UnusedPermission', details, source: file, evidence: 'list' };
}

function parseGetFindingV2(file: string, text: string, obj: Node): Finding {
  const fd = propertyValue(obj, 'findingDetails');
  if (!fd || fd.type !== 'array') fail(file, text, fd ?? obj, '"findingDetails" must be an array');
  const findingType = str(file, text, obj, 'findingType', false) ?? 'UnusedPermission';
  const details: UnusedDetail[] = [];
  for (const el of fd.children ?? []) {
    if (el.type !== 'object') fail(file, text, el, 'a finding detail must be an object');
    const upd = propertyValue(el, 'unusedPermissionDetails');
    if (!upd) continue; // other union members (unusedIamRoleDetails, …): information only
    if (upd.type !== 'object') fail(file, text, upd, '"unusedPermissionDetails" must be an object');
    details.push({
      serviceNamespace: str(file, text, upd, 'serviceNamespace', true)!,
      actions: parseActions(file, text, propertyValue(upd, 'actions'), 'either'),
      lastAccessed: str(file, text, upd, 'lastAccessed', false),
    });
  }
  return {
    id: str(file, text, obj, 'id', false),
    resource: str(file, text, obj, 'resource', false),
    findingType,
    status: str(file, text, obj, 'status', false),
    analyzedAt: str(file, text, obj, 'analyzedAt', false),
    updatedAt: str(file, text, obj, 'updatedAt', false),
    details,
    source: file,
    evidence: 'access-analyzer',
    ...trackingOf(text, obj),
  };
}

/** `unusedAccessAge` (the analyzer's tracking period, which `iam-refine fetch` adds) as trackingDays. */
function trackingOf(text: string, obj: Node): { trackingDays?: number } {
  const v = propertyValue(obj, 'unusedAccessAge');
  return v && v.type === 'number' && v.value > 0 ? { trackingDays: v.value as number } : {};
}

const isFindingObject = (n: Node) => n.type === 'object' && !!propertyValue(n, 'findingDetails');
const isDetailObject = (n: Node) => n.type === 'object' && !!propertyValue(n, 'serviceNamespace');

/**
 * Reads a findings file in any of the accepted formats (auto-detected):
 * (a) `[{"serviceNamespace", "actions": [...]}]`; (b) one `get-finding-v2` response;
 * (c) an array of (b) or `{"findings": [(b)…]}`. Throws an InputError naming the place otherwise.
 */
export function parseFindings(file: string, text: string): FindingsFile {
  const root = parseJsoncStrict(file, text);
  const other = parseOtherSources(file, text, root);
  if (other) return other;
  if (root.type === 'array') {
    const kids = root.children ?? [];
    if (kids.length === 0) return { file, format: 'list', findings: [] }; // nothing is unused: valid, removes nothing
    if (kids.every(isDetailObject)) return { file, format: 'list', findings: [parseDetailList(file, text, root)] };
    if (kids.every(isFindingObject)) return { file, format: 'get-finding-v2-array', findings: kids.map((k) => parseGetFindingV2(file, text, k)) };
    const bad = kids.find((k) => !isDetailObject(k) && !isFindingObject(k)) ?? kids[0];
    fail(file, text, bad, 'not a findings entry: expected {"serviceNamespace", "actions"} or a get-finding-v2 response with "findingDetails"');
  }
  if (root.type === 'object') {
    if (isFindingObject(root)) return { file, format: 'get-finding-v2', findings: [parseGetFindingV2(file, text, root)] };
    const f = propertyValue(root, 'findings');
    if (f) {
      if (f.type !== 'array') fail(file, text, f, '"findings" must be an array of get-finding-v2 responses');
      const kids = f.children ?? [];
      const bad = kids.find((k) => !isFindingObject(k));
      if (bad) fail(file, text, bad, 'not a get-finding-v2 response: missing "findingDetails"');
      return { file, format: 'findings-object', findings: kids.map((k) => parseGetFindingV2(file, text, k)) };
    }
    if (propertyValue(root, 'Statement')) fail(file, text, root, 'this is an IAM policy, not a findings file');
  }
  fail(file, text, root, 'unrecognised findings format: expected a list of {"serviceNamespace", "actions"}, a get-finding-v2 response, an array of them, {"findings": […]}, an Access Advisor report (get-service-last-accessed-details) or Security Hub findings in OCSF');
}

/** Only active `UnusedPermission` findings remove actions; the others are information. */
export function isUnusedPermission(f: Finding): boolean {
  return f.findingType === 'UnusedPermission' && (f.status === undefined || f.status === 'ACTIVE');
}

/** Every role (resource ARN) the findings speak of. */
export function findingRoles(findings: Finding[]): string[] {
  return [...new Set(findings.map((f) => f.resource).filter((r): r is string => !!r))].sort();
}

export interface UnusedInfo {
  /** When last used, per role that reports it (undefined: not used in the tracking window). */
  lastAccessed: Map<string, string | undefined>;
}

/** The unused actions, as universe indexes, with what the findings say of each. */
export interface UnusedSet {
  indexes: Set<number>;
  /** What the findings say of an unused action (made when asked: most are never shown). */
  info: { get(index: number): UnusedInfo | undefined };
  /** The roles that were combined (empty: findings without a role). */
  roles: string[];
  /** The earliest date the contributing findings judged at (a permission changed later was not judged); undefined: they do not say. */
  judgedAt?: string;
  /** Which source, which role(s), which date and tracking period: said in every unused diagnostic. */
  evidence?: string;
}

/**
 * Action names the findings mention, for the universe. Each detail's names are made once (the same
 * strings every time: a universe looks each one up, and a string looked up before has its hash).
 */
export function findingActionNames(findings: Finding[]): string[] {
  const out: string[] = [];
  for (const f of findings)
    for (const d of f.details) {
      let names = qualifiedCache.get(d);
      if (!names) qualifiedCache.set(d, (names = (d.actions ?? []).map((a) => qualify(d.serviceNamespace, a.action))));
      for (let k = 0; k < names.length; k++) out.push(names[k]);
    }
  return out;
}
const qualifiedCache = new WeakMap<UnusedDetail, readonly string[]>();

function qualify(service: string, action: string): string {
  const i = action.indexOf(':');
  return i >= 0 ? action : `${service}:${action}`;
}

/**
 * A detail's named actions looked up in the catalog once (per catalog and finding, not per universe:
 * every document whose universe has names of its own resolves the findings again): the catalog index
 * of each, or -1 with its lower-cased name.
 */
interface ResolvedActions {
  at: Int32Array;
  lower: (string | undefined)[];
}
const resolvedCache = new WeakMap<object, WeakMap<UnusedDetail, ResolvedActions>>();

function resolvedActions(universe: Universe, d: UnusedDetail, actions: NonNullable<UnusedDetail['actions']>): ResolvedActions {
  let byDetail = resolvedCache.get(universe.catalog);
  if (!byDetail) resolvedCache.set(universe.catalog, (byDetail = new WeakMap()));
  let r = byDetail.get(d);
  if (!r) {
    const at = new Int32Array(actions.length);
    const lower: (string | undefined)[] = new Array(actions.length);
    actions.forEach((a, k) => {
      const l = qualify(d.serviceNamespace, a.action).toLowerCase();
      at[k] = universe.catalog.indexOfLower(l);
      lower[k] = at[k] < 0 ? l : undefined;
    });
    byDetail.set(d, (r = { at, lower }));
  }
  return r;
}

function unusedForFindings(findings: Finding[], universe: Universe): Map<number, string | undefined> {
  const out = new Map<number, string | undefined>();
  for (const f of findings) {
    if (!isUnusedPermission(f)) continue;
    for (const d of f.details) {
      if (!d.actions || d.actions.length === 0) {
        for (const i of universe.service(d.serviceNamespace)) if (!out.has(i)) out.set(i, d.lastAccessed);
      } else {
        const { at, lower } = resolvedActions(universe, d, d.actions);
        for (let k = 0; k < at.length; k++) {
          const i = at[k] >= 0 ? universe.fromCatalog(at[k]) : universe.indexOfLower(lower[k]!);
          if (i !== undefined) out.set(i, d.actions[k].lastAccessed);
        }
      }
    }
  }
  return out;
}

export class AmbiguousRolesError extends Error {
  constructor(readonly roles: string[]) {
    super(`the findings concern ${roles.length} roles (${roles.join(', ')}); say which role(s) the policy is attached to`);
  }
}

/**
 * The actions unused for a policy. With `roles`, only what every one of those roles leaves unused
 * counts (a role with no finding leaves nothing unused). Without, the findings must concern at most
 * one role, or carry none (the list format); otherwise AmbiguousRolesError.
 */
export function resolveUnused(findings: Finding[], universe: Universe, roles?: string[]): UnusedSet {
  const relevant = findings.filter(isUnusedPermission);
  const chosen = roles && roles.length ? [...new Set(roles)] : undefined;
  if (!chosen) {
    const known = findingRoles(relevant);
    if (known.length > 1) throw new AmbiguousRolesError(known);
    const maps = [unusedForFindings(relevant, universe)];
    return { ...toSet(maps, known), ...evidenceOf(relevant, known) };
  }
  const maps = chosen.map((r) => unusedForFindings(relevant.filter((f) => f.resource === r || (!f.resource && chosen.length === 1)), universe));
  return { ...toSet(maps, chosen), ...evidenceOf(relevant.filter((f) => chosen.includes(f.resource ?? '') || (!f.resource && chosen.length === 1)), chosen) };
}

const DAY = 86_400_000;

/** "Access Analyzer, role Deployer, findings of 2026-11-20, tracking period 90 days". */
export function evidenceOf(findings: Finding[], roles: string[]): { judgedAt?: string; evidence?: string } {
  if (findings.length === 0) return {};
  const dates = findings.map(judgedAt);
  const known = dates.filter((d): d is string => !!d).sort((a, b) => Date.parse(a) - Date.parse(b));
  // one finding without a date makes the whole set undated: its permissions cannot be compared with the file's history
  const judged = known.length === dates.length ? known[0] : undefined;
  // a list names no product: its file says where it came from
  const sources = [...new Set(findings.map((f) => (f.evidence === 'list' ? `${EVIDENCE_NAMES.list} ${f.source}` : EVIDENCE_NAMES[f.evidence ?? 'access-analyzer'])))].sort();
  const tracking = [...new Set(findings.map((f) => f.trackingDays).filter((d): d is number => !!d))].sort((a, b) => a - b);
  const names = roles.map((r) => r.slice(r.lastIndexOf('/') + 1));
  const parts = [sources.join(' + ')];
  if (names.length) parts.push(`${names.length === 1 ? 'role' : 'roles'} ${names.join(', ')}`);
  parts.push(judged ? `findings of ${judged.slice(0, 10)}` : known.length ? `findings of ${known[0].slice(0, 10)} (some undated)` : 'undated');
  parts.push(tracking.length ? `tracking period ${tracking.map((d) => `${d} days`).join(' / ')}` : 'tracking period not stated');
  return { judgedAt: judged, evidence: parts.join(', ') };
}

/** The age of findings in whole days at `now` (undefined: undated). */
export function ageInDays(judged: string | undefined, now: number): number | undefined {
  if (!judged) return undefined;
  return Math.floor((now - Date.parse(judged)) / DAY);
}

function toSet(maps: Map<number, string | undefined>[], roles: string[]): UnusedSet {
  const indexes = new Set<number>();
  const [first, ...rest] = maps;
  if (rest.length === 0) for (const i of first.keys()) indexes.add(i);
  else for (const i of first.keys()) if (rest.every((m) => m.has(i))) indexes.add(i);
  const info = {
    get(i: number): UnusedInfo | undefined {
      if (!indexes.has(i)) return undefined;
      const la = new Map<string, string | undefined>();
      maps.forEach((m, k) => la.set(roles[k] ?? '', m.get(i)));
      return { lastAccessed: la };
    },
  };
  return { indexes, info, roles };
}
