/**
 * Errors of the live mode, and the one sentence a user reads for each. No stack traces, no SDK
 * internals, never a credential: the messages are built from the error's type and a few fields.
 */

/** The Access Analyzer operations the live mode calls. */
export type Operation = 'ListAnalyzers' | 'ListFindingsV2' | 'GetFindingV2' | 'GenerateFindingRecommendation' | 'GetFindingRecommendation' | 'GenerateServiceLastAccessedDetails' | 'GetServiceLastAccessedDetails';

/**
 * The IAM action each operation is authorised by. ListFindingsV2 and GetFindingV2 have no IAM
 * action of their own: AWS checks `access-analyzer:ListFindings` and `access-analyzer:GetFinding`.
 */
export const REQUIRED_PERMISSION: Record<Operation, string> = {
  ListAnalyzers: 'access-analyzer:ListAnalyzers',
  ListFindingsV2: 'access-analyzer:ListFindings',
  GetFindingV2: 'access-analyzer:GetFinding',
  GenerateFindingRecommendation: 'access-analyzer:GenerateFindingRecommendation',
  GetFindingRecommendation: 'access-analyzer:GetFindingRecommendation',
  GenerateServiceLastAccessedDetails: 'iam:GenerateServiceLastAccessedDetails',
  GetServiceLastAccessedDetails: 'iam:GetServiceLastAccessedDetails',
};

export const CREATE_ANALYZER_COMMAND = 'aws accessanalyzer create-analyzer --analyzer-name unused-access --type ACCOUNT_UNUSED_ACCESS';

export type LiveErrorCode = 'no-analyzer' | 'recommendation-failed' | 'recommendation-timeout' | 'unexpected-response' | 'invalid-endpoint' | 'invalid-input';

/** An error the live mode raises itself; its message is already the sentence to show. */
export class LiveError extends Error {
  constructor(
    readonly code: LiveErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LiveError';
  }
}

/** No usable unused-access analyzer; `found` lists the unused-access analyzers that are not ACTIVE. */
export class NoAnalyzerError extends LiveError {
  constructor(readonly found: { arn: string; status?: string }[] = []) {
    super('no-analyzer', 'no ACTIVE unused-access analyzer');
  }
}

/** A failed call to AWS: which operation, after how many attempts, and the SDK's error as `cause`. */
export class AwsCallError extends Error {
  constructor(
    readonly operation: Operation,
    readonly cause: unknown,
    readonly attempts: number,
  ) {
    super(`${operation} failed: ${describe(cause)}`);
    this.name = 'AwsCallError';
  }
}

/** The operation was cancelled through its AbortSignal. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'AbortError';
  }
}

export type ErrorKind =
  | 'cancelled'
  | 'no-credentials'
  | 'profile-not-found'
  | 'sso-expired'
  | 'token-expired'
  | 'bad-credentials'
  | 'bad-signature'
  | 'access-denied'
  | 'no-region'
  | 'no-analyzer'
  | 'analyzer-not-found'
  | 'finding-not-found'
  | 'network'
  | 'throttled'
  | 'service'
  | 'rejected'
  | 'recommendation-failed'
  | 'recommendation-timeout'
  | 'invalid-input'
  | 'other';

export interface ErrorContext {
  /** The profile in use (flag or setting); undefined: AWS_PROFILE or "default". */
  profile?: string;
  region?: string;
  endpoint?: string;
  analyzerArn?: string;
  /** Where the user changes things: command-line flags or editor settings. */
  surface?: 'cli' | 'editor';
  /** For the profile fallback; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

interface Facts {
  name: string;
  message: string;
  code?: string;
  status?: number;
  operation?: Operation;
  attempts?: number;
  cause: unknown;
}

function describe(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${firstLine(e.message)}`;
  return firstLine(String(e));
}

function firstLine(s: string): string {
  const line = (s ?? '').split('\n').find((l) => l.trim()) ?? '';
  const clean = line.replace(/(Credential|Signature|X-Amz-Security-Token)=[^,&\s]+/gi, '$1=…').trim();
  return clean.length > 300 ? clean.slice(0, 297) + '…' : clean;
}

function facts(err: unknown): Facts {
  let operation: Operation | undefined;
  let attempts: number | undefined;
  let e: unknown = err;
  if (e instanceof AwsCallError) {
    operation = e.operation;
    attempts = e.attempts;
    e = e.cause;
  }
  const o = (e && typeof e === 'object' ? e : {}) as Record<string, unknown>;
  const meta = o.$metadata as { httpStatusCode?: number } | undefined;
  const resp = o.$response as { statusCode?: number } | undefined;
  return {
    name: typeof o.name === 'string' ? o.name : e instanceof Error ? e.name : 'Error',
    message: typeof o.message === 'string' ? o.message : String(e),
    code: typeof o.code === 'string' ? o.code : typeof o.errno === 'string' ? o.errno : undefined,
    status: meta?.httpStatusCode ?? resp?.statusCode,
    operation,
    attempts,
    cause: e,
  };
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED', 'ERR_SOCKET_CONNECTION_TIMEOUT', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN']);
const THROTTLE_NAMES = new Set(['ThrottlingException', 'TooManyRequestsException', 'Throttling', 'RequestLimitExceeded', 'SlowDown']);
const EXPIRED_NAMES = new Set(['ExpiredTokenException', 'ExpiredToken', 'RequestExpired']);
const BAD_CREDENTIAL_NAMES = new Set(['UnrecognizedClientException', 'InvalidClientTokenId', 'InvalidAccessKeyId', 'MissingAuthenticationTokenException', 'IncompleteSignatureException']);
const SIGNATURE_NAMES = new Set(['InvalidSignatureException', 'SignatureDoesNotMatch', 'RequestTimeTooSkewed', 'RequestInTheFuture']);

function isCredentialProviderError(f: Facts): boolean {
  return f.name === 'CredentialsProviderError' || f.name === 'TokenProviderError' || f.name === 'ProviderError';
}

/** A network-level failure (no HTTP response at all). */
function networkCode(f: Facts): string | undefined {
  let e: unknown = f.cause;
  for (let depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const o = e as Record<string, unknown>;
    if (typeof o.code === 'string' && NETWORK_CODES.has(o.code)) return o.code;
    if (Array.isArray(o.errors)) {
      const inner = (o.errors as Record<string, unknown>[]).find((x) => typeof x?.code === 'string' && NETWORK_CODES.has(x.code as string));
      if (inner) return inner.code as string;
    }
    e = o.cause;
  }
  if (f.name === 'TimeoutError' || /socket hang up|timed? ?out/i.test(f.message)) return 'timeout';
  if (f.name === 'RequestTimeout' || f.name === 'NetworkingError') return 'network error';
  return undefined;
}

/** What went wrong, as a category a caller can act on (for example offer to run `aws sso login`). */
export function classifyError(err: unknown): ErrorKind {
  if (err instanceof CancelledError) return 'cancelled';
  if (err instanceof NoAnalyzerError) return 'no-analyzer';
  if (err instanceof LiveError) {
    if (err.code === 'recommendation-failed') return 'recommendation-failed';
    if (err.code === 'recommendation-timeout') return 'recommendation-timeout';
    if (err.code === 'no-analyzer') return 'no-analyzer';
    return err.code === 'invalid-endpoint' || err.code === 'invalid-input' ? 'invalid-input' : 'other';
  }
  const f = facts(err);
  if (f.name === 'AbortError') return 'cancelled';
  if (isCredentialProviderError(f)) {
    if (/sso|aws login|re-authenticate/i.test(f.message) && /expired|invalid|not found|refresh|re-authenticate/i.test(f.message)) return 'sso-expired';
    if (/Profile .* (was not found|could not be found)|Could not resolve credentials using profile/i.test(f.message)) return 'profile-not-found';
    return 'no-credentials';
  }
  if (/region is missing|Region is missing|Invalid region/i.test(f.message) && f.status === undefined) return 'no-region';
  if (EXPIRED_NAMES.has(f.name) || /security token included in the request is expired/i.test(f.message)) return 'token-expired';
  if (BAD_CREDENTIAL_NAMES.has(f.name)) return 'bad-credentials';
  if (SIGNATURE_NAMES.has(f.name)) return 'bad-signature';
  if (f.name === 'AccessDeniedException' || f.name === 'AccessDenied' || f.name === 'UnauthorizedOperation') return 'access-denied';
  if (THROTTLE_NAMES.has(f.name) || f.status === 429) return 'throttled';
  if (f.name === 'ResourceNotFoundException') {
    return f.operation === 'GetFindingV2' || f.operation === 'GetFindingRecommendation' || f.operation === 'GenerateFindingRecommendation' ? 'finding-not-found' : 'analyzer-not-found';
  }
  if (f.status === undefined && networkCode(f)) return 'network';
  if (f.name === 'ValidationException' || f.name === 'ConflictException' || f.name === 'ServiceQuotaExceededException') return 'rejected';
  if (f.name === 'InternalServerException' || (f.status !== undefined && f.status >= 500)) return 'service';
  if (f.status === 403) return 'access-denied';
  return 'other';
}

/** Whether a failed call is worth repeating after a pause: throttling, 5xx, a dropped connection. */
export function isRetryable(err: unknown): boolean {
  const f = facts(err);
  if (f.name === 'AbortError') return false;
  if (THROTTLE_NAMES.has(f.name) || f.status === 429) return true;
  if (f.name === 'InternalServerException' || f.name === 'ServiceUnavailableException' || (f.status !== undefined && f.status >= 500 && f.status !== 501)) return true;
  const code = networkCode(f);
  return f.status === undefined && (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT' || code === 'timeout');
}

function profileName(ctx: ErrorContext): string {
  return ctx.profile || (ctx.env ?? process.env).AWS_PROFILE || 'default';
}

function endpointOf(ctx: ErrorContext): string {
  if (ctx.endpoint) return ctx.endpoint;
  return ctx.region ? `https://access-analyzer.${ctx.region}.amazonaws.com` : 'the Access Analyzer endpoint';
}

const OPERATION_PURPOSE: Record<Operation, string> = {
  ListAnalyzers: 'to find the unused-access analyzer',
  ListFindingsV2: 'to list findings',
  GetFindingV2: 'to read a finding',
  GenerateFindingRecommendation: "to ask for AWS's recommendation",
  GetFindingRecommendation: "to read AWS's recommendation",
  GenerateServiceLastAccessedDetails: 'to start an Access Advisor report',
  GetServiceLastAccessedDetails: 'to read an Access Advisor report',
};

const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'timed out',
  timeout: 'timed out',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/**
 * One clear sentence for an error of the live mode (no stack trace, no credential), e.g.
 * "access denied: the credentials in use lack access-analyzer:ListFindings, needed to list findings (ListFindingsV2)".
 */
export function friendlyError(err: unknown, ctx: ErrorContext = {}): string {
  const kind = classifyError(err);
  const f = facts(err);
  const cli = (ctx.surface ?? 'cli') === 'cli';
  const profile = profileName(ctx);
  const regionText = ctx.region ? ` in ${ctx.region}` : '';
  switch (kind) {
    case 'cancelled':
      return 'cancelled';
    case 'no-credentials':
      if (ctx.profile) return `no AWS credentials found for profile "${ctx.profile}": check that the profile exists in the AWS config or credentials files, then run \`aws sso login --profile ${ctx.profile}\` or \`aws configure --profile ${ctx.profile}\``;
      return `no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, choose a configured profile (${cli ? '--profile NAME' : 'the iamRefiner.live.profile setting'}), or run \`aws configure\` or \`aws sso login --profile ${profile}\``;
    case 'profile-not-found':
      return `the AWS profile "${profile}" is not in the AWS config or credentials files: check the name (${cli ? '--profile' : 'the iamRefiner.live.profile setting'}) or run \`aws configure --profile ${profile}\``;
    case 'sso-expired':
      return `the AWS SSO session for profile "${profile}" has expired or is missing: run \`aws sso login --profile ${profile}\` and try again`;
    case 'token-expired':
      return `the AWS session token has expired: run \`aws sso login --profile ${profile}\` (or refresh the temporary credentials) and try again`;
    case 'bad-credentials':
      return `AWS does not recognise the access key in use (${f.name}): check the credentials of profile "${profile}" or the AWS_ACCESS_KEY_ID environment variable`;
    case 'bad-signature':
      return `AWS rejected the request signature (${f.name}): check the secret access key and that this computer's clock is correct`;
    case 'access-denied': {
      const named = /not authorized to perform:?\s*([a-z0-9-]+:[A-Za-z0-9*]+)/i.exec(f.message)?.[1];
      const op = f.operation;
      const permission = named ?? (op ? REQUIRED_PERMISSION[op] : undefined);
      if (!permission) return `access denied by AWS: ${firstLine(f.message)}`;
      const explicit = /explicit deny/i.test(f.message) ? ' (an explicit deny in an IAM policy, SCP or permissions boundary)' : '';
      return `access denied: the credentials in use lack ${permission}${op ? `, needed ${OPERATION_PURPOSE[op]} (${op})` : ''}${explicit}`;
    }
    case 'no-region':
      return `no AWS region: ${cli ? 'pass --region' : 'set iamRefiner.live.region'}, set AWS_REGION, or set a region in profile "${profile}"`;
    case 'no-analyzer': {
      const found = err instanceof NoAnalyzerError && err.found.length ? ` (found ${err.found.map((a) => `${a.arn}, ${a.status ?? 'status unknown'}`).join('; ')})` : '';
      return `no ACTIVE unused-access analyzer${regionText}${found}: create one with \`${CREATE_ANALYZER_COMMAND}${ctx.region ? ` --region ${ctx.region}` : ''}\`, or name one with ${cli ? '--analyzer ARN' : 'the iamRefiner.live.analyzerArn setting'}`;
    }
    case 'analyzer-not-found':
      return `the analyzer ${ctx.analyzerArn ? `${ctx.analyzerArn} ` : ''}was not found${regionText}: check ${cli ? '--analyzer and --region' : 'the iamRefiner.live.analyzerArn and iamRefiner.live.region settings'}`;
    case 'finding-not-found':
      return f.operation === 'GetFindingRecommendation'
        ? 'AWS has no recommendation for this finding (it may have expired): ask again'
        : 'the finding no longer exists (it may have been resolved or archived since it was listed): fetch again';
    case 'network': {
      const code = networkCode(f) ?? 'network error';
      return `could not reach Access Analyzer at ${endpointOf(ctx)} (${NETWORK_WORDS[code] ?? code}): check the network connection, proxy${ctx.endpoint ? ' and the endpoint' : ' and region'}`;
    }
    case 'throttled':
      return `Access Analyzer is throttling the requests${f.attempts ? ` (still after ${f.attempts} attempts)` : ''}: wait a minute and try again`;
    case 'service':
      return `Access Analyzer failed with an internal error${f.operation ? ` (${f.operation})` : ''}${f.attempts && f.attempts > 1 ? ` ${f.attempts} times` : ''}: try again later`;
    case 'rejected':
      return `Access Analyzer rejected the request${f.operation ? ` (${f.operation})` : ''}: ${firstLine(f.message)}`;
    case 'recommendation-failed':
    case 'recommendation-timeout':
    case 'invalid-input':
      return firstLine((err as Error).message);
    default:
      if (err instanceof LiveError) return firstLine(err.message);
      return `${f.operation ? `${f.operation} failed: ` : ''}${f.name && f.name !== 'Error' ? `${f.name}: ` : ''}${firstLine(f.message) || 'unknown error'}`;
  }
}
