/**
 * The registry of host formats: which format reads a file, by its name. Adding a format is a new
 * module and one line here; the engine never changes for it.
 */
import { HostFormat, ParsedDocument } from '../model';
import { jsonFormat } from './json';
import { terraformFormat } from './terraform';
import { yamlFormat } from './yaml';

export const FORMATS: readonly HostFormat[] = [jsonFormat, yamlFormat, terraformFormat];

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
export function parsePolicyDocument(text: string, fileName?: string): ParsedDocument {
  return formatFor(fileName).parse(text);
}

/** Cheap test before any parsing: documents that cannot hold a policy cost nothing. */
export function mayContainPolicy(text: string, fileName?: string): boolean {
  return formatFor(fileName).mayContainPolicy(text);
}

export { jsonFormat, terraformFormat, yamlFormat };
