/**
 * Minimal edits for YAML, in the file's own style: a block sequence stays a block sequence at its
 * indentation, a flow sequence stays flow, each pattern quoted as its neighbours are (plain only
 * where YAML reads it back as the same string), comments outside the changed entries kept, CRLF
 * respected. A scalar that becomes several patterns becomes a block sequence under its key (a flow
 * `[…]` inside a flow collection).
 */
import { Document, Node, Pair, Scalar, YAMLSeq, isScalar, isSeq, parse as parseYaml, visit } from 'yaml';
import { ParsedDocument } from '../model';
import { EntryFate, PolicyPlan, entryFates } from '../plan';
import { TextEdit, documentLayout, lineStart } from '../edits';
import type { YamlPolicyHost, YamlStatementHost } from './yaml';
import { contentEnd } from './yaml';
import { JsonPolicyHost, jsonStringEdits } from './yamlJson';

type Style = 'PLAIN' | 'QUOTE_SINGLE' | 'QUOTE_DOUBLE';

// a space inside too (an action name from findings that have one): ` #` and `: ` are ruled out by reading it back
const SAFE_PLAIN = /^[A-Za-z0-9][A-Za-z0-9:*?._\-/ ]*$/;

/** Whether `s` written plain reads back as the string `s` (YAML 1.2 core schema and YAML 1.1 alike). */
export function plainSafe(s: string, flow: boolean): boolean {
  if (!SAFE_PLAIN.test(s) || s.endsWith(' ') || (flow && /[,[\]{}]/.test(s))) return false;
  if (/^(y|n|yes|no|on|off|true|false|null|~)$/i.test(s)) return false;
  try {
    return parseYaml(s) === s && parseYaml(s, { version: '1.1' }) === s;
  } catch {
    return false;
  }
}

export function writeScalar(s: string, style: Style, flow: boolean, fallback: Style): string {
  if (style === 'PLAIN' && plainSafe(s, flow)) return s;
  const q = style === 'PLAIN' ? (fallback === 'PLAIN' ? 'QUOTE_SINGLE' : fallback) : style;
  // a double-quoted JSON string is a valid YAML double-quoted scalar
  if (q === 'QUOTE_DOUBLE' || /[\x00-\x1f\x7f]/.test(s)) return JSON.stringify(s);
  return `'${s.replace(/'/g, "''")}'`;
}

const styleOf = (n: unknown): Style => {
  const t = isScalar(n) ? n.type : undefined;
  return t === 'QUOTE_SINGLE' || t === 'QUOTE_DOUBLE' ? t : 'PLAIN';
};

/** The end of the line holding `offset` (before its line break). */
function lineEnd(text: string, offset: number): number {
  let e = offset;
  while (e < text.length && text[e] !== '\n' && text[e] !== '\r') e++;
  return e;
}

/** The start of the line after the one holding `offset`, or the text's end. */
function nextLineStart(text: string, offset: number): number {
  const e = lineEnd(text, offset);
  if (text[e] === '\r' && text[e + 1] === '\n') return e + 2;
  return e < text.length ? e + 1 : e;
}

/** Where the `-` of a block sequence's item is. */
function dashOf(seq: YAMLSeq, i: number, text: string): number {
  const tok = (seq.srcToken as { items?: { start: { type: string; offset: number }[] }[] } | undefined)?.items?.[i];
  const ind = tok?.start.find((t) => t.type === 'seq-item-ind');
  if (ind) return ind.offset;
  let at = (seq.items[i] as Node).range![0] - 1;
  while (at > 0 && text[at] !== '-') at--;
  return at;
}

/** Where the `:` after a mapping key is. */
function colonOf(pair: Pair, text: string): number {
  const sep = (pair.srcToken as { sep?: { type: string; offset: number }[] } | undefined)?.sep;
  const ind = sep?.find((t) => t.type === 'map-value-ind');
  if (ind) return ind.offset;
  let at = (pair.key as Node).range![1];
  while (at < text.length && text[at] !== ':') at++;
  return at;
}

const column = (text: string, offset: number) => offset - lineStart(text, offset);

interface Ctx {
  text: string;
  eol: string;
  /** Columns a block sequence under a key is indented by, relative to the key (the file's habit; its indentation unit if it has none). */
  step: number;
  /** The quoting most action entries use, for new lists with no neighbour to copy (the NotAction written for `"*"`); undefined when none has a choice. */
  style?: Style;
  /** The quotes used where a plain scalar would be misread. */
  fallback: Style;
}

function context(doc: ParsedDocument): Ctx {
  const text = doc.text;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const counts: Record<Style, number> = { PLAIN: 0, QUOTE_SINGLE: 0, QUOTE_DOUBLE: 0 };
  let step: number | undefined;
  // the file's habit: the first block sequence under a key, in the statements first, else anywhere
  const habit = (pair: Pair) => {
    const pv = pair.value;
    if (step === undefined && isSeq(pv) && !pv.flow && pv.items.length && isScalar(pair.key) && pair.key.range) step = column(text, dashOf(pv, 0, text)) - column(text, pair.key.range[0]);
  };
  for (const p of doc.policies)
    for (const st of p.statements) {
      const h = st.host as YamlStatementHost;
      if (h?.kind === 'yaml') h.map.items.forEach(habit);
    }
  if (step === undefined)
    for (const d of (doc.host as Document[] | undefined) ?? [])
      visit(d, {
        Pair: (_, pair) => {
          habit(pair as Pair);
          return step === undefined ? undefined : visit.BREAK;
        },
      });
  for (const p of doc.policies)
    for (const st of p.statements) {
      const h = st.host as YamlStatementHost;
      if (h?.kind !== 'yaml') continue;
      const v = h.value;
      const items = isSeq(v) ? v.items : [v];
      // only entries that could have been written plain show a habit (`'*'`, `' rds:X'` must be quoted)
      const flow = h.flow || (isSeq(v) && !!v.flow);
      for (const it of items) if (isScalar(it) && typeof it.value === 'string' && plainSafe(it.value, flow)) counts[styleOf(it)]++;
    }
  // no action entry had a choice (`Action: ['*']`): the statements' other values (`Effect: Allow`) show the habit
  if (counts.PLAIN + counts.QUOTE_SINGLE + counts.QUOTE_DOUBLE === 0)
    for (const p of doc.policies)
      for (const st of p.statements) {
        const h = st.host as YamlStatementHost;
        if (h?.kind !== 'yaml') continue;
        for (const pair of h.map.items) {
          const v = (pair as Pair).value;
          if (isScalar(v) && typeof v.value === 'string' && plainSafe(v.value, !!h.map.flow)) counts[styleOf(v)]++;
        }
      }
  const style = counts.PLAIN + counts.QUOTE_SINGLE + counts.QUOTE_DOUBLE === 0 ? undefined : (Object.keys(counts) as Style[]).reduce((a, b) => (counts[b] > counts[a] ? b : a), 'PLAIN');
  const fallback = counts.QUOTE_DOUBLE > counts.QUOTE_SINGLE ? 'QUOTE_DOUBLE' : 'QUOTE_SINGLE';
    // no block sequence under a key anywhere: indent by the file's indentation unit
  const unit = documentLayout(text).unit;
  return { text, eol, step: step !== undefined && step >= 0 ? step : /^ +$/.test(unit) ? unit.length : 2, style, fallback };
}

/** How the items of a flow sequence are separated (`, ` inline, `,` + line break + indentation otherwise). */
function flowSeparator(text: string, seq: YAMLSeq, eol: string): string {
  const kids = seq.items as Node[];
  if (kids.length > 1) {
    const between = text.slice(contentEnd(kids[0]), kids[1].range![0]);
    if (!/[\r\n]/.test(between)) return /,\s/.test(between) ? ', ' : ',';
    return ',' + eol + ' '.repeat(column(text, kids[1].range![0]));
  }
  const before = text.slice(seq.range![0] + 1, kids[0].range![0]);
  if (/[\r\n]/.test(before)) return ',' + eol + ' '.repeat(column(text, kids[0].range![0]));
  return ', ';
}

/**
 * Edits removing or replacing items of a sequence (statements, or action entries). A block item
 * removed takes its whole line(s); a replaced scalar keeps its line (and comment) for the first
 * pattern, the others on new lines after it at the same indentation.
 */
function seqEdits(c: Ctx, seq: YAMLSeq, fates: ('keep' | 'remove' | string[])[], write: (p: string, like: unknown) => string): TextEdit[] {
  const { text, eol } = c;
  const kids = seq.items as Node[];
  const edits: TextEdit[] = [];
  let lastKept = kids.length - 1;
  while (lastKept >= 0 && fates[lastKept] === 'remove') lastKept--;
  if (lastKept < 0) throw new Error('seqEdits: every item removed');
  if (seq.flow) {
    const sep = flowSeparator(text, seq, eol);
    kids.forEach((k, i) => {
      const f = fates[i];
      if (f === 'keep') return;
      if (f === 'remove') {
        if (i < lastKept) edits.push({ offset: k.range![0], length: kids[i + 1].range![0] - k.range![0], newText: '' });
        return;
      }
      edits.push({ offset: k.range![0], length: k.range![1] - k.range![0], newText: f.map((p) => write(p, k)).join(sep) });
    });
    if (lastKept < kids.length - 1) {
      const from = contentEnd(kids[lastKept]);
      edits.push({ offset: from, length: contentEnd(kids[kids.length - 1]) - from, newText: '' });
    }
    return edits;
  }
  kids.forEach((k, i) => {
    const f = fates[i];
    if (f === 'keep') return;
    const dash = dashOf(seq, i, text);
    if (f === 'remove') {
      const from = lineStart(text, dash);
      let to = nextLineStart(text, contentEnd(k));
      if (to === text.length && lineEnd(text, contentEnd(k)) === text.length && from > 0) {
        // the last line of a text without a final line break: take the line break before it
        const prev = text[from - 1] === '\n' && text[from - 2] === '\r' ? from - 2 : from - 1;
        edits.push({ offset: prev, length: to - prev, newText: '' });
        return;
      }
      edits.push({ offset: from, length: to - from, newText: '' });
      return;
    }
    const gap = text.slice(dash + 1, k.range![0]);
    const lead = ' '.repeat(column(text, dash)) + '-' + (/^[ ]+$/.test(gap) ? gap : ' ');
    edits.push({ offset: k.range![0], length: k.range![1] - k.range![0], newText: write(f[0], k) });
    if (f.length > 1) edits.push({ offset: lineEnd(text, k.range![1]), length: 0, newText: f.slice(1).map((p) => eol + lead + write(p, k)).join('') });
  });
  return edits;
}

/** A list written where a scalar value stood: a block sequence under its key (flow `[…]` in a flow collection). */
function newList(c: Ctx, h: YamlStatementHost, items: string[]): TextEdit {
  const v = h.value as Node;
  const { text, eol } = c;
  if (h.flow) return { offset: v.range![0], length: v.range![1] - v.range![0], newText: '[' + items.join(', ') + ']' };
  const colon = colonOf(h.pair!, text);
  const indent = ' '.repeat(column(text, (h.pair!.key as Node).range![0]) + c.step);
  return { offset: colon + 1, length: v.range![1] - colon - 1, newText: items.map((x) => eol + indent + '- ' + x).join('') };
}

export function yamlEdits(doc: ParsedDocument, plans: PolicyPlan[]): TextEdit[] {
  const c = context(doc);
  const { text } = c;
  const edits: TextEdit[] = [];
  for (const pp of plans) {
    if ((pp.policy.host as JsonPolicyHost).kind === 'json') {
      edits.push(...jsonStringEdits(pp, c.eol));
      continue;
    }
    const seq = (pp.policy.host as YamlPolicyHost).seq;
    const removed = new Set(pp.statements.filter((s) => s.change.kind === 'remove').map((s) => s.model.index));
    if (removed.size && seq) edits.push(...seqEdits(c, seq, seq.items.map((_, i) => (removed.has(i) ? 'remove' : 'keep')), () => ''));
    for (const sp of pp.statements) {
      const ch = sp.change;
      if (ch.kind === 'none' || ch.kind === 'remove') continue;
      const h = sp.model.host as YamlStatementHost;
      const v = h.value as Node;
      const flow = h.flow || (isSeq(v) && !!v.flow);
      // the quoting of the entry replaced, unless it was quoted only because plain would misread it ('*…'): then the file's
      const styleFor = (k: unknown): Style => (styleOf(k) !== 'PLAIN' && c.style && isScalar(k) && !plainSafe(String(k.value), flow) ? c.style : styleOf(k));
      const like = (k: unknown) => (p: string) => writeScalar(p, styleFor(k), flow, c.fallback);
      if (ch.kind === 'entries') {
        if (isScalar(v)) {
          const f: EntryFate = ch.fates[0];
          if (f.kind !== 'replace') continue;
          const items = f.patterns.map(like(v));
          if (items.length === 1) edits.push({ offset: v.range![0], length: v.range![1] - v.range![0], newText: items[0] });
          else edits.push(newList(c, h, items));
        } else if (isSeq(v)) {
          edits.push(...seqEdits(c, v, entryFates(ch.fates), (p, k) => like(k)(p)));
        }
      } else if (ch.kind === 'to-not-action') {
        const key = h.pair!.key as Scalar;
        edits.push({ offset: key.range![0], length: key.range![1] - key.range![0], newText: writeScalar('NotAction', styleOf(key), flow, c.fallback) });
        const star = isScalar(v) ? v : isSeq(v) ? v.items.find((x) => isScalar(x) && x.value === '*') : undefined;
        const items = ch.patterns.map((p) => writeScalar(p, c.style ?? styleOf(star), flow, c.fallback));
        if (isScalar(v)) {
          if (items.length === 1) edits.push({ offset: v.range![0], length: v.range![1] - v.range![0], newText: items[0] });
          else edits.push(newList(c, h, items));
        } else if (isSeq(v) && v.items.length) {
          const kids = v.items as Node[];
          if (v.flow) {
            edits.push({ offset: kids[0].range![0], length: contentEnd(kids[kids.length - 1]) - kids[0].range![0], newText: items.join(flowSeparator(text, v, c.eol)) });
          } else {
            const dash = dashOf(v, 0, text);
            const gap = text.slice(dash + 1, kids[0].range![0]);
            const lead = ' '.repeat(column(text, dash)) + '-' + (/^[ ]+$/.test(gap) ? gap : ' ');
            const last = kids[kids.length - 1];
            edits.push({ offset: dash, length: last.range![1] - dash, newText: items.map((x) => lead + x).join(c.eol).slice(column(text, dash)) });
          }
        }
      } else if (ch.kind === 'extend-not-action') {
        if (isScalar(v)) {
          const original = text.slice(v.range![0], v.range![1]);
          edits.push(newList(c, h, [original, ...ch.patterns.map(like(v))]));
        } else if (isSeq(v) && v.items.length) {
          const kids = v.items as Node[];
          const last = kids[kids.length - 1];
          if (v.flow) {
            const sep = flowSeparator(text, v, c.eol);
            edits.push({ offset: last.range![1], length: 0, newText: ch.patterns.map((p) => sep + like(last)(p)).join('') });
          } else {
            const dash = dashOf(v, kids.length - 1, text);
            const gap = text.slice(dash + 1, last.range![0]);
            const lead = ' '.repeat(column(text, dash)) + '-' + (/^[ ]+$/.test(gap) ? gap : ' ');
            edits.push({ offset: lineEnd(text, contentEnd(last)), length: 0, newText: ch.patterns.map((p) => c.eol + lead + like(last)(p)).join('') });
          }
        }
      }
    }
  }
  return edits;
}

