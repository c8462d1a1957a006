import { Node } from 'jsonc-parser';
import { Catalog } from './catalog';
import { Finding, FindingsFile, findingActionNames, findingRoles, isUnusedPermission, resolveUnused, UnusedSet } from './findings';
import { ParsedDocument } from './model';
import { InputError, parseJsoncStrict, propertyValue } from './text';
import { matchesGlob } from './globs';
import { Universe } from './universe';

export const CONFIG_FILE = 'iam-refiner.json';

/** `iam-refiner.json`: where findings come from and which roles each policy file belongs to. */
export interface ProjectConfig {
  file?: string;
  findings: string[];
  roles: { glob: string; roles: string[] }[];
  include: string[];
  exclude: string[];
  /** Lines changed this many days before the findings are not judged either (default 0). */
  gracePeriodDays?: number;
  /** Findings older than this many days are reported as stale (default DEFAULT_MAX_FINDINGS_AGE_DAYS). */
  maxFindingsAgeDays?: number;
}

export const DEFAULT_MAX_FINDINGS_AGE_DAYS = 30;

export const emptyConfig = (): ProjectConfig => ({ findings: [], roles: [], include: [], exclude: [] });

function days(file: string, text: string, node: Node | undefined, key: string): number | undefined {
  if (!node) return undefined;
  if (node.type !== 'number' || !Number.isFinite(node.value) || node.value < 0) throw InputError.at(file, text, node.offset, `"${key}" must be a number of days (0 or more)`);
  return node.value as number;
}

function stringList(file: string, text: string, node: Node | undefined, what: string): string[] {
  if (!node) return [];
  if (node.type === 'string') return [node.value];
  if (node.type !== 'array') throw InputError.at(file, text, node.offset, `"${what}" must be an array of strings`);
  return (node.children ?? []).map((c) => {
    if (c.type !== 'string') throw InputError.at(file, text, c.offset, `"${what}" must hold strings`);
    return c.value as string;
  });
}

/** A longer glob is refused with its place (the glob library refuses over 65,536 characters with an exception; no real one comes near this). */
export const MAX_GLOB_LENGTH = 4096;

function checkGlob(file: string, text: string, node: Node, glob: string): string {
  if (glob.length > MAX_GLOB_LENGTH) throw InputError.at(file, text, node.offset, `a glob of ${glob.length} characters (at most ${MAX_GLOB_LENGTH})`);
  return glob;
}

function globList(file: string, text: string, node: Node | undefined, what: string): string[] {
  const list = stringList(file, text, node, what);
  list.forEach((g, i) => checkGlob(file, text, node!.type === 'array' ? node!.children![i] : node!, g));
  return list;
}

const KNOWN_KEYS = new Set(['$schema', 'findings', 'roles', 'include', 'exclude', 'gracePeriodDays', 'maxFindingsAgeDays']);

export function parseConfig(file: string, text: string): ProjectConfig {
  const root = parseJsoncStrict(file, text);
  if (root.type !== 'object') throw InputError.at(file, text, root.offset, `${CONFIG_FILE} must hold an object`);
  for (const p of root.children ?? []) {
    const key = p.children![0];
    if (!KNOWN_KEYS.has(key.value)) throw InputError.at(file, text, key.offset, `unknown setting "${key.value}" (known: ${[...KNOWN_KEYS].filter((k) => k !== '$schema').join(', ')})`);
  }
  const cfg: ProjectConfig = {
    file,
    findings: globList(file, text, propertyValue(root, 'findings'), 'findings'),
    roles: [],
    include: globList(file, text, propertyValue(root, 'include'), 'include'),
    exclude: globList(file, text, propertyValue(root, 'exclude'), 'exclude'),
  };
  const grace = days(file, text, propertyValue(root, 'gracePeriodDays'), 'gracePeriodDays');
  if (grace !== undefined) cfg.gracePeriodDays = grace;
  const maxAge = days(file, text, propertyValue(root, 'maxFindingsAgeDays'), 'maxFindingsAgeDays');
  if (maxAge !== undefined) cfg.maxFindingsAgeDays = maxAge;
  const roles = propertyValue(root, 'roles');
  if (roles) {
    if (roles.type !== 'object') throw InputError.at(file, text, roles.offset, '"roles" must map a policy file glob to role ARNs');
    for (const p of roles.children ?? []) {
      const list = stringList(file, text, p.children![1], `roles.${p.children![0].value}`);
      for (const arn of list) {
        if (!/^arn:aws[\w-]*:iam::\d{12}:role\/./.test(arn)) {
          const at = (p.children![1].children ?? [p.children![1]]).find((c) => c.value === arn) ?? p;
          throw InputError.at(file, text, at.offset, `"${arn}" is not a role ARN (arn:aws:iam::123456789012:role/Name)`);
        }
      }
      cfg.roles.push({ glob: checkGlob(file, text, p.children![0], p.children![0].value), roles: list });
    }
  }
  return cfg;
}

/** `Deployer` for `arn:aws:iam::123456789012:role/path/Deployer`. */
export function roleName(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

export type Binding =
  /** The findings carry no role, or one: they apply as they are. */
  | { kind: 'all'; roles: string[] }
  | { kind: 'roles'; roles: string[]; via: 'config' | 'file name' | 'flag' | 'setting' | 'code' }
  /** Several roles, and nothing says which this file belongs to. */
  | { kind: 'ambiguous'; candidates: string[] }
  | { kind: 'no-findings' };

/** Which roles' findings count for a policy file (`relPath` relative to the project root). */
export function bindPolicy(relPath: string, config: ProjectConfig, findings: Finding[]): Binding {
  const fromConfig = config.roles.filter((r) => matchesGlob(r.glob, relPath)).flatMap((r) => r.roles);
  if (fromConfig.length) return { kind: 'roles', roles: [...new Set(fromConfig)], via: 'config' };
  const relevant = findings.filter(isUnusedPermission);
  if (findings.length === 0) return { kind: 'no-findings' };
  const roles = findingRoles(relevant);
  if (roles.length <= 1) return { kind: 'all', roles };
  const base = relPath.slice(relPath.replace(/\\/g, '/').lastIndexOf('/') + 1).toLowerCase().replace(/\.jsonc?$/, '').replace(/[.-]?(policy|iam|role)$/, '');
  const named = roles.filter((r) => roleName(r).toLowerCase() === base);
  if (named.length === 1) return { kind: 'roles', roles: named, via: 'file name' };
  return { kind: 'ambiguous', candidates: roles };
}

/** Every literal action named in a document's policies (for the universe). */
export function documentActionNames(doc: ParsedDocument): string[] {
  const out: string[] = [];
  for (const p of doc.policies) for (const s of p.statements) for (const e of s.entries) out.push(e.value);
  return out;
}

/**
 * What a findings snapshot gives every document, computed once per snapshot (the array's identity)
 * and shared by every document and keystroke: its extra names, its unused-permission findings and
 * roles, and per universe and role choice the unused set.
 */
interface FindingsFacts {
  /** lower-cased name -> first spelling, of the names the catalog lacks. */
  extras: Map<string, string>;
  relevant: Finding[];
  roles: string[];
  unused: WeakMap<Universe, Map<string, UnusedSet>>;
  /** Each document entry text seen -> its lower-cased name when it is a full name neither the catalog nor the findings have, else null (a keystroke asks again for every entry). */
  entryExtras: Map<string, string | null>;
}

const factsCache = new WeakMap<Catalog, WeakMap<Finding[], FindingsFacts>>();

function findingsFacts(catalog: Catalog, findings: Finding[]): FindingsFacts {
  let byFindings = factsCache.get(catalog);
  if (!byFindings) factsCache.set(catalog, (byFindings = new WeakMap()));
  let f = byFindings.get(findings);
  if (!f) {
    const extras = new Map<string, string>();
    addExtras(catalog, extras, findingActionNames(findings));
    const relevant = findings.filter(isUnusedPermission);
    f = { extras, relevant, roles: findingRoles(relevant), unused: new WeakMap(), entryExtras: new Map() };
    byFindings.set(findings, f);
  }
  return f;
}

function addExtras(catalog: Catalog, into: Map<string, string>, names: Iterable<string>): void {
  for (const n of names) {
    const l = catalog.lackedName(n);
    if (l !== undefined && !into.has(l)) into.set(l, n);
  }
}

/** resolveUnused, once per findings snapshot, universe and choice of roles. */
function unusedFor(facts: FindingsFacts, findings: Finding[], universe: Universe, roles: string[] | undefined): UnusedSet {
  let byRoles = facts.unused.get(universe);
  if (!byRoles) facts.unused.set(universe, (byRoles = new Map()));
  const key = roles ? roles.join('\n') : '\u0000all';
  let u = byRoles.get(key);
  if (!u) byRoles.set(key, (u = resolveUnused(findings, universe, roles)));
  return u;
}

/** Universes by their extra names, most recent last (a document that adds no name shares its findings' universe). */
const universeCache = new WeakMap<Catalog, Map<string, Universe>>();
const UNIVERSES_KEPT = 16;

function cachedUniverse(catalog: Catalog, extras: Map<string, string>): Universe {
  let byKey = universeCache.get(catalog);
  if (!byKey) universeCache.set(catalog, (byKey = new Map()));
  // keyed by each extra name as first spelt, so a document's output never takes another document's spelling
  const names = [...extras.values()].sort();
  const key = names.join('\n');
  let u = byKey.get(key);
  if (u) byKey.delete(key);
  else u = new Universe(catalog, names);
  byKey.set(key, u);
  if (byKey.size > UNIVERSES_KEPT) byKey.delete(byKey.keys().next().value as string);
  return u;
}

/** The universe for a document and its findings, cached by its extra names (most documents add none). */
export function universeFor(catalog: Catalog, names: string[]): Universe {
  const extras = new Map<string, string>();
  addExtras(catalog, extras, names);
  return cachedUniverse(catalog, extras);
}

/** The universe of a document under a findings snapshot: the snapshot's, unless the document names actions neither knows. */
function documentUniverse(catalog: Catalog, facts: FindingsFacts, doc: ParsedDocument): Universe {
  let extras = facts.extras;
  const memo = facts.entryExtras;
  for (const p of doc.policies)
    for (const st of p.statements)
      for (const e of st.entries) {
        const n = e.value;
        let l = memo.get(n);
        if (l === undefined) {
          const lacked = catalog.lackedName(n);
          l = lacked === undefined || facts.extras.has(lacked) ? null : lacked;
          if (memo.size >= ENTRY_EXTRAS_KEPT) memo.clear();
          memo.set(n, l);
        }
        if (l === null || extras.has(l)) continue;
        if (extras === facts.extras) extras = new Map(facts.extras);
        extras.set(l, n);
      }
  return cachedUniverse(catalog, extras);
}
const ENTRY_EXTRAS_KEPT = 50_000;

export interface DocumentContext {
  universe: Universe;
  unused?: UnusedSet;
  binding: Binding;
  /** Per policy, where the host code attaches it to named roles: the unused set of those roles (see RefineContext.unusedByPolicy). */
  unusedByPolicy?: (UnusedSet | undefined)[];
  /** Per policy: the role ARNs it was bound to by its code. */
  policyRoles?: (string[] | undefined)[];
  /** Per statement (`"policy.statement"`): the unused set sparing its entries newer than the findings (core/judged.ts). */
  unusedByStatement?: Map<string, UnusedSet>;
}

const nothingUnused = (roles: string[]): UnusedSet => ({ indexes: new Set(), info: new Map(), roles });

/**
 * The universe and unused set for one document: the one place the CLI and the server decide this.
 * iam-refiner.json (and --role) bind the whole file and win; otherwise a policy whose host code
 * names the roles it is attached to (Terraform, CloudFormation) is bound to those roles' findings,
 * matched by role name; a named role without findings leaves nothing unused in its policy.
 */
export function documentContext(catalog: Catalog, doc: ParsedDocument, findings: Finding[], binding: Binding): DocumentContext {
  const facts = findingsFacts(catalog, findings);
  const universe = documentUniverse(catalog, facts, doc);
  const explicit = binding.kind === 'roles' && (binding.via === 'config' || binding.via === 'flag' || binding.via === 'setting');
  const { relevant, roles } = facts;
  const unusedOf = (r: string[] | undefined) => unusedFor(facts, findings, universe, r);
  if (!explicit && binding.kind !== 'no-findings' && roles.length && doc.policies.some((p) => p.attachedRoles?.length)) {
    const policyRoles = doc.policies.map((p) => (p.attachedRoles?.length ? roles.filter((r) => p.attachedRoles!.some((n) => n.toLowerCase() === roleName(r).toLowerCase())) : undefined));
    const unusedByPolicy = policyRoles.map((arns) => (arns === undefined ? undefined : arns.length ? resolveUnusedCached(facts, relevant, universe, arns) : nothingUnused([])));
    if (policyRoles.every((r) => r !== undefined)) {
      const all = [...new Set(policyRoles.flat() as string[])];
      return { universe, unused: nothingUnused(all), binding: { kind: 'roles', roles: all, via: 'code' }, unusedByPolicy, policyRoles };
    }
    if (binding.kind === 'ambiguous') return { universe, unused: nothingUnused([]), binding, unusedByPolicy, policyRoles };
    const unused = unusedOf(binding.kind === 'roles' ? binding.roles : undefined);
    return { universe, unused, binding, unusedByPolicy, policyRoles };
  }
  if (binding.kind === 'ambiguous' || binding.kind === 'no-findings') return { universe, binding };
  const unused = unusedOf(binding.kind === 'roles' ? binding.roles : undefined);
  return { universe, unused, binding };
}

/** resolveUnused over the unused-permission findings alone (for roles named in the code), cached like unusedFor. */
function resolveUnusedCached(facts: FindingsFacts, relevant: Finding[], universe: Universe, roles: string[]): UnusedSet {
  let byRoles = facts.unused.get(universe);
  if (!byRoles) facts.unused.set(universe, (byRoles = new Map()));
  const key = 'relevant\n' + roles.join('\n');
  let u = byRoles.get(key);
  if (!u) byRoles.set(key, (u = resolveUnused(relevant, universe, roles)));
  return u;
}

export function allFindings(files: FindingsFile[]): Finding[] {
  return files.flatMap((f) => f.findings);
}
