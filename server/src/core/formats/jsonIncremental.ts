/**
 * The reading of an edited JSON policy file, from the previous reading where the edit cannot change
 * what it read.
 *
 * jsonc-parser reads the whole text on every call (about 2 ms and 0.4 MB of syntax tree for the
 * 115 KB of ReadOnlyAccess), so a keystroke in a large policy costs that on every version. When the
 * previous text read cleanly (no syntax error, no comment, no byte-order mark), the edit is found by
 * comparing the two texts (their common start and end), and two kinds of edit are read from the
 * previous reading:
 *
 * - white space changed between two tokens (never inside a string, nor splitting a number or a
 *   literal): every offset after the edit moves, nothing else changes;
 * - characters typed or deleted inside one action string (an Action/NotAction entry), its quotes left
 *   alone and its new content free of quotes, backslashes and control characters: that entry's value
 *   changes as well.
 *
 * A JSON string cannot hold a line break, so whether the edit starts inside a string is read from its
 * own line alone. The reading after such an edit is made of new policy and statement objects with
 * moved spans (the entries before the edit shared, never changed: an analysis of the previous
 * version may still read them); what needs the syntax tree (the hosts, `value()`, `rest()`: a quick
 * fix, a refinement) reads the new text whole on first use; it has no root (`host`). Anything else is a whole reading.
 * `parseJsonPolicies` is the whole reading, which the incremental one must always equal
 * (test/unit/jsonIncremental.test.ts compares them over random edits of random policies).
 */
import type { ActionEntry, ParsedDocument, PolicyModel, PolicyProblem, Span, StatementModel } from '../model';
import type { JsonPolicyHost, JsonStatementHost } from './json';
import { commonPrefix, commonSuffix } from '../text';

interface Kept {
  text: string;
  doc: ParsedDocument;
  /** Whether the text can be the base of an incremental reading (read on the first edit after it). */
  base?: boolean;
}

/** How the readings went (tests): incremental, whole, and of those whole ones after a text that could have been a base. */
export const jsonParseStats = { full: 0, incremental: 0, fallback: 0 };

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
/** A character of a number or a literal (`true`, `-1.5e3`): two of them side by side are one token. */
const isWord = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2b || c === 0x2d || c === 0x2e;

function allSpace(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isSpace(text.charCodeAt(i))) return false;
  return true;
}

/** Whether the text has a comment: `//` or `/*` outside strings (an ARN's `bucket/*` is in one). */
function hasComment(text: string): boolean {
  if (text.indexOf('//') < 0 && text.indexOf('/*') < 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x2f && (text.charCodeAt(i + 1) === 0x2f || text.charCodeAt(i + 1) === 0x2a)) return true;
  }
  return false;
}

/** The offset of the opening quote of the string `at` is inside (after its opening quote, up to its closing one), else -1. */
function stringAround(text: string, at: number): number {
  let i = at;
  while (i > 0 && text.charCodeAt(i - 1) !== 0x0a && text.charCodeAt(i - 1) !== 0x0d) i--;
  let open = -1;
  for (; i < at; i++) {
    const c = text.charCodeAt(i);
    if (open >= 0) {
      if (c === 0x5c) i++;
      else if (c === 0x22) open = -1;
    } else if (c === 0x22) open = i;
  }
  // an escape's backslash just before `at`: `at` is inside the escape, and inside the string
  return open;
}

/** The offset of the closing quote of the string opened at `open`. */
function closingQuote(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i;
  }
  return -1;
}

function plainContent(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 || c === 0x5c || c < 0x20) return false;
  }
  return true;
}

/** The entry whose string starts at `open`, as [policy, statement, entry] indexes. */
function entryAt(doc: ParsedDocument, open: number): [number, number, number] | undefined {
  for (let p = 0; p < doc.policies.length; p++) {
    const sts = doc.policies[p].statements;
    for (let s = 0; s < sts.length; s++) {
      const sp = sts[s].span;
      if (open < sp.offset || open >= sp.offset + sp.length) continue;
      const es = sts[s].entries;
      // entries in text order: a binary search
      let lo = 0;
      let hi = es.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const o = es[mid].span.offset;
        if (o === open) return [p, s, mid];
        if (o < open) lo = mid + 1;
        else hi = mid - 1;
      }
      return undefined;
    }
  }
  return undefined;
}

/**
 * The reading of `text` from `prev`'s, or undefined when the edit between them is not one it can
 * carry over. `whole` reads a text whole (what the moved reading's syntax tree comes from).
 */
function incremental(prev: Kept, text: string, whole: (text: string) => ParsedDocument): ParsedDocument | undefined {
  const t0 = prev.text;
  if (prev.base === undefined) prev.base = !prev.doc.hasSyntaxErrors && prev.doc.policies.length > 0 && t0.charCodeAt(0) !== 0xfeff && !hasComment(t0);
  if (!prev.base || text.charCodeAt(0) === 0xfeff) return undefined;
  const max = Math.min(t0.length, text.length);
  const a = commonPrefix(t0, text, max);
  const s = commonSuffix(t0, text, max - a);
  const end0 = t0.length - s;
  const end1 = text.length - s;
  const delta = text.length - t0.length;
  const open = stringAround(t0, a);
  let edited: [number, number, number] | undefined;
  let value = '';
  if (open < 0) {
    // white space between tokens: none of a number or literal split, none joined (in text that reads cleanly, two such tokens never touch)
    if (!allSpace(t0, a, end0) || !allSpace(text, a, end1)) return undefined;
    if (a > 0 && end0 < t0.length && isWord(t0.charCodeAt(a - 1)) && isWord(t0.charCodeAt(end0))) return undefined;
  } else {
    // inside one string, its closing quote left where it was: an action entry typed in
    const close = closingQuote(t0, open);
    if (close < 0 || end0 > close || !plainContent(text, open + 1, close + delta)) return undefined;
    edited = entryAt(prev.doc, open);
    if (!edited) return undefined;
    value = text.slice(open + 1, close + delta);
  }
  // a span after the edit moves; one around it grows (or shrinks); one before it stays
  const move = (sp: Span): Span => (sp.offset >= end0 ? { offset: sp.offset + delta, length: sp.length } : sp.offset + sp.length > a ? { offset: sp.offset, length: sp.length + delta } : sp);
  const tree = lazyReading(text, whole);
  const policies = prev.doc.policies.map((p, i): PolicyModel => {
    const statements = p.statements.map((st, j) => {
      const here = edited !== undefined && edited[0] === i && edited[1] === j;
      const fields: Omit<StatementModel, 'rest' | 'host'> = {
        span: move(st.span),
        index: st.index,
        entries: st.span.offset + st.span.length <= a && !here ? st.entries : st.entries.map((e, k) => movedEntry(e, move, here && edited![2] === k ? value : undefined)),
      };
      if (st.effect !== undefined) fields.effect = st.effect;
      if (st.sid !== undefined) fields.sid = st.sid;
      if (st.key !== undefined) fields.key = st.key;
      if (st.keySpan !== undefined) fields.keySpan = move(st.keySpan);
      if (st.opaque !== undefined) fields.opaque = st.opaque;
      if (st.suppressed !== undefined) fields.suppressed = st.suppressed;
      if (st.principal !== undefined) fields.principal = st.principal;
      return movedStatement(fields, tree, i, j);
    });
    const fields: Omit<PolicyModel, 'value' | 'host'> = { label: p.label, span: move(p.span), statementKeySpan: move(p.statementKeySpan), statements, statementCount: p.statementCount };
    if (p.attachedRoles !== undefined) fields.attachedRoles = p.attachedRoles;
    return movedPolicy(fields, tree, i);
  });
  const problems = prev.doc.problems.map((x): PolicyProblem => {
    const sp = move(x);
    return sp === x ? x : { ...x, offset: sp.offset, length: sp.length };
  });
  // no `host` (the root of the syntax tree): nothing reads a JSON reading's root but the embedded formats, which read whole
  return { format: prev.doc.format, text, policies, problems, hasSyntaxErrors: false, recognised: prev.doc.recognised };
}

/*
 * What a moved reading gives from the syntax tree reads the new text whole on first use: closures
 * for `rest()` and `value()`, and hosts that are objects of their own whose fields read the whole
 * reading's. No getter on the reading's objects themselves: an object literal with one (`get host()`)
 * made the collector promote about 110 KB a keystroke of ReadOnlyAccess to the old generation (335 MB
 * over 3,000 readings, against 2 MB without; the language server's heap grew by a third over 2,000
 * edits). A spread copy of a statement or policy (a Terraform binding's) keeps its host.
 */
function lazyReading(text: string, whole: (text: string) => ParsedDocument): () => ParsedDocument {
  let read: ParsedDocument | undefined;
  return () => (read ??= whole(text));
}

/** A moved statement's host: the whole reading's, field by field. */
class StatementHost implements JsonStatementHost {
  constructor(
    private readonly tree: () => ParsedDocument,
    private readonly i: number,
    private readonly j: number,
  ) {}
  private get of(): JsonStatementHost {
    return this.tree().policies[this.i].statements[this.j].host as JsonStatementHost;
  }
  get node() {
    return this.of.node;
  }
  get property() {
    return this.of.property;
  }
  get valueNode() {
    return this.of.valueNode;
  }
}

/** A moved policy's host: the whole reading's. */
class PolicyHost implements JsonPolicyHost {
  constructor(
    private readonly tree: () => ParsedDocument,
    private readonly i: number,
  ) {}
  get statementProperty() {
    return (this.tree().policies[this.i].host as JsonPolicyHost).statementProperty;
  }
}

function movedStatement(fields: Omit<StatementModel, 'rest' | 'host'>, tree: () => ParsedDocument, i: number, j: number): StatementModel {
  return { ...fields, rest: () => tree().policies[i].statements[j].rest(), host: new StatementHost(tree, i, j) };
}

function movedPolicy(fields: Omit<PolicyModel, 'value' | 'host'>, tree: () => ParsedDocument, i: number): PolicyModel {
  return { ...fields, value: () => tree().policies[i].value(), host: new PolicyHost(tree, i) };
}

function movedEntry(e: ActionEntry, move: (sp: Span) => Span, value: string | undefined): ActionEntry {
  const span = move(e.span);
  if (value === undefined && span === e.span) return e;
  return { value: value ?? e.value, span, index: e.index };
}

/**
 * A JSON format's `parse`: the whole reading (`whole`) of a text that is not the next version of
 * the last one read (or asked `fresh`), else the incremental one. Keeps the last reading (one text).
 */
export function incrementalJson(whole: (text: string) => ParsedDocument): { parse(text: string, opts?: { fresh?: boolean }): ParsedDocument; reset(): void } {
  let last: Kept | undefined;
  return {
    parse(text, opts) {
      if (opts?.fresh) return whole(text);
      if (last && last.text === text) return last.doc;
      const inc = last && incremental(last, text, whole);
      if (inc) {
        jsonParseStats.incremental++;
        last = { text, doc: inc, base: true };
        return inc;
      }
      jsonParseStats.full++;
      if (last?.base) jsonParseStats.fallback++;
      const doc = whole(text);
      last = { text, doc };
      return doc;
    },
    reset() {
      last = undefined;
    },
  };
}
