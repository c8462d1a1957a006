/**
 * fast-check generators for policies (as JSONC text in random layouts) and findings whose actions
 * come from the real catalog. Used by the property tests; a case is built with `fc.gen()` so that a
 * failure shrinks to a small policy.
 */
import fc from 'fast-check';
import { Catalog, Finding, parseFindings } from '../../server/src/core';
import { RefUniverse, refBoundaries, refSplitWords } from './oracle';

type G = fc.GeneratorValue;

/** A deterministic PRNG (mulberry32) for layout details that need not shrink. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const POPULAR = [
  's3', 'ec2', 'iam', 'lambda', 'dynamodb', 'kms', 'logs', 'sqs', 'sns', 'cloudwatch', 'ssm', 'rds', 's3express', 'sts',
  'secretsmanager', 'ecr', 'ecs', 'eks', 'cloudformation', 'glue', 'athena', 'vpc-lattice', 'aws-marketplace-management',
  'cloudsearch', 'compute-optimizer', 'comprehendmedical', 'cloud9', 'organizations', 'bedrock',
];

export class CatalogPools {
  readonly services: string[];
  readonly popular: string[];
  /** service -> canonical full names */
  readonly names = new Map<string, string[]>();
  constructor(readonly catalog: Catalog) {
    for (const [p, s] of catalog.services) if (s.actions.length) this.names.set(p, s.actions.map((a) => `${p}:${a}`));
    this.services = [...this.names.keys()];
    this.popular = POPULAR.filter((p) => this.names.has(p));
  }
}

// ---------------------------------------------------------------------------------------------
// Action patterns

const pick = <T>(g: G, list: readonly T[]): T => list[g(fc.nat, { max: list.length - 1 })];

function recase(g: G, s: string): string {
  const mode = g(fc.constantFrom, 'as-is', 'as-is', 'as-is', 'as-is', 'lower', 'upper', 'mixed');
  if (mode === 'lower') return s.toLowerCase();
  if (mode === 'upper') return s.toUpperCase();
  if (mode === 'mixed') {
    const r = prng(g(fc.nat));
    return [...s].map((c) => (r() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join('');
  }
  return s;
}

const SUFFIXES = ['V2', 'Beta', 'Preview', 'Configuration', 'Ex', 'Object', '2', 'Acl', 'Tagging'];

/** An action named after a real one that the catalog does not have (an action newer than the catalog). */
export function newerAction(g: G, catalog: Catalog, name: string): string {
  const colon = name.indexOf(':');
  const words = refSplitWords(name.slice(colon + 1));
  const kind = g(fc.constantFrom, 'suffix', 'suffix', 'infix', 'fresh');
  let out: string;
  if (kind === 'suffix') out = name + pick(g, SUFFIXES);
  else if (kind === 'infix') {
    const k = g(fc.integer, { min: 1, max: Math.max(1, words.length) });
    out = name.slice(0, colon + 1) + words.slice(0, k).join('') + pick(g, SUFFIXES) + words.slice(k).join('');
  } else out = `${name.slice(0, colon + 1)}${words[0] ?? 'Do'}Quantum${pick(g, SUFFIXES)}`;
  while (catalog.has(out)) out += 'X';
  return out;
}

export type PatternKind = 'literal' | 'word-prefix' | 'mid-word' | 'question' | 'infix' | 'suffix' | 'service' | 'service-prefix' | 'star' | 'newer';

/** A pattern made from a real action name. `newer` literals are returned in `newer` too. */
export function genPattern(g: G, catalog: Catalog, name: string, allowStar: boolean, newer: string[]): string {
  // now and then a value padded with a space: IAM would reject it, the engine must stay exact anyway
  if (g(fc.integer, { min: 0, max: 60 }) === 0) {
    const inner = genPattern(g, catalog, name, allowStar, newer);
    return g(fc.boolean) ? ` ${inner}` : `${inner} `;
  }
  const colon = name.indexOf(':');
  const svc = name.slice(0, colon);
  const act = name.slice(colon + 1);
  const kinds: PatternKind[] = ['literal', 'literal', 'literal', 'word-prefix', 'word-prefix', 'word-prefix', 'word-prefix', 'mid-word', 'mid-word', 'question', 'infix', 'suffix', 'service', 'service-prefix', 'newer'];
  const kind = allowStar && g(fc.integer, { min: 0, max: 30 }) === 0 ? 'star' : pick(g, kinds);
  const words = refSplitWords(act);
  switch (kind) {
    case 'literal':
      return recase(g, name);
    case 'word-prefix': {
      const bs = refBoundaries(name);
      return recase(g, name.slice(0, pick(g, bs)) + '*');
    }
    case 'mid-word':
      return recase(g, name.slice(0, colon + 1 + g(fc.integer, { min: 0, max: act.length })) + '*');
    case 'question': {
      const chars = [...act];
      const n = g(fc.integer, { min: 1, max: 2 });
      for (let k = 0; k < n; k++) chars[g(fc.nat, { max: chars.length - 1 })] = '?';
      let s = chars.join('');
      if (g(fc.boolean)) s = s.slice(0, g(fc.integer, { min: 1, max: s.length })) + '*';
      return recase(g, `${svc}:${s}`);
    }
    case 'infix': {
      const w = pick(g, words);
      const lead = g(fc.boolean) && words.length > 1 && words[0] !== w ? words[0] : '';
      return recase(g, `${g(fc.integer, { min: 0, max: 9 }) === 0 ? '*' : svc + ':'}${lead}*${w}*`);
    }
    case 'suffix':
      return recase(g, `${svc}:*${words[words.length - 1]}`);
    case 'service':
      return `${svc}:*`;
    case 'service-prefix':
      return `${svc.slice(0, g(fc.integer, { min: Math.min(2, svc.length), max: svc.length }))}*`;
    case 'star':
      // now and then written another way that also stands for every action
      return g(fc.integer, { min: 0, max: 9 }) === 0 ? pick(g, ['**', '*:*', '?*', '*?*']) : '*';
    case 'newer': {
      const n = newerAction(g, catalog, name);
      newer.push(n);
      return n;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Policies as values

export interface StatementSpec {
  effect: 'Allow' | 'Deny';
  key: 'Action' | 'NotAction';
  values: string[];
  asString: boolean;
  /** The statement as an object, keys in writing order. */
  object: Record<string, unknown>;
}

export interface PolicySpec {
  statements: StatementSpec[];
  singleObject: boolean;
  value: Record<string, unknown>;
  /** Not-in-catalog names the policy mentions. */
  newer: string[];
  /** The services actions were drawn from. */
  focus: string[];
}

export interface PolicyOptions {
  effects?: ('Allow' | 'Deny')[];
  /** Statements with a Principal (resource/trust policy statements, never refined); default: now and then. */
  principal?: boolean;
  notAction?: boolean;
  star?: boolean;
  maxStatements?: number;
}

export function genFocus(g: G, pools: CatalogPools): string[] {
  const n = g(fc.integer, { min: 1, max: 3 });
  const out = new Set<string>();
  for (let k = 0; k < n; k++) out.add(g(fc.integer, { min: 0, max: 3 }) === 0 ? pick(g, pools.services) : pick(g, pools.popular));
  return [...out];
}

export function genPolicy(g: G, pools: CatalogPools, opts: PolicyOptions = {}): PolicySpec {
  const focus = genFocus(g, pools);
  const pool = focus.flatMap((s) => pools.names.get(s)!);
  const newer: string[] = [];
  const n = g(fc.integer, { min: 1, max: opts.maxStatements ?? 4 });
  const statements: StatementSpec[] = [];
  for (let i = 0; i < n; i++) {
    const effect = pick(g, opts.effects ?? (['Allow', 'Allow', 'Allow', 'Deny'] as const));
    const key = opts.notAction !== false && g(fc.integer, { min: 0, max: 7 }) === 0 ? 'NotAction' : 'Action';
    const count = g(fc.integer, { min: 1, max: 7 });
    const values: string[] = [];
    for (let k = 0; k < count; k++) values.push(genPattern(g, pools.catalog, pick(g, pool), opts.star !== false && key === 'Action' && effect === 'Allow', newer));
    if (count > 1 && g(fc.integer, { min: 0, max: 9 }) === 0) values.push(pick(g, values)); // a repeated entry
    const asString = values.length === 1 && g(fc.boolean);
    const fields: [string, unknown][] = [];
    if (g(fc.boolean)) fields.push(['Sid', `Stmt${i}${g(fc.boolean) ? 'Read' : ''}`]);
    fields.push(['Effect', effect]);
    fields.push([key, asString ? values[0] : values]);
    const res = g(fc.constantFrom, 'star', 'arn', 'list', 'none', 'not');
    if (res === 'star') fields.push(['Resource', '*']);
    else if (res === 'arn') fields.push(['Resource', `arn:aws:s3:::bucket-${i}/*`]);
    else if (res === 'list') fields.push(['Resource', [`arn:aws:s3:::bucket-${i}`, `arn:aws:s3:::bucket-${i}/*`]]);
    else if (res === 'not') fields.push(['NotResource', `arn:aws:iam::*:role/admin-${i}`]);
    if (g(fc.integer, { min: 0, max: 3 }) === 0) fields.push(['Condition', { StringEquals: { 'aws:RequestedRegion': ['us-east-1', 'eu-west-1'] }, Bool: { 'aws:SecureTransport': 'true' } }]);
    if (opts.principal !== false && g(fc.integer, { min: 0, max: 5 }) === 0) fields.push(['Principal', { AWS: `arn:aws:iam::12345678901${i}:root` }]);
    // random key order
    const r = prng(g(fc.nat));
    for (let k = fields.length - 1; k > 0; k--) {
      const j = Math.floor(r() * (k + 1));
      [fields[k], fields[j]] = [fields[j], fields[k]];
    }
    statements.push({ effect, key, values, asString, object: Object.fromEntries(fields) });
  }
  const singleObject = statements.length === 1 && g(fc.boolean);
  const top: [string, unknown][] = [
    ['Version', '2012-10-17'],
    ['Statement', singleObject ? statements[0].object : statements.map((s) => s.object)],
  ];
  if (g(fc.integer, { min: 0, max: 4 }) === 0) top.push(['Id', 'policy-under-test']);
  if (g(fc.boolean)) top.reverse();
  return { statements, singleObject, value: Object.fromEntries(top), newer, focus };
}

// ---------------------------------------------------------------------------------------------
// JSONC writing, in random layouts

export interface Layout {
  indent: string;
  eol: string;
  colon: string;
  inlineArrays: number;
  compactObjects: number;
  trailingCommas: number;
  comments: number;
  jitter: number;
  escapes: number;
  seed: number;
}

export function genLayout(g: G): Layout {
  return {
    indent: g(fc.constantFrom, '  ', '    ', '\t', ' ', '   '),
    eol: g(fc.constantFrom, '\n', '\r\n'),
    colon: g(fc.constantFrom, ': ', ': ', ' : ', ':'),
    inlineArrays: g(fc.constantFrom, 0, 0.3, 1),
    compactObjects: g(fc.constantFrom, 0, 0, 0.3),
    trailingCommas: g(fc.constantFrom, 0, 0, 0.5),
    comments: g(fc.constantFrom, 0, 0.15, 0.4),
    jitter: g(fc.constantFrom, 0, 0, 0.3),
    escapes: g(fc.constantFrom, 0, 0, 0.1),
    seed: g(fc.nat),
  };
}

/** Writes a JSON value as JSONC text; comments carry unique numbers so tests can follow them. */
export function writeJsonc(value: unknown, layout: Layout): string {
  const r = prng(layout.seed);
  let n = 0;
  const chance = (p: number) => p > 0 && r() < p;
  const block = () => (chance(layout.comments) ? `/* c${n++} */` : '');
  const ind = (d: number) => layout.indent.repeat(d) + (chance(layout.jitter) ? ' '.repeat(1 + Math.floor(r() * 2)) : '');
  const str = (s: string) => {
    const q = JSON.stringify(s);
    if (!chance(layout.escapes) || s.length === 0) return q;
    const k = 1 + Math.floor(r() * s.length); // position in q (skipping the opening quote)
    const c = q[k];
    if (c === '\\' || c === '"' || k >= q.length - 1) return q;
    return q.slice(0, k) + '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0') + q.slice(k + 1);
  };
  const write = (v: unknown, d: number, inline: boolean): string => {
    if (typeof v === 'string') return str(v);
    if (v === null || typeof v !== 'object') return JSON.stringify(v);
    const isArr = Array.isArray(v);
    const items: [string | undefined, unknown][] = isArr ? (v as unknown[]).map((x) => [undefined, x]) : Object.entries(v as object);
    const [open, close] = isArr ? ['[', ']'] : ['{', '}'];
    if (items.length === 0) return open + close;
    const one = inline || (isArr ? chance(layout.inlineArrays) : chance(layout.compactObjects));
    const head = (k: string | undefined) => (k === undefined ? '' : str(k) + layout.colon);
    if (one) {
      const sep = r() < 0.7 ? ', ' : ',';
      const pad = !isArr && r() < 0.7 ? ' ' : '';
      const parts = items.map(([k, x]) => {
        const c1 = block();
        const c2 = block();
        return (c1 ? c1 + ' ' : '') + head(k) + write(x, d + 1, true) + (c2 ? ' ' + c2 : '');
      });
      return open + pad + parts.join(sep) + (chance(layout.trailingCommas) ? ',' : '') + pad + close;
    }
    let s = open + layout.eol;
    items.forEach(([k, x], i) => {
      if (chance(layout.comments / 2)) s += ind(d + 1) + `// c${n++}` + layout.eol;
      const c1 = block();
      const c2 = block();
      s += ind(d + 1) + (c1 ? c1 + ' ' : '') + head(k) + write(x, d + 1, false) + (c2 ? ' ' + c2 : '');
      if (i < items.length - 1 || chance(layout.trailingCommas)) s += ',';
      if (chance(layout.comments / 2)) s += ` // c${n++}`;
      s += layout.eol;
    });
    return s + ind(d) + close;
  };
  let text = '';
  if (chance(layout.comments)) text += `// c${n++} policy under test` + layout.eol;
  text += write(value, 0, false);
  if (chance(layout.comments)) text += layout.eol + `/* c${n++} end */`;
  if (r() < 0.7) text += layout.eol;
  return text;
}

// ---------------------------------------------------------------------------------------------
// Findings

export interface DetailSpec {
  serviceNamespace: string;
  /** undefined: the whole service (the key absent); []: the whole service (an empty list). */
  actions?: string[];
  objects?: boolean;
}

/** Names (lower-case) the policy's Allow statements allow, restricted to its focus services for wide statements. */
export function policyAllows(ru: RefUniverse, spec: PolicySpec): string[] {
  const out = new Set<string>();
  for (const s of spec.statements) {
    if (s.effect !== 'Allow') continue;
    const named = new Set(s.values.flatMap((v) => ru.expand(v)));
    if (s.key === 'Action' && !s.values.some((v) => ru.allowsAll(v))) for (const x of named) out.add(x);
    else for (const svc of spec.focus) for (const x of ru.service(svc)) if (!named.has(x)) out.add(x);
  }
  return [...out];
}

/** Unused permissions: subsets of what the policy allows, whole services, names without/with prefix, names newer than the catalog. */
export function genDetails(g: G, pools: CatalogPools, ru: RefUniverse, spec: PolicySpec): DetailSpec[] {
  const allowed = policyAllows(ru, spec);
  const fraction = g(fc.constantFrom, 0.02, 0.1, 0.3, 0.3, 0.6, 0.9, 1);
  const r = prng(g(fc.nat));
  const chosen = allowed.filter(() => r() < fraction);
  // newer-than-catalog unused actions: the policy's own, and fresh ones under its wildcards
  for (const x of spec.newer) if (r() < 0.5) chosen.push(x.toLowerCase());
  const fresh = g(fc.integer, { min: 0, max: 2 });
  for (let k = 0; k < fresh && allowed.length; k++) chosen.push(newerAction(g, pools.catalog, ru.canonical.get(pick(g, allowed)) ?? pick(g, allowed)));
  const bySvc = new Map<string, string[]>();
  for (const x of chosen) {
    const name = ru.canonical.get(x.toLowerCase()) ?? x;
    const svc = name.slice(0, name.indexOf(':'));
    if (!bySvc.has(svc)) bySvc.set(svc, []);
    bySvc.get(svc)!.push(name);
  }
  const details: DetailSpec[] = [];
  for (const [svc, names] of bySvc) {
    const prefixMode = g(fc.constantFrom, 'bare', 'bare', 'prefixed', 'mixed');
    const actions = names.map((nm) => {
      const bare = nm.slice(nm.indexOf(':') + 1);
      const withPrefix = prefixMode === 'prefixed' || (prefixMode === 'mixed' && r() < 0.5);
      return withPrefix ? nm : bare;
    });
    details.push({ serviceNamespace: svc, actions, objects: g(fc.integer, { min: 0, max: 3 }) === 0 });
  }
  const whole = g(fc.integer, { min: 0, max: 4 });
  if (whole === 0) details.push({ serviceNamespace: pick(g, spec.focus) });
  else if (whole === 1) details.push({ serviceNamespace: pick(g, pools.services), actions: [] });
  if (details.length === 0) details.push({ serviceNamespace: pick(g, spec.focus), actions: [ru.canonical.get(pick(g, allowed.length ? allowed : ru.service(spec.focus[0])))!.split(':')[1] ?? 'Nothing'] });
  return details;
}

export function detailJson(d: DetailSpec): Record<string, unknown> {
  const o: Record<string, unknown> = { serviceNamespace: d.serviceNamespace };
  if (d.actions) o.actions = d.objects ? d.actions.map((a) => ({ action: a, lastAccessed: '2026-01-02T03:04:05Z' })) : d.actions;
  return o;
}

/** Findings generated for a policy spec (over the catalog plus the spec's names), as a findings file's text and read by the engine's reader. */
export function genFindingsFor(g: G, pools: CatalogPools, spec: PolicySpec): { findingsText: string; findings: Finding[] } {
  const ru = new RefUniverse(pools.catalog, spec.statements.flatMap((s) => s.values));
  const findingsText = JSON.stringify(genDetails(g, pools, ru, spec).map(detailJson));
  return { findingsText, findings: parseFindings('findings.json', findingsText).findings };
}

/** A text's indentation and line ending. */
export function genIndentEol(g: G): { indent: string; eol: string } {
  return { indent: g(fc.constantFrom, '  ', '  ', '    ', '\t'), eol: g(fc.constantFrom, '\n', '\n', '\r\n') };
}
