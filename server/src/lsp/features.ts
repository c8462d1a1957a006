/**
 * The language features over a document's analysis: hover, completion, code actions, the commands
 * (Refine File / All, bind role) and the Explain and Refinement requests. Each answers from the
 * workspace service's analysis of the document's current version and degrades (null, []) rather
 * than answering for an older one.
 */
import { CodeAction, CompletionList, Connection, Diagnostic, MessageType, TextDocuments } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { Catalog, mayContainPolicy } from '../core';
import { BindRoleArgs, Commands, ExplainRequest, ExplainResponse, RefinementRequest, RefinementResult } from '../../../shared/protocol';
import { Analysis } from '../workspace/analysis';
import { uriToPath } from '../workspace/paths';
import { Workspace } from '../workspace/workspace';
import { EditCapabilities, codeActions } from './codeActions';
import { completion } from './completion';
import { explainRequest, withExplanation } from './explain';
import { hover } from './hover';

/** How long completion waits for a first analysis of the document (for its unused actions) before answering without. */
const COMPLETION_WAIT_MS = 300;

export interface FeatureHost {
  documents: TextDocuments<TextDocument>;
  ws: Workspace;
  catalog(): Catalog;
  /** The client shows Explain Refinement (InitializationOptions.explainView). */
  explainView(): boolean;
  editCaps(): EditCapabilities;
  /** Whether a diagnostic is one of a document version's (DiagnosticsPublisher.isCurrent). */
  isCurrent(uri: string, version: number | null, d: Diagnostic): boolean;
  log(message: string): void;
  error(context: string, e: unknown): void;
  notify(type: MessageType, text: string): void;
  safe<T>(context: string, fallback: T, fn: () => Promise<T> | T): Promise<T>;
  computeRefinement(uris: string[] | undefined): Promise<RefinementResult>;
  applyRefinement(uris: string[] | undefined, label: string): Promise<unknown>;
  bindingAction(args: BindRoleArgs): Promise<CodeAction | undefined>;
  bindRole(args: BindRoleArgs | undefined): Promise<boolean>;
}

export function registerFeatures(c: Connection, h: FeatureHost): void {
  const docs = h.documents;
  const findingsOf = (uri: string) => h.ws.projectFor(uri, false)?.snapshot?.findings ?? [];
  c.onHover((params, token) =>
    h.safe('hover', null, async () => {
      const doc = docs.get(params.textDocument.uri);
      const a = doc && (await h.ws.analysisOf(doc));
      if (!doc || !a || token.isCancellationRequested || a.version !== doc.version) return null;
      const offset = doc.offsetAt(params.position);
      return withExplanation(hover(a, offset, h.catalog()), a, findingsOf(doc.uri), offset, h.explainView(), h.log);
    }),
  );
  c.onCompletion((params, token) =>
    h.safe('completion', null as CompletionList | null, async () => {
      const doc = docs.get(params.textDocument.uri);
      if (!doc) return null;
      const text = doc.getText();
      if (!mayContainPolicy(text, uriToPath(doc.uri) ?? doc.uri)) return null;
      const a = await completionAnalysis(h, doc);
      if (token.isCancellationRequested) return null;
      return completion(text, doc.offsetAt(params.position), h.catalog(), a, (o) => doc.positionAt(o));
    }),
  );
  c.onCodeAction((params, token) =>
    h.safe('codeAction', [] as CodeAction[], async () => {
      const doc = docs.get(params.textDocument.uri);
      // the analysis the diagnostics came from; a newer version gets no fixes until it is analysed
      const a = doc && (await h.ws.analysisOf(doc));
      if (!doc || !a || a.version !== doc.version || token.isCancellationRequested) return [];
      return codeActions({ analysis: a, isCurrent: (d) => h.isCurrent(a.uri, a.version, d), diagnostics: params.context.diagnostics, only: params.context.only, caps: h.editCaps(), log: h.log, bindingAction: h.bindingAction, explain: h.explainView() });
    }),
  );
  c.onExecuteCommand((params) =>
    h.safe(`command ${params.command}`, null as unknown, async () => {
      const args = params.arguments ?? [];
      switch (params.command) {
        case Commands.refineFile: {
          const uri = typeof args[0] === 'string' ? args[0] : (args[0] as { uri?: string } | undefined)?.uri;
          if (!uri) {
            h.notify(MessageType.Error, `${Commands.refineFile} needs the document URI as its argument.`);
            return null;
          }
          return h.applyRefinement([uri], 'Refine IAM policy file');
        }
        case Commands.refineAll:
          return h.applyRefinement(undefined, 'Refine all IAM policy files');
        case Commands.bindRole:
          return h.bindRole(args[0] as BindRoleArgs);
        default:
          h.log(`unknown command ${params.command}`);
          return null;
      }
    }),
  );
  c.onRequest(ExplainRequest, (params) =>
    h.safe('explain', { kind: 'error', message: 'internal error: see the log' } as ExplainResponse, async () => {
      const doc = docs.get(params.uri);
      const a = doc ? await h.ws.analysisOf(doc) : await h.ws.analysisOfUri(params.uri);
      return explainRequest(a, findingsOf(params.uri), params, h.log);
    }),
  );
  c.onRequest(RefinementRequest, (params) => h.safe('refinement', { edit: {}, files: [] } as RefinementResult, () => h.computeRefinement(params.uris)));
}

/** An analysis for completion's unused set: the cached one, else the current one if it comes quickly. */
async function completionAnalysis(h: FeatureHost, doc: TextDocument): Promise<Analysis | undefined> {
  const cached = h.ws.cached(doc.uri);
  if (cached?.context) return cached;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), COMPLETION_WAIT_MS)));
  try {
    return await Promise.race([h.ws.analysisOf(doc).catch((e) => void h.error('completion analysis', e)), late]);
  } finally {
    clearTimeout(timer);
  }
}
