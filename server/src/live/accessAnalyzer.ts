/**
 * The Access Analyzer calls of the live mode: the analyzer to read, the active UnusedPermission
 * findings (every page of the list and of each finding's details, 4 at a time), and AWS's own
 * recommendation. Paging is the SDK's paginators, retrying its retry middleware (client.ts); every
 * call carries the caller's AbortSignal. No editor imports: the CLI and the language server both
 * call this.
 *
 * Security: credentials are resolved by the SDK and never read, logged, cached or written here.
 */
import {
  Criterion,
  GenerateFindingRecommendationCommand,
  GetFindingRecommendationCommandOutput,
  GetFindingV2CommandOutput,
  paginateGetFindingRecommendation,
  paginateGetFindingV2,
  paginateListAnalyzers,
  paginateListFindingsV2,
} from '@aws-sdk/client-accessanalyzer';
import { CallOptions, pages, send, sendOptions } from './client';
import { CancelledError, LiveError, NoAnalyzerError } from './errors';
import type { FindingV2 } from './findingsV2';

export * from './errors';
export * from './client';
export * from './names';
export { FindingV2, findingsFileText, toCoreFindings } from './findingsV2';
export { comparePolicies, PolicyComparison, policyActionStrings } from './compare';

/** A cancellable pause. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError());
    const onAbort = () => {
      clearTimeout(t);
      reject(new CancelledError());
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

// ---------------------------------------------------------------------------------------------
// analyzer

export const UNUSED_ACCESS_TYPES = ['ACCOUNT_UNUSED_ACCESS', 'ORGANIZATION_UNUSED_ACCESS'] as const;

export interface AnalyzerInfo {
  arn: string;
  name?: string;
  /** Undefined when the analyzer was configured rather than discovered. */
  type?: string;
  status?: string;
  /** Days of inactivity after which access counts as unused. */
  unusedAccessAge?: number;
}

/**
 * The analyzer to read: `analyzerArn` when given (not looked up), else the first ACTIVE analyzer
 * of type ACCOUNT_UNUSED_ACCESS, else of ORGANIZATION_UNUSED_ACCESS (ListAnalyzers, every page).
 * Throws NoAnalyzerError when there is none.
 */
export async function findUnusedAccessAnalyzer(opts: CallOptions & { analyzerArn?: string }): Promise<AnalyzerInfo> {
  if (opts.analyzerArn) return { arn: opts.analyzerArn };
  const inactive: { arn: string; status?: string }[] = [];
  for (const type of UNUSED_ACCESS_TYPES) {
    for await (const page of pages('ListAnalyzers', opts.signal, paginateListAnalyzers({ client: opts.client }, { type }, sendOptions(opts.signal)))) {
      for (const a of page.analyzers ?? []) {
        if (!a.arn || a.type !== type) continue;
        if (a.status !== 'ACTIVE') {
          inactive.push({ arn: a.arn, status: a.status });
          continue;
        }
        return { arn: a.arn, name: a.name, type: a.type, status: a.status, unusedAccessAge: a.configuration?.unusedAccess?.unusedAccessAge };
      }
    }
  }
  throw new NoAnalyzerError(inactive);
}

// ---------------------------------------------------------------------------------------------
// findings

export interface FetchProgress {
  phase: 'analyzer' | 'list' | 'details' | 'done';
  /** Findings listed so far. */
  listed: number;
  /** Findings read in full so far. */
  fetched: number;
}

export interface FetchOptions extends CallOptions {
  /** The analyzer; undefined: findUnusedAccessAnalyzer. */
  analyzerArn?: string;
  /** Role (or user) ARNs; undefined or empty: every resource's findings. */
  roles?: string[];
  /** GetFindingV2 calls in flight at once (default 4). */
  concurrency?: number;
  /** maxResults per page (default: the service's). */
  pageSize?: number;
  onProgress?: (p: FetchProgress) => void;
}

export interface FetchResult {
  analyzer: AnalyzerInfo;
  /** Sorted by resource, then id. */
  findings: FindingV2[];
  /** Requested roles with no active UnusedPermission finding: nothing unused (or not analysed yet). */
  rolesWithoutFindings: string[];
}

/** Dates to RFC 3339 strings, SDK metadata dropped, unknown union members restored: plain JSON. */
export function toPlain(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(toPlain);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (k === '$metadata' || k === 'nextToken' || x === undefined) continue;
      if (k === '$unknown' && Array.isArray(x) && x.length === 2 && typeof x[0] === 'string') out[x[0]] = toPlain(x[1]);
      else out[k] = toPlain(x);
    }
    return out;
  }
  return v;
}

const MAX_EQ_VALUES = 20;

/** The ListFindingsV2 filter: active UnusedPermission findings, of the given resources when any. */
export function findingsFilter(resources?: string[]): Record<string, Criterion> {
  const filter: Record<string, Criterion> = { findingType: { eq: ['UnusedPermission'] }, status: { eq: ['ACTIVE'] } };
  if (resources && resources.length) filter.resource = { eq: resources };
  return filter;
}

/** Runs `work` over `items`, at most `limit` at once; the first failure aborts the rest (through `abort`) and is thrown. */
async function pool<T>(items: T[], limit: number, control: AbortController, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      if (control.signal.aborted) throw new CancelledError();
      const item = items[next++];
      try {
        await work(item);
      } catch (e) {
        if (!failed) {
          failed = true;
          control.abort();
        }
        throw e;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  // the failure that caused the others' cancellation is the one to report
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
  if (failures.length) throw failures.find((e) => !(e instanceof CancelledError)) ?? failures[0];
}

/** One finding with every findingDetails page. */
export async function getFinding(opts: CallOptions & { analyzerArn: string; id: string; pageSize?: number }): Promise<FindingV2> {
  let first: GetFindingV2CommandOutput | undefined;
  const details: unknown[] = [];
  const paginator = paginateGetFindingV2({ client: opts.client, pageSize: opts.pageSize }, { analyzerArn: opts.analyzerArn, id: opts.id }, sendOptions(opts.signal));
  for await (const page of pages('GetFindingV2', opts.signal, paginator)) {
    first ??= page;
    details.push(...(page.findingDetails ?? []));
  }
  const plain = toPlain({ ...first, findingDetails: details }) as FindingV2;
  // the order `aws accessanalyzer get-finding-v2` prints, details last
  const { id, resource, resourceType, resourceOwnerAccount, findingType, status, analyzedAt, createdAt, updatedAt, error, findingDetails, ...rest } = plain;
  return toPlain({ id: id ?? opts.id, resource, resourceType, resourceOwnerAccount, findingType, status, analyzedAt, createdAt, updatedAt, error, ...rest, findingDetails: findingDetails ?? [] }) as FindingV2;
}

/**
 * The active UnusedPermission findings of an analyzer (of `roles` when given): ListFindingsV2,
 * every page, then GetFindingV2 for each with every findingDetails page, `concurrency` at a time.
 * Throttling and server errors are retried (the client's retry strategy); `signal` cancels (CancelledError).
 */
export async function fetchFindings(opts: FetchOptions): Promise<FetchResult> {
  const inner = new AbortController();
  const relay = () => inner.abort();
  if (opts.signal?.aborted) throw new CancelledError();
  opts.signal?.addEventListener('abort', relay, { once: true });
  const callOpts: CallOptions = { client: opts.client, signal: inner.signal };
  const progress = { listed: 0, fetched: 0 };
  const report = (phase: FetchProgress['phase']) => opts.onProgress?.({ phase, ...progress });
  try {
    report('analyzer');
    const analyzer = await findUnusedAccessAnalyzer({ ...callOpts, analyzerArn: opts.analyzerArn });
    const roles = [...new Set((opts.roles ?? []).map((r) => r.trim()).filter(Boolean))];
    const chunks: (string[] | undefined)[] = [];
    if (roles.length === 0) chunks.push(undefined);
    for (let i = 0; i < roles.length; i += MAX_EQ_VALUES) chunks.push(roles.slice(i, i + MAX_EQ_VALUES));
    const ids = new Map<string, string | undefined>();
    report('list');
    for (const chunk of chunks) {
      const paginator = paginateListFindingsV2({ client: opts.client, pageSize: opts.pageSize }, { analyzerArn: analyzer.arn, filter: findingsFilter(chunk) }, sendOptions(inner.signal));
      for await (const page of pages('ListFindingsV2', inner.signal, paginator)) {
        for (const s of page.findings ?? []) {
          if (!s.id || ids.has(s.id)) continue;
          // the filter is the service's job; this guards against a service that ignores it
          if (s.findingType && s.findingType !== 'UnusedPermission') continue;
          if (s.status && s.status !== 'ACTIVE') continue;
          ids.set(s.id, s.resource);
        }
        progress.listed = ids.size;
        report('list');
      }
    }
    const findings: FindingV2[] = [];
    report('details');
    await pool([...ids.keys()], opts.concurrency ?? 4, inner, async (id) => {
      findings.push(await getFinding({ ...callOpts, analyzerArn: analyzer.arn, id, pageSize: opts.pageSize }));
      progress.fetched++;
      report('details');
    });
    findings.sort((a, b) => ((a.resource ?? '') < (b.resource ?? '') ? -1 : (a.resource ?? '') > (b.resource ?? '') ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const found = new Set(findings.map((f) => f.resource));
    report('done');
    return { analyzer, findings, rolesWithoutFindings: roles.filter((r) => !found.has(r)) };
  } catch (e) {
    if (opts.signal?.aborted) throw new CancelledError();
    throw e;
  } finally {
    opts.signal?.removeEventListener('abort', relay);
    inner.abort();
  }
}

// ---------------------------------------------------------------------------------------------
// AWS's recommendation

export const RECOMMENDATION_TYPE = 'UnusedPermissionRecommendation';

/** AWS's model says `UnusedPermissionRecommendation`, its CLI examples `UNUSED_PERMISSION_RECOMMENDATION`: both mean the same. */
export function normalizeRecommendationType(t: string | undefined): string | undefined {
  if (!t) return undefined;
  return t.replace(/[_\s-]/g, '').toLowerCase() === 'unusedpermissionrecommendation' ? RECOMMENDATION_TYPE : t;
}

export interface RecommendedStep {
  /** CREATE_POLICY (replace the policy with `recommendedPolicy`) or DETACH_POLICY. */
  action: string;
  /** The recommended policy, a JSON string (CREATE_POLICY). */
  recommendedPolicy?: string;
  /** The policy the step is about: a managed policy ARN, or an inline policy name. */
  existingPolicyId?: string;
  policyUpdatedAt?: string;
}

export interface Recommendation {
  findingId: string;
  analyzerArn: string;
  resourceArn?: string;
  recommendationType: string;
  status: 'SUCCEEDED';
  startedAt?: string;
  completedAt?: string;
  /** Every page of recommendedSteps. */
  steps: RecommendedStep[];
}

export interface RecommendationOptions extends CallOptions {
  analyzerArn: string;
  findingId: string;
  /** Pause between GetFindingRecommendation polls while IN_PROGRESS (default 2000 ms). */
  pollIntervalMs?: number;
  /** Give up after this long (default 180 000 ms). */
  timeoutMs?: number;
  pageSize?: number;
  /** Called with each polled status. */
  onPoll?: (status: string) => void;
  /** Clock, for tests. */
  now?: () => number;
  /** The pause between polls (tests make it instant); cancellable through the signal. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * AWS's own recommendation for a finding: GenerateFindingRecommendation, then GetFindingRecommendation
 * every `pollIntervalMs` until SUCCEEDED (every page of steps) or FAILED (LiveError 'recommendation-failed').
 */
export async function requestRecommendation(opts: RecommendationOptions): Promise<Recommendation> {
  const { analyzerArn, findingId, signal } = opts;
  const now = opts.now ?? Date.now;
  const wait = opts.sleep ?? sleep;
  await send(opts, 'GenerateFindingRecommendation', new GenerateFindingRecommendationCommand({ analyzerArn, id: findingId }));
  const deadline = now() + (opts.timeoutMs ?? 180_000);
  for (;;) {
    // each poll is the first page; once SUCCEEDED, the same paginator goes on through the steps
    const paginator = paginateGetFindingRecommendation({ client: opts.client, pageSize: opts.pageSize }, { analyzerArn, id: findingId }, sendOptions(signal));
    const all = pages<GetFindingRecommendationCommandOutput>('GetFindingRecommendation', signal, paginator);
    const next = await all.next();
    if (next.done) throw new LiveError('unexpected-response', `no answer to GetFindingRecommendation for finding ${findingId}`);
    const first = next.value;
    opts.onPoll?.(first.status ?? 'unknown');
    if (first.status === 'IN_PROGRESS') {
      await all.return(undefined);
      if (now() >= deadline) {
        throw new LiveError('recommendation-timeout', `AWS's recommendation for finding ${findingId} was still in progress after ${Math.round((opts.timeoutMs ?? 180_000) / 1000)} s: try again later`);
      }
      await wait(opts.pollIntervalMs ?? 2000, signal);
      continue;
    }
    if (first.status === 'FAILED') {
      const why = first.error ? `${first.error.code}: ${first.error.message}` : 'no reason given';
      throw new LiveError('recommendation-failed', `AWS could not produce a recommendation for finding ${findingId} (${why})`);
    }
    if (first.status !== 'SUCCEEDED') throw new LiveError('unexpected-response', `unexpected recommendation status "${first.status}" for finding ${findingId}`);
    const type = normalizeRecommendationType(first.recommendationType);
    if (type !== undefined && type !== RECOMMENDATION_TYPE) throw new LiveError('unexpected-response', `unexpected recommendation type "${first.recommendationType}" for finding ${findingId}`);
    const steps: RecommendedStep[] = [];
    const collect = (page: GetFindingRecommendationCommandOutput) => {
      for (const s of page.recommendedSteps ?? []) {
        const u = s.unusedPermissionsRecommendedStep;
        if (!u) continue;
        steps.push(toPlain({ action: u.recommendedAction, recommendedPolicy: u.recommendedPolicy, existingPolicyId: u.existingPolicyId, policyUpdatedAt: u.policyUpdatedAt }) as RecommendedStep);
      }
    };
    collect(first);
    for await (const page of all) collect(page);
    return {
      findingId,
      analyzerArn,
      resourceArn: first.resourceArn,
      recommendationType: RECOMMENDATION_TYPE,
      status: 'SUCCEEDED',
      startedAt: toPlain(first.startedAt) as string | undefined,
      completedAt: toPlain(first.completedAt) as string | undefined,
      steps,
    };
  }
}
