/**
 * Explain Refinement through LSP: the request (ExplainRequest), the code action that opens the
 * picture, and the hover's compact version. Thin: the explanation is the workspace service's
 * (server/src/workspace/explain.ts), from the refinement the quick fix applies.
 */
import { CodeAction, CodeActionKind, Hover, MarkupContent, MarkupKind } from 'vscode-languageserver';
import { Commands, ExplainParams, ExplainResponse, Explanation } from '../../../shared/protocol';
import { ExplainNode, Finding, explainNodes, nodeActions } from '../core';
import { Analysis, describeBinding, linesOf } from '../workspace/analysis';
import { ExplainTargetRef, explainTarget, explainTargetAt, explainable } from '../workspace/explain';

export const EXPLAIN_KIND = CodeActionKind.QuickFix + '.explain';

function subject(a: Analysis, t: ExplainTargetRef): string {
  const st = a.parsed?.policies[t.policy]?.statements[t.statement];
  if (!st) return 'this entry';
  if (st.key === 'NotAction') return 'this NotAction statement';
  return t.entry === undefined ? 'this statement' : st.entries[t.entry]?.value ?? 'this entry';
}

/** The "Explain Refinement" action for a target: a command, no edit. */
export function explainAction(a: Analysis, t: ExplainTargetRef): CodeAction {
  const title = `Explain Refinement of ${subject(a, t)}`;
  const args: ExplainParams = { uri: a.uri, target: t, ...(a.version !== null ? { version: a.version } : {}) };
  return { title, kind: EXPLAIN_KIND, command: { title, command: Commands.explainRefinement, arguments: [args] } };
}

/**
 * Explain actions for the fixable diagnostics' targets (a wildcard with unused actions, a NotAction
 * statement, "*"): one per target, after the fixes. A pattern with nothing unused (a refined list's)
 * is explained from its hover link or the command, not from a lightbulb of its own.
 */
export function explainActions(a: Analysis, targets: (ExplainTargetRef | undefined)[]): CodeAction[] {
  if (a.kind !== 'policy' || !a.parsed || a.parsed.hasSyntaxErrors || !a.context?.unused) return [];
  const seen = new Set<string>();
  const out: CodeAction[] = [];
  for (const t of targets) {
    if (!t) continue;
    const st = a.parsed.policies[t.policy]?.statements[t.statement];
    const key = st?.key === 'NotAction' ? `${t.policy}.${t.statement}` : `${t.policy}.${t.statement}.${t.entry}`;
    if (seen.has(key) || !explainable(a, t)) continue;
    seen.add(key);
    out.push(explainAction(a, st?.key === 'NotAction' ? { policy: t.policy, statement: t.statement } : t));
  }
  return out;
}

/** ExplainRequest: the target (or the entry at the position) of the analysed version. */
export function explainRequest(a: Analysis | undefined, findings: Finding[], params: ExplainParams, log: (m: string) => void): ExplainResponse {
  if (!a || a.kind !== 'policy' || !a.parsed) return { kind: 'error', message: 'not an IAM policy document' };
  let t: ExplainTargetRef | undefined = params.target;
  if (!t && params.position) t = explainTargetAt(a, linesOf(a).offset(params.position));
  if (!t) return { kind: 'error', message: 'no action entry here: put the cursor on a wildcard such as "s3:Get*"' };
  const r = explainTarget(a, findings, t, log);
  if (r.kind === 'error') return r;
  const name = a.relPath ?? decodeURIComponent(a.uri.slice(a.uri.lastIndexOf('/') + 1));
  const e = r.explanation;
  const what = e.key === 'NotAction' ? 'NotAction' : e.list ? `the ${e.root.prefix} list (${e.list.entries.length})` : e.pattern;
  return { kind: 'ok', uri: a.uri, version: a.version, title: `${what} in ${name}`, explanation: r.explanation, binding: describeBinding(a) };
}

/** The hover's compact version: the emitted patterns with their counts, the unsafe nodes that forced them. */
export function explainHoverLines(e: Explanation, link: string | undefined): string[] {
  const byPattern = new Map<string, ExplainNode>();
  for (const n of explainNodes(e.root)) if (n.emitted) byPattern.set(n.emitted, n);
  const count = (n: ExplainNode | undefined) => (n ? nodeActions(e.mode, n) : 0);
  const lines: string[] = [];
  const head = e.mode === 'allow' ? '**Refinement**' : '**Added to NotAction**';
  if (e.outcome === 'list') {
    const l = e.list!;
    lines.push(
      l.unusedAllowed > 0
        ? `**Refinement**: this list of ${l.entries.length} ${e.root.prefix} patterns allows ${l.unusedAllowed} unused actions.`
        : l.leastGeneral
          ? `**Refinement**: none needed; the list of ${l.entries.length} \`${e.root.prefix}\` patterns is least general against the findings (${e.root.counts.unused} unused actions below \`${e.root.prefix}\` stay out).`
          : `**Refinement**: none needed (nothing unused), though the shortest safe prefixes would be ${l.frontier.slice(0, 8).map((p) => '\`' + p + '\`').join(', ')}${l.frontier.length > 8 ? ', …' : ''}.`,
    );
  } else if (e.outcome === 'keep') lines.push(`${head}: none needed (nothing under it is unused).`);
  else if (e.outcome === 'remove' || e.outcome === 'remove-statement') lines.push(`${head}: removed${e.outcome === 'remove-statement' ? ' with its statement' : ''} (${e.listed.length ? `what it must still allow is listed already: ${e.listed.map((p) => '`' + p + '`').join(', ')}` : 'everything it allows is unused'}).`);
  else {
    const shown = e.patterns.slice(0, 12).map((p) => {
      const n = byPattern.get(p);
      return '`' + p + '`' + (n && count(n) > 1 ? ` (${count(n)})` : '');
    });
    lines.push(`${head}: ${shown.join(', ')}${e.patterns.length > 12 ? `, … and ${e.patterns.length - 12} more` : ''}`);
    if (e.forcedBy.length) {
      const nodes = new Map(explainNodes(e.root).map((n) => [n.prefix, n]));
      const forced = e.forcedBy.slice(0, 6).map((p) => {
        const n = nodes.get(p) ?? (p === '*' ? e.root : undefined);
        return '`' + (p === '*' ? '*' : p) + '`' + (n ? ` (${n.counts.unused} of ${count(n)} unused)` : '');
      });
      lines.push('', `Split because ${e.mode === 'allow' ? 'these hold unused actions' : 'these hold used actions'}: ${forced.join(', ')}${e.forcedBy.length > 6 ? ', …' : ''}`);
    }
  }
  if (link) lines.push('', link);
  return lines;
}

/** Appends the compact explanation (and the command link that opens the picture) to a hover. */
export function withExplanation(h: Hover | null, a: Analysis, findings: Finding[], offset: number, linkEnabled: boolean, log: (m: string) => void): Hover | null {
  if (!h || a.kind !== 'policy' || !a.parsed || a.parsed.hasSyntaxErrors || !a.context?.unused) return h;
  const t = explainTargetAt(a, offset);
  if (!t || !explainable(a, t)) return h;
  const r = explainTarget(a, findings, t, log);
  if (r.kind !== 'ok') return h;
  const args: ExplainParams = { uri: a.uri, target: t, ...(a.version !== null ? { version: a.version } : {}) };
  const link = linkEnabled ? `[Explain Refinement (the trie)](command:${Commands.explainRefinement}?${encodeURIComponent(JSON.stringify([args]))} "Open the picture of this refinement")` : undefined;
  const c = h.contents as MarkupContent;
  if (typeof c !== 'object' || c.kind !== MarkupKind.Markdown) return h;
  return { ...h, contents: { kind: MarkupKind.Markdown, value: `${c.value}\n\n---\n\n${explainHoverLines(r.explanation, link).join('\n')}` } };
}
