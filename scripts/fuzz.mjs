#!/usr/bin/env node
// `npm run fuzz`: the long runs of the hostile-input tests, after a build: the CLI fuzz test with
// 100,000 cases (FUZZ_RUNS to change), the language-server fuzz with 100,000 cases (LSP_FUZZ_CASES; a fresh
// server every LSP_FUZZ_BATCH = 2,500 cases, each one's memory checked; its 4,000 debounced cases beside them)
// and the --write kill test with its full 200 kills (no time bound), the three files at once (2 cores: the
// debounced cases and the kill test mostly wait). Prints each test's figures (outcome counts, slowest case,
// kills) and exits non-zero on a failure; the language server's progress goes to LSP_FUZZ_PROGRESS
// (default: a file in the temporary directory, named on start).
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const progress = process.env.LSP_FUZZ_PROGRESS ?? path.join(tmpdir(), `iam-lsp-fuzz-progress-${process.pid}.log`);
console.log(`language server fuzz progress: ${progress}`);
const env = {
  ...process.env,
  FUZZ_RUNS: process.env.FUZZ_RUNS ?? '100000',
  KILL_TRIALS: process.env.KILL_TRIALS ?? '200',
  KILL_BUDGET_MS: process.env.KILL_BUDGET_MS ?? '3600000',
  LSP_FUZZ_CASES: process.env.LSP_FUZZ_CASES ?? '100000',
  LSP_FUZZ_PARALLEL: process.env.LSP_FUZZ_PARALLEL ?? '1',
  LSP_FUZZ_PROGRESS: progress,
  FUZZ_TRACE_MEM: process.env.FUZZ_TRACE_MEM ?? '2500',
};
const files = ['cli-fuzz.test.js', 'lspFuzz.test.js', 'write.test.js'].map((f) => path.join(root, 'out', 'test', 'unit', f));
const t0 = Date.now();
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=3', '--test-reporter=spec', ...files], { cwd: root, env, stdio: 'inherit' });
console.log(`npm run fuzz: ${((Date.now() - t0) / 60_000).toFixed(1)} min, exit ${r.status}`);
process.exit(r.status ?? 1);
