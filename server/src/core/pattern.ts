/** IAM action patterns: `*` and `?` wildcards, case-insensitive, `service:Action` or a bare `*`. */

export function isWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/** The lower-cased text before the first wildcard character. */
export function literalPrefix(pattern: string): string {
  const i = pattern.search(/[*?]/);
  return (i < 0 ? pattern : pattern.slice(0, i)).toLowerCase();
}

/** A compiled pattern: `test` takes a lower-cased name. */
export interface PatternMatcher {
  test(lowerName: string): boolean;
}

/**
 * A pattern compiled for matching without backtracking. The lower-cased pattern is cut at its `*`
 * runs into segments (which may hold `?`, one UTF-16 unit each): the first segment must match at the
 * start, the last at the end, and each middle segment is matched at its leftmost place after the
 * previous one. Leftmost-first is always right for `*` globs (a later place leaves less room for
 * what follows, never more), so nothing is ever retried: the time is at most |segment| × |name| per
 * segment and every segment consumes its length of the name, whatever the pattern (`***a***b` and
 * `*a*a*a…` included). No regular expression is built, so no input can make matching exponential.
 */
class Glob implements PatternMatcher {
  private readonly head: string;
  private readonly tail: string;
  private readonly middle: string[];
  private readonly minLength: number;
  private readonly star: boolean;

  constructor(lower: string) {
    const parts = lower.split(/\*+/);
    this.star = parts.length > 1;
    this.head = parts[0];
    this.tail = this.star ? parts[parts.length - 1] : '';
    this.middle = this.star ? parts.slice(1, -1).filter((s) => s.length > 0) : [];
    this.minLength = parts.reduce((n, s) => n + s.length, 0);
  }

  test(s: string): boolean {
    if (!this.star) return s.length === this.head.length && segmentAt(this.head, s, 0);
    if (s.length < this.minLength) return false;
    if (!segmentAt(this.head, s, 0)) return false;
    const end = s.length - this.tail.length;
    if (!segmentAt(this.tail, s, end)) return false;
    let at = this.head.length;
    for (const seg of this.middle) {
      const found = indexOfSegment(seg, s, at, end);
      if (found < 0) return false;
      at = found + seg.length;
    }
    return true;
  }
}

/** Does `seg` (`?` = any one unit) match `s` at `at`? */
function segmentAt(seg: string, s: string, at: number): boolean {
  if (at < 0 || at + seg.length > s.length) return false;
  for (let i = 0; i < seg.length; i++) {
    const c = seg.charCodeAt(i);
    if (c !== 63 /* ? */ && c !== s.charCodeAt(at + i)) return false;
  }
  return true;
}

/** The leftmost place in [from, end) where `seg` matches entirely before `end`, or -1. */
function indexOfSegment(seg: string, s: string, from: number, end: number): number {
  if (!seg.includes('?')) {
    const i = s.indexOf(seg, from);
    return i >= 0 && i + seg.length <= end ? i : -1;
  }
  for (let i = from; i + seg.length <= end; i++) if (segmentAt(seg, s, i)) return i;
  return -1;
}

const cache = new Map<string, PatternMatcher>();

/** The compiled matcher of a pattern (cached by its lower-cased spelling). */
export function patternMatcher(pattern: string): PatternMatcher {
  const key = pattern.toLowerCase();
  let m = cache.get(key);
  if (!m) {
    m = new Glob(key);
    if (cache.size > 10000) cache.clear();
    cache.set(key, m);
  }
  return m;
}

export function matchesPattern(pattern: string, action: string): boolean {
  return patternMatcher(pattern).test(action.toLowerCase());
}

/** A pattern is well formed when it is `*` or has a service prefix and a colon. */
export function patternShapeError(pattern: string): string | undefined {
  if (pattern === '*') return undefined;
  if (pattern.trim().length === 0) return pattern.length === 0 ? 'an empty action string' : 'a blank action string';
  if (/\s/.test(pattern)) return `${JSON.stringify(pattern)} contains white space`;
  const colon = pattern.indexOf(':');
  if (colon < 0) {
    if (isWildcard(pattern)) return undefined; // e.g. "s3*" still matches as a glob over service:action
    return `${JSON.stringify(pattern)} has no service prefix (expected service:Action)`;
  }
  if (colon === 0) return `${JSON.stringify(pattern)} has an empty service prefix`;
  return undefined;
}
