/**
 * The bytes of the messages the server writes on a stream (stdio, a socket, a pipe): what
 * JSON.stringify writes, byte for byte, a large publishDiagnostics notification's diagnostics written
 * from pieces kept between keystrokes. A keystroke in a broad policy publishes a thousand diagnostics
 * that are the same as the version before's but for a few numbers (the version in their data, a range
 * where text moved): JSON.stringify and the UTF-8 copy of 257 KB were 1.3–1.9 ms of every keystroke's
 * server time. Here a diagnostic whose every other field is as it was for the same message string is
 * copied from the bytes written then, the version's digits spliced in; one whose range or fields
 * changed is written number by number, its strings from bytes kept per string. Anything not of the
 * shape documentDiagnostics builds (another key or order, a float, another prototype, a toJSON) is
 * written by JSON.stringify, that diagnostic or the whole message: the output is always
 * JSON.stringify's (property test: test/unit/wire.property.test.ts).
 */
import type { ContentTypeEncoder, Message } from 'vscode-languageserver/node';

const PUBLISH = 'textDocument/publishDiagnostics';

/** How the diagnostics of publishes were written: copied from the last version's bytes, written anew, by JSON.stringify (tests: every path is taken). */
export const wireCounts = { copied: 0, written: 0, stringified: 0 };

/**
 * Publishes of fewer diagnostics are JSON.stringify's whole: a few dozen cost a tenth of a millisecond
 * either way, and checking each one's shape (with its related information) costs more than that.
 */
const FAST_AFTER = 64;

/** The JSON of a message, as UTF-8 bytes: `Buffer.from(JSON.stringify(msg))`, quicker for a publish of many diagnostics (`fastAfter` or more). */
export function encodeMessage(msg: unknown, fastAfter = FAST_AFTER): Buffer {
  if (isPublish(msg) && msg.params.diagnostics.length >= fastAfter) {
    const w = new Writer();
    if (writePublish(w, msg)) return w.done();
  }
  return Buffer.from(JSON.stringify(msg), 'utf8');
}

/** vscode-jsonrpc's content type encoder (StreamMessageWriter's `contentTypeEncoder`) over encodeMessage. */
export const wireEncoder: ContentTypeEncoder = {
  name: 'application/json',
  encode(msg: Message, options): Promise<Uint8Array> {
    try {
      // vscode-jsonrpc writes utf-8 unless told otherwise; any other charset is JSON.stringify's, as the default encoder writes it
      const charset = options.charset;
      return Promise.resolve(charset === 'utf-8' ? encodeMessage(msg) : Buffer.from(JSON.stringify(msg, undefined, 0), charset));
    } catch (e) {
      return Promise.reject(e);
    }
  },
};

interface Publish {
  jsonrpc: unknown;
  method: string;
  params: { uri: unknown; version?: unknown; diagnostics: unknown[] };
}

function isPublish(msg: unknown): msg is Publish {
  const m = msg as Publish | null;
  return typeof m === 'object' && m !== null && m.method === PUBLISH && typeof m.params === 'object' && m.params !== null && Array.isArray(m.params.diagnostics);
}

// ---------------------------------------------------------------------------------------------
// bytes

const utf8 = (s: string) => Buffer.from(s, 'utf8');
/** JSON.stringify of a string, as bytes, kept per string (a message is written once, then copied). */
const quoted = new Map<string, Buffer>();
const QUOTED_KEPT = 20_000;

function quotedBytes(s: string): Buffer {
  let b = quoted.get(s);
  if (b === undefined) {
    if (quoted.size >= QUOTED_KEPT) quoted.clear();
    quoted.set(s, (b = utf8(JSON.stringify(s))));
  }
  return b;
}

/** The largest scratch buffer kept between messages (a publish of ReadOnlyAccess's 1,067 diagnostics: 257 KB). */
const SCRATCH_KEPT = 4 << 20;

class Writer {
  private static scratch = Buffer.allocUnsafe(1 << 16);
  buf = Writer.scratch;
  pos = 0;

  private grow(n: number): void {
    const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = Writer.scratch = b;
  }

  bytes(b: Uint8Array): void {
    const n = b.length;
    if (this.pos + n > this.buf.length) this.grow(n);
    // a short copy by hand: TypedArray.set costs more than a few bytes
    if (n < 24) {
      const out = this.buf;
      for (let i = 0, at = this.pos; i < n; i++) out[at + i] = b[i];
    } else this.buf.set(b, this.pos);
    this.pos += n;
  }

  byte(c: number): void {
    if (this.pos + 1 > this.buf.length) this.grow(1);
    this.buf[this.pos++] = c;
  }

  /** A non-negative integer below 2^31 (isSmallInt), in decimal as JSON writes it. */
  int(n: number): void {
    if (this.pos + 10 > this.buf.length) this.grow(10);
    const b = this.buf;
    if (n < 10) {
      b[this.pos++] = 48 + n;
      return;
    }
    let digits = 1;
    for (let x = n; x >= 10; x = (x / 10) | 0) digits++;
    const end = this.pos + digits;
    let x = n;
    for (let i = end - 1; i >= this.pos; i--) {
      b[i] = 48 + (x % 10);
      x = (x / 10) | 0;
    }
    this.pos = end;
  }

  json(v: unknown): void {
    this.bytes(utf8(JSON.stringify(v)));
  }

  /** A copy of what was written (the scratch buffer is written again by the next message). */
  done(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    // a huge publish (a megabyte policy's ten thousand diagnostics) does not keep its scratch buffer for the process's life
    if (Writer.scratch.length > SCRATCH_KEPT) Writer.scratch = Buffer.allocUnsafe(1 << 16);
    return out;
  }

  /** Back to `at`: a diagnostic begun on the fast path that turned out not to be of its shape. */
  reset(at: number): void {
    this.pos = at;
  }
}

/** Integers JSON writes as plain digits that Writer.int writes (a range's line, a version). */
const isSmallInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 2 ** 31;

const B = {
  head: utf8('{"jsonrpc":'),
  method: utf8(`,"method":"${PUBLISH}","params":{"uri":`),
  version: utf8(',"version":'),
  diagnostics: utf8(',"diagnostics":['),
  end: utf8(']}}'),
  range: utf8('{"range":{"start":{"line":'),
  character: utf8(',"character":'),
  end_: utf8('},"end":{"line":'),
  rangeEnd: utf8('}},"severity":'),
  source: utf8(',"source":'),
  code: utf8(',"code":'),
  message: utf8(',"message":'),
  data: utf8(',"data":'),
  codeDescription: utf8(',"codeDescription":{"href":'),
  tags: utf8(',"tags":'),
  related: utf8(',"relatedInformation":'),
};

const EMPTY = Buffer.alloc(0);
const COMMA = 44;
const OPEN = 91;
const CLOSE = 93;
const BRACE_CLOSE = 125;

/** A message's own keys in order, undefined values left out (as JSON.stringify leaves them). */
function keysOf(o: object): string[] {
  const out: string[] = [];
  for (const k in o) if (Object.prototype.hasOwnProperty.call(o, k) && (o as Record<string, unknown>)[k] !== undefined) out.push(k);
  return out;
}

const PUBLISH_KEYS = 'jsonrpc,method,params';

function writePublish(w: Writer, m: Publish): boolean {
  if (Object.getPrototypeOf(m) !== Object.prototype || keysOf(m).join() !== PUBLISH_KEYS || typeof m.jsonrpc !== 'string') return false;
  const p = m.params;
  if (Object.getPrototypeOf(p) !== Object.prototype || typeof p.uri !== 'string') return false;
  const keys = keysOf(p).join();
  const withVersion = keys === 'uri,version,diagnostics';
  if (!withVersion && keys !== 'uri,diagnostics') return false;
  if (withVersion && !isSmallInt(p.version)) return false;
  w.bytes(B.head);
  w.bytes(quotedBytes(m.jsonrpc));
  w.bytes(B.method);
  w.bytes(quotedBytes(p.uri));
  if (withVersion) {
    w.bytes(B.version);
    w.int(p.version as number);
  }
  w.bytes(B.diagnostics);
  const ds = p.diagnostics;
  // an array's own toJSON is called by JSON.stringify
  if (typeof (ds as { toJSON?: unknown }).toJSON === 'function') return false;
  for (let i = 0; i < ds.length; i++) {
    if (i > 0) w.byte(COMMA);
    const d = ds[i];
    const at = w.pos;
    if (writeDiagnostic(w, d)) continue;
    w.reset(at);
    // JSON.stringify calls an element's toJSON with its index: the whole message is JSON.stringify's then
    if (typeof d === 'object' && d !== null && typeof (d as { toJSON?: unknown }).toJSON === 'function') return false;
    wireCounts.stringified++;
    // it writes null for undefined, functions and symbols in an array
    w.json(d === undefined || typeof d === 'function' || typeof d === 'symbol' ? null : d);
  }
  w.bytes(B.end);
  return true;
}

/** The keys of the diagnostics documentDiagnostics builds, in its order (the first five always there: their values are checked). */
const ORDER = ['range', 'severity', 'source', 'code', 'message', 'data', 'codeDescription', 'tags', 'relatedInformation'];

/** An object or array JSON.stringify writes as itself (no toJSON of its own: one would be called with its key). */
const isPlainJson = (v: unknown): v is object => typeof v === 'object' && v !== null && typeof (v as { toJSON?: unknown }).toJSON !== 'function';

type Position = { line: number; character: number };

/** A plain object whose own keys are `a` then `b`, nothing else (as documentDiagnostics builds its positions, ranges, locations). */
function hasKeys(o: unknown, a: string, b: string): o is Record<string, unknown> {
  if (typeof o !== 'object' || o === null || Object.getPrototypeOf(o) !== Object.prototype) return false;
  let n = 0;
  for (const k in o) {
    if ((n === 0 && k !== a) || (n === 1 && k !== b) || n > 1) return false;
    n++;
  }
  return n === 2;
}

/** A {line, character} of two small integers. */
const isPosition = (p: unknown): p is Position => hasKeys(p, 'line', 'character') && isSmallInt(p.line) && isSmallInt(p.character);

const isRange = (r: unknown): r is { start: Position; end: Position } => hasKeys(r, 'start', 'end') && isPosition(r.start) && isPosition(r.end);

/** An array JSON.stringify writes as its elements (Array's own prototype, no toJSON of its own). */
const isPlainArray = (a: unknown): a is unknown[] => Array.isArray(a) && Object.getPrototypeOf(a) === Array.prototype && typeof (a as { toJSON?: unknown }).toJSON !== 'function';

function isIntArray(a: unknown): a is number[] {
  if (!isPlainArray(a)) return false;
  for (let i = 0; i < a.length; i++) if (!isSmallInt(a[i])) return false;
  return true;
}

function writeInts(w: Writer, a: number[], from: number): void {
  for (let i = from; i < a.length; i++) {
    if (i > 0) w.byte(COMMA);
    w.int(a[i]);
  }
}

/** The same values from `from` on (both absent, or the same length). */
function sameFrom(a: readonly unknown[] | undefined, b: readonly unknown[] | undefined, from: number): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = from; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A Location of a uri and a range. */
const isLocation = (l: unknown): l is { uri: string; range: { start: Position; end: Position } } => hasKeys(l, 'uri', 'range') && typeof l.uri === 'string' && isRange(l.range);

/** Related information as documentDiagnostics builds it ({location, message} each), as the values it is written from; else undefined. */
function relatedValues(rel: unknown): unknown[] | undefined {
  if (!isPlainArray(rel)) return undefined;
  const out: unknown[] = [];
  for (let i = 0; i < rel.length; i++) {
    const r: unknown = rel[i];
    if (!hasKeys(r, 'location', 'message') || !isLocation(r.location) || typeof r.message !== 'string') return undefined;
    const { uri, range } = r.location;
    out.push(uri, range.start.line, range.start.character, range.end.line, range.end.character, r.message);
  }
  return out;
}

/**
 * A diagnostic's bytes as last written, kept per message string: a keystroke's next publish writes
 * the same diagnostic again but for its data's first number (the version), so the bytes before that
 * number and after it are copied when everything else is as it was.
 */
interface Written {
  sl: number;
  sc: number;
  el: number;
  ec: number;
  severity: number;
  source: string;
  code: string;
  /** A copy of the data written: compared but for its first number. */
  data: number[] | undefined;
  href: string | undefined;
  tags: number[] | undefined;
  /** The related information's values (relatedValues). */
  related: unknown[] | undefined;
  /** The bytes before the data's first number, and after it (all of them in `before` without one). */
  before: Buffer;
  after: Buffer;
}

const written = new Map<string, Written>();
/** Diagnostics kept (about 300 bytes each: a document's 10,000 diagnostics are 3 MB); past it, kept anew. */
const WRITTEN_KEPT = 10_000;

/**
 * A diagnostic of documentDiagnostics' shape: range, severity, source, code, message, then data (an
 * array of integers, or an object: suggestions, candidates), codeDescription ({href}), tags
 * (integers), relatedInformation as present, in that order. False for any other (the caller writes
 * it with JSON.stringify). Data that is an object and related information are written by
 * JSON.stringify in place, and such a diagnostic is not kept (they are new objects every version).
 */
function writeDiagnostic(w: Writer, d: unknown): boolean {
  if (typeof d !== 'object' || d === null || Object.getPrototypeOf(d) !== Object.prototype) return false;
  const o = d as Record<string, unknown>;
  // the keys present, in ORDER's order (undefined values are left out, as JSON.stringify does; a missing one of the first five fails its check below)
  let next = 0;
  for (const k in o) {
    if (o[k] === undefined) continue;
    let i = next;
    while (i < ORDER.length && ORDER[i] !== k) i++;
    if (i === ORDER.length) return false;
    next = i + 1;
  }
  const { range, severity, source, code, message, data, codeDescription, tags, relatedInformation } = o;
  if (!isRange(range) || !isSmallInt(severity) || typeof source !== 'string' || typeof code !== 'string' || typeof message !== 'string') return false;
  const ints = data === undefined || isIntArray(data);
  if (!ints && !isPlainJson(data)) return false;
  // the data as integers (undefined when absent, or when it is an object)
  const ds = ints ? (data as number[] | undefined) : undefined;
  if (tags !== undefined && !isIntArray(tags)) return false;
  if (relatedInformation !== undefined && !isPlainJson(relatedInformation)) return false;
  const related = relatedInformation === undefined ? undefined : relatedValues(relatedInformation);
  const keep = ints && (relatedInformation === undefined || related !== undefined);
  let href: string | undefined;
  if (codeDescription !== undefined) {
    if (typeof codeDescription !== 'object' || codeDescription === null || Object.getPrototypeOf(codeDescription) !== Object.prototype) return false;
    let n = 0;
    for (const k in codeDescription) if (k !== 'href' || n++ > 0) return false;
    const h = (codeDescription as { href: unknown }).href;
    if (typeof h !== 'string') return false;
    href = h;
  }
  const { start, end } = range;
  const rec = keep ? written.get(message) : undefined;
  if (
    rec !== undefined &&
    rec.sl === start.line &&
    rec.sc === start.character &&
    rec.el === end.line &&
    rec.ec === end.character &&
    rec.severity === severity &&
    rec.source === source &&
    rec.code === code &&
    rec.href === href &&
    sameFrom(rec.data, ds, 1) &&
    sameFrom(rec.tags, tags, 0) &&
    sameFrom(rec.related, related, 0)
  ) {
    w.bytes(rec.before);
    if (ds !== undefined && ds.length > 0) w.int(ds[0]);
    w.bytes(rec.after);
    wireCounts.copied++;
    return true;
  }
  const from = w.pos;
  w.bytes(B.range);
  w.int(start.line);
  w.bytes(B.character);
  w.int(start.character);
  w.bytes(B.end_);
  w.int(end.line);
  w.bytes(B.character);
  w.int(end.character);
  w.bytes(B.rangeEnd);
  w.int(severity);
  w.bytes(B.source);
  w.bytes(quotedBytes(source));
  w.bytes(B.code);
  w.bytes(quotedBytes(code));
  w.bytes(B.message);
  w.bytes(quotedBytes(message));
  let mid = -1;
  let midEnd = -1;
  if (data !== undefined) {
    w.bytes(B.data);
    if (ds !== undefined) {
      w.byte(OPEN);
      mid = w.pos;
      if (ds.length > 0) w.int(ds[0]);
      midEnd = w.pos;
      writeInts(w, ds, 1);
      w.byte(CLOSE);
    } else w.json(data);
  }
  if (href !== undefined) {
    w.bytes(B.codeDescription);
    w.bytes(quotedBytes(href));
    w.byte(BRACE_CLOSE);
  }
  if (tags !== undefined) {
    w.bytes(B.tags);
    w.byte(OPEN);
    writeInts(w, tags, 0);
    w.byte(CLOSE);
  }
  if (relatedInformation !== undefined) {
    w.bytes(B.related);
    w.json(relatedInformation);
  }
  w.byte(BRACE_CLOSE);
  if (!keep) {
    wireCounts.written++;
    return true;
  }
  if (written.size >= WRITTEN_KEPT) written.clear();
  const bytes = w.buf;
  written.set(message, {
    sl: start.line,
    sc: start.character,
    el: end.line,
    ec: end.character,
    severity,
    source,
    code,
    data: ds?.slice(),
    href,
    tags: tags?.slice(),
    related,
    before: Buffer.from(bytes.subarray(from, mid < 0 ? w.pos : mid)),
    after: mid < 0 ? EMPTY : Buffer.from(bytes.subarray(midEnd, w.pos)),
  });
  wireCounts.written++;
  return true;
}
