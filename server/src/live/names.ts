/**
 * ARNs and endpoints: what they look like, what a log line may say of them. No SDK import (the
 * editor's provider uses this before the SDK is loaded).
 */
import { LiveError } from './errors';

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

/** An endpoint for a log line: its origin only (never a user name, password, path or query). */
export function describeEndpoint(endpoint: string | undefined): string {
  if (!endpoint) return 'the AWS endpoint';
  try {
    const u = new URL(endpoint);
    return u.username || u.password ? `${u.protocol}//${u.host} (with a user name or password: refused)` : u.origin;
  } catch {
    return 'an endpoint that is not a URL';
  }
}
