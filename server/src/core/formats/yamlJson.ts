/**
 * A PolicyDocument given as a JSON string inside YAML: a literal block scalar (`|`, `!Sub |`) or a
 * one-line quoted scalar. The JSON is read by the JSON format, on the scalar's value, and every
 * offset is mapped back to the YAML source; edits are the JSON format's, mapped back the same way,
 * each new line given the block's indentation.
 */
import { Scalar } from 'yaml';
import { ParsedDocument, PolicyModel, Span, StatementModel } from '../model';
import { PolicyPlan } from '../plan';
import { TextEdit } from '../edits';
import { jsonFormat, parseJsonPolicies } from './json';
import type { Reader } from './yaml';

/** Offsets of a scalar's value mapped to offsets of the source: one run per line of the value. */
export class ValueMap {
  /** [value offset, source offset, length] per line (length without the line break). */
  constructor(readonly runs: [number, number, number][], readonly end: number) {}
  at(v: number): number {
    let lo = 0;
    let hi = this.runs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.runs[mid][0] <= v) lo = mid;
      else hi = mid - 1;
    }
    const [vs, ss, len] = this.runs[lo];
    if (v - vs > len) return lo + 1 < this.runs.length ? this.runs[lo + 1][1] : this.end;
    return ss + (v - vs);
  }
  span(s: Span): Span {
    const a = this.at(s.offset);
    return { offset: a, length: this.at(s.offset + s.length) - a };
  }
}

export interface JsonPolicyHost {
  kind: 'json';
  inner: ParsedDocument;
  innerPolicy: PolicyModel;
  map: ValueMap;
  /** What a new line inside the JSON starts with in the source (the block's indentation), or undefined for a one-line scalar. */
  indent?: string;
  quote?: "'" | '"';
}

export interface JsonStatementHost {
  kind: 'json';
  inner: StatementModel;
}

/** How a scalar's value sits in the source, when it can be edited in place. */
function mapScalar(text: string, n: Scalar<string>): { map: ValueMap; indent?: string; quote?: "'" | '"' } | undefined {
  const [start, end] = n.range!;
  const value = n.value;
  if (n.type === 'QUOTE_SINGLE' || n.type === 'QUOTE_DOUBLE') {
    const inner = text.slice(start + 1, end - 1);
    if (inner !== value || /[\r\n]/.test(inner)) return undefined;
    return { map: new ValueMap([[0, start + 1, inner.length]], end - 1), quote: n.type === 'QUOTE_SINGLE' ? "'" : '"' };
  }
  if (n.type !== 'BLOCK_LITERAL') return undefined;
  // the header line (`|`, `|-`, `|+`); an explicit indentation indicator is not handled
  let i = start;
  while (i < end && text[i] !== '\n' && text[i] !== '\r') i++;
  const header = text.slice(start, i).replace(/\s+#.*$/, '').trim();
  if (!/^\|[-+]?$/.test(header)) return undefined;
  const lines: [number, number][] = []; // [start, end] of each source line of the block
  let at = i + (text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1);
  while (at < end) {
    let e = at;
    while (e < end && text[e] !== '\n' && text[e] !== '\r') e++;
    lines.push([at, e]);
    at = e + (text[e] === '\r' && text[e + 1] === '\n' ? 2 : 1);
  }
  const first = lines.find(([s, e]) => text.slice(s, e).trim() !== '');
  if (!first) return undefined;
  let width = 0;
  while (text[first[0] + width] === ' ') width++;
  const runs: [number, number, number][] = [];
  let v = 0;
  let rebuilt = '';
  for (const [s, e] of lines) {
    const from = Math.min(s + width, e);
    runs.push([v, from, e - from]);
    rebuilt += text.slice(from, e) + '\n';
    v += e - from + 1;
  }
  if (rebuilt.replace(/\n+$/, '') !== value.replace(/\n+$/, '')) return undefined;
  return { map: new ValueMap(runs, end), indent: ' '.repeat(width) };
}

export function readJsonStringPolicy(r: Reader, n: Scalar<string>, label: string, sub: boolean): PolicyModel | undefined {
  const trimmed = n.value.trim();
  if (!trimmed.startsWith('{')) {
    r.info(n, `${label}: a PolicyDocument string that is not a JSON object is not refined`);
    return undefined;
  }
  const m = mapScalar(r.text, n);
  if (!m) {
    r.info(n, `${label}: a PolicyDocument JSON string written in this style cannot be edited in place (use a literal block "|" or a mapping): not refined`);
    return undefined;
  }
  const inner = parseJsonPolicies(n.value);
  const ip = inner.policies[0];
  for (const p of inner.problems) {
    const s = m.map.span(p);
    r.problems.push({ ...p, offset: s.offset, length: Math.max(1, s.length), message: `${p.message} (in the JSON of ${label})` });
  }
  if (!ip) {
    if (!inner.hasSyntaxErrors) r.info(n, `${label}: this JSON string has no "Statement": not refined`);
    return undefined;
  }
  const statements = ip.statements.map((st): StatementModel => {
    const out: StatementModel = {
      ...st,
      span: m.map.span(st.span),
      keySpan: st.keySpan && m.map.span(st.keySpan),
      entries: st.entries.map((e) => ({ ...e, span: m.map.span(e.span) })),
      rest: () => st.rest(),
      host: { kind: 'json', inner: st } satisfies JsonStatementHost,
    };
    const computed = sub ? st.entries.find((e) => e.value.includes('${')) : undefined;
    if (computed && !out.opaque) {
      out.opaque = 'computed by Fn::Sub';
      r.info(out.entries[st.entries.indexOf(computed)].span, `an action of this statement is computed by Fn::Sub (${computed.value}): the statement is not refined (its actions are not known before deployment)`);
    }
    return out;
  });
  const host: JsonPolicyHost = { kind: 'json', inner, innerPolicy: ip, map: m.map, indent: m.indent, quote: m.quote };
  return {
    label,
    span: rangeOf(n),
    statementKeySpan: m.map.span(ip.statementKeySpan),
    statements,
    statementCount: ip.statementCount,
    value: () => ip.value(),
    host,
  };
}

const rangeOf = (n: Scalar): Span => ({ offset: n.range![0], length: n.range![1] - n.range![0] });

/** The JSON format's edits for a policy in a JSON string, mapped to the YAML source. */
export function jsonStringEdits(pp: PolicyPlan, eol: string): TextEdit[] {
  const host = pp.policy.host as JsonPolicyHost;
  const innerPlan: PolicyPlan = { policy: host.innerPolicy, statements: pp.statements.map((sp) => ({ ...sp, model: (sp.model.host as JsonStatementHost).inner })) };
  return jsonFormat.edits(host.inner, [innerPlan]).map((e) => {
    const offset = host.map.at(e.offset);
    let newText = e.newText;
    if (host.indent !== undefined) newText = newText.replace(/\n/g, eol + host.indent);
    else if (host.quote === "'") newText = newText.replace(/'/g, "''");
    return { offset, length: host.map.at(e.offset + e.length) - offset, newText };
  });
}
