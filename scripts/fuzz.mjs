#!/usr/bin/env node
// `npm run fuzz`: the long runs of the hostile-input tests, after a build: the CLI fuzz test with
// 100,000 cases (FUZZ_RUNS to change), the language-server fuzz with 10,000 cases (LSP_FUZZ_CASES)
// and the --write kill test with its full 200 kills (no time bound). Prints each test's figures (outcome counts, slowest case, kills) and exits non-zero on a failure.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env, FUZZ_RUNS: process.env.FUZZ_RUNS ?? '100000', KILL_TRIALS: process.env.KILL_TRIALS ?? '200', KILL_BUDGET_MS: process.env.KILL_BUDGET_MS ?? '3600000', LSP_FUZZ_CASES: process.env.LSP_FUZZ_CASES ?? '10000' };
const files = ['cli-fuzz.test.js', 'lspFuzz.test.js', 'write.test.js'].map((f) => path.join(root, 'out', 'test', 'unit', f));
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], { cwd: root, env, stdio: 'inherit' });
process.exit(r.status ?? 1);
