// Playwright helpers for driving the VS Code workbench (code-server, VS Code 1.139) like a
// person would: keyboard shortcuts, Quick Open, the command palette, hovers, quick fixes.
// Every helper takes the Playwright `page` first and throws a descriptive Error on failure.
//
// Selectors are VS Code's DOM classes (stable across recent releases, but not API):
//   .monaco-workbench                     the workbench
//   .quick-input-widget                   Quick Open / command palette
//   .editor-instance .monaco-editor       the active text editor
//   .squiggly-warning / -error / -info    diagnostics decorations
//   .markers-panel                        Problems panel
//   .monaco-hover                         hover widget
//   .action-widget                        Ctrl+. quick-fix menu

const MOD = process.platform === 'darwin' ? 'Meta' : 'Control';
export const DEFAULT_TIMEOUT = 15_000;

/** Waits for the workbench DOM and (through the smoke-test driver) its restored phase. */
export async function waitForWorkbench(page, { timeout = 60_000 } = {}) {
  await page.waitForSelector('.monaco-workbench', { timeout });
  // --enable-smoke-test-driver exposes window.driver (VS Code's IWindowDriver).
  await page.waitForFunction(() => !!window.driver, null, { timeout });
  await page.evaluate(() => window.driver.whenWorkbenchRestored());
  // The status bar shows once the remote connection is up.
  await page.waitForSelector('.statusbar', { timeout });
}

async function quickInputVisible(page, timeout = DEFAULT_TIMEOUT) {
  const widget = page.locator('.quick-input-widget');
  await widget.waitFor({ state: 'visible', timeout });
  return widget;
}

async function focusWorkbench(page) {
  // Keyboard shortcuts need focus inside the workbench (not on <body> after navigation).
  const focused = await page.evaluate(() => !!document.activeElement && document.activeElement !== document.body);
  if (!focused) await page.locator('.statusbar').click({ position: { x: 2, y: 2 } }).catch(() => {});
}

/**
 * Ctrl+P, type `query`, wait for a matching row and accept it.
 * `pick`: string/RegExp the row's label must match (default: first row).
 */
export async function quickOpen(page, query, { pick, timeout = DEFAULT_TIMEOUT } = {}) {
  await focusWorkbench(page);
  await page.keyboard.press(`${MOD}+P`);
  const widget = await quickInputVisible(page, timeout);
  const input = widget.locator('input');
  await input.fill(query);
  const rows = widget.locator('.monaco-list-row');
  const row = pick ? rows.filter({ hasText: pick }).first() : rows.first();
  await row.waitFor({ state: 'visible', timeout }).catch(async (e) => {
    const labels = await rows.allInnerTexts().catch(() => []);
    throw new Error(`Quick Open "${query}": no row${pick ? ` matching ${pick}` : ''} (rows: ${JSON.stringify(labels)}; ${e.message.split('\n')[0]})`);
  });
  await row.click();
  await widget.waitFor({ state: 'hidden', timeout });
}

/** Opens a workspace file by its path relative to the folder, via Quick Open. */
export async function openFile(page, relPath, { timeout = DEFAULT_TIMEOUT } = {}) {
  const base = relPath.split('/').pop();
  await quickOpen(page, relPath, { pick: base, timeout });
  await page
    .locator('.tabs-container .tab.active', { hasText: base })
    .waitFor({ state: 'visible', timeout })
    .catch((e) => {
      throw new Error(`openFile(${relPath}): no active editor tab "${base}" (${e.message.split('\n')[0]})`);
    });
  await page.locator('.editor-instance .monaco-editor').first().waitFor({ state: 'visible', timeout });
  await page.locator('.editor-instance .monaco-editor textarea').first().focus();
}

/**
 * Runs a command by its palette label (e.g. "View: Toggle Word Wrap" or a prefix of it),
 * through F1 / the command palette.
 */
export async function runCommand(page, label, { timeout = DEFAULT_TIMEOUT } = {}) {
  await focusWorkbench(page);
  await page.keyboard.press('F1');
  const widget = await quickInputVisible(page, timeout);
  await widget.locator('input').fill(`>${label}`);
  const rows = widget.locator('.monaco-list-row');
  const row = rows.filter({ hasText: label }).first();
  await row.waitFor({ state: 'visible', timeout }).catch(async () => {
    const labels = await rows.allInnerTexts().catch(() => []);
    throw new Error(`command "${label}" not in the palette (rows: ${JSON.stringify(labels.slice(0, 10))})`);
  });
  await row.click();
  await widget.waitFor({ state: 'hidden', timeout }).catch(() => {}); // some commands open another picker
}

/**
 * Waits until the active editor shows at least `min` squiggles of `severity`
 * ('warning' | 'error' | 'info' | 'hint'), returns their count.
 */
export async function waitForSquiggles(page, { severity = 'warning', min = 1, timeout = 30_000 } = {}) {
  const sel = `.editor-instance .monaco-editor .squiggly-${severity}`;
  try {
    await page.waitForFunction(([s, n]) => document.querySelectorAll(s).length >= n, [sel, min], { timeout });
  } catch {
    const n = await page.locator(sel).count();
    throw new Error(`expected >= ${min} ${sel}, found ${n} after ${timeout} ms`);
  }
  return page.locator(sel).count();
}

/** Opens the Problems panel (Ctrl+Shift+M); returns the text of its rows. */
export async function openProblems(page, { timeout = DEFAULT_TIMEOUT } = {}) {
  await focusWorkbench(page);
  const panel = page.locator('.markers-panel');
  if (!(await panel.isVisible().catch(() => false))) await page.keyboard.press(`${MOD}+Shift+M`);
  await panel.waitFor({ state: 'visible', timeout });
  return problems(page);
}

/** Current Problems panel rows (the panel must be open). */
export async function problems(page) {
  return (await page.locator('.markers-panel .monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
}

/**
 * The screen rectangle of occurrence `occurrence` of `text` in the active editor's visible lines
 * (`editor`: the editor's selector), or null when it is not on screen.
 */
export async function textRect(page, text, { occurrence = 0, editor = '.editor-instance .monaco-editor' } = {}) {
  return page.evaluate(
    ([needle, nth, editorSel]) => {
      const lines = document.querySelector(`${editorSel} .view-lines`);
      if (!lines) return null;
      // Monaco renders spaces as U+00A0.
      const norm = (s) => s.replace(/\u00a0/g, ' ');
      let seen = 0;
      for (const line of lines.querySelectorAll('.view-line')) {
        const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
        let full = '';
        const nodes = [];
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          nodes.push([n, full.length]);
          full += norm(n.data);
        }
        let idx = -1;
        while ((idx = full.indexOf(needle, idx + 1)) >= 0) {
          if (seen++ < nth) continue;
          const at = (i) => nodes.find(([n, start]) => i >= start && i < start + n.data.length);
          const [sn, ss] = at(idx);
          const [en, es] = at(idx + needle.length - 1);
          const r = document.createRange();
          r.setStart(sn, idx - ss);
          r.setEnd(en, idx + needle.length - es);
          const b = r.getBoundingClientRect();
          return { left: b.left, right: b.right, top: b.top, bottom: b.bottom };
        }
      }
      return null;
    },
    [text, occurrence, editor],
  );
}

/** Screen coordinates of the middle of the first occurrence of `text` in the active editor's visible lines. */
export async function textPosition(page, text, opts = {}) {
  const r = await textRect(page, text, opts);
  if (!r) throw new Error(`text "${text}" not visible in the active editor`);
  return { x: (r.left + r.right) / 2, y: (r.top + r.bottom) / 2 };
}

/** Puts the cursor in the middle of `text` (a click). */
export async function clickText(page, text, opts) {
  const { x, y } = await textPosition(page, text, opts);
  await page.mouse.click(x, y);
}

/** Hovers the mouse over `text`; returns the hover widget's text. */
export async function hoverAtText(page, text, { timeout = DEFAULT_TIMEOUT, ...opts } = {}) {
  const { x, y } = await textPosition(page, text, opts);
  await page.mouse.move(x - 40, y + 80); // move away first so a new hover is triggered
  await page.mouse.move(x, y, { steps: 4 });
  const hover = page.locator('.monaco-editor .monaco-hover:not(.hidden) .monaco-hover-content, .monaco-editor .monaco-hover-content').first();
  await hover.waitFor({ state: 'visible', timeout }).catch((e) => {
    throw new Error(`no hover appeared over "${text}" (${e.message.split('\n')[0]})`);
  });
  return (await hover.innerText()).trim();
}

/**
 * Ctrl+. (optionally after clicking on `at`), then picks the menu item whose label matches
 * `pick` (string or RegExp). Returns all item labels. Without `pick` only returns the labels
 * and closes the menu.
 */
export async function quickFix(page, { at, pick, timeout = DEFAULT_TIMEOUT } = {}) {
  if (at) await clickText(page, at);
  await page.keyboard.press(`${MOD}+.`);
  // (a hidden submenu panel inside the menu also has the class .action-widget)
  const widget = page.locator('.action-widget:not(.action-list-submenu-panel)').first();
  await widget.waitFor({ state: 'visible', timeout }).catch((e) => {
    throw new Error(`no quick-fix menu after Ctrl+.${at ? ` at "${at}"` : ''} (${e.message.split('\n')[0]})`);
  });
  const rows = widget.locator('.monaco-list-row.action');
  await rows.first().waitFor({ state: 'visible', timeout });
  const labels = (await rows.locator('.title').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  if (!pick) {
    await page.keyboard.press('Escape');
    return labels;
  }
  const row = rows.filter({ has: page.locator('.title', { hasText: pick }) }).first();
  if (!(await row.count())) {
    await page.keyboard.press('Escape');
    throw new Error(`no quick fix matching ${pick}; offered: ${JSON.stringify(labels)}`);
  }
  await row.click();
  await widget.waitFor({ state: 'hidden', timeout });
  return labels;
}

/** Text of the active editor's visible lines (spaces normalised). */
export async function editorText(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('.editor-instance .monaco-editor .view-lines .view-line')]
      .map((l) => ({ top: parseFloat(l.style.top) || 0, text: l.textContent.replace(/\u00a0/g, ' ') }))
      .sort((a, b) => a.top - b.top)
      .map((l) => l.text)
      .join('\n'),
  );
}

/** Waits until the active editor's visible text matches `re` (RegExp) / includes `s`. */
export async function waitForEditorText(page, expected, { timeout = DEFAULT_TIMEOUT } = {}) {
  const deadline = Date.now() + timeout;
  let last = '';
  while (Date.now() < deadline) {
    last = await editorText(page);
    if (expected instanceof RegExp ? expected.test(last) : last.includes(expected)) return last;
    await page.waitForTimeout(200);
  }
  throw new Error(`editor text never matched ${expected}; it is:\n${last}`);
}

/** Dismisses all notification toasts. */
export async function clearNotifications(page) {
  await runCommand(page, 'Notifications: Clear All Notifications').catch(() => {});
}

/** Texts of visible notification toasts. */
export async function notifications(page) {
  return page.locator('.notifications-toasts .notification-toast').allInnerTexts();
}

/** Ctrl+S, then waits until the active tab is no longer dirty. */
export async function save(page, { timeout = DEFAULT_TIMEOUT } = {}) {
  await page.keyboard.press(`${MOD}+S`);
  await page.locator('.tabs-container .tab.active.dirty').waitFor({ state: 'detached', timeout });
}
