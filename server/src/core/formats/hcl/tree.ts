/**
 * HCL syntax trees from tree-sitter (web-tree-sitter, WASM: no native module) with the Terraform
 * grammar of @tree-sitter-grammars/tree-sitter-hcl. The tree-sitter tree is copied once into plain
 * objects (offsets in UTF-16 code units, as JavaScript strings and LSP count) and freed at once, so
 * nothing of the WASM heap outlives a parse.
 *
 * Loading the WASM files is the one impure step of the core: `initHcl()` reads them once, next to
 * the bundle (dist/) or from node_modules when running from out/.
 */
import type { Parser as TsParser, Language as TsLanguage, Tree as TsTree } from 'web-tree-sitter';

export interface HNode {
  type: string;
  start: number;
  end: number;
  named: boolean;
  missing: boolean;
  /** The grammar's field name of this node in its parent (`key`, `val`), when it has one. */
  field?: string;
  children: HNode[];
  parent?: HNode;
}

const GRAMMAR_FILE = 'tree-sitter-terraform.wasm';
const RUNTIME_FILE = 'tree-sitter.wasm';

let parser: TsParser | undefined;
let loading: Promise<void> | undefined;

/** Where a shipped WASM file is: next to this bundle (dist/), in the repository's dist/, or in its package. */
function wasmPath(file: string, pkgPath: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { existsSync } = require('node:fs') as typeof import('node:fs');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { join, dirname } = require('node:path') as typeof import('node:path');
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    for (const candidate of [join(dir, file), join(dir, 'dist', file)]) if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  try {
    return require.resolve(pkgPath);
  } catch {
    throw new Error(`${file} not found near ${__dirname}: run "npm run build" first`);
  }
}

/** Loads the tree-sitter runtime and the Terraform grammar once per process. */
export function initHcl(): Promise<void> {
  return (loading ??= (async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { readFileSync } = require('node:fs') as typeof import('node:fs');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ts = require('web-tree-sitter') as typeof import('web-tree-sitter');
    const runtime = wasmPath(RUNTIME_FILE, 'web-tree-sitter/tree-sitter.wasm');
    await ts.Parser.init({ locateFile: () => runtime, wasmBinary: readFileSync(runtime) } as never);
    const lang: TsLanguage = await ts.Language.load(readFileSync(wasmPath(GRAMMAR_FILE, `@tree-sitter-grammars/tree-sitter-hcl/${GRAMMAR_FILE}`)));
    const p = new ts.Parser();
    p.setLanguage(lang);
    parser = p;
  })());
}

export function hclReady(): boolean {
  return parser !== undefined;
}

/** Parses HCL text into plain nodes (the tree-sitter tree is freed before returning). */
export function parseHcl(text: string): HNode {
  if (!parser) throw new Error('the Terraform parser is not loaded: await initFormats() before parsing .tf files');
  const tree: TsTree | null = parser.parse(text);
  if (!tree) throw new Error('tree-sitter returned no tree');
  try {
    return copyTree(tree);
  } finally {
    tree.delete();
  }
}

function copyTree(tree: TsTree): HNode {
  const c = tree.walk();
  try {
    const root: HNode = { type: c.nodeType, start: c.startIndex, end: c.endIndex, named: c.nodeIsNamed, missing: c.nodeIsMissing, children: [] };
    const stack: HNode[] = [root];
    if (!c.gotoFirstChild()) return root;
    for (;;) {
      const parent = stack[stack.length - 1];
      const field = c.currentFieldName;
      const n: HNode = { type: c.nodeType, start: c.startIndex, end: c.endIndex, named: c.nodeIsNamed, missing: c.nodeIsMissing, children: [], parent };
      if (field) n.field = field;
      parent.children.push(n);
      if (c.gotoFirstChild()) {
        stack.push(n);
        continue;
      }
      while (!c.gotoNextSibling()) {
        if (!c.gotoParent()) return root;
        stack.pop();
        if (stack.length === 0) return root;
      }
    }
  } finally {
    c.delete();
  }
}

// ------------------------------------------------------------------------------------------------
// small helpers over the plain tree

export const named = (n: HNode): HNode[] => n.children.filter((c) => c.named && c.type !== 'comment');
export const child = (n: HNode, type: string): HNode | undefined => n.children.find((c) => c.type === type);
export const textOf = (text: string, n: HNode): string => text.slice(n.start, n.end);

/** Every ERROR node (outermost only) and MISSING node. */
export function syntaxErrors(root: HNode): HNode[] {
  const out: HNode[] = [];
  const walk = (n: HNode) => {
    if (n.type === 'ERROR' || n.missing) {
      out.push(n);
      if (n.type === 'ERROR') return;
    }
    for (const c of n.children) walk(c);
  };
  walk(root);
  return out;
}

/**
 * The value of a quoted string's literal chunk: HCL's escapes (`\n`, `\r`, `\t`, `\"`, `\\`,
 * `\uNNNN`, `\UNNNNNNNN`) and template escapes (`$${` for `${`, `%%{` for `%{`).
 */
export function unescapeHcl(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch === '\\' && i + 1 < raw.length) {
      const e = raw[++i];
      if (e === 'n') out += '\n';
      else if (e === 'r') out += '\r';
      else if (e === 't') out += '\t';
      else if (e === 'u' || e === 'U') {
        const len = e === 'u' ? 4 : 8;
        const hex = raw.slice(i + 1, i + 1 + len);
        out += String.fromCodePoint(parseInt(hex, 16));
        i += len;
      } else out += e;
    } else if ((ch === '$' || ch === '%') && raw[i + 1] === ch && raw[i + 2] === '{') {
      out += ch + '{';
      i += 2;
    } else out += ch;
  }
  return out;
}
