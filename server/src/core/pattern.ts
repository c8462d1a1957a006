/** IAM action patterns: `*` and `?` wildcards, case-insensitive, `service:Action` or a bare `*`. */

export function isWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/** The lower-cased text before the first wildcard character. */
export function literalPrefix(pattern: string): string {
  const i = pattern.search(/[*?]/);
  return (i < 0 ? pattern : pattern.slice(0, i)).toLowerCase();
}

const cache = new Map<string, RegExp>();

export function patternRegExp(pattern: string): RegExp {
  const key = pattern.toLowerCase();
  let re = cache.get(key);
  if (!re) {
    let src = '^';
    for (const ch of key) {
      if (ch === '*') src += '.*';
      else if (ch === '?') src += '.';
      else src += ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
    }
    re = new RegExp(src + '$', 's');
    if (cache.size > 10000) cache.clear();
    cache.set(key, re);
  }
  return re;
}

export function matchesPattern(pattern: string, action: string): boolean {
  return patternRegExp(pattern).test(action.toLowerCase());
}

/** A pattern is well formed when it is `*` or has a service prefix and a colon. */
export function patternShapeError(pattern: string): string | undefined {
  if (pattern === '*') return undefined;
  if (pattern.length === 0) return 'an empty action string';
  if (/\s/.test(pattern)) return `"${pattern}" contains white space`;
  const colon = pattern.indexOf(':');
  if (colon < 0) {
    if (isWildcard(pattern)) return undefined; // e.g. "s3*" still matches as a glob over service:action
    return `"${pattern}" has no service prefix (expected service:Action)`;
  }
  if (colon === 0) return `"${pattern}" has an empty service prefix`;
  return undefined;
}
