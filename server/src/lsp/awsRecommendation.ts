/**
 * AWS's recommendation beside the local refinement: which step is about which policy, and which
 * actions one keeps that the other drops. Pure: no I/O, no SDK.
 */
import type { RecommendedStep } from '../live/accessAnalyzer';
import { comparePolicies } from '../live/compare';
import { Universe } from '../core';
import { AwsPolicyAdvice } from '../protocol';

/** Stands for "no permission at all" in comparisons (a detached policy, a refinement that removes everything). */
export const EMPTY_POLICY = '{"Version": "2012-10-17", "Statement": []}';

const policyName = (id: string) => id.split('/').pop() ?? id;
const plural = (n: number, one: string, many = one + 's') => `${n} ${n === 1 ? one : many}`;

function listNames(names: string[], max = 12): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

interface Grouped {
  policyId: string;
  recommendedPolicy?: string;
  detach: boolean;
}

/** One entry per policy the steps name: CREATE_POLICY gives the replacement, DETACH_POLICY marks it. */
export function groupSteps(steps: RecommendedStep[]): Grouped[] {
  const byId = new Map<string, Grouped>();
  for (const s of steps) {
    const id = s.existingPolicyId ?? '';
    const g = byId.get(id) ?? { policyId: id, detach: false };
    if (s.action === 'CREATE_POLICY' && s.recommendedPolicy) g.recommendedPolicy = s.recommendedPolicy;
    if (s.action === 'DETACH_POLICY') g.detach = true;
    byId.set(id, g);
  }
  return [...byId.values()];
}

export interface AdviceInput {
  steps: RecommendedStep[];
  /** The document's file name (`app-policy.json`): tells which policy it is when the role has several. */
  fileName: string;
  /** The local refinement's text; undefined when it removes everything or cannot be computed (`localNote`). */
  localText: string | undefined;
  /** The local refinement removes every permission. */
  localRemovesAll: boolean;
  universe: Universe;
}

export interface AdviceView {
  items: AwsPolicyAdvice[];
  /** The item that is this document, when one can be told (the only one, or the one named like the file). */
  chosen?: number;
}

/** AWS's steps as advice per policy, each compared with the local refinement of the document. */
export function adviceView(input: AdviceInput): AdviceView {
  const items = groupSteps(input.steps).map((g) => compareOne(g, input));
  let chosen: number | undefined;
  if (items.length === 1) chosen = 0;
  else {
    const stem = input.fileName.replace(/\.(jsonc?|json5)$/i, '').toLowerCase();
    const hits = items.map((it, i) => (policyName(it.policyId).toLowerCase() === stem ? i : -1)).filter((i) => i >= 0);
    if (hits.length === 1) chosen = hits[0];
  }
  return { items, chosen };
}

function compareOne(g: Grouped, input: AdviceInput): AwsPolicyAdvice {
  const aws = g.recommendedPolicy ?? EMPTY_POLICY;
  const local = input.localText ?? (input.localRemovesAll ? EMPTY_POLICY : undefined);
  const base = { policyId: g.policyId, detach: g.detach && !g.recommendedPolicy, recommendedPolicy: g.recommendedPolicy ? pretty(g.recommendedPolicy) : undefined };
  if (local === undefined) {
    return { ...base, onlyLocal: [], onlyAws: [], summary: 'there is no local refinement of this file to compare with' };
  }
  let onlyLocal: string[];
  let onlyAws: string[];
  try {
    ({ onlyInA: onlyLocal, onlyInB: onlyAws } = comparePolicies(input.universe, local, aws));
  } catch {
    return { ...base, onlyLocal: [], onlyAws: [], summary: "AWS's recommended policy is not a policy document this extension can read" };
  }
  const parts: string[] = [];
  if (base.detach) parts.push('AWS recommends detaching this policy');
  else if (g.detach) parts.push('AWS recommends replacing this policy with the one shown (create it, attach it, detach this one)');
  if (input.localRemovesAll) parts.push(base.detach ? 'the local refinement agrees: every permission in it is unused' : 'the local refinement removes every permission (detach the policy instead)');
  if (!onlyLocal.length && !onlyAws.length) {
    if (!input.localRemovesAll || !base.detach) parts.push('the local refinement allows the same actions');
  } else {
    if (onlyLocal.length) parts.push(`the local refinement keeps ${plural(onlyLocal.length, 'action')} AWS's drops: ${listNames(onlyLocal)}`);
    if (onlyAws.length) parts.push(`AWS's recommendation keeps ${plural(onlyAws.length, 'action')} the local refinement drops: ${listNames(onlyAws)}`);
  }
  return { ...base, onlyLocal, onlyAws, summary: parts.join('; ') };
}
