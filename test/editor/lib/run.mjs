// What launch.mjs, ui.mjs and electron.mjs do alike: set up a private VS Code instance and its
// browser page (launch.mjs, ui.mjs), and end the run (all three).
import { rmSync } from 'node:fs';
import path from 'node:path';
import { SetupError } from '../setup.mjs';
import { UsageError } from './args.mjs';
import { launchBrowser, newPage } from './browser.mjs';
import { onCleanup, runCleanups } from './cleanup.mjs';
import { summaryLine } from './results.mjs';
import { instanceDirs, installVsix, readSettingsFile, writeSettings } from './server.mjs';
import { copyIfExists, copyWorkspace, makeTempRoot, withTimeout } from './workspace.mjs';

/**
 * A private VS Code instance in a new temp root (removed at the end unless `keep`): user
 * settings (`settings`, a JSON file, merged over the defaults), a copy of `workspace`, the
 * server's logs copied to <artifacts>/logs at the end, and `vsix` installed when given.
 */
export async function prepareInstance(deps, { tempPrefix, keep, settings, workspace, artifacts, vsix, info, verbose }) {
  const root = makeTempRoot(tempPrefix);
  onCleanup(() => {
    if (keep) info(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
  });
  const dirs = instanceDirs(root);
  writeSettings(dirs.userDataDir, readSettingsFile(settings));
  const copy = copyWorkspace(workspace, root);
  onCleanup(() => copyIfExists(dirs.logsDir, path.join(artifacts, 'logs'))); // server + extension host logs
  if (vsix) {
    await installVsix(deps, dirs, vsix, { log: (m) => verbose && info(m) });
    info(`installed ${path.basename(vsix)}`);
  }
  return { root, dirs, workspace: copy };
}

/** Headless Chromium with one page; the browser is closed at the end. */
export async function openPage(deps) {
  const browser = await launchBrowser(deps);
  onCleanup(() => withTimeout(browser.close(), 10_000, 'browser close').catch(() => {}));
  return newPage(browser);
}

/**
 * Runs `main` and exits with its code. When it throws: the cleanups run, then a usage error
 * exits 2 with `usage`; anything else is written as `[tag] …` and ends with the closing line of
 * one failure (`<prefix>: 0 passed, 1 failed`), exit 1.
 */
export function runMain(main, { usage, tag, prefix = 'editor' }) {
  main().then(
    (code) => process.exit(code),
    async (e) => {
      await runCleanups();
      if (e instanceof UsageError) {
        process.stderr.write(`${e.message}\n${usage}\n`);
        process.exit(2);
      }
      process.stderr.write(`[${tag}] ${e instanceof SetupError ? e.message : e.stack || e}\n`);
      console.log(summaryLine(0, 1, prefix));
      process.exit(1);
    },
  );
}
