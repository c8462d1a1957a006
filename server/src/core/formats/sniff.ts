/**
 * What the registry knows of each format before its parser is loaded: its name, the files it
 * claims, and the cheap test that lets most files cost nothing. The parsers themselves (yaml.ts,
 * terraform.ts, with their libraries) load on the first file that needs them.
 */
import type { HostFormat } from '../model';

export type FormatInfo = Pick<HostFormat, 'id' | 'name' | 'claims' | 'mayContainPolicy'>;

/** Cheap: a template, a Serverless file or a policy document names statements (or SAM's policies); other YAML costs a substring search. */
export function yamlMayContainPolicy(text: string): boolean {
  return text.includes('Statement') || text.includes('statements') || text.includes('AWS::Serverless');
}

export const yamlInfo: FormatInfo = {
  id: 'yaml',
  name: 'YAML',
  claims: (fileName) => /\.ya?ml$/i.test(fileName),
  mayContainPolicy: yamlMayContainPolicy,
};

export const terraformInfo: FormatInfo = {
  id: 'terraform',
  name: 'Terraform',
  claims: (fileName) => /\.tf$/i.test(fileName),
  mayContainPolicy: (text) => /statement/i.test(text),
};

/** Terraform's JSON syntax: policies sit in JSON strings (escaped: `\"Statement\"`) or in `statement` objects. */
export const terraformJsonInfo: FormatInfo = {
  id: 'terraform-json',
  name: 'Terraform JSON',
  claims: (fileName) => /\.tf\.json$/i.test(fileName),
  mayContainPolicy: (text) => /statement/i.test(text),
};
