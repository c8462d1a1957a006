/**
 * AWS's recommendation read per policy: which steps are about which of the role's policies, and
 * which of them a policy file is. Shared by `iam-refine recommend` (cli/live.ts) and the editor's
 * comparison (lsp/awsRecommendation.ts). Pure: no I/O, no SDK.
 */
import type { RecommendedStep } from './accessAnalyzer';

/** Stands for "no permission at all" in comparisons (a detached policy, a refinement that removes everything). */
export const EMPTY_POLICY = '{"Version": "2012-10-17", "Statement": []}';

/** What AWS recommends for one of the role's policies. */
export interface PolicyAdvice {
  /** The steps' existingPolicyId: a managed policy ARN or an inline policy name ('' when the steps name none). */
  policyId: string;
  /** CREATE_POLICY's recommended policy: AWS's replacement. */
  recommendedPolicy?: string;
  /** A DETACH_POLICY step names the policy. */
  detach: boolean;
}

/** One entry per policy the steps name: CREATE_POLICY gives the replacement, DETACH_POLICY marks it. */
export function groupSteps(steps: RecommendedStep[]): PolicyAdvice[] {
  const byId = new Map<string, PolicyAdvice>();
  for (const s of steps) {
    const id = s.existingPolicyId ?? '';
    const a = byId.get(id) ?? { policyId: id, detach: false };
    if (s.action === 'CREATE_POLICY' && s.recommendedPolicy) a.recommendedPolicy = s.recommendedPolicy;
    if (s.action === 'DETACH_POLICY') a.detach = true;
    byId.set(id, a);
  }
  return [...byId.values()];
}

/** The policy name in a policy id: a managed policy ARN's last segment, or the inline policy name. */
export const policyName = (id: string): string => id.split('/').pop() ?? id;

/**
 * Which of the advice is about the policy in the file `fileName` (a base name such as
 * `app-policy.json`): the only one, else the one whose policy is named like the file; undefined
 * when that cannot be told.
 */
export function adviceForFile(all: readonly { policyId: string }[], fileName: string): number | undefined {
  if (all.length === 1) return 0;
  const stem = fileName.replace(/\.(jsonc?|json5)$/i, '').toLowerCase();
  const hits = all.map((a, i) => (policyName(a.policyId).toLowerCase() === stem ? i : -1)).filter((i) => i >= 0);
  return hits.length === 1 ? hits[0] : undefined;
}

/** A policy JSON string indented for reading; the text as it is when it is not JSON. */
export function prettyPolicy(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** "a, b, c" — the first `max` names, then "and N more". */
export function listNames(names: string[], max: number): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}
