/**
 * A policy written as JSON inside a string of another format: a YAML literal block or quoted
 * scalar (yamlJson.ts), a Terraform JSON string (`"policy": "{\"Statement\": …}"`, tfjson.ts). The
 * JSON is read by the JSON format on the string's value, and every offset is mapped back to the
 * source through a ValueMap; edits are the JSON format's, mapped back the same way and written in
 * the host string's own escaping.
 */
import { ParsedDocument, PolicyModel, PolicyProblem, Span, StatementModel } from '../model';
import { PolicyPlan } from '../plan';
import { TextEdit } from '../edits';
import { jsonFormat, parseJsonPolicies } from './json';

/**
 * Offsets of a string's value mapped to offsets of the source: runs of characters written as they
 * read, each run followed by exactly one value character the source writes otherwise (a line break
 * with the block's indentation after it, an escape sequence such as `\"` or `\u0041`).
 */
export class ValueMap {
  /** [value offset, source offset, length] per run. */
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

/** How the host string writes the JSON: what a new line inside it starts with, or how quotes and escapes are written. */
export interface EmbeddedStyle {
  map: ValueMap;
  /** A literal block: each new line inside the JSON starts with this indentation. */
  indent?: string;
  /** A one-line quoted YAML scalar. */
  quote?: "'" | '"';
  /** A JSON string: new text is written with JSON's escapes (`\"`, `\\`, `\n`). */
  jsonEscaped?: boolean;
}

export interface JsonPolicyHost extends EmbeddedStyle {
  kind: 'json';
  inner: ParsedDocument;
  innerPolicy: PolicyModel;
}

export interface JsonStatementHost {
  kind: 'json';
  inner: StatementModel;
}

export interface EmbeddedSink {
  problems: PolicyProblem[];
  info(at: Span, message: string): void;
}

export interface EmbeddedOptions {
  /** Why an action of the JSON is computed by the host (and the message saying so), or undefined when it is literal. */
  computed?: (value: string) => { why: string; message: string } | undefined;
  /** Say nothing about a computed action in a statement the engine leaves alone anyway (Deny, Principal, NOREPO). */
  quietWhenUntouched?: boolean;
}

/**
 * The policy in a string whose value is `value`, placed in the source by `style.map`; problems of
 * the JSON are reported at their places in the source. Undefined when the JSON holds no policy.
 */
export function readEmbeddedJson(sink: EmbeddedSink, value: string, style: EmbeddedStyle, span: Span, label: string, opts: EmbeddedOptions = {}): PolicyModel | undefined {
  const m = style.map;
  const inner = parseJsonPolicies(value);
  const ip = inner.policies[0];
  for (const p of inner.problems) {
    const s = m.span(p);
    sink.problems.push({ ...p, offset: s.offset, length: Math.max(1, s.length), message: `${p.message} (in the JSON of ${label})` });
  }
  if (!ip) {
    if (!inner.hasSyntaxErrors) sink.info(span, `${label}: this JSON string has no "Statement": not refined`);
    return undefined;
  }
  const statements = ip.statements.map((st): StatementModel => {
    const out: StatementModel = {
      ...st,
      span: m.span(st.span),
      keySpan: st.keySpan && m.span(st.keySpan),
      entries: st.entries.map((e) => ({ ...e, span: m.span(e.span) })),
      rest: () => st.rest(),
      host: { kind: 'json', inner: st } satisfies JsonStatementHost,
    };
    if (opts.computed && !out.opaque) {
      for (const [k, e] of st.entries.entries()) {
        const c = opts.computed(e.value);
        if (!c) continue;
        out.opaque = c.why;
        if (!opts.quietWhenUntouched || (out.effect === 'Allow' && !out.principal && !out.suppressed)) sink.info(out.entries[k].span, c.message);
        break;
      }
    }
    return out;
  });
  const host: JsonPolicyHost = { kind: 'json', inner, innerPolicy: ip, ...style };
  return {
    label,
    span,
    statementKeySpan: m.span(ip.statementKeySpan),
    statements,
    statementCount: ip.statementCount,
    value: () => ip.value(),
    host,
  };
}

/** The JSON format's edits for a policy in a string, mapped to the source and written in the string's own style. */
export function embeddedJsonEdits(pp: PolicyPlan, eol: string): TextEdit[] {
  const host = pp.policy.host as JsonPolicyHost;
  const innerPlan: PolicyPlan = { policy: host.innerPolicy, statements: pp.statements.map((sp) => ({ ...sp, model: (sp.model.host as JsonStatementHost).inner })) };
  return jsonFormat.edits(host.inner, [innerPlan]).map((e) => {
    const offset = host.map.at(e.offset);
    let newText = e.newText;
    if (host.jsonEscaped) newText = JSON.stringify(newText).slice(1, -1);
    else if (host.indent !== undefined) newText = newText.replace(/\n/g, eol + host.indent);
    else if (host.quote === "'") newText = newText.replace(/'/g, "''");
    return { offset, length: host.map.at(e.offset + e.length) - offset, newText };
  });
}
