/** Text edits and the layout helpers every format's writer shares. */

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

export interface Layout {
  eol: string;
  /** One level of indentation: the smallest indentation of the text, or a tab. */
  readonly unit: string;
}

/** The text's line ending, and its indentation unit when first asked (a pass over every line: most edits never write a new array). */
export function documentLayout(text: string): Layout {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  let unit: string | undefined;
  return {
    eol,
    get unit() {
      return (unit ??= indentUnit(text));
    },
  };
}

function indentUnit(text: string): string {
  let unit = '  ';
  let best = Infinity;
  for (const m of text.matchAll(/\n([ \t]+)\S/g)) {
    const ws = m[1];
    if (ws.startsWith('\t')) return '\t';
    if (ws.length < best) {
      best = ws.length;
      unit = ws;
    }
  }
  return unit;
}

/** The white space that starts the line holding `offset`. */
export function lineIndent(text: string, offset: number): string {
  let start = offset;
  while (start > 0 && text[start - 1] !== '\n' && text[start - 1] !== '\r') start--;
  const m = /^[ \t]*/.exec(text.slice(start, offset));
  return m ? m[0] : '';
}

/** Offset of the start of the line holding `offset`. */
export function lineStart(text: string, offset: number): number {
  let start = offset;
  while (start > 0 && text[start - 1] !== '\n' && text[start - 1] !== '\r') start--;
  return start;
}

/** A literal written where `original` stood, in its quoting: `"…"` (JSON escapes), `'…'`, or bare where the format allows it. */
export function requote(original: string, value: string): string {
  if (original.startsWith('"')) return JSON.stringify(value);
  if (original.startsWith("'")) return `'${value.replace(/'/g, "''")}'`;
  return value;
}
