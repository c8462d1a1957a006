/**
 * A local stand-in for IAM's Access Advisor API on 127.0.0.1, at the wire level: the awsQuery
 * protocol (form-encoded POST with Action and Version=2010-05-08, XML responses in the
 * iam.amazonaws.com/doc/2010-05-08/ namespace, errors as <ErrorResponse><Error><Code>), SigV4
 * checked for service "iam" and region us-east-1. GenerateServiceLastAccessedDetails starts a job
 * that stays IN_PROGRESS for `pollsUntilDone` reads; GetServiceLastAccessedDetails pages with
 * MaxItems / Marker. The real AWS SDK talks to it; nothing of the SDK is mocked.
 */
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { createHash, createHmac, randomBytes } from 'node:crypto';

export interface FakeTrackedAction {
  ActionName: string;
  LastAccessedTime?: string;
  LastAccessedEntity?: string;
  LastAccessedRegion?: string;
}

export interface FakeService {
  ServiceName: string;
  ServiceNamespace: string;
  LastAuthenticated?: string;
  LastAuthenticatedEntity?: string;
  LastAuthenticatedRegion?: string;
  TotalAuthenticatedEntities?: number;
  TrackedActionsLastAccessed?: FakeTrackedAction[];
}

export interface FakeIamSeed {
  /** Per role ARN: the services of its report. */
  reports: Record<string, FakeService[]>;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Reads of a new job that answer IN_PROGRESS (default 2). */
  pollsUntilDone?: number;
  /** When the jobs complete (default now). */
  completionDate?: string;
  /** Largest page the fake sends, whatever MaxItems asks (default 2: paging is exercised). */
  pageSize?: number;
  /** Fail the first N requests with Throttling (retried by the SDK). */
  throttleFirst?: number;
  /** Jobs of these roles end FAILED. */
  failRoles?: string[];
}

export interface FakeIamRequest {
  action: string;
  params: Record<string, string>;
  accessKeyId?: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface FakeIam {
  endpoint: string;
  requests: FakeIamRequest[];
  close(): Promise<void>;
}

class WireError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly type = 'Sender') {
    super(message);
  }
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const sha256 = (d: string | Buffer) => createHash('sha256').update(d).digest('hex');
const hmac = (k: string | Buffer, d: string) => createHmac('sha256', k).update(d).digest();
const AUTH_RE = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

function checkAuth(req: IncomingMessage, seed: FakeIamSeed, body: Buffer): string {
  const header = req.headers.authorization;
  if (!header) throw new WireError(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
  const m = AUTH_RE.exec(header);
  if (!m) throw new WireError(400, 'IncompleteSignature', 'Authorization header requires Credential, SignedHeaders and Signature (SigV4)');
  const [, accessKeyId, date, region, service, signed, signature] = m;
  if (service !== 'iam') throw new WireError(403, 'SignatureDoesNotMatch', `Credential should be scoped to correct service: 'iam', not '${service}'`);
  if (region !== 'us-east-1') throw new WireError(403, 'SignatureDoesNotMatch', `Credential should be scoped to a valid region, not '${region}'`);
  const amzDate = req.headers['x-amz-date'];
  if (typeof amzDate !== 'string' || !amzDate.startsWith(date)) throw new WireError(400, 'IncompleteSignature', 'x-amz-date is missing or disagrees with the credential scope');
  const signedHeaders = signed.split(';');
  if (!signedHeaders.includes('host')) throw new WireError(400, 'IncompleteSignature', 'the host header must be signed');
  const creds = seed.credentials;
  if (!creds) return accessKeyId;
  if (accessKeyId !== creds.accessKeyId) throw new WireError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
  if (creds.sessionToken !== undefined && req.headers['x-amz-security-token'] !== creds.sessionToken) throw new WireError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
  const url = new URL(req.url ?? '/', 'http://x');
  const canonicalHeaders = signedHeaders.map((h) => `${h}:${String(req.headers[h] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const payloadHash = typeof req.headers['x-amz-content-sha256'] === 'string' ? req.headers['x-amz-content-sha256'] : sha256(body);
  const canonicalRequest = [req.method, url.pathname, '', canonicalHeaders, signed, payloadHash].join('\n');
  const scope = `${date}/${region}/iam/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  let key = hmac('AWS4' + creds.secretAccessKey, date);
  key = hmac(key, region);
  key = hmac(key, 'iam');
  key = hmac(key, 'aws4_request');
  if (createHmac('sha256', key).update(stringToSign).digest('hex') !== signature) {
    throw new WireError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
  }
  return accessKeyId;
}

function el(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return `<${name}>${value.map((v) => el('member', v)).join('')}</${name}>`;
  if (typeof value === 'object') return `<${name}>${Object.entries(value as Record<string, unknown>).map(([k, v]) => el(k, v)).join('')}</${name}>`;
  return `<${name}>${xmlEscape(String(value))}</${name}>`;
}

interface Job {
  role: string;
  reads: number;
  created: string;
}

export async function startFakeIam(seed: FakeIamSeed): Promise<FakeIam> {
  const requests: FakeIamRequest[] = [];
  const jobs = new Map<string, Job>();
  let throttled = 0;

  function handle(action: string, params: Record<string, string>): string {
    if (params.Version !== '2010-05-08') throw new WireError(400, 'InvalidParameterValue', `unsupported Version ${params.Version}`);
    if (action === 'GenerateServiceLastAccessedDetails') {
      const arn = params.Arn;
      if (!arn) throw new WireError(400, 'ValidationError', "1 validation error detected: Value null at 'arn' failed to satisfy constraint: Member must not be null");
      if (params.Granularity && params.Granularity !== 'ACTION_LEVEL' && params.Granularity !== 'SERVICE_LEVEL') throw new WireError(400, 'ValidationError', `bad Granularity ${params.Granularity}`);
      if (!seed.reports[arn]) throw new WireError(404, 'NoSuchEntity', `The role with name ${arn.slice(arn.lastIndexOf('/') + 1)} cannot be found.`);
      const id = randomBytes(16).toString('hex');
      jobs.set(id, { role: arn, reads: 0, created: new Date().toISOString() });
      return el('GenerateServiceLastAccessedDetailsResult', { JobId: id });
    }
    if (action === 'GetServiceLastAccessedDetails') {
      const job = jobs.get(params.JobId ?? '');
      if (!job) throw new WireError(404, 'NoSuchEntity', `No job with id ${params.JobId}`);
      job.reads++;
      const base = { JobType: 'ACTION_LEVEL', JobCreationDate: job.created };
      if (job.reads <= (seed.pollsUntilDone ?? 2)) return el('GetServiceLastAccessedDetailsResult', { ...base, JobStatus: 'IN_PROGRESS', ServicesLastAccessed: [], IsTruncated: false });
      if (seed.failRoles?.includes(job.role)) return el('GetServiceLastAccessedDetailsResult', { ...base, JobStatus: 'FAILED', JobCompletionDate: new Date().toISOString(), ServicesLastAccessed: [], IsTruncated: false, Error: { Message: 'the report could not be generated', Code: 'ReportFailed' } });
      const all = seed.reports[job.role];
      const start = params.Marker ? Number(Buffer.from(params.Marker, 'base64').toString('utf8').replace(/^m/, '')) : 0;
      if (!Number.isInteger(start) || start < 0 || start > all.length) throw new WireError(400, 'InvalidInput', 'Invalid Marker');
      const size = Math.min(Number(params.MaxItems ?? 100), seed.pageSize ?? 2);
      const items = all.slice(start, start + size);
      const more = start + size < all.length;
      return el('GetServiceLastAccessedDetailsResult', {
        ...base,
        JobStatus: 'COMPLETED',
        JobCompletionDate: seed.completionDate ?? new Date().toISOString(),
        ServicesLastAccessed: items,
        IsTruncated: more,
        ...(more ? { Marker: Buffer.from(`m${start + size}`).toString('base64') } : {}),
      });
    }
    throw new WireError(400, 'InvalidAction', `Could not find operation ${action} for version 2010-05-08`);
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const requestId = randomBytes(8).toString('hex');
      const reply = (status: number, xml: string) => {
        res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
        res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
      };
      let action = '';
      try {
        if (req.method !== 'POST') throw new WireError(400, 'InvalidAction', 'awsQuery requests are POSTs');
        const ct = String(req.headers['content-type'] ?? '');
        if (!ct.startsWith('application/x-www-form-urlencoded')) throw new WireError(400, 'InvalidInput', `expected a form-encoded body, not ${ct || 'none'}`);
        const params = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
        action = params.Action ?? '';
        const accessKeyId = checkAuth(req, seed, body);
        requests.push({ action, params, accessKeyId, headers: req.headers, body: body.toString('utf8') });
        if (throttled < (seed.throttleFirst ?? 0)) {
          throttled++;
          throw new WireError(400, 'Throttling', 'Rate exceeded');
        }
        const result = handle(action, params);
        reply(200, `<${action}Response xmlns="${NS}">${result}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`);
      } catch (e) {
        const w = e instanceof WireError ? e : new WireError(500, 'ServiceFailure', String(e), 'Receiver');
        reply(w.status, `<ErrorResponse xmlns="${NS}"><Error><Type>${w.type}</Type><Code>${w.code}</Code><Message>${xmlEscape(w.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
