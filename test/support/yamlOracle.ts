/**
 * The oracle's own reading of YAML: the `yaml` package's plain parse() to a JS value, with
 * CloudFormation's short tags turned into their long form by tag handlers written here (not the
 * format's locator).
 */
import type { ScalarTag, CollectionTag } from 'yaml';

const SHORT = ['Ref', 'Condition', 'Sub', 'GetAtt', 'Join', 'If', 'Select', 'Split', 'ImportValue', 'FindInMap', 'Base64', 'Cidr', 'GetAZs', 'Equals', 'Not', 'And', 'Or'];
const longName = (n: string) => (n === 'Ref' || n === 'Condition' ? n : `Fn::${n}`);

/** `!Sub x` -> `{"Fn::Sub": x}`, for scalars, sequences and mappings. */
export const longFormTags: (ScalarTag | CollectionTag)[] = SHORT.flatMap((n) => [
  { tag: `!${n}`, resolve: (s: string) => ({ [longName(n)]: s }) } as unknown as ScalarTag,
  { tag: `!${n}`, collection: 'seq', resolve: (v: { toJSON(): unknown }) => ({ [longName(n)]: v.toJSON() }) } as unknown as CollectionTag,
  { tag: `!${n}`, collection: 'map', resolve: (v: { toJSON(): unknown }) => ({ [longName(n)]: v.toJSON() }) } as unknown as CollectionTag,
]);

// ---------------------------------------------------------------------------------------------
// Rendering a generated policy into a YAML host, in random styles, recording where each statement is

import fc from 'fast-check';
import { Node as YNode, Scalar as YScalar, YAMLMap as YMap, YAMLSeq as YSeq, isMap as yIsMap, isScalar as yIsScalar, isSeq as yIsSeq, parse as parseYaml, parseDocument } from 'yaml';
import { prng } from './generators';
import { Catalog, Finding, RefineResult, TextEdit, parsePolicyDocument } from '../../server/src/core';
import { RefUniverse, OStatement, checkEditZones, checkIdempotent, checkPlan, checkRefinedStatement, refApplyEdits, refFindingNames, refUnused, runEngine } from './oracle';

export type YamlHost = 'cloudformation' | 'managed-policy' | 'json-block' | 'sam' | 'serverless' | 'serverless-legacy' | 'serverless-function' | 'policy';
export const YAML_HOSTS: YamlHost[] = ['cloudformation', 'managed-policy', 'json-block', 'sam', 'serverless', 'serverless-legacy', 'serverless-function', 'policy'];

export interface YamlStyle {
  indent: number;
  /** Block sequences under a key indented by `indent` (else at the key's column). */
  seqIndent: boolean;
  eol: '\n' | '\r\n';
  /** plain, single, double, or a mix per scalar */
  quotes: 'plain' | 'single' | 'double' | 'mixed';
  /** chance that a list (or a statement) is written flow */
  flow: number;
  comments: number;
  /** chance that a Resource string is written `!Sub "…"` (CloudFormation hosts) */
  intrinsics: number;
  seed: number;
}

export function genYamlStyle(g: fc.GeneratorValue): YamlStyle {
  return {
    indent: g(fc.constantFrom, 2, 2, 4),
    seqIndent: g(fc.boolean),
    eol: g(fc.constantFrom, '\n' as const, '\r\n' as const),
    quotes: g(fc.constantFrom, 'plain' as const, 'single' as const, 'double' as const, 'mixed' as const),
    flow: g(fc.constantFrom, 0, 0, 0.3, 1),
    comments: g(fc.constantFrom, 0, 0.2, 0.5),
    intrinsics: g(fc.constantFrom, 0, 0.3),
    seed: g(fc.nat),
  };
}

export interface Rendered {
  text: string;
  host: YamlHost;
  fileName: string;
  /** Per statement: its whole item (with the separators around it) and its Action/NotAction key and value. */
  zones: { item: [number, number]; action: [number, number] }[];
  /** The statement list is a single mapping. */
  single: boolean;
  style: YamlStyle;
  /** The text has a block sequence under a key (so a new one must copy its indentation). */
  habit: boolean;
}

type Scalarish = string | number | boolean | null;

/** Whether `s` can be written plain (read back as the same string), decided by parsing it alone. */
function plainOk(s: string, flow: boolean): boolean {
  if (s === '' || s !== s.trim() || /[\r\n\t]/.test(s) || s.includes(' #') || s.includes(': ') || (flow && /[,[\]{}]/.test(s))) return false;
  try {
    return parseYaml(s, { customTags: longFormTags }) === s;
  } catch {
    return false;
  }
}

class Writer {
  out = '';
  n = 0;
  readonly r: () => number;
  zones: { item: [number, number]; action: [number, number] }[] = [];
  /** A block sequence was written under a key: the file shows its habit of indenting them. */
  habit = false;
  constructor(readonly st: YamlStyle) {
    this.r = prng(st.seed);
  }
  chance(p: number): boolean {
    return p > 0 && this.r() < p;
  }
  line(col: number, s: string): void {
    this.out += ' '.repeat(col) + s;
  }
  eol(): void {
    if (this.chance(this.st.comments / 3)) this.out += `  # c${this.n++}`;
    this.out += this.st.eol;
  }
  comment(col: number): void {
    if (this.chance(this.st.comments / 3)) this.out += ' '.repeat(col) + `# c${this.n++}` + this.st.eol;
  }
  scalar(v: Scalarish, flow: boolean, key = false): string {
    if (typeof v !== 'string') return JSON.stringify(v);
    const q = this.st.quotes === 'mixed' ? (['plain', 'single', 'double'] as const)[Math.floor(this.r() * 3)] : this.st.quotes;
    if ((q === 'plain' || key) && plainOk(v, flow)) return v;
    if (q === 'double' || /[\x00-\x1f]/.test(v)) return JSON.stringify(v);
    return `'${v.replace(/'/g, "''")}'`;
  }
  flowValue(v: unknown, key?: string): string {
    if (Array.isArray(v)) return '[' + v.map((x) => this.flowValue(x)).join(this.chance(0.5) ? ', ' : ',') + ']';
    if (v && typeof v === 'object') return '{' + Object.entries(v).map(([k, x]) => `${this.scalar(k, true, true)}: ${this.flowValue(x, k)}`).join(', ') + '}';
    if (key === 'Resource' && typeof v === 'string' && this.chance(this.st.intrinsics)) return `!Sub ${JSON.stringify(v)}`;
    return this.scalar(v as Scalarish, true);
  }
  /** A block mapping at `col`; the first entry continues the current line when `inline`. */
  map(v: Record<string, unknown>, col: number, inline: boolean, onEntry?: (k: string, start: number) => void, onEntryEnd?: (k: string, end: number) => void): void {
    Object.entries(v).forEach(([k, x], i) => {
      if (!(inline && i === 0)) {
        this.comment(col);
        this.line(col, '');
      }
      onEntry?.(k, this.out.length);
      this.out += this.scalar(k, false, true) + ':';
      this.value(x, col, k);
      onEntryEnd?.(k, this.out.length);
    });
  }
  /** The value after `key:` (the key at column `col`), then the line break(s). */
  value(x: unknown, col: number, key?: string): void {
    const isList = Array.isArray(x);
    const isObj = !!x && typeof x === 'object' && !isList;
    if ((isList && (x as unknown[]).length > 0) || (isObj && Object.keys(x as object).length > 0)) {
      if (this.chance(this.st.flow) && !(isObj && key === 'PolicyDocument')) {
        this.out += ' ' + this.flowValue(x, key);
        this.eol();
        return;
      }
      this.eol();
      if (isList) this.habit = true;
      if (isList) this.seq(x as unknown[], col + (this.st.seqIndent ? this.st.indent : 0));
      else this.map(x as Record<string, unknown>, col + this.st.indent, false);
      return;
    }
    this.out += ' ' + this.flowValue(x, key);
    this.eol();
  }
  seq(items: unknown[], col: number, onItem?: (i: number, start: number, end: number) => void): void {
    items.forEach((x, i) => {
      this.comment(col);
      const start = this.out.length;
      this.line(col, '- ');
      if (x && typeof x === 'object' && !Array.isArray(x)) this.map(x as Record<string, unknown>, col + 2, true);
      else {
        this.out += this.flowValue(x);
        this.eol();
      }
      onItem?.(i, start, this.out.length);
    });
  }
  /** The statements: a block list (or flow, or a single mapping), zones recorded. */
  statements(v: unknown, col: number): boolean {
    const list = Array.isArray(v) ? v : [v];
    const single = !Array.isArray(v);
    const writeOne = (s: Record<string, unknown>, c: number, inline: boolean) => {
      const zone = { item: [0, 0] as [number, number], action: [0, 0] as [number, number] };
      this.zones.push(zone);
      this.map(
        s,
        c,
        inline,
        (k, at) => k.endsWith('Action') && (zone.action[0] = at),
        (k, at) => k.endsWith('Action') && (zone.action[1] = at),
      );
      return zone;
    };
    if (single) {
      this.eol();
      const start = this.out.length;
      const z = writeOne(list[0] as Record<string, unknown>, col + this.st.indent, false);
      z.item = [start, this.out.length];
      return true;
    }
    if (this.chance(this.st.flow / 2)) {
      // a flow sequence of flow mappings, one a line
      this.out += ' [';
      const starts: number[] = [];
      const ends: number[] = [];
      list.forEach((s, i) => {
        this.out += this.st.eol + ' '.repeat(col + this.st.indent);
        starts.push(this.out.length);
        const entries = Object.entries(s as Record<string, unknown>);
        const zone = { item: [0, 0] as [number, number], action: [0, 0] as [number, number] };
        this.out += '{';
        entries.forEach(([k, x], j) => {
          if (j) this.out += ', ';
          if (k.endsWith('Action')) zone.action[0] = this.out.length;
          this.out += `${this.scalar(k, true, true)}: ${this.flowValue(x, k)}`;
          if (k.endsWith('Action')) zone.action[1] = this.out.length;
        });
        this.out += '}';
        ends.push(this.out.length);
        if (i < list.length - 1) this.out += ',';
        this.zones.push(zone);
      });
      this.out += this.st.eol + ' '.repeat(col) + ']';
      this.eol();
      const base = this.zones.length - list.length;
      list.forEach((_, i) => (this.zones[base + i].item = [i > 0 ? ends[i - 1] : starts[i], i < list.length - 1 ? starts[i + 1] : ends[i]]));
      return false;
    }
    this.eol();
    this.habit = true;
    const c = col + (this.st.seqIndent ? this.st.indent : 0);
    const spans: [number, number][] = [];
    list.forEach((s) => {
      this.comment(c);
      const start = this.out.length;
      this.line(c, '- ');
      writeOne(s as Record<string, unknown>, c + 2, true);
      spans.push([start, this.out.length]);
    });
    const base = this.zones.length - list.length;
    list.forEach((_, i) => (this.zones[base + i].item = [i > 0 ? spans[i - 1][1] : spans[i][0], i < list.length - 1 ? spans[i + 1][0] : spans[i][1]]));
    return false;
  }
}

/** Writes `policy` (a {Version, Statement} value) into a YAML host. */
export function renderYaml(policy: Record<string, unknown>, host: YamlHost, style: YamlStyle): Rendered {
  const w = new Writer(style);
  const I = style.indent;
  const key = (col: number, k: string) => {
    w.comment(col);
    w.line(col, k + ':');
  };
  const kv = (col: number, k: string, v: unknown) => {
    w.comment(col);
    w.line(col, w.scalar(k, false, true) + ':');
    w.value(v, col, k);
  };
  /** A template resource's header: its logical id, Type and `Properties:`. */
  const resource = (id: string, type: string) => {
    key(I, id);
    w.out += style.eol;
    kv(2 * I, 'Type', type);
    key(2 * I, 'Properties');
    w.out += style.eol;
  };
  /** The policy document as a mapping at `col` (after `PolicyDocument:` or at the top level). */
  const doc = (col: number) => {
    let single = false;
    for (const [k, v] of Object.entries(policy)) {
      if (k === 'Statement') {
        key(col, 'Statement');
        single = w.statements(v, col);
      } else kv(col, k, v);
    }
    return single;
  };
  let single = false;
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
  const bucket = { Statement: [{ Effect: 'Allow', Principal: '*', Action: ['s3:Get*', 's3:List*'], Resource: 'arn:aws:s3:::site/*' }] };
  let fileName = 'template.yaml';
  if (host === 'policy') {
    if (w.chance(0.5)) w.out += `# c${w.n++} a policy in YAML` + style.eol;
    single = doc(0);
    fileName = 'policy.yaml';
  } else if (host === 'cloudformation' || host === 'managed-policy' || host === 'json-block' || host === 'sam') {
    kv(0, 'AWSTemplateFormatVersion', '2010-09-09');
    if (host === 'sam') kv(0, 'Transform', 'AWS::Serverless-2016-10-31');
    key(0, 'Resources');
    w.out += style.eol;
    key(I, 'Bucket');
    w.out += style.eol;
    kv(2 * I, 'Type', 'AWS::S3::Bucket');
    resource('BucketPolicy', 'AWS::S3::BucketPolicy');
    kv(3 * I, 'Bucket', 'site');
    kv(3 * I, 'PolicyDocument', bucket);
    if (host === 'sam') {
      resource('Fn', 'AWS::Serverless::Function');
      kv(3 * I, 'Handler', 'app.handler');
      key(3 * I, 'Policies');
      w.out += style.eol;
      w.habit = true;
      const c = 3 * I + (style.seqIndent ? I : 0);
      const others = [() => w.line(c, '- AWSLambdaBasicExecutionRole'), () => w.line(c, '- S3ReadPolicy: {BucketName: site}')];
      const at = Math.floor(w.r() * 3);
      others.forEach((o, i) => {
        if (i === at) {
          w.line(c, '- ');
          single = docInline(c + 2);
        }
        o();
        w.out += style.eol;
      });
      if (at === 2) {
        w.line(c, '- ');
        single = docInline(c + 2);
      }
    } else if (host === 'cloudformation') {
      resource('AppRole', 'AWS::IAM::Role');
      kv(3 * I, 'RoleName', 'app-role');
      kv(3 * I, 'AssumeRolePolicyDocument', trust);
      key(3 * I, 'Policies');
      w.out += style.eol;
      w.habit = true;
      const c = 3 * I + (style.seqIndent ? I : 0);
      w.line(c, '- PolicyName: app');
      w.out += style.eol;
      key(c + 2, 'PolicyDocument');
      w.out += style.eol;
      single = doc(c + 2 + I);
    } else if (host === 'json-block') {
      // PolicyDocument as a JSON string in a literal block (`|` or `!Sub |`)
      resource('AppPolicy', 'AWS::IAM::Policy');
      kv(3 * I, 'PolicyName', 'app');
      w.line(3 * I, `PolicyDocument: ${w.chance(0.5) ? '!Sub ' : ''}|`);
      w.out += style.eol;
      const start = w.out.length;
      const json = JSON.stringify(policy, null, w.chance(0.5) ? 2 : 4);
      w.out += json.split('\n').map((l) => ' '.repeat(4 * I) + l).join(style.eol) + style.eol;
      const n = Array.isArray(policy.Statement) ? policy.Statement.length : 1;
      for (let k = 0; k < n; k++) w.zones.push({ item: [start, w.out.length], action: [start, w.out.length] });
      single = !Array.isArray(policy.Statement);
      kv(3 * I, 'Roles', ['app-role']);
    } else {
      resource('AppPolicy', 'AWS::IAM::ManagedPolicy');
      kv(3 * I, 'Roles', [{ Ref: 'Bucket' }]);
      key(3 * I, 'PolicyDocument');
      w.out += style.eol;
      single = doc(4 * I);
    }
  } else {
    fileName = 'serverless.yml';
    kv(0, 'service', 'app');
    key(0, 'provider');
    w.out += style.eol;
    kv(I, 'name', 'aws');
    kv(I, 'stage', '${opt:stage, "dev"}');
    const stmts = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
    if (host === 'serverless') {
      key(I, 'iam');
      w.out += style.eol;
      key(2 * I, 'role');
      w.out += style.eol;
      key(3 * I, 'statements');
      w.statements(stmts, 3 * I);
    } else if (host === 'serverless-legacy') {
      key(I, 'iamRoleStatements');
      w.statements(stmts, I);
    } else {
      key(0, 'functions');
      w.out += style.eol;
      key(I, 'hello');
      w.out += style.eol;
      kv(2 * I, 'handler', 'handler.hello');
      key(2 * I, 'iamRoleStatements');
      w.statements(stmts, 2 * I);
    }
  }
  function docInline(col: number): boolean {
    // a SAM inline document: `- Statement:` (or Version first) on the item's line
    let first = true;
    let s = false;
    for (const [k, v] of Object.entries(policy)) {
      if (!first) w.line(col, '');
      first = false;
      if (k === 'Statement') {
        w.out += 'Statement:';
        s = w.statements(v, col);
      } else {
        w.out += `${k}:`;
        w.value(v, col, k);
      }
    }
    return s;
  }
  return { text: w.out, host, fileName, zones: w.zones, single, style, habit: w.habit };
}

// ---------------------------------------------------------------------------------------------
// Reading a host independently: yaml's parse() with the long-form tags, then the known path

/** The policy's statements (JS values) in a host, or undefined when the path is not there. */
export function hostStatements(value: any, host: YamlHost): { statements: unknown[]; single: boolean } | undefined {
  let s: unknown;
  if (host === 'policy') s = value?.Statement;
  else if (host === 'cloudformation') s = value?.Resources?.AppRole?.Properties?.Policies?.[0]?.PolicyDocument?.Statement;
  else if (host === 'managed-policy') s = value?.Resources?.AppPolicy?.Properties?.PolicyDocument?.Statement;
  else if (host === 'json-block') s = jsonBlock(value)?.Statement;
  else if (host === 'sam') s = (value?.Resources?.Fn?.Properties?.Policies as any[] | undefined)?.find((p) => p && typeof p === 'object' && 'Statement' in p)?.Statement;
  else if (host === 'serverless') s = value?.provider?.iam?.role?.statements;
  else if (host === 'serverless-legacy') s = value?.provider?.iamRoleStatements;
  else s = value?.functions?.hello?.iamRoleStatements;
  if (s === undefined) return undefined;
  return Array.isArray(s) ? { statements: s, single: false } : { statements: [s], single: true };
}

/** The JSON string of the json-block host, parsed (through `!Sub` too). */
function jsonBlock(value: any): any {
  const pd = value?.Resources?.AppPolicy?.Properties?.PolicyDocument;
  const str = typeof pd === 'string' ? pd : pd?.['Fn::Sub'];
  try {
    return typeof str === 'string' ? JSON.parse(str) : undefined;
  } catch {
    return undefined;
  }
}

export function readYamlValue(text: string): { value: unknown; errors: number } {
  const d = parseDocument(text, { customTags: longFormTags });
  return { value: d.toJS(), errors: d.errors.length };
}

/** An oracle statement from a JS value (the parts allowsOf needs). */
function ostatement(o: any): OStatement & { raw: any } {
  const st = { node: undefined as never, values: [] as string[], opaque: false, principal: false, raw: o } as OStatement & { raw: any };
  if (!o || typeof o !== 'object' || Array.isArray(o)) return { ...st, opaque: true };
  st.effect = typeof o.Effect === 'string' ? o.Effect : undefined;
  st.principal = 'Principal' in o || 'NotPrincipal' in o;
  if (st.effect !== 'Allow' && st.effect !== 'Deny') st.opaque = true;
  const a = 'Action' in o;
  const na = 'NotAction' in o;
  if (a === na) return { ...st, opaque: true };
  st.key = a ? 'Action' : 'NotAction';
  const v = o[st.key];
  if (typeof v === 'string') st.values = [v];
  else if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) st.values = v;
  else st.opaque = true;
  return st;
}

function restOf(o: any): string {
  const v = { ...o };
  delete v.Action;
  delete v.NotAction;
  return JSON.stringify(v);
}

function withoutStatements(value: any, host: YamlHost): string {
  const copy = JSON.parse(JSON.stringify(value ?? null));
  if (host === 'json-block' && copy?.Resources?.AppPolicy?.Properties) {
    const j = jsonBlock(copy);
    if (j) delete j.Statement;
    copy.Resources.AppPolicy.Properties.PolicyDocument = { json: j, sub: typeof copy.Resources.AppPolicy.Properties.PolicyDocument !== 'string' };
    return JSON.stringify(copy);
  }
  const h = hostStatements(copy, host);
  // the statement list emptied in place (the single statement's fields removed); what remains must not change
  if (h?.single) for (const k of Object.keys(h.statements[0] as object)) delete (h.statements[0] as any)[k];
  else if (h) h.statements.length = 0;
  return JSON.stringify(copy);
}

/** The statement nodes of a host, as the yaml package's own document gives them (for style checks only). */
function statementNodes(text: string, host: YamlHost): YNode[] {
  const d = parseDocument(text, { customTags: longFormTags });
  let path: (string | number)[];
  if (host === 'policy') path = ['Statement'];
  else if (host === 'cloudformation') path = ['Resources', 'AppRole', 'Properties', 'Policies', 0, 'PolicyDocument', 'Statement'];
  else if (host === 'managed-policy') path = ['Resources', 'AppPolicy', 'Properties', 'PolicyDocument', 'Statement'];
  else if (host === 'sam') {
    const list = d.getIn(['Resources', 'Fn', 'Properties', 'Policies']) as YSeq;
    const k = list.items.findIndex((p) => yIsMap(p) && p.has('Statement'));
    path = ['Resources', 'Fn', 'Properties', 'Policies', k, 'Statement'];
  } else if (host === 'serverless') path = ['provider', 'iam', 'role', 'statements'];
  else if (host === 'serverless-legacy') path = ['provider', 'iamRoleStatements'];
  else path = ['functions', 'hello', 'iamRoleStatements'];
  const v = d.getIn(path, true) as YNode;
  return yIsSeq(v) ? (v.items as YNode[]) : [v];
}

const col = (text: string, offset: number) => offset - Math.max(text.lastIndexOf('\n', offset - 1) + 1, 0);

/**
 * The style of each changed action list: a flow list stays flow, a block list keeps its column, a
 * scalar that became a list is a block list at the file's habit (flow inside a flow mapping), and
 * each scalar is quoted as the file quotes (plain only where plain reads back the same).
 */
function styleProblems(r: Rendered, out: string, pairs: { inNode: YNode; outNode: YNode; where: string }[]): string[] {
  const problems: string[] = [];
  const st = r.style;
  for (const { inNode, outNode, where } of pairs) {
    const key = (m: YNode) => ((m as YMap).items.find((p) => yIsScalar(p.key) && String((p.key as YScalar).value).endsWith('Action')) ?? undefined);
    const pin = key(inNode);
    const pout = key(outNode);
    if (!pin || !pout) continue;
    const vin = pin.value as YNode;
    const vout = pout.value as YNode;
    const flowMap = !!(outNode as YMap).flow;
    if (yIsSeq(vin) && yIsSeq(vout) && !!vin.flow !== !!vout.flow) problems.push(`${where}: a ${vin.flow ? 'flow' : 'block'} list became ${vout.flow ? 'flow' : 'block'}`);
    if (yIsSeq(vout) && !vout.flow) {
      const cols = new Set(vout.items.map((x) => col(out, (x as YNode).range![0])));
      if (cols.size > 1) problems.push(`${where}: block list items at several columns`);
      if (yIsSeq(vin) && !vin.flow && !cols.has(col(r.text, (vin.items[0] as YNode).range![0]))) problems.push(`${where}: block list moved to another column`);
      if (yIsScalar(vin)) {
        const kc = col(out, (pout.key as YNode).range![0]);
        const want = kc + (st.seqIndent ? st.indent : 0) + 2;
        if (!cols.has(want) && (r.habit || !cols.has(kc + 2 + (st.seqIndent ? 0 : st.indent)))) problems.push(`${where}: a scalar became a list at column ${[...cols][0]}, expected ${want}`);
      }
    }
    if (yIsScalar(vin) && yIsSeq(vout) && flowMap && !vout.flow) problems.push(`${where}: a block list inside a flow mapping`);
    if (st.quotes === 'mixed') continue;
    const scalars = yIsSeq(vout) ? (vout.items as YNode[]) : [vout];
    for (const x of scalars) {
      if (!yIsScalar(x) || typeof x.value !== 'string') continue;
      const inFlow = flowMap || (yIsSeq(vout) && !!vout.flow);
      const want = st.quotes === 'single' ? 'QUOTE_SINGLE' : st.quotes === 'double' ? 'QUOTE_DOUBLE' : plainOk(x.value, inFlow) ? 'PLAIN' : undefined;
      if (want ? x.type !== want : x.type === 'PLAIN') problems.push(`${where}: ${JSON.stringify(out.slice(x.range![0], x.range![1]))} written ${x.type} in a file that quotes ${st.quotes}`);
    }
  }
  return problems;
}

export interface YamlCheckReport {
  problems: string[];
  outcome: 'refined' | 'nothing-left' | 'threw';
  result?: RefineResult;
  stats: { statements: number; changed: number; removed: number; notAction: number; written: number };
}

/** Refines a rendered host with the engine and checks the result against the rule, reading the YAML on its own. */
export function refineAndCheckYaml(catalog: Catalog, r: Rendered, findings: Finding[], opts: { leastness?: boolean; idempotence?: boolean } = {}): YamlCheckReport {
  const problems: string[] = [];
  const stats = { statements: 0, changed: 0, removed: 0, notAction: 0, written: 0 };
  const report = (outcome: YamlCheckReport['outcome'], result?: RefineResult): YamlCheckReport => ({ problems, outcome, stats, result });
  const text = r.text;
  const input = readYamlValue(text);
  if (input.errors) problems.push(`the rendered input does not parse (${input.errors} errors): a renderer bug`);
  const read = hostStatements(input.value, r.host);
  if (!read) return { ...report('threw'), problems: [...problems, 'the rendered input has no statements at the host path'] };
  const ost = read.statements.map(ostatement);
  stats.statements = ost.length;
  if (ost.length !== r.zones.length) problems.push(`renderer: ${r.zones.length} zones for ${ost.length} statements`);
  const ru = new RefUniverse(catalog, [...refFindingNames(findings), ...ost.flatMap((s) => s.values)]);
  const unused = refUnused(findings, ru);

  const doc = parsePolicyDocument(text, r.fileName);
  if (doc.hasSyntaxErrors) problems.push(`the engine sees syntax errors: ${doc.problems.map((p) => p.message).join('; ')}`);
  if (doc.policies.length !== 1) problems.push(`the engine found ${doc.policies.length} policies (${doc.policies.map((p) => p.label).join(', ')}), expected the generated one alone (no trust or bucket policy)`);
  if (problems.length) return report('threw');
  const notes = doc.problems.filter((p) => p.code === 'not-refinable');
  const expectedNotes = r.host === 'sam' ? 2 : 0;
  if (notes.length !== expectedNotes) problems.push(`${notes.length} not-refinable notes, expected ${expectedNotes}: ${notes.map((p) => p.message).join('; ')}`);
  const model = doc.policies[0];
  if (model.statements.length !== ost.length) problems.push(`the engine reads ${model.statements.length} statements, the oracle ${ost.length}`);
  // exact spans: every entry's span holds its literal, which reads back as its value
  for (const st of model.statements)
    for (const e of st.entries) {
      const lit = text.substr(e.span.offset, e.span.length);
      let back: unknown;
      try {
        back = parseYaml(lit);
      } catch {
        back = undefined;
      }
      if (back !== e.value) problems.push(`the span of ${JSON.stringify(e.value)} holds ${JSON.stringify(lit)}`);
    }
  const run = runEngine(catalog, doc, findings, ru, ost, unused, {}, problems, stats);
  if (run.outcome !== 'refined') return report(run.outcome);
  const { before, survivors, result } = run;
  const out = result.text;
  if (refApplyEdits(text, result.edits) !== out) problems.push('result.text is not the original with result.edits applied');

  // every edit inside a changed statement's Action/NotAction, or a removed statement's item
  const zones: [number, number][] = [];
  before.forEach((b, i) => {
    if (b.removed) zones.push(r.zones[i].item);
    else if (b.touched) zones.push(r.zones[i].action);
  });
  checkEditZones(result.edits, zones, problems);

  // untouched statements byte-identical (shifted by the edits before them)
  const shift = (o: number) => result.edits.filter((e) => e.offset + e.length <= o).reduce((d, e) => d + e.newText.length - e.length, 0);
  before.forEach((b, i) => {
    if (b.touched || r.host === 'json-block') return; // inside a JSON block: the JSON value check below
    const [s, e] = r.zones[i].action;
    if (out.slice(s + shift(s), e + shift(s)) !== text.slice(s, e)) problems.push(`statement ${i + 1}: untouched, but its actions are not byte-identical`);
  });

  // comments outside the edits survive, in order
  const marks = (t: string) => [...t.matchAll(/# c\d+/g)].map((m) => ({ offset: m.index!, text: m[0] }));
  const inEdit = (c: { offset: number; text: string }) => result.edits.some((e: TextEdit) => c.offset < e.offset + e.length && e.offset < c.offset + c.text.length);
  const keptComments = marks(text).filter((c) => !inEdit(c)).map((c) => c.text);
  if (JSON.stringify(keptComments) !== JSON.stringify(marks(out).map((c) => c.text))) problems.push('comments outside the edits did not all survive, in order');
  if (text.includes('\r\n') && /(^|[^\r])\n/.test(out)) problems.push('a bare LF in a CRLF text');

  // the output, read on its own
  const output = readYamlValue(out);
  if (output.errors) problems.push(`the output does not parse (${output.errors} errors)`);
  if (withoutStatements(output.value, r.host) !== withoutStatements(input.value, r.host)) problems.push('something outside the statements changed');
  const readOut = hostStatements(output.value, r.host);
  const nst = (readOut?.statements ?? []).map(ostatement);
  if (nst.length !== survivors.length) problems.push(`expected ${survivors.length} statements, found ${nst.length}`);
  else
    survivors.forEach((b, k) => {
      const n = nst[k];
      const where = `statement ${before.indexOf(b) + 1}`;
      if (restOf(n.raw) !== restOf(b.st.raw)) problems.push(`${where}: a field other than its actions changed`);
      if (!b.touched) {
        if (JSON.stringify(n.raw) !== JSON.stringify(b.st.raw)) problems.push(`${where}: untouched statement changed`);
        return;
      }
      checkRefinedStatement(ru, n, b, where, problems, stats);
    });

  // the style of the changed lists
  if (nst.length === survivors.length && output.errors === 0 && r.host !== 'json-block') {
    const inNodes = statementNodes(text, r.host);
    const outNodes = statementNodes(out, r.host);
    const pairs = survivors.map((b, k) => ({ inNode: inNodes[before.indexOf(b)], outNode: outNodes[k], where: `statement ${before.indexOf(b) + 1}`, touched: b.touched })).filter((p) => p.touched);
    problems.push(...styleProblems(r, out, pairs));
  }

  // leastness: each refined entry's cover recomputed
  if (opts.leastness !== false) {
    const plans = result.plans[0]?.statements ?? [];
    plans.forEach((sp, k) => checkPlan(ru, unused, sp.change, before[k], `statement ${k + 1}`, problems, stats));
  }

  // idempotence
  if (opts.idempotence !== false && problems.length === 0) checkIdempotent(catalog, out, r.fileName, findings, undefined, problems);
  return report('refined', result);
}
