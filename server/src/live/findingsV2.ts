/**
 * Findings as Access Analyzer returns them (`get-finding-v2` responses as plain JSON), and the
 * same findings in the core's form. No SDK import: the cache and the editor's provider use this
 * without loading the AWS SDK.
 */
import type { Finding, UnusedDetail } from '../core';

/** One `get-finding-v2` response as plain JSON: every findingDetails page merged, timestamps RFC 3339 strings. */
export interface FindingV2 {
  id: string;
  resource?: string;
  resourceType?: string;
  resourceOwnerAccount?: string;
  status?: string;
  findingType?: string;
  analyzedAt?: string;
  createdAt?: string;
  updatedAt?: string;
  error?: string;
  /** The analyzer's tracking period in days (ours: `iam-refine fetch` adds it from the analyzer's configuration). */
  unusedAccessAge?: number;
  /** Union members as AWS sends them, e.g. `{"unusedPermissionDetails": {serviceNamespace, actions?, lastAccessed?}}`. */
  findingDetails: Record<string, unknown>[];
}

/** The findings file `iam-refine refine --findings` reads: `{"findings": [get-finding-v2 responses]}`. */
export function findingsFileText(findings: FindingV2[]): string {
  return JSON.stringify({ findings }, null, 2) + '\n';
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function optionalString(v: unknown, what: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new Error(`${what} must be a string`);
  return v;
}

function actionsOf(v: unknown, where: string): UnusedDetail['actions'] {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new Error(`${where}: "actions" must be an array`);
  return v.map((a) => {
    if (typeof a === 'string') return { action: a };
    if (!isObject(a) || typeof a.action !== 'string') throw new Error(`${where}: an action must be an object {"action": …}`);
    return { action: a.action, lastAccessed: optionalString(a.lastAccessed, `${where}: "lastAccessed"`) };
  });
}

/**
 * The findings in the core's form, read as a findings file's `get-finding-v2` entries are
 * (core/findings.ts): the `unusedPermissionDetails` members only, actions with or without
 * their lastAccessed. `source` names where they came from. Throws on a malformed entry (a cache
 * file edited by hand).
 */
export function toCoreFindings(findings: readonly FindingV2[], source: string): Finding[] {
  return findings.map((f, i) => {
    const where = `finding ${typeof f?.id === 'string' ? f.id : i + 1}`;
    if (!isObject(f) || !Array.isArray(f.findingDetails)) throw new Error(`${where}: "findingDetails" must be an array`);
    const details: UnusedDetail[] = [];
    for (const d of f.findingDetails) {
      if (!isObject(d)) throw new Error(`${where}: a finding detail must be an object`);
      const u = d.unusedPermissionDetails;
      if (u === undefined) continue; // other union members (unusedIamRoleDetails, …): information only
      if (!isObject(u) || typeof u.serviceNamespace !== 'string') throw new Error(`${where}: "unusedPermissionDetails" must be an object with a "serviceNamespace"`);
      details.push({ serviceNamespace: u.serviceNamespace, actions: actionsOf(u.actions, where), lastAccessed: optionalString(u.lastAccessed, `${where}: "lastAccessed"`) });
    }
    return {
      id: optionalString(f.id, `${where}: "id"`),
      resource: optionalString(f.resource, `${where}: "resource"`),
      findingType: optionalString(f.findingType, `${where}: "findingType"`) ?? 'UnusedPermission',
      status: optionalString(f.status, `${where}: "status"`),
      analyzedAt: optionalString(f.analyzedAt, `${where}: "analyzedAt"`),
      updatedAt: optionalString(f.updatedAt, `${where}: "updatedAt"`),
      details,
      source,
      evidence: 'access-analyzer' as const,
      ...(typeof f.unusedAccessAge === 'number' && f.unusedAccessAge > 0 ? { trackingDays: f.unusedAccessAge } : {}),
    };
  });
}
