/**
 * Entry point of the editor suites: runs inside VS Code's extension host (launched by
 * test/editor/launch.mjs or electron.mjs with --tests out/test/editor/suite/index.js).
 * Contract (test/editor/lib/results.mjs): export run(); write {passed, failed, tests} JSON to
 * process.env.EDITOR_TEST_RESULTS atomically; reject when a test failed. Test files: every
 * *.test.js next to this file, in name order.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

interface TestResult {
  title: string;
  state: 'passed' | 'failed' | 'skipped';
  error?: string;
  durationMs?: number;
}

function writeResults(tests: TestResult[]): void {
  const out = process.env.EDITOR_TEST_RESULTS;
  const passed = tests.filter((t) => t.state === 'passed').length;
  const failed = tests.filter((t) => t.state === 'failed').length;
  if (!out) {
    console.warn('[suite] EDITOR_TEST_RESULTS not set; results not written');
    return;
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(`${out}.tmp`, JSON.stringify({ passed, failed, tests }, null, 2));
  fs.renameSync(`${out}.tmp`, out);
}

export async function run(): Promise<void> {
  const tests: TestResult[] = [];
  try {
    const grep = process.env.EDITOR_TEST_GREP;
    const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, ...(grep ? { grep } : {}) });
    for (const f of fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort()) mocha.addFile(path.join(__dirname, f));
    await mocha.loadFilesAsync();
    await new Promise<void>((resolve) => {
      const runner = mocha.run(() => resolve());
      runner.on('pass', (t) => tests.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration }));
      // hooks fail too ("before all" hook …): they count as a failed test under the hook's title
      runner.on('fail', (t, err) => tests.push({ title: t.fullTitle(), state: 'failed', error: String(err?.stack ?? err) }));
      runner.on('pending', (t) => tests.push({ title: t.fullTitle(), state: 'skipped' }));
    });
  } catch (e) {
    tests.push({ title: '(suite load)', state: 'failed', error: String((e as Error)?.stack ?? e) });
  }
  writeResults(tests);
  const failed = tests.filter((t) => t.state === 'failed').length;
  if (failed) throw new Error(`${failed} test(s) failed`);
}
