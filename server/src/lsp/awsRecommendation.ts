/**
 * AWS's recommendation beside the local refinement: per policy (grouped as in
 * live/recommendation.ts), which actions one keeps that the other drops. Pure: no I/O, no SDK.
 */
import type { RecommendedStep } from '../live/accessAnalyzer';
import { comparePolicies } from '../live/compare';
import { EMPTY_POLICY, PolicyAdvice, adviceForFile, groupSteps, listNames, prettyPolicy } from '../live/recommendation';
import { Universe } from '../core';
import { plural } from '../workspace/format';
import { AwsPolicyAdvice } from '../../../shared/protocol';

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
  return { items, chosen: adviceForFile(items, input.fileName) };
}

function compareOne(g: PolicyAdvice, input: AdviceInput): AwsPolicyAdvice {
  const aws = g.recommendedPolicy ?? EMPTY_POLICY;
  const local = input.localText ?? (input.localRemovesAll ? EMPTY_POLICY : undefined);
  const base = { policyId: g.policyId, detach: g.detach && !g.recommendedPolicy, recommendedPolicy: g.recommendedPolicy ? prettyPolicy(g.recommendedPolicy) : undefined };
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
    if (onlyLocal.length) parts.push(`the local refinement keeps ${plural(onlyLocal.length, 'action')} AWS's drops: ${listNames(onlyLocal, 12)}`);
    if (onlyAws.length) parts.push(`AWS's recommendation keeps ${plural(onlyAws.length, 'action')} the local refinement drops: ${listNames(onlyAws, 12)}`);
  }
  return { ...base, onlyLocal, onlyAws, summary: parts.join('; ') };
}
