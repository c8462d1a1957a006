/**
 * A PolicyDocument given as a JSON string inside YAML: a literal block scalar (`|`, `!Sub |`) or a
 * one-line quoted scalar. The JSON is read by the JSON format, on the scalar's value, and every
 * offset is mapped back to the YAML source; edits are the JSON format's, mapped back the same way,
 * each new line given the block's indentation.
 */
import { Scalar } from 'yaml';
import { PolicyModel, Span } from '../model';
import { PolicyPlan } from '../plan';
import { TextEdit } from '../edits';
import { EmbeddedStyle, ValueMap, embeddedJsonEdits, readEmbeddedJson } from './embeddedJson';
import type { Reader } from './yaml';

export type { JsonPolicyHost, JsonStatementHost } from './embeddedJson';
export { ValueMap };

/** How a scalar's value sits in the source, when it can be edited in place. */
function mapScalar(text: string, n: Scalar<string>): EmbeddedStyle | undefined {
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
  const computed = sub
    ? (v: string) => (v.includes('${') ? { why: 'computed by Fn::Sub', message: `an action of this statement is computed by Fn::Sub (${v}): the statement is not refined (its actions are not known before deployment)` } : undefined)
    : undefined;
  return readEmbeddedJson(r, n.value, m, rangeOf(n), label, { computed });
}

const rangeOf = (n: Scalar): Span => ({ offset: n.range![0], length: n.range![1] - n.range![0] });

/** The JSON format's edits for a policy in a JSON string, mapped to the YAML source. */
export function jsonStringEdits(pp: PolicyPlan, eol: string): TextEdit[] {
  return embeddedJsonEdits(pp, eol);
}
