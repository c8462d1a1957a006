/**
 * The Explain Refinement picture as one HTML page for a VS Code webview: the trie the server sent
 * (ExplainResponse), drawn with native <details>/<summary> (keyboard accessible: Tab, Enter,
 * Space), themed with the theme's CSS variables, no remote content, a strict Content-Security-Policy
 * with a nonce for its one style sheet and its one script (the search box). No vscode import: the
 * unit tests render it too.
 */
import type { ExplainNode, ExplainResponse, Explanation } from '../../shared/protocol';

type Ok = Extract<ExplainResponse, { kind: 'ok' }>;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

function actionsOf(e: Explanation, n: ExplainNode): number {
  const c = n.counts;
  return e.mode === 'allow' ? c.used + c.unused : c.used + c.unused + c.excluded + c.outside;
}

/** The colour class of a node: the same states `iam-refine explain` prints. */
export function stateOf(e: Explanation, n: ExplainNode, isRoot: boolean): 'safe' | 'unsafe' | 'unused' | 'outside' | 'excluded' | 'used' {
  const leaf = n.children.length === 0 && !n.opaque ? n.action?.kind : undefined;
  if (leaf === 'unused') return 'unused';
  if (leaf === 'outside' || (n.opaque && e.mode === 'allow' && n.counts.used + n.counts.unused === 0)) return 'outside';
  if (!isRoot && e.mode === 'exclude' && n.counts.excluded === actionsOf(e, n)) return 'excluded';
  if (e.mode === 'exclude' && n.opaque) return 'used';
  return n.safe ? 'safe' : 'unsafe';
}

const STATE_LABEL: Record<string, string> = {
  safe: 'safe',
  unsafe: 'unsafe',
  unused: 'unused',
  outside: 'not allowed by the pattern',
  excluded: 'already excluded',
  used: 'used',
};

function countsText(e: Explanation, n: ExplainNode): string {
  if (e.list) return [`${n.counts.used} allowed`, ...(n.counts.unused ? [`${n.counts.unused} unused`] : []), ...(n.counts.outside ? [`${n.counts.outside} not allowed`] : [])].join(', ');
  const parts = [plural(actionsOf(e, n), 'action')];
  if (n.counts.unused) parts.push(`${n.counts.unused} unused`);
  if (e.mode === 'allow' && n.counts.outside) parts.push(`${n.counts.outside} not allowed`);
  if (e.mode === 'exclude' && n.counts.excluded) parts.push(`${n.counts.excluded} excluded`);
  return parts.join(', ');
}

function usageHtml(n: ExplainNode): string {
  const a = n.action!;
  const dates = (a.lastAccessed ?? []).map((x) => `<li>${x.date ? `last used <time>${esc(x.date)}</time>` : 'not used in the tracking period'}${x.role ? ` by ${esc(x.role.slice(x.role.lastIndexOf('/') + 1))}` : ''}</li>`);
  const finds = (a.findings ?? []).map(
    (f) =>
      `<li>finding ${f.id ? `<code>${esc(f.id)}</code> ` : ''}in <code>${esc(f.source)}</code>${f.resource ? ` for <code>${esc(f.resource)}</code>` : ''}${f.serviceLevel ? ' (the whole service is unused)' : ''}${f.lastAccessed ? `, last accessed <time>${esc(f.lastAccessed)}</time>` : ''}</li>`,
  );
  return `<div class="usage" role="note"><strong>${esc(a.name)}</strong> is unused<ul>${dates.join('') || '<li>not used in the tracking period</li>'}${finds.join('')}</ul></div>`;
}

function nodeHtml(e: Explanation, n: ExplainNode, isRoot: boolean): string {
  const state = stateOf(e, n, isRoot);
  const label = isRoot ? n.prefix || '*' : n.word;
  const marks: string[] = [];
  if (n.emitted) marks.push(`<span class="emit" title="written by the refinement">⇒ ${esc(n.emitted)}</span>`);
  else if (n.listed) marks.push(`<span class="listed" title="already in the statement">⇒ ${esc(n.listed)} (listed already)</span>`);
  const byOwnName = !!n.action && n.children.length > 0 && !n.safe && n.emitted === n.action.name;
  if (byOwnName) marks.length = 0;
  const cls = `node ${state}${n.emitted ? ' emitted' : ''}${n.listed ? ' listed' : ''}`;
  const data = `data-prefix="${esc(n.prefix.toLowerCase())}" data-state="${state}"${n.action ? ` data-action="${esc(n.action.name)}"` : ''}`;
  const summary = `<span class="word">${esc(label)}</span> <span class="counts">${esc(countsText(e, n))}</span> <span class="badge ${state}">${esc(state === 'outside' && e.list ? 'not allowed by the list' : STATE_LABEL[state])}</span> ${marks.join(' ')}`;
  const title = `${esc(n.prefix || '*')}: ${esc(STATE_LABEL[state])}`;
  const isUnusedLeaf = state === 'unused';
  if (n.children.length === 0) {
    if (isUnusedLeaf && n.action) return `<li><details class="${cls} leaf" ${data}><summary title="${title}">${summary}</summary>${usageHtml(n)}</details></li>`;
    return `<li><div class="${cls} leaf" ${data} tabindex="0" title="${title}">${summary}</div></li>`;
  }
  const kids = n.children.map((c) => nodeHtml(e, c, false)).join('');
  const own = n.action ? ownHtml(e, n, byOwnName) : '';
  return `<li><details class="${cls.replace(byOwnName ? ' emitted' : '', '')}" ${data.replace(/ data-action="[^"]*"/, '')}${n.collapsed ? '' : ' open'}><summary title="${title}">${summary}</summary><ul>${own}${kids}</ul></details></li>`;
}

/** A node's own action when longer actions share its prefix (the end of a word): a leaf of its own, first among the children. */
function ownHtml(e: Explanation, n: ExplainNode, byOwnName: boolean): string {
  const a = n.action!;
  const state = a.kind === 'unused' ? 'unused' : a.kind === 'outside' ? 'outside' : a.kind === 'excluded' ? 'excluded' : e.mode === 'allow' ? 'safe' : 'used';
  const cls = `node ${state}${byOwnName ? ' emitted' : ''} leaf own-action`;
  const data = `data-prefix="${esc(a.name.toLowerCase())}" data-state="${state}" data-action="${esc(a.name)}"`;
  const mark = byOwnName ? ` <span class="emit" title="written by the refinement">⇒ ${esc(a.name)}</span>` : n.listed === a.name ? ` <span class="listed">⇒ ${esc(a.name)} (listed already)</span>` : '';
  const summary = `<span class="word">· ${esc(a.name)}</span> <span class="counts">the action itself${a.kind === 'unused' ? ', unused' : ''}</span> <span class="badge ${state}">${esc(STATE_LABEL[state])}</span>${mark}`;
  if (state === 'unused') return `<li><details class="${cls}" ${data}><summary title="${esc(a.name)}: unused">${summary}</summary>${usageHtml(n)}</details></li>`;
  return `<li><div class="${cls}" ${data} tabindex="0" title="${esc(a.name)}: ${esc(STATE_LABEL[state])}">${summary}</div></li>`;
}

function outcomeHtml(e: Explanation): string {
  const list = (ps: string[]) => ps.map((p) => `<code class="pattern">${esc(p)}</code>`).join(' ');
  switch (e.outcome) {
    case 'keep':
      return 'Nothing under it is unused: it stays as written.';
    case 'remove':
      return e.listed.length ? `Removed: what it must still allow is listed already (${list(e.listed)}).` : 'Removed: every action it allows is unused.';
    case 'remove-statement':
      return 'The statement is removed: every action it allows is unused.';
    case 'replace':
      return `Becomes ${plural(e.patterns.length, 'pattern')}: ${list(e.patterns)}${e.listed.length ? ` (and ${list(e.listed)}, listed already)` : ''}`;
    case 'to-not-action':
      return `Becomes <code>"NotAction"</code> with ${plural(e.patterns.length, 'pattern')}: ${list(e.patterns)}`;
    case 'extend-not-action':
      return `NotAction gains ${plural(e.patterns.length, 'pattern')}: ${list(e.patterns)}`;
    case 'list': {
      const l = e.list!;
      if (l.unusedAllowed > 0) return `The list allows ${plural(l.unusedAllowed, 'unused action')}: refine it (the quick fix).`;
      if (l.leastGeneral) return `The list is least general against the findings: each of its ${plural(l.entries.length, 'pattern')} is a shortest safe prefix.`;
      return `The list allows no unused action, but it is not the least-general form; the shortest safe prefixes of what it allows: ${list(l.frontier)}`;
    }
  }
}

const STYLE = `
:root { color-scheme: light dark; }
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); background: var(--vscode-editor-background); padding: 0 12px 24px; }
h1 { font-size: 1.2em; margin: 12px 0 4px; font-weight: 600; }
code, .word, .emit, .listed, .own { font-family: var(--vscode-editor-font-family); }
.summary { margin: 4px 0 8px; }
.legend { display: flex; flex-wrap: wrap; gap: 12px; margin: 6px 0 10px; color: var(--vscode-descriptionForeground); }
.legend span::before { content: ''; display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; background: var(--swatch); }
.search { display: flex; gap: 8px; align-items: center; margin: 8px 0; }
input[type=search] { flex: 0 1 320px; color: var(--vscode-input-foreground); background: var(--vscode-input-background); border: 1px solid var(--vscode-input-border, transparent); padding: 3px 6px; }
input[type=search]:focus { outline: 1px solid var(--vscode-focusBorder); }
button { color: var(--vscode-button-secondaryForeground); background: var(--vscode-button-secondaryBackground); border: none; padding: 3px 8px; cursor: pointer; }
button:focus-visible, summary:focus-visible, .leaf:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: 1px; }
ul.tree, ul.tree ul { list-style: none; margin: 0; padding-left: 18px; }
ul.tree { padding-left: 0; }
ul.tree ul { border-left: 1px solid var(--vscode-tree-indentGuidesStroke, var(--vscode-editorIndentGuide-background)); }
summary, .leaf { padding: 1px 4px; border-radius: 3px; cursor: default; }
details.leaf > summary { cursor: pointer; }
.leaf:not(details) { padding-left: 18px; }
.counts { color: var(--vscode-descriptionForeground); }
.badge { font-size: 0.85em; padding: 0 5px; border-radius: 8px; border: 1px solid var(--c); color: var(--c); }
.node > summary .word, .node.leaf > .word { color: var(--c); font-weight: 600; }
.safe { --c: var(--vscode-testing-iconPassed, var(--vscode-charts-green)); }
.unsafe { --c: var(--vscode-editorWarning-foreground, var(--vscode-charts-orange)); }
.unused { --c: var(--vscode-editorError-foreground, var(--vscode-charts-red)); }
.outside, .excluded, .used { --c: var(--vscode-disabledForeground, var(--vscode-descriptionForeground)); }
.legend .safe { --swatch: var(--c); } .legend .unsafe { --swatch: var(--c); } .legend .unused { --swatch: var(--c); } .legend .outside { --swatch: var(--c); }
.legend .emitted::before { background: var(--vscode-editor-findMatchHighlightBackground); border: 1px solid var(--vscode-focusBorder); }
.emitted > summary, .emitted.leaf:not(details) { background: var(--vscode-editor-findMatchHighlightBackground); outline: 1px solid var(--vscode-focusBorder); }
.emit { font-weight: 700; color: var(--vscode-textLink-foreground); }
.listed { color: var(--vscode-descriptionForeground); }
.own { color: var(--vscode-descriptionForeground); font-size: 0.9em; }
.usage { margin: 2px 0 4px 22px; padding: 4px 8px; border-left: 2px solid var(--vscode-editorError-foreground); background: var(--vscode-textBlockQuote-background); }
.usage ul { margin: 2px 0; padding-left: 16px; }
.match > summary, .match.leaf:not(details) { outline: 2px solid var(--vscode-editor-findMatchBorder, var(--vscode-focusBorder)); }
.result { margin: 12px 0; padding: 6px 8px; background: var(--vscode-textBlockQuote-background); border-left: 3px solid var(--vscode-textLink-foreground); }
.result code.pattern { margin-right: 4px; white-space: nowrap; }
[hidden] { display: none !important; }
`;

/** The script: search (filter and reveal), expand/collapse all. No network, no eval. */
const SCRIPT = `
(() => {
  const box = document.getElementById('search');
  const status = document.getElementById('search-status');
  const nodes = [...document.querySelectorAll('.node')];
  const reveal = (el) => { for (let p = el.parentElement; p; p = p.parentElement) if (p.tagName === 'DETAILS') p.open = true; };
  const run = () => {
    const q = box.value.trim().toLowerCase().replace(/^\\*|\\*$/g, '');
    for (const n of nodes) {
      const own = (n.dataset.action || '').toLowerCase();
      n.classList.toggle('match', q.length > 0 && (n.dataset.prefix.includes(q) || own.includes(q)));
    }
    // the shallowest matches: a node under a match is part of it
    const hits = nodes.filter((n) => n.classList.contains('match') && !nodes.some((o) => o !== n && o.classList.contains('match') && o.contains(n)));
    for (const n of nodes) if (n.classList.contains('match') && !hits.includes(n)) n.classList.remove('match');
    hits.forEach(reveal);
    status.textContent = q ? (hits.length ? hits.length + (hits.length === 1 ? ' match' : ' matches') : 'no action matches') : '';
    return hits;
  };
  box.addEventListener('input', run);
  box.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') {
      const hits = run();
      if (hits.length) { const t = hits[0].tagName === 'DETAILS' ? hits[0].querySelector('summary') : hits[0]; t.focus(); t.scrollIntoView({ block: 'center' }); }
    }
    if (ev.key === 'Escape') { box.value = ''; run(); }
  });
  document.addEventListener('keydown', (ev) => { if (ev.key === '/' && document.activeElement !== box) { ev.preventDefault(); box.focus(); } });
  const all = (open) => document.querySelectorAll('ul.tree details').forEach((d) => (d.open = open));
  document.getElementById('expand').addEventListener('click', () => all(true));
  document.getElementById('collapse').addEventListener('click', () => { all(false); document.querySelector('ul.tree > li > details').open = true; });
})();
`;

/** The page for one explanation; `nonce` must be fresh for each page (letters and digits). */
export function explainHtml(r: Ok, nonce: string): string {
  const e = r.explanation;
  const csp = `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; img-src 'none'; font-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'`;
  const subject = e.list ? `${e.root.prefix}… (${plural(e.list.entries.length, 'pattern')})` : e.mode === 'allow' ? e.pattern : e.key === 'NotAction' ? 'NotAction statement' : `"Action": "${e.pattern}"`;
  const total = actionsOf(e, e.root);
  const head = e.list
    ? `The list (${e.list.entries.map((p) => `<code>${esc(p)}</code>`).join(' ')}) allows ${plural(e.root.counts.used + e.list.unusedAllowed, 'action')}, ${e.list.unusedAllowed} unused; ${e.root.counts.unused} unused below <code>${esc(e.root.prefix)}</code> (${e.totals.unusedLeaves} unused ${e.totals.unusedLeaves === 1 ? 'leaf' : 'leaves'}).`
    : e.mode === 'allow'
      ? `<code>${esc(e.pattern)}</code> allows ${plural(total, 'action')}, ${e.root.counts.unused} unused (${e.totals.unusedLeaves} unused ${e.totals.unusedLeaves === 1 ? 'leaf' : 'leaves'} below).`
      : `Of ${plural(total, 'action')}, ${e.root.counts.unused} unused${e.root.counts.excluded ? `, ${e.root.counts.excluded} already excluded` : ''}: what is added to NotAction.`;
  const legend =
    e.mode === 'allow'
      ? '<span class="safe">safe: nothing under it is unused</span><span class="unsafe">unsafe: holds unused actions</span><span class="unused">unused leaf (click for the finding)</span><span class="outside">not allowed by the pattern</span><span class="emitted">written by the refinement</span>'
      : '<span class="safe">safe: everything under it is unused or excluded</span><span class="unsafe">unsafe: holds used actions</span><span class="unused">unused leaf (click for the finding)</span><span class="outside">used / already excluded</span><span class="emitted">added to NotAction</span>';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Explain Refinement: ${esc(subject)}</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<main>
<h1>Explain Refinement: <code>${esc(subject)}</code> <span class="counts">in ${esc(r.title.replace(/^.* in /, ''))}</span></h1>
<p class="summary">${head} Findings: ${esc(r.binding)}.</p>
<div class="legend" aria-label="legend">${legend}</div>
<div class="search" role="search"><label for="search">Find an action</label><input id="search" type="search" placeholder="e.g. GetBucketAcl  (press / to focus)" autocomplete="off" spellcheck="false"><button id="expand" type="button">Expand all</button><button id="collapse" type="button">Collapse all</button><span id="search-status" role="status" aria-live="polite"></span></div>
<ul class="tree" aria-label="the trie of actions below ${esc(e.root.prefix || '*')}">${nodeHtml(e, e.root, true)}</ul>
<p class="result" role="status"><strong>Refinement</strong>: ${outcomeHtml(e)}</p>
</main>
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>`;
}

/** The page shown when there is nothing to explain. */
export function explainErrorHtml(message: string, nonce: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}'"><style nonce="${nonce}">body{font-family:var(--vscode-font-family);color:var(--vscode-foreground);padding:12px}</style><title>Explain Refinement</title></head><body><p role="alert">${esc(message)}</p></body></html>`;
}
