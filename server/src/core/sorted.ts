/** The first index in [from, a.length) whose value is not below `x` (`a` sorted ascending: strings by code unit, or numbers). */
export function lowerBound<T extends string | number>(a: readonly T[], x: T, from = 0): number {
  let lo = from;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
