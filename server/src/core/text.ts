import { parseTree, Node, ParseError, printParseErrorCode } from 'jsonc-parser';

export interface Position {
  line: number; // 0-based
  character: number; // 0-based, UTF-16 code units (as LSP)
}

/** Offsets to line/character and back. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.starts.push(i + 1);
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      }
    }
  }
  position(offset: number): Position {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - this.starts[lo] };
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

export interface ParsedJson {
  root: Node | undefined;
  errors: ParseError[];
}

export function parseJsonc(text: string): ParsedJson {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true });
  return { root, errors };
}

export function describeParseError(e: ParseError): string {
  return `invalid JSON: ${printParseErrorCode(e.error)}`;
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
