/**
 * HCL syntax trees from tree-sitter (web-tree-sitter, WASM: no native module) with the Terraform
 * grammar of @tree-sitter-grammars/tree-sitter-hcl. The tree-sitter tree is copied once into plain
 * objects (offsets in UTF-16 code units, as JavaScript strings and LSP count) and freed at once, so
 * nothing of the WASM heap outlives a parse.
 *
 * Loading the WASM files is the one impure step of the core: `initHcl()` reads them once, next to
 * the bundle (dist/) or from node_modules when running from out/.
 *
 * A WebAssembly memory only grows: one parse of a hostile megabyte (random bytes, a huge heredoc)
 * takes tree-sitter's to 350 MB, and it would stay that size for the life of the language server.
 * So when a parse leaves it above HCL_MEMORY_LIMIT, a fresh runtime is loaded in the background
 * (its JavaScript module evaluated again: web-tree-sitter keeps one instance per module, which is
 * why it ships as dist/web-tree-sitter.cjs rather than inside the bundles) and the old one is let
 * go, its memory with it.
 */
import type { Parser as TsParser, Language as TsLanguage, Tree as TsTree, TreeCursor as TsTreeCursor } from 'web-tree-sitter';
import { commonPrefix, commonSuffix } from '../../text';

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
  /** A plain string literal copied without its children (its value is the text between the quotes). */
  leaf?: boolean;
  /** On the root: whether the tree has any ERROR or MISSING node. */
  hasError?: boolean;
  /** On the root: where the tree goes deeper than MAX_HCL_DEPTH (nothing below that is copied). */
  tooDeep?: number;
}

/** The deepest syntax tree copied (every walk over it recurses): about 250 levels of nested objects, 340 of lists. */
export const MAX_HCL_DEPTH = 1024;

const GRAMMAR_FILE = 'tree-sitter-terraform.wasm';
const RUNTIME_FILE = 'tree-sitter.wasm';
/** web-tree-sitter's CommonJS build, copied next to the bundles (scripts/bundle.mjs). */
const RUNTIME_MODULE = 'web-tree-sitter.cjs';

/** Past this much WebAssembly memory after a parse, the runtime is loaded afresh (about 10 ms) and the old one freed; the next parse is then a whole one (not incremental): a 1 MB Terraform file of ordinary blocks takes it to about 80 MB, a hostile megabyte to 350 MB. */
export const HCL_MEMORY_LIMIT = 128 * 1024 * 1024;

let parser: TsParser | undefined;
let language: TsLanguage | undefined;
/** The current runtime's WebAssembly memory size (emscripten keeps its views on the options object it was given). */
let memoryBytes: () => number = () => 0;
/** A fresh runtime being loaded, and how many times one replaced the old. */
let renewing: Promise<void> | undefined;
let renewals = 0;
/** Per type id: its name and whether it is named (read once from the grammar, not per node). */
const typeNames: string[] = [];
const typeNamed: boolean[] = [];
/** The last parse, kept so that the next parse of an edited text is incremental. */
let last: { text: string; tree: TsTree; root?: HNode } | undefined;
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

interface Runtime {
  parser: TsParser;
  language: TsLanguage;
  memoryBytes: () => number;
  /** The runtime's own cursor functions, when its build has them (see DirectCalls, cursorOf). */
  direct?: DirectCalls;
}

/**
 * The WASM functions behind web-tree-sitter's TreeCursor, as its emscripten module exports them (the
 * module is the options object given to Parser.init). Each takes the tree's address and reads the
 * cursor from the runtime's transfer buffer (four words); the moves write it back there, the getters
 * leave it (lib/tree-sitter.c of the package). The library's TreeCursor writes the cursor into the
 * buffer and reads it back, word by word, around every call: 85% of a tree copy's time in
 * `check` over 1,000 Terraform files went to that (marshalTreeCursor, setValue, getValue).
 */
interface DirectCalls {
  init(): number;
  heap(): Int32Array;
  firstChild(tree: number): number;
  nextSibling(tree: number): number;
  parent(tree: number): number;
  typeId(tree: number): number;
  start(tree: number): number;
  end(tree: number): number;
  missing(tree: number): number;
  fieldId(tree: number): number;
}

type EmscriptenModule = Record<string, unknown> & { HEAP32?: Int32Array };

function directCalls(m: EmscriptenModule): DirectCalls | undefined {
  const f = (name: string) => (typeof m[name] === 'function' ? (m[name] as (...a: number[]) => number) : undefined);
  const init = f('_ts_init');
  const firstChild = f('_ts_tree_cursor_goto_first_child_wasm');
  const nextSibling = f('_ts_tree_cursor_goto_next_sibling_wasm');
  const parent = f('_ts_tree_cursor_goto_parent_wasm');
  const typeId = f('_ts_tree_cursor_current_node_type_id_wasm');
  const start = f('_ts_tree_cursor_start_index_wasm');
  const end = f('_ts_tree_cursor_end_index_wasm');
  const missing = f('_ts_tree_cursor_current_node_is_missing_wasm');
  const fieldId = f('_ts_tree_cursor_current_field_id_wasm');
  if (!init || !firstChild || !nextSibling || !parent || !typeId || !start || !end || !missing || !fieldId || !(m.HEAP32 instanceof Int32Array)) return undefined;
  // the views are replaced when the memory grows: read afresh
  return { init, heap: () => m.HEAP32!, firstChild, nextSibling, parent, typeId, start, end, missing, fieldId };
}

/** A new instance of the tree-sitter runtime and the grammar: web-tree-sitter's module evaluated afresh (one WASM instance per evaluation). */
async function loadRuntime(): Promise<Runtime> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { readFileSync } = require('node:fs') as typeof import('node:fs');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createRequire } = require('node:module') as typeof import('node:module');
  const file = wasmPath(RUNTIME_MODULE, 'web-tree-sitter');
  // a throwaway parent module (so no module keeps the old copy as its child), and out of the cache at once
  const req = createRequire(file);
  delete req.cache[file];
  let ts: typeof import('web-tree-sitter');
  try {
    ts = req(file) as typeof import('web-tree-sitter');
  } finally {
    delete req.cache[file];
  }
  const runtime = wasmPath(RUNTIME_FILE, 'web-tree-sitter/tree-sitter.wasm');
  const options: { locateFile(): string; wasmBinary: Uint8Array; HEAPU8?: Uint8Array } = { locateFile: () => runtime, wasmBinary: readFileSync(runtime) };
  await ts.Parser.init(options as never);
  const lang: TsLanguage = await ts.Language.load(readFileSync(wasmPath(GRAMMAR_FILE, `@tree-sitter-grammars/tree-sitter-hcl/${GRAMMAR_FILE}`)));
  const p = new ts.Parser();
  p.setLanguage(lang);
  return { parser: p, language: lang, memoryBytes: () => options.HEAPU8?.length ?? 0, direct: directCalls(options as unknown as EmscriptenModule) };
}

function use(r: Runtime): void {
  parser = r.parser;
  language = r.language;
  memoryBytes = r.memoryBytes;
  direct = r.direct;
}

/** The current runtime's direct cursor calls (undefined: the library's TreeCursor is used). */
let direct: DirectCalls | undefined;
/** Whether trees are copied with the runtime's cursor functions called directly (tests). */
export function hclDirectCursor(): boolean {
  return !!direct && !directOff;
}
/** Tests: copy trees with the library's TreeCursor only (what the direct calls must equal). */
export function useDirectCursor(on: boolean): void {
  directOff = !on;
}
let directOff = false;

/** A cursor over a tree: the library's TreeCursor, or its WASM functions called directly (same moves, same answers). */
interface Cur {
  typeId(): number;
  start(): number;
  end(): number;
  missing(): boolean;
  fieldId(): number;
  first(): boolean;
  next(): boolean;
  parent(): boolean;
  /** Hands the state back to the library's cursor (which then deletes it). */
  done(): void;
}

function cursorOf(tree: TsTree, c: TsTreeCursor): Cur {
  const d = directOff ? undefined : direct;
  const t = (tree as unknown as { 0?: unknown })[0];
  const words = c as unknown as number[];
  if (d && typeof t === 'number' && [0, 1, 2, 3].every((i) => typeof words[i] === 'number')) {
    const buf = d.init() >> 2;
    let h = d.heap();
    for (let i = 0; i < 4; i++) h[buf + i] = words[i];
    return {
      typeId: () => d.typeId(t),
      start: () => d.start(t),
      end: () => d.end(t),
      missing: () => d.missing(t) === 1,
      fieldId: () => d.fieldId(t),
      first: () => d.firstChild(t) === 1,
      next: () => d.nextSibling(t) === 1,
      parent: () => d.parent(t) === 1,
      done: () => {
        h = d.heap();
        for (let i = 0; i < 4; i++) words[i] = h[buf + i];
      },
    };
  }
  return {
    typeId: () => c.nodeTypeId,
    start: () => c.startIndex,
    end: () => c.endIndex,
    missing: () => c.nodeIsMissing,
    fieldId: () => c.currentFieldId,
    first: () => c.gotoFirstChild(),
    next: () => c.gotoNextSibling(),
    parent: () => c.gotoParent(),
    done: () => undefined,
  };
}

/** Loads the tree-sitter runtime and the Terraform grammar once per process. */
export function initHcl(): Promise<void> {
  return (loading ??= (async () => {
    const r = await loadRuntime();
    for (let id = 0; id < r.language.nodeTypeCount; id++) {
      typeNames[id] = r.language.nodeTypeForId(id) ?? 'ERROR';
      typeNamed[id] = r.language.nodeTypeIsNamed(id);
    }
    use(r);
  })());
}

/** After a parse: a runtime whose memory grew past the limit is replaced (in the background; parses meanwhile use the old one). */
function renewIfLarge(): void {
  if (renewing || memoryBytes() <= HCL_MEMORY_LIMIT) return;
  renewing = loadRuntime().then(
    (r) => {
      // the previous tree belongs to the old instance: the next parse is a whole one
      last = undefined;
      use(r);
      renewals++;
    },
    () => undefined, // keep the old runtime: it still parses
  );
  void renewing.finally(() => (renewing = undefined));
}

/** The Terraform parser's WebAssembly memory now, how often it was renewed, and the renewal under way (tests, stats). */
export function hclMemory(): { bytes: number; renewals: number; renewing: Promise<void> | undefined } {
  return { bytes: memoryBytes(), renewals, renewing };
}

export function hclReady(): boolean {
  return parser !== undefined;
}

/** Row and column (UTF-16 units, as the parser counts them for a JavaScript string) of an offset. */
function point(text: string, offset: number, from?: { offset: number; row: number; column: number }): { row: number; column: number } {
  // from: a point of the same text (or of one with the same text before it), before `offset`
  let row = from?.row ?? 0;
  let lineStart = from ? from.offset - from.column : 0;
  for (let i = from?.offset ?? 0; i < offset; i++) {
    if (text.charCodeAt(i) === 10) {
      row++;
      lineStart = i + 1;
    }
  }
  return { row, column: offset - lineStart };
}

/**
 * Parses HCL text into plain nodes. The previous tree is kept: when the text is an edit of the
 * previous one (the editor's case), tree-sitter re-parses incrementally.
 */
export function parseHcl(text: string): HNode {
  if (!parser || !language) throw new Error('the Terraform parser is not loaded: await initFormats() before parsing .tf files');
  let old: TsTree | undefined;
  let change: { pre: number; oldEnd: number; newEnd: number } | undefined;
  if (last && last.text !== text) {
    const a = last.text;
    const e = editOf(a, text);
    // worth it only for a local change
    if (e.pre + (a.length - e.oldEnd) > a.length / 2) {
      change = e;
      old = last.tree;
      const start = point(a, e.pre);
      const at = { offset: e.pre, ...start };
      old.edit({
        startIndex: e.pre,
        oldEndIndex: e.oldEnd,
        newEndIndex: e.newEnd,
        startPosition: start,
        oldEndPosition: point(a, e.oldEnd, at),
        newEndPosition: point(text, e.newEnd, at),
      });
    }
  } else if (last) old = last.tree;
  const tree: TsTree | null = old && last?.text === text ? old : parser.parse(text, old ?? null);
  if (!tree) throw new Error('tree-sitter returned no tree');
  // the top-level blocks outside the edit are the previous copy's, shifted: only the edited ones are read from WASM
  const reuse = change && last && last.root ? { before: last.text, root: last.root, ...change } : undefined;
  if (last && last.tree !== tree) last.tree.delete();
  const root = copyTree(tree, text, reuse);
  last = { text, tree, root };
  renewIfLarge();
  return root;
}

/** A parse that neither uses nor keeps the previous one (what the incremental copy must always equal). */
export function parseHclFresh(text: string): HNode {
  if (!parser) throw new Error('the Terraform parser is not loaded: await initFormats() before parsing .tf files');
  const tree = parser.parse(text);
  if (!tree) throw new Error('tree-sitter returned no tree');
  try {
    return copyTree(tree, text);
  } finally {
    tree.delete();
    renewIfLarge();
  }
}

/** The one contiguous change from `a` to `b`: [pre, a.length - suf) became [pre, b.length - suf). */
function editOf(a: string, b: string): { pre: number; oldEnd: number; newEnd: number } {
  const max = Math.min(a.length, b.length);
  const pre = commonPrefix(a, b, max);
  const suf = commonSuffix(a, b, max - pre);
  return { pre, oldEnd: a.length - suf, newEnd: b.length - suf };
}

interface Reuse {
  before: string;
  root: HNode;
  pre: number;
  oldEnd: number;
  newEnd: number;
}

/**
 * `n` with its offsets moved by `delta` (plain objects: no WASM read). Unmoved (`delta` 0, a node
 * before the edit or after an edit of the same length) it is the previous copy's node itself: nothing
 * reads a node's `parent` upwards across top-level blocks, and a parsed tree is never changed after
 * it is made, so the two parses can share it. Moved, a copy of fixed shape (a spread is several
 * times slower, and most of a file's nodes are here).
 */
/**
 * Every node of the copy: one class, so that readers see one shape. A node moved from an earlier
 * parse (a top-level block after the edit) is made with its offsets moved and its children made on
 * first read, each moved from its base's child: most moved blocks are never read again (their
 * readings are carried over, terraform.ts), so copying them whole was most of a typed character.
 * A moved node's base is never itself an unread moved node (no chains).
 */
class Node implements HNode {
  hasError?: boolean;
  tooDeep?: number;
  private kids: HNode[] | undefined;
  private base: Node | undefined;
  private delta = 0;
  constructor(
    public type: string,
    public start: number,
    public end: number,
    public named: boolean,
    public missing: boolean,
    public field: string | undefined,
    public leaf: boolean | undefined,
    public parent: HNode | undefined,
  ) {
    this.kids = [];
    this.base = undefined;
  }

  get children(): HNode[] {
    let k = this.kids;
    if (k === undefined) {
      const from = this.base!.children;
      k = this.kids = new Array<HNode>(from.length);
      for (let i = 0; i < from.length; i++) k[i] = Node.moved(from[i] as Node, this.delta, this);
      this.base = undefined;
    }
    return k;
  }

  static moved(n: Node, delta: number, parent: HNode | undefined): Node {
    const m = new Node(n.type, n.start + delta, n.end + delta, n.named, n.missing, n.field, n.leaf, parent);
    m.kids = undefined;
    if (n.kids === undefined) {
      m.base = n.base;
      m.delta = n.delta + delta;
    } else {
      m.base = n;
      m.delta = delta;
    }
    return m;
  }
}

function shifted(n: Node, delta: number, parent: HNode | undefined): HNode {
  return delta === 0 ? n : Node.moved(n, delta, parent);
}

/**
 * The previous copy's top-level node standing for the new one at [start, end): the same text, wholly
 * before the edit (same offsets) or wholly after it (offsets moved), in trees without errors.
 */
function reusable(r: Reuse | undefined, byStart: Map<number, HNode> | undefined, type: string, start: number, end: number, parent: HNode): HNode | undefined {
  if (!r || !byStart) return undefined;
  const delta = r.newEnd - r.oldEnd;
  // a node touching the edit (or ending where it starts: its last token may have grown) is read again
  const oldStart = end < r.pre ? start : start > r.newEnd ? start - delta : undefined;
  if (oldStart === undefined) return undefined;
  const o = byStart.get(oldStart);
  if (!o || o.type !== type || o.end - o.start !== end - start) return undefined;
  const d = start - oldStart;
  const m = shifted(o as Node, d, parent);
  if (m !== o) {
    const k = blockKey(o);
    keys.set(m, { key: k.key, delta: k.delta + d });
  }
  return m;
}

/** Top-level nodes carried over from an earlier parse: the key of the node they were first read as, and how far they moved since. */
const keys = new WeakMap<HNode, { key: object; delta: number }>();

/**
 * What a top-level node of a parse without errors stands for across parses: a key shared by every
 * later parse's node for the same text (unmoved, the node itself is shared; moved, a copy is made),
 * and by how much its offsets moved since it was first read. Readers keep what they derived from a
 * block under its key (terraform.ts): the key holds no node and no text.
 */
export function blockKey(n: HNode): { key: object; delta: number } {
  let k = keys.get(n);
  if (!k) keys.set(n, (k = { key: {}, delta: 0 }));
  return k;
}

/**
 * Nodes copied without their children (when the tree has no error): their text says all that is
 * needed (a plain string literal's value is the text between its quotes), and most of a file's
 * nodes are below them.
 */
const LEAVES = new Set(['string_lit', 'tuple_start', 'tuple_end', 'object_start', 'object_end', 'block_start', 'block_end', 'template_interpolation_start', 'template_interpolation_end', 'quoted_template_start', 'quoted_template_end', 'identifier', 'numeric_lit', 'bool_lit', 'null_lit', 'comment']);

function copyTree(tree: TsTree, text: string, reuse?: Reuse): HNode {
  const full = tree.rootNode.hasError;
  const tc = tree.walk();
  // nothing else may call into the runtime until c.done(): its calls share the transfer buffer holding the cursor
  const c = cursorOf(tree, tc);
  const fields = (language as unknown as { fields: (string | null)[] }).fields;
  // the previous copy's top-level nodes (children of its body) by start, when neither tree has an error
  const oldBody = reuse && reuse.root.hasError === false && !full ? reuse.root.children.find((k) => k.type === 'body') : undefined;
  const byStart = oldBody ? new Map(oldBody.children.map((k) => [k.start, k])) : undefined;
  try {
    const node = (parent?: HNode): HNode => {
      const id = c.typeId();
      const start = c.start();
      const end = c.end();
      // every node of one shape (field and leaf always there, undefined when not set): readers of a shape that varies were megamorphic
      const field = parent?.type === 'object_elem' ? fields[c.fieldId()] || undefined : undefined;
      return new Node(typeNames[id] ?? 'ERROR', start, end, typeNamed[id] ?? true, start === end && c.missing(), field, undefined, parent);
    };
    const root = node();
    root.hasError = full;
    const stack: HNode[] = [root];
    if (!c.first()) return root;
    for (;;) {
      const parent = stack[stack.length - 1];
      const again = parent.type === 'body' && stack.length === 2 ? reusable(reuse, byStart, typeNames[c.typeId()] ?? 'ERROR', c.start(), c.end(), parent) : undefined;
      const n = again ?? node(parent);
      parent.children.push(n);
      if (again) {
        while (!c.next()) {
          if (!c.parent()) return root;
          stack.pop();
          if (stack.length === 0) return root;
        }
        continue;
      }
      if (n.type === 'string_lit') n.leaf = !full && text.charCodeAt(n.start) === 34 && text.charCodeAt(n.end - 1) === 34 && n.end - n.start >= 2;
      const deeper = full || !LEAVES.has(n.type) || (n.type === 'string_lit' && !n.leaf);
      if (deeper && stack.length >= MAX_HCL_DEPTH) root.tooDeep ??= n.start;
      else if (deeper && c.first()) {
        stack.push(n);
        continue;
      }
      while (!c.next()) {
        if (!c.parent()) return root;
        stack.pop();
        if (stack.length === 0) return root;
      }
    }
  } finally {
    c.done();
    tc.delete();
  }
}

// ------------------------------------------------------------------------------------------------
// small helpers over the plain tree

export const named = (n: HNode): HNode[] => n.children.filter(isNamed);
const isNamed = (c: HNode): boolean => c.named && c.type !== 'comment';

/** The first named child of a node (not a comment): named(n)[0] without the array. */
export function firstNamed(n: HNode): HNode | undefined {
  for (const c of n.children) if (isNamed(c)) return c;
  return undefined;
}

/** The only named child of a node (not a comment): undefined when it has none, null when it has several (named(n) without the array). */
export function onlyNamed(n: HNode): HNode | undefined | null {
  let found: HNode | undefined;
  for (const c of n.children) {
    if (!isNamed(c)) continue;
    if (found) return null;
    found = c;
  }
  return found;
}
export const child = (n: HNode, type: string): HNode | undefined => n.children.find((c) => c.type === type);
export const textOf = (text: string, n: HNode): string => text.slice(n.start, n.end);

/** Every ERROR node (outermost only) and MISSING node. */
export function syntaxErrors(root: HNode): HNode[] {
  const out: HNode[] = [];
  if (root.hasError === false) return out;
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
  // most strings (every action name) hold neither an escape nor a template escape: nothing to build
  if (raw.indexOf('\\') < 0 && raw.indexOf('{') < 0) return raw;
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
