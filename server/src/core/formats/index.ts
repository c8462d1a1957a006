/**
 * The registry of host formats: which format reads a file, by its name. Adding a format is a new
 * module and one line here; the engine never changes for it.
 */
import { HostFormat, ParsedDocument } from '../model';
import { jsonFormat } from './json';
import { terraformJsonFormat } from './tfjson';
import { FormatInfo, terraformInfo, yamlInfo } from './sniff';
import type { TfFacts } from './tfBinding';

/**
 * A format known by its name and cheap test, whose parser (and library) is required on first use:
 * a command over JSON policies never loads the YAML or HCL parsers. The bundler puts each in a file
 * of its own (scripts/bundle.mjs).
 */
function deferred(info: FormatInfo, load: () => HostFormat): HostFormat {
  let real: HostFormat | undefined;
  const get = () => (real ??= load());
  return {
    ...info,
    init: async () => {
      const f = get();
      if (f.init) await f.init();
    },
    parse: (text, opts) => get().parse(text, opts),
    edits: (doc, plans) => get().edits(doc, plans),
  };
}

/* eslint-disable @typescript-eslint/no-require-imports */
export const yamlFormat = deferred(yamlInfo, () => (require('./yaml') as typeof import('./yaml')).yamlFormat);
export const terraformFormat = deferred(terraformInfo, () => (require('./terraform') as typeof import('./terraform')).terraformFormat);
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * In the order a file name is tried: `main.tf.json` is Terraform JSON, never a plain JSON policy
 * (the JSON format refuses the name as well). Terraform JSON needs no parser of its own (jsonc-parser,
 * as JSON), so it is not deferred.
 */
export const FORMATS: readonly HostFormat[] = [terraformJsonFormat, jsonFormat, yamlFormat, terraformFormat];

const ready = new Map<HostFormat, Promise<void>>();

function initFormat(f: HostFormat): Promise<void> {
  let p = ready.get(f);
  if (!p) ready.set(f, (p = f.init ? f.init() : Promise.resolve()));
  return p;
}

/** Makes every format ready to parse. */
export async function initFormats(): Promise<void> {
  await Promise.all(FORMATS.map(initFormat));
}

/** Makes the format of a file ready to parse (a WASM parser loads on the first file that needs it, once). */
export function ensureFormat(fileName?: string): Promise<void> {
  return initFormat(formatFor(fileName));
}

/** The format of a file by its name (JSON when nothing else claims it, or when no name is given). */
export function formatFor(fileName?: string): HostFormat {
  if (fileName) for (const f of FORMATS) if (f.claims(fileName)) return f;
  return jsonFormat;
}

/** Whether any format reads files of this name (others are never opened when searching a folder). */
export function isPolicyFileName(fileName: string): boolean {
  return FORMATS.some((f) => f.claims(fileName));
}

/** Finds the IAM policies in a document, read by the format of its file name (JSON by default). */
export function parsePolicyDocument(text: string, fileName?: string, opts?: { fresh?: boolean }): ParsedDocument {
  return formatFor(fileName).parse(text, opts);
}

/** Cheap test before any parsing: documents that cannot hold a policy cost nothing. */
export function mayContainPolicy(text: string, fileName?: string): boolean {
  return formatFor(fileName).mayContainPolicy(text);
}

/**
 * The role-binding facts of a Terraform file (`.tf` or `.tf.json`) of a module, read for another
 * file's binding: parsed afresh, so that the kept tree of the document being edited stays the
 * previous parse (the format must be ready: ensureFormat). Undefined for other files.
 */
export function terraformFactsOf(text: string, fileName: string): TfFacts | undefined {
  if (terraformJsonFormat.claims(fileName)) {
    const facts = terraformJsonFormat.parse(text).terraform?.facts();
    if (!facts?.fileStrings?.length) return facts;
    // `"${file(\"p.json\")}"`: HCL inside a string, read with the HCL parser (ready: ensureFormat of a .tf name)
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { fileCallOfTemplate } = require('./terraform') as typeof import('./terraform');
    const calls = facts.fileStrings.flatMap((s) => {
      const c = fileCallOfTemplate(s.value);
      return c ? [{ ...c, offset: s.offset, attach: s.attach }] : [];
    });
    return { ...facts, fileUses: [...facts.fileUses, ...calls] };
  }
  if (!terraformInfo.claims(fileName)) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('./terraform') as typeof import('./terraform')).parseTerraform(text, { fresh: true }).terraform?.facts();
}

export { jsonFormat, terraformJsonFormat };
export { indexFacts, resolveRoles, dependsOnModule, withCodeBinding } from './tfBinding';
export type { CodeBinding, TfFacts, TfFileUse, TfAttach } from './tfBinding';
