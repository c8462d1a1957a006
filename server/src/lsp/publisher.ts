import { CancellationToken, Connection, Diagnostic, DocumentDiagnosticParams, DocumentDiagnosticReport, DocumentDiagnosticReportKind, LSPErrorCodes, ResponseError } from 'vscode-languageserver';
import { Project, ProjectSnapshot } from '../workspace/project';
import { uriKey, uriToPath } from '../workspace/paths';
import { DiagnosticsMemo, projectDiagnostics } from './diagnostics';

/** What the client holds of a document after a pull: the diagnostics of the last full report, and the newest version they were found to be still. */
interface Held {
  resultId: string;
  diagnostics: Diagnostic[];
  sameThrough: number | undefined;
  /** The diagnostics a refresh was last asked for (one refresh per change the client has not pulled). */
  refreshedFor?: Diagnostic[];
}

/**
 * What is published per uri: the document's own diagnostics and those of project files (findings,
 * config). In pull mode (InitializationOptions.pullDiagnostics) the documents' own diagnostics are
 * not published: `report` answers the client's textDocument/diagnostic with them, or `unchanged`
 * when they are the ones the client holds but for the version in their data; project files'
 * diagnostics are still published, alone (no document's own with them: two collections, no doubles).
 */
export class DiagnosticsPublisher {
  /** The diagnostics of each open document, as last validated. */
  readonly documents = new Map<string, Diagnostic[]>();
  private readonly projects = new Map<Project, Map<string, Diagnostic[]>>();
  /** What was last sent per published uri: a version's diagnostics go out once (a revalidation that finds the same is not sent again). */
  private readonly sent = new Map<string, { version: number | undefined; diagnostics: Diagnostic[] }>();

  /** Pull mode: per document, what the client holds; who waits for a validation; the next result id. */
  private readonly held = new Map<string, Held>();
  private readonly waiters = new Map<string, Set<() => void>>();
  /** The version of each open document whose validation failed (a pull answers with what the client holds). */
  private readonly failed = new Map<string, number>();
  private nextResultId = 0;
  /** Result ids of this server process only: a client that kept one from a server before a restart gets a full report. */
  private readonly resultPrefix = `${process.pid.toString(36)}.${Date.now().toString(36)}.`;
  private refreshTimer: NodeJS.Timeout | undefined;
  /** Pull mode: per open document, what documentDiagnostics made for its last version (the next one reuses it where the same). */
  private readonly memos = new Map<string, { current?: DiagnosticsMemo }>();

  constructor(
    private readonly connection: Connection,
    private readonly openUri: (absPath: string) => string | undefined,
    private readonly onError: (e: unknown) => void,
    /** Whether the client pulls (known after initialize). */
    private readonly pull: () => boolean = () => false,
  ) {}

  /** The version of each open document last validated: a findings or config file open in the editor keeps it when its project's diagnostics change. */
  private readonly versions = new Map<string, number | undefined>();

  setDocument(uri: string, diagnostics: Diagnostic[], version?: number): void {
    this.documents.set(uri, diagnostics);
    this.versions.set(uri, version);
    this.failed.delete(uri);
    if (!this.pull()) return this.publish(uri, version);
    // a pull waiting for this version is answered; diagnostics the client holds otherwise (new findings, settings, catalog) are pulled again on a refresh
    if (!this.wake(uri) && this.held.has(uri)) this.refreshSoon();
  }

  /** Pull mode: the validation of this version failed (logged); a pull answers with what the client holds. */
  validationFailed(uri: string, version: number): void {
    this.failed.set(uri, version);
    this.wake(uri);
  }

  clearDocument(uri: string): void {
    this.documents.delete(uri);
    this.versions.delete(uri);
    this.held.delete(uri);
    this.failed.delete(uri);
    this.memos.delete(uri);
    this.wake(uri);
    this.publish(uri);
    this.sent.delete(uri);
  }

  // ------------------------------------------------------------------------------------------
  // pull mode

  /** Pull mode: where documentDiagnostics keeps what it made for this document's version (DiagnosticsMemo); else nothing. */
  memoFor(uri: string): { current?: DiagnosticsMemo } | undefined {
    if (!this.pull()) return undefined;
    let m = this.memos.get(uri);
    if (!m) this.memos.set(uri, (m = {}));
    return m;
  }

  /**
   * textDocument/diagnostic: the diagnostics of the document's current version (`versionOf`:
   * undefined once it is closed, or the server shuts down), once its validation (debounced as a
   * publish is) has them; `unchanged` when the client holds them already. A change that comes
   * meanwhile cancels the pull (the client pulls again).
   */
  async answer(params: DocumentDiagnosticParams, token: CancellationToken, versionOf: (uri: string) => number | undefined): Promise<DocumentDiagnosticReport> {
    const uri = params.textDocument.uri;
    for (;;) {
      const version = versionOf(uri);
      if (version === undefined) return { kind: DocumentDiagnosticReportKind.Full, items: [] };
      if (this.documents.has(uri) && this.versions.get(uri) === version) return this.report(uri, params.previousResultId);
      if (this.failed.get(uri) === version) return this.report(uri, params.previousResultId, true);
      if (token.isCancellationRequested) throw new ResponseError(LSPErrorCodes.ServerCancelled, 'the document changed', { retriggerRequest: true });
      await this.nextValidation(uri, token);
    }
  }

  /** Resolves at the next validation (or failure, or close) of `uri`, or when the request is cancelled. */
  private nextValidation(uri: string, token: CancellationToken): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(uri);
      if (!set) this.waiters.set(uri, (set = new Set()));
      const waiting = set;
      const sub = token.onCancellationRequested(() => done());
      const done = () => {
        waiting.delete(done);
        sub.dispose();
        resolve();
      };
      waiting.add(done);
    });
  }

  private wake(uri: string): boolean {
    const set = this.waiters.get(uri);
    if (!set?.size) return false;
    this.waiters.delete(uri);
    for (const f of [...set]) f();
    return true;
  }

  /**
   * The answer to a pull of `uri`: `unchanged` when the client holds the last full report
   * (`previousResultId`) and the document's diagnostics are still those, their data's version aside
   * (the client keeps the version they were computed on: quick fixes accept it, see isCurrent);
   * else the full report, under a new result id. With `failedNow`, what the client holds is not
   * confirmed for the new version.
   */
  report(uri: string, previousResultId: string | undefined, failedNow = false): DocumentDiagnosticReport {
    const diagnostics = this.documents.get(uri) ?? [];
    const version = this.versions.get(uri);
    const h = this.held.get(uri);
    if (h && previousResultId === h.resultId && (failedNow || sameDiagnostics(h.diagnostics, diagnostics))) {
      if (!failedNow) h.sameThrough = version;
      return { kind: DocumentDiagnosticReportKind.Unchanged, resultId: h.resultId };
    }
    const resultId = this.resultPrefix + ++this.nextResultId;
    this.held.set(uri, { resultId, diagnostics, sameThrough: version });
    return { kind: DocumentDiagnosticReportKind.Full, resultId, items: diagnostics };
  }

  /**
   * Whether `d` (its data's version too) is one of the diagnostics of `uri` at `version`: one this
   * version's validation made or kept (documentDiagnostics' memo: the same problem at the same place
   * keeps the diagnostic of the version it was first computed on), or one of the last full report the
   * client holds when a pull found it unchanged at this version.
   */
  isCurrent(uri: string, version: number | null, d: Diagnostic): boolean {
    const v = dataVersion(d.data);
    if (version === null || v === undefined) return false;
    const among = (list: Diagnostic[] | undefined) => !!list?.some((x) => dataVersion(x.data) === v && sameDiagnostic(x, d));
    if (this.versions.get(uri) === version && among(this.documents.get(uri))) return true;
    const h = this.held.get(uri);
    return !!h && h.sameThrough === version && among(h.diagnostics);
  }

  /** workspace/diagnostic/refresh, once for the changes that come together (a project's documents validated again), if the client still holds other diagnostics then. */
  private refreshSoon(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      let stale = false;
      for (const [uri, h] of this.held) {
        const now = this.documents.get(uri);
        if (!now || h.refreshedFor === now || this.waiters.get(uri)?.size || sameDiagnostics(h.diagnostics, now)) continue;
        h.refreshedFor = now;
        stale = true;
      }
      if (stale) void this.connection.languages.diagnostics.refresh().catch(this.onError);
    }, REFRESH_AFTER_MS);
  }

  dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
  }

  /**
   * The diagnostics on a project's broken findings and config files, after a reload. A project file
   * open in the editor is not published here: the reload validates it again, and that validation
   * publishes its version once with these (publishing here too sent each version twice, the old
   * diagnostics then the reloaded ones).
   */
  setProject(p: Project, snap: ProjectSnapshot): void {
    const before = this.projects.get(p) ?? new Map<string, Diagnostic[]>();
    const now = projectDiagnostics(snap);
    this.projects.set(p, now);
    for (const uri of new Set([...before.keys(), ...now.keys()])) {
      const path = uriToPath(uri);
      // pull mode: no validation publishes them
      if (this.pull() || !(path && this.openUri(path))) this.publish(uri);
    }
  }

  clearProject(p: Project): void {
    const before = this.projects.get(p);
    this.projects.delete(p);
    for (const uri of before?.keys() ?? []) this.publish(uri);
  }

  private publish(uri: string, given?: number): void {
    const key = uriKey(uri);
    const fromProjects: Diagnostic[] = [];
    for (const m of this.projects.values()) for (const [u, ds] of m) if (uriKey(u) === key) fromProjects.push(...ds);
    // a project file open in the editor is published under the editor's uri
    const p = uriToPath(uri);
    const target = (p && this.openUri(p)) || uri;
    const pull = this.pull();
    // pull mode: the project's alone, under no version (the document's own are pulled)
    const version = pull ? undefined : given ?? this.versions.get(target);
    const own = pull ? [] : this.documents.get(uri) ?? [];
    const diagnostics = fromProjects.length ? [...own, ...fromProjects] : own;
    const last = this.sent.get(target);
    // the same version again is sent only if its diagnostics differ (compared as JSON: a new version, every keystroke, needs no comparison)
    if (version !== undefined && last?.version === version && (last.diagnostics === diagnostics || JSON.stringify(last.diagnostics) === JSON.stringify(diagnostics))) return;
    this.sent.set(target, { version, diagnostics });
    void this.connection.sendDiagnostics({ uri: target, version, diagnostics }).catch(this.onError);
  }
}

/** How long a refresh waits for the changes that come with it (and for the pulls already on their way). */
const REFRESH_AFTER_MS = 30;

/** Two lists of diagnostics the same to a client, but for the document version in their data (`[version, …]` or `{ version }`). */
export function sameDiagnostics(a: readonly Diagnostic[], b: readonly Diagnostic[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !sameDiagnostic(a[i], b[i])) return false;
  return true;
}

const dataVersion = (data: unknown): unknown => (Array.isArray(data) ? data[0] : isObject(data) ? data.version : undefined);

/** The fields documentDiagnostics makes, compared one by one; any other is compared as a JSON value. */
const FIELDS = new Set(['range', 'severity', 'source', 'code', 'message', 'data', 'codeDescription', 'tags', 'relatedInformation']);

function sameDiagnostic(x: Diagnostic, y: Diagnostic): boolean {
  const xr = x.range;
  const yr = y.range;
  if (xr.start.line !== yr.start.line || xr.start.character !== yr.start.character || xr.end.line !== yr.end.line || xr.end.character !== yr.end.character) return false;
  if (x.message !== y.message || x.code !== y.code || x.severity !== y.severity || x.source !== y.source) return false;
  if (!sameData(x.data, y.data)) return false;
  // the same objects from one version to the next mostly (one code description per code, one tags array): compared without allocating
  if (x.codeDescription !== y.codeDescription && !same(x.codeDescription, y.codeDescription)) return false;
  if (x.tags !== y.tags && !same(x.tags, y.tags)) return false;
  if (x.relatedInformation !== y.relatedInformation && !same(x.relatedInformation, y.relatedInformation)) return false;
  const xo = x as unknown as Record<string, unknown>;
  const yo = y as unknown as Record<string, unknown>;
  for (const k in xo) if (!FIELDS.has(k) && !same(xo[k], yo[k])) return false;
  for (const k in yo) if (!FIELDS.has(k) && !(k in xo) && yo[k] !== undefined) return false;
  return true;
}

function sameData(x: unknown, y: unknown): boolean {
  if (Array.isArray(x) && Array.isArray(y)) {
    if (x.length !== y.length) return false;
    for (let i = 1; i < x.length; i++) if (!same(x[i], y[i])) return false;
    return x.length > 0 ? typeof x[0] === typeof y[0] : true;
  }
  if (isObject(x) && isObject(y)) {
    const { version: vx, ...rx } = x;
    const { version: vy, ...ry } = y;
    return typeof vx === typeof vy && same(rx, ry);
  }
  return same(x, y);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Equal as JSON values (key order aside). */
function same(x: unknown, y: unknown): boolean {
  if (x === y) return true;
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
  if (Array.isArray(x) !== Array.isArray(y)) return false;
  if (Array.isArray(x)) {
    const ya = y as unknown[];
    if (x.length !== ya.length) return false;
    for (let i = 0; i < x.length; i++) if (!same(x[i], ya[i])) return false;
    return true;
  }
  const xo = x as Record<string, unknown>;
  const yo = y as Record<string, unknown>;
  const kx = Object.keys(xo).filter((k) => xo[k] !== undefined);
  const ky = Object.keys(yo).filter((k) => yo[k] !== undefined);
  if (kx.length !== ky.length) return false;
  for (const k of kx) if (!Object.prototype.hasOwnProperty.call(yo, k) || !same(xo[k], yo[k])) return false;
  return true;
}
