import { ClientCapabilities, Connection } from 'vscode-languageserver';
import { ProgressHandle } from './liveFindings';

/** Server-initiated window/workDoneProgress (nothing when the client has none); cancelling it calls onCancel. */
export async function startProgress(connection: Connection, caps: ClientCapabilities, title: string, onCancel: () => void, onError: (e: unknown) => void): Promise<ProgressHandle> {
  const none: ProgressHandle = { report: () => undefined, done: () => undefined };
  if (!caps.window?.workDoneProgress) return none;
  try {
    const r = await connection.window.createWorkDoneProgress();
    r.begin(`IAM Refiner: ${title}`, 0, undefined, true);
    const sub = r.token.onCancellationRequested(onCancel);
    return {
      report: (message, percentage) => (percentage === undefined ? r.report(message) : r.report(percentage, message)),
      done: () => {
        sub.dispose();
        r.done();
      },
    };
  } catch (e) {
    onError(e);
    return none;
  }
}
