import { Universe, parsePolicyDocument, statementAllows, ParsedDocument } from '../core';

export interface PolicyComparison {
  /** Actions policy A allows and policy B does not (canonical names, sorted). */
  onlyInA: string[];
  /** Actions policy B allows and policy A does not. */
  onlyInB: string[];
}

/** Every action string literally written in the Action/NotAction lists of a document's statements. */
export function policyActionStrings(doc: ParsedDocument): string[] {
  const out: string[] = [];
  for (const p of doc.policies) for (const st of p.statements) for (const e of st.entries) out.push(e.value);
  return out;
}

function parse(label: string, text: string): ParsedDocument {
  const doc = parsePolicyDocument(text);
  if (doc.hasSyntaxErrors || doc.policies.length === 0) throw new Error(`${label} is not an IAM policy document`);
  return doc;
}

/** What the Allow statements of a document allow, as universe indexes (case-insensitive, wildcards expanded). */
function allowed(u: Universe, doc: ParsedDocument): Set<number> {
  const s = new Set<number>();
  for (const p of doc.policies)
    for (const st of p.statements) {
      if (st.opaque || st.effect !== 'Allow' || !st.key) continue;
      for (const i of statementAllows(u, st)) s.add(i);
    }
  return s;
}

/**
 * Which actions one policy's Allow statements allow that the other's do not, after expanding both
 * over the action universe (case-insensitive: AWS may print expanded, lower-cased names).
 * Resources and conditions are not compared. Action names written in either policy that the
 * universe lacks are added to it, so nothing literal is lost.
 */
export function comparePolicies(universe: Universe, policyTextA: string, policyTextB: string): PolicyComparison {
  const a = parse('policy A', policyTextA);
  const b = parse('policy B', policyTextB);
  const missing = [...policyActionStrings(a), ...policyActionStrings(b)].filter((n) => n.includes(':') && !/[*?]/.test(n) && universe.indexOf(n) === undefined);
  let u = universe;
  if (missing.length) {
    const extras = u.names.filter((n) => !u.catalog.has(n));
    u = new Universe(u.catalog, [...extras, ...missing]);
  }
  const sa = allowed(u, a);
  const sb = allowed(u, b);
  const onlyInA = [...sa].filter((i) => !sb.has(i)).sort((x, y) => x - y).map((i) => u.nameAt(i));
  const onlyInB = [...sb].filter((i) => !sa.has(i)).sort((x, y) => x - y).map((i) => u.nameAt(i));
  return { onlyInA, onlyInB };
}
