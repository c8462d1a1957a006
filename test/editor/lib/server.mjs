// The VS Code server (from the code-server npm package), run with Node 24.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { EventEmitter } from 'node:events';

/**
 * User settings for a clean, quiet, offline test instance. Written to
 * <server-data-dir>/data/User/settings.json (the browser workbench reads user settings
 * from the server's --user-data-dir) and Machine/settings.json.
 */
export const DEFAULT_SETTINGS = {
  // No "Do you trust the authors" dialog / restricted mode.
  'security.workspace.trust.enabled': false,
  'security.workspace.trust.startupPrompt': 'never',
  // No welcome page, walkthroughs, tips, chat side bar.
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  // No telemetry, update checks, marketplace queries, recommendations (all offline anyway).
  'telemetry.telemetryLevel': 'off',
  'telemetry.feedback.enabled': false,
  'update.mode': 'none',
  'update.showReleaseNotes': false,
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'json.schemaDownload.enable': false,
  'npm.fetchOnlinePackageInfo': false,
  'typescript.disableAutomaticTypeAcquisition': true,
  'remote.autoForwardPorts': false,
  'git.enabled': false,
  'github.gitAuthentication': false,
  // Deterministic editor for UI tests.
  'editor.accessibilitySupport': 'off',
  'files.autoSave': 'off',
  'workbench.editor.enablePreview': false,
};

export function writeSettings(userDataDir, extra = {}) {
  const settings = { ...DEFAULT_SETTINGS, ...extra };
  for (const sub of ['User', 'Machine']) {
    mkdirSync(path.join(userDataDir, sub), { recursive: true });
    writeFileSync(path.join(userDataDir, sub, 'settings.json'), JSON.stringify(settings, null, 2) + '\n');
  }
  return settings;
}

/** Reads a JSON (or JSON-with-comments-free) settings file given with --settings. */
export function readSettingsFile(file) {
  if (!file) return {};
  return JSON.parse(readFileSync(file, 'utf8'));
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Directory layout of one isolated instance under `root`. */
export function instanceDirs(root) {
  const d = {
    root,
    serverDataDir: path.join(root, 'server'),
    userDataDir: path.join(root, 'server', 'data'),
    extensionsDir: path.join(root, 'extensions'),
    tmpDir: path.join(root, 'tmp'),
    logsDir: path.join(root, 'server', 'data', 'logs'),
  };
  for (const k of ['userDataDir', 'extensionsDir', 'tmpDir']) mkdirSync(d[k], { recursive: true });
  return d;
}

function serverEnv(deps, dirs, extraEnv) {
  const env = { ...process.env, ...extraEnv };
  // IPC sockets go under the instance's tmp dir, so they vanish with it.
  env.TMPDIR = dirs.tmpDir;
  // No extension marketplace (code-server's product defaults to open-vsx.org): offline, and
  // no stray DNS lookups / connection attempts. An empty gallery config disables it.
  if (!('EXTENSIONS_GALLERY' in extraEnv)) env.EXTENSIONS_GALLERY = '{}';
  // Never let a parent VS Code's/ELECTRON variables leak into this instance.
  for (const k of Object.keys(env)) {
    if (/^(VSCODE_|ELECTRON_)/.test(k) && !(k in extraEnv)) delete env[k];
  }
  delete env.NODE_OPTIONS;
  return env;
}

/**
 * Installs a .vsix into the instance's extensions dir the way `code --install-extension` does
 * (server-main's own CLI: unpacks it and records it in extensions.json).
 */
export function installVsix(deps, dirs, vsix, { log = () => {} } = {}) {
  return new Promise((resolve, reject) => {
    const args = [
      deps.serverMain,
      '--install-extension', vsix,
      '--force',
      '--extensions-dir', dirs.extensionsDir,
      '--server-data-dir', dirs.serverDataDir,
      '--user-data-dir', dirs.userDataDir,
      '--accept-server-license-terms',
    ];
    const child = spawn(deps.node24, args, { env: serverEnv(deps, dirs, {}), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      log(out.trim());
      if (code === 0 && /successfully installed/i.test(out)) resolve(out);
      else reject(new Error(`installing ${vsix} failed (exit ${code}):\n${out}`));
    });
  });
}

export const EXT_HOST_EXIT_RE = /Extension Host Process exited with code: (-?\d+|null), signal: (\w+)/;

/**
 * Starts the server on 127.0.0.1 with a free port (retries on a port clash).
 * Emits 'line' for every log line and 'exthost-exit' ({code, signal}).
 */
export async function startServer(deps, dirs, { env = {}, logFile, verbose = false, port, readyTimeoutMs = 60_000 } = {}) {
  let lastErr;
  for (let attempt = 0; attempt < 4; attempt++) {
    const p = port || (await freePort());
    try {
      return await startOnce(deps, dirs, { env, logFile, verbose, port: p, readyTimeoutMs });
    } catch (e) {
      lastErr = e;
      if (port || !/EADDRINUSE/.test(e.message)) throw e;
    }
  }
  throw lastErr;
}

function startOnce(deps, dirs, { env, logFile, verbose, port, readyTimeoutMs }) {
  const args = [
    deps.serverMain,
    '--host', '127.0.0.1',
    '--port', String(port),
    '--without-connection-token',
    '--accept-server-license-terms',
    '--enable-smoke-test-driver',
    '--server-data-dir', dirs.serverDataDir,
    '--user-data-dir', dirs.userDataDir,
    '--extensions-dir', dirs.extensionsDir,
  ];
  const log = logFile ? createWriteStream(logFile, { flags: 'a' }) : null;
  // detached: own process group, so stop() also ends the extension host and agent host.
  const proc = spawn(deps.node24, args, { env: serverEnv(deps, dirs, env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const server = new EventEmitter();
  Object.assign(server, {
    port,
    proc,
    lines: [],
    extHostExits: [],
    exited: null,
    baseUrl: `http://127.0.0.1:${port}`,
    remoteUri: (absPath) => `vscode-remote://127.0.0.1:${port}${encodePath(absPath)}`,
  });
  const onData = (stream) => {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        emitLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
    stream.on('end', () => buf && emitLine(buf));
  };
  function emitLine(line) {
    line = line.replace(/\r$/, '');
    log?.write(line + '\n');
    if (verbose && line.trim()) process.stderr.write(`[server] ${line}\n`);
    server.lines.push(line);
    if (server.lines.length > 5000) server.lines.splice(0, 1000);
    const m = EXT_HOST_EXIT_RE.exec(line);
    if (m) {
      const ev = { code: m[1] === 'null' ? null : Number(m[1]), signal: m[2] === 'null' ? null : m[2], line };
      server.extHostExits.push(ev);
      server.emit('exthost-exit', ev);
    }
    server.emit('line', line);
  }
  onData(proc.stdout);
  onData(proc.stderr);
  const exitedPromise = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      server.exited = { code, signal };
      server.emit('exit', server.exited);
      resolve(server.exited);
    });
  });

  server.stop = async () => {
    if (!server.exited) {
      try {
        process.kill(-proc.pid, 'SIGTERM');
      } catch {}
      const t = await Promise.race([exitedPromise, new Promise((r) => setTimeout(() => r('timeout'), 5000))]);
      if (t === 'timeout') {
        try {
          process.kill(-proc.pid, 'SIGKILL');
        } catch {}
        await exitedPromise;
      }
    }
    // Children (extension host, agent host, pty host) share the group; make sure none linger.
    try {
      process.kill(-proc.pid, 'SIGKILL');
    } catch {}
    await new Promise((r) => (log ? log.end(r) : r()));
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      server.stop().finally(() => reject(new Error(`server did not start within ${readyTimeoutMs} ms:\n${server.lines.slice(-30).join('\n')}`)));
    }, readyTimeoutMs);
    const onLine = (line) => {
      if (line.includes(`listening on ${port}`)) {
        cleanup();
        resolve(server);
      } else if (/EADDRINUSE/.test(line)) {
        cleanup();
        server.stop().finally(() => reject(new Error(`EADDRINUSE on port ${port}`)));
      }
    };
    const onExit = (e) => {
      cleanup();
      reject(new Error(`server exited during startup (${JSON.stringify(e)}):\n${server.lines.slice(-30).join('\n')}`));
    };
    function cleanup() {
      clearTimeout(timer);
      server.off('line', onLine);
      server.off('exit', onExit);
    }
    server.on('line', onLine);
    server.on('exit', onExit);
  });
}

function encodePath(p) {
  return p.split('/').map(encodeURIComponent).join('/');
}

/** URL of the workbench for `folder`, optionally with extension-development/test payload. */
export function workbenchUrl(server, { folder, extensionDevelopmentPath, extensionTestsPath } = {}) {
  const params = [];
  if (folder) params.push(`folder=${encodeURIComponent(folder)}`);
  const payload = [];
  if (extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', server.remoteUri(extensionDevelopmentPath)]);
  if (extensionTestsPath) payload.push(['extensionTestsPath', server.remoteUri(extensionTestsPath)]);
  if (payload.length) params.push(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
  return `${server.baseUrl}/${params.length ? '?' + params.join('&') : ''}`;
}

export function serverLogsExist(dirs) {
  return existsSync(dirs.logsDir);
}
