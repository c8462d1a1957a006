import { Node, JSONPath, getNodeValue } from 'jsonc-parser';
import { parseJsonc, propertyNode, propertyValue, describeParseError } from './text';

/** One string in an Action or NotAction value, with its exact place in the text. */
export interface ActionEntry {
  value: string;
  /** The string literal node (offset/length include the quotes). */
  node: Node;
  /** Index in the array, or -1 when the value is a single string. */
  index: number;
}

export interface StatementModel {
  node: Node;
  /** Index in the Statement array, or -1 when Statement is a single object. */
  index: number;
  effect?: string;
  sid?: string;
  key?: 'Action' | 'NotAction';
  /** The property node of Action/NotAction (its key is children[0], its value children[1]). */
  property?: Node;
  valueNode?: Node;
  entries: ActionEntry[];
  /** Something the engine cannot reason about exactly (a non-string action, both keys…): never edited. */
  opaque?: string;
  /** Opted out of refinement by a Sid starting with NOREPO (Repokid's convention): never edited, no unused warnings. */
  suppressed?: boolean;
}

export interface PolicyModel {
  /** JSON path of the policy object in its host document ([] for a policy file). */
  path: JSONPath;
  node: Node;
  /** A human label: "policy" or the template location. */
  label: string;
  statementProperty: Node;
  statements: StatementModel[];
}

export type ProblemSeverity = 'error' | 'warning' | 'information';

export interface PolicyProblem {
  code: 'invalid-json' | 'invalid-policy';
  message: string;
  offset: number;
  length: number;
  severity: ProblemSeverity;
}

export interface ParsedDocument {
  text: string;
  root: Node | undefined;
  policies: PolicyModel[];
  problems: PolicyProblem[];
  hasSyntaxErrors: boolean;
}

const IAM_TYPES_WITH_DOCUMENT = new Set(['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']);
const IAM_TYPES_WITH_POLICIES = new Set(['AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group']);

/** Cheap test before any parsing: documents that cannot hold a policy cost nothing. */
export function mayContainPolicy(text: string): boolean {
  return text.includes('"Statement"');
}

/** Finds the IAM policies in a JSON/JSONC document: a policy file, or the policies of a CloudFormation template. */
export function parsePolicyDocument(text: string): ParsedDocument {
  const { root, errors } = parseJsonc(text);
  const problems: PolicyProblem[] = errors.map((e) => ({
    code: 'invalid-json' as const,
    message: describeParseError(e),
    offset: e.offset,
    length: Math.max(e.length, 1),
    severity: 'error' as const,
  }));
  const policies: PolicyModel[] = [];
  if (root && root.type === 'object') {
    if (propertyNode(root, 'Statement')) {
      policies.push(readPolicy(root, [], 'policy', problems));
    } else {
      const resources = propertyValue(root, 'Resources');
      for (const res of resources?.type === 'object' ? resources.children ?? [] : []) {
        const name = res.children?.[0]?.value as string;
        const body = res.children?.[1];
        if (!body || body.type !== 'object') continue;
        const type = propertyValue(body, 'Type')?.value;
        const props = propertyValue(body, 'Properties');
        if (!props || props.type !== 'object') continue;
        if (IAM_TYPES_WITH_DOCUMENT.has(type)) {
          const doc = propertyValue(props, 'PolicyDocument');
          if (doc?.type === 'object' && propertyNode(doc, 'Statement')) {
            policies.push(readPolicy(doc, ['Resources', name, 'Properties', 'PolicyDocument'], `${name}.PolicyDocument`, problems));
          }
        } else if (IAM_TYPES_WITH_POLICIES.has(type)) {
          const list = propertyValue(props, 'Policies');
          (list?.type === 'array' ? list.children ?? [] : []).forEach((p, i) => {
            const doc = p.type === 'object' ? propertyValue(p, 'PolicyDocument') : undefined;
            if (doc?.type === 'object' && propertyNode(doc, 'Statement')) {
              policies.push(readPolicy(doc, ['Resources', name, 'Properties', 'Policies', i, 'PolicyDocument'], `${name}.Policies[${i}]`, problems));
            }
          });
        }
      }
    }
  }
  return { text, root, policies, problems, hasSyntaxErrors: errors.length > 0 };
}

function problem(node: Node, message: string, severity: ProblemSeverity = 'error'): PolicyProblem {
  return { code: 'invalid-policy', message, offset: node.offset, length: node.length, severity };
}

function readPolicy(node: Node, path: JSONPath, label: string, problems: PolicyProblem[]): PolicyModel {
  const statementProperty = propertyNode(node, 'Statement')!;
  const value = statementProperty.children?.[1];
  const statements: StatementModel[] = [];
  if (!value) {
    // incomplete while typing; the syntax error is reported already
  } else if (value.type === 'object') {
    statements.push(readStatement(value, -1, problems));
  } else if (value.type === 'array') {
    (value.children ?? []).forEach((s, i) => {
      if (s.type === 'object') statements.push(readStatement(s, i, problems));
      else problems.push(problem(s, 'a statement must be an object'));
    });
  } else {
    problems.push(problem(value, '"Statement" must be an object or an array of objects'));
  }
  return { path, node, label, statementProperty, statements };
}

function readStatement(node: Node, index: number, problems: PolicyProblem[]): StatementModel {
  const st: StatementModel = { node, index, entries: [] };
  const effect = propertyValue(node, 'Effect');
  if (effect?.type === 'string') st.effect = effect.value;
  if (effect && (effect.type !== 'string' || (effect.value !== 'Allow' && effect.value !== 'Deny'))) {
    problems.push(problem(effect, '"Effect" must be "Allow" or "Deny"'));
    st.opaque = 'invalid Effect';
  } else if (!effect) {
    problems.push(problem(node.children?.[0] ?? node, 'the statement has no "Effect"'));
    st.opaque = 'no Effect';
  }
  const sid = propertyValue(node, 'Sid');
  if (sid?.type === 'string') {
    st.sid = sid.value;
    st.suppressed = /^norepo/i.test(sid.value);
  }
  const action = propertyNode(node, 'Action');
  const notAction = propertyNode(node, 'NotAction');
  if (action && notAction) {
    problems.push(problem(notAction.children![0], 'a statement cannot have both "Action" and "NotAction"'));
    st.opaque = 'both Action and NotAction';
  }
  const prop = action ?? notAction;
  if (!prop) {
    problems.push(problem(node.children?.[0] ?? node, 'the statement has neither "Action" nor "NotAction"', 'warning'));
    st.opaque ??= 'no Action';
    return st;
  }
  st.key = action ? 'Action' : 'NotAction';
  st.property = prop;
  const v = prop.children?.[1];
  st.valueNode = v;
  if (!v) {
    st.opaque ??= 'incomplete';
    return st;
  }
  if (v.type === 'string') {
    st.entries.push({ value: v.value, node: v, index: -1 });
  } else if (v.type === 'array') {
    (v.children ?? []).forEach((el, i) => {
      if (el.type === 'string') st.entries.push({ value: el.value, node: el, index: i });
      else {
        problems.push(problem(el, 'an action must be a string', 'warning'));
        st.opaque ??= 'non-string action';
      }
    });
    if (st.entries.length === 0 && !st.opaque) {
      problems.push(problem(v, `an empty "${st.key}" list`, 'warning'));
      st.opaque = 'empty';
    }
  } else {
    problems.push(problem(v, `"${st.key}" must be a string or an array of strings`));
    st.opaque ??= 'invalid Action';
  }
  return st;
}

/** The statement as a value, without its action key: what must not change when actions are refined. */
export function statementRest(st: StatementModel): Record<string, unknown> {
  const v = getNodeValue(st.node) as Record<string, unknown>;
  const rest = { ...v };
  delete rest.Action;
  delete rest.NotAction;
  return rest;
}

/** IAM's size limits, in characters without white space (IAM does not count it). */
export const MANAGED_POLICY_LIMIT = 6144;
export const INLINE_ROLE_POLICY_LIMIT = 10240;

/** A policy's size as IAM counts it against its limits: its JSON without white space. */
export function policySize(policy: PolicyModel): number {
  return JSON.stringify(getNodeValue(policy.node)).length;
}
