/**
 * HCL expressions read as values where they are literal (strings, numbers, tuples, objects), and as
 * `computed` (with the reason, for the user) where only Terraform can know them: references,
 * function calls, interpolations, `for` expressions, conditionals, operations.
 */
import { HNode, firstNamed, named, onlyNamed, textOf, unescapeHcl } from './tree';

export type HValue =
  | { kind: 'string'; value: string; node: HNode }
  | { kind: 'literal'; value: number | boolean | null; node: HNode }
  | { kind: 'tuple'; items: HValue[]; node: HNode }
  | { kind: 'object'; entries: HEntry[]; node: HNode }
  | { kind: 'computed'; why: string; node: HNode };

export interface HEntry {
  key: string | undefined;
  keyNode: HNode;
  /** The object_elem node. */
  elem: HNode;
  value: HValue;
}

const clip = (s: string) => {
  const one = s.replace(/\s+/g, ' ');
  return one.length > 40 ? one.slice(0, 37) + '…' : one;
};

/** Why an expression is not a literal, in words for a diagnostic. */
function whyComputed(text: string, n: HNode, inner: HNode): string {
  const src = clip(textOf(text, n));
  switch (inner.type) {
    case 'variable_expr':
      return `a reference (\`${src}\`)`;
    case 'function_call':
      return `a function call (\`${src}\`)`;
    case 'for_expr':
      return `a \`for\` expression`;
    case 'conditional':
      return `a conditional (\`${src}\`)`;
    case 'operation':
      return `an operation (\`${src}\`)`;
    case 'template_expr':
      return `an interpolation (\`${src}\`)`;
    default:
      return `a computed value (\`${src}\`)`;
  }
}

/**
 * The string a quoted template holds when it is only literal text (no interpolation or directive).
 * Read from the text between the quotes: the grammar leaves white space at either end of a chunk
 * out of its template_literal nodes.
 */
function quotedString(text: string, n: HNode): string | undefined {
  if (n.leaf) return unescapeHcl(text.slice(n.start + 1, n.end - 1));
  const open = n.children[0];
  const close = n.children[n.children.length - 1];
  if (open?.type !== 'quoted_template_start' || close?.type !== 'quoted_template_end' || close.missing || n.children.length < 2) return undefined;
  for (let i = 1; i < n.children.length - 1; i++) if (n.children[i].type !== 'template_literal') return undefined;
  return unescapeHcl(text.slice(open.end, close.start));
}

/** The value of an `expression` node. */
export function readValue(text: string, expr: HNode): HValue {
  const inner = onlyNamed(expr);
  if (inner === undefined) return { kind: 'computed', why: 'an incomplete expression', node: expr };
  if (inner === null) return { kind: 'computed', why: whyComputed(text, expr, firstNamed(expr)!), node: expr };
  if (inner.type === 'literal_value') {
    const lit = firstNamed(inner);
    if (lit?.type === 'string_lit') {
      const s = quotedString(text, lit);
      if (s !== undefined) return { kind: 'string', value: s, node: expr };
    } else if (lit?.type === 'numeric_lit') return { kind: 'literal', value: Number(textOf(text, lit)), node: expr };
    else if (lit?.type === 'bool_lit') return { kind: 'literal', value: textOf(text, lit) === 'true', node: expr };
    else if (lit?.type === 'null_lit') return { kind: 'literal', value: null, node: expr };
    return { kind: 'computed', why: whyComputed(text, expr, inner), node: expr };
  }
  if (inner.type === 'template_expr') {
    const q = firstNamed(inner);
    if (q?.type === 'quoted_template') {
      const s = quotedString(text, q);
      if (s !== undefined) return { kind: 'string', value: s, node: expr };
    }
    if (q?.type === 'heredoc_template') return { kind: 'computed', why: 'a heredoc', node: expr };
    return { kind: 'computed', why: whyComputed(text, expr, inner), node: expr };
  }
  if (inner.type === 'collection_value') {
    const coll = firstNamed(inner);
    if (coll?.type === 'tuple') {
      return { kind: 'tuple', items: coll.children.filter((c) => c.type === 'expression').map((c) => readValue(text, c)), node: expr };
    }
    if (coll?.type === 'object') {
      const entries: HEntry[] = [];
      for (const elem of coll.children) {
        if (elem.type !== 'object_elem') continue;
        const keyNode = elem.children.find((c) => c.field === 'key');
        const valNode = elem.children.find((c) => c.field === 'val');
        if (!keyNode || !valNode) continue;
        entries.push({ key: keyName(text, keyNode), keyNode, elem, value: readValue(text, valNode) });
      }
      return { kind: 'object', entries, node: expr };
    }
  }
  return { kind: 'computed', why: whyComputed(text, expr, inner), node: expr };
}

/** An object key: a bare identifier, or a literal string; undefined when computed (`(var.k)`). */
export function keyName(text: string, keyExpr: HNode): string | undefined {
  const part = onlyNamed(keyExpr);
  if (part?.type === 'variable_expr') {
    const id = onlyNamed(part);
    if (id?.type === 'identifier') return textOf(text, id);
  }
  const v = readValue(text, keyExpr);
  return v.kind === 'string' ? v.value : undefined;
}

/** A value as JSON, with computed parts written as `{"$hcl": source}` (stable while their text is). */
export function toJson(text: string, v: HValue): unknown {
  switch (v.kind) {
    case 'string':
    case 'literal':
      return v.value;
    case 'tuple':
      return v.items.map((x) => toJson(text, x));
    case 'object': {
      const o: Record<string, unknown> = {};
      for (const e of v.entries) o[e.key ?? `$key:${textOf(text, e.keyNode)}`] = toJson(text, e.value);
      return o;
    }
    case 'computed':
      return { $hcl: textOf(text, v.node) };
  }
}

/** `a.b.c` for a plain reference expression (identifiers and attribute accesses only), else undefined. */
export function referencePath(text: string, expr: HNode): string[] | undefined {
  const parts = named(expr);
  if (parts[0]?.type !== 'variable_expr') return undefined;
  const out = [textOf(text, parts[0])];
  for (const p of parts.slice(1)) {
    if (p.type !== 'get_attr') return undefined;
    const id = named(p)[0];
    if (!id) return undefined;
    out.push(textOf(text, id));
  }
  return out;
}
