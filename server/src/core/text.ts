import { parseTree, Node, ParseError, ParseErrorCode, printParseErrorCode } from 'jsonc-parser';

export interface Position {
  line: number; // 0-based
  character: number; // 0-based, UTF-16 code units (as LSP)
}

/** Offsets to line/character and back. */
export class LineIndex {
  /** Where each line starts: counted, then written, in one typed array (a keystroke in a 4,000-line policy made 80 KB of a growing array). */
  private readonly starts: Int32Array;
  constructor(readonly text: string) {
    if (text.indexOf('\r') < 0) {
      // no carriage return (most files): the line feeds found by indexOf, twice as fast as a loop over every character
      let n = 1;
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
      const starts = new Int32Array(n);
      let k = 1;
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts[k++] = i + 1;
      this.starts = starts;
      return;
    }
    const starts = [0];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) starts.push(i + 1);
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        starts.push(i + 1);
      }
    }
    this.starts = Int32Array.from(starts);
  }
  position(offset: number): Position {
    const line = this.lineOf(offset);
    return { line, character: offset - this.starts[line] };
  }
  /** Whether `offset` is at `pos` (what position(offset) would say, without making it). */
  isAt(offset: number, pos: Position): boolean {
    const line = this.lineOf(offset);
    return line === pos.line && offset - this.starts[line] === pos.character;
  }
  private lineOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
  offset(pos: Position): number {
    const start = this.starts[Math.min(pos.line, this.starts.length - 1)] ?? 0;
    return Math.min(start + pos.character, this.text.length);
  }
  /** `line:col`, both 1-based, as compilers print them. */
  where(offset: number): string {
    const p = this.position(offset);
    return `${p.line + 1}:${p.character + 1}`;
  }
}

/** An error in an input file, with its place. Printed as `file:line:col: message`. */
export class InputError extends Error {
  constructor(readonly file: string, readonly line: number, readonly column: number, readonly detail: string) {
    super(`${file}:${line}:${column}: ${detail}`);
  }
  static at(file: string, text: string, offset: number, detail: string): InputError {
    const p = new LineIndex(text).position(offset);
    return new InputError(file, p.line + 1, p.character + 1, detail);
  }
}

/** A syntax error of jsonc-parser, or one of ours (duplicate key, nesting too deep) with its own message. */
export interface JsonError extends ParseError {
  message?: string;
}

export interface ParsedJson {
  root: Node | undefined;
  errors: JsonError[];
}

/** Syntax errors reported per document (YAML, Terraform); past it one more says how many were left out (a 500 KB file of garbage gave 135,000). */
export const MAX_SYNTAX_ERRORS = 100;

/** Deeper than this is refused with its place (the parser recurses; no policy, findings or template comes near it). */
export const MAX_JSON_DEPTH = 512;

/** The UTF-8 byte-order mark some Windows editors write, as it reads in a string. */
export const BOM = '\ufeff';

/**
 * The one JSONC reader of every input (policies, templates, findings files, iam-refiner.json):
 * comments and trailing commas allowed; a leading byte-order mark read as white space (offsets
 * unchanged, so edits keep it); nesting over MAX_JSON_DEPTH an error at the bracket that goes too
 * deep (no stack overflow); a key given twice in one object an error at the second one, since JSON
 * readers disagree on which one counts (JSON.parse: the last; a tree lookup: the first).
 */
export function parseJsonc(text: string): ParsedJson {
  const source = text.startsWith(BOM) ? ' ' + text.slice(1) : text;
  const deep = jsonTooDeep(source);
  if (deep !== undefined) {
    return { root: undefined, errors: [{ error: ParseErrorCode.InvalidSymbol, offset: deep, length: 1, message: `nested deeper than ${MAX_JSON_DEPTH} levels: not read` }] };
  }
  const errors: JsonError[] = [];
  const root = parseTree(source, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true });
  if (root) errors.push(...duplicateKeys(root, text));
  errors.sort((a, b) => a.offset - b.offset);
  return { root, errors };
}

/** The offset of the first `[` or `{` nested deeper than MAX_JSON_DEPTH, outside strings and comments; one pass, no recursion. */
export function jsonTooDeep(text: string): number | undefined {
  // a count of the brackets first (native searches): most texts have too few to nest that deep
  let opens = 0;
  for (let i = text.indexOf('['); i >= 0 && opens <= MAX_JSON_DEPTH; i = text.indexOf('[', i + 1)) opens++;
  for (let i = text.indexOf('{'); i >= 0 && opens <= MAX_JSON_DEPTH; i = text.indexOf('{', i + 1)) opens++;
  if (opens <= MAX_JSON_DEPTH) return undefined;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22 || d === 0x0a || d === 0x0d) break;
      }
    } else if (c === 0x2f /* / */ && text.charCodeAt(i + 1) === 0x2f) {
      while (i < text.length && text.charCodeAt(i) !== 0x0a && text.charCodeAt(i) !== 0x0d) i++;
    } else if (c === 0x2f && text.charCodeAt(i + 1) === 0x2a) {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) return i;
    } else if (c === 0x5d || c === 0x7d) {
      if (depth > 0) depth--;
    }
  }
  return undefined;
}

/** Every key given a second time in the same object, at the repeated key (an explicit stack: no recursion). */
function duplicateKeys(root: Node, text: string): JsonError[] {
  const out: JsonError[] = [];
  let lines: LineIndex | undefined;
  const stack: Node[] = [root];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === 'object') {
      const seen = new Map<string, Node>();
      for (const p of n.children ?? []) {
        const k = p.children?.[0];
        if (!k || typeof k.value !== 'string') continue;
        const first = seen.get(k.value);
        if (!first) seen.set(k.value, k);
        else {
          lines ??= new LineIndex(text);
          out.push({
            error: ParseErrorCode.InvalidSymbol,
            offset: k.offset,
            length: k.length,
            message: `duplicate key "${k.value}" (first at ${lines.where(first.offset)}): JSON readers disagree on which one counts; keep one`,
          });
        }
      }
    }
    for (const c of n.children ?? []) if (c.type === 'object' || c.type === 'array' || c.type === 'property') stack.push(c);
  }
  return out;
}

export function describeParseError(e: JsonError): string {
  return e.message ?? `invalid JSON: ${printParseErrorCode(e.error)}`;
}

/** Parse JSON(C) or throw an InputError at the first syntax error. */
export function parseJsoncStrict(file: string, text: string): Node {
  const { root, errors } = parseJsonc(text);
  if (errors.length) throw InputError.at(file, text, errors[0].offset, describeParseError(errors[0]));
  if (!root) throw InputError.at(file, text, 0, 'empty file');
  return root;
}

export function propertyNode(obj: Node, key: string): Node | undefined {
  if (obj.type !== 'object') return undefined;
  for (const p of obj.children ?? []) {
    if (p.children?.[0]?.value === key) return p;
  }
  return undefined;
}

export function propertyValue(obj: Node, key: string): Node | undefined {
  return propertyNode(obj, key)?.children?.[1];
}

/** How many characters `a` and `b` start with alike (at most `max`): compared a block at a time, natively, then a character at a time. */
export function commonPrefix(a: string, b: string, max: number): number {
  let i = 0;
  while (i + 512 <= max && a.slice(i, i + 512) === b.slice(i, i + 512)) i += 512;
  while (i < max && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** How many characters `a` and `b` end with alike (at most `max`). */
export function commonSuffix(a: string, b: string, max: number): number {
  let n = 0;
  while (n + 512 <= max && a.slice(a.length - n - 512, a.length - n) === b.slice(b.length - n - 512, b.length - n)) n += 512;
  while (n < max && a.charCodeAt(a.length - 1 - n) === b.charCodeAt(b.length - 1 - n)) n++;
  return n;
}
