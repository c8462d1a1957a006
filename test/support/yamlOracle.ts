/**
 * The oracle's own reading of YAML: the `yaml` package's plain parse() to a JS value, with
 * CloudFormation's short tags turned into their long form by tag handlers written here (not the
 * format's locator).
 */
import type { ScalarTag, CollectionTag } from 'yaml';

const SHORT = ['Ref', 'Condition', 'Sub', 'GetAtt', 'Join', 'If', 'Select', 'Split', 'ImportValue', 'FindInMap', 'Base64', 'Cidr', 'GetAZs', 'Equals', 'Not', 'And', 'Or'];
const longName = (n: string) => (n === 'Ref' || n === 'Condition' ? n : `Fn::${n}`);

/** `!Sub x` -> `{"Fn::Sub": x}`, for scalars, sequences and mappings. */
export const longFormTags: (ScalarTag | CollectionTag)[] = SHORT.flatMap((n) => [
  { tag: `!${n}`, resolve: (s: string) => ({ [longName(n)]: s }) } as unknown as ScalarTag,
  { tag: `!${n}`, collection: 'seq', resolve: (v: { toJSON(): unknown }) => ({ [longName(n)]: v.toJSON() }) } as unknown as CollectionTag,
  { tag: `!${n}`, collection: 'map', resolve: (v: { toJSON(): unknown }) => ({ [longName(n)]: v.toJSON() }) } as unknown as CollectionTag,
]);
