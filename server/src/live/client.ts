/**
 * The Access Analyzer client: the AWS SDK for JavaScript v3 with its default credential chain
 * (environment, shared config and credentials files, SSO, process credentials, container/instance
 * roles), its retry middleware and its paginators. What is ours: which errors are worth retrying
 * (errors.ts `isRetryable`), the backoff curve, the endpoint check, and turning a failed call into
 * an AwsCallError that says which operation failed (for the one-sentence messages).
 *
 * Security: credentials are resolved by the SDK and never read, logged, cached or written here.
 * The endpoint override is an explicit option; callers decide where it may come from.
 */
import { AccessAnalyzerClient, AccessAnalyzerClientConfig } from '@aws-sdk/client-accessanalyzer';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { AwsCallError, CancelledError, Operation, isRetryable } from './errors';
import { validateEndpoint } from './names';

export interface RetryOptions {
  /** Attempts per call, the first included (default 6). */
  maxAttempts?: number;
  /** First backoff delay in ms, doubled per attempt with jitter (default 250). */
  baseDelayMs?: number;
  /** Longest backoff delay in ms (default 20 000). A Retry-After hint may add up to 5 s (the SDK's rule). */
  maxDelayMs?: number;
}

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
  /** Retries of throttling, server errors and dropped connections. */
  retry?: RetryOptions;
}

/** The pause before retry `attempt` (1: the first retry): exponential from `baseDelayMs`, half of it jitter, at most `maxDelayMs`. */
export function backoffDelay(attempt: number, r: RetryOptions = {}): number {
  const exp = Math.min(r.maxDelayMs ?? 20_000, (r.baseDelayMs ?? 250) * 2 ** (attempt - 1));
  return Math.floor(exp / 2 + Math.random() * (exp / 2));
}

/**
 * The SDK's standard retry strategy (retry quota, Retry-After hints, the wait raced against the
 * request's AbortSignal) with our backoff curve, retrying only what `isRetryable` says: throttling,
 * 5xx, a dropped connection. A refused connection or an unknown host is not retried: the user
 * learns at once that the network is down.
 */
type Refresh = ConfiguredRetryStrategy['refreshRetryTokenForRetry'];

export class LiveRetryStrategy extends ConfiguredRetryStrategy {
  constructor(r: RetryOptions) {
    super(Math.max(1, r.maxAttempts ?? 6), (attempt) => backoffDelay(attempt, r));
  }

  override async refreshRetryTokenForRetry(...[token, info]: Parameters<Refresh>): ReturnType<Refresh> {
    // refusing the token is how a strategy says "do not retry": the middleware then throws the error
    if (!isRetryable(info.error)) throw info.error;
    return super.refreshRetryTokenForRetry(token, info);
  }
}

/** An Access Analyzer client whose calls retry through the SDK's middleware (see LiveRetryStrategy). */
export function createClient(opts: ConnectionOptions = {}): AccessAnalyzerClient {
  const config: AccessAnalyzerClientConfig = {
    maxAttempts: Math.max(1, opts.retry?.maxAttempts ?? 6),
    retryStrategy: new LiveRetryStrategy(opts.retry ?? {}),
    requestHandler: { connectionTimeout: opts.connectionTimeoutMs ?? 10_000, requestTimeout: opts.requestTimeoutMs ?? 60_000 },
  };
  if (opts.region) config.region = opts.region;
  if (opts.profile) config.profile = opts.profile;
  if (opts.endpoint) config.endpoint = validateEndpoint(opts.endpoint);
  if (opts.credentials) config.credentials = opts.credentials;
  return new AccessAnalyzerClient(config);
}

export interface CallOptions {
  client: AccessAnalyzerClient;
  signal?: AbortSignal;
}

/** How many attempts the SDK made before giving up (its retry middleware records them). */
function attemptsOf(e: unknown): number {
  const n = (e as { $metadata?: { attempts?: number } })?.$metadata?.attempts;
  return typeof n === 'number' && n > 0 ? n : 1;
}

/** A failure of `operation` as the error the live mode reports: CancelledError when the signal aborted, else AwsCallError. */
export function callError(operation: Operation, e: unknown, signal: AbortSignal | undefined): Error {
  if (signal?.aborted || e instanceof CancelledError) return new CancelledError();
  return new AwsCallError(operation, e, attemptsOf(e));
}

/** Sends one command (the SDK retries it); failures become AwsCallError or CancelledError. */
export async function send<T>(opts: CallOptions, operation: Operation, command: object): Promise<T> {
  if (opts.signal?.aborted) throw new CancelledError();
  try {
    return (await opts.client.send(command as never, { abortSignal: opts.signal })) as T;
  } catch (e) {
    throw callError(operation, e, opts.signal);
  }
}

/** Every page of an SDK paginator (each page retried by the SDK); failures become AwsCallError or CancelledError. */
export async function* pages<T>(operation: Operation, signal: AbortSignal | undefined, paginator: AsyncIterable<T>): AsyncGenerator<T> {
  if (signal?.aborted) throw new CancelledError();
  const it = paginator[Symbol.asyncIterator]();
  for (;;) {
    let r: IteratorResult<T>;
    try {
      r = await it.next();
    } catch (e) {
      throw callError(operation, e, signal);
    }
    if (r.done) return;
    yield r.value;
    if (signal?.aborted) throw new CancelledError();
  }
}

/** What a paginator passes to every `send`: the AbortSignal. */
export const sendOptions = (signal: AbortSignal | undefined) => ({ abortSignal: signal });
