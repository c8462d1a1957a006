/**
 * Findings from other sources than Access Analyzer's get-finding-v2, read into the same Finding
 * form (pure: text in, findings out):
 * - IAM Access Advisor: `aws iam get-service-last-accessed-details` output (ACTION_LEVEL or
 *   SERVICE_LEVEL), one report or an array of them;
 * - Security Hub: unused-access findings in OCSF JSON as exported (one finding, an array, or
 *   `{"Findings": [...]}` as GetFindingsV2 prints them).
 */
import { Node } from 'jsonc-parser';
import { InputError, propertyValue } from './text';
import type { Finding, FindingsFile, UnusedDetail } from './findings';

/** IAM reports activity for at least the last 400 days: what "never accessed" means in an Access Advisor report. */
export const ACCESS_ADVISOR_DEFAULT_DAYS = 400;
/** Security Hub's unused-access analyzer looks back 90 days (not configurable). */
export const SECURITY_HUB_DAYS = 90;

const DAY = 86_400_000;

function fail(file: string, text: string, node: Node | undefined, msg: string): never {
  throw InputError.at(file, text, node?.offset ?? 0, msg);
}

function optString(file: string, text: string, obj: Node, key: string): string | undefined {
  const v = propertyValue(obj, key);
  if (!v || v.type === 'null') return undefined;
  if (v.type !== 'string') fail(file, text, v, `"${key}" must be a string`);
  return v.value as string;
}

function optDate(file: string, text: string, obj: Node, key: string): string | undefined {
  const s = optString(file, text, obj, key);
  if (s === undefined) return undefined;
  if (Number.isNaN(Date.parse(s))) fail(file, text, propertyValue(obj, key), `"${key}" is not a date: ${JSON.stringify(s)}`);
  return new Date(Date.parse(s)).toISOString();
}

const isAdvisorReport = (n: Node) => n.type === 'object' && !!propertyValue(n, 'ServicesLastAccessed');
const isOcsf = (n: Node) => n.type === 'object' && !!propertyValue(n, 'class_uid') && !!propertyValue(n, 'finding_info');

/** The file as Access Advisor or Security Hub findings, or undefined when it is neither. */
export function parseOtherSources(file: string, text: string, root: Node): FindingsFile | undefined {
  if (isAdvisorReport(root)) return { file, format: 'access-advisor', findings: [parseAdvisorReport(file, text, root)] };
  if (root.type === 'array' && (root.children ?? []).length && root.children!.every(isAdvisorReport)) {
    return { file, format: 'access-advisor', findings: root.children!.map((r) => parseAdvisorReport(file, text, r)) };
  }
  if (isOcsf(root)) return { file, format: 'security-hub', findings: [parseOcsf(file, text, root)] };
  const list = root.type === 'array' ? root : root.type === 'object' ? propertyValue(root, 'Findings') : undefined;
  if (list?.type === 'array' && (list.children ?? []).length && list.children!.some(isOcsf)) {
    const bad = list.children!.find((k) => !isOcsf(k));
    if (bad) fail(file, text, bad, 'not an OCSF finding (Security Hub): expected "class_uid" and "finding_info"');
    return { file, format: 'security-hub', findings: list.children!.map((k) => parseOcsf(file, text, k)) };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Access Advisor

/**
 * One `get-service-last-accessed-details` report. A service never authenticated within the
 * tracking window (no LastAuthenticated, or one before the window) is wholly unused; in a service
 * that was, a tracked action never accessed within the window is unused. Untracked actions are
 * never judged unused. The window ends at JobCompletionDate and spans `TrackingPeriodDays` (written
 * by `iam-refine fetch --source access-advisor`), else 400 days. `Arn` (also ours) names the role.
 */
function parseAdvisorReport(file: string, text: string, obj: Node): Finding {
  const status = optString(file, text, obj, 'JobStatus');
  if (status && status !== 'COMPLETED') fail(file, text, propertyValue(obj, 'JobStatus'), `the Access Advisor report is not complete (JobStatus ${status}): run get-service-last-accessed-details again once it is COMPLETED`);
  const completed = optDate(file, text, obj, 'JobCompletionDate');
  if (!completed) fail(file, text, obj, 'an Access Advisor report needs "JobCompletionDate": without it, "never accessed" has no window');
  const daysNode = propertyValue(obj, 'TrackingPeriodDays');
  let days = ACCESS_ADVISOR_DEFAULT_DAYS;
  if (daysNode) {
    if (daysNode.type !== 'number' || !(daysNode.value > 0)) fail(file, text, daysNode, '"TrackingPeriodDays" must be a positive number');
    days = daysNode.value as number;
  }
  const windowStart = Date.parse(completed) - days * DAY;
  const inWindow = (d: string | undefined) => !!d && Date.parse(d) >= windowStart;
  const services = propertyValue(obj, 'ServicesLastAccessed')!;
  if (services.type !== 'array') fail(file, text, services, '"ServicesLastAccessed" must be an array');
  const details: UnusedDetail[] = [];
  for (const s of services.children ?? []) {
    if (s.type !== 'object') fail(file, text, s, 'a ServicesLastAccessed entry must be an object');
    const ns = optString(file, text, s, 'ServiceNamespace');
    if (!ns) fail(file, text, s, 'missing "ServiceNamespace"');
    const last = optDate(file, text, s, 'LastAuthenticated');
    if (!inWindow(last)) {
      details.push({ serviceNamespace: ns, lastAccessed: last });
      continue;
    }
    const tracked = propertyValue(s, 'TrackedActionsLastAccessed');
    if (!tracked || tracked.type === 'null') continue;
    if (tracked.type !== 'array') fail(file, text, tracked, '"TrackedActionsLastAccessed" must be an array');
    const actions: { action: string; lastAccessed?: string }[] = [];
    for (const a of tracked.children ?? []) {
      if (a.type !== 'object') fail(file, text, a, 'a TrackedActionsLastAccessed entry must be an object');
      const name = optString(file, text, a, 'ActionName');
      if (!name) fail(file, text, a, 'missing "ActionName"');
      const when = optDate(file, text, a, 'LastAccessedTime');
      if (!inWindow(when)) actions.push({ action: name, lastAccessed: when });
    }
    if (actions.length) details.push({ serviceNamespace: ns, actions });
  }
  return {
    resource: optString(file, text, obj, 'Arn'),
    findingType: 'UnusedPermission',
    analyzedAt: completed,
    details,
    source: file,
    evidence: 'access-advisor',
    trackingDays: days,
  };
}

// ---------------------------------------------------------------------------------------------
// Security Hub (OCSF)

/** OCSF `status`/`status_id` → Access Analyzer's status: New / In Progress are active; Suppressed is archived; Resolved resolved. */
function ocsfStatus(file: string, text: string, obj: Node): string | undefined {
  const s = optString(file, text, obj, 'status')?.toLowerCase();
  const id = propertyValue(obj, 'status_id');
  const n = id?.type === 'number' ? (id.value as number) : undefined;
  if (s === 'new' || s === 'in progress' || s === 'in_progress' || n === 1 || n === 2) return 'ACTIVE';
  if (s === 'suppressed' || s === 'archived' || n === 3) return 'ARCHIVED';
  if (s === 'resolved' || n === 4) return 'RESOLVED';
  if (s === undefined && n === undefined) return undefined;
  return (s ?? `status_id ${n}`).toUpperCase();
}

function ocsfTime(file: string, text: string, obj: Node | undefined, keys: string[]): string | undefined {
  if (!obj || obj.type !== 'object') return undefined;
  for (const k of keys) {
    const dt = optDate(file, text, obj, `${k}_dt`);
    if (dt) return dt;
    const ms = propertyValue(obj, k);
    if (ms?.type === 'number') return new Date(ms.value as number).toISOString();
  }
  return undefined;
}

function stringsOf(n: Node | undefined): string[] {
  if (!n) return [];
  if (n.type === 'string') return [n.value as string];
  return (n.children ?? []).filter((c) => c.type === 'string').map((c) => c.value as string);
}

/** The role or user ARN of the finding: an IAM resource's uid, else the user's. */
function ocsfPrincipal(file: string, text: string, obj: Node): string | undefined {
  const resources = propertyValue(obj, 'resources');
  for (const r of resources?.children ?? []) {
    if (r.type !== 'object') continue;
    const uid = optString(file, text, r, 'uid');
    if (uid && /^arn:aws[\w-]*:iam::\d{12}:(role|user)\//.test(uid)) return uid;
  }
  const user = propertyValue(obj, 'user');
  if (user?.type === 'object') {
    const uid = optString(file, text, user, 'uid');
    if (uid && /^arn:/.test(uid)) return uid;
  }
  return undefined;
}

/**
 * Where a Security Hub OCSF finding carries the unused permissions: Access Analyzer's own
 * `unusedPermissionDetails` objects, wherever the export nests them (`resources[].data`,
 * `unmapped`, `evidences`…), and OCSF's `permission_analysis_results[].service_privilege_analysis_list[]`
 * entries with `all_privileges_unused: true` (a wholly unused service).
 */
function ocsfDetails(file: string, text: string, obj: Node): UnusedDetail[] {
  const out: UnusedDetail[] = [];
  const readDetail = (d: Node) => {
    if (d.type !== 'object') fail(file, text, d, '"unusedPermissionDetails" must be an object');
    const ns = optString(file, text, d, 'serviceNamespace');
    if (!ns) fail(file, text, d, 'missing "serviceNamespace"');
    const acts = propertyValue(d, 'actions');
    let actions: UnusedDetail['actions'];
    if (acts && acts.type !== 'null') {
      if (acts.type !== 'array') fail(file, text, acts, '"actions" must be an array');
      actions = (acts.children ?? []).map((a) => {
        if (a.type === 'string') return { action: a.value as string };
        if (a.type !== 'object') fail(file, text, a, 'an action must be a string or {"action": …}');
        const action = optString(file, text, a, 'action');
        if (!action) fail(file, text, a, 'missing "action"');
        return { action, lastAccessed: optString(file, text, a, 'lastAccessed') };
      });
    }
    out.push({ serviceNamespace: ns, actions, lastAccessed: optString(file, text, d, 'lastAccessed') });
  };
  const walk = (n: Node, depth: number) => {
    if (depth > 12) return;
    if (n.type === 'object') {
      for (const p of n.children ?? []) {
        const [k, v] = p.children ?? [];
        if (!k || !v) continue;
        if (k.value === 'unusedPermissionDetails') {
          if (v.type === 'array') (v.children ?? []).forEach(readDetail);
          else readDetail(v);
        } else if (k.value === 'service_privilege_analysis_list' && v.type === 'array') {
          for (const s of v.children ?? []) {
            if (s.type !== 'object') continue;
            const all = propertyValue(s, 'all_privileges_unused');
            const name = optString(file, text, s, 'name');
            if (all?.type === 'boolean' && all.value === true && name) out.push({ serviceNamespace: name, lastAccessed: ocsfTime(file, text, s, ['last_used_time']) });
          }
        } else walk(v, depth + 1);
      }
    } else if (n.type === 'array') for (const c of n.children ?? []) walk(c, depth + 1);
  };
  walk(obj, 0);
  return out;
}

function parseOcsf(file: string, text: string, obj: Node): Finding {
  const info = propertyValue(obj, 'finding_info');
  if (!info || info.type !== 'object') fail(file, text, info ?? obj, '"finding_info" must be an object');
  const types = [...stringsOf(propertyValue(info, 'types')), optString(file, text, info, 'title') ?? '', optString(file, text, obj, 'type_name') ?? ''];
  const unusedPermission = types.some((t) => /unused ?permission/i.test(t));
  const findingType = unusedPermission ? 'UnusedPermission' : (types.map((t) => /Unused ?IAM ?\w+/i.exec(t)?.[0]).find((t) => t) ?? stringsOf(propertyValue(info, 'types'))[0] ?? 'OCSF finding').replace(/\s+/g, '');
  const details = unusedPermission ? ocsfDetails(file, text, obj) : [];
  if (unusedPermission && details.length === 0) {
    fail(file, text, info, 'a Security Hub unused-permission finding without unused permissions: expected "unusedPermissionDetails" (as Access Analyzer gives them) or "service_privilege_analysis_list" entries with "all_privileges_unused"');
  }
  return {
    id: optString(file, text, info, 'uid'),
    resource: ocsfPrincipal(file, text, obj),
    findingType,
    status: ocsfStatus(file, text, obj),
    analyzedAt: ocsfTime(file, text, info, ['last_seen_time', 'modified_time']) ?? ocsfTime(file, text, obj, ['time']) ?? ocsfTime(file, text, info, ['created_time']),
    details,
    source: file,
    evidence: 'security-hub',
    trackingDays: SECURITY_HUB_DAYS,
  };
}
