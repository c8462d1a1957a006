/** AWS's recommendation for a policy file's role, beside the local refinement of the same text. */
import type { AwsRecommendationParams, AwsRecommendationResult, LiveSettings } from '../../../shared/protocol';
import { adviceView } from '../lsp/awsRecommendation';
import type { RecommendationOutcome } from '../lsp/liveFindings';
import { refinement } from './analysis';
import { FolderInfo } from './findingsProvider';
import { baseName } from './paths';
import { Workspace } from './workspace';

export interface Recommender {
  recommend(req: { folder: FolderInfo; settings: LiveSettings; role: string; signal: AbortSignal }): Promise<RecommendationOutcome>;
}

export async function awsRecommendation(ws: Workspace, live: Recommender, params: AwsRecommendationParams, signal: AbortSignal, log: (m: string) => void): Promise<AwsRecommendationResult> {
  const uri = params?.uri;
  const doc = uri ? ws.openDocument(uri) : undefined;
  if (!doc) return { kind: 'error', message: 'Open the policy file in the editor first.' };
  const a = await ws.analysisOf(doc);
  const name = baseName(doc.uri);
  if (!a || a.kind !== 'policy' || !a.parsed || !a.context) return { kind: 'error', message: `${name} is not an IAM policy document this extension analyses${a?.note ? ` (${a.note})` : ''}.` };
  if (a.parsed.hasSyntaxErrors) return { kind: 'error', message: `${name}: fix the syntax errors first.` };
  const project = ws.projectFor(doc.uri);
  if (!project) return { kind: 'error', message: `${name} belongs to no folder.` };
  const snap = await project.ready();
  const b = a.binding;
  const roles = b?.kind === 'roles' || b?.kind === 'all' ? b.roles : b?.kind === 'ambiguous' ? b.candidates : [];
  let role = params.role;
  if (!role) {
    if (roles.length === 0) return { kind: 'error', message: `${name} is bound to no role: AWS recommends per role, so bind the file to its role in iam-refiner.json ("roles") first.` };
    if (roles.length > 1) return { kind: 'choose-role', roles };
    role = roles[0];
  }
  const outcome = await live.recommend({ folder: project.folder, settings: snap.settings.live, role, signal });
  if (outcome.kind !== 'ok') return outcome.kind === 'nothing' ? outcome : { kind: 'error', message: outcome.message };
  const rec = outcome.recommendation;
  if (rec.steps.length === 0) return { kind: 'nothing', message: `AWS's recommendation for ${role} (finding ${rec.findingId}) has no step: nothing to change.` };
  // the local refinement of the same text (it may use the findings files as well as the live ones)
  const local = refinement(a, { kind: 'document' }, log);
  const localText = local.kind === 'ok' ? local.result.text : undefined;
  const localNote = local.kind === 'ok' ? undefined : local.message;
  const view = adviceView({ steps: rec.steps, fileName: name, localText, localRemovesAll: local.kind === 'nothing-left', universe: a.context.universe });
  for (const it of view.items) log(`AWS's recommendation for ${role}, ${it.policyId || '(unnamed policy)'}: ${it.summary}`);
  return { kind: 'ok', role, findingId: outcome.findingId, analyzerArn: outcome.analyzerArn, localText, localNote, items: view.items, chosen: view.chosen };
}
