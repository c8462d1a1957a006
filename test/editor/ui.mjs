#!/usr/bin/env node
// UI tests: a person's view of the extension in a real VS Code (code-server, headless
// Debian Chromium, offline). Each step is { name, run: async (ctx) => {...} }; a screenshot
// is taken after every step (pass or fail) into <artifacts>/NN-name.png.
//
//   node test/editor/ui.mjs [--vsix <file.vsix> | --extension <dir>] [--workspace <dir>]
//        [--open <file relative to the workspace>] [--steps <module.mjs>]
//        [--timeout <seconds, whole run, default 300>] [--step-timeout <seconds, default 60>]
//        [--settings <file.json>] [--artifacts <dir, default test-results/editor/ui>]
//        [--keep] [--verbose]
//
// --steps: an ES module whose default export is an array of steps, or a function
// (ctx) => steps; it replaces the skeleton steps below. A failed step skips the ones after
// it unless they set `always: true`. Closing line: exactly `ui: N passed, M failed`.
//
// ctx = { page, ui (lib/ui-helpers.mjs), workspace (abs path of the copy), open,
//         artifacts, server, screenshot(name) }
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureEditorDeps } from './setup.mjs';
import { parseArgs, requireExisting, runTimeoutMs, UsageError } from './lib/args.mjs';
import { onCleanup, runCleanups } from './lib/cleanup.mjs';
import { startServer, workbenchUrl } from './lib/server.mjs';
import { captureConsole } from './lib/browser.mjs';
import { summaryLine } from './lib/results.mjs';
import { openPage, prepareInstance, runMain } from './lib/run.mjs';
import { freshDir, repoRoot, withTimeout } from './lib/workspace.mjs';
import * as ui from './lib/ui-helpers.mjs';

const USAGE = `usage: node test/editor/ui.mjs [--vsix <file> | --extension <dir>] [--workspace <dir>] [--open <file>] [--steps <module.mjs>] [--timeout <s>] [--step-timeout <s>] [--settings <json>] [--artifacts <dir>] [--keep] [--verbose]`;

/** The skeleton: add steps here (or pass --steps). */
export const defaultSteps = [
  {
    name: 'workbench loads',
    run: async ({ page }) => ui.waitForWorkbench(page),
  },
  {
    name: 'open a file via Quick Open',
    run: async ({ page, open }) => {
      if (!open) throw new Error('no file to open: pass --open or a --workspace with a file in it');
      await ui.openFile(page, open);
    },
  },
  {
    name: 'Problems panel opens',
    run: async ({ page }) => {
      await ui.openProblems(page);
    },
  },
];

const t0 = Date.now();
const info = (m) => process.stderr.write(`[ui] ${m}\n`);

function firstFile(dir) {
  const walk = (d, rel) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.')) continue;
      if (e.isFile()) return path.posix.join(rel, e.name);
    }
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules') {
        const f = walk(path.join(d, e.name), path.posix.join(rel, e.name));
        if (f) return f;
      }
    }
    return undefined;
  };
  return walk(dir, '');
}

const shown = (f) => (path.relative(repoRoot, f).startsWith('..') ? f : path.relative(repoRoot, f));
const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);

async function main() {
  const args = parseArgs(process.argv.slice(2), {
    string: ['extension', 'vsix', 'workspace', 'open', 'steps', 'timeout', 'step-timeout', 'settings', 'artifacts'],
    boolean: ['keep', 'verbose', 'help'],
    paths: ['extension', 'vsix', 'workspace', 'steps', 'settings', 'artifacts'],
  });
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  requireExisting(args, ['extension', 'vsix', 'workspace', 'steps', 'settings']);
  const timeoutMs = runTimeoutMs(args);
  const stepTimeoutMs = Math.round(Number(args['step-timeout'] || 60) * 1000);
  if (!(timeoutMs > 0) || !(stepTimeoutMs > 0)) throw new UsageError('timeouts must be positive numbers of seconds');
  const verbose = !!args.verbose;

  const deps = await ensureEditorDeps();
  const artifacts = freshDir(args.artifacts || path.join(repoRoot, 'test-results', 'editor', 'ui'));
  const { dirs, workspace } = await prepareInstance(deps, {
    tempPrefix: 'editor-ui-', keep: args.keep, settings: args.settings, workspace: args.workspace, artifacts, vsix: args.vsix, info, verbose,
  });
  const open = args.open || firstFile(workspace);

  const server = await startServer(deps, dirs, { logFile: path.join(artifacts, 'server.log'), verbose });
  onCleanup(() => server.stop());
  const page = await openPage(deps);
  captureConsole(page, path.join(artifacts, 'browser-console.log'), { echo: verbose });
  page.setDefaultTimeout(ui.DEFAULT_TIMEOUT);

  let steps = defaultSteps;
  if (args.steps) {
    const mod = await import(pathToFileURL(args.steps).href);
    steps = mod.default ?? mod.steps;
  }
  let shotNo = 0;
  const screenshot = async (name) => {
    const file = path.join(artifacts, `${String(++shotNo).padStart(2, '0')}-${slug(name)}.png`);
    await withTimeout(page.screenshot({ path: file }), 15_000, 'screenshot').catch((e) => info(`screenshot failed: ${e.message}`));
    return file;
  };
  const ctx = { page, ui, workspace, open, artifacts, server, screenshot, info };
  if (typeof steps === 'function') steps = await steps(ctx);
  if (!Array.isArray(steps)) throw new UsageError('--steps module must export default an array of {name, run} (or a function returning one)');

  // Development mode (no tests) when --extension is given, like F5.
  const url = workbenchUrl(server, { folder: workspace, extensionDevelopmentPath: args.vsix ? undefined : args.extension });
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });

  let passed = 0;
  let failed = 0;
  let broken = false;
  for (const step of steps) {
    if (broken && !step.always) {
      console.log(`ui: skip ${step.name}`);
      continue;
    }
    const remaining = timeoutMs - (Date.now() - t0);
    const limit = Math.min(step.timeoutMs || stepTimeoutMs, Math.max(remaining, 1));
    const s0 = Date.now();
    let error;
    try {
      if (remaining <= 0) throw new Error(`run timed out (--timeout ${timeoutMs / 1000} s)`);
      await withTimeout(Promise.resolve().then(() => step.run(ctx)), limit, `step "${step.name}"`);
    } catch (e) {
      error = e;
    }
    const shot = await screenshot(step.name);
    const ms = Date.now() - s0;
    if (!error) {
      passed++;
      console.log(`ui: ok   ${step.name} (${ms} ms) ${shown(shot)}`);
    } else {
      failed++;
      broken = true;
      console.log(`ui: FAIL ${step.name} (${ms} ms) ${shown(shot)}`);
      console.log(String(error.stack || error).split('\n').slice(0, 12).map((l) => `      ${l}`).join('\n'));
    }
  }
  if (passed + failed === 0) {
    console.log('ui: FAIL (harness) no step ran');
    failed++;
  }
  await runCleanups();
  info(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots in ${artifacts}`);
  console.log(summaryLine(passed, failed, 'ui'));
  return failed ? 1 : 0;
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (isMain) runMain(main, { usage: USAGE, tag: 'ui', prefix: 'ui' });
