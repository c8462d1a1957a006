import { ClientCapabilities, Connection, MessageType } from 'vscode-languageserver';
import { RefinementResult } from '../../../shared/protocol';
import { baseName } from '../workspace/paths';

export interface CommandHost {
  connection: Connection;
  caps: ClientCapabilities;
  notify(type: MessageType, text: string): void;
  log(message: string): void;
}

/** Refine File / Refine All for clients without a preview: applies the verified edit with workspace/applyEdit and reports. */
export async function applyRefinement(host: CommandHost, result: RefinementResult, uris: string[] | undefined, label: string): Promise<{ applied: boolean; files: RefinementResult['files'] }> {
  for (const f of result.files) {
    if (f.nothingLeft) host.notify(MessageType.Warning, `${baseName(f.uri)}: ${f.error}`);
    else if (f.error && uris) host.notify(MessageType.Warning, `${baseName(f.uri)}: not refined: ${f.error}`);
  }
  const changed = result.files.filter((f) => f.status === 'changed');
  if (changed.length === 0) {
    if (!result.files.some((f) => f.error))
      host.notify(MessageType.Info, uris ? `${uris.map(baseName).join(', ')}: nothing to refine, no allowed action is unused.` : 'No policy file has unused permissions to refine.');
    return { applied: false, files: result.files };
  }
  if (!host.caps.workspace?.applyEdit) {
    host.notify(MessageType.Error, 'This editor cannot apply workspace edits (workspace/applyEdit).');
    return { applied: false, files: result.files };
  }
  const r = await host.connection.workspace.applyEdit({ label, edit: result.edit });
  if (!r.applied) host.notify(MessageType.Warning, `The refinement was not applied${r.failureReason ? `: ${r.failureReason}` : ''} (did the file change meanwhile? Try again).`);
  else host.log(`${label}: ${changed.map((f) => `${baseName(f.uri)}: ${f.summary}`).join('; ')}`);
  return { applied: r.applied, files: result.files };
}
