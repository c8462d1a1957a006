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
 *
 * In two steps, so that a module's files can be bound together (a role declared in `roles.tf`, its
 * policy in `policies.tf`): each file yields its syntax-neutral facts (`TfFacts`: its roles, its
 * attachments, the attributes that use a policy by reference, the `file()` / `templatefile()` policies)
 * and, per policy, where it is attached (`TfAttach`, naming labels not yet resolved); `resolveRoles`
 * then resolves a policy against the facts of one file or of every file of its directory.
 */
import type { ParsedDocument, PolicyModel, PolicyProblem } from '../model';

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

/** A role as an attribute names it, before the module's roles are known. */
export type TfRole =
  /** a literal name (or the last segment of a literal role ARN) */
  | { name: string }
  /** `aws_iam_role.<label>.name|id`, or the role a nested block or managed_policy_arns sits in */
  | { role: string }
  /** the roles an `aws_iam_policy.<label>` is attached to, wherever in the module */
  | { policy: string }
  /** a name only Terraform knows */
  | { computed: true };

/** Where one policy is attached: the roles its attribute names, or the reference others use it by; undefined: nowhere a role is named. */
export type TfAttach = { roles: TfRole[] } | { ref: string } | undefined;

/** A policy read from another file: `policy = file("${path.module}/p.json")` or `templatefile(...)`. */
export interface TfFileUse {
  fn: 'file' | 'templatefile';
  /** The path as written, `${path.module}/` dropped: relative to the .tf file's directory. */
  path: string;
  attach: TfAttach;
  /** Where the call is, for messages (offset into the .tf text). */
  offset: number;
}

/** What one Terraform file says about roles and attachments, in no syntax (a module's files are merged). */
export interface TfFacts {
  /** aws_iam_role label → its literal name (undefined: computed or none). */
  roles: [string, string | undefined][];
  /** aws_iam_policy label → the roles one attachment (or a role's managed_policy_arns) names. */
  attachments: [string, TfRole[]][];
  /** Reference key (`local.p`, `data.aws_iam_policy_document.x`) → where each attribute using it is attached. */
  uses: [string, TfAttach][];
  /** Policies that live in files of their own. */
  fileUses: TfFileUse[];
  /**
   * Terraform JSON only: strings that may be a `"${file(\"p.json\")}"` call (HCL inside a string),
   * read with the HCL parser by terraformFactsOf (formats/index.ts), which moves the calls into `fileUses`.
   */
  fileStrings?: TfFileString[];
}

/** A Terraform JSON string whose HCL may be a file() / templatefile() call, where it is attached. */
export interface TfFileString {
  /** The string's value (its JSON escapes read). */
  value: string;
  offset: number;
  attach: TfAttach;
}

/** What a parsed Terraform document keeps for binding across its module (ParsedDocument.terraform). */
export interface TfBindingPart {
  /** Per policy of the document (by index): where it is attached. */
  attach: TfAttach[];
  /** This file's facts (computed on first use). */
  facts(): TfFacts;
}

/** The key a reference is indexed by: a document's address (its `.json` dropped) or a local's name; undefined for others. */
export function referenceKey(path: string[]): string | undefined {
  if (path[0] === 'data' && (path.length === 3 || path.length === 4)) return path.slice(0, 3).join('.');
  if (path[0] === 'local' && path.length === 2) return path.join('.');
  return undefined;
}

/** The roles an attribute value names: a literal name, an ARN's last segment, or aws_iam_role.x.name|id. */
function roleOf<V>(ops: TfValues<V>, v: V | undefined): TfRole {
  if (v === undefined) return { computed: true };
  const s = ops.literal(v);
  if (s !== undefined) {
    const m = /^arn:aws[\w-]*:iam::[^:]*:role\/(?:.*\/)?([^/]+)$/.exec(s);
    return m ? { name: m[1] } : s.includes(':') ? { computed: true } : { name: s };
  }
  const ref = ops.reference(v);
  if (ref && ref.length === 3 && ref[0] === 'aws_iam_role' && (ref[2] === 'name' || ref[2] === 'id')) return { role: ref[1] };
  return { computed: true };
}

function policyOf<V>(ops: TfValues<V>, v: V | undefined): string | undefined {
  const ref = v === undefined ? undefined : ops.reference(v);
  return ref && ref.length === 3 && ref[0] === 'aws_iam_policy' && (ref[2] === 'arn' || ref[2] === 'id') ? ref[1] : undefined;
}

/** Where the attribute of a site attaches what it holds (before any reference is followed). */
export function siteRoles<V, B extends TfBlock<V>>(ops: TfValues<V>, site: Omit<TfSite<B>, 'ref'>): TfRole[] | undefined {
  const t = site.top;
  if (t.type !== 'resource' || site.attribute !== 'policy') return undefined;
  if (t.labels[0] === 'aws_iam_role_policy' && !site.nested) return [roleOf(ops, t.attr('role'))];
  if (t.labels[0] === 'aws_iam_role' && site.nested === 'inline_policy') return [{ role: t.labels[1] }];
  if (t.labels[0] === 'aws_iam_policy' && !site.nested) return [{ policy: t.labels[1] }];
  return undefined;
}

/** Where a policy written at a site is attached. */
export function siteAttach<V, B extends TfBlock<V>>(ops: TfValues<V>, site: TfSite<B>): TfAttach {
  if (site.ref) return { ref: site.ref };
  const roles = siteRoles(ops, site);
  return roles && { roles };
}

/** A file's facts from its top-level blocks; `uses` lists the attributes that use a policy by reference, `fileUses` the file() policies. */
export function terraformFacts<V, B extends TfBlock<V>>(blocks: B[], ops: TfValues<V>, uses: [string, TfSite<B>][], fileUses: TfFileUse[], fileStrings?: TfFileString[]): TfFacts {
  const roles: [string, string | undefined][] = [];
  const attachments: [string, TfRole[]][] = [];
  for (const b of blocks) {
    if (b.type !== 'resource') continue;
    const kind = b.labels[0];
    if (kind === 'aws_iam_role') {
      const n = b.attr('name');
      roles.push([b.labels[1], n === undefined ? undefined : ops.literal(n)]);
      const m = b.attr('managed_policy_arns');
      for (const x of (m === undefined ? undefined : ops.items(m)) ?? []) {
        const name = policyOf(ops, x);
        if (name) attachments.push([name, [{ role: b.labels[1] }]]);
      }
      continue;
    }
    if (kind !== 'aws_iam_role_policy_attachment' && kind !== 'aws_iam_policy_attachment') continue;
    const name = policyOf(ops, b.attr('policy_arn'));
    if (!name) continue;
    const single = b.attr('role');
    const list = b.attr('roles');
    if (single !== undefined) attachments.push([name, [roleOf(ops, single)]]);
    if (list !== undefined) attachments.push([name, ops.items(list)?.map((x) => roleOf(ops, x)) ?? [{ computed: true }]]);
  }
  return { roles, attachments, uses: uses.map(([k, s]) => [k, siteAttach(ops, s)]), fileUses, ...(fileStrings?.length ? { fileStrings } : {}) };
}

/** The facts of several files (a module) as one index. */
export interface TfIndex {
  roles: Map<string, string | undefined>;
  attachments: Map<string, TfRole[][]>;
  uses: Map<string, TfAttach[]>;
}

export function indexFacts(all: TfFacts[]): TfIndex {
  const ix: TfIndex = { roles: new Map(), attachments: new Map(), uses: new Map() };
  for (const f of all) {
    for (const [label, name] of f.roles) if (!ix.roles.has(label)) ix.roles.set(label, name);
    for (const [p, rs] of f.attachments) {
      if (!ix.attachments.has(p)) ix.attachments.set(p, []);
      ix.attachments.get(p)!.push(rs);
    }
    for (const [k, a] of f.uses) {
      if (!ix.uses.has(k)) ix.uses.set(k, []);
      ix.uses.get(k)!.push(a);
    }
  }
  return ix;
}

/**
 * The literal role names a policy attached at `attach` is bound to, over the facts of its file or
 * module: undefined when a name is computed, a role is not declared there, or nothing attaches it
 * (the caller falls back to iam-refiner.json); [] for an aws_iam_policy nothing attaches.
 */
export function resolveRoles(attach: TfAttach, ix: TfIndex): string[] | undefined {
  const one = (r: TfRole): string[] | undefined => {
    if ('name' in r) return [r.name];
    if ('role' in r) return ix.roles.get(r.role) === undefined ? undefined : [ix.roles.get(r.role)!];
    if ('policy' in r) {
      const out: string[] = [];
      for (const rs of ix.attachments.get(r.policy) ?? []) {
        for (const x of rs) {
          if ('policy' in x) return undefined;
          const n = one(x);
          if (n === undefined) return undefined;
          out.push(...n);
        }
      }
      return out;
    }
    return undefined;
  };
  const ofRoles = (rs: TfRole[]): string[] | undefined => {
    const out: string[] = [];
    for (const r of rs) {
      const n = one(r);
      if (n === undefined) return undefined;
      out.push(...n);
    }
    return out;
  };
  if (!attach) return undefined;
  if ('roles' in attach) return ofRoles(attach.roles);
  const us = ix.uses.get(attach.ref) ?? [];
  if (!us.length) return undefined;
  const out: string[] = [];
  for (const u of us) {
    // a reference used where no role is named (an output, a module argument) binds nothing
    if (!u || !('roles' in u)) return undefined;
    const n = ofRoles(u.roles);
    if (n === undefined) return undefined;
    out.push(...n);
  }
  return out;
}

/** Whether the facts of other files could change how `attach` resolves (a label this file does not declare, a reference, a managed policy). */
export function dependsOnModule(attach: TfAttach, own: TfIndex): boolean {
  if (!attach) return false;
  if ('ref' in attach) return true;
  return attach.roles.some((r) => 'policy' in r || ('role' in r && !own.roles.has(r.role)));
}

/**
 * Sets `attachedRoles` on each policy whose roles the code of its own file names literally, and
 * returns what a module-wide binding needs (`ParsedDocument.terraform`).
 */
export function bindTerraformRoles<V, B extends TfBlock<V>>(
  blocks: B[],
  ops: TfValues<V>,
  policies: PolicyModel[],
  sites: (TfSite<B> | undefined)[],
  scan: () => { uses: [string, TfSite<B>][]; fileUses: TfFileUse[]; fileStrings?: TfFileString[] },
): TfBindingPart {
  let facts: TfFacts | undefined;
  const part: TfBindingPart = {
    attach: sites.map((s) => (s ? siteAttach(ops, s) : undefined)),
    facts: () => {
      if (!facts) {
        const s = scan();
        facts = terraformFacts(blocks, ops, s.uses, s.fileUses, s.fileStrings);
      }
      return facts;
    },
  };
  if (part.attach.some((a) => a)) {
    // the attributes using a policy by reference are scanned only when some policy is used so
    const ix = indexFacts([part.attach.some((a) => a && 'ref' in a) ? part.facts() : terraformFacts(blocks, ops, [], [])]);
    policies.forEach((p, i) => {
      const a = part.attach[i];
      const names = a && 'roles' in a && a.roles.every((x) => 'name' in x) ? a.roles.map((x) => (x as { name: string }).name) : resolveRoles(a, ix);
      if (names && names.length) p.attachedRoles = [...new Set(names)];
    });
  }
  return part;
}

/** What the other files of a Terraform module say about a document (workspace/tfModules.ts reads them). */
export interface CodeBinding {
  /** Per policy (by index): the role names its module attaches it to; undefined: none that is literal. */
  roles: (string[] | undefined)[];
  /** The document is a template of `templatefile()`: where the call is (`main.tf:12`), for messages. */
  template?: string;
  /** The files it was read from, for the hover (`main.tf`, `roles.tf`). */
  from: string[];
}

/** An action Terraform's template engine fills in (`${svc}:Get*`, `%{ if … }`). */
const templated = (v: string) => v.includes('${') || v.includes('%{');

/**
 * The document as its module binds it: each policy's `attachedRoles` replaced by the module's, and
 * for a templatefile() template, every statement whose actions hold a template variable left alone
 * with one information problem (never guessed at); a template that is not JSON until Terraform
 * renders it (a `%{…}` directive outside strings) is one information problem, not a syntax error.
 * Pure: the parsed document is not changed.
 */
export function withCodeBinding(doc: ParsedDocument, code: CodeBinding): ParsedDocument {
  const problems: PolicyProblem[] = [...doc.problems];
  if (code.template && doc.hasSyntaxErrors) {
    const at = doc.text.indexOf('%{');
    if (at >= 0) {
      const message = `not read: this file is a template of templatefile() (${code.template}) with a \`%{…}\` directive; it is JSON only once Terraform renders it, so nothing in it is refined`;
      return { ...doc, policies: [], problems: [{ code: 'not-refinable', message, offset: at, length: 2, severity: 'information' }], hasSyntaxErrors: false, recognised: true };
    }
  }
  const policies = doc.policies.map((p, i) => {
    const roles = code.roles[i];
    let statements = p.statements;
    if (code.template)
      statements = p.statements.map((st) => {
        const e = st.entries.find((x) => templated(x.value));
        if (!e || st.opaque) return st;
        if (!(st.effect === 'Deny' || st.principal || st.suppressed))
          problems.push({ code: 'not-refinable', message: `not refined: the action ${JSON.stringify(e.value)} has a template variable that templatefile() (${code.template}) fills in; this statement is left as it is`, offset: e.span.offset, length: Math.max(1, e.span.length), severity: 'information' });
        return { ...st, opaque: 'a template variable of templatefile()' };
      });
    const q: PolicyModel = { ...p, statements };
    if (roles && roles.length) q.attachedRoles = [...new Set(roles)];
    else delete q.attachedRoles;
    return q;
  });
  problems.sort((a, b) => a.offset - b.offset);
  return { ...doc, policies, problems };
}

/**
 * `data "aws_iam_policy_document"` arguments that merge other documents into it, read the same way
 * in .tf and .tf.json: `source_policy_documents` (and the older `source_json`) add their statements,
 * this document's own winning on a shared sid; `override_policy_documents` (`override_json`)
 * replace this document's statement that has their sid. Only the document's own statements are read.
 */
export const MERGE_ARGUMENTS = ['source_policy_documents', 'source_json', 'override_policy_documents', 'override_json'] as const;

/** What a merge argument means for the document's own statements, in words (one information diagnostic at the argument). */
export function mergeNote(label: string, argument: (typeof MERGE_ARGUMENTS)[number]): string {
  return argument.startsWith('source')
    ? `${label} also takes the statements of \`${argument}\` (merged by Terraform): only its own statements are read and refined here; the merged documents are refined where they are written`
    : `${label} is overridden by \`${argument}\` (merged by Terraform): a document there replaces the statement with its sid, so this document's statements with a sid are left as they are; those without a sid are refined`;
}

/** Why a statement with a sid in an overridden document is not refined. */
export const OVERRIDDEN = 'an `override_policy_documents` document may replace it (the same sid)';
