/**
 * A local stand-in for AWS's Service Reference (https://servicereference.us-east-1.amazonaws.com/):
 * an HTTP server on 127.0.0.1 serving the index (`[{"service", "url"}]`) and one document per
 * service (`{"Name", "Actions": [{"Name", "Annotations": {"Properties": {IsList, IsWrite,
 * IsPermissionManagement, IsTaggingOnly}}, "Resources", "SupportedBy"}], "Version"}`), built from
 * a catalog (the bundled one, by default) plus the actions a test adds. Faults on demand: a status
 * code for a service, a connection dropped in the middle of a body, a slow answer, a broken
 * document. Every request is recorded.
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Catalog } from '../../server/src/core';

export interface FakeServiceReferenceOptions {
  catalog: Catalog;
  /** Actions to add (full names, `s3:GetBucketNewFeature`), with their access level letter (default R). */
  add?: Record<string, 'L' | 'R' | 'W' | 'T' | 'P'>;
  /** Actions to leave out (full names). */
  remove?: string[];
  /** Per service: answer with this HTTP status, every time. */
  status?: Record<string, number>;
  /** Per service: answer the first N requests with 503, then normally. */
  failFirst?: Record<string, number>;
  /** Per service: send half the body, then destroy the connection. */
  dropMidBody?: string[];
  /** Per service: this text instead of the document. */
  body?: Record<string, string>;
  /** Wait this long before answering every document (ms): makes the client's concurrency visible. */
  latencyMs?: number;
  /** Per service: wait this long before answering (ms). */
  delayMs?: Record<string, number>;
  /** Index entries pointing elsewhere (service → absolute URL). */
  indexUrl?: Record<string, string>;
  /** The index itself instead of the generated one. */
  indexBody?: string;
}

export interface FakeServiceReference {
  url: string;
  requests: string[];
  /** Connections open now, the longest concurrency seen. */
  maxInFlight: number;
  close(): Promise<void>;
}

const FLAGS: Record<string, [boolean, boolean, boolean, boolean]> = {
  // IsList, IsWrite, IsPermissionManagement, IsTaggingOnly (as AWS sets them: tagging and permissions management are writes)
  L: [true, false, false, false],
  R: [false, false, false, false],
  W: [false, true, false, false],
  T: [false, true, false, true],
  P: [false, true, true, false],
};

function documents(o: FakeServiceReferenceOptions): Map<string, string> {
  const removed = new Set((o.remove ?? []).map((n) => n.toLowerCase()));
  const byService = new Map<string, [string, string][]>();
  for (const svc of o.catalog.services.values()) {
    byService.set(
      svc.prefix,
      svc.actions.map((a, i) => [a, svc.levels[i]] as [string, string]).filter(([a]) => !removed.has(`${svc.prefix}:${a}`.toLowerCase())),
    );
  }
  for (const [full, level] of Object.entries(o.add ?? {})) {
    const [svc, name] = full.split(':');
    if (!byService.has(svc)) byService.set(svc, []);
    byService.get(svc)!.push([name, level]);
  }
  const out = new Map<string, string>();
  for (const [svc, actions] of byService) {
    out.set(
      svc,
      JSON.stringify({
        Name: svc,
        Actions: actions.map(([name, l]) => {
          const [IsList, IsWrite, IsPermissionManagement, IsTaggingOnly] = FLAGS[l] ?? FLAGS.R;
          return {
            Name: name,
            ActionConditionKeys: [`${svc}:ResourceTag/\${TagKey}`],
            Annotations: { Properties: { IsList, IsPermissionManagement, IsTaggingOnly, IsWrite } },
            Resources: [{ Name: 'thing' }],
            SupportedBy: { 'IAM Access Analyzer Policy Generation': false, 'IAM Action Last Accessed': true },
          };
        }),
        ConditionKeys: [],
        Operations: [],
        Resources: [{ Name: 'thing', ARNFormats: [`arn:\${Partition}:${svc}:::thing/\${Name}`] }],
        Version: 'v1.4',
      }),
    );
  }
  return out;
}

export async function startFakeServiceReference(o: FakeServiceReferenceOptions): Promise<FakeServiceReference> {
  const docs = documents(o);
  const requests: string[] = [];
  const failed = new Map<string, number>();
  let inFlight = 0;
  const state = { maxInFlight: 0 };
  let base = '';
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    requests.push(path);
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    const send = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, '{"message":"method not allowed"}');
    if (path === '/' || path === '') {
      const index = o.indexBody ?? JSON.stringify([...docs.keys()].sort().map((service) => ({ service, url: o.indexUrl?.[service] ?? `${base}/v1/${service}/${service}.json` })));
      return send(200, index);
    }
    const m = /^\/v1\/([a-z0-9-]+)\/\1\.json$/.exec(path);
    const svc = m?.[1];
    const doc = svc ? docs.get(svc) : undefined;
    if (!svc || doc === undefined) return send(404, '{"message":"not found"}');
    const answer = () => {
      if (o.status?.[svc]) return send(o.status[svc], `{"message":"status ${o.status[svc]}"}`);
      const n = failed.get(svc) ?? 0;
      if (n < (o.failFirst?.[svc] ?? 0)) {
        failed.set(svc, n + 1);
        return send(503, '{"message":"slow down"}');
      }
      const body = o.body?.[svc] ?? doc;
      if (o.dropMidBody?.includes(svc)) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.write(body.slice(0, Math.floor(body.length / 2)));
        setTimeout(() => res.destroy(), 5);
        return;
      }
      send(200, body);
    };
    const delay = o.delayMs?.[svc] ?? o.latencyMs;
    if (delay) setTimeout(answer, delay);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/`,
    requests,
    get maxInFlight() {
      return state.maxInFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
