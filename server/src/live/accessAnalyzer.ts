/**
 * Live findings from IAM Access Analyzer, through the AWS SDK for JavaScript v3 and its default
 * credential chain (environment, shared config and credentials files, SSO, process credentials,
 * container/instance roles). No editor imports: the CLI and the language server both call this.
 *
 * Security: credentials are resolved by the SDK and never read, logged, cached or written here.
 * The endpoint override is an explicit option; callers decide where it may come from.
 */
import {
  AccessAnalyzerClient,
  AccessAnalyzerClientConfig,
  GenerateFindingRecommendationCommand,
  GetFindingRecommendationCommand,
  GetFindingRecommendationCommandOutput,
  GetFindingV2Command,
  GetFindingV2CommandOutput,
  ListAnalyzersCommand,
  ListAnalyzersCommandOutput,
  ListFindingsV2Command,
  ListFindingsV2CommandOutput,
  Criterion,
} from '@aws-sdk/client-accessanalyzer';
import { AwsCallError, CancelledError, LiveError, NoAnalyzerError, Operation, isRetryable } from './errors';

export * from './errors';
export { comparePolicies, PolicyComparison, policyActionStrings } from './compare';

// ---------------------------------------------------------------------------------------------
// client

export interface ConnectionOptions {
  /** AWS region; undefined: AWS_REGION or the profile's region. */
  region?: string;
  /** Named profile of the shared config/credentials files; undefined: AWS_PROFILE or "default". */
  profile?: string;
  /** Endpoint override (https, or http on a loopback address only). Only from a CLI flag or a machine-scoped setting. */
  endpoint?: string;
  /** Explicit credentials (tests, or a host that resolves them itself); undefined: the SDK's default chain. */
  credentials?: AccessAnalyzerClientConfig['credentials'];
  /** Milliseconds to wait for a connection (default 10 000). */
  connectionTimeoutMs?: number;
  /** Milliseconds to wait for a response (default 60 000). */
  requestTimeoutMs?: number;
}

const ANALYZER_ARN = /^arn:aws[a-z-]*:access-analyzer:([a-z0-9-]+):(\d{12}):analyzer\/[^/\s]+$/;
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/\S+$/;

/** Whether a string is an analyzer ARN (`arn:aws:access-analyzer:REGION:ACCOUNT:analyzer/NAME`). */
export const isAnalyzerArn = (s: string): boolean => ANALYZER_ARN.test(s);
/** Whether a string is an IAM role or user ARN, what unused-access findings are about. */
export const isPrincipalArn = (s: string): boolean => PRINCIPAL_ARN.test(s);
/** The region in an analyzer ARN: where the analyzer, and so its findings, live. */
export const regionOfAnalyzerArn = (arn: string): string | undefined => ANALYZER_ARN.exec(arn)?.[1];

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** Checks an endpoint override: an absolute https URL, or http on a loopback address (a local test server). */
export function validateEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new LiveError('invalid-endpoint', `the endpoint "${endpoint}" is not a URL (expected e.g. https://access-analyzer.us-east-1.amazonaws.com)`);
  }
  if (url.username || url.password) throw new LiveError('invalid-endpoint', 'the endpoint must not contain a user name or password');
  if (url.protocol === 'https:') return endpoint;
  if (url.protocol === 'http:' && LOOPBACK.test(url.hostname)) return endpoint;
  throw new LiveError('invalid-endpoint', `the endpoint "${url.origin}" must use https (plain http is accepted only for localhost)`);
}

/**
 * An Access Analyzer client. The SDK's own retries are off (`maxAttempts: 1`): the calls here
 * retry throttling and server errors themselves, with backoff that can be cancelled.
 */
export function createClient(opts: ConnectionOptions = {}): AccessAnalyzerClient {
  const config: AccessAnalyzerClientConfig = {
    maxAttempts: 1,
    requestHandler: { connectionTimeout: opts.connectionTimeoutMs ?? 10_000, requestTimeout: opts.requestTimeoutMs ?? 60_000 },
  };
  if (opts.region) config.region = opts.region;
  if (opts.profile) config.profile = opts.profile;
  if (opts.endpoint) config.endpoint = validateEndpoint(opts.endpoint);
  if (opts.credentials) config.credentials = opts.credentials;
  return new AccessAnalyzerClient(config);
}

// ---------------------------------------------------------------------------------------------
// calls: retry with backoff, cancellation

export interface RetryOptions {
  /** Attempts per call, the first included (default 6). */
  maxAttempts?: number;
  /** First backoff delay in ms, doubled per attempt with jitter (default 250). */
  baseDelayMs?: number;
  /** Longest single delay in ms (default 20 000). */
  maxDelayMs?: number;
  /** Waits `ms` or rejects when the signal aborts (tests make it instant). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface CallOptions {
  client: AccessAnalyzerClient;
  signal?: AbortSignal;
  retry?: RetryOptions;
}

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

function backoff(attempt: number, err: unknown, r: RetryOptions): number {
  const base = r.baseDelayMs ?? 250;
  const max = r.maxDelayMs ?? 20_000;
  const exp = Math.min(max, base * 2 ** (attempt - 1));
  const jittered = exp / 2 + Math.random() * (exp / 2);
  const after = (err as { retryAfterSeconds?: number })?.retryAfterSeconds;
  return Math.min(max, Math.max(jittered, typeof after === 'number' && after > 0 ? after * 1000 : 0));
}

// commands are built per attempt; their types differ per operation
type Sendable = object;

/** Sends one command (built afresh per attempt), retrying what is retryable; failures become AwsCallError. */
async function call<T>(opts: CallOptions, operation: Operation, make: () => Sendable): Promise<T> {
  const r = opts.retry ?? {};
  const attempts = Math.max(1, r.maxAttempts ?? 6);
  const wait = r.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    if (opts.signal?.aborted) throw new CancelledError();
    try {
      return (await opts.client.send(make() as never, { abortSignal: opts.signal })) as T;
    } catch (e) {
      if (opts.signal?.aborted) throw new CancelledError();
      if (attempt < attempts && isRetryable(e)) {
        await wait(backoff(attempt, e, r), opts.signal);
        continue;
      }
      throw new AwsCallError(operation, e, attempt);
    }
  }
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
    let nextToken: string | undefined;
    do {
      const page = await call<ListAnalyzersCommandOutput>(opts, 'ListAnalyzers', () => new ListAnalyzersCommand({ type, nextToken }));
      for (const a of page.analyzers ?? []) {
        if (!a.arn || a.type !== type) continue;
        if (a.status !== 'ACTIVE') {
          inactive.push({ arn: a.arn, status: a.status });
          continue;
        }
        return { arn: a.arn, name: a.name, type: a.type, status: a.status, unusedAccessAge: a.configuration?.unusedAccess?.unusedAccessAge };
      }
      nextToken = page.nextToken || undefined;
    } while (nextToken);
  }
  throw new NoAnalyzerError(inactive);
}

// ---------------------------------------------------------------------------------------------
// findings

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
  /** Union members as AWS sends them, e.g. `{"unusedPermissionDetails": {serviceNamespace, actions?, lastAccessed?}}`. */
  findingDetails: Record<string, unknown>[];
}

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

/** The findings file `iam-refine refine --findings` reads: `{"findings": [get-finding-v2 responses]}`. */
export function findingsFileText(findings: FindingV2[]): string {
  return JSON.stringify({ findings }, null, 2) + '\n';
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
  let nextToken: string | undefined;
  let first: GetFindingV2CommandOutput | undefined;
  const details: unknown[] = [];
  do {
    const page = await call<GetFindingV2CommandOutput>(opts, 'GetFindingV2', () => new GetFindingV2Command({ analyzerArn: opts.analyzerArn, id: opts.id, maxResults: opts.pageSize, nextToken }));
    first ??= page;
    details.push(...(page.findingDetails ?? []));
    nextToken = page.nextToken || undefined;
  } while (nextToken);
  const plain = toPlain({ ...first, findingDetails: details }) as FindingV2;
  // the order `aws accessanalyzer get-finding-v2` prints, details last
  const { id, resource, resourceType, resourceOwnerAccount, findingType, status, analyzedAt, createdAt, updatedAt, error, findingDetails, ...rest } = plain;
  return toPlain({ id: id ?? opts.id, resource, resourceType, resourceOwnerAccount, findingType, status, analyzedAt, createdAt, updatedAt, error, ...rest, findingDetails: findingDetails ?? [] }) as FindingV2;
}

/**
 * The active UnusedPermission findings of an analyzer (of `roles` when given): ListFindingsV2,
 * every page, then GetFindingV2 for each with every findingDetails page, `concurrency` at a time.
 * Throttling and server errors are retried with backoff; `signal` cancels (CancelledError).
 */
export async function fetchFindings(opts: FetchOptions): Promise<FetchResult> {
  const inner = new AbortController();
  const relay = () => inner.abort();
  if (opts.signal?.aborted) throw new CancelledError();
  opts.signal?.addEventListener('abort', relay, { once: true });
  const callOpts: CallOptions = { client: opts.client, retry: opts.retry, signal: inner.signal };
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
      let nextToken: string | undefined;
      do {
        const page = await call<ListFindingsV2CommandOutput>(callOpts, 'ListFindingsV2', () =>
          new ListFindingsV2Command({ analyzerArn: analyzer.arn, filter: findingsFilter(chunk), maxResults: opts.pageSize, nextToken }),
        );
        for (const s of page.findings ?? []) {
          if (!s.id || ids.has(s.id)) continue;
          // the filter is the service's job; this guards against a service that ignores it
          if (s.findingType && s.findingType !== 'UnusedPermission') continue;
          if (s.status && s.status !== 'ACTIVE') continue;
          ids.set(s.id, s.resource);
        }
        progress.listed = ids.size;
        report('list');
        nextToken = page.nextToken || undefined;
      } while (nextToken);
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
}

/**
 * AWS's own recommendation for a finding: GenerateFindingRecommendation, then GetFindingRecommendation
 * every `pollIntervalMs` until SUCCEEDED (every page of steps) or FAILED (LiveError 'recommendation-failed').
 */
export async function requestRecommendation(opts: RecommendationOptions): Promise<Recommendation> {
  const { analyzerArn, findingId } = opts;
  const now = opts.now ?? Date.now;
  const wait = opts.retry?.sleep ?? sleep;
  await call(opts, 'GenerateFindingRecommendation', () => new GenerateFindingRecommendationCommand({ analyzerArn, id: findingId }));
  const deadline = now() + (opts.timeoutMs ?? 180_000);
  let page: GetFindingRecommendationCommandOutput;
  for (;;) {
    page = await call<GetFindingRecommendationCommandOutput>(opts, 'GetFindingRecommendation', () =>
      new GetFindingRecommendationCommand({ analyzerArn, id: findingId, maxResults: opts.pageSize }),
    );
    opts.onPoll?.(page.status ?? 'unknown');
    if (page.status !== 'IN_PROGRESS') break;
    if (now() >= deadline) {
      throw new LiveError('recommendation-timeout', `AWS's recommendation for finding ${findingId} was still in progress after ${Math.round((opts.timeoutMs ?? 180_000) / 1000)} s: try again later`);
    }
    await wait(opts.pollIntervalMs ?? 2000, opts.signal);
  }
  if (page.status === 'FAILED') {
    const why = page.error ? `${page.error.code}: ${page.error.message}` : 'no reason given';
    throw new LiveError('recommendation-failed', `AWS could not produce a recommendation for finding ${findingId} (${why})`);
  }
  if (page.status !== 'SUCCEEDED') throw new LiveError('unexpected-response', `unexpected recommendation status "${page.status}" for finding ${findingId}`);
  const type = normalizeRecommendationType(page.recommendationType);
  if (type !== undefined && type !== RECOMMENDATION_TYPE) throw new LiveError('unexpected-response', `unexpected recommendation type "${page.recommendationType}" for finding ${findingId}`);
  const first = page;
  const steps: RecommendedStep[] = [];
  for (;;) {
    for (const s of page.recommendedSteps ?? []) {
      const u = s.unusedPermissionsRecommendedStep;
      if (!u) continue;
      steps.push(toPlain({ action: u.recommendedAction, recommendedPolicy: u.recommendedPolicy, existingPolicyId: u.existingPolicyId, policyUpdatedAt: u.policyUpdatedAt }) as RecommendedStep);
    }
    const nextToken = page.nextToken || undefined;
    if (!nextToken) break;
    page = await call<GetFindingRecommendationCommandOutput>(opts, 'GetFindingRecommendation', () =>
      new GetFindingRecommendationCommand({ analyzerArn, id: findingId, maxResults: opts.pageSize, nextToken }),
    );
  }
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
