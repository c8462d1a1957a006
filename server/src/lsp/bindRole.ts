import { ClientCapabilities, CodeAction, Connection } from 'vscode-languageserver';
import { BindRoleArgs } from '../../../shared/protocol';
import { pathToUri } from '../workspace/paths';
import { Workspace } from '../workspace/workspace';
import { EditCapabilities, bindingCodeAction } from './codeActions';

export interface BindingHost {
  ws: Workspace;
  connection: Connection;
  caps: ClientCapabilities;
  editCaps: EditCapabilities;
  versionOf(uri: string): number | null;
}

/** The quick fix that binds a policy file to a role: an edit of iam-refiner.json (created when absent). */
export async function bindingAction(h: BindingHost, args: BindRoleArgs): Promise<CodeAction | undefined> {
  const b = await h.ws.bindingEdits(args.folderUri, args.relPath, args.role);
  if (!b) return undefined;
  const configUri = h.ws.openUri(b.configPath) ?? pathToUri(b.configPath);
  return bindingCodeAction(args, configUri, h.versionOf(configUri), b, h.editCaps);
}

/** `iamRefiner.bindRole` (for clients that cannot create files through an edit): through the open editor, else written atomically. */
export async function bindRole(h: BindingHost, args: BindRoleArgs | undefined): Promise<boolean> {
  if (!args?.folderUri || !args.relPath || !args.role) return false;
  const project = h.ws.projectOfFolder(args.folderUri);
  const openUri = project?.configPath && h.ws.openUri(project.configPath);
  if (openUri && h.caps.workspace?.applyEdit) {
    const action = await bindingAction(h, args);
    if (action?.edit) return (await h.connection.workspace.applyEdit({ label: action.title, edit: action.edit })).applied;
  }
  return h.ws.bindRole(args.folderUri, args.relPath, args.role);
}
