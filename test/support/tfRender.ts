/**
 * Renders generated policies (generators.ts's PolicySpec) into Terraform in random layouts, in the
 * three forms users write: `jsonencode({...})`, `data "aws_iam_policy_document"` statement blocks,
 * and heredoc JSON. The renderer records where it wrote each statement's action list and each
 * statement, so that tests know which bytes an edit may touch without asking the locator.
 */
import { PolicySpec, StatementSpec, prng, writeJsonc, Layout as JsonLayout } from './generators';

export type TfForm = 'jsonencode' | 'document' | 'heredoc';

export interface TfLayout {
  indent: string;
  eol: string;
  /** Chance that a list is written inline. */
  inlineLists: number;
  trailingCommas: number;
  comments: number;
  /** `=` aligned in blocks and objects. */
  align: boolean;
  quotedKeys: number;
  /** Blank lines between statement blocks. */
  blankLines: boolean;
  /** `<<-EOF` (indented) rather than `<<EOF`. */
  indentedHeredoc: boolean;
  seed: number;
}

/** Where the renderer wrote a statement: [start, end) offsets. */
export interface StatementZones {
  /** The statement (object or block). */
  statement: [number, number];
  /** From the action key to the end of its value. */
  actions?: [number, number];
}

export interface Rendered {
  text: string;
  /** The form (test/support/tfJsonRender.ts adds Terraform JSON's). */
  form: TfForm | 'json-string' | 'json-document';
  zones: StatementZones[];
  /** Where the statement list is: the tuple of a jsonencode policy, the body of a policy document. */
  list: [number, number];
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

class Writer {
  out = '';
  n = 0;
  constructor(readonly l: TfLayout, readonly r: () => number) {}
  chance(p: number) {
    return p > 0 && this.r() < p;
  }
  w(s: string) {
    this.out += s;
  }
  get at() {
    return this.out.length;
  }
  ind(d: number) {
    return this.l.indent.repeat(d);
  }
  comment(): string {
    const k = Math.floor(this.r() * 3);
    const c = this.n++;
    return k === 0 ? `# c${c}` : k === 1 ? `// c${c}` : `/* c${c} */`;
  }
  /** A comment that can close a line. */
  lineComment(): string {
    return this.chance(this.l.comments / 2) ? ' ' + this.comment() : '';
  }
  str(s: string) {
    return JSON.stringify(s);
  }
  key(k: string) {
    return IDENT.test(k) && !this.chance(this.l.quotedKeys) ? k : this.str(k);
  }
}

function writeList(w: Writer, items: string[], d: number, forceInline = false): void {
  const { eol } = w.l;
  if (forceInline || w.chance(w.l.inlineLists)) {
    const sep = w.r() < 0.8 ? ', ' : ',';
    w.w('[' + items.map((x) => w.str(x)).join(sep) + (w.chance(w.l.trailingCommas / 2) ? ',' : '') + ']');
    return;
  }
  w.w('[' + eol);
  items.forEach((x, i) => {
    if (w.chance(w.l.comments / 3)) w.w(w.ind(d + 1) + w.comment() + eol);
    w.w(w.ind(d + 1) + w.str(x) + (i < items.length - 1 || w.chance(w.l.trailingCommas) ? ',' : '') + w.lineComment() + eol);
  });
  w.w(w.ind(d) + ']');
}

/** A JSON-like value as an HCL expression. */
function writeValue(w: Writer, v: unknown, d: number): void {
  if (typeof v === 'string') w.w(w.str(v));
  else if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) writeList(w, v as string[], d);
    else writeObjectList(w, v, d);
  } else if (v && typeof v === 'object') writeObject(w, Object.entries(v), d);
  else w.w(JSON.stringify(v));
}

function writeObjectList(w: Writer, v: unknown[], d: number): void {
  const { eol } = w.l;
  w.w('[' + eol);
  v.forEach((x, i) => {
    w.w(w.ind(d + 1));
    writeValue(w, x, d + 1);
    w.w((i < v.length - 1 || w.chance(w.l.trailingCommas) ? ',' : '') + eol);
  });
  w.w(w.ind(d) + ']');
}

function writeObject(w: Writer, entries: [string, unknown][], d: number, onKey?: (k: string, keyStart: number, valStart: number, valEnd: number) => void): void {
  const { eol } = w.l;
  const keys = entries.map(([k]) => w.key(k));
  const width = w.l.align ? Math.max(...keys.map((k) => k.length)) : 0;
  const commas = w.r() < 0.3;
  w.w('{' + eol);
  entries.forEach(([k, v], i) => {
    if (w.chance(w.l.comments / 3)) w.w(w.ind(d + 1) + w.comment() + eol);
    w.w(w.ind(d + 1));
    const keyStart = w.at;
    w.w(keys[i] + ' '.repeat(Math.max(0, width - keys[i].length)) + ' = ');
    const valStart = w.at;
    writeValue(w, v, d + 1);
    onKey?.(k, keyStart, valStart, w.at);
    w.w((commas && i < entries.length - 1 ? ',' : '') + w.lineComment() + eol);
  });
  w.w(w.ind(d) + '}');
}

function header(w: Writer, spec: PolicySpec): void {
  const { eol } = w.l;
  if (w.chance(w.l.comments)) w.w(`# c${w.n++} policies under test` + eol);
  // a decoy that holds no policy
  if (w.r() < 0.3) w.w(`variable "svc" {${eol}${w.ind(1)}default = "s3"${eol}}${eol}${eol}`);
  void spec;
}

function renderJsonencode(w: Writer, spec: PolicySpec): Rendered {
  const { eol } = w.l;
  const zones: StatementZones[] = [];
  header(w, spec);
  w.w(`resource "aws_iam_policy" "under_test" {${eol}`);
  w.w(`${w.ind(1)}name${w.l.align ? '  ' : ''} = "under-test"${eol}`);
  w.w(`${w.ind(1)}policy = jsonencode({${eol}`);
  const top = Object.entries(spec.value);
  let list: [number, number] = [0, 0];
  top.forEach(([k, v]) => {
    w.w(w.ind(2) + w.key(k) + ' = ');
    if (k !== 'Statement') w.w(w.str(v as string));
    else {
      const sts = spec.singleObject ? [v] : (v as unknown[]);
      const writeSt = (o: unknown) => {
        const start = w.at;
        const z: StatementZones = { statement: [start, start] };
        writeObject(w, Object.entries(o as object), spec.singleObject ? 2 : 3, (key, ks, _vs, ve) => {
          if (key === 'Action' || key === 'NotAction') z.actions = [ks, ve];
        });
        z.statement[1] = w.at;
        zones.push(z);
      };
      if (spec.singleObject) {
        list = [w.at, w.at];
        writeSt(sts[0]);
        list[1] = w.at;
      } else {
        list[0] = w.at;
        w.w('[' + eol);
        sts.forEach((o, i) => {
          if (w.chance(w.l.comments / 3)) w.w(w.ind(3) + w.comment() + eol);
          w.w(w.ind(3));
          writeSt(o);
          w.w((i < sts.length - 1 || w.chance(w.l.trailingCommas) ? ',' : '') + w.lineComment() + eol);
        });
        w.w(w.ind(2) + ']');
        list[1] = w.at;
      }
    }
    w.w(eol);
  });
  w.w(`${w.ind(1)}})${eol}}${eol}`);
  return { text: w.out, form: 'jsonencode', zones, list };
}

function renderDocument(w: Writer, spec: PolicySpec): Rendered {
  const { eol } = w.l;
  const zones: StatementZones[] = [];
  header(w, spec);
  w.w(`data "aws_iam_policy_document" "under_test" {${eol}`);
  const list: [number, number] = [w.at, 0];
  spec.statements.forEach((s, i) => {
    if (i > 0 && w.l.blankLines) w.w(eol);
    if (w.chance(w.l.comments / 2)) w.w(w.ind(1) + w.comment() + eol);
    const start = w.at;
    w.w(`${w.ind(1)}statement {${eol}`);
    const z: StatementZones = { statement: [start, start] };
    const attrs: [string, (d: number) => void][] = [];
    const o = s.object as Record<string, unknown>;
    const asList = (v: unknown) => (Array.isArray(v) ? (v as string[]) : [v as string]);
    for (const [k, v] of Object.entries(o)) {
      if (k === 'Sid') attrs.push(['sid', () => w.w(w.str(v as string))]);
      else if (k === 'Effect') {
        if (v === 'Deny' || w.r() < 0.6) attrs.push(['effect', () => w.w(w.str(v as string))]);
      } else if (k === 'Action' || k === 'NotAction') attrs.push([k === 'Action' ? 'actions' : 'not_actions', (d) => writeList(w, asList(v), d)]);
      else if (k === 'Resource') attrs.push(['resources', (d) => writeList(w, asList(v), d)]);
      else if (k === 'NotResource') attrs.push(['not_resources', (d) => writeList(w, asList(v), d)]);
    }
    const width = w.l.align ? Math.max(...attrs.map(([k]) => k.length)) : 0;
    for (const [k, write] of attrs) {
      if (w.chance(w.l.comments / 4)) w.w(w.ind(2) + w.comment() + eol);
      w.w(w.ind(2));
      const ks = w.at;
      w.w(k + ' '.repeat(Math.max(0, width - k.length)) + ' = ');
      write(2);
      if (k === 'actions' || k === 'not_actions') z.actions = [ks, w.at];
      w.w(w.lineComment() + eol);
    }
    const cond = o.Condition as Record<string, Record<string, unknown>> | undefined;
    for (const [test, vars] of Object.entries(cond ?? {}))
      for (const [variable, values] of Object.entries(vars)) {
        w.w(`${w.ind(2)}condition {${eol}${w.ind(3)}test     = ${w.str(test)}${eol}${w.ind(3)}variable = ${w.str(variable)}${eol}${w.ind(3)}values   = `);
        writeList(w, asList(values), 3);
        w.w(`${eol}${w.ind(2)}}${eol}`);
      }
    const pr = o.Principal as Record<string, string> | undefined;
    for (const [type, id] of Object.entries(pr ?? {})) w.w(`${w.ind(2)}principals {${eol}${w.ind(3)}type        = ${w.str(type)}${eol}${w.ind(3)}identifiers = [${w.str(id)}]${eol}${w.ind(2)}}${eol}`);
    w.w(`${w.ind(1)}}`);
    z.statement[1] = w.at;
    w.w(w.lineComment() + eol);
    zones.push(z);
  });
  list[1] = w.at;
  w.w(`}${eol}${eol}resource "aws_iam_policy" "under_test" {${eol}${w.ind(1)}policy = data.aws_iam_policy_document.under_test.json${eol}}${eol}`);
  return { text: w.out, form: 'document', zones, list };
}

function renderHeredoc(w: Writer, spec: PolicySpec, json: JsonLayout): Rendered {
  const { eol } = w.l;
  header(w, spec);
  w.w(`resource "aws_iam_role_policy" "under_test" {${eol}${w.ind(1)}role   = "app"${eol}`);
  const tag = w.r() < 0.5 ? 'EOF' : 'POLICY';
  const indented = w.l.indentedHeredoc;
  w.w(`${w.ind(1)}policy = <<${indented ? '-' : ''}${tag}${eol}`);
  // plain JSON inside (IAM reads it): no comments, no trailing commas
  let body = writeJsonc(spec.value, { ...json, eol, comments: 0, trailingCommas: 0, escapes: 0 });
  if (!body.endsWith(eol)) body += eol;
  if (indented) body = body.split(eol).map((l) => (l ? w.ind(2) + l : l)).join(eol);
  const from = w.at;
  w.w(body);
  w.w(`${indented ? w.ind(2) : ''}${tag}${eol}}${eol}`);
  return { text: w.out, form: 'heredoc', zones: [], list: [from, from + body.length] };
}

export function renderTerraform(spec: PolicySpec, form: TfForm, layout: TfLayout, json: JsonLayout): Rendered {
  const w = new Writer(layout, prng(layout.seed));
  if (form === 'jsonencode') return renderJsonencode(w, spec);
  if (form === 'document') return renderDocument(w, spec);
  return renderHeredoc(w, spec, json);
}

/** Statements the policy-document form can say: Condition and Principal in the shapes the generator makes, and a list of strings for actions. */
export function documentable(s: StatementSpec): boolean {
  return s.values.length > 0;
}
