/**
 * The format-neutral policy model: what every host format (policy JSON, CloudFormation, YAML,
 * Terraform…) reads out of its text, with exact ranges. The engine (refine, analyze, verify) sees
 * only this; each format keeps its own syntax tree in `host` for writing edits.
 */
import type { PolicyPlan } from './plan';
import type { TextEdit } from './edits';

/** A range of the text: [offset, offset + length). */
export interface Span {
  offset: number;
  length: number;
}

/** One string in an Action or NotAction value, with its exact place in the text. */
export interface ActionEntry {
  value: string;
  /** The whole literal as written (quotes included where the format has them). */
  span: Span;
  /** Index in the list, or -1 when the value is a single string. */
  index: number;
}

export interface StatementModel {
  span: Span;
  /** Index in the statement list, or -1 when the statement is the only one (an object, not a list). */
  index: number;
  effect?: string;
  sid?: string;
  key?: 'Action' | 'NotAction';
  /** Where the Action/NotAction key is written (or the statement, where the format has no key). */
  keySpan?: Span;
  entries: ActionEntry[];
  /** Something the engine cannot reason about exactly (a non-string action, both keys…): never edited. */
  opaque?: string;
  /** Opted out of refinement by a Sid starting with NOREPO (Repokid's convention): never edited, no unused warnings. */
  suppressed?: boolean;
  /** The statement names a Principal/NotPrincipal: a resource or trust policy, not a role's permission. */
  principal?: boolean;
  /** The statement's other fields (Resource, Condition, Sid…) as a canonical JSON value: what refinement must never change. */
  rest(): unknown;
  /** The format's own handle (syntax nodes) for writing edits. */
  host?: unknown;
}

export interface PolicyModel {
  /** A human label: "policy" or the location in its host document (`Role.Policies[0]`). */
  label: string;
  span: Span;
  /** Where the policy's Statement key is (for problems about the policy as a whole). */
  statementKeySpan: Span;
  statements: StatementModel[];
  /** How many elements the statement list holds, the unreadable ones too. */
  statementCount: number;
  /** The policy as IAM would read it (JSON value), for its size. */
  value(): unknown;
  /** The role names the host document attaches this policy to, where it says so literally. */
  attachedRoles?: string[];
  host?: unknown;
}

export type ProblemSeverity = 'error' | 'warning' | 'information';

export interface PolicyProblem {
  /** `invalid-json` / `invalid-syntax`: the text does not parse; `invalid-policy`: it parses but is not a policy IAM accepts. */
  code: 'invalid-json' | 'invalid-syntax' | 'invalid-policy' | 'not-refinable';
  message: string;
  offset: number;
  length: number;
  severity: ProblemSeverity;
}

export const isSyntaxProblem = (p: { code: string }): boolean => p.code === 'invalid-json' || p.code === 'invalid-syntax';

export interface ParsedDocument {
  format: HostFormat;
  text: string;
  policies: PolicyModel[];
  problems: PolicyProblem[];
  hasSyntaxErrors: boolean;
  /** The document looks like it holds policies (the format recognised it), even if none could be read. */
  recognised: boolean;
  host?: unknown;
  /** Terraform (.tf, .tf.json): where each policy is attached and the file's facts, for binding across the files of a module. */
  terraform?: import('./formats/tfBinding').TfBindingPart;
}

/**
 * A host format: how IAM policies sit in one kind of file. Registered in formats/index.ts; the
 * engine never changes for a new one.
 */
export interface HostFormat {
  readonly id: string;
  /** A human name for messages: "JSON", "YAML", "Terraform". */
  readonly name: string;
  /**
   * Loads what parsing needs once per process (a WASM parser, say); `parse` may be called only
   * after it resolved. Formats without it are ready at once.
   */
  init?(): Promise<void>;
  /** Whether a file of this name is this format's (by its name alone). */
  claims(fileName: string): boolean;
  /** A cheap test before any parsing: documents that cannot hold a policy cost nothing. */
  mayContainPolicy(text: string): boolean;
  /**
   * The policies in the text, with exact ranges, and the problems found reading it. A format may keep
   * the previous parse to read an edited text faster; `fresh` reads the text on its own, neither using
   * nor replacing what is kept (a text that is not the document's next version: a refinement's result).
   */
  parse(text: string, opts?: { fresh?: boolean }): ParsedDocument;
  /** Minimal edits carrying out the plans, in the file's own syntax and style (never overlapping). */
  edits(doc: ParsedDocument, plans: PolicyPlan[]): TextEdit[];
}

/** The statement's fields other than its actions, as a value: what must not change when actions are refined. */
export function statementRest(st: StatementModel): unknown {
  return st.rest();
}

/** IAM's size limits, in characters without white space (IAM does not count it). */
export const MANAGED_POLICY_LIMIT = 6144;
export const INLINE_ROLE_POLICY_LIMIT = 10240;

/** A policy's size as IAM counts it against its limits: its JSON without white space. */
export function policySize(policy: PolicyModel): number {
  return JSON.stringify(policy.value()).length;
}
