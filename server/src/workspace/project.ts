import * as path from 'node:path';
import {
  CONFIG_FILE,
  Catalog,
  Finding,
  InputError,
  ProjectConfig,
  emptyConfig,
  findingRoles,
  isUnusedPermission,
  matchesGlob,
  parseConfig,
  resolveUnused,
  universeFor,
  findingActionNames,
  judgedAt,
  ageInDays,
  DEFAULT_MAX_FINDINGS_AGE_DAYS,
  EVIDENCE_NAMES,
  catalogStaleness,
} from '../core';
import { DEFAULT_FINDINGS_GLOBS } from '../../../shared/defaults';
import type { FindingsSourceStatus, FolderStatus, Settings } from '../../../shared/protocol';
import { FindingsProvider, FindingsSource, FolderInfo } from './findingsProvider';
import { pathKey, pathToUri, relativePosix } from './paths';

export interface ProjectHost {
  settings(scopeUri: string): Promise<Settings>;
  /** Open document text, else the disk, else undefined. */
  readText(absPath: string): Promise<string | undefined>;
  providers(): FindingsProvider[];
  catalog(): Catalog;
  log(message: string): void;
  /** One sentence: whether the folder has a git history (lines newer than the findings are spared). */
  historyNote?(dir: string | undefined): Promise<string>;
  /** The clock (tests set it). */
  now?(): number;
}

/** What one reload of a folder produced; replaced as a whole, never mutated. */
export interface ProjectSnapshot {
  generation: number;
  settings: Settings;
  config: ProjectConfig;
  configUri?: string;
  configPresent: boolean;
  configError?: InputError | Error;
  globs: string[];
  defaultGlobs: boolean;
  sources: FindingsSource[];
  findings: Finding[];
  status: FolderStatus;
}

/** A workspace folder (or the directory of a file outside every folder): its configuration and findings. */
export class Project {
  private current: ProjectSnapshot | undefined;
  private loading: Promise<ProjectSnapshot> | undefined;
  private dirty = false;
  private generation = 0;
  private disposed = false;

  constructor(readonly folder: FolderInfo, private readonly host: ProjectHost, private readonly onReloaded: (p: Project) => void) {}

  get snapshot(): ProjectSnapshot | undefined {
    return this.current;
  }

  /** The latest snapshot, loading it first if needed. */
  async ready(): Promise<ProjectSnapshot> {
    if (this.loading) return this.loading;
    if (this.current && !this.dirty) return this.current;
    return this.reload();
  }

  /** Marks the project stale and reloads it (calls coalesce: one reload runs at a time, then the latest). */
  reload(): Promise<ProjectSnapshot> {
    this.dirty = true;
    if (!this.loading) {
      this.loading = (async () => {
        try {
          let snap: ProjectSnapshot | undefined;
          while (this.dirty && !this.disposed) {
            this.dirty = false;
            snap = await this.load();
          }
          if (snap) this.report(snap);
          this.current = snap ?? this.current!;
          return this.current;
        } finally {
          this.loading = undefined;
        }
      })();
      this.loading.then(
        () => !this.disposed && this.onReloaded(this),
        (e) => this.host.log(`reloading ${this.folder.name} failed: ${e instanceof Error ? e.stack : e}`),
      );
    }
    return this.loading;
  }

  dispose(): void {
    this.disposed = true;
  }

  get configPath(): string | undefined {
    return this.folder.configFile ?? (this.folder.path ? path.join(this.folder.path, CONFIG_FILE) : undefined);
  }

  relPath(absPath: string): string | undefined {
    return this.folder.path ? relativePosix(this.folder.path, absPath) : undefined;
  }

  isConfigFile(absPath: string): boolean {
    const c = this.configPath;
    return !!c && pathKey(c) === pathKey(absPath);
  }

  /** Whether a file is this project's iam-refiner.json or one of its findings files (never analysed as a policy; a change reloads the project). */
  isProjectFile(absPath: string): boolean {
    return this.isConfigFile(absPath) || this.isFindingsFile(absPath);
  }

  /** Whether a file is (or would be) read as a findings file. */
  isFindingsFile(absPath: string): boolean {
    const rel = this.relPath(absPath);
    const snap = this.current;
    if (!rel || !snap) return false;
    return snap.globs.some((g) => matchesGlob(g, rel));
  }

  private async load(): Promise<ProjectSnapshot> {
    const generation = ++this.generation;
    const settings = await this.host.settings(this.folder.uri);
    let config = emptyConfig();
    let configError: Error | undefined;
    let configPresent = false;
    const configPath = this.configPath;
    if (configPath) {
      const text = await this.host.readText(configPath);
      if (text !== undefined) {
        configPresent = true;
        try {
          config = parseConfig(this.folder.configFile ? path.basename(configPath) : CONFIG_FILE, text);
        } catch (e) {
          configError = e instanceof Error ? e : new Error(String(e));
          this.host.log(`${this.folder.name}: ${configError.message}`);
        }
      }
    }
    if (this.folder.roles?.length) config = { ...config, roles: [{ glob: '**', roles: this.folder.roles }] };
    const named = [...config.findings, ...settings.findings];
    const defaultGlobs = named.length === 0;
    const globs = defaultGlobs ? [...DEFAULT_FINDINGS_GLOBS] : [...new Set(named)];
    const sources: FindingsSource[] = [];
    for (const provider of this.host.providers()) {
      try {
        sources.push(
          ...(await provider.load({
            folder: this.folder,
            settings,
            globs,
            config,
            configInvalid: !!configError,
            readText: (p) => this.host.readText(p),
            isCancelled: () => this.dirty || this.disposed,
          })),
        );
      } catch (e) {
        this.host.log(`findings provider ${provider.id} failed for ${this.folder.name}: ${e instanceof Error ? e.stack : e}`);
        sources.push({ id: `${provider.id}:error`, kind: provider.id, label: provider.id, findings: [], error: e instanceof Error ? e : new Error(String(e)) });
      }
    }
    const findings = sources.flatMap((s) => s.findings);
    const snap: ProjectSnapshot = {
      generation,
      settings,
      config,
      configUri: configPath ? pathToUri(configPath) : undefined,
      configPresent,
      configError,
      globs,
      defaultGlobs,
      sources,
      findings,
      status: undefined as unknown as FolderStatus,
    };
    snap.status = this.describe(snap);
    try {
      // undated findings (the list format) cannot be compared with the file's history, git or not
      const dated = findings.some((f) => isUnusedPermission(f) && judgedAt(f) !== undefined);
      const undated = findings.some((f) => isUnusedPermission(f));
      const history = dated ? await this.host.historyNote?.(this.folder.path) : undated ? 'findings undated: every line is judged by them' : undefined;
      if (history) snap.status.history = history;
    } catch (e) {
      this.host.log(`git history of ${this.folder.name}: ${e instanceof Error ? e.message : e}`);
    }
    return snap;
  }

  private report(snap: ProjectSnapshot): void {
    const { configPresent, configError, sources } = snap;
    for (const s of sources) if (s.error) this.host.log(`${this.folder.name}: findings ${s.label}: ${s.error.message}`);
    this.host.log(
      `${this.folder.name}: ${sources.length} findings source(s) [${sources.map((s) => s.label).join(', ')}], ${snap.status.roles.length} role(s), ${snap.status.unusedActions} unused action(s)${configPresent ? `, ${CONFIG_FILE}${configError ? ' (invalid)' : ''}` : ''}`,
    );
  }

  private describe(snap: ProjectSnapshot): FolderStatus {
    const relevant = snap.findings.filter(isUnusedPermission);
    const roles = findingRoles(relevant);
    let unusedActions = 0;
    try {
      const catalog = this.host.catalog();
      const universe = universeFor(catalog, findingActionNames(relevant));
      const all = new Set<number>();
      const groups = roles.length ? roles.map((r) => [r]) : [undefined];
      for (const g of groups) for (const i of resolveUnused(relevant, universe, g).indexes) all.add(i);
      unusedActions = all.size;
    } catch (e) {
      this.host.log(`counting unused actions failed: ${e instanceof Error ? e.message : e}`);
    }
    const sources: FindingsSourceStatus[] = snap.sources.map((s) => ({
      kind: s.kind,
      label: s.label,
      uri: s.uri,
      roles: findingRoles(s.findings),
      findings: s.findings.length,
      analyzedAt: s.analyzedAt,
      error: s.error?.message,
      ...(s.live ? { live: s.live } : {}),
    }));
    let catalogStale: string | undefined;
    try {
      catalogStale = catalogStaleness(this.host.catalog(), snap.findings)?.message;
    } catch {
      /* the catalog could not be loaded: counted above */
    }
    const dates = snap.sources.filter((s) => !s.error && s.findings.length).map((s) => s.analyzedAt).filter((d): d is string => !!d).sort();
    return {
      uri: this.folder.uri,
      name: this.folder.name,
      configUri: snap.configPresent ? snap.configUri : undefined,
      configError: snap.configError?.message,
      findingsGlobs: snap.globs,
      defaultGlobs: snap.defaultGlobs,
      sources,
      roles,
      unusedActions,
      oldestAnalyzedAt: dates[0],
      newestAnalyzedAt: dates[dates.length - 1],
      enabled: snap.settings.enable,
      ...stale(snap, this.host.now?.() ?? Date.now()),
      ...(catalogStale ? { catalogStale } : {}),
    };
  }
}

/** "deployer.json (Access Analyzer, role Deployer): findings of 2026-10-01 are 62 days old (maxFindingsAgeDays 30)". */
export function staleFindingsOf(sources: FindingsSource[], maxDays: number, now: number): string[] {
  const out: string[] = [];
  for (const s of sources) {
    if (s.error) continue;
    const groups = new Map<string, { date: string; evidence: string }>();
    for (const f of s.findings.filter(isUnusedPermission)) {
      const d = judgedAt(f);
      if (!d) continue;
      const key = f.resource ?? '';
      const g = groups.get(key);
      if (!g || Date.parse(d) < Date.parse(g.date)) groups.set(key, { date: d, evidence: EVIDENCE_NAMES[f.evidence ?? 'access-analyzer'] });
    }
    for (const [role, g] of groups) {
      const age = ageInDays(g.date, now)!;
      if (age > maxDays) out.push(`${s.label} (${g.evidence}${role ? `, role ${role.slice(role.lastIndexOf('/') + 1)}` : ''}): findings of ${g.date.slice(0, 10)} are ${age} days old (maxFindingsAgeDays ${maxDays}); fetch them again`);
    }
  }
  return out;
}

function stale(snap: ProjectSnapshot, now: number): { staleFindings?: string[] } {
  const list = staleFindingsOf(snap.sources, snap.config.maxFindingsAgeDays ?? DEFAULT_MAX_FINDINGS_AGE_DAYS, now);
  return list.length ? { staleFindings: list } : {};
}

/** Include/exclude globs of iam-refiner.json and the settings, for a policy file's relative path. */
export function isAnalysed(relPath: string | undefined, snap: ProjectSnapshot): boolean {
  if (!relPath) return true;
  const include = [...snap.config.include, ...snap.settings.include];
  const exclude = [...snap.config.exclude, ...snap.settings.exclude];
  if (include.length && !include.some((g) => matchesGlob(g, relPath))) return false;
  return !exclude.some((g) => matchesGlob(g, relPath));
}

