/**
 * IAM Access Advisor through the AWS SDK (@aws-sdk/client-iam, the awsQuery protocol):
 * GenerateServiceLastAccessedDetails with ACTION_LEVEL granularity per role, then
 * GetServiceLastAccessedDetails polled until the job is done, every page (Marker) merged. The
 * result is the report as `aws iam get-service-last-accessed-details` prints it (timestamps ISO
 * 8601), plus `Arn` (the role: the CLI's output does not say), a findings file core/sources.ts reads.
 *
 * Credentials are resolved by the SDK and never read, logged, cached or written here.
 */
import {
  GenerateServiceLastAccessedDetailsCommand,
  GetServiceLastAccessedDetailsCommand,
  GetServiceLastAccessedDetailsCommandOutput,
  IAMClient,
  IAMClientConfig,
} from '@aws-sdk/client-iam';
import { ConnectionOptions, LiveRetryStrategy, callError } from './client';
import { CancelledError, Operation } from './errors';
import { validateEndpoint } from './names';

/** An IAM client (IAM is global: signed for us-east-1 unless a region is given) with the live mode's retry rule. */
export function createIamClient(opts: ConnectionOptions = {}): IAMClient {
  const config: IAMClientConfig = {
    region: opts.region ?? 'us-east-1',
    maxAttempts: Math.max(1, opts.retry?.maxAttempts ?? 6),
    retryStrategy: new LiveRetryStrategy(opts.retry ?? {}),
    requestHandler: { connectionTimeout: opts.connectionTimeoutMs ?? 10_000, requestTimeout: opts.requestTimeoutMs ?? 60_000 },
  };
  if (opts.profile) config.profile = opts.profile;
  if (opts.endpoint) config.endpoint = validateEndpoint(opts.endpoint);
  if (opts.credentials) config.credentials = opts.credentials as IAMClientConfig['credentials'];
  return new IAMClient(config);
}

/** The report of one role, as the AWS CLI prints it, with the role's ARN. */
export interface AccessAdvisorReport {
  Arn: string;
  JobStatus: string;
  JobType?: string;
  JobCreationDate?: string;
  JobCompletionDate?: string;
  ServicesLastAccessed: Record<string, unknown>[];
  IsTruncated: false;
}

export interface AdvisorOptions {
  client: IAMClient;
  roles: string[];
  signal?: AbortSignal;
  /** Pause between polls while IAM works (default 2 s). */
  pollIntervalMs?: number;
  /** Give up after this long per role (default 180 s). */
  timeoutMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export class AdvisorJobError extends Error {}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(new CancelledError())), { once: true });
  });

async function send<T>(client: IAMClient, operation: Operation, command: object, signal: AbortSignal | undefined): Promise<T> {
  if (signal?.aborted) throw new CancelledError();
  try {
    return (await client.send(command as never, { abortSignal: signal })) as T;
  } catch (e) {
    throw callError(operation, e, signal);
  }
}

const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : typeof d === 'string' ? d : undefined);

/** SDK output → the CLI's JSON: Dates as ISO strings, undefined fields left out. */
function plain(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined && k !== '$metadata') out[k] = plain(x);
    return out;
  }
  return v;
}

/** One role's report: start the job, poll until it is COMPLETED (FAILED is an error), read every page. */
export async function fetchAdvisorReport(opts: AdvisorOptions, role: string): Promise<AccessAdvisorReport> {
  const { client, signal } = opts;
  const sleep = opts.sleep ?? defaultSleep;
  const started = await send<{ JobId?: string }>(client, 'GenerateServiceLastAccessedDetails', new GenerateServiceLastAccessedDetailsCommand({ Arn: role, Granularity: 'ACTION_LEVEL' }), signal);
  const jobId = started.JobId;
  if (!jobId) throw new AdvisorJobError(`IAM started no Access Advisor job for ${role} (no JobId)`);
  const deadline = Date.now() + (opts.timeoutMs ?? 180_000);
  let page: GetServiceLastAccessedDetailsCommandOutput;
  for (;;) {
    page = await send(client, 'GetServiceLastAccessedDetails', new GetServiceLastAccessedDetailsCommand({ JobId: jobId, MaxItems: 1000 }), signal);
    if (page.JobStatus === 'COMPLETED') break;
    if (page.JobStatus === 'FAILED') throw new AdvisorJobError(`the Access Advisor job for ${role} failed: ${page.Error?.Message ?? page.Error?.Code ?? 'no reason given'}`);
    if (Date.now() > deadline) throw new AdvisorJobError(`the Access Advisor job for ${role} was still ${page.JobStatus ?? 'running'} after ${Math.round((opts.timeoutMs ?? 180_000) / 1000)} s: try again later (job ${jobId})`);
    await sleep(opts.pollIntervalMs ?? 2000, signal);
  }
  const services = [...(page.ServicesLastAccessed ?? [])];
  let marker = page.IsTruncated ? page.Marker : undefined;
  const seen = new Set<string>();
  while (marker) {
    if (seen.has(marker)) throw new AdvisorJobError(`IAM returned the same page marker twice for ${role}'s Access Advisor report`);
    seen.add(marker);
    const next: GetServiceLastAccessedDetailsCommandOutput = await send(client, 'GetServiceLastAccessedDetails', new GetServiceLastAccessedDetailsCommand({ JobId: jobId, MaxItems: 1000, Marker: marker }), signal);
    services.push(...(next.ServicesLastAccessed ?? []));
    marker = next.IsTruncated ? next.Marker : undefined;
  }
  return {
    Arn: role,
    JobStatus: 'COMPLETED',
    JobType: page.JobType,
    JobCreationDate: iso(page.JobCreationDate),
    JobCompletionDate: iso(page.JobCompletionDate),
    ServicesLastAccessed: plain(services) as Record<string, unknown>[],
    IsTruncated: false,
  };
}

/** The reports of several roles, one after the other (IAM runs a job per role). */
export async function fetchAdvisorReports(opts: AdvisorOptions): Promise<AccessAdvisorReport[]> {
  const out: AccessAdvisorReport[] = [];
  for (const r of opts.roles) out.push(await fetchAdvisorReport(opts, r));
  return out;
}

/** The findings file: one report as the CLI prints it, or an array of them. */
export function advisorFileText(reports: AccessAdvisorReport[]): string {
  return JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2) + '\n';
}
