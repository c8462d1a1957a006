// Headless Debian Chromium driven by playwright-core (no browser download).
import { createWriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

function loadPlaywright() {
  try {
    return require('playwright-core');
  } catch {
    const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
    return require(path.join(repo, 'node_modules', 'playwright-core'));
  }
}

export async function launchBrowser(deps, { headless = true, slowMo } = {}) {
  const { chromium } = loadPlaywright();
  return chromium.launch({
    executablePath: deps.chromium,
    args: CHROMIUM_ARGS,
    headless,
    slowMo,
    // We handle SIGINT ourselves (cleanup.mjs) and close the browser there.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
}

export async function newPage(browser, { width = 1400, height = 900 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
  // Clipboard for copy/paste in UI tests (harmless if unsupported).
  await context.grantPermissions(['clipboard-read', 'clipboard-write']).catch(() => {});
  return context.newPage();
}

/**
 * Writes the page's console (which includes the extension host's console.log output,
 * forwarded by VS Code) and page errors to `file`. Returns a function that gives the
 * last `n` lines.
 */
export function captureConsole(page, file, { echo = false, filter } = {}) {
  const out = file ? createWriteStream(file, { flags: 'a' }) : null;
  const tail = [];
  const push = (line) => {
    out?.write(line + '\n');
    tail.push(line);
    if (tail.length > 500) tail.shift();
    if (echo && (!filter || filter(line))) process.stderr.write(`[browser] ${line}\n`);
  };
  page.on('console', (m) => {
    // VS Code forwards extension-host logs as ("%c INFO", "color: ...", "%s%s", args...).
    const text = m.text().replace(/%c\s*(INFO|WARN|ERR|DEBUG|TRACE)\s+color:\s*#[0-9a-f]+\s*/i, '[$1] ');
    push(`${m.type()}: ${text}`);
  });
  page.on('pageerror', (e) => push(`pageerror: ${e && e.stack ? e.stack : e}`));
  page.on('crash', () => push('page crashed'));
  page.on('close', () => out?.end());
  return (n = 40) => tail.slice(-n);
}
