#!/usr/bin/env node
// The extension in a real VS Code, offline, in one command (`npm run test:editor`):
//
//   1. setup      test/editor/setup.mjs: Node 24 + code-server into .cache/ (once, ~2 min);
//                 fails with the apt-get command to run when chromium / libkrb5-dev / a C++
//                 toolchain is missing
//   2. build      npm run build (catalog, tsc -b — which also compiles the editor suites into
//                 out/test/editor/suite — and the esbuild bundles)
//   3. editor     the Mocha suites (test/editor/suite/*.test.ts) in the extension host, the
//                 extension in development mode, on a copy of test/editor/fixtures/workspace
//   4. package    vsce package into a temp dir
//   5. ui         the Playwright steps (test/editor/ui-steps.mjs) against that .vsix, installed
//                 as a user installs it; screenshots in test-results/editor/ui/
//
// Closing lines: `editor: N passed, M failed`, `ui: N passed, M failed`, then exactly
// `editor tests: N passed, M failed` (the sums). Exits 1 on any failure.
//
//   node scripts/editor-tests.mjs [--no-build] [--only editor|ui] [--verbose]
//     --no-build    use dist/ and out/ as they are (still packages the .vsix for the UI steps)
//     --only        run only the suites (editor) or only the UI steps (ui)
//   env: EDITOR_TEST_TIMEOUT (seconds per run, default 300), EDITOR_TEST_CACHE, CHROMIUM_PATH,
//        EDITOR_TEST_GREP (only the suite tests whose title matches)
// The editor runs with fake AWS keys and no AWS profile/config (offlineAwsEnv below).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rel = (p) => (path.relative(root, p).startsWith('..') ? p : path.relative(root, p) || '.');
const t0 = Date.now();
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
const info = (m) => process.stderr.write(`[editor-tests] ${m}\n`);

const SUITE = path.join(root, 'out', 'test', 'editor', 'suite', 'index.js');
const WORKSPACE = path.join(root, 'test', 'editor', 'fixtures', 'workspace');
const STEPS = path.join(root, 'test', 'editor', 'ui-steps.mjs');

function parseArgs(argv) {
  const o = { build: true, only: undefined, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-build') o.build = false;
    else if (a === '--verbose') o.verbose = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      o.only = a.includes('=') ? a.split('=')[1] : argv[++i];
      if (o.only !== 'editor' && o.only !== 'ui') usage(`--only takes editor or ui, not ${o.only}`);
    } else if (a === '--help' || a === '-h') usage();
    else usage(`unknown argument: ${a}`);
  }
  return o;
}

function usage(error) {
  const text = 'usage: node scripts/editor-tests.mjs [--no-build] [--only editor|ui] [--verbose]';
  if (error) {
    process.stderr.write(`${error}\n${text}\n`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

/**
 * Runs a command; its output goes through (stdout to stdout, stderr to stderr). Resolves with
 * the exit code and, when `closing` (a RegExp) is given, the last stdout line matching it.
 */
function run(cmd, args, { closing, quiet = false, env = process.env } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env });
    let last;
    let buf = '';
    let tail = '';
    child.stdout.on('data', (d) => {
      if (!quiet) process.stdout.write(d);
      else tail = (tail + d).slice(-8000);
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (closing?.test(line)) last = line;
      }
    });
    child.stderr.on('data', (d) => {
      if (!quiet) process.stderr.write(d);
      else tail = (tail + d).slice(-8000);
    });
    // Ctrl+C reaches the child too (same process group): let it clean up, then report
    child.on('error', (e) => resolve({ code: 127, last, tail: `${tail}\n${e.message}` }));
    child.on('close', (code, signal) => {
      if (buf && closing?.test(buf)) last = buf;
      resolve({ code: code ?? (signal ? 128 : 1), last, tail });
    });
  });
}

/**
 * The environment of the editor under test: fake AWS keys, no profile, no instance metadata, so
 * that nothing in the extension host or its language server can reach real AWS credentials, and an
 * empty per-user cache, so that no action catalog fetched on this machine is used (the live-mode suite talks to a fake Access Analyzer on 127.0.0.1; see test/editor/suite/live.test.ts).
 */
function offlineAwsEnv() {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^AWS_/.test(k)) delete env[k];
  env.AWS_ACCESS_KEY_ID = 'AKIAEDITORLIVETEST01';
  env.AWS_SECRET_ACCESS_KEY = 'editorLiveTestSecret/NotARealKey+0123456';
  env.AWS_EC2_METADATA_DISABLED = 'true';
  env.AWS_CONFIG_FILE = env.AWS_SHARED_CREDENTIALS_FILE = path.join(os.tmpdir(), 'iam-refiner-editor-tests-no-aws-config');
  // an empty per-user cache: an action catalog fetched on this machine never changes what the editor shows
  env.XDG_CACHE_HOME = mkdtempSync(path.join(os.tmpdir(), 'iam-refiner-editor-cache-'));
  delete env.IAM_REFINER_SERVICE_REFERENCE_URL;
  return env;
}

const counts = (line) => {
  const m = /(\d+) passed, (\d+) failed/.exec(line || '');
  return m ? { passed: Number(m[1]), failed: Number(m[2]) } : undefined;
};

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (process.env.EDITOR_SETUP_VERBOSE === undefined && opts.verbose) process.env.EDITOR_SETUP_VERBOSE = '1';
  const lines = { editor: undefined, ui: undefined };
  const total = { passed: 0, failed: 0 };
  const fail = (prefix, why) => {
    info(`${prefix}: ${why}`);
    lines[prefix] = `${prefix}: 0 passed, 1 failed`;
  };

  // 1. setup (milliseconds when cached)
  let s = Date.now();
  try {
    const { ensureEditorDeps } = await import('../test/editor/setup.mjs');
    // as root (CI, a fresh machine) the missing Debian packages are installed too; otherwise the error says which
    const root = typeof process.getuid === 'function' && process.getuid() === 0;
    const deps = await ensureEditorDeps({ verbose: opts.verbose, apt: root || !!process.env.EDITOR_SETUP_APT });
    info(`setup: VS Code ${deps.vscodeVersion} (code-server) + ${rel(deps.chromium)} ready (${secs(Date.now() - s)})`);
  } catch (e) {
    process.stderr.write(`\n[editor-tests] the editor test harness is not set up:\n${e.message}\n`);
    process.stderr.write('[editor-tests] (run as root, `npm test` installs the Debian packages itself)\n\n');
    console.log('editor: 0 passed, 1 failed');
    console.log('ui: 0 passed, 1 failed');
    console.log('editor tests: 0 passed, 2 failed');
    return 1;
  }

  // 2. build (also compiles the suites: the root tsconfig references test/)
  if (opts.build) {
    s = Date.now();
    info('build: npm run build');
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const b = await run(npm, ['run', '--silent', 'build'], { quiet: !opts.verbose });
    if (b.code !== 0) {
      process.stderr.write(b.tail);
      fail('editor', `npm run build failed (exit ${b.code})`);
      fail('ui', 'not run: the build failed');
      return finish(lines, total);
    }
    info(`build: done (${secs(Date.now() - s)})`);
  }

  // 3. the suites in the extension host, development mode
  if (opts.only !== 'ui') {
    s = Date.now();
    if (!existsSync(SUITE)) fail('editor', `${rel(SUITE)} is missing: build first (npm run build), or drop --no-build`);
    else {
      info(`editor: suites on ${rel(WORKSPACE)} (development mode)`);
      const r = await run(process.execPath, [path.join(root, 'test/editor/launch.mjs'), '--extension', root, '--tests', SUITE, '--workspace', WORKSPACE, ...(opts.verbose ? ['--verbose'] : [])], {
        closing: /^editor: \d+ passed, \d+ failed$/,
        env: offlineAwsEnv(),
      });
      if (r.last) lines.editor = r.last;
      else fail('editor', `launch.mjs ended without a result (exit ${r.code})`);
      info(`editor: done (${secs(Date.now() - s)})`);
    }
  }

  // 4. package, 5. the UI steps against the installed .vsix
  if (opts.only !== 'editor') {
    s = Date.now();
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'iam-vsix-'));
    const vsix = path.join(tmp, 'iam-policy-refiner.vsix');
    try {
      const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
      const [cmd, args] = existsSync(vsce)
        ? [process.execPath, [vsce]]
        : [process.platform === 'win32' ? 'npx.cmd' : 'npx', ['vsce']];
      const p = await run(cmd, [...args, 'package', '--no-dependencies', '--allow-missing-repository', '--out', vsix], { quiet: !opts.verbose });
      if (p.code !== 0 || !existsSync(vsix)) {
        process.stderr.write(p.tail);
        fail('ui', `vsce package failed (exit ${p.code})`);
      } else {
        info(`package: ${path.basename(vsix)} (${secs(Date.now() - s)})`);
        s = Date.now();
        const r = await run(
          process.execPath,
          [path.join(root, 'test/editor/ui.mjs'), '--vsix', vsix, '--workspace', WORKSPACE, '--open', 'policy.json', '--steps', STEPS, ...(opts.verbose ? ['--verbose'] : [])],
          { closing: /^ui: \d+ passed, \d+ failed$/, env: offlineAwsEnv() },
        );
        if (r.last) lines.ui = r.last;
        else fail('ui', `ui.mjs ended without a result (exit ${r.code})`);
        info(`ui: done (${secs(Date.now() - s)}); screenshots in test-results/editor/ui/`);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return finish(lines, total);
}

function finish(lines, total) {
  console.log('');
  for (const k of ['editor', 'ui']) {
    if (!lines[k]) continue;
    console.log(lines[k]);
    const c = counts(lines[k]);
    total.passed += c.passed;
    total.failed += c.failed;
  }
  info(`total ${secs(Date.now() - t0)}`);
  console.log(`editor tests: ${total.passed} passed, ${total.failed} failed`);
  return total.failed > 0 || total.passed === 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`[editor-tests] ${e?.stack || e}\n`);
    console.log('editor tests: 0 passed, 1 failed');
    process.exit(1);
  },
);
