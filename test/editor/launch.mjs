#!/usr/bin/env node
// Runs an extension's test suite inside a real VS Code (code-server's VS Code server, in
// headless Debian Chromium), fully offline.
//
//   node test/editor/launch.mjs --tests <abs path to compiled suite index.js>
//        [--extension <extension dir>]   development mode (what F5 does); required unless --vsix
//        [--vsix <file.vsix>]            install the packaged extension as a user would instead
//        [--workspace <dir>]             copied to a temp dir and opened (default: empty folder)
//        [--results <file>]              where the suite writes its results JSON (default: temp)
//        [--timeout <seconds>]           whole run, default 300 (env EDITOR_TEST_TIMEOUT)
//        [--settings <file.json>]        extra user settings merged over DEFAULT_SETTINGS
//        [--artifacts <dir>]             logs + screenshot, default test-results/editor/launch
//        [--keep] [--verbose]
//
// Prints one line per test, then exactly `editor: N passed, M failed`. Exits 1 if a test
// failed, no test ran, the extension host exited non-zero, or on timeout; 2 on bad usage.
// Harness failures (timeout, no results, crash) are counted as a failed "(harness)" entry.
import { createWriteStream, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureEditorDeps } from './setup.mjs';
import { parseArgs, requireSuiteArgs, runTimeoutMs, UsageError } from './lib/args.mjs';
import { onCleanup, runCleanups } from './lib/cleanup.mjs';
import { startServer, workbenchUrl } from './lib/server.mjs';
import { captureConsole } from './lib/browser.mjs';
import { addHarnessFailures, clearResults, printTests, readResults, RESULTS_ENV, summaryLine } from './lib/results.mjs';
import { openPage, prepareInstance, runMain } from './lib/run.mjs';
import { copyIfExists, freshDir, repoRoot, withTimeout } from './lib/workspace.mjs';

const USAGE = `usage: node test/editor/launch.mjs --tests <suite index.js> (--extension <dir> | --vsix <file>) [--workspace <dir>] [--results <file>] [--timeout <s>] [--settings <json>] [--artifacts <dir>] [--keep] [--verbose]`;

const t0 = Date.now();
// Expected offline noise (marketplace queries) and stack frames, left out of failure summaries.
const NOISE = /open-vsx|Gallery|getaddrinfo ENOTFOUND|ERR_NAME_NOT_RESOLVED|^\s+at |vsda|Service Worker/;
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
const info = (m) => process.stderr.write(`[editor] ${m}\n`);

async function main() {
  const args = parseArgs(process.argv.slice(2), {
    string: ['extension', 'tests', 'workspace', 'vsix', 'results', 'timeout', 'settings', 'artifacts', 'port'],
    boolean: ['keep', 'verbose', 'help'],
    paths: ['extension', 'tests', 'workspace', 'vsix', 'results', 'settings', 'artifacts'],
  });
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  requireSuiteArgs(args, ['tests', 'extension', 'vsix', 'workspace', 'settings']);
  if (args.extension && !existsSync(path.join(args.extension, 'package.json'))) throw new UsageError(`--extension: no package.json in ${args.extension}`);
  if (!statSync(args.tests).isFile()) throw new UsageError(`--tests must be the suite's index.js file`);
  const timeoutMs = runTimeoutMs(args);
  if (!(timeoutMs > 0)) throw new UsageError('--timeout must be a positive number of seconds');
  const verbose = !!args.verbose;

  const deps = await ensureEditorDeps();
  const artifacts = freshDir(args.artifacts || path.join(repoRoot, 'test-results', 'editor', 'launch'));
  const { root, dirs, workspace } = await prepareInstance(deps, {
    keep: args.keep, settings: args.settings, workspace: args.workspace, artifacts, vsix: args.vsix, info, verbose,
  });
  const resultsFile = args.results || path.join(root, 'results.json');
  clearResults(resultsFile);
  onCleanup(() => copyIfExists(resultsFile, path.join(artifacts, 'results.json')));

  const server = await startServer(deps, dirs, {
    env: { [RESULTS_ENV]: resultsFile },
    logFile: path.join(artifacts, 'server.log'),
    verbose,
    port: args.port ? Number(args.port) : undefined,
  });
  onCleanup(() => server.stop());
  info(`VS Code ${deps.vscodeVersion} server on port ${server.port} (${elapsed()})`);

  const page = await openPage(deps);
  const consoleTail = captureConsole(page, path.join(artifacts, 'browser-console.log'), {
    // The workbench log (echoed below) already has the console's log lines; echo only page errors.
    echo: verbose,
    filter: (l) => /^(pageerror|page crashed)/.test(l),
  });

  // Tests only run in extension-development mode. With --vsix the extension under test is
  // the installed one, so development mode points at an empty folder (no extension in it)
  // instead of the extension's sources, which would shadow the installed copy.
  let devPath = args.extension;
  if (args.vsix) {
    devPath = path.join(root, 'no-dev-extension');
    mkdirSync(devPath, { recursive: true });
  }
  const url = workbenchUrl(server, { folder: workspace, extensionDevelopmentPath: devPath, extensionTestsPath: args.tests });
  writeFileSync(path.join(artifacts, 'url.txt'), url + '\n');
  if (verbose) info(`opening ${url}`);

  const harnessFailures = [];
  const workbenchTail = [];
  const outcome = await new Promise(async (resolve) => {
    let settled = false;
    const timers = [];
    const done = (o) => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      resolve(o);
    };
    timers.push(setTimeout(() => done({ kind: 'timeout' }), Math.max(1000, timeoutMs - (Date.now() - t0))));
    // The web workbench reports the test run's exit code (and its logs) through these
    // window hooks (the protocol @vscode/test-web uses); the server's "Extension Host
    // Process exited with code" line is only the host being stopped afterwards (always 0).
    const automationLog = createWriteStream(path.join(artifacts, 'workbench.log'));
    onCleanup(() => new Promise((r) => automationLog.end(r)));
    await page.exposeFunction('codeAutomationLog', (level, msg) => {
      automationLog.write(`${level}: ${msg}\n`);
      for (const l of `${level}: ${msg}`.split('\n')) if (!NOISE.test(l)) workbenchTail.push(l.slice(0, 300));
      if (workbenchTail.length > 400) workbenchTail.splice(0, 200);
      if (verbose) info(`[workbench] ${level}: ${String(msg).slice(0, 500)}`);
    });
    await page.exposeFunction('codeAutomationExit', (code, logs) => {
      for (const l of Array.isArray(logs) ? logs : []) {
        try {
          const f = path.join(artifacts, 'workbench-logs', String(l.relativePath).replace(/\.\.+/g, '_'));
          mkdirSync(path.dirname(f), { recursive: true });
          writeFileSync(f, String(l.contents));
        } catch {}
      }
      done({ kind: 'automation-exit', code });
    });
    // Fallback: the extension host died without reporting (crash, killed, broken suite).
    server.on('exthost-exit', (e) => timers.push(setTimeout(() => done({ kind: 'exthost-exit', ...e }), 10_000)));
    server.once('exit', (e) => done({ kind: 'server-exit', ...e }));
    page.once('crash', () => done({ kind: 'page-crash' }));
    page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 }).catch((e) => done({ kind: 'goto-failed', error: e.message }));
  });

  // The suite writes results before run() settles, i.e. before the host exits; allow a
  // little slack for a filesystem flush anyway.
  for (let i = 0; i < 20 && !existsSync(resultsFile); i++) await new Promise((r) => setTimeout(r, 100));
  await withTimeout(page.screenshot({ path: path.join(artifacts, 'final.png') }), 10_000, 'screenshot').catch(() => {});

  const results = readResults(resultsFile) || { passed: 0, failed: 0, skipped: 0, tests: [] };
  switch (outcome.kind) {
    case 'automation-exit':
      info(`test run finished with exit code ${outcome.code} (${elapsed()})`);
      if (outcome.code !== 0 && results.failed === 0) harnessFailures.push(`the suite's run() failed (exit code ${outcome.code}); see ${path.join(artifacts, 'workbench.log')}`);
      break;
    case 'exthost-exit':
      harnessFailures.push(`extension host exited (code ${outcome.code}, signal ${outcome.signal}) without reporting a test result`);
      break;
    case 'timeout':
      harnessFailures.push(`timed out after ${timeoutMs / 1000} s (raise --timeout or EDITOR_TEST_TIMEOUT)`);
      break;
    case 'server-exit':
      harnessFailures.push(`VS Code server exited unexpectedly (code ${outcome.code}, signal ${outcome.signal})`);
      break;
    case 'page-crash':
      harnessFailures.push('browser page crashed');
      break;
    case 'goto-failed':
      harnessFailures.push(`could not open the workbench: ${outcome.error}`);
      break;
  }
  addHarnessFailures(results, resultsFile, harnessFailures);

  printTests(results);
  if (harnessFailures.length) {
    console.log(`editor: artifacts (logs, screenshot) in ${artifacts}; last server log lines:`);
    console.log(server.lines.filter((l) => l.trim() && !NOISE.test(l)).slice(-10).map((l) => `      ${l}`).join('\n'));
    console.log('editor: last workbench/extension-host log lines:');
    const tail = workbenchTail.length ? workbenchTail : consoleTail(200).filter((l) => !NOISE.test(l));
    console.log(tail.slice(-25).map((l) => `      ${l}`).join('\n'));
  }
  await runCleanups();
  info(`done in ${elapsed()}`);
  console.log(summaryLine(results.passed, results.failed));
  return results.failed > 0 ? 1 : 0;
}

runMain(main, { usage: USAGE, tag: 'editor' });
