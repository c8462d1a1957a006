/**
 * CloudFormation's short-form intrinsic functions as YAML tags (`!Ref`, `!Sub`, `!If`…), for the
 * `yaml` package: each registered for a scalar, a sequence and a mapping, so a template parses
 * without warnings and the tagged node keeps its syntax (for reading and exact ranges).
 */
import { Node, YAMLMap, YAMLSeq, isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Document, ScalarTag, CollectionTag } from 'yaml';

/** Short tag -> the long form's key. */
export const CFN_TAGS: ReadonlyMap<string, string> = new Map(
  ['Ref', 'Condition', 'Sub', 'GetAtt', 'Join', 'If', 'Select', 'Split', 'ImportValue', 'FindInMap', 'Base64', 'Cidr', 'GetAZs', 'Equals', 'Not', 'And', 'Or', 'Transform', 'Length', 'ToJsonString'].map((n) => [
    `!${n}`,
    n === 'Ref' || n === 'Condition' ? n : `Fn::${n}`,
  ]),
);

/** The custom tags the YAML format parses with: the nodes stay as written (tag and range kept). */
export const cfnCustomTags: (ScalarTag | CollectionTag)[] = [...CFN_TAGS.keys()].flatMap((tag) => [
  { tag, resolve: (s: string) => s } as ScalarTag,
  { tag, collection: 'seq', resolve: (v: unknown) => v } as unknown as CollectionTag,
  { tag, collection: 'map', resolve: (v: unknown) => v } as unknown as CollectionTag,
]);

/** The intrinsic function a node is (`Fn::If`, `Ref`…), written short (`!If`) or long (`Fn::If:`), or undefined. */
export function intrinsicName(n: unknown): string | undefined {
  if (!n || typeof n !== 'object') return undefined;
  const tag = (n as Node).tag;
  if (tag && CFN_TAGS.has(tag)) return CFN_TAGS.get(tag);
  if (isMap(n) && n.items.length === 1) {
    const k = n.items[0].key;
    if (isScalar(k) && typeof k.value === 'string' && (k.value === 'Ref' || k.value === 'Condition' || k.value.startsWith('Fn::'))) return k.value;
  }
  return undefined;
}

/** The argument of an intrinsic (the tagged node itself, or the long form's value). */
export function intrinsicArgument(n: Node): unknown {
  const tag = n.tag;
  if (tag && CFN_TAGS.has(tag)) return n;
  return (n as YAMLMap).items[0].value;
}

/** A node as a JSON value, intrinsics in their long form (`{"Fn::Sub": "…"}`), aliases resolved. */
export function toValue(n: unknown, doc: Document | undefined, depth = 0): unknown {
  if (depth > 64) return null;
  if (n === null || n === undefined) return null;
  if (isAlias(n)) return doc ? toValue(n.resolve(doc), doc, depth + 1) : null;
  let v: unknown;
  if (isScalar(n)) v = n.value;
  else if (isSeq(n)) v = (n as YAMLSeq).items.map((x) => toValue(x, doc, depth + 1));
  else if (isMap(n)) {
    const o: Record<string, unknown> = {};
    for (const p of (n as YAMLMap).items) {
      if (!isPair(p)) continue;
      const k = toValue(p.key, doc, depth + 1);
      o[typeof k === 'string' ? k : JSON.stringify(k)] = toValue(p.value, doc, depth + 1);
    }
    v = o;
  } else return null;
  const tag = (n as Node).tag;
  if (tag && CFN_TAGS.has(tag)) return { [CFN_TAGS.get(tag)!]: v };
  return v;
}
