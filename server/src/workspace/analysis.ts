import {
  Binding,
  Catalog,
  CatalogStaleness,
  DocumentContext,
  InternalVerificationError,
  LineIndex,
  NothingLeftError,
  ParsedDocument,
  Problem,
  RefineResult,
  Scope,
  analyzeDocument,
  refineDocument,
  bindPolicy,
  documentContext,
  emptyConfig,
  mayContainPolicy,
  parsePolicyDocument,
  roleName,
  spareUnjudged,
  catalogStaleness,
  markStale,
  withCodeBinding,
} from '../core';
import type { ModuleBinding } from './tfModules';
import type { History } from './gitHistory';
import { ProjectSnapshot, isAnalysed } from './project';

/** Policy files larger than this many bytes (UTF-8) are skipped (with one information diagnostic). */
export const MAX_POLICY_BYTES = 1024 * 1024;

/** Whether a text is over MAX_POLICY_BYTES in UTF-8, as on disk (the CLI and the editor count the same way). */
export function overSizeLimit(text: string): boolean {
  // a UTF-16 unit is at most 3 bytes in UTF-8: a short text needs no count
  return text.length * 3 > MAX_POLICY_BYTES && Buffer.byteLength(text, 'utf8') > MAX_POLICY_BYTES;
}

export type AnalysisKind =
  /** Not a policy document (or disabled / excluded / a findings or config file): costs nothing. */
  | 'none'
  | 'too-large'
  | 'policy';

/** Everything known about one version of one document; cached by uri+version and project generation. */
export interface Analysis {
  uri: string;
  version: number | null;
  kind: AnalysisKind;
  text: string;
  relPath?: string;
  generation: number;
  parsed?: ParsedDocument;
  binding?: Binding;
  context?: DocumentContext;
  problems: Problem[];
  /** Refinements already computed for this version, by scope. */
  refinements: Map<string, RefineOutcome>;
  /** Why it was skipped, for the status ("excluded by settings"…). */
  note?: string;
  /** The file's line history (git blame) it was analysed with; undefined: none asked for. */
  history?: History;
  lineIndex?: LineIndex;
  /** The findings show the catalog to be stale: every wildcard refinement says so. */
  catalogStaleness?: CatalogStaleness;
  /** The document as parsed, before its Terraform module's binding was laid over it (`parsed`). */
  sourceParsed?: ParsedDocument;
  /** What the other files of its Terraform module said (workspace/tfModules.ts): analysed again when it changes. */
  moduleKey?: string;
  /** The other files that bound it, for the hover ("with roles.tf", "of infra/main.tf"). */
  moduleNote?: string;
}

/** Offsets ↔ positions for the analysed text (built on first use). */
export function linesOf(a: Analysis): LineIndex {
  return (a.lineIndex ??= new LineIndex(a.text));
}

export type RefineOutcome =
  | { kind: 'ok'; result: RefineResult }
  | { kind: 'nothing-left'; message: string }
  | { kind: 'unavailable'; message: string };

export interface AnalyzeInput {
  uri: string;
  version: number | null;
  text: string;
  relPath?: string;
  /** Findings and config files are never analysed as policies. */
  special: boolean;
  snapshot: ProjectSnapshot | undefined;
  catalog: () => Catalog;
  /** `parsePolicyDocument(text)` from an earlier analysis of this very text (the project changed, the document did not). */
  parsed?: ParsedDocument;
  /** The file's path or name: which format reads it. */
  fileName?: string;
  /** Known to be over the size limit without reading it. */
  tooLarge?: boolean;
  /** When each line last changed (git blame): entries newer than the findings are spared. */
  history?: History;
  /** The binding the other files of its Terraform module give it (roles, templatefile()). */
  module?: ModuleBinding;
}

export function analyze(input: AnalyzeInput): Analysis {
  const { uri, version, text, relPath, snapshot } = input;
  const base: Analysis = {
    uri,
    version,
    kind: 'none',
    text,
    relPath,
    generation: snapshot?.generation ?? -1,
    problems: [],
    refinements: new Map(),
  };
  if (input.tooLarge) return { ...base, kind: 'too-large', note: `larger than ${MAX_POLICY_BYTES / 1024 / 1024} MB` };
  if (input.special || !mayContainPolicy(text, input.fileName)) return base;
  if (snapshot && !snapshot.settings.enable) return { ...base, note: 'disabled by iamRefiner.enable' };
  if (snapshot && !isAnalysed(relPath, snapshot)) return { ...base, note: 'excluded by include/exclude' };
  if (overSizeLimit(text)) return { ...base, kind: 'too-large', note: `larger than ${MAX_POLICY_BYTES / 1024 / 1024} MB` };
  const sourceParsed = input.parsed ?? parsePolicyDocument(text, input.fileName);
  const parsed = input.module?.code ? withCodeBinding(sourceParsed, input.module.code) : sourceParsed;
  // nothing of a policy in it: costs nothing; a file that looks like one but cannot be read is reported
  if (parsed.policies.length === 0 && !parsed.hasSyntaxErrors && parsed.problems.length === 0) return base;
  const catalog = input.catalog();
  const findings = snapshot?.findings ?? [];
  // an untitled document binds by its name, like a file of that name would
  const binding = bindPolicy(relPath ?? uri.slice(uri.lastIndexOf('/') + 1).replace(/^[a-z]+:/, ''), snapshot?.config ?? emptyConfig(), findings);
  const context = documentContext(catalog, parsed, findings, binding);
  // entries changed after the findings judged are spared: per statement, the unused set without them
  const judged = spareUnjudged(parsed, { ...context, lineTimes: input.history?.lineTimes, entryTimes: input.history?.entryTimes, graceDays: snapshot?.config.gracePeriodDays });
  if (judged.unusedByStatement.size) context.unusedByStatement = judged.unusedByStatement;
  // a wildcard refined over a catalog older than the findings may lose an action AWS added since: its problem says so
  const staleness = context.unused ? catalogStaleness(catalog, findings) : undefined;
  let problems = analyzeDocument(parsed, { catalog, universe: context.universe, unused: context.unused, unusedByPolicy: context.unusedByPolicy, unusedByStatement: context.unusedByStatement, staleness });
  if (judged.problems.length) problems = [...problems, ...markStale(judged.problems, staleness)].sort((a, b) => a.offset - b.offset);
  // while the JSON is broken, the policy checks mostly describe the half-typed text: keep the action checks only
  if (parsed.hasSyntaxErrors) problems = problems.filter((p) => p.code !== 'invalid-policy');
  // a Terraform file is bound with the other files of its module, a JSON file by the .tf files that read it
  const from = input.module?.code?.from ?? [];
  const module = input.module ? { sourceParsed, moduleKey: input.module.key, ...(from.length ? { moduleNote: `${sourceParsed.terraform ? 'with' : 'of'} ${from.join(', ')}` } : {}) } : {};
  // every policy bound by its code (Terraform, CloudFormation): that is the file's binding, not the ambiguity of the findings' roles
  return { ...base, kind: 'policy', parsed, binding: context.binding.kind === 'roles' && context.binding.via === 'code' ? context.binding : binding, context, problems, history: input.history, ...module, ...(staleness ? { catalogStaleness: staleness } : {}) };
}

function scopeKey(scope: Scope): string {
  return scope.kind === 'document' ? 'doc' : scope.kind === 'statement' ? `s${scope.policy}.${scope.statement}` : `e${scope.policy}.${scope.statement}.${scope.entry}`;
}

/**
 * The verified refinement of a scope of this analysis (cached). Never an edit on broken JSON, never
 * an unverified one: NothingLeftError and verification failures become outcomes with a message.
 */
export function refinement(a: Analysis, scope: Scope, log: (m: string) => void): RefineOutcome {
  const key = scopeKey(scope);
  let r = a.refinements.get(key);
  if (r) return r;
  if (a.kind !== 'policy' || !a.parsed || !a.context) r = { kind: 'unavailable', message: 'not a policy document' };
  else if (a.parsed.hasSyntaxErrors) r = { kind: 'unavailable', message: 'fix the syntax errors first' };
  else if (!a.context.unused) r = { kind: 'unavailable', message: bindingProblem(a.binding) };
  else {
    try {
      const unusedByStatement = a.context.unusedByStatement && new Map([...a.context.unusedByStatement].map(([k, v]) => [k, v.indexes]));
      r = { kind: 'ok', result: refineDocument({ universe: a.context.universe, unused: a.context.unused.indexes, unusedByPolicy: a.context.unusedByPolicy?.map((u) => u?.indexes), unusedByStatement }, a.parsed, scope) };
    } catch (e) {
      if (e instanceof NothingLeftError) r = { kind: 'nothing-left', message: e.message };
      else {
        const message = e instanceof InternalVerificationError ? e.message : `internal error: ${e instanceof Error ? e.message : e}`;
        log(`refining ${a.uri} (${key}) failed: ${e instanceof Error ? e.stack : e}`);
        r = { kind: 'unavailable', message };
      }
    }
  }
  a.refinements.set(key, r);
  return r;
}

function bindingProblem(b: Binding | undefined): string {
  if (!b || b.kind === 'no-findings') return 'no findings apply to this file';
  if (b.kind === 'ambiguous') return `the findings concern several roles (${b.candidates.map(roleName).join(', ')}); bind this file to one in iam-refiner.json`;
  return 'no findings apply to this file';
}

/** "roles Deployer (iam-refiner.json)" — for the status and hovers. */
export function describeBinding(a: Analysis): string {
  if (a.kind === 'too-large') return `skipped: ${a.note}`;
  if (a.kind === 'none') return a.note ? `skipped: ${a.note}` : 'not a policy';
  const b = a.binding;
  if (!b || b.kind === 'no-findings') return 'no findings';
  if (b.kind === 'ambiguous') return `ambiguous: ${b.candidates.map(roleName).join(', ')}`;
  if (b.kind === 'all') return b.roles.length ? `role ${roleName(b.roles[0])}` : 'all findings';
  return `${b.roles.length === 1 ? 'role' : 'roles'} ${b.roles.map(roleName).join(', ')} (${b.via === 'config' ? 'iam-refiner.json' : b.via === 'code' ? `attached in the code${a.moduleNote ? ` ${a.moduleNote}` : ''}` : b.via === 'flag' ? '--role' : 'file name'})`;
}

/**
 * " (⚠ catalog of 2026-09-26 may be stale)" when a refinement rewrites wildcards over a catalog the
 * findings show to be stale (titles and summaries of whole-file refinements), else "".
 */
export function staleNote(a: Analysis, r: RefineResult): string {
  const s = a.catalogStaleness;
  return s && (r.summary.refinedWildcards > 0 || r.summary.notActionStatements > 0) ? ` (⚠ ${s.short})` : '';
}
