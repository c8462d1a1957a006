import { Connection } from 'vscode-languageserver';
import { AwsRecommendationRequest, AwsRecommendationResult, LiveClientOptions, LiveFindingsRequest, LiveOptionsNotification, LiveRefreshRequest } from '../../../shared/protocol';
import { awsRecommendation } from '../workspace/recommend';
import { Workspace } from '../workspace/workspace';
import { LiveFindingsProvider, describeEndpoint } from './liveFindings';

export interface LiveRequestHost {
  live: LiveFindingsProvider;
  ws: Workspace;
  log(message: string): void;
  options(): LiveClientOptions;
  setOptions(o: Partial<LiveClientOptions>): void;
  safe<T>(context: string, fallback: T, fn: () => Promise<T> | T): Promise<T>;
}

/** The live-mode messages: the client's endpoint and trust, refresh, the cached findings, AWS's recommendation. */
export function registerLiveRequests(c: Connection, h: LiveRequestHost): void {
  c.onNotification(LiveOptionsNotification, (params) =>
    h.safe('liveOptions', undefined, () => {
      const p = params ?? {};
      h.setOptions({ endpoint: typeof p.endpoint === 'string' ? p.endpoint : undefined, trusted: typeof p.trusted === 'boolean' ? p.trusted : h.options().trusted });
      const o = h.options();
      h.log(`live options: endpoint ${o.endpoint ? describeEndpoint(o.endpoint) : 'AWS default'}, workspace ${o.trusted === false ? 'not trusted' : 'trusted'}`);
      h.live.optionsChanged();
    }),
  );
  c.onRequest(LiveRefreshRequest, (params) =>
    h.safe('liveRefresh', { folders: [], reason: 'The refresh failed; see the log.' }, async () => {
      await Promise.all(h.ws.allProjects().map((p) => p.ready()));
      return h.live.refresh(params?.folderUri);
    }),
  );
  c.onRequest(LiveFindingsRequest, (params) =>
    h.safe('liveFindings', { folders: [], reason: 'Reading the live findings failed; see the log.' }, async () => {
      await Promise.all(h.ws.allProjects().map((p) => p.ready()));
      return h.live.cachedFindings(params?.folderUri);
    }),
  );
  c.onRequest(AwsRecommendationRequest, (params, token) =>
    h.safe('awsRecommendation', { kind: 'error', message: "Comparing with AWS's recommendation failed; see the log." } as AwsRecommendationResult, async () => {
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => abort.abort());
      return awsRecommendation(h.ws, h.live, params, abort.signal, (m) => h.log(m)).finally(() => sub.dispose());
    }),
  );
}
