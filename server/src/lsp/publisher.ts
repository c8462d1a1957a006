import { Connection, Diagnostic } from 'vscode-languageserver';
import { Project, ProjectSnapshot } from '../workspace/project';
import { uriKey, uriToPath } from '../workspace/paths';
import { projectDiagnostics } from './diagnostics';

/** What is published per uri: the document's own diagnostics and those of project files (findings, config). */
export class DiagnosticsPublisher {
  /** The diagnostics of each open document, as last validated. */
  readonly documents = new Map<string, Diagnostic[]>();
  private readonly projects = new Map<Project, Map<string, Diagnostic[]>>();
  /** What was last sent per published uri: a version's diagnostics go out once (a revalidation that finds the same is not sent again). */
  private readonly sent = new Map<string, { version: number | undefined; diagnostics: Diagnostic[] }>();

  constructor(private readonly connection: Connection, private readonly openUri: (absPath: string) => string | undefined, private readonly onError: (e: unknown) => void) {}

  /** The version of each open document last validated: a findings or config file open in the editor keeps it when its project's diagnostics change. */
  private readonly versions = new Map<string, number | undefined>();

  setDocument(uri: string, diagnostics: Diagnostic[], version?: number): void {
    this.documents.set(uri, diagnostics);
    this.versions.set(uri, version);
    this.publish(uri, version);
  }

  clearDocument(uri: string): void {
    this.documents.delete(uri);
    this.versions.delete(uri);
    this.publish(uri);
    this.sent.delete(uri);
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
      if (!(path && this.openUri(path))) this.publish(uri);
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
    const version = given ?? this.versions.get(target);
    const own = this.documents.get(uri) ?? [];
    const diagnostics = fromProjects.length ? [...own, ...fromProjects] : own;
    const last = this.sent.get(target);
    // the same version again is sent only if its diagnostics differ (compared as JSON: a new version, every keystroke, needs no comparison)
    if (version !== undefined && last?.version === version && (last.diagnostics === diagnostics || JSON.stringify(last.diagnostics) === JSON.stringify(diagnostics))) return;
    this.sent.set(target, { version, diagnostics });
    void this.connection.sendDiagnostics({ uri: target, version, diagnostics }).catch(this.onError);
  }
}
