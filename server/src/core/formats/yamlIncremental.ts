/**
 * The YAML parse of an edited text, reusing the previous parse where the edit cannot reach.
 *
 * The `yaml` library reads the whole text on every call (about 60 ms for a 100 KB template under
 * load), so an edit in one resource of a large template would cost that on every keystroke. When
 * the previous text parsed cleanly (one document, after nothing but comments; no error or warning,
 * no anchor, alias or directive; a block mapping at the top) and the edit lies inside one item of a
 * block mapping (a resource under `Resources:`, a top-level key…), only that item's lines are parsed again, by the
 * library itself, as a text of their own, followed by a probe: the start of the next item as it
 * was. The result is spliced into copies of the mappings around it, and the nodes after it are
 * moved copies, each made when first read (the previous parse is never changed: an analysis of the
 * previous version may still read it).
 *
 * The item's text parsed alone reads as it does in the whole text when: its first line is its key
 * at the mapping's column (and the edit leaves that indentation as it was), it parses alone with no
 * error or warning into exactly that one item, its key (a scalar with no tag) equal to no other key
 * of the mapping, and the probe after it starts with the same tokens as the next item did (so
 * whatever the item's end leaves to its neighbour, comments, blank lines, indentation, is what it
 * left before). Anything else (an edit across items or in an indentation, a syntax error, an anchor,
 * the first key when comments precede the document) is a whole parse. `parseYamlFresh` is the whole parse, which the
 * incremental one must always equal (test/unit/yamlIncremental.test.ts compares them node for
 * node and token for token over random edits of random templates).
 */
import { Composer, Document, Node, Pair, Parser, Schema, YAMLMap, isMap, isNode, isPair, isScalar } from 'yaml';
import type { CST, DocumentOptions, ParseOptions, SchemaOptions } from 'yaml';
import { commonPrefix, commonSuffix } from '../text';

export type YamlOptions = ParseOptions & DocumentOptions & SchemaOptions;

interface Parse {
  text: string;
  docs: Document[];
  /** The CST of the one document, when the parse can be the base of an incremental one. */
  tok?: CST.Document;
  /** Comments before the document (the composer gives them to the first key). */
  prelude?: boolean;
}

let last: Parse | undefined;
/** How the parses went (tests): incremental, whole, and of those whole ones after a readable text (an edit it could not isolate). */
export const yamlParseStats = { full: 0, incremental: 0, fallback: 0 };

/** Every document of the text, as `parseAllDocuments` reads it (prettyErrors off), reusing the previous parse where it can. */
export function parseYamlDocuments(text: string, options: YamlOptions): Document[] {
  if (last && last.text === text) return last.docs;
  let inc: Parse | undefined;
  try {
    inc = last?.tok ? incremental(last, text, options) : undefined;
  } catch {
    inc = undefined; // a text nested past the stack's depth: the whole parse says so in its errors
  }
  if (inc) {
    yamlParseStats.incremental++;
    last = inc;
    return inc.docs;
  }
  yamlParseStats.full++;
  if (last?.tok) yamlParseStats.fallback++;
  last = fresh(text, options);
  return last.docs;
}

/** A whole parse that neither uses nor keeps the previous one. */
export function parseYamlFresh(text: string, options: YamlOptions): Document[] {
  return fresh(text, options).docs;
}

/** Whether `docs` are the kept parse and it is error-free (one document, the base of the next incremental parse). */
export function keptWhole(docs: Document[]): boolean {
  return !!last && last.docs === docs && !!last.tok;
}

/**
 * What stands for a node across parses: the node itself, or for a moved copy the earlier parse's
 * node it copies; and how far the node is from that one. Two nodes with the same key hold the same
 * text (up to that move) as long as the key lives.
 */
export function nodeKey(n: object): [object, number] {
  return isMoved(n) ? [n[BASE], n[DELTA]] : [n, 0];
}

/** Forgets the kept parse (tests). */
export function resetYamlParse(): void {
  last = undefined;
}

function fresh(text: string, options: YamlOptions): Parse {
  const tokens = Array.from(new Parser().parse(text));
  const docs = Array.from(new Composer(options).compose(tokens)) as Document[];
  // one document, after nothing but comments (a header comment is the document's commentBefore)
  const lead = tokens.length - 1;
  const prelude = tokens.slice(0, lead).every((t) => t.type === 'comment' || t.type === 'newline' || t.type === 'space');
  const one = lead >= 0 && prelude && tokens[lead].type === 'document' && docs.length === 1 ? (tokens[lead] as CST.Document) : undefined;
  let ok = !!one && clean(docs[0]) && one.value?.type === 'block-map';
  try {
    ok &&= !hasAnchor(one);
  } catch {
    ok = false; // nested past the stack's depth: never the base of an incremental parse
  }
  return { text, docs, tok: ok ? one : undefined, prelude: lead > 0 };
}

const clean = (d: Document) => d.errors.length === 0 && d.warnings.length === 0 && isMap(d.contents) && !d.contents.flow && !d.contents.tag && !d.contents.anchor;

/** Whether a CST holds an anchor or an alias (an alias reads an anchor anywhere before it: no part is on its own). */
function hasAnchor(t: unknown): boolean {
  if (Array.isArray(t)) return t.some(hasAnchor);
  if (!t || typeof t !== 'object') return false;
  const o = t as Record<string, unknown>;
  if (o.type === 'anchor' || o.type === 'alias') return true;
  for (const k in o) {
    const v = o[k];
    if (v && typeof v === 'object' && hasAnchor(v)) return true;
  }
  return false;
}

// ------------------------------------------------------------------------------------------------

type Item = CST.BlockMap['items'][number];

interface Level {
  map: YAMLMap;
  tok: CST.BlockMap;
  /** The pair holding the edit, and its CST item. */
  pair: number;
  item: number;
}

interface Candidate {
  levels: Level[];
  /** Where the item's text starts (its key's line) and ends (the next item's first token; the text's end when it is last everywhere). */
  start: number;
  end: number;
  next?: Item;
}

const firstOffset = (it: Item): number | undefined => it.start[0]?.offset ?? it.key?.offset ?? it.sep?.[0]?.offset ?? it.value?.offset;

function shallow<T extends object>(o: T): T {
  return Object.create(Object.getPrototypeOf(o), Object.getOwnPropertyDescriptors(o)) as T;
}

function incremental(prev: Parse, text: string, options: YamlOptions): Parse | undefined {
  const a = prev.text;
  const max = Math.min(a.length, text.length);
  const pre = commonPrefix(a, text, max);
  const suf = commonSuffix(a, text, max - pre);
  const oldEnd = a.length - suf;
  const delta = text.length - a.length;
  const doc = prev.docs[0];
  const docTok = prev.tok!;
  // the items holding the edit, outermost first; the deepest one that can be read alone is
  const cands: Candidate[] = [];
  const levels: Level[] = [];
  let map = doc.contents as YAMLMap;
  let end: { at: number; next?: Item } = { at: a.length };
  for (let depth = 0; depth < 64; depth++) {
    const tok = map.srcToken as CST.BlockMap | undefined;
    if (!tok || tok.type !== 'block-map' || map.items.length === 0) break;
    // the last pair whose key starts at or before the edit
    let lo = 0;
    let hi = map.items.length - 1;
    const keyAt = (p: Pair) => (p.key as Node | null)?.range?.[0] ?? Infinity;
    if (keyAt(map.items[0]) > pre) break;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (keyAt(map.items[mid]) <= pre) lo = mid;
      else hi = mid - 1;
    }
    const pair = map.items[lo];
    const item = tok.items.indexOf(pair.srcToken as Item);
    if (item < 0) break;
    const it = tok.items[item];
    const key = pair.key as Node;
    if (!isScalar(key) || key.tag || key.anchor || it.explicitKey) break;
    const keyStart = key.range![0];
    let start = keyStart;
    while (start > 0 && a.charCodeAt(start - 1) === 32) start--;
    if ((start > 0 && a.charCodeAt(start - 1) !== 10) || keyStart - start !== tok.indent || pre < keyStart) break;
    // the item's own start: nothing but its indentation (a comment before its key is read with it)
    if (!(it.start.length === 0 || (it.start.length === 1 && it.start[0].type === 'space' && it.start[0].offset === start && it.start[0].source.length === tok.indent))) break;
    const after = tok.items[item + 1];
    const here = after ? { at: firstOffset(after)!, next: after } : end;
    levels.push({ map, tok, pair: lo, item });
    if (oldEnd > here.at || (after && !after.key)) break;
    // usable alone: followed by a sibling (the probe reads its start), or last everywhere up to the text's end
    if (after || here.at === a.length) cands.push({ levels: levels.slice(), start, end: here.at, next: here.next });
    end = here;
    const v = pair.value;
    if (!isMap(v) || v.flow || v.tag || v.anchor) break;
    map = v;
  }
  for (let i = cands.length - 1; i >= 0; i--) {
    const r = splice(prev, doc, docTok, cands[i], text, delta, options);
    if (r) return r;
  }
  return undefined;
}

function splice(prev: Parse, doc: Document, docTok: CST.Document, c: Candidate, text: string, delta: number, options: YamlOptions): Parse | undefined {
  const a = prev.text;
  const deepest = c.levels[c.levels.length - 1];
  const n = deepest.tok.indent;
  // the comments before the document are the first key's: that key is kept, not read again
  if (prev.prelude && c.levels.length === 1 && deepest.pair === 0) return undefined;
  const chunk = text.slice(c.start, c.end + delta);
  const nextKey = c.next?.key;
  const probe = c.next ? a.slice(c.end, (nextKey as { offset: number }).offset + ((nextKey as { source?: string }).source?.length ?? 0)) + ':' : '';
  if (c.next && (!nextKey || nextKey.type !== 'scalar' && nextKey.type !== 'single-quoted-scalar' && nextKey.type !== 'double-quoted-scalar')) return undefined;
  const tokens = Array.from(new Parser().parse(chunk + probe));
  if (tokens.length !== 1 || tokens[0].type !== 'document') return undefined;
  const dt = tokens[0] as CST.Document;
  const bm = dt.value;
  if (!bm || bm.type !== 'block-map' || bm.indent !== n || bm.items.length !== (c.next ? 2 : 1)) return undefined;
  if (dt.end?.length) return undefined;
  if (!(n === 0 ? dt.start.length === 0 : dt.start.length === 1 && dt.start[0].type === 'space' && dt.start[0].source.length === n)) return undefined;
  const mine = bm.items[0];
  if (mine.start.length !== 0 || !mine.key || mine.explicitKey || mine.key.offset !== n) return undefined;
  if (c.next) {
    const p = bm.items[1];
    const was = c.next.start;
    if (!p.key || p.start.length !== was.length || p.start.some((t, i) => t.type !== was[i].type || t.source !== was[i].source)) return undefined;
    // and it is the probe itself, where the probe's key was put: not an item of the chunk (an edit that replaced a whole item by
    // several, the next item's indentation changed, read the chunk's second item as the probe and lost the rest)
    if (p.key.offset !== chunk.length + ((nextKey as { offset: number }).offset - c.end)) return undefined;
  }
  if (hasAnchor(dt)) return undefined;
  const docs = Array.from(new Composer(options).compose(tokens)) as Document[];
  if (docs.length !== 1) return undefined;
  const cd = docs[0];
  if (cd.errors.length || cd.warnings.length || cd.comment || cd.commentBefore || !isMap(cd.contents)) return undefined;
  const cm = cd.contents;
  if (cm.comment || cm.commentBefore || cm.items.length !== bm.items.length) return undefined;
  const np = cm.items[0];
  const nk = np.key as Node;
  // a key still, and no other key of its mapping (uniqueKeys: a duplicate is an error of the whole parse)
  if (!isScalar(nk) || nk.tag || nk.anchor) return undefined;
  if (deepest.map.items.some((p, i) => i !== deepest.pair && (p.key === nk || (isScalar(p.key) && p.key.value === nk.value)))) return undefined;
  // the new item: the chunk's nodes and tokens (ours alone) moved to their place in the text
  moveCst(mine, c.start);
  moveNodes(np, c.start, doc.schema);
  const oldItem = deepest.tok.items[deepest.item];
  const newItem: Item = { ...mine, start: oldItem.start };
  np.srcToken = newItem as never;
  // the mappings around it, copied: items before shared, items after moved
  const eof = !c.next;
  let child: Pair = np;
  let childItem: Item = newItem;
  for (let l = c.levels.length - 1; l >= 0; l--) {
    const lv = c.levels[l];
    const m = copyNode(lv.map);
    const rest = lv.map.items.slice(lv.pair + 1);
    const movedRest = delta ? rest.map((p) => moved(p, delta)) : rest;
    m.items = [...lv.map.items.slice(0, lv.pair), child, ...movedRest];
    const restTok = lv.tok.items.slice(lv.item + 1);
    const t: CST.BlockMap = { ...lv.tok, items: [...lv.tok.items.slice(0, lv.item), childItem, ...(delta ? (movedItems(restTok, rest, movedRest, delta) as Item[]) : restTok)] };
    m.srcToken = t as never;
    const r = lv.map.range!;
    if (eof) {
      // last here, the text's end after it: the mapping ends where its last value does
      if (r[1] !== r[2]) return undefined;
      const e = (child.value as Node).range![2];
      m.range = [r[0], e, e];
    } else {
      // it ends after the next item's start, which moved
      if (r[1] < c.end || r[2] < c.end) return undefined;
      m.range = [r[0], r[1] + delta, r[2] + delta];
    }
    if (l === 0) {
      const d = shallow(doc);
      d.contents = m as never;
      d.errors = [];
      d.warnings = [];
      const dr = doc.range!;
      if (eof) {
        if (dr[1] !== dr[2] || docTok.end?.length || doc.comment) return undefined;
        d.range = [dr[0], m.range[2], m.range[2]];
      } else d.range = [dr[0], dr[1] + delta, dr[2] + delta];
      const tok: CST.Document = { ...docTok, value: t, ...(docTok.end ? { end: delta ? movedSources(docTok.end, delta) : docTok.end } : {}) };
      return { text, docs: [d], tok, prelude: prev.prelude };
    }
    const up = c.levels[l - 1];
    const p = copyNode(up.map.items[up.pair]);
    p.value = m;
    const upItem = { ...plainItem(up.tok.items[up.item]), value: t } as Item;
    p.srcToken = upItem as never;
    child = p;
    childItem = upItem;
  }
  return undefined;
}

/** Moves a CST (the chunk's own tokens) by `d`, in place. */
function moveCst(t: unknown, d: number): void {
  if (Array.isArray(t)) {
    for (const x of t) moveCst(x, d);
    return;
  }
  if (!t || typeof t !== 'object') return;
  const o = t as Record<string, unknown>;
  if (typeof o.offset === 'number') o.offset += d;
  for (const k in o) {
    const v = o[k];
    if (v && typeof v === 'object') moveCst(v, d);
  }
}

/** Moves composed nodes (the chunk's own) by `d`, in place, into the document's schema; their source tokens are moved with the CST. */
function moveNodes(n: unknown, d: number, schema: Schema | undefined): void {
  if (isPair(n)) {
    moveNodes(n.key, d, schema);
    moveNodes(n.value, d, schema);
    return;
  }
  if (!isNode(n)) return;
  const o = n as { range?: number[] | null; items?: unknown[]; schema?: Schema };
  if (o.range) o.range = [o.range[0] + d, o.range[1] + d, o.range[2] + d];
  if ('schema' in o) o.schema = schema;
  if (o.items) for (const x of o.items) moveNodes(x, d, schema);
}

/** Source tokens (indicators, spaces, comments, line breaks) moved by `d`: no node points at one. */
function movedSources(list: CST.SourceToken[], d: number): CST.SourceToken[] {
  const out = new Array<CST.SourceToken>(list.length);
  for (let i = 0; i < list.length; i++) out[i] = { ...list[i], offset: list[i].offset + d };
  return out;
}

/** A copy of any CST moved by `d` (tokens no node points at: comment-only items, a flow collection's entries). */
function movedCst(t: unknown, d: number): unknown {
  if (!t || typeof t !== 'object') return t;
  if (Array.isArray(t)) {
    const out = new Array<unknown>(t.length);
    for (let i = 0; i < t.length; i++) out[i] = movedCst(t[i], d);
    return out;
  }
  const out: Record<string, unknown> = { ...(t as Record<string, unknown>) };
  if (typeof out.offset === 'number') out.offset += d;
  for (const k in out) {
    const v = out[k];
    if (v && typeof v === 'object') out[k] = movedCst(v, d);
  }
  return out;
}

type AnyItem = { start: CST.SourceToken[]; key?: CST.Token | null; sep?: CST.SourceToken[]; value?: CST.Token };

/**
 * The CST entries of a collection moved by `d`, each pointing at the moved source tokens of the
 * moved nodes (`was[i]` moved is `now[i]`, in order): a pair's entry is its own moved token, a
 * sequence's entry holds its value's; anything else (a comment-only entry) a plain moved copy.
 */
function movedItems(items: readonly AnyItem[], was: readonly unknown[], now: readonly unknown[], d: number): AnyItem[] {
  const out = new Array<AnyItem>(items.length);
  let p = 0;
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    const o = was[p] as { srcToken?: unknown } | undefined;
    const n = now[p] as { srcToken?: unknown } | undefined;
    if (o && o.srcToken !== undefined && o.srcToken === it) {
      out[i] = n!.srcToken as AnyItem;
      p++;
    } else if (o && o.srcToken !== undefined && it.value !== undefined && o.srcToken === it.value) {
      const c: AnyItem = { ...it, start: movedSources(it.start, d), value: n!.srcToken as CST.Token };
      if (it.sep) c.sep = movedSources(it.sep, d);
      if (it.key) c.key = movedCst(it.key, d) as CST.Token;
      out[i] = c;
      p++;
    } else out[i] = movedCst(it, d) as AnyItem;
  }
  return out;
}

/** A node's own source token moved by `d`, its children's entries the moved children's tokens. */
function movedToken(t: Record<string, unknown>, was: { items?: unknown[] }, now: { items?: unknown[] }, d: number): unknown {
  const out: Record<string, unknown> = { ...t };
  if (typeof out.offset === 'number') out.offset += d;
  for (const k in out) {
    const v = out[k];
    if (!v || typeof v !== 'object') continue;
    if (k === 'items' && was.items && now.items) out[k] = movedItems(v as AnyItem[], was.items, now.items, d);
    else out[k] = movedCst(v, d);
  }
  return out;
}

const NODE_TYPE = Symbol.for('yaml.node.type');

// ------------------------------------------------------------------------------------------------
// Moved copies, made when read. A node after the edit stands for the same text as before, moved: it is
// a "moved" node, `[BASE]` (a node of some earlier parse, never itself a moved one) and `[DELTA]` (how
// far). Its own fields are the base's, its range moved; its children (items, key, value) and its source
// token are made when first read, moved alike, and kept. A keystroke thus costs what is read of the
// nodes after it, not their number; moving a moved node again moves its base (no chain grows).

const BASE = Symbol('yaml.moved.base');
const DELTA = Symbol('yaml.moved.delta');
const MADE = Symbol('yaml.moved.made');
/** The fields a moved node makes when read, per kind (all others are copied from its base; the range is moved at once). */
const LAZY_PAIR = new Set(['key', 'value', 'srcToken', 'range']);
const LAZY_COLLECTION = new Set(['items', 'srcToken', 'range']);
const LAZY_OTHER = new Set(['srcToken', 'range']);
const lazyOf = (base: object): Set<string> => (isPair(base) ? LAZY_PAIR : 'items' in base ? LAZY_COLLECTION : LAZY_OTHER);

interface MovedNode {
  [BASE]: Record<string | symbol, unknown>;
  [DELTA]: number;
  [MADE]: Record<string, unknown>;
}

const isMoved = (n: unknown): n is MovedNode => !!n && typeof n === 'object' && (n as MovedNode)[BASE] !== undefined;

function lazyField(name: string, make: (self: MovedNode, base: Record<string | symbol, unknown>, d: number) => unknown): PropertyDescriptor {
  return {
    get(this: MovedNode) {
      const made = this[MADE];
      if (name in made) return made[name];
      return (made[name] = make(this, this[BASE], this[DELTA]));
    },
    set(this: MovedNode, v: unknown) {
      this[MADE][name] = v;
    },
    configurable: true,
  };
}

/** Per class of node, the prototype of its moved copies: the class's own, with the fields above made when read. */
const movedProtos = new Map<object, object>();
function movedProto(base: Record<string | symbol, unknown>): object {
  const proto = Object.getPrototypeOf(base) as object;
  let mp = movedProtos.get(proto);
  if (mp) return mp;
  const fields: PropertyDescriptorMap = {
    srcToken: lazyField('srcToken', (self, b) => (b.srcToken === undefined ? undefined : isPair(b) ? movedItemToken(self) : movedToken(b.srcToken as Record<string, unknown>, b, self as never, self[DELTA]))),
    schema: {
      get(this: MovedNode) {
        return this[BASE].schema;
      },
      set(this: MovedNode, v: unknown) {
        Object.defineProperty(this, 'schema', { value: v, configurable: true, enumerable: false, writable: true });
      },
      configurable: true,
    },
  };
  if (isPair(base)) {
    fields.key = lazyField('key', (_s, b, d) => moved(b.key, d));
    fields.value = lazyField('value', (_s, b, d) => moved(b.value, d));
  } else if ('items' in base) fields.items = lazyField('items', (_s, b, d) => (b.items as unknown[]).map((x) => moved(x, d)));
  mp = Object.create(proto, fields) as object;
  Object.defineProperty(mp, NODE_TYPE, { value: base[NODE_TYPE] });
  movedProtos.set(proto, mp);
  return mp;
}

/** A node (or pair) moved by `d`: itself when `d` is 0 in all, else a moved node of its base. */
function moved<T>(n: T, d: number): T {
  if (!isPair(n) && !isNode(n)) return n;
  let base = n as unknown as Record<string | symbol, unknown>;
  if (isMoved(n)) {
    base = n[BASE];
    d += n[DELTA];
  }
  if (d === 0) return base as unknown as T;
  const m = Object.create(movedProto(base)) as MovedNode & Record<string, unknown>;
  m[BASE] = base;
  m[DELTA] = d;
  m[MADE] = {};
  const lazy = lazyOf(base);
  for (const k of Object.keys(base)) if (!lazy.has(k)) m[k] = base[k];
  const r = base.range as number[] | null | undefined;
  if (r) m.range = [r[0] + d, r[1] + d, r[2] + d];
  else if ('range' in base) m.range = r;
  return m as unknown as T;
}

/**
 * A moved pair's CST entry: made when one of its fields is first read (the incremental parse reads
 * the entries around the edit; the edits read a pair's separator). Its fields are those of the base's
 * entry, moved, its key and value the moved key's and value's own tokens.
 */
const MOVED_ITEM: object = (() => {
  const o: PropertyDescriptorMap = {};
  for (const f of ['start', 'explicitKey', 'key', 'sep', 'value'])
    o[f] = {
      get(this: { [MADE]?: AnyItem; [BASE]: MovedNode & { key?: unknown; value?: unknown } }) {
        const made = (this[MADE] ??= itemOfPair(this[BASE])) as unknown as Record<string, unknown>;
        return made[f];
      },
      enumerable: true,
      configurable: true,
    };
  return Object.create(Object.prototype, o) as object;
})();

function movedItemToken(pair: MovedNode): AnyItem {
  const t = Object.create(MOVED_ITEM) as { [BASE]: MovedNode };
  t[BASE] = pair;
  return t as unknown as AnyItem;
}

function itemOfPair(pair: MovedNode & { key?: unknown; value?: unknown }): AnyItem {
  const base = pair[BASE] as { srcToken: AnyItem; key?: unknown; value?: unknown };
  return pairItem(base.srcToken, base, pair, pair[DELTA]);
}

/** A CST entry as a plain object (a moved pair's is made of getters, which a spread would not copy). */
function plainItem(it: Item): Item {
  if (Object.getPrototypeOf(it) !== MOVED_ITEM) return it;
  const o: Record<string, unknown> = {};
  for (const f of ['start', 'explicitKey', 'key', 'sep', 'value']) {
    const v = (it as unknown as Record<string, unknown>)[f];
    if (v !== undefined) o[f] = v;
  }
  return o as unknown as Item;
}

/** A node's copy: the same class, fields and hidden marks (its type, a collection's schema), a moved node's fields made. */
function copyNode<T extends object>(o: T): T {
  const src = o as unknown as Record<string | symbol, unknown>;
  const base = isMoved(o) ? o[BASE] : src;
  const m = Object.create(Object.getPrototypeOf(base)) as Record<string | symbol, unknown>;
  Object.defineProperty(m, NODE_TYPE, { value: base[NODE_TYPE] });
  if (Object.prototype.hasOwnProperty.call(base, 'schema'))
    Object.defineProperty(m, 'schema', { value: src.schema, configurable: true, enumerable: false, writable: true });
  for (const k of Object.keys(src)) m[k] = src[k];
  if (isMoved(o)) for (const k of lazyOf(base)) if (k !== 'range' && k in base) m[k] = src[k];
  return m as unknown as T;
}

/** A pair's CST entry moved: its key and value entries the moved key's and value's own tokens. */
function pairItem(it: AnyItem, was: { key?: unknown; value?: unknown }, now: { key?: unknown; value?: unknown }, d: number): AnyItem {
  const tokOf = (x: unknown) => (x as { srcToken?: unknown } | null)?.srcToken;
  const c: AnyItem = { ...plainItem(it as Item), start: movedSources(it.start, d) };
  if (it.sep) c.sep = movedSources(it.sep, d);
  if (it.key) c.key = (it.key === tokOf(was.key) ? tokOf(now.key) : movedCst(it.key, d)) as CST.Token;
  if (it.value) c.value = (it.value === tokOf(was.value) ? tokOf(now.value) : movedCst(it.value, d)) as CST.Token;
  return c;
}
