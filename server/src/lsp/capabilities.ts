import { CodeActionKind, InitializeParams, InitializeResult, TextDocumentSyncKind, WorkspaceFolder } from 'vscode-languageserver';
import { Commands, DIAGNOSTIC_SOURCE, FIX_ALL_KIND, InitializationOptions, LiveClientOptions } from '../../../shared/protocol';
import { baseName, pathToUri } from '../workspace/paths';

/** Whether the client pulls diagnostics: it asks to, and can pull and be told to pull again. */
export function pullsDiagnostics(params: InitializeParams): boolean {
  const init = (params.initializationOptions ?? {}) as InitializationOptions;
  return init.pullDiagnostics === true && !!params.capabilities.textDocument?.diagnostic && params.capabilities.workspace?.diagnostics?.refreshSupport === true;
}

/** What the server offers; Refine File/All are the client's own commands when it says so (VS Code previews them). */
export function initializeResult(init: InitializationOptions, pullDiagnostics = false): InitializeResult {
  const commands: string[] = [Commands.bindRole];
  if (!init.clientCommands) commands.unshift(Commands.refineFile, Commands.refineAll);
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
      hoverProvider: true,
      completionProvider: { triggerCharacters: ['"', "'", ':'] },
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND], resolveProvider: false },
      executeCommandProvider: { commands },
      workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      // pulled by clients that ask to (InitializationOptions.pullDiagnostics); a findings change asks them to pull again (workspace/diagnostic/refresh)
      ...(pullDiagnostics ? { diagnosticProvider: { identifier: DIAGNOSTIC_SOURCE, interFileDependencies: false, workspaceDiagnostics: false } } : {}),
    },
    serverInfo: { name: 'iam-refiner', version: '0.1.0' },
  };
}

/** The workspace folders of initialize (or its root, for older clients). */
export function initialFolders(params: InitializeParams): WorkspaceFolder[] {
  if (params.workspaceFolders) return params.workspaceFolders;
  if (params.rootUri) return [{ uri: params.rootUri, name: baseName(params.rootUri) }];
  if (params.rootPath) return [{ uri: pathToUri(params.rootPath), name: baseName(params.rootPath) }];
  return [];
}

/** Live options from initializationOptions: only well-formed values. */
export function liveClientOptions(init: InitializationOptions): LiveClientOptions {
  const live = (init.live ?? {}) as LiveClientOptions;
  return {
    storagePath: typeof live.storagePath === 'string' && live.storagePath ? live.storagePath : undefined,
    endpoint: typeof live.endpoint === 'string' && live.endpoint ? live.endpoint : undefined,
    trusted: typeof live.trusted === 'boolean' ? live.trusted : undefined,
  };
}
