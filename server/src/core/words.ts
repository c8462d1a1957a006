/**
 * Word splitting for action names (the rule's step 1): an uppercase letter followed by lowercase
 * letters or digits (`Get`, `V2`), a run of capitals not followed by a lowercase letter (an acronym:
 * `CORS`, `MFA`), or a run of lowercase letters/digits; any other character stands alone.
 */
const WORD = /[A-Z][a-z0-9]+|[A-Z]+(?![a-z])|[a-z0-9]+|[^A-Za-z0-9]/g;

export function splitWords(name: string): string[] {
  return name.match(WORD) ?? [];
}

/**
 * Offsets in a full action name (`service:Action`) at which a word ends. The service prefix and its
 * colon form one token, so the first boundary is just after the colon.
 */
export function wordBoundaries(fullName: string): number[] {
  const colon = fullName.indexOf(':');
  const out: number[] = [];
  let at = colon + 1;
  out.push(at);
  WORD.lastIndex = 0;
  const rest = fullName.slice(at);
  for (const w of rest.match(WORD) ?? []) {
    at += w.length;
    out.push(at);
  }
  return out;
}
