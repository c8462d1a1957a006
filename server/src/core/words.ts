/**
 * Word splitting for action names (the rule's step 1): an uppercase letter followed by lowercase
 * letters or digits (`Get`, `V2`), a run of capitals not followed by a lowercase letter (an acronym:
 * `CORS`, `MFA`), or a run of lowercase letters/digits; any other character stands alone.
 */
const WORD = /[A-Z][a-z0-9]+|[A-Z]+(?![a-z])|[a-z0-9]+|[^A-Za-z0-9]/g;

export function splitWords(name: string): string[] {
  return name.match(WORD) ?? [];
}

const isUpper = (c: number) => c >= 65 && c <= 90;
const isLowerOrDigit = (c: number) => (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
const isLowerCase = (c: number) => c >= 97 && c <= 122;

/** Where the word starting at `at` ends: WORD's first match at `at`, by hand (no regex, no allocation). */
function wordEnd(s: string, at: number): number {
  const c = s.charCodeAt(at);
  if (isUpper(c)) {
    let e = at + 1;
    if (e < s.length && isLowerOrDigit(s.charCodeAt(e))) {
      // [A-Z][a-z0-9]+
      while (e < s.length && isLowerOrDigit(s.charCodeAt(e))) e++;
      return e;
    }
    // [A-Z]+(?![a-z]): the run of capitals, less its last when a lowercase letter follows
    while (e < s.length && isUpper(s.charCodeAt(e))) e++;
    return e < s.length && isLowerCase(s.charCodeAt(e)) ? e - 1 : e;
  }
  if (isLowerOrDigit(c)) {
    let e = at + 1;
    while (e < s.length && isLowerOrDigit(s.charCodeAt(e))) e++;
    return e;
  }
  return at + 1;
}

/**
 * Offsets in a full action name (`service:Action`) at which a word ends. The service prefix and its
 * colon form one token, so the first boundary is just after the colon.
 */
export function wordBoundaries(fullName: string): number[] {
  let at = fullName.indexOf(':') + 1;
  const out = [at];
  while (at < fullName.length) out.push((at = wordEnd(fullName, at)));
  return out;
}

/** The first of wordBoundaries(fullName) beyond `after`, or -1: the same offsets, without making the list. */
export function firstBoundaryAfter(fullName: string, after: number): number {
  let at = fullName.indexOf(':') + 1;
  if (at > after) return at;
  while (at < fullName.length) if ((at = wordEnd(fullName, at)) > after) return at;
  return -1;
}
