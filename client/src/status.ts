import * as vscode from 'vscode';
import { FolderStatus, StatusParams } from '../../server/src/protocol';

/** "3 days old", "2 hours old". */
export function age(iso: string | undefined, now = Date.now()): string | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return undefined;
  const min = Math.max(0, Math.round((now - t) / 60_000));
  if (min < 60) return `${min} min old`;
  const h = Math.round(min / 60);
  if (h < 48) return `${h} hour${h === 1 ? '' : 's'} old`;
  const d = Math.round(h / 24);
  return `${d} day${d === 1 ? '' : 's'} old`;
}

/** The language status item: where findings come from, how many roles and unused actions, how old, which catalog. */
export class StatusView implements vscode.Disposable {
  private readonly item: vscode.LanguageStatusItem;
  private last: StatusParams | undefined;

  constructor(selector: vscode.DocumentSelector, showOutputCommand: string) {
    this.item = vscode.languages.createLanguageStatusItem('iamRefiner.status', selector);
    this.item.name = 'IAM Policy Refiner';
    this.item.text = 'IAM Refiner';
    this.item.detail = 'starting…';
    this.item.command = { title: 'Show Log', command: showOutputCommand };
  }

  update(params: StatusParams): void {
    this.last = params;
    this.render();
  }

  private folderFor(uri: vscode.Uri | undefined): FolderStatus | undefined {
    const folders = this.last?.folders ?? [];
    if (!uri) return folders[0];
    const wf = vscode.workspace.getWorkspaceFolder(uri);
    const s = uri.toString();
    return (
      (wf && folders.find((f) => f.uri === wf.uri.toString())) ??
      folders.filter((f) => s.startsWith(f.uri.endsWith('/') ? f.uri : f.uri + '/')).sort((a, b) => b.uri.length - a.uri.length)[0] ??
      folders[0]
    );
  }

  render(): void {
    const p = this.last;
    if (!p) return;
    const doc = vscode.window.activeTextEditor?.document;
    const f = this.folderFor(doc?.uri);
    const docStatus = doc ? p.documents[doc.uri.toString()] : undefined;
    const errors = f ? f.sources.filter((s) => s.error).length + (f.configError ? 1 : 0) : 0;
    const loaded = f ? f.sources.filter((s) => !s.error && s.findings > 0) : [];
    if (!f || !f.enabled) {
      this.item.text = 'IAM Refiner';
      this.item.detail = f && !f.enabled ? 'disabled (iamRefiner.enable)' : `catalog ${p.catalogVersion}`;
    } else if (loaded.length === 0) {
      this.item.text = errors ? '$(warning) IAM: findings unreadable' : 'IAM: no findings';
      this.item.detail = `looked for ${f.findingsGlobs.join(', ')}${f.defaultGlobs ? ' (default)' : ''} · catalog ${p.catalogVersion}`;
    } else {
      const roles = f.roles.length ? `${f.roles.length} role${f.roles.length === 1 ? '' : 's'}` : 'no role named';
      this.item.text = `${errors ? '$(warning) ' : ''}IAM: ${f.unusedActions} unused · ${roles}`;
      const sources = loaded.map((s) => s.label).join(', ');
      const old = age(f.oldestAnalyzedAt);
      this.item.detail = [sources, old && `findings ${old}`, docStatus && `this file: ${docStatus.binding}`, `catalog ${p.catalogVersion}`].filter(Boolean).join(' · ');
    }
    this.item.severity = errors ? vscode.LanguageStatusSeverity.Warning : vscode.LanguageStatusSeverity.Information;
    if (errors && f) {
      const broken = [...f.sources.filter((s) => s.error).map((s) => `${s.label}: ${s.error}`), ...(f.configError ? [`iam-refiner.json: ${f.configError}`] : [])];
      this.item.detail = `${broken.join('; ')} · ${this.item.detail}`;
    }
  }

  dispose(): void {
    this.item.dispose();
  }
}
