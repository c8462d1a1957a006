/**
 * A local stand-in for IAM Access Analyzer: an HTTP server on 127.0.0.1 that speaks the service's
 * restJson1 wire protocol for ListAnalyzers, ListFindingsV2, GetFindingV2,
 * GenerateFindingRecommendation and GetFindingRecommendation, so tests run the real AWS SDK.
 *
 * It checks what the SDK sends (method, path, required fields, a SigV4 Authorization header scoped
 * to access-analyzer, and the signature itself when the seed gives the credentials), pages every
 * list with opaque tokens, writes RFC 3339 timestamps, reports errors the way AWS does
 * (`x-amzn-errortype` header + `{"message"}` body) and records every request.
 */
import { createServer, IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { createHash, createHmac, randomBytes } from 'node:crypto';

export interface FakeAnalyzer {
  arn: string;
  name?: string;
  /** ACCOUNT_UNUSED_ACCESS, ORGANIZATION_UNUSED_ACCESS, ACCOUNT, … */
  type: string;
  /** Default ACTIVE. */
  status?: string;
  unusedAccessAge?: number;
  createdAt?: string;
}

/** A finding detail as on the wire: a union with exactly one key, e.g. `{unusedPermissionDetails: {...}}`. */
export type FakeDetail = Record<string, unknown>;

export interface FakeFinding {
  /** Default: the first analyzer's ARN. */
  analyzerArn?: string;
  resource: string;
  /** Default UnusedPermission. */
  findingType?: string;
  /** Default ACTIVE. */
  status?: string;
  resourceType?: string;
  resourceOwnerAccount?: string;
  analyzedAt?: string;
  details: FakeDetail[];
}

export interface FakeRecommendation {
  /** How many GetFindingRecommendation calls answer IN_PROGRESS after each Generate (default 0). */
  inProgressPolls?: number;
  /** Final status (default SUCCEEDED). */
  status?: 'SUCCEEDED' | 'FAILED';
  /** Default UnusedPermissionRecommendation; AWS's CLI examples print UNUSED_PERMISSION_RECOMMENDATION. */
  recommendationType?: string;
  /** `unusedPermissionsRecommendedStep` members: {recommendedAction, recommendedPolicy?, existingPolicyId?, policyUpdatedAt?}. */
  steps?: Record<string, unknown>[];
  error?: { code: string; message: string };
}

export interface FakeFaults {
  /** Answer the first N requests (after authentication) with 429 ThrottlingException. */
  throttleFirst?: number;
  /** Sent as Retry-After with the throttling errors. */
  retryAfterSeconds?: number;
  /** Answer the first N requests with 500 InternalServerException. */
  internalErrorFirst?: number;
  /** Answer every request with 403 ExpiredTokenException. */
  expiredToken?: boolean;
  /** Operations answered with 403 AccessDeniedException. */
  deny?: string[];
  /** 'aws' (default): AWS's "User: … is not authorized to perform: access-analyzer:X" message; 'terse': no action named. */
  denyMessage?: 'aws' | 'terse';
  /** Milliseconds to delay every answer. */
  latencyMs?: number;
}

export interface FakeSeed {
  /** Region the signature must be scoped to (default us-east-1). */
  region?: string;
  /** When given, requests must be signed with these: the access key is checked and the signature verified. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  analyzers?: FakeAnalyzer[];
  /** Findings by id. */
  findings?: Record<string, FakeFinding>;
  /** Recommendations by finding id. */
  recommendations?: Record<string, FakeRecommendation>;
  /** Items per page of every list, whatever maxResults asks for when smaller (default 2). */
  pageSize?: number;
  faults?: FakeFaults;
}

export interface RecordedRequest {
  operation: string;
  method: string;
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body (undefined when empty). */
  body: any;
  headers: IncomingHttpHeaders;
  status: number;
  errorType?: string;
  /** When it arrived (Date.now()). */
  at: number;
}

export interface FakeAccessAnalyzer {
  url: string;
  requests: RecordedRequest[];
  /** Mutable: tests may change faults between calls. */
  faults: FakeFaults;
  /** Requests per operation. */
  count(operation: string): number;
  /** The most requests that were in progress at once. */
  readonly maxInFlight: number;
  close(): Promise<void>;
}

const TS = '2024-05-01T10:00:00Z';
const ANALYZER_TYPES = new Set(['ACCOUNT', 'ORGANIZATION', 'ACCOUNT_UNUSED_ACCESS', 'ORGANIZATION_UNUSED_ACCESS', 'ACCOUNT_INTERNAL_ACCESS', 'ORGANIZATION_INTERNAL_ACCESS']);
const FILTER_KEYS = new Set(['findingType', 'status', 'resource', 'resourceType', 'resourceOwnerAccount', 'id', 'error', 'principal.AWS', 'isPublic', 'condition', 'action', 'principalArn', 'principalType']);
const CRITERION_KEYS = new Set(['eq', 'neq', 'contains', 'exists']);
const IAM_ACTION: Record<string, string> = {
  ListAnalyzers: 'access-analyzer:ListAnalyzers',
  ListFindingsV2: 'access-analyzer:ListFindings',
  GetFindingV2: 'access-analyzer:GetFinding',
  GenerateFindingRecommendation: 'access-analyzer:GenerateFindingRecommendation',
  GetFindingRecommendation: 'access-analyzer:GetFindingRecommendation',
};

class WireError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const validation = (message: string, reason = 'fieldValidationFailed') => new WireError(400, 'ValidationException', message, { reason });
const notFound = (message: string, resourceId: string, resourceType: string) => new WireError(404, 'ResourceNotFoundException', message, { resourceId, resourceType });

/** RFC 3986 encoding as SigV4 wants it. */
function escapeUri(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

interface Auth {
  accessKeyId: string;
  date: string;
  region: string;
  signedHeaders: string[];
  signature: string;
}

const AUTH_RE = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

function checkAuth(req: IncomingMessage, seed: FakeSeed, rawPath: string, rawQuery: string, body: Buffer): void {
  const header = req.headers.authorization;
  if (!header) throw new WireError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
  const m = AUTH_RE.exec(header);
  if (!m) throw new WireError(400, 'IncompleteSignatureException', 'Authorization header requires Credential, SignedHeaders and Signature (SigV4)');
  const [, accessKeyId, date, region, service, signed, signature] = m;
  if (service !== 'access-analyzer') throw new WireError(403, 'InvalidSignatureException', `Credential should be scoped to correct service: 'access-analyzer', not '${service}'`);
  const want = seed.region ?? 'us-east-1';
  if (region !== want) throw new WireError(403, 'InvalidSignatureException', `Credential should be scoped to a valid region, not '${region}'. Expected '${want}'`);
  const amzDate = req.headers['x-amz-date'];
  if (typeof amzDate !== 'string' || !amzDate.startsWith(date)) throw new WireError(400, 'IncompleteSignatureException', 'x-amz-date is missing or disagrees with the credential scope');
  const auth: Auth = { accessKeyId, date, region, signedHeaders: signed.split(';'), signature };
  if (!auth.signedHeaders.includes('host')) throw new WireError(400, 'IncompleteSignatureException', 'the host header must be signed');
  const creds = seed.credentials;
  if (!creds) return;
  if (accessKeyId !== creds.accessKeyId) throw new WireError(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
  if (creds.sessionToken !== undefined && req.headers['x-amz-security-token'] !== creds.sessionToken) {
    throw new WireError(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
  }
  const canonicalUri = escapeUri(rawPath).replace(/%2F/g, '/');
  const pairs = rawQuery
    ? rawQuery.split('&').filter(Boolean).map((kv) => {
        const i = kv.indexOf('=');
        const k = decodeURIComponent(i < 0 ? kv : kv.slice(0, i));
        const v = i < 0 ? '' : decodeURIComponent(kv.slice(i + 1));
        return [escapeUri(k), escapeUri(v)] as [string, string];
      })
    : [];
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const canonicalQuery = pairs.map(([k, v]) => `${k}=${v}`).join('&');
  const canonicalHeaders = auth.signedHeaders
    .map((h) => {
      const v = req.headers[h];
      const s = Array.isArray(v) ? v.join(',') : (v ?? '');
      return `${h}:${String(s).trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const payloadHash = typeof req.headers['x-amz-content-sha256'] === 'string' ? req.headers['x-amz-content-sha256'] : sha256(body);
  const canonicalRequest = [req.method, canonicalUri, canonicalQuery, canonicalHeaders, signed, payloadHash].join('\n');
  const scope = `${date}/${region}/access-analyzer/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  let key = hmac('AWS4' + creds.secretAccessKey, date);
  key = hmac(key, region);
  key = hmac(key, 'access-analyzer');
  key = hmac(key, 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  if (expected !== signature) {
    throw new WireError(403, 'InvalidSignatureException', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.');
  }
}

interface RecState {
  polls: number;
}

/** Starts the fake on 127.0.0.1, on a free port. */
export async function startFakeAccessAnalyzer(seed: FakeSeed = {}): Promise<FakeAccessAnalyzer> {
  const requests: RecordedRequest[] = [];
  const faults: FakeFaults = { ...(seed.faults ?? {}) };
  const salt = randomBytes(6).toString('hex');
  const analyzers = (seed.analyzers ?? []).map((a) => ({ status: 'ACTIVE', name: a.arn.split('/').pop(), createdAt: TS, ...a }));
  const findings = new Map(Object.entries(seed.findings ?? {}).map(([id, f]) => [id, { analyzerArn: analyzers[0]?.arn, findingType: 'UnusedPermission', status: 'ACTIVE', resourceType: 'AWS::IAM::Role', resourceOwnerAccount: '123456789012', analyzedAt: TS, ...f }]));
  const recState = new Map<string, RecState>();
  let authenticated = 0;
  let inFlight = 0;
  let maxInFlight = 0;

  const token = (op: string, key: string, offset: number) => Buffer.from(JSON.stringify({ s: salt, op, key, offset })).toString('base64url');
  const readToken = (raw: unknown, op: string, key: string): number => {
    if (raw === undefined || raw === null || raw === '') return 0;
    if (typeof raw !== 'string') throw validation('nextToken must be a string');
    try {
      const t = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
      if (t.s === salt && t.op === op && t.key === key && Number.isInteger(t.offset) && t.offset > 0) return t.offset;
    } catch {
      /* fall through */
    }
    throw validation('Invalid pagination token', 'other');
  };
  const maxResults = (raw: unknown): number => {
    const ps = seed.pageSize ?? 2;
    if (raw === undefined || raw === null) return ps;
    const n = typeof raw === 'number' ? raw : Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw validation(`maxResults must be an integer from 1 to 1000, not ${String(raw)}`);
    return Math.min(n, ps);
  };
  function page<T>(items: T[], op: string, key: string, rawToken: unknown, rawMax: unknown): { items: T[]; nextToken?: string } {
    const start = readToken(rawToken, op, key);
    const n = maxResults(rawMax);
    const slice = items.slice(start, start + n);
    return { items: slice, nextToken: start + n < items.length ? token(op, key, start + n) : undefined };
  }
  const analyzerExists = (arn: unknown) => {
    if (typeof arn !== 'string' || !arn) throw validation('analyzerArn is required');
    if (!/^arn:[^:]+:access-analyzer:[^:]*:\d{12}:analyzer\/.+$/.test(arn)) throw validation(`analyzerArn "${arn}" is not an analyzer ARN`);
    if (!analyzers.some((a) => a.arn === arn)) throw notFound(`Analyzer ${arn} not found`, arn, 'AWS::AccessAnalyzer::Analyzer');
  };
  const findingOf = (id: string, analyzerArn: string) => {
    const f = findings.get(id);
    if (!f || f.analyzerArn !== analyzerArn) throw notFound(`Finding ${id} not found`, id, 'Finding');
    return f;
  };
  /** What ListFindingsV2 lists of a finding; GetFindingV2 returns the same, with the details. */
  const findingSummary = (id: string, f: NonNullable<ReturnType<typeof findings.get>>) => ({
    id,
    resource: f.resource,
    resourceType: f.resourceType,
    resourceOwnerAccount: f.resourceOwnerAccount,
    status: f.status,
    findingType: f.findingType,
    analyzedAt: f.analyzedAt,
    createdAt: TS,
    updatedAt: f.analyzedAt,
  });

  function matches(filter: Record<string, any>, f: Record<string, any>): boolean {
    for (const [key, crit] of Object.entries(filter)) {
      const v = f[key];
      if (crit.eq && !crit.eq.includes(v)) return false;
      if (crit.neq && crit.neq.includes(v)) return false;
      if (crit.contains && !crit.contains.some((c: string) => typeof v === 'string' && v.includes(c))) return false;
      if (crit.exists !== undefined && (v !== undefined) !== crit.exists) return false;
    }
    return true;
  }

  function validateFilter(filter: unknown): Record<string, any> {
    if (filter === undefined) return {};
    if (!filter || typeof filter !== 'object' || Array.isArray(filter)) throw validation('filter must be an object');
    for (const [k, c] of Object.entries(filter as Record<string, any>)) {
      if (!FILTER_KEYS.has(k)) throw validation(`unknown filter key ${k}`);
      if (!c || typeof c !== 'object' || Array.isArray(c) || Object.keys(c).length === 0) throw validation(`filter.${k} must be a criterion object`);
      for (const [op, vals] of Object.entries(c)) {
        if (!CRITERION_KEYS.has(op)) throw validation(`filter.${k}.${op} is not a criterion`);
        if (op === 'exists') {
          if (typeof vals !== 'boolean') throw validation(`filter.${k}.exists must be a boolean`);
        } else if (!Array.isArray(vals) || vals.length < 1 || vals.length > 20 || !vals.every((x) => typeof x === 'string')) {
          throw validation(`filter.${k}.${op} must hold 1 to 20 strings`);
        }
      }
    }
    return filter as Record<string, any>;
  }

  type Route = { operation: string; method: string; re: RegExp };
  const routes: Route[] = [
    { operation: 'ListAnalyzers', method: 'GET', re: /^\/analyzer$/ },
    { operation: 'ListFindingsV2', method: 'POST', re: /^\/findingv2$/ },
    { operation: 'GetFindingV2', method: 'GET', re: /^\/findingv2\/([^/]+)$/ },
    { operation: 'GenerateFindingRecommendation', method: 'POST', re: /^\/recommendation\/([^/]+)$/ },
    { operation: 'GetFindingRecommendation', method: 'GET', re: /^\/recommendation\/([^/]+)$/ },
  ];

  function handle(operation: string, idRaw: string | undefined, query: Record<string, string>, body: any): { status: number; json?: unknown } {
    const id = idRaw === undefined ? '' : decodeURIComponent(idRaw);
    switch (operation) {
      case 'ListAnalyzers': {
        if (query.type !== undefined && !ANALYZER_TYPES.has(query.type)) throw validation(`type "${query.type}" is not an analyzer type`);
        const list = analyzers.filter((a) => query.type === undefined || a.type === query.type);
        const p = page(list, operation, query.type ?? '', query.nextToken, query.maxResults);
        return {
          status: 200,
          json: {
            analyzers: p.items.map((a) => ({
              arn: a.arn,
              name: a.name,
              type: a.type,
              createdAt: a.createdAt,
              status: a.status,
              ...(a.unusedAccessAge !== undefined ? { configuration: { unusedAccess: { unusedAccessAge: a.unusedAccessAge } } } : {}),
            })),
            nextToken: p.nextToken,
          },
        };
      }
      case 'ListFindingsV2': {
        if (!body || typeof body !== 'object') throw validation('the request body must be a JSON object', 'cannotParse');
        analyzerExists(body.analyzerArn);
        const filter = validateFilter(body.filter);
        const list = [...findings.entries()]
          .filter(([, f]) => f.analyzerArn === body.analyzerArn)
          .map(([fid, f]) => ({ id: fid, ...f }))
          .filter((f) => matches(filter, f));
        const p = page(list, operation, JSON.stringify([body.analyzerArn, filter]), body.nextToken, body.maxResults);
        return {
          status: 200,
          json: {
            findings: p.items.map((f) => findingSummary(f.id, f)),
            nextToken: p.nextToken,
          },
        };
      }
      case 'GetFindingV2': {
        analyzerExists(query.analyzerArn);
        const f = findingOf(id, query.analyzerArn);
        const p = page(f.details, operation, id, query.nextToken, query.maxResults);
        return {
          status: 200,
          json: {
            ...findingSummary(id, f),
            findingDetails: p.items,
            nextToken: p.nextToken,
          },
        };
      }
      case 'GenerateFindingRecommendation': {
        analyzerExists(query.analyzerArn);
        const f = findingOf(id, query.analyzerArn);
        if (f.findingType !== 'UnusedPermission') throw validation(`finding ${id} is not an UnusedPermission finding`);
        recState.set(id, { polls: 0 });
        return { status: 200 };
      }
      case 'GetFindingRecommendation': {
        analyzerExists(query.analyzerArn);
        const f = findingOf(id, query.analyzerArn);
        const st = recState.get(id);
        if (!st) throw notFound(`No recommendation for finding ${id}: call GenerateFindingRecommendation first`, id, 'FindingRecommendation');
        const rec = seed.recommendations?.[id] ?? { steps: [] };
        const head = { resourceArn: f.resource, recommendationType: rec.recommendationType ?? 'UnusedPermissionRecommendation', startedAt: TS };
        if (!query.nextToken && st.polls < (rec.inProgressPolls ?? 0)) {
          st.polls++;
          return { status: 200, json: { ...head, status: 'IN_PROGRESS' } };
        }
        if ((rec.status ?? 'SUCCEEDED') === 'FAILED') {
          return { status: 200, json: { ...head, status: 'FAILED', completedAt: '2024-05-01T10:00:09Z', error: rec.error ?? { code: 'SERVICE_ERROR', message: 'failed' } } };
        }
        const steps = (rec.steps ?? []).map((s) => ({ unusedPermissionsRecommendedStep: s }));
        const p = page(steps, operation, id, query.nextToken, query.maxResults);
        return { status: 200, json: { ...head, status: 'SUCCEEDED', completedAt: '2024-05-01T10:00:09Z', recommendedSteps: p.items, nextToken: p.nextToken } };
      }
    }
    throw new WireError(404, 'UnknownOperationException', `no route for ${operation}`);
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const [rawPath, rawQuery = ''] = (req.url ?? '/').split('?', 2);
      const query: Record<string, string> = {};
      for (const kv of rawQuery.split('&').filter(Boolean)) {
        const i = kv.indexOf('=');
        query[decodeURIComponent(i < 0 ? kv : kv.slice(0, i))] = i < 0 ? '' : decodeURIComponent(kv.slice(i + 1));
      }
      const route = routes.find((r) => r.method === req.method && r.re.test(rawPath));
      const rec: RecordedRequest = { operation: route?.operation ?? 'Unknown', method: req.method ?? '', path: rawPath, query, body: undefined, headers: req.headers, status: 0, at: Date.now() };
      requests.push(rec);
      let status = 200;
      let json: unknown;
      const headers: Record<string, string> = { 'x-amzn-requestid': randomBytes(8).toString('hex') };
      try {
        if (raw.length) {
          try {
            rec.body = JSON.parse(raw.toString('utf8'));
          } catch {
            throw validation('the request body is not JSON', 'cannotParse');
          }
          if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) throw validation('a JSON body needs Content-Type: application/json');
        }
        checkAuth(req, seed, rawPath, rawQuery, raw);
        if (!route) throw new WireError(404, 'UnknownOperationException', `no operation ${req.method} ${rawPath}`);
        if (faults.expiredToken) throw new WireError(403, 'ExpiredTokenException', 'The security token included in the request is expired');
        authenticated++;
        if (authenticated <= (faults.throttleFirst ?? 0)) {
          throw new WireError(429, 'ThrottlingException', 'Rate exceeded', {}, faults.retryAfterSeconds !== undefined ? { 'retry-after': String(faults.retryAfterSeconds) } : {});
        }
        if (authenticated <= (faults.internalErrorFirst ?? 0)) throw new WireError(500, 'InternalServerException', 'Internal server error');
        if (faults.deny?.includes(route.operation)) {
          const msg =
            faults.denyMessage === 'terse'
              ? 'Access denied'
              : `User: arn:aws:sts::123456789012:assumed-role/dev/someone is not authorized to perform: ${IAM_ACTION[route.operation]} on resource: arn:aws:access-analyzer:us-east-1:123456789012:* because no identity-based policy allows the ${IAM_ACTION[route.operation]} action`;
          throw new WireError(403, 'AccessDeniedException', msg);
        }
        const m = route.re.exec(rawPath)!;
        const r = handle(route.operation, m[1], query, rec.body);
        status = r.status;
        json = r.json;
      } catch (e) {
        if (!(e instanceof WireError)) throw e;
        status = e.status;
        rec.errorType = e.type;
        // AWS appends a namespace to the type; the SDK must strip it
        headers['x-amzn-errortype'] = `${e.type}:http://internal.amazon.com/coral/com.amazonaws.accessanalyzer/`;
        Object.assign(headers, e.headers);
        json = { message: e.message, ...e.extra };
      }
      rec.status = status;
      const text = json === undefined ? '' : JSON.stringify(json, (_k, v) => (v === undefined ? undefined : v));
      const send = () => {
        res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
        res.end(text);
      };
      if (faults.latencyMs) setTimeout(send, faults.latencyMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    faults,
    count: (op) => requests.filter((r) => r.operation === op).length,
    get maxInFlight() {
      return maxInFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
