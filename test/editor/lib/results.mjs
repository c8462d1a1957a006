// The results-file protocol between an editor suite (runs inside the extension host) and
// the launchers (launch.mjs for code-server, electron.mjs for desktop VS Code).
//
// The launcher sets EDITOR_TEST_RESULTS=<absolute path> in the extension host's
// environment. The suite's run() writes there (atomically: write <path>.tmp, rename):
//   { "passed": N, "failed": M, "tests": [ { "title": "...", "state": "passed"|"failed"|"skipped",
//                                            "error"?: "...", "durationMs"?: n } ] }
// and rejects if any test failed.
import { existsSync, readFileSync, rmSync } from 'node:fs';

export const RESULTS_ENV = 'EDITOR_TEST_RESULTS';

export function clearResults(file) {
  rmSync(file, { force: true });
  rmSync(file + '.tmp', { force: true });
}

/** @returns {{passed:number, failed:number, skipped:number, tests:Array<{title:string,state:string,error?:string,durationMs?:number}>} | null} */
export function readResults(file) {
  if (!existsSync(file)) return null;
  let raw;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return { passed: 0, failed: 1, skipped: 0, tests: [{ title: '(results file)', state: 'failed', error: `unreadable ${file}: ${e.message}` }] };
  }
  const tests = Array.isArray(raw.tests) ? raw.tests : [];
  // Trust the per-test list over the counters when both are present.
  const count = (s) => tests.filter((t) => t && t.state === s).length;
  const passed = tests.length ? count('passed') : Number(raw.passed) || 0;
  const failed = tests.length ? count('failed') : Number(raw.failed) || 0;
  const skipped = tests.length ? count('skipped') : Number(raw.skipped) || 0;
  return { passed, failed, skipped, tests };
}

/**
 * Counts the launcher's own failures in the suite's `results`: each of `failures` (timeout,
 * crash…), then a missing results file or a run in which no test ran, each a failed
 * "(harness) …" test. `failures` gets those last two as well.
 */
export function addHarnessFailures(results, resultsFile, failures) {
  if (!existsSync(resultsFile)) failures.push(`no results at ${resultsFile}: the suite's run() must write {passed, failed, tests} to process.env.${RESULTS_ENV}`);
  else if (results.passed + results.failed === 0) failures.push('no test ran');
  for (const f of failures) results.tests.push({ title: `(harness) ${f}`, state: 'failed' });
  results.failed += failures.length;
}

const MARK = { passed: 'ok  ', failed: 'FAIL', skipped: 'skip' };

export function printTests(results, { prefix = 'editor' } = {}) {
  for (const t of results.tests) {
    console.log(`${prefix}: ${MARK[t.state] || t.state} ${t.title}${t.durationMs != null ? ` (${t.durationMs} ms)` : ''}`);
    if (t.state === 'failed' && t.error) {
      console.log(
        String(t.error)
          .split('\n')
          .slice(0, 25)
          .map((l) => `      ${l}`)
          .join('\n'),
      );
    }
  }
}

/** The closing line CI reads: exactly "<prefix>: N passed, M failed". */
export function summaryLine(passed, failed, prefix = 'editor') {
  return `${prefix}: ${passed} passed, ${failed} failed`;
}
