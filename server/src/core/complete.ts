import { JSONPath, getLocation } from 'jsonc-parser';
import { Catalog } from './catalog';
import { Universe } from './universe';
import { jsonTooDeep } from './text';

/** One completion of an action string (offsets into the text; the LSP layer turns them into a range). */
export interface CompletionEntry {
  /** `s3:` for a service, the canonical action name (`GetObject`) or `*` for an action. */
  label: string;
  /** What replaces [replaceStart, replaceEnd): always a whole action string (`s3:GetObject`, `s3:`, `s3:*`). */
  insertText: string;
  /** Just after the opening quote. */
  replaceStart: number;
  /** The end of the word under the cursor (never past the closing quote). */
  replaceEnd: number;
  /** The service's name, or the action's access level (with "unused" when the findings say so). */
  detail: string;
  kind: 'service' | 'action';
  sortText: string;
  /** The findings say this action is unused for the file. */
  unused?: boolean;
}

export interface CompletionInput {
  text: string;
  offset: number;
  catalog: Catalog;
  /** The document's universe and its unused action indexes (from the findings bound to the file). */
  universe?: Universe;
  unused?: Set<number>;
}

const ACTION_KEYS = new Set(['Action', 'NotAction']);

/** Whether a JSON path is an Action/NotAction value (or an element of one) in a policy document or template. */
export function isActionValuePath(path: JSONPath): boolean {
  let rest = path;
  // Terraform JSON (*.tf.json): data.aws_iam_policy_document.NAME.statement[.N].actions|not_actions[.K]
  if (rest[0] === 'data' && rest[1] === 'aws_iam_policy_document' && typeof rest[2] === 'string' && rest[3] === 'statement') {
    rest = rest.slice(4);
    if (typeof rest[0] === 'number') rest = rest.slice(1);
    return rest.length === 2 && (rest[0] === 'actions' || rest[0] === 'not_actions') && typeof rest[1] === 'number';
  }
  if (rest[0] === 'Resources') {
    if (typeof rest[1] !== 'string' || rest[2] !== 'Properties') return false;
    if (rest[3] === 'PolicyDocument') rest = rest.slice(4);
    else if (rest[3] === 'Policies' && typeof rest[4] === 'number' && rest[5] === 'PolicyDocument') rest = rest.slice(6);
    else return false;
  }
  if (rest[0] !== 'Statement') return false;
  rest = rest.slice(1);
  if (typeof rest[0] === 'number') rest = rest.slice(1);
  if (rest.length < 1 || !ACTION_KEYS.has(rest[0] as string)) return false;
  return rest.length === 1 || (rest.length === 2 && typeof rest[1] === 'number');
}

const WORD = /[A-Za-z0-9_\-*?]/;

/**
 * Completions for the action string the cursor is in: service prefixes before a colon, that
 * service's actions (and `service:*`) after it. Works on broken text (an unterminated string
 * while typing). Empty when the cursor is not inside an Action/NotAction string of a policy.
 */
export function completeActions(input: CompletionInput): CompletionEntry[] {
  const { text, offset, catalog } = input;
  if (offset < 0 || offset > text.length) return [];
  // getLocation reads recursively up to the cursor: nesting too deep before it is not read (as in parseJsonc)
  const deep = jsonTooDeep(text);
  if (deep !== undefined && deep < offset) return [];
  const loc = getLocation(text, offset);
  const node = loc.previousNode;
  if (!node || node.type !== 'string' || loc.isAtPropertyKey || !isActionValuePath(loc.path)) return [];
  const start = node.offset + 1;
  const end = node.offset + node.length;
  const terminated = node.length >= 2 && text[end - 1] === '"' && text[end - 2] !== '\\';
  const contentEnd = terminated ? end - 1 : end;
  if (offset < start || offset > contentEnd) return [];
  const typed = text.slice(start, offset);
  if (/["\\\s]/.test(typed)) return [];
  const colon = typed.indexOf(':');
  let wordEnd = offset;
  if (colon < 0) {
    // before the colon: replace the service part, and the colon when there is one
    while (wordEnd < contentEnd && WORD.test(text[wordEnd]) && text[wordEnd] !== '*' && text[wordEnd] !== '?') wordEnd++;
    if (text[wordEnd] === ':' && wordEnd < contentEnd) wordEnd++;
    return services(catalog, typed, start, wordEnd);
  }
  while (wordEnd < contentEnd && WORD.test(text[wordEnd])) wordEnd++;
  return actions(input, typed.slice(0, colon), typed.slice(colon + 1), start, wordEnd);
}

function services(catalog: Catalog, typed: string, replaceStart: number, replaceEnd: number): CompletionEntry[] {
  const p = typed.toLowerCase();
  const out: CompletionEntry[] = [];
  for (const svc of catalog.services.values()) {
    if (!svc.prefix.startsWith(p)) continue;
    out.push({ label: `${svc.prefix}:`, insertText: `${svc.prefix}:`, replaceStart, replaceEnd, detail: svc.name, kind: 'service', sortText: svc.prefix });
  }
  return out.sort((a, b) => (a.sortText < b.sortText ? -1 : a.sortText > b.sortText ? 1 : 0));
}

function actions(input: CompletionInput, service: string, typed: string, replaceStart: number, replaceEnd: number): CompletionEntry[] {
  const { catalog, universe, unused } = input;
  const svc = catalog.services.get(service.toLowerCase());
  if (!svc) return [];
  const p = typed.toLowerCase();
  const out: CompletionEntry[] = [];
  if ('*'.startsWith(p)) {
    out.push({ label: '*', insertText: `${svc.prefix}:*`, replaceStart, replaceEnd, detail: `every ${svc.name} action (${svc.actions.length})`, kind: 'action', sortText: '0' });
  }
  svc.actions.forEach((a, i) => {
    if (!a.toLowerCase().startsWith(p)) return;
    const full = `${svc.prefix}:${a}`;
    const level = LEVELS[svc.levels[i]] ?? 'unknown access level';
    const index = unused && universe ? universe.indexOf(full) : undefined;
    const isUnused = index !== undefined && !!unused?.has(index);
    out.push({
      label: a,
      insertText: full,
      replaceStart,
      replaceEnd,
      detail: isUnused ? `${level} · unused` : level,
      kind: 'action',
      sortText: `${isUnused ? '2' : '1'}${a.toLowerCase()}`,
      ...(isUnused ? { unused: true } : {}),
    });
  });
  return out.sort((a, b) => (a.sortText < b.sortText ? -1 : a.sortText > b.sortText ? 1 : 0));
}

const LEVELS: Record<string, string> = { L: 'List', R: 'Read', W: 'Write', T: 'Tagging', P: 'Permissions management' };
