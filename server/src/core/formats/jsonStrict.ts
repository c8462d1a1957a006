/**
 * A second, independent reading of a JSON policy file, by the JavaScript engine's own `JSON.parse`:
 * what the verification of a refinement reads the edited text with, where it can.
 *
 * jsonc-parser's syntax tree (the document's reading: exact offsets for edits) costs about 1 ms and
 * 1.8 MB of nodes and token strings for the 115 KB of ReadOnlyAccess; `JSON.parse` reads the same
 * text in about 0.15 ms. It reads strict JSON only, and a key given twice in an object it takes
 * silently (the last one) where the document's reading reports it: so a text is read here only when
 * `JSON.parse` takes it and every object member of the text is in the value (the members counted in
 * the text, one `:` outside strings each, against the keys of the value), and only a policy file
 * (the root object holding `Statement`) whose statements are all objects. Anything else, and every
 * text with a comment, a trailing comma or a byte-order mark, is `undefined`: the caller reads it
 * with the document's own reader instead.
 */

/** One statement as this reading sees it: the object, and its actions where they are well-formed. */
export interface StrictStatement {
  value: Record<string, unknown>;
  key?: 'Action' | 'NotAction';
  /** The Action/NotAction strings, in order (a single string as one; a list's non-strings left out). */
  entries: readonly string[];
  /** Why the actions cannot be read exactly (both keys, neither, a non-string, an empty list…). */
  opaque?: string;
}

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The statements of a policy file's text in order, or undefined when this reading does not take the text (see above). */
export function strictPolicyStatements(text: string): StrictStatement[] | undefined {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(root) || !own(root, 'Statement')) return undefined;
  if (membersIn(root) !== membersWritten(text)) return undefined;
  const st = root.Statement;
  const list = Array.isArray(st) ? st : [st];
  const out: StrictStatement[] = [];
  for (const s of list) {
    if (!isObject(s)) return undefined;
    out.push(strictStatement(s));
  }
  return out;
}

/** A statement's actions read as the document's reader reads them (formats/json.ts readStatement): the string elements, what is wrong as `opaque`. */
function strictStatement(value: Record<string, unknown>): StrictStatement {
  const hasAction = own(value, 'Action');
  const hasNot = own(value, 'NotAction');
  if (!hasAction && !hasNot) return { value, entries: [], opaque: 'no Action' };
  const key = hasAction ? 'Action' : 'NotAction';
  const both = hasAction && hasNot ? 'both Action and NotAction' : undefined;
  const v = value[key];
  if (typeof v === 'string') return { value, key, entries: [v], opaque: both };
  if (!Array.isArray(v)) return { value, key, entries: [], opaque: both ?? 'invalid Action' };
  if (v.length === 0) return { value, key, entries: [], opaque: both ?? 'empty' };
  // the list itself when it holds strings only (a large Action array is not copied)
  let i = 0;
  while (i < v.length && typeof v[i] === 'string') i++;
  if (i === v.length) return { value, key, entries: v as string[], opaque: both };
  return { value, key, entries: v.filter((x): x is string => typeof x === 'string'), opaque: both ?? 'non-string action' };
}

/** How many object members a JSON value holds, nested ones included (an explicit stack: no recursion). */
function membersIn(root: unknown): number {
  let n = 0;
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) if (typeof v[i] === 'object' && v[i] !== null) stack.push(v[i]);
    } else if (typeof v === 'object' && v !== null) {
      for (const k in v) {
        n++;
        const x = (v as Record<string, unknown>)[k];
        if (typeof x === 'object' && x !== null) stack.push(x);
      }
    }
  }
  return n;
}

/**
 * How many object members a valid JSON text writes: its colons outside strings (JSON has no other
 * place for one). Native searches from quote to quote; a quote escaped by an odd run of backslashes
 * is inside the string.
 */
export function membersWritten(text: string): number {
  let n = 0;
  let i = 0;
  for (;;) {
    const q = text.indexOf('"', i);
    const end = q < 0 ? text.length : q;
    for (let c = text.indexOf(':', i); c >= 0 && c < end; c = text.indexOf(':', c + 1)) n++;
    if (q < 0) return n;
    let j = q + 1;
    for (;;) {
      j = text.indexOf('"', j);
      if (j < 0) return n; // not valid JSON: the caller has parsed it already
      let b = j - 1;
      while (text.charCodeAt(b) === 0x5c) b--;
      if ((j - 1 - b) % 2 === 0) break;
      j++;
    }
    i = j + 1;
  }
}

/** Whether two JSON values are the same, objects' keys in the same order. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  return sameMembers(a as Record<string, unknown>, b as Record<string, unknown>);
}

/** sameJson of two objects, leaving out the keys in `skip`. */
export function sameMembers(a: Record<string, unknown>, b: Record<string, unknown>, skip?: readonly string[]): boolean {
  const ka = Object.keys(a).filter((k) => !skip?.includes(k));
  const kb = Object.keys(b).filter((k) => !skip?.includes(k));
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i] || !sameJson(a[ka[i]], b[kb[i]])) return false;
  return true;
}
