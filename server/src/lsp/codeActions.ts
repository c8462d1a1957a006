import { CodeAction, CodeActionKind, Diagnostic, TextEdit, WorkspaceEdit } from 'vscode-languageserver';
import { CONFIG_FILE, LineIndex, Problem, RefineResult, Scope, StatementPlan, TextEdit as CoreEdit, applyEdits, requote, roleName } from '../core';
import { BindRoleArgs, Commands, DIAGNOSTIC_SOURCE, DiagnosticData, FIX_ALL_KIND, decodeDiagnosticData, FileRefinement, RefinementResult } from '../../../shared/protocol';
import { plural } from '../workspace/format';
import { Analysis, linesOf, refinement, RefineOutcome, staleNote } from '../workspace/analysis';
import { FileOutcome, describeSummary } from '../workspace/workspace';
import { rangeOf } from './diagnostics';
import { explainActions } from './explain';

export interface EditCapabilities {
  documentChanges: boolean;
  createFile: boolean;
  disabledSupport: boolean;
}

export function toTextEdits(a: Analysis, edits: CoreEdit[]): TextEdit[] {
  const lines = linesOf(a);
  return edits.map((e) => ({ range: rangeOf(lines, e.offset, e.length), newText: e.newText }));
}

/** The edits of one document, computed on `version` (null: the file on disk). */
export interface DocumentChange {
  uri: string;
  version: number | null;
  edits: TextEdit[];
}

/** A WorkspaceEdit for documents, each pinned to the version it was computed on when the client allows. */
export function workspaceEdit(changes: DocumentChange[], caps: EditCapabilities): WorkspaceEdit {
  if (caps.documentChanges) return { documentChanges: changes.map((c) => ({ textDocument: { uri: c.uri, version: c.version }, edits: c.edits })) };
  return { changes: Object.fromEntries(changes.map((c) => [c.uri, c.edits])) };
}

/** A WorkspaceEdit for one document, pinned to the version it was computed on when the client allows. */
export function documentEdit(uri: string, version: number | null, edits: TextEdit[], caps: EditCapabilities): WorkspaceEdit {
  return workspaceEdit([{ uri, version, edits }], caps);
}

function statementPlan(r: RefineResult, policy: number, statement: number): StatementPlan | undefined {
  return r.plans[policy]?.statements[statement];
}

/** A title that names the result: "Refine s3:Get* to 9 patterns", "Remove unused lambda:GetFunction". */
function entryTitle(r: RefineResult | undefined, t: NonNullable<DiagnosticData['target']>, problem: Problem | undefined, code: string): string {
  const pattern = t.entry === undefined ? 'this statement' : problem?.pattern ?? 'this action';
  const c = r && statementPlan(r, t.policy, t.statement)?.change;
  if (!c) return code === 'unused-action' ? `Remove unused ${pattern}` : `Refine ${pattern}`;
  if (c.kind === 'remove') return `Remove unused ${pattern} (and the statement it leaves empty)`;
  if (c.kind === 'to-not-action') return `Refine "*" to NotAction with ${plural(c.patterns.length, 'pattern')}`;
  if (c.kind === 'extend-not-action') return `Add the unused actions to NotAction (${plural(c.patterns.length, 'pattern')})`;
  if (c.kind === 'entries' && t.entry !== undefined) {
    const f = c.fates[t.entry];
    if (f?.kind === 'remove') return code === 'unused-action' ? `Remove unused ${pattern}` : `Remove ${pattern} (what it must still allow is listed already)`;
    if (f?.kind === 'replace') return f.patterns.length === 1 ? `Refine ${pattern} to ${f.patterns[0]}` : `Refine ${pattern} to ${plural(f.patterns.length, 'pattern')}`;
  }
  return `Refine ${pattern}`;
}

function refineAction(a: Analysis, outcome: RefineOutcome, title: (r?: RefineResult) => string, kind: string, caps: EditCapabilities, diagnostics?: Diagnostic[]): CodeAction | undefined {
  if (outcome.kind === 'ok') {
    if (outcome.result.edits.length === 0) return undefined;
    return { title: title(outcome.result), kind, diagnostics, edit: documentEdit(a.uri, a.version, toTextEdits(a, outcome.result.edits), caps) };
  }
  if (outcome.kind === 'nothing-left' && caps.disabledSupport) {
    // a clear reason instead of an edit IAM would reject
    return { title: title(undefined), kind, diagnostics, disabled: { reason: outcome.message } };
  }
  return undefined;
}

export interface CodeActionInput {
  analysis: Analysis;
  /** Pull mode: whether a diagnostic of an earlier version is one of the analysed version's (DiagnosticsPublisher.isCurrent: kept, or held through `unchanged` answers). */
  isCurrent?: (d: Diagnostic) => boolean;
  diagnostics: Diagnostic[];
  only?: string[];
  caps: EditCapabilities;
  log: (m: string) => void;
  /** For unbound-policy: the binding edit for a role (or a command when the client cannot create files). */
  bindingAction: (args: BindRoleArgs) => Promise<CodeAction | undefined>;
  /** The client shows Explain Refinement: offer it (after the fixes) for the wildcards of the fixable diagnostics. */
  explain?: boolean;
}

function wants(only: string[] | undefined, kind: string): boolean {
  if (!only || only.length === 0) return kind.startsWith(CodeActionKind.QuickFix);
  return only.some((o) => kind === o || kind.startsWith(o + '.'));
}

const FIXABLE = new Set(['unused-action', 'unused-wildcard']);

/** Quick fixes for our diagnostics of the analysed version, and the fix-all source action. */
export async function codeActions(input: CodeActionInput): Promise<CodeAction[]> {
  const { analysis: a, caps, log } = input;
  const out: CodeAction[] = [];
  if (a.kind !== 'policy' || a.version === null) return out;
  const ours = input.diagnostics.flatMap((d) => {
    const data = d.source === DIAGNOSTIC_SOURCE ? decodeDiagnosticData(d.data) : undefined;
    return data && (data.version === a.version || input.isCurrent?.(d)) ? [{ d, data }] : [];
  });

  if (wants(input.only, CodeActionKind.QuickFix)) {
    let byTarget: Map<string, Problem> | undefined;
    const targetKey = (code: string, t: { policy: number; statement: number; entry?: number }) => `${code} ${t.policy}.${t.statement}.${t.entry ?? ''}`;
    const problemAt = (code: string, t: { policy: number; statement: number; entry?: number }): Problem | undefined => {
      if (!byTarget) {
        byTarget = new Map();
        for (const p of a.problems) if (p.target && !byTarget.has(targetKey(p.code, p.target))) byTarget.set(targetKey(p.code, p.target), p);
      }
      return byTarget.get(targetKey(code, t));
    };
    const statementsOffered = new Set<string>();
    const fixableCount = a.problems.filter((p) => FIXABLE.has(p.code)).length;
    for (const { d, data } of ours) {
      const code = String(d.code);
      if (FIXABLE.has(code) && data.target) {
        const t = data.target;
        const scope: Scope = t.entry === undefined ? { kind: 'statement', policy: t.policy, statement: t.statement } : { kind: 'entry', policy: t.policy, statement: t.statement, entry: t.entry };
        // the pattern and the staleness of the analysed version (the same version as the diagnostic's), not sent with each diagnostic
        const problem = problemAt(code, t);
        // a refinement over a catalog the findings show to be stale says so in its title
        const warn = (title: string) => (problem?.catalogStale ? `${title} (⚠ ${problem.catalogStale})` : title);
        const fix = refineAction(a, refinement(a, scope, log), (r) => warn(entryTitle(r, t, problem, code)), CodeActionKind.QuickFix, caps, [d]);
        if (fix) {
          fix.isPreferred = !fix.disabled;
          out.push(fix);
        }
        const key = `${t.policy}.${t.statement}`;
        const inStatement = a.problems.filter((p) => FIXABLE.has(p.code) && p.target?.policy === t.policy && p.target.statement === t.statement).length;
        if (t.entry !== undefined && inStatement > 1 && !statementsOffered.has(key)) {
          statementsOffered.add(key);
          const st = refineAction(a, refinement(a, { kind: 'statement', policy: t.policy, statement: t.statement }, log), () => warn('Refine this statement'), CodeActionKind.QuickFix, caps, [d]);
          if (st) out.push(st);
        }
      } else if (code === 'unknown-action' && data.target && data.suggestions?.length && !a.parsed?.hasSyntaxErrors) {
        const t = data.target;
        const node = t.entry === undefined ? undefined : a.parsed?.policies[t.policy]?.statements[t.statement]?.entries[t.entry]?.span;
        if (!node) continue;
        const range = rangeOf(linesOf(a), node.offset, node.length);
        data.suggestions.forEach((s, i) => {
          out.push({
            title: `Replace with ${s}`,
            kind: CodeActionKind.QuickFix,
            diagnostics: [d],
            isPreferred: i === 0 && data.suggestions!.length === 1,
            edit: documentEdit(a.uri, a.version, [{ range, newText: requote(a.text.slice(node.offset, node.offset + node.length), s) }], caps),
          });
        });
      } else if (code === 'unbound-policy' && data.candidates?.length && data.folderUri && data.relPath) {
        for (const role of data.candidates) {
          try {
            const act = await input.bindingAction({ folderUri: data.folderUri, relPath: data.relPath, role });
            if (act) out.push({ ...act, diagnostics: [d] });
          } catch (e) {
            log(`binding action for ${role} failed: ${e instanceof Error ? e.message : e}`);
          }
        }
      }
    }
    if (ours.some(({ d }) => FIXABLE.has(String(d.code))) && fixableCount > 1) {
      const all = refineAction(a, refinement(a, { kind: 'document' }, log), (r) => `Refine the whole file${r ? staleNote(a, r) : ''}`, CodeActionKind.QuickFix, caps);
      if (all) out.push(all);
    }
    if (input.explain) out.push(...explainActions(a, ours.filter(({ d }) => FIXABLE.has(String(d.code))).map(({ data }) => data.target)));
  }

  if (wants(input.only, FIX_ALL_KIND) && input.only?.length) {
    // source.fixAll: versioned edits for the whole file, nothing when there is nothing (or nothing safe) to do
    const outcome = refinement(a, { kind: 'document' }, log);
    if (outcome.kind === 'ok' && outcome.result.edits.length) {
      out.push({ title: `Refine the IAM policy (${describeSummary(outcome.result)})${staleNote(a, outcome.result)}`, kind: FIX_ALL_KIND, edit: documentEdit(a.uri, a.version, toTextEdits(a, outcome.result.edits), caps) });
    }
  }
  return out;
}

export function bindTitle(role: string, exists: boolean): string {
  return `Bind this policy to role ${roleName(role)} in ${CONFIG_FILE}${exists ? '' : ' (creates it)'}`;
}


/** The outcomes of refining files as the protocol's RefinementResult: one WorkspaceEdit, a line per file. */
export function refinementResult(outcomes: FileOutcome[], caps: EditCapabilities): RefinementResult {
  const changes: DocumentChange[] = [];
  const files: FileRefinement[] = outcomes.map((o) => {
    if (o.kind === 'changed') {
      changes.push({ uri: o.uri, version: o.version, edits: toTextEdits(o.analysis, o.edits) });
      return { uri: o.uri, version: o.version, status: 'changed', summary: o.summary };
    }
    if (o.kind === 'unchanged') return { uri: o.uri, version: o.version, status: 'unchanged', summary: o.reason };
    return { uri: o.uri, version: o.version, status: 'failed', error: o.reason, ...(o.kind === 'not-refined' && o.nothingLeft ? { nothingLeft: true } : {}) };
  });
  return { edit: changes.length ? workspaceEdit(changes, caps) : {}, files };
}

/** The quick fix binding a policy file to a role: an edit of iam-refiner.json (created when absent), else a command. */
export function bindingCodeAction(args: BindRoleArgs, configUri: string, openVersion: number | null, binding: { text: string | undefined; edits: CoreEdit[] }, caps: EditCapabilities): CodeAction {
  const title = bindTitle(args.role, binding.text !== undefined);
  if (binding.text !== undefined) {
    const lines = new LineIndex(binding.text);
    return { title, kind: CodeActionKind.QuickFix, edit: documentEdit(configUri, openVersion, binding.edits.map((e) => ({ range: rangeOf(lines, e.offset, e.length), newText: e.newText })), caps) };
  }
  if (caps.createFile) {
    return {
      title,
      kind: CodeActionKind.QuickFix,
      edit: {
        documentChanges: [
          { kind: 'create', uri: configUri, options: { ignoreIfExists: true } },
          { textDocument: { uri: configUri, version: null }, edits: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: applyEdits('', binding.edits) }] },
        ],
      },
    };
  }
  return { title, kind: CodeActionKind.QuickFix, command: { title, command: Commands.bindRole, arguments: [args] } };
}
