/**
 * The editor's flow for AWS's recommendation of one role: the role's finding (from the findings
 * in use, else fetched), then GenerateFindingRecommendation and polling; a cached finding AWS no
 * longer knows is looked up once more. Errors come back as one sentence. No editor imports.
 */
import type { Recommendation } from './accessAnalyzer';
import { classifyError } from './errors';
import type { FindingV2 } from './findingsV2';
import { Connection, LiveFindingsStore, failureMessage } from './store';
import { roleName } from '../core';

export type RecommendationOutcome =
  | { kind: 'ok'; recommendation: Recommendation; analyzerArn: string; findingId: string }
  | { kind: 'nothing'; message: string }
  | { kind: 'error'; message: string; cancelled?: boolean };

export interface RecommendationRequest {
  connection: Connection;
  role: string;
  /** The findings in use, when they are of this connection (saves a ListFindingsV2). */
  cached?: { analyzerArn: string; findings: readonly FindingV2[] };
  signal: AbortSignal;
  log(message: string): void;
}

export async function recommendForRole(store: LiveFindingsStore, req: RecommendationRequest): Promise<RecommendationOutcome> {
  const { connection: c, role, signal } = req;
  let client: { destroy(): void } | undefined;
  try {
    const api = store.live();
    const aa = api.createClient({ region: c.region, profile: c.profile, endpoint: c.endpoint });
    client = aa;
    const lookup = async (): Promise<{ analyzerArn: string; finding?: FindingV2 }> => {
      const r = await api.fetchFindings({ client: aa, analyzerArn: c.analyzerArn, roles: [role], signal });
      return { analyzerArn: r.analyzer.arn, finding: r.findings[0] };
    };
    const cached = req.cached?.findings.find((f) => f.resource === role);
    let found = cached && req.cached ? { analyzerArn: req.cached.analyzerArn, finding: cached } : await lookup();
    if (!found.finding) return { kind: 'nothing', message: `${roleName(role)}: nothing unused (no active UnusedPermission finding), so AWS has nothing to recommend` };
    req.log(`asking AWS for its recommendation for ${role} (finding ${found.finding.id})`);
    let recommendation: Recommendation;
    try {
      recommendation = await api.requestRecommendation({ client: aa, analyzerArn: found.analyzerArn, findingId: found.finding.id, signal });
    } catch (err) {
      // the cached finding may have been resolved since: look it up once more
      if (!cached || classifyError(err) !== 'finding-not-found') throw err;
      found = await lookup();
      if (!found.finding) return { kind: 'nothing', message: `${roleName(role)}: nothing unused any more (no active UnusedPermission finding)` };
      recommendation = await api.requestRecommendation({ client: aa, analyzerArn: found.analyzerArn, findingId: found.finding.id, signal });
    }
    return { kind: 'ok', recommendation, analyzerArn: found.analyzerArn, findingId: found.finding.id };
  } catch (err) {
    const kind = store.sdkLoaded ? classifyError(err) : 'other';
    if (kind === 'cancelled' || signal.aborted) return { kind: 'error', message: 'cancelled', cancelled: true };
    const message = failureMessage(err, c, store.sdkLoaded);
    req.log(`AWS's recommendation for ${role}: ${message}`);
    return { kind: 'error', message };
  } finally {
    try {
      client?.destroy();
    } catch {
      // nothing to release
    }
  }
}
