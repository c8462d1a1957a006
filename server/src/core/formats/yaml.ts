/**
 * YAML files: CloudFormation templates (short and long intrinsics), SAM templates, Serverless
 * Framework files and plain YAML policy documents. Read with the `yaml` package (eemeli/yaml, the
 * parser of the Red Hat YAML language server): its nodes carry exact source ranges and it keeps
 * reading after a syntax error. Edits are written by hand on those ranges (yamlEdits.ts) so only
 * the changed entries change.
 */
import { CST, Document, Lexer, Node, Pair, Scalar, YAMLMap, YAMLSeq, isAlias, isMap, isScalar, isSeq } from 'yaml';
import { HostFormat, ParsedDocument, PolicyModel, PolicyProblem, ProblemSeverity, Span, StatementModel } from '../model';
import { cfnCustomTags, intrinsicName, toValue } from './yamlTags';
import { readJsonStringPolicy } from './yamlJson';
import { yamlEdits } from './yamlEdits';
import { yamlInfo, yamlMayContainPolicy } from './sniff';
import { MAX_SYNTAX_ERRORS } from '../text';
import { keptWhole, nodeKey, parseYamlDocuments, parseYamlFresh } from './yamlIncremental';

export interface YamlStatementHost {
  kind: 'yaml';
  map: YAMLMap;
  pair?: Pair;
  value?: Node;
  /** The statement sits inside a flow collection: a new list must be written `[…]`. */
  flow: boolean;
}

export interface YamlPolicyHost {
  kind: 'yaml';
  /** The statement list (a sequence), or undefined when the statement is a single mapping. */
  seq?: YAMLSeq;
}

export const IAM_TYPES_WITH_DOCUMENT = new Set(['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::RolePolicy', 'AWS::IAM::UserPolicy', 'AWS::IAM::GroupPolicy']);
export const IAM_TYPES_WITH_POLICIES = new Set(['AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group']);
export const SAM_TYPES_WITH_POLICIES = new Set(['AWS::Serverless::Function', 'AWS::Serverless::StateMachine']);
export const SAM_TRANSFORM = 'AWS::Serverless-2016-10-31';

export const yamlFormat: HostFormat = {
  ...yamlInfo,
  parse: parseYamlPolicies,
  edits: yamlEdits,
};


export const rangeSpan = (n: { range?: [number, number, number] | null }): Span => ({ offset: n.range![0], length: n.range![1] - n.range![0] });

/** Where a node's own text ends: the last value's end, never the trailing comments or line break a block collection's range takes in. */
export function contentEnd(n: unknown): number {
  if (isMap(n) && !n.flow && n.items.length) {
    const last = n.items[n.items.length - 1];
    const v = last.value as Node | null;
    if (v && v.range && v.range[1] > v.range[0]) return contentEnd(v);
    return contentEnd(last.key);
  }
  if (isSeq(n) && !n.flow && n.items.length) return contentEnd(n.items[n.items.length - 1]);
  const r = (n as Node)?.range;
  return r ? r[1] : 0;
}

const isString = (n: unknown): n is Scalar<string> => isScalar(n) && typeof n.value === 'string';

/**
 * A YAML merge key (`<<: *base`, YAML 1.1's, which some readers apply and others read as a plain
 * key): the mapping's fields then depend on the reader, so nothing is guessed from it.
 */
export function mergePair(map: unknown): Pair<Scalar, unknown> | undefined {
  if (!isMap(map)) return undefined;
  for (const p of map.items) if (isScalar(p.key) && p.key.value === '<<' && p.key.type === 'PLAIN') return p as Pair<Scalar, unknown>;
  return undefined;
}

/** How a merge key's value reads in a message: `*base`, or "a mapping". */
function mergeSource(p: Pair<Scalar, unknown>): string {
  const v = p.value;
  if (isAlias(v)) return `<<: *${v.source}`;
  if (isSeq(v) && v.items.every(isAlias)) return `<<: [${v.items.map((a) => `*${(a as { source: string }).source}`).join(', ')}]`;
  return '<<';
}

export function pairOf(map: unknown, key: string): Pair<Scalar, unknown> | undefined {
  if (!isMap(map)) return undefined;
  for (const p of map.items) if (isScalar(p.key) && p.key.value === key) return p as Pair<Scalar, unknown>;
  return undefined;
}
export const valueOf = (map: unknown, key: string): unknown => pairOf(map, key)?.value;
const stringOf = (map: unknown, key: string): string | undefined => {
  const v = valueOf(map, key);
  return isString(v) && !v.tag ? v.value : undefined;
};

/** Reading state of one document. */
export class Reader {
  readonly policies: PolicyModel[] = [];
  readonly problems: PolicyProblem[] = [];
  recognised = false;
  /** Serverless Framework: `${…}` is a variable. */
  serverless = false;
  /** The resources' readings may be kept and handed out again (the document is an error-free parse of the whole text). */
  carry = false;
  constructor(readonly text: string, readonly doc: Document) {}

  problem(at: { range?: [number, number, number] | null } | Span | undefined, code: PolicyProblem['code'], message: string, severity: ProblemSeverity): void {
    const s = !at ? { offset: 0, length: 0 } : 'offset' in at ? at : at.range ? rangeSpan(at) : { offset: 0, length: 0 };
    this.problems.push({ code, message, offset: s.offset, length: Math.max(s.length, 1), severity });
  }

  info(at: { range?: [number, number, number] | null } | Span | undefined, message: string): void {
    this.problem(at, 'not-refinable', message, 'information');
  }

  /** Why an action value cannot be read as text, or undefined when it is a literal. */
  computed(n: unknown): string | undefined {
    if (isAlias(n)) return 'a YAML alias';
    const fn = intrinsicName(n);
    if (fn) return `computed by ${fn}`;
    if (this.serverless && isString(n) && n.value.includes('${')) return 'a Serverless variable';
    return undefined;
  }

  value(n: unknown): unknown {
    return toValue(n, this.doc);
  }

  /** A policy document: a mapping with Statement; a `Fn::If` choosing between documents; or a JSON string. */
  policyDocument(n: unknown, label: string, roles: string[], inFlow: boolean, sub = false): void {
    if (!n) return;
    const fn = intrinsicName(n);
    if (fn === 'Fn::If') {
      const arg = isMap(n) && !(n as Node).tag ? n.items[0].value : n;
      if (isSeq(arg)) arg.items.slice(1, 3).forEach((b, i) => this.policyDocument(b, `${label}.Fn::If[${i + 1}]`, roles, inFlow || !!arg.flow));
      return;
    }
    if (fn === 'Fn::Sub') {
      const arg = isMap(n) && !(n as Node).tag ? n.items[0].value : n;
      const str = isSeq(arg) ? arg.items[0] : arg;
      if (isScalar(str) && typeof str.value === 'string') return this.jsonPolicy(str as Scalar<string>, label, roles, true);
      this.info(n as Node, `${label}: a PolicyDocument computed by Fn::Sub is not refined`);
      return;
    }
    if (fn) {
      if (fn !== 'Ref' || !isScalar(n) || n.value !== 'AWS::NoValue') this.info(n as Node, `${label}: a PolicyDocument computed by ${fn} is not refined (its statements are not known before deployment)`);
      return;
    }
    if (isString(n)) return this.jsonPolicy(n, label, roles, sub);
    if (isMap(n) && pairOf(n, 'Statement')) this.readPolicy(n, label, roles, inFlow || !!n.flow);
    else if (mergePair(n)) this.mergedPolicy(mergePair(n)!, label);
  }

  /** A policy (or a Policies item) whose fields come from a YAML merge key: named, never read. */
  mergedPolicy(m: Pair<Scalar, unknown>, label: string): void {
    this.info(m.key, `${label}: the policy takes its fields from a YAML merge key (${mergeSource(m)}): what it grants depends on the YAML reader, so it is not refined`);
  }

  jsonPolicy(n: Scalar<string>, label: string, roles: string[], sub: boolean): void {
    const p = readJsonStringPolicy(this, n, label, sub);
    if (!p) return;
    if (roles.length) p.attachedRoles = roles;
    this.policies.push(p);
  }

  /** A `{Version, Statement}` mapping. */
  readPolicy(map: YAMLMap, label: string, roles: string[], inFlow: boolean): void {
    const sp = pairOf(map, 'Statement')!;
    const p = this.statementList(sp.key, sp.value, label, inFlow, () => this.value(map));
    p.span = rangeSpan(map);
    if (roles.length) p.attachedRoles = roles;
    this.policies.push(p);
  }

  /** A statement list (or a single statement mapping) under `key`: the policy model. */
  statementList(key: Scalar, v: unknown, label: string, inFlow: boolean, value: () => unknown): PolicyModel {
    const statements: StatementModel[] = [];
    let count = 0;
    const host: YamlPolicyHost = { kind: 'yaml' };
    if (isSeq(v) && !(v as Node).tag) {
      host.seq = v;
      count = v.items.length;
      v.items.forEach((s, i) => {
        if (isMap(s) && !s.tag) statements.push(this.statement(s, i, inFlow || !!v.flow || !!s.flow));
        else {
          const why = this.computed(s);
          if (why) this.info(s as Node, `this statement is ${why}: not refined`);
          else this.problem(s as Node, 'invalid-policy', 'a statement must be a mapping', 'error');
        }
      });
    } else if (isMap(v) && !(v as Node).tag) {
      statements.push(this.statement(v, -1, inFlow || !!v.flow));
      count = 1;
    } else if (v !== null && v !== undefined && !(isScalar(v) && v.value === null)) {
      const why = this.computed(v);
      if (why) this.info(v as Node, `the statements are ${why}: not refined`);
      else this.problem(v as Node, 'invalid-policy', '"Statement" must be a mapping or a list of mappings', 'error');
    }
    return { label, span: rangeSpan(key), statementKeySpan: rangeSpan(key), statements, statementCount: count, value, host };
  }

  statement(map: YAMLMap, index: number, flow: boolean): StatementModel {
    const host: YamlStatementHost = { kind: 'yaml', map, flow };
    const st: StatementModel = {
      span: { offset: map.range![0], length: contentEnd(map) - map.range![0] },
      index,
      entries: [],
      rest: () => {
        const rest = { ...(this.value(map) as Record<string, unknown>) };
        delete rest.Action;
        delete rest.NotAction;
        return rest;
      },
      host,
    };
    const bad = (at: unknown, message: string, severity: ProblemSeverity = 'error') => this.problem(at as Node, 'invalid-policy', message, severity);
    const merge = mergePair(map);
    if (merge) {
      // its Effect, Action or Condition may come from the merged mapping: neither read nor refined, never a wrong "no Effect"
      st.opaque = 'a YAML merge key';
      this.info(merge.key, `this statement takes fields from a YAML merge key (${mergeSource(merge)}): what it grants depends on the YAML reader, so it is not refined`);
      return st;
    }
    const effect = valueOf(map, 'Effect');
    if (isString(effect) && !effect.tag) st.effect = effect.value;
    const effectWhy = effect ? this.computed(effect) : undefined;
    if (effectWhy) {
      st.opaque = 'computed Effect';
      this.info(effect as Node, `the Effect of this statement is ${effectWhy}: not refined`);
    } else if (effect && (st.effect !== 'Allow' && st.effect !== 'Deny')) {
      bad(effect, '"Effect" must be "Allow" or "Deny"');
      st.opaque = 'invalid Effect';
    } else if (!effect) {
      bad(map.items[0]?.key ?? map, 'the statement has no "Effect"');
      st.opaque = 'no Effect';
    }
    const sid = valueOf(map, 'Sid');
    if (isString(sid)) {
      st.sid = sid.value;
      st.suppressed = /^norepo/i.test(sid.value);
    }
    if (pairOf(map, 'Principal') || pairOf(map, 'NotPrincipal')) st.principal = true;
    const action = pairOf(map, 'Action');
    const notAction = pairOf(map, 'NotAction');
    if (action && notAction) {
      bad(notAction.key, 'a statement cannot have both "Action" and "NotAction"');
      st.opaque = 'both Action and NotAction';
    }
    const prop = action ?? notAction;
    if (!prop) {
      bad(map.items[0]?.key ?? map, 'the statement has neither "Action" nor "NotAction"', 'warning');
      st.opaque ??= 'no Action';
      return st;
    }
    st.key = action ? 'Action' : 'NotAction';
    host.pair = prop;
    st.keySpan = rangeSpan(prop.key);
    const v = prop.value as Node | null;
    if (!v || (isScalar(v) && v.value === null && !v.tag)) {
      st.opaque ??= 'incomplete';
      return st;
    }
    host.value = v;
    const whole = this.computed(v);
    if (whole) {
      st.opaque ??= whole;
      this.info(v, `"${st.key}" is ${whole}: this statement is not refined`);
      return st;
    }
    const literal = (n: unknown): n is Scalar<string> => isString(n) && !n.tag && n.type !== 'BLOCK_LITERAL' && n.type !== 'BLOCK_FOLDED';
    if (isScalar(v)) {
      if (literal(v)) st.entries.push({ value: v.value, span: rangeSpan(v), index: -1 });
      else {
        bad(v, `"${st.key}" must be a string or a list of strings`);
        st.opaque ??= 'invalid Action';
      }
    } else if (isSeq(v)) {
      let why: string | undefined;
      v.items.forEach((el, i) => {
        const w = this.computed(el);
        if (!w && literal(el)) st.entries.push({ value: el.value, span: rangeSpan(el), index: i });
        else {
          if (w) {
            if (!why) this.info(el as Node, `an action of this statement is ${w}: the statement is not refined (its actions are not known before deployment)`);
            why ??= w;
          } else {
            bad(el, 'an action must be a string', 'warning');
            st.opaque ??= 'non-string action';
          }
        }
      });
      if (why) st.opaque ??= why;
      if (v.items.length === 0 && !st.opaque) {
        bad(v, `an empty "${st.key}" list`, 'warning');
        st.opaque = 'empty';
      }
    } else {
      bad(v, `"${st.key}" must be a string or a list of strings`);
      st.opaque ??= 'invalid Action';
    }
    return st;
  }

  // ----------------------------------------------------------------------------------------------
  // hosts

  /**
   * CloudFormation (and SAM) resources. Labels name the resource as CloudFormation JSON templates do
   * (json.ts: `Role.Policies[0]`, `P.PolicyDocument`), so a template gives the same labels in YAML
   * and JSON (and a Serverless file's resources the same as its synthesized template).
   */
  template(root: YAMLMap, resources: unknown): void {
    if (!isMap(resources)) return;
    const transform = valueOf(root, 'Transform');
    const sam = (isString(transform) && transform.value === SAM_TRANSFORM) || (isSeq(transform) && transform.items.some((t) => isString(t) && t.value === SAM_TRANSFORM));
    // what the reading of each resource needs from the others: the literal RoleName of each role
    const facts = resources.items.map((p) => (this.carry && readings.get(nodeKey(p)[0])?.facts) || resourceFacts(p));
    const roleNames = new Map<string, string>();
    for (const f of facts) if (f.type === 'AWS::IAM::Role' && f.roleName) roleNames.set(f.name, f.roleName);
    const ctx: ResourceContext = { sam, roleNames, key: this.carry ? `${sam}|${this.serverless}|${JSON.stringify([...roleNames])}` : '' };
    resources.items.forEach((p, k) => {
      const f = facts[k];
      if (!f.type) return;
      if (!this.carry) return this.resource(p, f, ctx);
      // a resource read before, with the same roles around it, is not read again (its nodes may be the previous parse's, moved)
      const [key, delta] = nodeKey(p);
      const kept = readings.get(key);
      if (kept?.reading && kept.ctx === ctx.key) return this.carriedOver(kept.reading, delta - kept.delta, p, f, ctx);
      const from = { policies: this.policies.length, problems: this.problems.length, recognised: this.recognised };
      this.recognised = false;
      this.resource(p, f, ctx);
      readings.set(key, { delta, facts: f, ctx: ctx.key, reading: resourceReading(this, from) });
      this.recognised ||= from.recognised;
    });
    if (sam) {
      const globals = valueOf(root, 'Globals');
      for (const kind of ['Function', 'StateMachine']) {
        const v = valueOf(valueOf(globals, kind), 'Policies');
        if (v) {
          this.recognised = true;
          this.samPolicies(v, `Globals.${kind}.Policies`);
        }
      }
    }
  }

  /** One resource of a template (`f` its facts: a type and properties it has). */
  resource(p: Pair, f: ResourceFacts, ctx: ResourceContext): void {
    const { roleNames, sam } = ctx;
    /** A literal role name, or the literal RoleName of the role a `!Ref` names. */
    const roleName = (n: unknown): string | undefined => {
      if (isString(n) && !n.tag) return n.value;
      if (intrinsicName(n) === 'Ref') {
        const arg = isScalar(n) ? n : (n as YAMLMap).items[0].value;
        if (isString(arg)) return roleNames.get(arg.value);
      }
      return undefined;
    };
    const type = f.type!;
    const props = valueOf(p.value, 'Properties') as YAMLMap;
    const label = f.name;
    if (IAM_TYPES_WITH_DOCUMENT.has(type)) {
      this.recognised = true;
      const roles: string[] = [];
      const list = valueOf(props, 'Roles');
      if (isSeq(list)) for (const r of list.items) {
        const n = roleName(r);
        if (n) roles.push(n);
      }
      if (type === 'AWS::IAM::RolePolicy') {
        const n = roleName(valueOf(props, 'RoleName'));
        if (n) roles.push(n);
      }
      this.policyDocument(valueOf(props, 'PolicyDocument'), `${label}.PolicyDocument`, roles, !!props.flow);
    } else if (IAM_TYPES_WITH_POLICIES.has(type)) {
      this.recognised = true;
      const roles = type === 'AWS::IAM::Role' && stringOf(props, 'RoleName') ? [stringOf(props, 'RoleName')!] : [];
      const list = valueOf(props, 'Policies');
      if (isSeq(list))
        list.items.forEach((item, i) => {
          const at = `${label}.Policies[${i}]`;
          if (intrinsicName(item) === 'Fn::If') {
            const arg = isMap(item) && !item.tag ? item.items[0].value : item;
            if (isSeq(arg)) arg.items.slice(1, 3).forEach((b, k) => isMap(b) && this.policyDocument(valueOf(b, 'PolicyDocument'), `${at}.Fn::If[${k + 1}]`, roles, !!arg.flow || !!b.flow));
          } else if (isMap(item) && !pairOf(item, 'PolicyDocument') && mergePair(item)) this.mergedPolicy(mergePair(item)!, at);
          else if (isMap(item)) this.policyDocument(valueOf(item, 'PolicyDocument'), at, roles, !!list.flow || !!item.flow);
        });
    } else if (sam && SAM_TYPES_WITH_POLICIES.has(type)) {
      this.recognised = true;
      this.samPolicies(valueOf(props, 'Policies'), `${label}.Policies`);
    }
  }

  /**
   * A resource's reading kept from an earlier parse, added moved by `by`: its spans, entries and
   * problems as they were; what needs its nodes (a statement's other fields, the policy's value, the
   * hosts the edits read) reads the resource again from the current tree, once, when first asked.
   */
  carriedOver(t: ResourceReading, by: number, p: Pair, f: ResourceFacts, ctx: ResourceContext): void {
    let again: PolicyModel[] | undefined;
    const fresh = (i: number): PolicyModel => {
      if (!again) {
        const q = new Reader(this.text, this.doc);
        q.serverless = this.serverless;
        q.resource(p, f, ctx);
        again = q.policies;
      }
      return again[i];
    };
    const move = (sp: Span): Span => (by === 0 ? sp : { offset: sp.offset + by, length: sp.length });
    t.policies.forEach((tp, i) => {
      const statements = tp.statements.map(
        (ts, j): StatementModel => ({
          ...ts,
          span: move(ts.span),
          keySpan: ts.keySpan && move(ts.keySpan),
          entries: by === 0 ? ts.entries : ts.entries.map((e) => ({ ...e, span: move(e.span) })),
          rest: () => fresh(i).statements[j].rest(),
          get host() {
            return fresh(i).statements[j].host;
          },
        }),
      );
      this.policies.push({
        ...tp,
        span: move(tp.span),
        statementKeySpan: move(tp.statementKeySpan),
        statements,
        value: () => fresh(i).value(),
        get host() {
          return fresh(i).host;
        },
      });
    });
    for (const q of t.problems) this.problems.push(by === 0 ? q : { ...q, offset: q.offset + by });
    this.recognised ||= t.recognised;
  }

  /** SAM `Policies`: inline documents are read; managed policy names and SAM policy templates are reported, not refined. */
  samPolicies(v: unknown, label: string): void {
    const item = (n: unknown, at: string, inFlow: boolean) => {
      if (isString(n) && !n.tag) {
        this.info(n, `${at}: the managed policy ${n.value} is attached as it is (SAM resolves it at deploy time): not refined`);
      } else if (intrinsicName(n) === 'Fn::If') {
        const arg = isMap(n) && !(n as Node).tag ? (n as YAMLMap).items[0].value : n;
        if (isSeq(arg)) arg.items.slice(1, 3).forEach((b, k) => item(b, `${at}.Fn::If[${k + 1}]`, inFlow || !!arg.flow));
      } else if (intrinsicName(n)) {
        if (!(isScalar(n) && n.value === 'AWS::NoValue')) this.info(n as Node, `${at}: a managed policy computed by ${intrinsicName(n)} is attached as it is (SAM resolves it at deploy time): not refined`);
      } else if (isMap(n) && pairOf(n, 'Statement')) {
        this.readPolicy(n, at, [], inFlow || !!n.flow);
      } else if (mergePair(n)) {
        this.mergedPolicy(mergePair(n)!, at);
      } else if (isMap(n) && n.items.length > 0 && isScalar(n.items[0].key)) {
        this.info(n.items[0].key, `${at}: the SAM policy template ${String(n.items[0].key.value)} is expanded by SAM at deploy time: not refined`);
      }
    };
    if (isSeq(v) && !(v as Node).tag) v.items.forEach((n, i) => item(n, `${label}[${i}]`, !!v.flow));
    else item(v, label, false);
  }

  /** Serverless Framework: provider.iam.role.statements, provider.iamRoleStatements, functions.*.iamRoleStatements, resources.Resources. */
  serverlessFile(root: YAMLMap): void {
    this.serverless = true;
    const provider = valueOf(root, 'provider');
    const role = valueOf(valueOf(provider, 'iam'), 'role');
    const name = stringOf(role, 'name');
    const providerRoles = name && !name.includes('${') ? [name] : [];
    const list = (pair: Pair<Scalar, unknown> | undefined, label: string, roles: string[]) => {
      if (!pair) return;
      this.recognised = true;
      const v = pair.value;
      if (v === null || v === undefined || (isScalar(v) && v.value === null)) return;
      const why = this.computed(v);
      if (why || !isSeq(v)) {
        if (why) this.info(v as Node, `${label} is ${why}: not refined`);
        else this.problem(v as Node, 'invalid-policy', `${label} must be a list of statements`, 'error');
        return;
      }
      const p = this.statementList(pair.key, v, label, !!v.flow, () => ({ Version: '2012-10-17', Statement: this.value(v) }));
      p.span = { offset: pair.key.range![0], length: contentEnd(v) - pair.key.range![0] };
      if (roles.length) p.attachedRoles = roles;
      this.policies.push(p);
    };
    list(pairOf(role, 'statements'), 'provider.iam.role.statements', providerRoles);
    list(pairOf(provider, 'iamRoleStatements'), 'provider.iamRoleStatements', providerRoles);
    const functions = valueOf(root, 'functions');
    if (isMap(functions))
      for (const f of functions.items) if (isScalar(f.key)) list(pairOf(f.value, 'iamRoleStatements'), `functions.${String(f.key.value)}.iamRoleStatements`, []);
    const resources = valueOf(valueOf(root, 'resources'), 'Resources');
    if (resources) this.template(root, resources);
  }

  read(): void {
    const root = this.doc.contents;
    if (!isMap(root)) return;
    if (pairOf(root, 'Statement')) {
      this.recognised = true;
      this.readPolicy(root, 'policy', [], !!root.flow);
    } else if (pairOf(root, 'provider') && !pairOf(root, 'Resources')) {
      this.serverlessFile(root);
    } else if (pairOf(root, 'Resources')) {
      this.template(root, valueOf(root, 'Resources'));
    }
  }
}

/** What reading one resource needs from the others. */
interface ResourceContext {
  sam: boolean;
  roleNames: ReadonlyMap<string, string>;
  /** All of it as one string (a kept reading is used again only under the same one). */
  key: string;
}

/** A resource's name, type (undefined: not one with a type and properties, nothing to read) and, a role's, its literal RoleName. */
interface ResourceFacts {
  name: string;
  type?: string;
  roleName?: string;
}

function resourceFacts(p: Pair): ResourceFacts {
  if (!isScalar(p.key) || !isMap(p.value)) return { name: '' };
  const name = String(p.key.value);
  const type = stringOf(p.value, 'Type');
  const props = valueOf(p.value, 'Properties');
  if (!type || !isMap(props)) return { name };
  return { name, type, roleName: type === 'AWS::IAM::Role' ? stringOf(props, 'RoleName') : undefined };
}

type StatementData = Omit<StatementModel, 'rest' | 'host'>;
type PolicyData = Omit<PolicyModel, 'statements' | 'value' | 'host'> & { statements: StatementData[] };

/** What reading one resource gave, as plain data (no node, no closure: kept, it pins no parse). */
interface ResourceReading {
  policies: PolicyData[];
  problems: PolicyProblem[];
  recognised: boolean;
}

/**
 * The resources' readings, by their node: the node itself, or the earlier parse's node it is a moved
 * copy of (yamlIncremental.ts `nodeKey`), with how far that one had moved when read (`delta`).
 */
const readings = new WeakMap<object, { delta: number; facts: ResourceFacts; ctx: string; reading?: ResourceReading }>();

function resourceReading(r: Reader, from: { policies: number; problems: number }): ResourceReading {
  const policies: PolicyData[] = [];
  for (let i = from.policies; i < r.policies.length; i++) {
    const { statements, value: _v, host: _h, ...data } = r.policies[i];
    policies.push({ ...data, statements: statements.map(({ rest: _r, host: _s, ...st }) => st) });
  }
  return { policies, problems: r.problems.slice(from.problems), recognised: r.recognised };
}

const YAML_TOO_DEEP = 'invalid YAML: nested too deeply: not read';

/** Whether the text holds no more `[` and `{` in all than the flow depth allowed. */
function fewBrackets(text: string): boolean {
  let n = 0;
  for (const c of ['[', '{']) for (let i = text.indexOf(c); i >= 0; i = text.indexOf(c, i + 1)) if (++n > MAX_YAML_FLOW_DEPTH) return false;
  return true;
}

/** Whether every line (between line feeds) is too short to reach past the column allowed. */
function noLongLine(text: string): boolean {
  for (let at = 0; at < text.length; ) {
    const nl = text.indexOf('\n', at);
    const end = nl < 0 ? text.length : nl;
    if (end - at > MAX_YAML_BLOCK_COLUMN) return false;
    at = end + 1;
  }
  return true;
}

export const PARSE_OPTIONS = { keepSourceTokens: true, customTags: cfnCustomTags, prettyErrors: false, uniqueKeys: true, strict: false } as const;

/** Flow collections (`[`, `{`) nested deeper than this are cut out before the yaml library reads the text (as in JSON). */
export const MAX_YAML_FLOW_DEPTH = 512;
/**
 * A block indicator (`-`, `?`) or a line's first content past this column is cut out the same way: block
 * nesting takes a column per level (a column per two, for a sequence that is a map's value), so this
 * bounds it to about 512 levels, and no template is indented that far.
 */
export const MAX_YAML_BLOCK_COLUMN = 256;
const YAML_TOO_DEEP_FLOW = `invalid YAML: nested too deeply (over ${MAX_YAML_FLOW_DEPTH} levels of [ and {): not read`;
const YAML_TOO_DEEP_BLOCK = `invalid YAML: nested too deeply (indented past column ${MAX_YAML_BLOCK_COLUMN}): not read`;

/**
 * The first place nested too deep, and the text with every such part blanked out (offsets, lines and
 * columns unchanged), for the yaml library: it recurses per level (past about 1,000 levels the stack
 * runs out) and its parser is slow there (50,000 levels of `[` took 0.8 s, 500,000 7 s). A flow
 * collection too deep is blanked from its opening bracket to its closing one (or the end), a block
 * line too far right from there to its end. The places come from the library's own lexer (linear, no
 * recursion; quoted and block scalars and comments are its to tell), which runs only when a count of
 * the characters allows such nesting; it stops counting inside what it cuts.
 */
export function yamlTooDeep(text: string): { offset: number; message: string; text: string } | undefined {
  if (fewBrackets(text) && noLongLine(text)) return undefined; // native scans: too few brackets to nest deep, no line reaching the column
  // brackets opened and not closed, counted as if none were in a scalar or a comment: a bound on the real depth unless
  // scalars hold more [ and { than ] and } (a template's many short lists stay at 1)
  let open = 0;
  let deepest = 0;
  let far = false;
  for (let i = 0, col = 0, indent = true; i < text.length && !far; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) {
      col = 0;
      indent = true;
      continue;
    }
    if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++open);
    else if ((c === 0x5d || c === 0x7d) && open > 0) open--;
    if (col > MAX_YAML_BLOCK_COLUMN && ((indent && c !== 0x20) || c === 0x2d || c === 0x3f)) far = true;
    if (c !== 0x20) indent = false;
    col++;
  }
  if (deepest <= MAX_YAML_FLOW_DEPTH && !far) return undefined;
  const cuts: [number, number][] = [];
  let first: { offset: number; message: string } | undefined;
  let offset = 0;
  let lineStart = 0;
  let lineFirst = true; // no content yet on this line
  let depth = 0;
  let cutFrom = -1; // a flow collection being cut
  let skipTo = -1; // a block line being cut
  let scalar = false;
  const lineEnd = (from: number) => {
    const n = text.indexOf('\n', from);
    const r = text.indexOf('\r', from);
    return n < 0 ? (r < 0 ? text.length : r) : r < 0 ? n : Math.min(n, r);
  };
  for (const tok of new Lexer().lex(text)) {
    // the lexer's markers (a document, a scalar's start, a flow error) stand for no text; a scalar's source follows its marker
    if (!scalar && (tok === CST.DOCUMENT || tok === CST.FLOW_END)) continue;
    if (!scalar && tok === CST.SCALAR) {
      scalar = true;
      if (depth === 0 && lineFirst && offset > skipTo && offset - lineStart > MAX_YAML_BLOCK_COLUMN) {
        skipTo = lineEnd(offset);
        cuts.push([offset, skipTo]);
        first ??= { offset, message: YAML_TOO_DEEP_BLOCK };
      }
      continue;
    }
    const start = offset;
    offset += tok.length;
    const type = scalar ? 'scalar' : CST.tokenType(tok);
    scalar = false;
    if (start >= skipTo) {
      if (type === 'flow-seq-start' || type === 'flow-map-start') {
        if (++depth > MAX_YAML_FLOW_DEPTH && cutFrom < 0) {
          cutFrom = start;
          first ??= { offset: start, message: YAML_TOO_DEEP_FLOW };
        }
      } else if (type === 'flow-seq-end' || type === 'flow-map-end') {
        if (depth > 0 && --depth === MAX_YAML_FLOW_DEPTH && cutFrom >= 0) {
          cuts.push([cutFrom, offset]);
          cutFrom = -1;
        }
      } else if (depth === 0 && type !== 'space' && type !== 'newline' && start - lineStart > MAX_YAML_BLOCK_COLUMN && (lineFirst || type === 'seq-item-ind' || type === 'explicit-key-ind')) {
        skipTo = lineEnd(start);
        cuts.push([start, skipTo]);
        first ??= { offset: start, message: YAML_TOO_DEEP_BLOCK };
      }
    }
    const nl = Math.max(tok.lastIndexOf('\n'), tok.lastIndexOf('\r'));
    if (nl >= 0) {
      lineStart = start + nl + 1;
      lineFirst = true;
    } else if (type !== 'space') lineFirst = false;
  }
  if (cutFrom >= 0) cuts.push([cutFrom, text.length]);
  if (!first) return undefined;
  // blanked with spaces, line breaks kept (positions after a cut stay where they were)
  let out = '';
  let at = 0;
  for (const [a, b] of cuts) {
    out += text.slice(at, a) + text.slice(a, b).replace(/[^\r\n]/g, ' ');
    at = b;
  }
  return { ...first, text: out + text.slice(at) };
}


/**
 * Finds the IAM policies in a YAML document (every document of a multi-document stream). The
 * previous parse's untouched parts, and the readings of its untouched resources, are used again;
 * `fresh` reads the text on its own (neither using nor keeping anything).
 */
export function parseYamlPolicies(text: string, opts: { fresh?: boolean } = {}): ParsedDocument {
  const empty: ParsedDocument = { format: yamlFormat, text, policies: [], problems: [], hasSyntaxErrors: false, recognised: false };
  if (!yamlMayContainPolicy(text)) return empty;
  // nesting too deep is cut out first (up to three times: a cut can change how the rest lexes); still too deep, nothing is read
  let deep: ReturnType<typeof yamlTooDeep>;
  let source = text;
  for (let pass = 0; pass < 3; pass++) {
    const d = yamlTooDeep(source);
    if (!d) break;
    deep ??= d;
    source = d.text;
    if (pass === 2) source = '';
  }
  // the previous parse's untouched items are reused (yamlIncremental.ts): the same documents as a whole parse
  const list = opts.fresh ? parseYamlFresh(source, PARSE_OPTIONS) : parseYamlDocuments(source, PARSE_OPTIONS);
  const policies: PolicyModel[] = [];
  const problems: PolicyProblem[] = [];
  const syntax: PolicyProblem[] = [];
  let recognised = false;
  let readable = false;
  let saidTooDeep = !!deep;
  if (deep) syntax.push({ code: 'invalid-syntax', message: deep.message, offset: deep.offset, length: 1, severity: 'error' });
  for (const [i, d] of list.entries()) {
    for (const e of d.errors) {
      // the yaml library reads nesting recursively and reports where the stack ran out: said once, in words
      const tooDeep = /Maximum call stack size exceeded/.test(e.message);
      if (tooDeep && saidTooDeep) continue;
      saidTooDeep ||= tooDeep;
      syntax.push({ code: 'invalid-syntax', message: tooDeep ? YAML_TOO_DEEP : `invalid YAML: ${e.message}`, offset: e.pos[0], length: Math.max(1, e.pos[1] - e.pos[0]), severity: 'error' });
    }
    const r = new Reader(text, d);
    r.carry = !opts.fresh && list.length === 1 && !deep && keptWhole(list);
    r.read();
    if (isMap(d.contents)) readable = true;
    if (list.length > 1) for (const p of r.policies) p.label = `document ${i + 1}: ${p.label}`;
    policies.push(...r.policies);
    problems.push(...r.problems);
    recognised ||= r.recognised;
  }
  if (syntax.length > MAX_SYNTAX_ERRORS) {
    const rest = syntax[MAX_SYNTAX_ERRORS];
    syntax.splice(MAX_SYNTAX_ERRORS, Infinity, { ...rest, message: `invalid YAML: ${syntax.length - MAX_SYNTAX_ERRORS} more syntax errors from here on (not shown)` });
  }
  // syntax errors matter in a file that holds policies, or one that could not be read at all; a
  // broken YAML file of another kind (that merely mentions a statement) is not this tool's business
  const reportSyntax = syntax.length > 0 && (recognised || !readable);
  if (!recognised && !reportSyntax) return { ...empty, host: list };
  return {
    format: yamlFormat,
    text,
    policies,
    problems: reportSyntax ? [...syntax, ...problems] : problems,
    hasSyntaxErrors: reportSyntax,
    recognised: recognised || reportSyntax,
    host: list,
  };
}
