// Run registered cleanups exactly once: on normal completion (call runCleanups()),
// on SIGINT/SIGTERM/SIGHUP, and on an uncaught error.
const tasks = [];
let running = null;
let installed = false;

export function onCleanup(fn) {
  tasks.push(fn);
  install();
}

export async function runCleanups() {
  if (!running) {
    running = (async () => {
      // Last registered first (browser before server before temp dir).
      while (tasks.length) {
        const fn = tasks.pop();
        try {
          await fn();
        } catch (e) {
          process.stderr.write(`[editor] cleanup error: ${e && e.message}\n`);
        }
      }
    })();
  }
  return running;
}

function install() {
  if (installed) return;
  installed = true;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, async () => {
      process.stderr.write(`[editor] ${sig}: cleaning up\n`);
      const t = setTimeout(() => process.exit(130), 15_000);
      t.unref();
      await runCleanups();
      process.exit(130);
    });
  }
}
