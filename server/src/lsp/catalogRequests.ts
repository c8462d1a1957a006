/**
 * "IAM Refiner: Update Action Catalog" on the server side: the request that fetches the current
 * catalog from AWS's Service Reference into the per-user cache (workspace/catalogUpdate.ts) and
 * then uses it for every folder.
 *
 * Where from: the URL the client passes (read from the user's own settings only), else
 * IAM_REFINER_SERVICE_REFERENCE_URL in the server's environment, else AWS's. The workspace's
 * settings (workspace/configuration) are never read for it: a cloned repository cannot choose what
 * the catalog says.
 */
import { CancellationToken, Connection } from 'vscode-languageserver';
import { Catalog } from '../core';
import { UpdateCatalogParams, UpdateCatalogRequest, UpdateCatalogResult } from '../../../shared/protocol';
import { defaultCatalog } from '../workspace/catalogFile';
import { CatalogUpdateCancelled, CatalogUpdateError, describeChange, serviceReferenceUrl, updateCatalog } from '../workspace/catalogUpdate';
import { ProgressHandle } from './liveFindings';

export interface CatalogRequestHost {
  catalog(): Catalog;
  /** The update succeeded: use this catalog from now on (every folder reloads). */
  useCatalog(c: Catalog): void;
  log(message: string): void;
  progress(title: string, onCancel: () => void): Promise<ProgressHandle>;
  safe<T>(context: string, fallback: T, fn: () => Promise<T> | T): Promise<T>;
  env: Record<string, string | undefined>;
}

export function registerCatalogRequests(c: Connection, h: CatalogRequestHost): void {
  let running: Promise<UpdateCatalogResult> | undefined;
  c.onRequest(UpdateCatalogRequest, (params, token) => {
    const fallback: UpdateCatalogResult = { ok: false, message: 'Updating the action catalog failed; see the log.', catalog: '', catalogDate: '' };
    // one update at a time: a second request while one runs gets the same answer
    running ??= h.safe('updateCatalog', fallback, () => runUpdate(h, params ?? {}, token)).finally(() => (running = undefined));
    return running;
  });
}

async function runUpdate(h: CatalogRequestHost, params: UpdateCatalogParams, token: CancellationToken): Promise<UpdateCatalogResult> {
  const current = () => ({ catalog: h.catalog().describe(), catalogDate: h.catalog().date });
  let source: { url: string; from: string };
  try {
    source = serviceReferenceUrl(h.env, typeof params.url === 'string' ? params.url : undefined);
  } catch (e) {
    return { ok: false, message: (e as Error).message, ...current() };
  }
  const abort = new AbortController();
  const sub = token.onCancellationRequested(() => abort.abort());
  const progress = await h.progress('Updating the action catalog', () => abort.abort());
  h.log(`catalog update: fetching ${source.url} (${source.from})`);
  try {
    const r = await updateCatalog({
      url: source.url,
      env: h.env,
      signal: abort.signal,
      reference: defaultCatalog(),
      progress: (done, total) => {
        if (done === total || done % 25 === 0) progress.report(`${done} of ${total} services`, Math.round((done / total) * 100));
      },
    });
    h.useCatalog(r.catalog);
    const message = `Action catalog updated: ${r.catalog.describe()}; ${describeChange(r)} since ${r.previous.source} ${r.previous.version} (${(r.ms / 1000).toFixed(1)} s).`;
    h.log(`catalog update: ${message} Written to ${r.path}.`);
    return { ok: true, message, ...current(), added: r.added.length, removed: r.removed.length, ms: Math.round(r.ms) };
  } catch (e) {
    if (e instanceof CatalogUpdateCancelled) {
      h.log('catalog update: cancelled');
      return { ok: false, cancelled: true, message: 'The catalog update was cancelled; the catalog in use is unchanged.', ...current() };
    }
    if (e instanceof CatalogUpdateError) {
      h.log(`catalog update failed: ${e.message}`);
      return { ok: false, message: `The catalog update failed: ${e.message}. The catalog in use is unchanged (${h.catalog().describe()}).`, ...current() };
    }
    throw e;
  } finally {
    sub.dispose();
    progress.done();
  }
}
