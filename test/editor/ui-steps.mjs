// UI steps for test/editor/ui.mjs: what a person sees of IAM Policy Refiner in VS Code, on a
// copy of test/editor/fixtures/workspace (the product's example), with the packaged .vsix
// installed as a user installs it:
//
//   node test/editor/ui.mjs --vsix iam-policy-refiner.vsix --workspace test/editor/fixtures/workspace \
//        --steps test/editor/ui-steps.mjs            (or --extension . for development mode)
//
// Each step is followed by a screenshot (test-results/editor/ui/NN-<step>.png) that shows
// what the step claims: squiggles, the Problems panel, the hover, the quick-fix menu, the
// refined text, the Refactor Preview, the clean file, the language status item.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './lib/workspace.mjs';
import { textRect } from './lib/ui-helpers.mjs';

/**
 * What the example must give (the same list the unit tests and the editor suites check): the
 * least-general refinement of s3:Get*, and the eight unused lambda actions in file order.
 */
const { s3GetRefinement: EXPECTED_S3, lambdaUnused: LAMBDA_UNUSED } = JSON.parse(
  readFileSync(path.join(repoRoot, 'test', 'fixtures', 'example-expected.json'), 'utf8'),
);

const EDITOR = '.editor-instance .monaco-editor';

/**
 * For each needle (e.g. '"s3:Get*"', quotes included so that "lambda:GetFunction" is not found
 * inside "lambda:GetFunctionConfiguration"): whether a warning squiggle lies under it in the
 * active editor; null when the text is not on screen.
 */
async function squiggled(page, needles) {
  const squiggles = await page.evaluate((editorSel) => [...(document.querySelector(editorSel)?.querySelectorAll('.squiggly-warning') ?? [])].map((e) => {
    const b = e.getBoundingClientRect();
    return { left: b.left, right: b.right, top: b.top, bottom: b.bottom };
  }), EDITOR);
  const out = [];
  for (const needle of needles) {
    const r = await textRect(page, needle, { editor: EDITOR });
    // the squiggle covers the diagnostic's range (the string with its quotes), on that line
    out.push(r && squiggles.some((s) => s.left <= r.left + 3 && s.right >= r.right - 3 && s.top < r.bottom && s.bottom > r.top));
  }
  return out;
}

async function squiggleCount(page) {
  return page.locator(`${EDITOR} .squiggly-warning`).count();
}

/** Polls `fn` until it returns a truthy value (UI state that settles); throws `what` with the last value. */
async function until(page, fn, what, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`${what} (last: ${JSON.stringify(last)})`);
    await page.waitForTimeout(200);
  }
}

/** The s3:… entries of the editor's visible text, in order. */
function s3Entries(text) {
  return [...text.matchAll(/"(s3:[^"]+)"/g)].map((m) => m[1]);
}

/** Ctrl+. until the quick-fix menu shows (a key press can land while the editor is still busy). */
async function openQuickFixMenu(page) {
  const menu = page.locator('.action-widget:not(.action-list-submenu-panel)').first();
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Control+.');
    try {
      await menu.waitFor({ state: 'visible', timeout: 5_000 });
      return menu;
    } catch (e) {
      if (attempt === 3) throw e;
    }
  }
}

async function closeHover(page) {
  await page.keyboard.press('Escape');
  await page.mouse.move(5, 450);
}

export default [
  {
    name: 'workbench loads',
    run: async ({ page, ui }) => {
      await ui.waitForWorkbench(page);
    },
  },
  {
    name: 'squiggles under the eight lambda actions and s3:Get*',
    run: async ({ page, ui }) => {
      await ui.openFile(page, 'policy.json');
      await ui.waitForSquiggles(page, { severity: 'warning', min: 9, timeout: 45_000 });
      const needles = [...LAMBDA_UNUSED.map((a) => `"${a}"`), '"s3:Get*"'];
      await until(
        page,
        async () => {
          const r = await squiggled(page, needles);
          return r.every((x) => x === true) && r;
        },
        `squiggles expected under ${needles.join(', ')}`,
      ).catch(async (e) => {
        const r = await squiggled(page, needles);
        throw new Error(`${e.message}; per needle: ${JSON.stringify(Object.fromEntries(needles.map((n, i) => [n, r[i]])))}`);
      });
      const [invoke, list] = await squiggled(page, ['"lambda:Invoke*"', '"s3:List*"']);
      if (invoke !== false || list !== false) throw new Error(`lambda:Invoke* / s3:List* must not be squiggled (got ${invoke}, ${list})`);
    },
  },
  {
    name: 'Problems panel lists the nine warnings from iam-refiner',
    run: async ({ page, ui }) => {
      await ui.openProblems(page);
      // as a table: one row per problem (the tree also lists each problem's related
      // information, 22 lines for s3:Get*, and renders only what fits)
      const asTable = page.locator('.panel .title-actions .action-label[aria-label="View as Table"]');
      if (await asTable.isVisible().catch(() => false)) await asTable.click();
      await page.locator('.markers-panel .markers-table-container').waitFor({ state: 'visible' });
      const rows = await until(
        page,
        async () => {
          const r = (await ui.problems(page)).filter((t) => t.includes('iam-refiner'));
          return r.length >= 9 && r;
        },
        'nine iam-refiner rows in the Problems panel',
      );
      if (rows.length !== 9) throw new Error(`expected 9 iam-refiner problems, got ${rows.length}: ${JSON.stringify(rows)}`);
      for (const a of LAMBDA_UNUSED) {
        if (!rows.some((r) => r.includes(`${a} is unused`) && r.includes('unused-action'))) throw new Error(`no "${a} is unused" row: ${JSON.stringify(rows)}`);
      }
      const w = rows.filter((r) => r.includes('s3:Get* allows 22 unused actions'));
      if (w.length !== 1 || !w[0].includes('unused-wildcard')) throw new Error(`no s3:Get* row with 22 unused: ${JSON.stringify(rows)}`);
    },
  },
  {
    name: 'language status item shows the findings and the catalog',
    run: async ({ page, ui }) => {
      // the Problems panel would hide the status hover; focus the editor so the JSON language
      // status ({ } in the status bar) is the one of policy.json
      await page.keyboard.press('Control+Shift+M');
      await page.locator('.markers-panel').waitFor({ state: 'hidden' }).catch(() => {});
      await ui.clickText(page, '"Version"');
      const item = page.locator('#status\\.languageStatus').first();
      await item.waitFor({ state: 'visible' });
      await item.hover();
      const ours = page.locator('.hover-language-status .element', { hasText: 'IAM:' }).first();
      await ours.waitFor({ state: 'visible' }).catch(async () => {
        await item.click(); // the hover also opens on click
        await ours.waitFor({ state: 'visible' });
      });
      const text = (await ours.innerText()).replace(/\s+/g, ' ');
      if (!/IAM: 30 unused/.test(text)) throw new Error(`expected "IAM: 30 unused" in the status, got: ${text}`);
      if (!/findings\.json/.test(text)) throw new Error(`expected the findings file in the status, got: ${text}`);
      if (!/catalog 0\.21\./.test(text)) throw new Error(`expected the catalog version in the status, got: ${text}`);
      // the hover is too narrow for the whole line: pin the item to the status bar, as a user
      // can, and show its detail as a tooltip (what the screenshot shows)
      await ours.locator('.codicon-pin, [aria-label*="Add to Status Bar"]').first().click({ force: true });
      const pinned = page.locator('.statusbar-item', { hasText: 'IAM: 30 unused' }).first();
      await pinned.waitFor({ state: 'visible' });
      await page.mouse.move(5, 450);
      await pinned.hover();
      await until(
        page,
        async () => (await page.locator('.monaco-hover, .workbench-hover, .custom-hover').allInnerTexts().catch(() => [])).some((t) => /catalog 0\.21\./.test(t)),
        'the pinned item\'s tooltip with the catalog',
      );
    },
  },
  {
    name: 'hover on s3:Get* shows 63 actions, 22 unused',
    run: async ({ page, ui }) => {
      await page.keyboard.press('Escape');
      const text = await until(
        page,
        async () => {
          const t = await ui.hoverAtText(page, 's3:Get*').catch(() => '');
          return /22 unused/.test(t) && /allows 63 actions/.test(t) && t;
        },
        'a hover over s3:Get* with "allows 63 actions" and "22 unused"',
        20_000,
      );
      if (!/41 used/.test(text)) throw new Error(`hover lacks "41 used": ${text}`);
      // the diagnostic (with its 22 related lines) comes first in the hover: scroll to ours
      await page.locator('.monaco-hover .hover-row', { hasText: 'allows 63 actions' }).first().evaluate((e) => e.scrollIntoView({ block: 'start' }));
    },
  },
  {
    name: 'Explain Refinement from the lightbulb on s3:Get* draws the trie',
    run: async ({ page, ui, screenshot }) => {
      await closeHover(page);
      await ui.clickText(page, 's3:Get*');
      const menu = await openQuickFixMenu(page);
      const row = menu.locator('.monaco-list-row.action', { has: page.locator('.title', { hasText: 'Explain Refinement of s3:Get*' }) }).first();
      await row.waitFor({ state: 'visible' });
      await row.click();
      await menu.waitFor({ state: 'hidden' });
      // the webview: VS Code's outer iframe, the page in its inner active frame
      const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      await view.locator('ul.tree').waitFor({ state: 'visible', timeout: 20_000 });
      await page.locator('.tab', { hasText: 'Explain: s3:Get*' }).first().waitFor({ state: 'visible' });
      // the nine emitted patterns, as safe nodes
      const emitted = (await view.locator('.node.emitted .emit').allInnerTexts()).map((t) => t.replace(/^⇒\s*/, '').trim());
      if (JSON.stringify([...emitted].sort()) !== JSON.stringify([...EXPECTED_S3].sort())) throw new Error(`emitted nodes in the picture: ${JSON.stringify(emitted)}`);
      const states = await view.locator('.node.emitted').evaluateAll((els) => els.map((e) => e.dataset.state));
      if (!states.every((s) => s === 'safe')) throw new Error(`emitted nodes not all safe: ${JSON.stringify(states)}`);
      const bucket = await view.locator('details.node[data-prefix="s3:getbucket"]').getAttribute('data-state');
      if (bucket !== 'unsafe') throw new Error(`GetBucket is ${bucket}, expected unsafe`);
      const leaves = await view.locator('.node.unused.leaf').count();
      if (leaves !== 22) throw new Error(`expected 22 unused leaves, got ${leaves}`);
      // the search box finds an action inside a collapsed safe subtree and opens it
      const search = view.locator('#search');
      await search.fill('GetObjectVersionAcl');
      await until(page, async () => (await view.locator('#search-status').innerText()) === '1 match', 'one search match for GetObjectVersionAcl');
      await search.press('Escape');
      // keyboard: Tab moves into the tree; a click on an unused leaf shows its finding
      const acl = view.locator('details.node[data-action="s3:GetBucketAcl"]');
      await acl.locator('summary').click();
      const usage = acl.locator('.usage');
      await usage.waitFor({ state: 'visible' });
      const text = (await usage.innerText()).replace(/\s+/g, ' ');
      if (!/not used in the tracking period/.test(text) || !/findings\.json/.test(text)) throw new Error(`the unused leaf's detail: ${text}`);
      await acl.locator('summary').scrollIntoViewIfNeeded();
      await screenshot('explain picture');
    },
  },
  {
    name: 'the picture closes; policy.json is back',
    run: async ({ page, ui }) => {
      await ui.runCommand(page, 'View: Close Editor');
      await page.locator('.tab', { hasText: 'Explain: s3:Get*' }).first().waitFor({ state: 'hidden', timeout: 10_000 });
      await ui.clickText(page, '"Version"');
    },
  },
  {
    name: 'the hover on s3:Get* says the refinement in short; its link opens the picture',
    run: async ({ page, ui, screenshot }) => {
      const text = await until(
        page,
        async () => {
          const t = await ui.hoverAtText(page, 's3:Get*').catch(() => '');
          return /Refinement: s3:GetAccess\* \(12\)/.test(t) && t;
        },
        'a hover over s3:Get* with the refinement in short',
        20_000,
      );
      if (!/Split because these hold unused actions: s3:Get \(22 of 63 unused\), s3:GetBucket/.test(text.replace(/\s+/g, ' '))) throw new Error(`hover lacks the unsafe nodes: ${text}`);
      const link = page.locator('.monaco-hover a', { hasText: 'Explain Refinement (the trie)' }).first();
      await link.evaluate((e) => e.scrollIntoView({ block: 'center' }));
      await screenshot('hover with the refinement in short');
      await link.click();
      const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      await view.locator('ul.tree').waitFor({ state: 'visible', timeout: 20_000 });
      await page.locator('.tab', { hasText: 'Explain: s3:Get*' }).first().waitFor({ state: 'visible' });
      await ui.runCommand(page, 'View: Close Editor');
      await page.locator('.tab', { hasText: 'Explain: s3:Get*' }).first().waitFor({ state: 'hidden', timeout: 10_000 });
      await ui.clickText(page, '"Version"');
    },
  },
  {
    name: 'Ctrl+. on s3:Get* offers Refine s3:Get* to 9 patterns',
    run: async ({ page, ui }) => {
      await closeHover(page);
      await ui.clickText(page, 's3:Get*');
      const menu = await openQuickFixMenu(page);
      const labels = await until(
        page,
        async () => {
          const l = (await menu.locator('.monaco-list-row.action .title').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
          return l.includes('Refine s3:Get* to 9 patterns') && l;
        },
        'the quick-fix menu offering "Refine s3:Get* to 9 patterns"',
      );
      if (!labels.includes('Refine the whole file')) throw new Error(`"Refine the whole file" not offered: ${JSON.stringify(labels)}`);
      // (the menu stays open for the screenshot)
    },
  },
  {
    name: 'applying it writes the nine patterns in place of s3:Get*',
    run: async ({ page, ui }) => {
      const menu = page.locator('.action-widget:not(.action-list-submenu-panel)').first();
      await menu.locator('.monaco-list-row.action', { has: page.locator('.title', { hasText: 'Refine s3:Get* to 9 patterns' }) }).first().click();
      await menu.waitFor({ state: 'hidden' });
      // the statement is near the end of the file: bring it all on screen
      await page.keyboard.press('Control+End');
      const text = await ui.waitForEditorText(page, /"s3:GetStorage\*",\s*"s3:List\*"/);
      const s3 = s3Entries(text);
      if (JSON.stringify(s3) !== JSON.stringify([...EXPECTED_S3, 's3:List*'])) throw new Error(`s3 entries after the fix: ${JSON.stringify(s3)}`);
      // the wildcard warning is gone, the eight lambda ones stay
      await until(page, async () => (await squiggled(page, ['"s3:GetAccess*"']))[0] === false, 'no squiggle on the refined patterns');
      await page.keyboard.press('Control+Home');
      await until(page, async () => (await squiggleCount(page)) === 8, 'eight squiggles left (lambda)');
    },
  },
  {
    name: 'Explain Refinement on the refined list: the ten patterns, least general against the findings',
    run: async ({ page, ui }) => {
      await page.keyboard.press('Control+End');
      await ui.clickText(page, 's3:GetObject*');
      await ui.runCommand(page, 'IAM Refiner: Explain Refinement');
      const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      await view.locator('ul.tree').waitFor({ state: 'visible', timeout: 20_000 });
      const emitted = (await view.locator('.node.emitted .emit').allInnerTexts()).map((t) => t.replace(/^⇒\s*/, '').trim());
      const want = [...EXPECTED_S3, 's3:List*'];
      if (JSON.stringify([...emitted].sort()) !== JSON.stringify([...want].sort())) throw new Error(`the refined list's nodes: ${JSON.stringify(emitted)}`);
      const verdict = await view.locator('.result').innerText();
      if (!/least general against the findings/.test(verdict)) throw new Error(`verdict: ${verdict}`);
      const leaves = await view.locator('.node.unused.leaf').count();
      if (leaves !== 22) throw new Error(`expected the 22 unused actions as leaves outside the list, got ${leaves}`);
      await view.locator('.result').scrollIntoViewIfNeeded();
    },
  },
  {
    name: 'the list picture closes',
    run: async ({ page, ui }) => {
      await ui.runCommand(page, 'View: Close Editor');
      await page.locator('.tab', { hasText: 'Explain:' }).first().waitFor({ state: 'hidden', timeout: 10_000 });
      await ui.clickText(page, '"Version"');
    },
  },
  {
    name: 'command palette: Refine Whole File shows the Refactor Preview',
    run: async ({ page, ui }) => {
      await ui.clearNotifications(page);
      await ui.runCommand(page, 'IAM Refiner: Refine Whole File');
      const panel = page.locator('.bulk-edit-panel');
      await panel.waitFor({ state: 'visible', timeout: 20_000 });
      const fileRow = panel.locator('.monaco-list-row[aria-level="1"]', { hasText: 'policy.json' });
      await fileRow.waitFor({ state: 'visible' });
      const rows = await panel.locator('.monaco-list-row').allInnerTexts();
      if (!rows.some((r) => r.includes('lambda:AddPermission'))) throw new Error(`the preview does not show the lambda removals: ${JSON.stringify(rows)}`);
    },
  },
  {
    name: 'accepting the preview leaves a policy with no warnings',
    run: async ({ page, ui, screenshot }) => {
      const panel = page.locator('.bulk-edit-panel');
      const fileRow = panel.locator('.monaco-list-row[aria-level="1"]', { hasText: 'policy.json' });
      // changes an extension marks needsConfirmation start unticked: tick the file (all its changes)
      const box = fileRow.locator('.edit-checkbox');
      if ((await box.getAttribute('aria-checked')) !== 'true') await box.click();
      await until(page, async () => (await box.getAttribute('aria-checked')) === 'true', 'the file ticked in the preview');
      await screenshot('preview ticked');
      await panel.getByRole('button', { name: 'Apply' }).click();
      await panel.waitFor({ state: 'hidden', timeout: 15_000 }).catch(() => {});
      await until(page, async () => (await squiggleCount(page)) === 0, 'no squiggle left', 20_000);
      await page.keyboard.press('Control+Home');
      const text = await ui.editorText(page);
      const lambda = [...text.matchAll(/"(lambda:[^"]+)"/g)].map((m) => m[1]);
      if (JSON.stringify(lambda) !== JSON.stringify(['lambda:Invoke*'])) throw new Error(`lambda entries: ${JSON.stringify(lambda)}`);
      await ui.openProblems(page);
      const left = await until(
        page,
        async () => {
          const r = (await ui.problems(page)).filter((t) => t.includes('iam-refiner'));
          return r.length === 0 ? 'none' : false;
        },
        'no iam-refiner row left in the Problems panel',
      );
      if (left !== 'none') throw new Error('unexpected');
      await ui.save(page);
    },
  },
  {
    name: 'a Terraform file: squiggle under s3:Get* and its quick fix applied',
    run: async ({ page, ui, screenshot }) => {
      await page.keyboard.press('Control+Shift+M'); // the Problems panel closes
      await ui.openFile(page, 'infra/main.tf');
      // the eight lambda actions are on the first screen; s3:Get* is further down
      await ui.waitForSquiggles(page, { severity: 'warning', min: 8, timeout: 45_000 });
      await ui.clickText(page, '"Lambda"'); // focus the editor, then bring the S3 statement on screen
      await page.keyboard.press('Control+End');
      // both read from one look at the editor once it settles (Control+End scrolls: a squiggle's box and a
      // string's box read at two moments of the scroll can overlap); s3:List* squiggled for good fails here
      await until(
        page,
        async () => {
          const [get, list] = await squiggled(page, ['"s3:Get*"', '"s3:List*"']);
          return get === true && list === false;
        },
        'a squiggle under "s3:Get*" and none under "s3:List*" in main.tf',
      );
      await screenshot('terraform squiggle');
      await ui.clickText(page, 's3:Get*');
      const menu = await openQuickFixMenu(page);
      const fix = menu.locator('.monaco-list-row.action', { has: page.locator('.title', { hasText: 'Refine s3:Get* to 9 patterns' }) }).first();
      await fix.waitFor({ state: 'visible' });
      await screenshot('terraform quick fix');
      await fix.click();
      await menu.waitFor({ state: 'hidden' });
      const text = await ui.waitForEditorText(page, /"s3:GetStorage\*"\]/);
      const s3 = s3Entries(text);
      if (JSON.stringify(s3) !== JSON.stringify(['s3:List*', ...EXPECTED_S3])) throw new Error(`s3 entries in main.tf after the fix: ${JSON.stringify(s3)}`);
      await until(page, async () => (await squiggled(page, ['"s3:GetAccess*"']))[0] === false, 'no squiggle on the refined patterns');
    },
  },
];
