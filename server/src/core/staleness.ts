/**
 * Whether the action catalog is older than the evidence. A wildcard refined over a catalog that
 * lacks an action AWS added since no longer allows it, and the role may use it (a used action is in
 * no finding). Two signs, both from the findings, never from the clock:
 * - the findings are newer than the catalog's data by more than STALE_AFTER_DAYS;
 * - the findings name actions (or services) the catalog lacks: proof it is stale.
 * Pure: the catalog and the findings are handed in.
 */
import { Catalog } from './catalog';
import { Finding, findingActionNames } from './findings';
import { isWildcard } from './pattern';
import type { Problem } from './analyze';

export const STALE_AFTER_DAYS = 7;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Names listed in a message before "and N more". */
const LISTED = 3;

export interface CatalogStaleness {
  /** The catalog's data date (YYYY-MM-DD). */
  catalogDate: string;
  /** The newest date the findings carry, when it is more than STALE_AFTER_DAYS after the catalog's. */
  findingsDate?: string;
  daysNewer?: number;
  /** Actions (`svc:Action`) and services (`svc:*`) the findings name that the catalog lacks, sorted. */
  missing: string[];
  /** One sentence: why the catalog is stale and what to do. */
  message: string;
  /** A few words for a quick fix title. */
  short: string;
}

export const UPDATE_HINT = 'update it (IAM Refiner: Update Action Catalog, or iam-refine catalog update)';

/** The newest date the findings themselves carry (analyzedAt), never a file's modification time. */
export function newestFindingDate(findings: Finding[]): string | undefined {
  let best: string | undefined;
  let bestMs = -Infinity;
  for (const f of findings) {
    const ms = f.analyzedAt ? Date.parse(f.analyzedAt) : NaN;
    if (!Number.isNaN(ms) && ms > bestMs) {
      bestMs = ms;
      best = f.analyzedAt;
    }
  }
  return best;
}

const memo = new WeakMap<Finding[], { catalog: Catalog; result: CatalogStaleness | undefined }>();

/** Whether the findings show the catalog to be stale (undefined: nothing says so). Memoized per findings array and catalog. */
export function catalogStaleness(catalog: Catalog, findings: Finding[]): CatalogStaleness | undefined {
  const m = memo.get(findings);
  if (m && m.catalog === catalog) return m.result;
  const result = compute(catalog, findings);
  memo.set(findings, { catalog, result });
  return result;
}

function compute(catalog: Catalog, findings: Finding[]): CatalogStaleness | undefined {
  const catalogMs = Date.parse(catalog.updatedAt);
  const catalogDate = catalog.updatedAt.slice(0, 10);
  const newest = newestFindingDate(findings);
  let findingsDate: string | undefined;
  let daysNewer: number | undefined;
  if (newest && !Number.isNaN(catalogMs)) {
    const d = (Date.parse(newest) - catalogMs) / DAY_MS;
    if (d > STALE_AFTER_DAYS) {
      findingsDate = newest.slice(0, 10);
      daysNewer = Math.floor(d);
    }
  }
  const missing = new Set<string>();
  for (const name of findingActionNames(findings)) {
    // (a name the catalog lacks has no canonical spelling of it: as the findings write it; asking `canonical` made a 22,000-entry map for nothing)
    if (!name.includes('*') && !name.includes('?') && !catalog.has(name)) missing.add(name);
  }
  for (const f of findings) for (const d of f.details) if (d.serviceNamespace && !catalog.services.has(d.serviceNamespace.toLowerCase())) missing.add(`${d.serviceNamespace.toLowerCase()}:*`);
  if (daysNewer === undefined && missing.size === 0) return undefined;
  const names = [...missing].sort();
  const parts: string[] = [];
  if (daysNewer !== undefined) parts.push(`the findings of ${findingsDate} are ${daysNewer} days newer`);
  if (names.length) parts.push(`they name ${names.length === 1 ? 'an action' : `${names.length} actions`} it lacks (${names.slice(0, LISTED).join(', ')}${names.length > LISTED ? `, … and ${names.length - LISTED} more` : ''})`);
  const message = `the action catalog may be stale (${catalog.source}, data of ${catalogDate}): ${parts.join('; ')}. An action AWS added since is unknown to it and a refined wildcard would not allow it: ${UPDATE_HINT}`;
  return { catalogDate, findingsDate, daysNewer, missing: names, message, short: `catalog of ${catalogDate} may be stale` };
}

/** Whether a problem is about a wildcard the refinement rewrites (or removes): what a stale catalog makes unsafe. */
export function isWildcardRefinement(p: Problem): boolean {
  return refinesWildcard(p.code, p.pattern);
}

/** The same for a problem's code and pattern (analyze.ts marks the problems it keeps per entry with it). */
export function refinesWildcard(code: Problem['code'], pattern: string | undefined): boolean {
  return code === 'unused-wildcard' || (code === 'unused-action' && !!pattern && isWildcard(pattern));
}

/** The problems with every wildcard refinement saying that the catalog may be stale (new objects; the others as they are). */
export function markStale(problems: Problem[], staleness: CatalogStaleness | undefined): Problem[] {
  if (!staleness) return problems;
  return problems.map((p) => (isWildcardRefinement(p) ? { ...p, message: staleMessage(staleness, p.message), catalogStale: staleness.short } : p));
}

/** A wildcard refinement's message saying that the catalog may be stale: the same string for the same message (kept per staleness). */
export function staleMessage(staleness: CatalogStaleness, message: string): string {
  let m = markedMessages.get(staleness);
  if (!m) markedMessages.set(staleness, (m = new Map()));
  let out = m.get(message);
  if (out === undefined) {
    if (m.size >= 50_000) m.clear();
    m.set(message, (out = `${message} — ${staleness.message}`));
  }
  return out;
}

/** Per staleness, each message with the note appended: the same string every keystroke (built and flattened once). */
const markedMessages = new WeakMap<CatalogStaleness, Map<string, string>>();
