import * as vscode from 'vscode';
import { ago, plural } from '../../server/src/workspace/format';
import { FolderStatus, LiveSourceStatus, StatusParams } from '../../shared/protocol';

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

const roleName = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

/** The live source in one line: "Access Analyzer (us-east-1), fetched 5 min ago", "offline: using findings from 3 h ago"… */
export function describeLive(label: string, live: LiveSourceStatus, now = Date.now()): string {
  const nothing = live.rolesWithoutFindings.length ? ` · ${live.rolesWithoutFindings.map(roleName).join(', ')}: nothing unused` : '';
  switch (live.state) {
    case 'ok':
      return `${label}, fetched ${ago(live.fetchedAt, now)}${live.refreshIntervalMinutes === 0 ? ' (manual refresh)' : ''}${nothing}`;
    case 'offline':
      return `${label}: offline: using findings from ${ago(live.fetchedAt, now)} (${live.message})${nothing}`;
    case 'stale':
      return `${label}: ${live.message}; using findings from ${ago(live.fetchedAt, now)}${nothing}`;
    case 'fetching':
      return `${label}: fetching…`;
    case 'error':
      return `${label}: ${live.message}`;
    case 'untrusted':
      return live.message ?? 'live findings are off in Restricted Mode';
    case 'idle':
      return `${label}: ${live.message ?? 'nothing fetched yet'}`;
  }
}

/** The language status item: where findings come from, how many roles and unused actions, how old, which catalog. */
export class StatusView implements vscode.Disposable {
  private readonly item: vscode.LanguageStatusItem;
  private last: StatusParams | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires after each status update from the server (the extension's API passes it on to tests). */
  readonly onDidChange = this.changed.event;

  constructor(selector: vscode.DocumentSelector, private readonly showOutputCommand: string, private readonly refreshCommand: string) {
    this.item = vscode.languages.createLanguageStatusItem('iamRefiner.status', selector);
    this.item.name = 'IAM Policy Refiner';
    this.item.text = 'IAM Refiner';
    this.item.detail = 'starting…';
    this.item.command = { title: 'Show Log', command: showOutputCommand };
  }

  update(params: StatusParams): void {
    this.last = params;
    this.render();
    this.changed.fire();
  }

  /** The last status from the server, with what the item shows. */
  snapshot(): (StatusParams & { text: string; detail: string | undefined }) | undefined {
    return this.last && { ...this.last, text: this.item.text, detail: this.item.detail };
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
    const liveSource = f?.enabled ? f.sources.find((s) => s.kind === 'live' && s.live) : undefined;
    const live = liveSource?.live;
    const liveLine = liveSource && live ? describeLive(liveSource.label, live) : undefined;
    const liveWarning = live && (live.state === 'offline' || live.state === 'stale');
    if (!f || !f.enabled) {
      this.item.text = 'IAM Refiner';
      this.item.detail = f && !f.enabled ? 'disabled (iamRefiner.enable)' : catalogLabel(p);
    } else if (loaded.length === 0) {
      const onlyLive = errors > 0 && live?.state === 'error' && errors === 1 && !f.configError;
      this.item.text = onlyLive ? '$(warning) IAM: live findings unavailable' : errors ? '$(warning) IAM: findings unreadable' : 'IAM: no findings';
      this.item.detail = `looked for ${f.findingsGlobs.join(', ')}${f.defaultGlobs ? ' (default)' : ''} · ${catalogLabel(p)}`;
    } else {
      const roles = f.roles.length ? plural(f.roles.length, 'role') : 'findings name no role';
      this.item.text = `${errors ? '$(warning) ' : ''}IAM: ${f.unusedActions} unused · ${roles}`;
      const sources = loaded.filter((s) => s.kind !== 'live').map((s) => s.label).join(', ');
      const old = age(f.oldestAnalyzedAt);
      this.item.detail = [sources, old && `findings ${old}`, docStatus && `this file: ${docStatus.binding}`, catalogLabel(p)].filter(Boolean).join(' · ');
    }
    this.item.severity = errors || liveWarning ? vscode.LanguageStatusSeverity.Warning : vscode.LanguageStatusSeverity.Information;
    if (errors && f) {
      // a failed live fetch with nothing cached is told by the live line below
      const broken = [...f.sources.filter((s) => s.error && s.kind !== 'live').map((s) => `${s.label}: ${s.error}`), ...(f.configError ? [`iam-refiner.json: ${f.configError}`] : [])];
      if (broken.length) this.item.detail = `${broken.join('; ')} · ${this.item.detail}`;
    }
    if (liveLine) {
      this.item.detail = `${liveLine} · ${this.item.detail}`;
      if (liveWarning && !errors) this.item.text = `$(warning) ${this.item.text}`;
    }
    if (f?.enabled && f.staleFindings?.length) {
      // findings older than maxFindingsAgeDays: a warning, with what to do
      this.item.severity = vscode.LanguageStatusSeverity.Warning;
      if (!this.item.text.startsWith('$(warning)')) this.item.text = `$(warning) ${this.item.text}`;
      this.item.detail = `${f.staleFindings.join('; ')} · ${this.item.detail}`;
    }
    if (f?.enabled && f.history && loaded.length) this.item.detail = `${this.item.detail} · ${f.history}`;
    if (f?.enabled && f.catalogStale) {
      // the findings show the catalog to be stale: wildcard refinements may drop actions AWS added since
      this.item.text = `$(warning) ${this.item.text.replace(/^\$\(warning\) /, '')}`;
      this.item.detail = `${f.catalogStale} · ${this.item.detail}`;
      this.item.severity = vscode.LanguageStatusSeverity.Warning;
    }
    this.item.busy = live?.state === 'fetching';
    // with live findings on, the item's action is the refresh; the log is one command away
    this.item.command = live && live.state !== 'untrusted' ? { title: 'Refresh', command: this.refreshCommand, tooltip: 'Fetch the findings from Access Analyzer again' } : { title: 'Show Log', command: this.showOutputCommand };
  }

  dispose(): void {
    this.changed.dispose();
    this.item.dispose();
  }
}

/** "catalog 0.21.202609261 (data of 2026-09-26)", "catalog updated 2026-12-02": the catalog's date is part of every result. */
function catalogLabel(p: StatusParams): string {
  if (!p.catalogDate) return `catalog ${p.catalogVersion}`;
  return p.catalogOrigin === 'cache' ? `catalog updated ${p.catalogDate}` : `catalog ${p.catalogVersion} (data of ${p.catalogDate})`;
}
