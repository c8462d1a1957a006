/**
 * Helpers of the editor suites (VS Code API only; no fixed sleeps: every wait is on an editor
 * event — diagnostics changed, document changed, a command's promise — with a deadline).
 *
 * The workspace is a temporary copy of test/editor/fixtures/workspace; tests change it, and
 * restore() puts a file back as it was when the run started (open or not).
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'iam-policy-refiner.iam-policy-refiner';
export const SOURCE = 'iam-refiner';

/** The example's expected results (test/fixtures/example-expected.json, shared with the unit tests and ui-steps.mjs). */
export { EXPECTED_S3, LAMBDA_UNUSED } from '../../support/example';
import { LAMBDA_UNUSED } from '../../support/example';

export const ROLE_DEPLOYER = 'arn:aws:iam::123456789012:role/Deployer';
export const ROLE_READER = 'arn:aws:iam::123456789012:role/Reader';

export function folder(): vscode.WorkspaceFolder {
  const f = vscode.workspace.workspaceFolders?.[0];
  assert.ok(f, 'the suite needs a workspace folder (launch.mjs --workspace test/editor/fixtures/workspace)');
  return f;
}

export function fileUri(rel: string): vscode.Uri {
  return vscode.Uri.joinPath(folder().uri, ...rel.split('/'));
}

// ---------------------------------------------------------------------------------------------
// The workspace as it was at the start (read once, before any test changes it)

const originals = new Map<string, Uint8Array | null>();
const TRACKED = ['policy.json', 'findings.json', 'roles/app-policy.json', 'roles/access-analyzer-export.json', 'iam-refiner.json', '.vscode/settings.json', 'infra-json/main.tf.json'];

export async function snapshotWorkspace(): Promise<void> {
  if (originals.size) return;
  for (const rel of TRACKED) {
    try {
      originals.set(rel, await vscode.workspace.fs.readFile(fileUri(rel)));
    } catch {
      originals.set(rel, null); // absent at the start
    }
  }
}

export function originalText(rel: string): string {
  const b = originals.get(rel);
  assert.ok(b, `${rel}: not in the fixture workspace (or snapshotWorkspace() not run)`);
  return new TextDecoder().decode(b);
}

export async function writeText(rel: string, text: string): Promise<void> {
  await vscode.workspace.fs.writeFile(fileUri(rel), new TextEncoder().encode(text));
}

export async function writeJson(rel: string, value: unknown): Promise<void> {
  await writeText(rel, JSON.stringify(value, null, 2) + '\n');
}

export async function deleteFile(rel: string): Promise<void> {
  try {
    await vscode.workspace.fs.delete(fileUri(rel));
  } catch (e) {
    if (!(e instanceof vscode.FileSystemError && e.code === 'FileNotFound')) throw e;
  }
}

function openDoc(uri: vscode.Uri): vscode.TextDocument | undefined {
  return vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString() && !d.isClosed);
}

/** Puts a tracked file back as it was at the start: an open document is edited back and saved, a closed file rewritten (or deleted). */
export async function restore(rel: string): Promise<void> {
  const original = originals.get(rel);
  assert.ok(original !== undefined, `${rel} is not tracked (TRACKED in helpers.ts)`);
  const uri = fileUri(rel);
  const doc = openDoc(uri);
  if (original === null) {
    await deleteFile(rel);
    return;
  }
  const text = new TextDecoder().decode(original);
  if (doc) {
    if (doc.getText() !== text) {
      const edit = new vscode.WorkspaceEdit();
      edit.replace(uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), text);
      assert.ok(await vscode.workspace.applyEdit(edit), `restoring ${rel}: edit not applied`);
    }
    if (doc.isDirty) assert.ok(await doc.save(), `restoring ${rel}: save failed`);
  } else {
    const now = await vscode.workspace.fs.readFile(uri).then(
      (b) => new TextDecoder().decode(b),
      () => undefined,
    );
    if (now !== text) await vscode.workspace.fs.writeFile(uri, original);
  }
}

export async function restoreAll(): Promise<void> {
  for (const rel of TRACKED) await restore(rel);
}

// ---------------------------------------------------------------------------------------------
// Documents and diagnostics

export async function openFile(rel: string): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument(fileUri(rel));
  await vscode.window.showTextDocument(doc, { preview: false });
  return doc;
}

/** This extension's diagnostics of a uri. */
export function ours(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE);
}

export function codeOf(d: vscode.Diagnostic): string {
  return typeof d.code === 'object' && d.code ? String(d.code.value) : String(d.code);
}

export function byCode(ds: vscode.Diagnostic[], code: string): vscode.Diagnostic[] {
  return ds.filter((d) => codeOf(d) === code);
}

/** The document version a diagnostic was computed on (the server puts it in `data`, `[version, …]` or `{ version }`; the language client keeps it). */
export function versionOf(d: vscode.Diagnostic): number | undefined {
  const data = (d as vscode.Diagnostic & { data?: unknown }).data;
  const v = Array.isArray(data) ? data[0] : (data as { version?: unknown } | undefined)?.version;
  return typeof v === 'number' ? v : undefined;
}

function summarize(ds: vscode.Diagnostic[]): string {
  return JSON.stringify(ds.map((d) => `${codeOf(d)}@${d.range.start.line + 1}:${d.range.start.character + 1} v${versionOf(d)} ${d.message.split('\n')[0]}`), null, 1);
}

/** The extension's API (activate()'s result). */
function api(): { pulledVersion(uri: vscode.Uri): number | undefined; onDidPullDiagnostics: vscode.Event<vscode.Uri> } | undefined {
  return vscode.extensions.getExtension(EXTENSION_ID)?.exports;
}

/**
 * Waits (on vscode.languages.onDidChangeDiagnostics, and on the extension's pulls) until the
 * iam-refiner diagnostics of `uri` satisfy `predicate`. With `doc`, only diagnostics of the
 * document's current version count (no stale match right after an edit): computed on it (the version
 * in their data), or pulled for it (a pull answered `unchanged` keeps the version they were computed on).
 */
export function waitForDiagnostics(
  uri: vscode.Uri,
  predicate: (ds: vscode.Diagnostic[]) => boolean,
  { timeoutMs = 30_000, what = 'the expected diagnostics', doc }: { timeoutMs?: number; what?: string; doc?: vscode.TextDocument } = {},
): Promise<vscode.Diagnostic[]> {
  const key = uri.toString();
  const fresh = (ds: vscode.Diagnostic[]) => !doc || api()?.pulledVersion(uri) === doc.version || ds.every((d) => versionOf(d) === undefined || versionOf(d) === doc.version);
  return new Promise((resolve, reject) => {
    let sub: vscode.Disposable | undefined;
    let pulls: vscode.Disposable | undefined;
    let timer: NodeJS.Timeout | undefined;
    const check = (): boolean => {
      const ds = ours(uri);
      if (!fresh(ds) || !predicate(ds)) return false;
      sub?.dispose();
      pulls?.dispose();
      if (timer) clearTimeout(timer);
      resolve(ds);
      return true;
    };
    if (check()) return;
    sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === key)) check();
    });
    pulls = api()?.onDidPullDiagnostics((u) => {
      if (u.toString() === key) check();
    });
    timer = setTimeout(() => {
      sub?.dispose();
      pulls?.dispose();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} on ${vscode.workspace.asRelativePath(uri)}; iam-refiner diagnostics now: ${summarize(ours(uri))}`));
    }, timeoutMs);
  });
}

/** Count of each code, e.g. {"unused-action": 8, "unused-wildcard": 1}. */
export function codeCounts(ds: vscode.Diagnostic[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of ds) out[codeOf(d)] = (out[codeOf(d)] ?? 0) + 1;
  return out;
}

/** The example's initial state: 8 unused-action + 1 unused-wildcard, on the document's current version. */
export function waitForExampleDiagnostics(doc: vscode.TextDocument): Promise<vscode.Diagnostic[]> {
  return waitForDiagnostics(doc.uri, (ds) => ds.length === 9 && byCode(ds, 'unused-action').length === 8 && byCode(ds, 'unused-wildcard').length === 1, {
    doc,
    what: '8 unused-action + 1 unused-wildcard',
  });
}

/**
 * Where the suites start: the workspace as it was at the start of the run, policy.json open,
 * and its diagnostics once they are the example's (waitForExampleDiagnostics).
 */
export async function openFreshExample(): Promise<{ doc: vscode.TextDocument; diagnostics: vscode.Diagnostic[] }> {
  await restoreAll();
  const doc = await openFile('policy.json');
  return { doc, diagnostics: await waitForExampleDiagnostics(doc) };
}

/**
 * The example's problems in another host file (`quote`: how the file writes an action): the eight
 * unused lambda actions and s3:Get* at their exact places, nothing on the trust policy.
 */
export async function assertExampleProblems(doc: vscode.TextDocument, quote: (action: string) => string): Promise<void> {
  const ds = await waitForDiagnostics(doc.uri, (d) => byCode(d, 'unused-action').length === 8 && byCode(d, 'unused-wildcard').length === 1);
  const unused = byCode(ds, 'unused-action').sort((a, b) => a.range.start.compareTo(b.range.start));
  assert.deepEqual(unused.map((d) => textOf(doc, d.range)), LAMBDA_UNUSED.map(quote));
  const [w] = byCode(ds, 'unused-wildcard');
  assert.ok(w.range.isEqual(rangeOfText(doc, quote('s3:Get*'))));
  assert.match(w.message, /s3:Get\* allows 22 unused actions \(of 63\)/);
  assert.ok(!ds.some((d) => d.range.intersection(rangeOfText(doc, quote('sts:AssumeRole')))), 'the trust policy is not a permission of the role');
}

/** Applies the quick fix "Refine s3:Get* to 9 patterns" at `needle` and waits for the patterns. */
export async function applyS3Refinement(doc: vscode.TextDocument, needle: string): Promise<void> {
  const fixes = await codeActions(doc.uri, rangeOfText(doc, needle), vscode.CodeActionKind.QuickFix.value);
  const fix = fixes.find((f) => f.title === 'Refine s3:Get* to 9 patterns');
  assert.ok(fix, `offered: ${JSON.stringify(titles(fixes))}`);
  await applyAction(doc, fix);
  await waitForDocument(doc, (d) => d.getText().includes('s3:GetStorage*'));
}

/** A suite whose every test starts from a fresh copy of the example policy (`ex.doc`), restored after the suite. */
export function freshExampleEach(): { doc: vscode.TextDocument } {
  const ex = {} as { doc: vscode.TextDocument };
  beforeEach(async () => {
    ex.doc = (await openFreshExample()).doc;
  });
  after(restoreAll);
  return ex;
}

/** Range of the n-th occurrence of `needle` (e.g. `"s3:Get*"` with its quotes) in a document. */
export function rangeOfText(doc: vscode.TextDocument, needle: string, nth = 0): vscode.Range {
  const text = doc.getText();
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    assert.ok(at >= 0, `"${needle}" (#${nth}) not in ${vscode.workspace.asRelativePath(doc.uri)}`);
  }
  return new vscode.Range(doc.positionAt(at), doc.positionAt(at + needle.length));
}

export function textOf(doc: vscode.TextDocument, range: vscode.Range): string {
  return doc.getText(range);
}

/** The Action list of each statement of a policy document. */
export function actions(doc: vscode.TextDocument): string[][] {
  const policy = JSON.parse(doc.getText()) as { Statement: { Action: string | string[] }[] };
  return policy.Statement.map((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}

// ---------------------------------------------------------------------------------------------
// Code actions

export async function codeActions(uri: vscode.Uri, range: vscode.Range, kind?: string): Promise<vscode.CodeAction[]> {
  const all = (await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>('vscode.executeCodeActionProvider', uri, range, kind)) ?? [];
  return all.filter((a): a is vscode.CodeAction => 'title' in a && !('command' in a && typeof (a as vscode.Command).command === 'string'));
}

export function titles(as: vscode.CodeAction[]): string[] {
  return as.map((a) => a.title);
}

/** Applies a code action's edit (and its command, if any); resolves when the document changed. */
export async function applyAction(doc: vscode.TextDocument, action: vscode.CodeAction): Promise<void> {
  assert.ok(action.edit, `"${action.title}" has no edit`);
  const before = doc.version;
  assert.ok(await vscode.workspace.applyEdit(action.edit), `"${action.title}": edit not applied`);
  if (action.command) await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []));
  assert.ok(doc.version > before, `"${action.title}": document unchanged`);
}

// ---------------------------------------------------------------------------------------------
// Misc waits

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Runs `start` (a command that shows VS Code's refactor preview — a WorkspaceEdit whose entries
 * have needsConfirmation — and resolves once the preview is answered) and discards the preview
 * with refactorPreview.discard, retried until `start` settles (the preview appears only once the
 * language server has answered).
 */
export async function discardRefactorPreview<T>(start: () => Thenable<T>, timeoutMs = 30_000): Promise<T> {
  let settled = false;
  const p = Promise.resolve(start()).finally(() => (settled = true));
  const deadline = Date.now() + timeoutMs;
  while (!settled) {
    if (Date.now() > deadline) throw new Error(`the refactor preview was not discarded within ${timeoutMs} ms`);
    await vscode.commands.executeCommand('refactorPreview.discard').then(noop, noop);
    await Promise.race([p.then(noop, noop), delay(250)]);
  }
  return p;
}

const noop = () => undefined;

/**
 * Runs `start` (see discardRefactorPreview) and accepts the preview as a person does: entries
 * with needsConfirmation start unticked (VS Code's design), so tick the first tree row (the file,
 * which ticks all its changes: refactorPreview.focus + list.focusFirst + refactorPreview.toggleCheckedState,
 * i.e. Space on the first row),
 * then refactorPreview.apply. The three commands are retried until `start` settles; when the
 * preview appeared between two of them and was applied with nothing ticked, the whole thing is
 * run again (at most `attempts` times). Resolves once `doc` changed.
 */
export async function applyRefactorPreview(doc: vscode.TextDocument, start: () => Thenable<unknown>, { timeoutMs = 30_000, attempts = 3 } = {}): Promise<void> {
  const version = doc.version;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let settled = false;
    const p = Promise.resolve(start()).finally(() => (settled = true));
    const deadline = Date.now() + timeoutMs;
    while (!settled) {
      if (Date.now() > deadline) throw new Error(`the refactor preview was not applied within ${timeoutMs} ms`);
      await vscode.commands.executeCommand('refactorPreview.focus').then(noop, noop);
      await vscode.commands.executeCommand('list.focusFirst').then(noop, noop);
      await vscode.commands.executeCommand('refactorPreview.toggleCheckedState').then(noop, noop);
      await vscode.commands.executeCommand('refactorPreview.apply').then(noop, noop);
      await Promise.race([p.then(noop, noop), delay(250)]);
    }
    await p;
    if (doc.version !== version) return;
    console.warn(`[suite] refactor preview: attempt ${attempt} applied nothing (the preview appeared mid-sequence?); retrying`);
  }
  throw new Error(`the refactor preview was answered ${attempts} times and the document never changed`);
}

/** Resolves when `predicate(doc)` holds (checked on every change of the document). */
export function waitForDocument(doc: vscode.TextDocument, predicate: (d: vscode.TextDocument) => boolean, timeoutMs = 15_000, what = 'the document to change'): Promise<void> {
  if (predicate(doc)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const sub = vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document === doc && predicate(doc)) {
        sub.dispose();
        clearTimeout(timer);
        resolve();
      }
    });
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
  });
}
