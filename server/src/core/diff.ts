/** A unified diff of two texts, line by line (Myers' O(ND) algorithm), as `diff -u` prints it. */
export function unifiedDiff(a: string, b: string, nameA: string, nameB: string, context = 3): string {
  if (a === b) return '';
  const x = splitLines(a);
  const y = splitLines(b);
  const ops = myers(x, y);
  // group into hunks
  const out: string[] = [`--- ${nameA}`, `+++ ${nameB}`];
  let i = 0;
  while (i < ops.length) {
    if (ops[i].kind === '=') {
      i++;
      continue;
    }
    let start = i;
    let ctxBefore = 0;
    while (start > 0 && ops[start - 1].kind === '=' && ctxBefore < context) {
      start--;
      ctxBefore++;
    }
    let end = i;
    for (;;) {
      while (end < ops.length && ops[end].kind !== '=') end++;
      let run = 0;
      while (end + run < ops.length && ops[end + run].kind === '=') run++;
      if (end + run < ops.length && run <= context * 2) end += run;
      else {
        end += Math.min(run, context);
        break;
      }
    }
    const hunk = ops.slice(start, end);
    const aStart = hunk[0].ai;
    const bStart = hunk[0].bi;
    const aLen = hunk.filter((o) => o.kind !== '+').length;
    const bLen = hunk.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${aLen ? aStart + 1 : aStart},${aLen} +${bLen ? bStart + 1 : bStart},${bLen} @@`);
    for (const o of hunk) out.push((o.kind === '=' ? ' ' : o.kind) + o.text);
    i = end;
  }
  return out.join('\n') + '\n';
}

interface Op {
  kind: '=' | '-' | '+';
  text: string;
  ai: number;
  bi: number;
}

function splitLines(s: string): string[] {
  const lines = s.split(/\r?\n/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function myers(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const v = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  const off = max + 1;
  outer: for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let xk = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1]) ? v[off + k + 1] : v[off + k - 1] + 1;
      let yk = xk - k;
      while (xk < n && yk < m && a[xk] === b[yk]) {
        xk++;
        yk++;
      }
      v[off + k] = xk;
      if (xk >= n && yk >= m) break outer;
    }
  }
  const ops: Op[] = [];
  let xk = n;
  let yk = m;
  for (let d = trace.length - 1; d >= 0 && (xk > 0 || yk > 0); d--) {
    const vv = trace[d];
    const k = xk - yk;
    const prevK = k === -d || (k !== d && vv[off + k - 1] < vv[off + k + 1]) ? k + 1 : k - 1;
    const px = vv[off + prevK];
    const py = px - prevK;
    while (xk > px && yk > py) {
      xk--;
      yk--;
      ops.push({ kind: '=', text: a[xk], ai: xk, bi: yk });
    }
    if (d > 0) {
      if (xk === px) {
        yk--;
        ops.push({ kind: '+', text: b[yk], ai: xk, bi: yk });
      } else {
        xk--;
        ops.push({ kind: '-', text: a[xk], ai: xk, bi: yk });
      }
    }
  }
  return ops.reverse();
}
