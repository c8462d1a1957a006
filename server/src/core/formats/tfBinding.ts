/**
 * Which roles Terraform code attaches each policy to, where the role names are literal: the one
 * algorithm of both Terraform syntaxes (HCL in terraform.ts, JSON in tfjson.ts), each handing in
 * its blocks and how its values read (a literal string, a reference, a list).
 *
 * Read: `aws_iam_role_policy { role = "x" | aws_iam_role.r.name | .id }`, `aws_iam_role { name,
 * inline_policy, managed_policy_arns }`, `aws_iam_role_policy_attachment { role, policy_arn }`,
 * `aws_iam_policy_attachment { roles, policy_arn }`; a policy used by reference (a document's
 * `.json`, a local) gets the roles of every attribute that uses it. A computed name anywhere binds
 * nothing (the caller falls back to iam-refiner.json).
 */
import { PolicyModel } from '../model';

/** A top-level block of either syntax. */
export interface TfBlock<V> {
  type: string;
  labels: string[];
  attr(name: string): V | undefined;
}

/** How one syntax's values read. */
export interface TfValues<V> {
  /** The value as a literal string (no interpolation), or undefined. */
  literal(v: V): string | undefined;
  /** The reference the whole value is (`aws_iam_role.r.name` → ['aws_iam_role', 'r', 'name']), or undefined. */
  reference(v: V): string[] | undefined;
  /** The items of a literal list, or undefined. */
  items(v: V): V[] | undefined;
}

/** Where a policy is written: the attribute of a (nested) block holding it, or the reference others use it by. */
export interface TfSite<B> {
  top: B;
  /** The type of the nested block holding the attribute (`inline_policy`). */
  nested?: string;
  attribute: string;
  /** For a local or a policy document: how other blocks refer to it (`local.p`, `data.aws_iam_policy_document.x`). */
  ref?: string;
}

/** The key a reference is indexed by: a document's address (its `.json` dropped) or a local's name; undefined for others. */
export function referenceKey(path: string[]): string | undefined {
  if (path[0] === 'data' && (path.length === 3 || path.length === 4)) return path.slice(0, 3).join('.');
  if (path[0] === 'local' && path.length === 2) return path.join('.');
  return undefined;
}

/**
 * Sets `attachedRoles` on each policy whose roles the code names literally. `uses` indexes, by
 * referenceKey, the attributes that use a policy by reference (called only when some policy has a ref).
 */
export function bindTerraformRoles<V, B extends TfBlock<V>>(blocks: B[], ops: TfValues<V>, policies: [PolicyModel, TfSite<B>][], uses: () => Map<string, TfSite<B>[]>): void {
  const resources = blocks.filter((b) => b.type === 'resource');
  const roles = new Map<string, string | undefined>();
  for (const b of resources) {
    if (b.labels[0] !== 'aws_iam_role') continue;
    const n = b.attr('name');
    roles.set(b.labels[1], n === undefined ? undefined : ops.literal(n));
  }
  /** The literal name a role value stands for: "name", an ARN's last segment, or aws_iam_role.x.name|id. */
  const roleName = (v: V | undefined): string | undefined => {
    if (v === undefined) return undefined;
    const s = ops.literal(v);
    if (s !== undefined) {
      const m = /^arn:aws[\w-]*:iam::[^:]*:role\/(?:.*\/)?([^/]+)$/.exec(s);
      return m ? m[1] : s.includes(':') ? undefined : s;
    }
    const ref = ops.reference(v);
    if (ref && ref.length === 3 && ref[0] === 'aws_iam_role' && (ref[2] === 'name' || ref[2] === 'id')) return roles.get(ref[1]);
    return undefined;
  };
  const policyOf = (v: V | undefined): string | undefined => {
    const ref = v === undefined ? undefined : ops.reference(v);
    return ref && ref.length === 3 && ref[0] === 'aws_iam_policy' && (ref[2] === 'arn' || ref[2] === 'id') ? ref[1] : undefined;
  };
  /** Per aws_iam_policy name: the roles it is attached to; undefined once one of them is computed. */
  const attached = new Map<string, string[] | undefined>();
  const attach = (policyName: string, names: (string | undefined)[]) => {
    const had = attached.has(policyName) ? attached.get(policyName) : [];
    attached.set(policyName, had === undefined || names.some((n) => n === undefined) ? undefined : [...had, ...(names as string[])]);
  };
  for (const b of resources) {
    const kind = b.labels[0];
    if (kind === 'aws_iam_role') {
      const m = b.attr('managed_policy_arns');
      const items = m === undefined ? undefined : ops.items(m);
      for (const x of items ?? []) {
        const name = policyOf(x);
        if (name) attach(name, [roles.get(b.labels[1])]);
      }
      continue;
    }
    if (kind !== 'aws_iam_role_policy_attachment' && kind !== 'aws_iam_policy_attachment') continue;
    const name = policyOf(b.attr('policy_arn'));
    if (!name) continue;
    const single = b.attr('role');
    const list = b.attr('roles');
    if (single !== undefined) attach(name, [roleName(single)]);
    if (list !== undefined) attach(name, ops.items(list)?.map(roleName) ?? [undefined]);
  }
  const rolesOfSite = (site: TfSite<B>): string[] | undefined => {
    const t = site.top;
    if (t.type !== 'resource' || site.attribute !== 'policy') return undefined;
    if (t.labels[0] === 'aws_iam_role_policy' && !site.nested) {
      const n = roleName(t.attr('role'));
      return n === undefined ? undefined : [n];
    }
    if (t.labels[0] === 'aws_iam_role' && site.nested === 'inline_policy') {
      const n = roles.get(t.labels[1]);
      return n === undefined ? undefined : [n];
    }
    if (t.labels[0] === 'aws_iam_policy' && !site.nested) return attached.has(t.labels[1]) ? attached.get(t.labels[1]) : [];
    return undefined;
  };
  const byRef = policies.some(([, s]) => s.ref) ? uses() : new Map<string, TfSite<B>[]>();
  for (const [p, site] of policies) {
    let names: string[] | undefined;
    if (site.ref) {
      const us = byRef.get(site.ref) ?? [];
      if (us.length) {
        names = [];
        for (const u of us) {
          const n = rolesOfSite(u);
          if (n === undefined) {
            names = undefined;
            break;
          }
          names.push(...n);
        }
      }
    } else names = rolesOfSite(site);
    if (names && names.length) p.attachedRoles = [...new Set(names)];
  }
}
