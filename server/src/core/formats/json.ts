/**
 * Policy JSON/JSONC files and CloudFormation JSON templates: the policies found with
 * jsonc-parser's tree (exact offsets), edits written by hand on that tree so that only the changed
 * entries change (jsonc-parser's modify() would re-format the whole array).
 */
import { Node, getNodeValue } from 'jsonc-parser';
import { HostFormat, ParsedDocument, PolicyModel, PolicyProblem, ProblemSeverity, StatementModel } from '../model';
import { EntryFate, PolicyPlan, entryFates } from '../plan';
import { Layout, TextEdit, documentLayout, lineIndent } from '../edits';
import { parseJsonc, propertyNode, propertyValue, describeParseError } from '../text';
import { incrementalJson } from './jsonIncremental';

export interface JsonStatementHost {
  node: Node;
  /** The property node of Action/NotAction (its key is children[0], its value children[1]). */
  property?: Node;
  valueNode?: Node;
}

export interface JsonPolicyHost {
  statementProperty: Node;
}

const IAM_TYPES_WITH_DOCUMENT = new Set(['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::RolePolicy', 'AWS::IAM::UserPolicy', 'AWS::IAM::GroupPolicy']);
const IAM_TYPES_WITH_POLICIES = new Set(['AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group']);

const span = (n: Node) => ({ offset: n.offset, length: n.length });

function problem(node: Node, message: string, severity: ProblemSeverity = 'error'): PolicyProblem {
  return { code: 'invalid-policy', message, offset: node.offset, length: node.length, severity };
}

export const jsonFormat: HostFormat = {
  id: 'json',
  name: 'JSON',
  // a Terraform template (`policy.json.tftpl`, `policy.tftpl`) holding a policy is JSON with template
  // syntax: read as JSON, its templated statements left alone (workspace/tfModules.ts)
  claims: (fileName) => /\.(jsonc?|tftpl)$/i.test(fileName) && !/\.tf\.json$/i.test(fileName),
  mayContainPolicy: (text) => text.includes('"Statement"'),
  // a keystroke in a large policy reads again only what it can change (formats/jsonIncremental.ts)
  parse: (text, opts) => jsonReadings.parse(text, opts),
  edits: jsonEdits,
};

/** The JSON format's readings: the whole one, or the incremental one from the last text read. */
export const jsonReadings = incrementalJson((text) => parseJsonPolicies(text));

/** Finds the IAM policies in a JSON/JSONC document: a policy file, or the policies of a CloudFormation template. */
export function parseJsonPolicies(text: string): ParsedDocument {
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
      policies.push(readPolicy(root, 'policy', problems));
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
          if (doc?.type === 'object' && propertyNode(doc, 'Statement')) policies.push(readPolicy(doc, `${name}.PolicyDocument`, problems));
        } else if (IAM_TYPES_WITH_POLICIES.has(type)) {
          const list = propertyValue(props, 'Policies');
          (list?.type === 'array' ? list.children ?? [] : []).forEach((p, i) => {
            const doc = p.type === 'object' ? propertyValue(p, 'PolicyDocument') : undefined;
            if (doc?.type === 'object' && propertyNode(doc, 'Statement')) policies.push(readPolicy(doc, `${name}.Policies[${i}]`, problems));
          });
        }
      }
    }
  }
  return { format: jsonFormat, text, policies, problems, hasSyntaxErrors: errors.length > 0, recognised: policies.length > 0, host: root };
}

function readPolicy(node: Node, label: string, problems: PolicyProblem[]): PolicyModel {
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
  const statementCount = value?.type === 'array' ? value.children?.length ?? 0 : statements.length;
  const host: JsonPolicyHost = { statementProperty };
  return { label, span: span(node), statementKeySpan: span(statementProperty.children![0]), statements, statementCount, value: () => getNodeValue(node), host };
}

/** A statement object's model before its fields are read: its span, and everything but its action keys as the rest. */
export function objectStatement(node: Node, index: number, actionKeys: readonly [string, string]): StatementModel {
  const host: JsonStatementHost = { node };
  // getNodeValue's object without the action keys' values (a policy's large Action array is never
  // turned into values for a comparison of everything else)
  const rest = () => {
    const o = Object.create(null) as Record<string, unknown>;
    for (const prop of node.children ?? []) {
      const key = prop.children?.[0]?.value as string;
      const value = prop.children?.[1];
      if (value && key !== actionKeys[0] && key !== actionKeys[1]) o[key] = getNodeValue(value);
    }
    return { ...o };
  };
  return { span: span(node), index, entries: [], rest, host };
}

function readStatement(node: Node, index: number, problems: PolicyProblem[]): StatementModel {
  const st = objectStatement(node, index, ['Action', 'NotAction']);
  const host = st.host as JsonStatementHost;
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
  if (propertyNode(node, 'Principal') || propertyNode(node, 'NotPrincipal')) st.principal = true;
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
  host.property = prop;
  st.keySpan = span(prop.children![0]);
  const v = prop.children?.[1];
  host.valueNode = v;
  if (!v) {
    st.opaque ??= 'incomplete';
    return st;
  }
  if (v.type === 'string') {
    st.entries.push({ value: v.value, span: span(v), index: -1 });
  } else if (v.type === 'array') {
    (v.children ?? []).forEach((el, i) => {
      if (el.type === 'string') st.entries.push({ value: el.value, span: span(el), index: i });
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

// ------------------------------------------------------------------------------------------------
// edits

/** Printable ASCII without `"` or `\\`: what JSON writes as it stands (every action name). */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const quote = (s: string) => (PLAIN.test(s) ? '"' + s + '"' : JSON.stringify(s));

/** How the elements of an existing array are separated: `,\n    ` for a multi-line array, `, ` inline. */
function separatorOf(text: string, arr: Node, layout: Layout): string {
  const kids = arr.children ?? [];
  const first = kids[0];
  const before = text.slice(arr.offset + 1, first.offset);
  if (/[\r\n]/.test(before)) return ',' + layout.eol + lineIndent(text, first.offset);
  if (kids.length > 1) {
    const between = text.slice(first.offset + first.length, kids[1].offset);
    if (!/[\r\n]/.test(between)) return /,\s/.test(between) ? ', ' : ',';
    return ',' + layout.eol + lineIndent(text, kids[1].offset);
  }
  return ', ';
}

/**
 * Edits that remove or replace elements of an array. Computed together, so they cannot overlap:
 * an element removed before a later element takes its following separator; a trailing run of
 * removed elements takes the separator before it.
 */
function arrayEdits(arr: Node, fates: ('keep' | 'remove' | string[])[], sep: string): TextEdit[] {
  const kids = arr.children ?? [];
  const edits: TextEdit[] = [];
  let lastKept = kids.length - 1;
  while (lastKept >= 0 && fates[lastKept] === 'remove') lastKept--;
  if (lastKept < 0) throw new Error('arrayEdits: every element removed');
  kids.forEach((k, i) => {
    const f = fates[i];
    if (f === 'keep') return;
    if (f === 'remove') {
      if (i < lastKept) edits.push({ offset: k.offset, length: kids[i + 1].offset - k.offset, newText: '' });
      return;
    }
    edits.push({ offset: k.offset, length: k.length, newText: f.map(quote).join(sep) });
  });
  if (lastKept < kids.length - 1) {
    const from = kids[lastKept].offset + kids[lastKept].length;
    const last = kids[kids.length - 1];
    edits.push({ offset: from, length: last.offset + last.length - from, newText: '' });
  }
  return edits;
}

/** A new array value written where a single string stood, one entry a line, indented one level below its key. */
function newArray(text: string, keyOffset: number, items: string[], layout: Layout, inline: boolean, alwaysList = false): string {
  if (items.length === 1 && !alwaysList) return quote(items[0]);
  // a statement written on one line gets its array on that line too
  if (inline) return '[' + items.map(quote).join(', ') + ']';
  const indent = lineIndent(text, keyOffset);
  const inner = indent + layout.unit;
  return '[' + layout.eol + inner + items.map(quote).join(',' + layout.eol + inner) + layout.eol + indent + ']';
}

/** How a JSON dialect names and writes actions: Terraform JSON's policy documents say `not_actions` and always take a list. */
export interface JsonEditOptions {
  notActionKey?: string;
  alwaysList?: boolean;
}

function jsonEdits(doc: ParsedDocument, plans: PolicyPlan[]): TextEdit[] {
  return jsonEditsWith(doc, plans, {});
}

/** Minimal text edits for a plan: only changed Action/NotAction values and removed statements. */
export function jsonEditsWith(doc: ParsedDocument, plans: PolicyPlan[], opts: JsonEditOptions): TextEdit[] {
  const notActionKey = opts.notActionKey ?? 'NotAction';
  const alwaysList = opts.alwaysList ?? false;
  const text = doc.text;
  const layout = documentLayout(text);
  const edits: TextEdit[] = [];
  for (const pp of plans) {
    const statementValue = (pp.policy.host as JsonPolicyHost).statementProperty.children?.[1];
    const removed = new Set(pp.statements.filter((s) => s.change.kind === 'remove').map((s) => s.model.index));
    if (removed.size && statementValue?.type === 'array') {
      const fates = (statementValue.children ?? []).map((_, i) => (removed.has(i) ? 'remove' : 'keep') as 'keep' | 'remove');
      edits.push(...arrayEdits(statementValue, fates, ''));
    }
    for (const sp of pp.statements) {
      const c = sp.change;
      const st = sp.model;
      const h = st.host as JsonStatementHost;
      const v = h.valueNode!;
      const keyNode = h.property?.children?.[0];
      const inline = !/[\r\n]/.test(text.slice(h.node.offset, h.node.offset + h.node.length));
      if (c.kind === 'entries') {
        if (v.type === 'string') {
          const f: EntryFate = c.fates[0];
          if (f.kind === 'replace') edits.push({ offset: v.offset, length: v.length, newText: newArray(text, keyNode!.offset, f.patterns, layout, inline) });
        } else {
          edits.push(...arrayEdits(v, entryFates(c.fates), separatorOf(text, v, layout)));
        }
      } else if (c.kind === 'to-not-action') {
        edits.push({ offset: keyNode!.offset, length: keyNode!.length, newText: quote(notActionKey) });
        const sep = v.type === 'array' && (v.children?.length ?? 0) > 0 ? separatorOf(text, v, layout) : undefined;
        const value =
          sep !== undefined && /[\r\n]/.test(sep) ? '[' + sep.slice(1) + c.patterns.map(quote).join(sep) + layout.eol + lineIndent(text, v.offset + v.length - 1) + ']' : newArray(text, keyNode!.offset, c.patterns, layout, inline, alwaysList);
        edits.push({ offset: v.offset, length: v.length, newText: value });
      } else if (c.kind === 'extend-not-action') {
        if (v.type === 'string') {
          edits.push({ offset: v.offset, length: v.length, newText: newArray(text, keyNode!.offset, [st.entries[0].value, ...c.patterns], layout, inline).replace(quote(st.entries[0].value), text.slice(v.offset, v.offset + v.length)) });
        } else {
          const kids = v.children ?? [];
          const last = kids[kids.length - 1];
          const sep = separatorOf(text, v, layout);
          edits.push({ offset: last.offset + last.length, length: 0, newText: sep + c.patterns.map(quote).join(sep) });
        }
      }
    }
  }
  return edits;
}
