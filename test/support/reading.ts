import { documentContext, refineDocument } from '../../server/src/core';
import type { Catalog, Finding, ParsedDocument } from '../../server/src/core';

/**
 * A parsed document as data, to compare an incremental reading with a fresh one: every field the
 * format read, and what its closures give (`value()`, `rest()`); with `host`, what each policy's and
 * statement's host points at.
 */
export function documentReading(doc: ParsedDocument, host?: (h: unknown) => unknown): Record<string, unknown> {
  const hosted = <T extends object>(o: T, h: unknown) => (host ? { ...o, host: host(h) } : o);
  return {
    policies: doc.policies.map((p) =>
      hosted(
        {
          label: p.label,
          span: p.span,
          statementKeySpan: p.statementKeySpan,
          statementCount: p.statementCount,
          attachedRoles: p.attachedRoles ?? null,
          value: p.value(),
          statements: p.statements.map((st) =>
            hosted(
              {
                span: st.span,
                index: st.index,
                effect: st.effect ?? null,
                sid: st.sid ?? null,
                key: st.key ?? null,
                keySpan: st.keySpan ?? null,
                entries: st.entries,
                opaque: st.opaque ?? null,
                suppressed: st.suppressed ?? null,
                principal: st.principal ?? null,
                rest: st.rest(),
              },
              st.host,
            ),
          ),
        },
        p.host,
      ),
    ),
    problems: doc.problems,
    hasSyntaxErrors: doc.hasSyntaxErrors,
    recognised: doc.recognised,
  };
}

/** The refinement's edits of a document against findings for every role (or the error it ends in, as text). */
export function refinementEdits(catalog: Catalog, findings: Finding[], doc: ParsedDocument): unknown {
  const ctx = documentContext(catalog, doc, findings, { kind: 'all', roles: [] });
  try {
    return refineDocument({ universe: ctx.universe, unused: ctx.unused!.indexes }, doc).edits;
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}
