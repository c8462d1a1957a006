import { CodeDescription, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag, Range } from 'vscode-languageserver';
import { CatalogStaleness, InputError, LineIndex, Problem, README_URL, UnusedSet, NOT_USED_NOTE, isWildcard, roleName } from '../core';
import { DIAGNOSTIC_SOURCE, DiagnosticCode, DiagnosticData, SeveritySetting, Settings, encodeDiagnosticData, targetData } from '../../../shared/protocol';
import { Analysis, MAX_POLICY_BYTES, linesOf } from '../workspace/analysis';
import { FindingsSource } from '../workspace/findingsProvider';
import { ProjectSnapshot } from '../workspace/project';

const README = README_URL.replace(/#.*$/, '');

/** The README section explaining a code (`#unused-action`, …). */
export function codeDescription(code: DiagnosticCode): CodeDescription | undefined {
  return CODE_DESCRIPTIONS.get(code);
}

/** One object per code, shared by every diagnostic (never modified). */
const CODE_DESCRIPTIONS = new Map<DiagnosticCode, CodeDescription>((['unused-action', 'unused-wildcard', 'unknown-action'] as const).map((c) => [c, { href: `${README}#${c}` }]));

const SEVERITY: Record<Exclude<SeveritySetting, 'off'>, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

function severityFor(p: Problem, settings: Settings): DiagnosticSeverity | undefined {
  const configured: SeveritySetting =
    p.code === 'unused-action'
      ? settings.severity.unusedAction
      : p.code === 'unused-wildcard'
        ? settings.severity.unusedWildcard
        : p.code === 'unknown-action'
          ? settings.severity.unknownAction
          : p.severity;
  return configured === 'off' ? undefined : SEVERITY[configured];
}

export function rangeOf(lines: LineIndex, offset: number, length: number): Range {
  return { start: lines.position(offset), end: lines.position(offset + length) };
}

/** How many unused actions related information lists before "… and N more". */
const RELATED_LIMIT = 30;
/**
 * Related entries per document: a document with many diagnostics lists fewer unused actions under
 * each, and one with more than this many listing diagnostics none (a keystroke in a large policy
 * does not send megabytes of them); the hover always lists them all.
 */
const RELATED_BUDGET = 500;

/**
 * A document with more diagnostics than this says in each what is the same for all of them once, in
 * the hover (see manyMessages), and sends no README link in each (the hover of each gives it).
 */
const COMPACT_AFTER = 500;

/** What the analysis says that a document with many diagnostics says once, in the hover, instead of in each of them. */
const DEFAULT_USAGE = ` (${NOT_USED_NOTE})`;

const manyMessagesCache = new WeakMap<object, WeakMap<object, Map<string, string>>>();
const NO_STALENESS = {};
const NO_UNUSED = {};

/**
 * The message a document with many diagnostics sends (the same string for the same message, kept
 * per unused set and staleness; the hover of each says the whole):
 * - the staleness sentence (core/staleness.ts `markStale`) in its short form: the whole sentence, 400
 *   characters, a thousand times over, was a fifth of what a keystroke in a broad policy sent;
 * - without the findings' evidence note of the document's unused set (` [findings list findings.json,
 *   undated, …]`, core/analyze.ts `evidenceNote`), the same for every one of them (an eighth of a
 *   publish); messages of another unused set (a policy bound to other roles) keep theirs;
 * - an unused action without "(not used in the tracking period)", what the findings say of every
 *   action they give no date for (a dated one keeps its "(last used …)").
 * In plain ASCII: the JSON of a publish is then half the memory and quicker to encode.
 */
function manyMessages(stale: CatalogStaleness | undefined, unused: UnusedSet | undefined): (p: Problem) => string {
  let byUnused = manyMessagesCache.get(stale ?? NO_STALENESS);
  if (!byUnused) manyMessagesCache.set(stale ?? NO_STALENESS, (byUnused = new WeakMap()));
  let m = byUnused.get(unused ?? NO_UNUSED);
  if (!m) byUnused.set(unused ?? NO_UNUSED, (m = new Map()));
  const byMessage = m;
  const long = stale && ` — ${stale.message}`;
  const note = unused?.evidence && ` [${unused.evidence}]`;
  return (p) => {
    let out = byMessage.get(p.message);
    if (out === undefined) {
      out = p.message;
      if (long && p.catalogStale && out.endsWith(long)) out = `${out.slice(0, -long.length)}; the action ${stale.short} (the hover says why)`;
      if (note && p.unused?.length) {
        const at = out.lastIndexOf(note);
        if (at >= 0) out = out.slice(0, at) + out.slice(at + note.length);
      }
      if (p.code === 'unused-action' && out.endsWith(DEFAULT_USAGE)) out = out.slice(0, -DEFAULT_USAGE.length);
      if (byMessage.size >= 50_000) byMessage.clear();
      byMessage.set(p.message, out);
    }
    return out;
  };
}

/** Where each string of a findings file is first written, exact and lower-cased: built once per file text. */
interface SourceIndex {
  exact: Map<string, number>;
  folded: Map<string, number>;
  lines: LineIndex;
}

const sourceIndexes = new WeakMap<FindingsSource, SourceIndex>();

function indexOfSource(s: FindingsSource): SourceIndex {
  let ix = sourceIndexes.get(s);
  if (!ix) {
    const exact = new Map<string, number>();
    const folded = new Map<string, number>();
    // every string literal without escapes: action names, service namespaces
    const re = /"([^"\\\r\n]*)"/g;
    for (let m = re.exec(s.text!); m; m = re.exec(s.text!)) {
      if (!exact.has(m[1])) exact.set(m[1], m.index);
      const f = m[1].toLowerCase();
      if (!folded.has(f)) folded.set(f, m.index);
    }
    ix = { exact, folded, lines: new LineIndex(s.text!) };
    sourceIndexes.set(s, ix);
  }
  return ix;
}

const located = new WeakMap<FindingsSource[], Map<string, { uri: string; range: Range } | undefined>>();

/** Where a findings file names an action (`"GetBucketAcl"` or `"s3:GetBucketAcl"`), else its service (kept per findings snapshot). */
function locate(sources: FindingsSource[], action: string): { uri: string; range: Range } | undefined {
  let byName = located.get(sources);
  if (!byName) located.set(sources, (byName = new Map()));
  if (byName.has(action)) return byName.get(action);
  const at = locateNow(sources, action);
  byName.set(action, at);
  return at;
}

function locateNow(sources: FindingsSource[], action: string): { uri: string; range: Range } | undefined {
  const colon = action.indexOf(':');
  const service = action.slice(0, colon);
  const short = action.slice(colon + 1);
  for (const [needle, fold] of [
    [action, true],
    [short, true],
    [service, false],
  ] as const) {
    for (const s of sources) {
      if (!s.uri || !s.text || s.error) continue;
      const ix = indexOfSource(s);
      const at = ix.exact.get(needle) ?? (fold ? ix.folded.get(needle.toLowerCase()) : undefined);
      if (at === undefined) continue;
      return { uri: s.uri, range: rangeOf(ix.lines, at, needle.length + 2) };
    }
  }
  return undefined;
}

function related(a: Analysis, p: Problem, own: Range, snap: ProjectSnapshot | undefined, limit: number): DiagnosticRelatedInformation[] | undefined {
  if (!p.unused?.length || (p.code !== 'unused-wildcard' && p.code !== 'unused-action')) return undefined;
  if (p.code === 'unused-action' && p.unused.length === 1 && !(p.pattern && isWildcard(p.pattern))) {
    const at = snap && locate(snap.sources, p.unused[0]);
    return at ? [{ location: at, message: `${p.unused[0]}: listed as unused here` }] : undefined;
  }
  const unused = a.context?.unused;
  const u = a.context?.universe;
  const out: DiagnosticRelatedInformation[] = [];
  for (const name of p.unused.slice(0, limit)) {
    const i = u?.indexOf(name);
    const info = i !== undefined ? unused?.info.get(i) : undefined;
    const when = info ? lastUsed(info.lastAccessed) : '';
    const at = snap && locate(snap.sources, name);
    out.push({ location: at ?? { uri: a.uri, range: own }, message: `unused: ${name}${when}` });
  }
  if (p.unused.length > limit) out.push({ location: { uri: a.uri, range: own }, message: `… and ${p.unused.length - limit} more unused actions (hover for the list)` });
  return out;
}

function lastUsed(m: Map<string, string | undefined>): string {
  const dates = [...m.values()].filter((d): d is string => !!d).sort();
  return dates.length ? ` (last used ${dates[dates.length - 1].slice(0, 10)})` : '';
}

/**
 * What documentDiagnostics made for a document's version, kept for its next version (pull mode): a
 * diagnostic whose problem is the same and still at the same place is the same object again, its data
 * keeping the version it was computed on, so that an editor's held diagnostics compare equal at once
 * and a keystroke makes none of them anew (ReadOnlyAccess with 30% unused: 1,067 a version).
 */
export interface DiagnosticsMemo {
  /** The problems of the version, and per problem the diagnostic made for it (undefined: not shown). */
  problems: readonly Problem[];
  made: (Diagnostic | undefined)[];
  /** What every diagnostic depends on besides its problem: the same objects, or nothing is reused. */
  snap: ProjectSnapshot | undefined;
  settings: Settings;
  unused: UnusedSet | undefined;
  universe: unknown;
  staleness: CatalogStaleness | undefined;
  limit: number;
  many: boolean;
}

const sameList = (x: readonly string[] | undefined, y: readonly string[] | undefined): boolean => x === y || (!!x && !!y && x.length === y.length && x.every((v, i) => v === y[i]));

/** The diagnostic made for `q` of the version before, if `p` is the same problem at the same place (its range read without making it). */
function reusable(lines: LineIndex, p: Problem, q: Problem | undefined, d: Diagnostic | undefined): Diagnostic | undefined {
  if (!q || !d) return undefined;
  if (p.code !== q.code || p.message !== q.message || p.severity !== q.severity || p.length !== q.length || p.target !== q.target) return undefined;
  if (p.unnecessary !== q.unnecessary || p.pattern !== q.pattern || p.catalogStale !== q.catalogStale || p.allows !== q.allows) return undefined;
  if (!sameList(p.unused, q.unused) || !sameList(p.suggestions, q.suggestions)) return undefined;
  return lines.isAt(p.offset, d.range.start) && lines.isAt(p.offset + p.length, d.range.end) ? d : undefined;
}

/** The diagnostics of one analysed document version (with `memo`: reusing the version before's, see DiagnosticsMemo). */
export function documentDiagnostics(a: Analysis, snap: ProjectSnapshot | undefined, settings: Settings, memo?: { current?: DiagnosticsMemo }): Diagnostic[] {
  if (a.version === null) return [];
  if (a.kind === 'too-large') {
    return [
      {
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } },
        severity: DiagnosticSeverity.Information,
        source: DIAGNOSTIC_SOURCE,
        code: 'file-too-large',
        message: `This policy file is larger than ${MAX_POLICY_BYTES / 1024 / 1024} MB and is not analysed.`,
        data: { version: a.version } satisfies DiagnosticData,
      },
    ];
  }
  if (a.kind !== 'policy' || !a.parsed) return [];
  const lines = linesOf(a);
  const out: Diagnostic[] = [];
  const listing = a.problems.filter((p) => p.unused?.length).length;
  const limit = Math.min(RELATED_LIMIT, Math.floor(RELATED_BUDGET / Math.max(1, listing)));
  const many = a.problems.length > COMPACT_AFTER;
  const messageOf = many ? manyMessages(a.catalogStaleness, a.context?.unused) : undefined;
  const unnecessary = [DiagnosticTag.Unnecessary];
  const prev = memo?.current;
  const before =
    prev && prev.snap === snap && prev.settings === settings && prev.unused === a.context?.unused && prev.universe === a.context?.universe && prev.staleness === a.catalogStaleness && prev.limit === limit && prev.many === many ? prev : undefined;
  const made: (Diagnostic | undefined)[] = memo ? new Array(a.problems.length) : [];
  for (let i = 0; i < a.problems.length; i++) {
    const p = a.problems[i];
    // the editor's JSON language support reports syntax errors; duplicate keys and nesting too deep to read it does not
    if (p.code === 'invalid-json' && p.message.startsWith('invalid JSON')) continue;
    const again = before && reusable(lines, p, before.problems[i], before.made[i]);
    if (again) {
      made[i] = again;
      out.push(again);
      continue;
    }
    const severity = severityFor(p, settings);
    if (severity === undefined) continue;
    const range = rangeOf(lines, p.offset, p.length);
    const code = p.code as DiagnosticCode;
    // what a quick fix needs to find its problem in the analysis of this version (its pattern, whether the catalog is stale: there)
    const data = p.target && !p.suggestions ? targetData(a.version, p.target) : encodeDiagnosticData({ version: a.version, target: p.target, ...(p.suggestions ? { suggestions: p.suggestions } : {}) });
    const message = messageOf ? messageOf(p) : p.message;
    const d: Diagnostic = { range, severity, source: DIAGNOSTIC_SOURCE, code, message, data };
    // the code's README link: in a document with many diagnostics the hover gives it instead (a thousand links were a quarter of a keystroke's publish)
    const cd = many ? undefined : CODE_DESCRIPTIONS.get(code);
    if (cd) d.codeDescription = cd;
    if (p.unnecessary) d.tags = unnecessary;
    const rel = limit > 0 ? related(a, p, range, snap, limit) : undefined;
    if (rel?.length) d.relatedInformation = rel;
    if (memo) made[i] = d;
    out.push(d);
  }
  if (memo) memo.current = { problems: a.problems, made, snap, settings, unused: a.context?.unused, universe: a.context?.universe, staleness: a.catalogStaleness, limit, many };
  const b = a.binding;
  if (b?.kind === 'ambiguous') {
    const key = a.parsed.policies[0].statementKeySpan;
    const names = b.candidates.map(roleName);
    out.push({
      range: rangeOf(lines, key.offset, key.length),
      severity: DiagnosticSeverity.Information,
      source: DIAGNOSTIC_SOURCE,
      code: 'unbound-policy',
      message: `The findings concern ${b.candidates.length} roles (${names.join(', ')}): say which this policy belongs to in iam-refiner.json ("roles") to see its unused permissions.`,
      data: { version: a.version, candidates: b.candidates, relPath: a.relPath, folderUri: snap?.status.uri } satisfies DiagnosticData,
    });
  }
  return out;
}

function errorRange(e: Error): Range {
  if (e instanceof InputError) {
    const line = Math.max(0, e.line - 1);
    const character = Math.max(0, e.column - 1);
    return { start: { line, character }, end: { line, character: character + 1 } };
  }
  return { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } };
}

/** Diagnostics on the project's own files: a broken findings file, a broken iam-refiner.json. Keyed by URI. */
export function projectDiagnostics(snap: ProjectSnapshot): Map<string, Diagnostic[]> {
  const out = new Map<string, Diagnostic[]>();
  const add = (uri: string, d: Diagnostic) => out.set(uri, [...(out.get(uri) ?? []), d]);
  for (const s of snap.sources) {
    if (!s.error || !s.uri) continue;
    const detail = s.error instanceof InputError ? s.error.detail : s.error.message;
    add(s.uri, {
      range: errorRange(s.error),
      severity: DiagnosticSeverity.Error,
      source: DIAGNOSTIC_SOURCE,
      code: 'invalid-findings',
      message: `${detail}. These findings are ignored; the other findings still apply.`,
    });
  }
  if (snap.configError && snap.configUri) {
    const detail = snap.configError instanceof InputError ? snap.configError.detail : snap.configError.message;
    add(snap.configUri, {
      range: errorRange(snap.configError),
      severity: DiagnosticSeverity.Error,
      source: DIAGNOSTIC_SOURCE,
      code: 'invalid-config',
      message: `${detail}. iam-refiner.json is ignored until this is fixed.`,
    });
  }
  return out;
}
