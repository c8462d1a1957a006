import { DEFAULT_SETTINGS } from '../../../shared/defaults';
import type { SeveritySetting, Settings } from '../../../shared/protocol';
import { MAX_GLOB_LENGTH } from '../core/project';

const SEVERITIES = new Set<SeveritySetting>(['error', 'warning', 'information', 'hint', 'off']);

function strings(v: unknown, fallback: string[]): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string' && x.length > 0);
  return fallback;
}

/** Globs as `strings`, without one longer than iam-refiner.json allows (the glob library throws past 65,536 characters): said with `warn`. */
function globs(name: string, v: unknown, fallback: string[], warn: (m: string) => void): string[] {
  const list = strings(v, fallback);
  const long = list.filter((g) => g.length > MAX_GLOB_LENGTH);
  if (!long.length) return list;
  for (const g of long) warn(`setting iamRefiner.${name}: a glob of ${g.length} characters (at most ${MAX_GLOB_LENGTH}) is not used${list.length === long.length ? ' (the default is)' : ''}: ${JSON.stringify(g.slice(0, 40))}…`);
  const kept = list.filter((g) => g.length <= MAX_GLOB_LENGTH);
  return kept.length ? kept : fallback;
}

function severity(v: unknown, fallback: SeveritySetting): SeveritySetting {
  return typeof v === 'string' && SEVERITIES.has(v as SeveritySetting) ? (v as SeveritySetting) : fallback;
}

function optString(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

/**
 * Settings from whatever the client sent (`workspace/configuration`, initializationOptions…), defaults filled in.
 * `live.endpoint` is never read here: a workspace must not redirect requests signed with the user's
 * credentials, so the endpoint comes only from the client's LiveClientOptions.
 */
export function normalizeSettings(raw: unknown, warn: (m: string) => void = () => {}): Settings {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, any>;
  const d = DEFAULT_SETTINGS;
  const sev = (r.severity && typeof r.severity === 'object' ? r.severity : {}) as Record<string, unknown>;
  const live = (r.live && typeof r.live === 'object' ? r.live : {}) as Record<string, unknown>;
  const rawInterval = live.refreshIntervalMinutes;
  const interval = typeof rawInterval === 'number' || (typeof rawInterval === 'string' && rawInterval.trim()) ? Number(rawInterval) : NaN;
  return {
    enable: typeof r.enable === 'boolean' ? r.enable : d.enable,
    findings: globs('findings', r.findings, d.findings, warn),
    include: globs('include', r.include, d.include, warn),
    exclude: globs('exclude', r.exclude, d.exclude, warn),
    severity: {
      unusedAction: severity(sev.unusedAction, d.severity.unusedAction),
      unusedWildcard: severity(sev.unusedWildcard, d.severity.unusedWildcard),
      unknownAction: severity(sev.unknownAction, d.severity.unknownAction),
    },
    live: {
      enabled: typeof live.enabled === 'boolean' ? live.enabled : d.live.enabled,
      region: optString(live.region),
      profile: optString(live.profile),
      analyzerArn: optString(live.analyzerArn),
      // 0: only when asked
      refreshIntervalMinutes: Number.isFinite(interval) && interval >= 0 ? interval : d.live.refreshIntervalMinutes,
    },
  };
}

/**
 * Settings per resource (workspace folder), fetched with `workspace/configuration` once and kept
 * until the client says they changed. Clients without that request get the settings they pushed.
 */
export class SettingsCache {
  private readonly cache = new Map<string, Promise<Settings>>();
  private pushed: unknown;

  constructor(private readonly fetch: ((scopeUri: string) => Promise<unknown>) | undefined, initial: unknown, private readonly log: (m: string) => void) {
    this.pushed = initial;
  }

  get(scopeUri: string): Promise<Settings> {
    let s = this.cache.get(scopeUri);
    if (!s) {
      const fetch = this.fetch;
      s = fetch
        ? fetch(scopeUri).then(
            (raw) => normalizeSettings(raw ?? this.pushed, this.log),
            (e) => {
              this.log(`workspace/configuration failed for ${scopeUri}: ${e instanceof Error ? e.message : e}`);
              return normalizeSettings(this.pushed, this.log);
            },
          )
        : Promise.resolve(normalizeSettings(this.pushed, this.log));
      this.cache.set(scopeUri, s);
    }
    return s;
  }

  /** `workspace/didChangeConfiguration`: forget everything; keep pushed settings for clients that push. */
  changed(pushed: unknown): void {
    if (pushed !== undefined && pushed !== null) this.pushed = pushed;
    this.cache.clear();
  }
}
