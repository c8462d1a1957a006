import { Diagnostic } from 'vscode-languageserver';
import { Catalog, SERVICE_REFERENCE_SOURCE } from '../core';
import { StatusParams } from '../../../shared/protocol';
import { describeBinding } from '../workspace/analysis';
import { Workspace } from '../workspace/workspace';

/** The status notification: the catalog, every folder's findings, and each analysed document's binding. */
export function statusParams(ws: Workspace, diagnostics: Map<string, Diagnostic[]>, catalogOf: () => Catalog): StatusParams {
  const documents: StatusParams['documents'] = {};
  for (const [uri, a] of ws.cachedAnalyses()) {
    if (a.kind === 'none' && !a.note) continue;
    documents[uri] = { binding: describeBinding(a), problems: diagnostics.get(uri)?.length ?? 0 };
  }
  let catalog = 'catalog not loaded';
  let catalogVersion = '';
  let catalogDate: string | undefined;
  try {
    const c = catalogOf();
    catalog = c.describe();
    catalogVersion = c.version;
    catalogDate = c.date;
  } catch (e) {
    catalog = `catalog unavailable: ${e instanceof Error ? e.message : String(e)}`;
  }
  const folders = ws.allProjects().flatMap((p) => (p.snapshot ? [p.snapshot.status] : []));
  return { catalog, catalogVersion, ...(catalogDate ? { catalogDate, catalogOrigin: catalogOrigin(catalog) } : {}), folders, documents };
}

/** Where the catalog came from, by its source: the bundled package, or a Service Reference download. */
function catalogOrigin(describe: string): 'bundled' | 'cache' {
  return describe.startsWith(SERVICE_REFERENCE_SOURCE) ? 'cache' : 'bundled';
}
