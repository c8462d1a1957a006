#!/usr/bin/env node
// The same editor suites in desktop VS Code (Electron) via @vscode/test-electron, for a
// developer machine that is online (it downloads VS Code into .cache/vscode-test) or has
// VS Code installed (--vscode-executable). Not usable offline / in CI here: use launch.mjs.
//
//   node test/editor/electron.mjs --tests <abs path to compiled suite index.js>
//        [--extension <extension dir>] | [--vsix <file.vsix>]   (as in launch.mjs)
//        [--workspace <dir>] [--results <file>] [--timeout <seconds, default 300>]
//        [--settings <file.json>] [--vscode-version 1.139.1|stable|insiders]
//        [--vscode-executable <path to Code / code.exe / Visual Studio Code.app/...>]
//        [--keep]
//
// Same results protocol (EDITOR_TEST_RESULTS, see lib/results.mjs) and output
// (one line per test, then `editor: N passed, M failed`) as launch.mjs.
// Linux without a display: run it under `xvfb-run -a`.
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, requireSuiteArgs, runTimeoutMs, UsageError } from './lib/args.mjs';
import { onCleanup, runCleanups } from './lib/cleanup.mjs';
import { readSettingsFile, writeSettings } from './lib/server.mjs';
import { addHarnessFailures, clearResults, printTests, readResults, RESULTS_ENV, summaryLine } from './lib/results.mjs';
import { runMain } from './lib/run.mjs';
import { copyWorkspace, makeTempRoot, repoRoot } from './lib/workspace.mjs';

// Same VS Code as the offline code-server harness, unless told otherwise.
const DEFAULT_VSCODE_VERSION = '1.139.1';
const USAGE = `usage: node test/editor/electron.mjs --tests <suite index.js> (--extension <dir> | --vsix <file>) [--workspace <dir>] [--results <file>] [--timeout <s>] [--settings <json>] [--vscode-version <v>] [--vscode-executable <path>] [--keep]`;

const t0 = Date.now();
const info = (m) => process.stderr.write(`[editor-electron] ${m}\n`);

async function main() {
  const args = parseArgs(process.argv.slice(2), {
    string: ['extension', 'tests', 'workspace', 'vsix', 'results', 'timeout', 'settings', 'vscode-version', 'vscode-executable'],
    boolean: ['keep', 'help'],
    paths: ['extension', 'tests', 'workspace', 'vsix', 'results', 'settings', 'vscode-executable'],
  });
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  requireSuiteArgs(args, ['tests', 'extension', 'vsix', 'workspace', 'settings', 'vscode-executable']);
  if (!statSync(args.tests).isFile()) throw new UsageError(`--tests must be the suite's index.js file`);
  const timeoutMs = runTimeoutMs(args);
  if (!(timeoutMs > 0)) throw new UsageError('--timeout must be a positive number of seconds');

  const te = await import('@vscode/test-electron');
  const { runTests, downloadAndUnzipVSCode, resolveCliArgsFromVSCodeExecutablePath, TestRunFailedError } = te.default ?? te;

  const root = makeTempRoot('editor-electron-');
  onCleanup(() => (args.keep ? info(`kept ${root}`) : rmSync(root, { recursive: true, force: true, maxRetries: 3 })));
  const userDataDir = path.join(root, 'user-data');
  const extensionsDir = path.join(root, 'extensions');
  mkdirSync(extensionsDir, { recursive: true });
  writeSettings(userDataDir, readSettingsFile(args.settings));
  const workspace = copyWorkspace(args.workspace, root);
  const resultsFile = args.results || path.join(root, 'results.json');
  clearResults(resultsFile);

  const vscodeExecutablePath =
    args['vscode-executable'] ||
    (await downloadAndUnzipVSCode({
      version: args['vscode-version'] || process.env.EDITOR_VSCODE_VERSION || DEFAULT_VSCODE_VERSION,
      cachePath: path.join(repoRoot, '.cache', 'vscode-test'),
    }));
  info(`VS Code: ${vscodeExecutablePath}`);

  let devPath = args.extension;
  if (args.vsix) {
    // Install as a user would, into this run's private extensions dir.
    const [cli, ...cliArgs] = resolveCliArgsFromVSCodeExecutablePath(vscodeExecutablePath, { reuseMachineInstall: true });
    const r = spawnSync(
      cli,
      [...cliArgs, '--install-extension', args.vsix, '--force', `--extensions-dir=${extensionsDir}`, `--user-data-dir=${userDataDir}`],
      { encoding: 'utf8', shell: process.platform === 'win32' },
    );
    if (r.status !== 0) throw new Error(`installing ${args.vsix} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
    info(r.stdout.trim());
    // Tests only run in development mode; point it at an empty folder so nothing shadows
    // the installed extension.
    devPath = path.join(root, 'no-dev-extension');
    mkdirSync(devPath, { recursive: true });
  }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    info('no DISPLAY: if VS Code fails to start, run this under `xvfb-run -a`');
  }

  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    info(`timed out after ${timeoutMs / 1000} s; stopping VS Code`);
    killChildren();
  }, timeoutMs);

  let exitCode;
  try {
    exitCode = await runTests({
      vscodeExecutablePath,
      extensionDevelopmentPath: devPath,
      extensionTestsPath: args.tests,
      launchArgs: [
        workspace,
        `--user-data-dir=${userDataDir}`,
        `--extensions-dir=${extensionsDir}`,
        '--disable-telemetry',
        '--new-window',
      ],
      extensionTestsEnv: { [RESULTS_ENV]: resultsFile },
    });
  } catch (e) {
    if (e instanceof TestRunFailedError || /Test run (failed|terminated)/.test(String(e && e.message))) exitCode = e.code ?? 1;
    else throw e;
  } finally {
    clearTimeout(timer);
  }

  const results = readResults(resultsFile) || { passed: 0, failed: 0, skipped: 0, tests: [] };
  const harness = [];
  if (timedOut) harness.push(`timed out after ${timeoutMs / 1000} s`);
  else if (exitCode !== 0 && results.failed === 0) harness.push(`VS Code exited with code ${exitCode}`);
  addHarnessFailures(results, resultsFile, harness);

  printTests(results);
  await runCleanups();
  info(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(summaryLine(results.passed, results.failed));
  return results.failed > 0 ? 1 : 0;
}

// runTests gives no handle on the VS Code process; end our own children (and theirs).
function killChildren() {
  try {
    if (process.platform === 'win32') {
      const out = execFileSync('wmic', ['process', 'where', `(ParentProcessId=${process.pid})`, 'get', 'ProcessId'], { encoding: 'utf8' });
      for (const pid of out.match(/\d+/g) || []) spawnSync('taskkill', ['/T', '/F', '/PID', pid]);
    } else {
      const out = spawnSync('pgrep', ['-P', String(process.pid)], { encoding: 'utf8' }).stdout || '';
      for (const pid of out.match(/\d+/g) || []) {
        const kids = spawnSync('pgrep', ['-P', pid], { encoding: 'utf8' }).stdout || '';
        for (const k of kids.match(/\d+/g) || []) {
          try {
            process.kill(Number(k), 'SIGKILL');
          } catch {}
        }
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {}
      }
    }
  } catch (e) {
    info(`could not stop VS Code: ${e.message}`);
  }
}

runMain(main, { usage: USAGE, tag: 'editor-electron' });
