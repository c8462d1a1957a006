#!/usr/bin/env node
// `npm start`: try the extension in VS Code in your browser, offline.
//
// Builds if the bundles are missing or older than the sources, packages the .vsix, installs it
// into a private VS Code server (code-server's, set up by test/editor/setup.mjs into .cache/),
// opens a temporary copy of examples/ (policy.json + findings.json) as the workspace and prints
// the URL to open. Runs until Ctrl+C, then removes the server, its profile and the copy.
//
//   node scripts/start.mjs [--port <n>] [--workspace <dir>] [--no-build] [--keep] [--verbose]
//     --port        listen on this port (default: a free one); always 127.0.0.1
//     --workspace   the folder to copy and open instead of examples/
//     --keep        keep the temp dir (workspace copy, logs) on exit
//
// Remote machine? Forward the port: ssh -L 8080:127.0.0.1:8080 host, then start with --port 8080.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureEditorDeps, SetupError } from '../test/editor/setup.mjs';
import { parseArgs, UsageError } from '../test/editor/lib/args.mjs';
import { onCleanup, runCleanups } from '../test/editor/lib/cleanup.mjs';
import { instanceDirs, installVsix, startServer, workbenchUrl, writeSettings } from '../test/editor/lib/server.mjs';
import { copyWorkspace, makeTempRoot } from '../test/editor/lib/workspace.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = 'usage: node scripts/start.mjs [--port <n>] [--workspace <dir>] [--no-build] [--keep] [--verbose]';
const info = (m) => process.stderr.write(`[start] ${m}\n`);

function run(cmd, args, { quiet = true } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    let out = '';
    if (quiet) {
      child.stdout.on('data', (d) => (out = (out + d).slice(-20_000)));
      child.stderr.on('data', (d) => (out = (out + d).slice(-20_000)));
    }
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${path.basename(cmd)} ${args.join(' ')} exited with ${code}\n${out}`))));
  });
}

/** Newest modification time of the files under `dirs` (ms). */
function newest(dirs) {
  let t = 0;
  const walk = (p) => {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) {
      for (const e of readdirSync(p)) if (e !== 'node_modules') walk(path.join(p, e));
    } else t = Math.max(t, st.mtimeMs);
  };
  for (const d of dirs) walk(path.join(root, d));
  return t;
}

/** The bundles the .vsix ships are missing or older than what they are built from. */
function needsBuild() {
  const outputs = ['dist/client.js', 'dist/server.js', 'dist/catalog.json'].map((f) => path.join(root, f));
  if (!outputs.every((f) => existsSync(f))) return true;
  const built = Math.min(...outputs.map((f) => statSync(f).mtimeMs));
  return newest(['client/src', 'server/src', 'scripts/build-catalog.mjs', 'scripts/bundle.mjs', 'package.json', 'package-lock.json']) > built;
}

async function main() {
  const args = parseArgs(process.argv.slice(2), {
    string: ['port', 'workspace'],
    boolean: ['no-build', 'keep', 'verbose', 'help'],
    paths: ['workspace'],
  });
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const port = args.port ? Number(args.port) : undefined;
  if (args.port && !(Number.isInteger(port) && port > 0 && port < 65536)) throw new UsageError(`--port: not a port: ${args.port}`);
  const source = args.workspace || path.join(root, 'examples');
  if (!existsSync(source)) throw new UsageError(`--workspace: not found: ${source}`);

  const deps = await ensureEditorDeps({ verbose: !!args.verbose });

  if (!args['no-build'] && needsBuild()) {
    info('building (npm run build) …');
    await run(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', 'build'], { quiet: !args.verbose });
  }

  const tmp = makeTempRoot('iam-refiner-start-');
  onCleanup(() => (args.keep ? info(`kept ${tmp}`) : rmSync(tmp, { recursive: true, force: true })));
  const vsix = path.join(tmp, 'iam-policy-refiner.vsix');
  info('packaging the extension (vsce package) …');
  const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  await run(existsSync(vsce) ? process.execPath : 'npx', [...(existsSync(vsce) ? [vsce] : ['vsce']), 'package', '--no-dependencies', '--allow-missing-repository', '--out', vsix], {
    quiet: !args.verbose,
  });

  const dirs = instanceDirs(tmp);
  // the harness's quiet, offline defaults (no trust prompt, no welcome page, no telemetry)
  writeSettings(dirs.userDataDir, { 'workbench.startupEditor': 'none' });
  const workspace = copyWorkspace(source, tmp);
  await installVsix(deps, dirs, vsix, { log: (m) => args.verbose && info(m) });
  info(`installed ${path.basename(vsix)} into a private VS Code ${deps.vscodeVersion} server`);

  const server = await startServer(deps, dirs, { port, verbose: !!args.verbose, logFile: path.join(tmp, 'server.log') });
  onCleanup(() => server.stop());
  server.once('exit', (e) => {
    if (stopping) return;
    info(`the VS Code server exited (${JSON.stringify(e)}); last lines:\n${server.lines.slice(-20).join('\n')}`);
    void runCleanups().then(() => process.exit(1));
  });
  const url = workbenchUrl(server, { folder: workspace });
  console.log('');
  console.log('  IAM Policy Refiner is running in VS Code (offline, in your browser):');
  console.log('');
  console.log(`    ${url}`);
  console.log('');
  console.log(`  Workspace: a copy of ${path.relative(root, source) || source} at ${workspace}`);
  console.log('  Open policy.json: squiggles on the unused permissions; hover s3:Get*; Ctrl+. for the refinement;');
  console.log('  F1 → "IAM Refiner: Refine Whole File" (tick the file in the Refactor Preview, then Apply).');
  console.log('');
  console.log('  Ctrl+C to stop.');
  // keep running: the server's child process holds the event loop; Ctrl+C runs the cleanups
}

let stopping = false;
onCleanup(() => {}); // installs the Ctrl+C handler (cleanup.mjs) before anything is started
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.prependListener(sig, () => (stopping = true));

main().catch(async (e) => {
  stopping = true;
  await runCleanups();
  if (e instanceof UsageError) {
    process.stderr.write(`${e.message}\n${USAGE}\n`);
    process.exit(2);
  }
  process.stderr.write(`[start] ${e instanceof SetupError ? e.message : e.stack || e}\n`);
  process.exit(1);
});
