import { Node } from 'jsonc-parser';
import { ParsedDocument } from './policy';
import type { EntryFate, PolicyPlan } from './refine';

/** A replacement of [offset, offset+length) by newText, as jsonc-parser's Edit. */
export interface TextEdit {
  offset: number;
  length: number;
  newText: string;
}

export function applyEdits(text: string, edits: TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.offset - b.offset);
  let out = '';
  let at = 0;
  for (const e of sorted) {
    if (e.offset < at) throw new Error('overlapping edits');
    out += text.slice(at, e.offset) + e.newText;
    at = e.offset + e.length;
  }
  return out + text.slice(at);
}

interface Layout {
  eol: string;
  unit: string;
}

function documentLayout(text: string): Layout {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  let unit = '  ';
  let best = Infinity;
  for (const m of text.matchAll(/\n([ \t]+)\S/g)) {
    const ws = m[1];
    if (ws.startsWith('\t')) {
      unit = '\t';
      break;
    }
    if (ws.length < best) {
      best = ws.length;
      unit = ws;
    }
  }
  return { eol, unit };
}

function lineIndent(text: string, offset: number): string {
  let start = offset;
  while (start > 0 && text[start - 1] !== '\n' && text[start - 1] !== '\r') start--;
  const m = /^[ \t]*/.exec(text.slice(start, offset));
  return m ? m[0] : '';
}

const quote = (s: string) => JSON.stringify(s);

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
function newArray(text: string, keyOffset: number, items: string[], layout: Layout, inline: boolean): string {
  if (items.length === 1) return quote(items[0]);
  // a statement written on one line gets its array on that line too
  if (inline) return '[' + items.map(quote).join(', ') + ']';
  const indent = lineIndent(text, keyOffset);
  const inner = indent + layout.unit;
  return '[' + layout.eol + inner + items.map(quote).join(',' + layout.eol + inner) + layout.eol + indent + ']';
}

function entryFates(fates: EntryFate[]): ('keep' | 'remove' | string[])[] {
  return fates.map((f) => (f.kind === 'keep' ? 'keep' : f.kind === 'remove' ? 'remove' : f.patterns));
}

/** Minimal text edits for a plan: only changed Action/NotAction values and removed statements. */
export function planEdits(doc: ParsedDocument, plans: PolicyPlan[]): TextEdit[] {
  const text = doc.text;
  const layout = documentLayout(text);
  const edits: TextEdit[] = [];
  for (const pp of plans) {
    const statementValue = pp.policy.statementProperty.children?.[1];
    const removed = new Set(pp.statements.filter((s) => s.change.kind === 'remove').map((s) => s.model.index));
    if (removed.size && statementValue?.type === 'array') {
      const fates = (statementValue.children ?? []).map((_, i) => (removed.has(i) ? 'remove' : 'keep') as 'keep' | 'remove');
      edits.push(...arrayEdits(statementValue, fates, ''));
    }
    for (const sp of pp.statements) {
      const c = sp.change;
      const st = sp.model;
      const v = st.valueNode!;
      const keyNode = st.property?.children?.[0];
      const inline = !/[\r\n]/.test(text.slice(st.node.offset, st.node.offset + st.node.length));
      if (c.kind === 'entries') {
        if (v.type === 'string') {
          const f = c.fates[0];
          if (f.kind === 'replace') edits.push({ offset: v.offset, length: v.length, newText: newArray(text, keyNode!.offset, f.patterns, layout, inline) });
        } else {
          edits.push(...arrayEdits(v, entryFates(c.fates), separatorOf(text, v, layout)));
        }
      } else if (c.kind === 'to-not-action') {
        edits.push({ offset: keyNode!.offset, length: keyNode!.length, newText: quote('NotAction') });
        const sep = v.type === 'array' && (v.children?.length ?? 0) > 0 ? separatorOf(text, v, layout) : undefined;
        const value =
          sep !== undefined && /[\r\n]/.test(sep) ? '[' + sep.slice(1) + c.patterns.map(quote).join(sep) + layout.eol + lineIndent(text, v.offset + v.length - 1) + ']' : newArray(text, keyNode!.offset, c.patterns, layout, inline);
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
