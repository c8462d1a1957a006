/** The example's diagnostics and hover, as VS Code shows them. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, LAMBDA_UNUSED, byCode, codeActions, codeOf, fileUri, openFreshExample, rangeOfText, restoreAll, textOf, titles, versionOf, waitForDiagnostics } from './helpers';

describe('diagnostics on the example', () => {
  let doc: vscode.TextDocument;
  let ds: vscode.Diagnostic[];

  before(async () => {
    ({ doc, diagnostics: ds } = await openFreshExample());
  });
  after(restoreAll);

  it('8 unused-action warnings, one on each listed lambda action, with the Unnecessary tag', () => {
    const unused = byCode(ds, 'unused-action').sort((a, b) => a.range.start.compareTo(b.range.start));
    assert.deepEqual(
      unused.map((d) => textOf(doc, d.range)),
      LAMBDA_UNUSED.map((a) => `"${a}"`),
    );
    LAMBDA_UNUSED.forEach((a, i) => {
      const d = unused[i];
      assert.ok(d.range.isEqual(rangeOfText(doc, `"${a}"`)), `${a}: range ${JSON.stringify(d.range)}`);
      assert.equal(d.severity, vscode.DiagnosticSeverity.Warning);
      assert.equal(d.source, 'iam-refiner');
      assert.deepEqual(d.tags, [vscode.DiagnosticTag.Unnecessary]);
      assert.match(d.message, new RegExp(`^${a.replace(/[*]/g, '\\*')} is unused`));
      assert.equal(versionOf(d), doc.version);
    });
    // lambda:Invoke* covers no unused action: no diagnostic there
    const invoke = rangeOfText(doc, '"lambda:Invoke*"');
    assert.ok(!ds.some((d) => d.range.intersection(invoke)), 'lambda:Invoke* must not be flagged');
  });

  it('1 unused-wildcard warning on s3:Get*: 22 unused', () => {
    const [w, ...more] = byCode(ds, 'unused-wildcard');
    assert.equal(more.length, 0);
    assert.equal(textOf(doc, w.range), '"s3:Get*"');
    assert.equal(w.severity, vscode.DiagnosticSeverity.Warning);
    assert.equal(w.source, 'iam-refiner');
    assert.match(w.message, /^s3:Get\* allows 22 unused actions/);
    assert.ok(!w.tags?.includes(vscode.DiagnosticTag.Unnecessary), 'a wildcard that is partly used is not "unnecessary"');
    // related information points at the findings file, one entry per unused action
    const rel = w.relatedInformation ?? [];
    assert.equal(rel.length, 22);
    assert.ok(rel.every((r) => r.location.uri.toString() === fileUri('findings.json').toString()));
    assert.ok(rel.some((r) => r.message === 'unused: s3:GetBucketAcl'));
    // s3:List* is not flagged
    assert.ok(!ds.some((d) => d.range.intersection(rangeOfText(doc, '"s3:List*"'))));
  });

  it('codes link to the README', () => {
    assert.deepEqual([...new Set(ds.map(codeOf))].sort(), ['unused-action', 'unused-wildcard']);
    for (const d of ds) {
      assert.ok(typeof d.code === 'object' && d.code.target.toString().endsWith(`#${codeOf(d)}`), `${codeOf(d)}: no README link (${JSON.stringify(d.code)})`);
    }
  });

  it('no other extension complains about the example (the policy schema accepts it)', () => {
    const others = vscode.languages.getDiagnostics(doc.uri).filter((d) => d.source !== 'iam-refiner');
    assert.deepEqual(others.map((d) => `${d.source}: ${d.message}`), []);
  });

  it('hover on s3:Get*: 63 actions, 22 unused', async () => {
    const at = rangeOfText(doc, 's3:Get*').start.translate(0, 3);
    const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, at)) ?? [];
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(text, /\*\*`s3:Get\*`\*\* allows 63 actions/, text);
    assert.match(text, /\*\*22 unused\*\*/, text);
    assert.match(text, /41 used/, text);
    assert.match(text, /catalog \d/, text);
    const ours = hovers.find((h) => h.contents.some((c) => typeof c !== 'string' && /allows 63 actions/.test(c.value)));
    assert.ok(ours?.range && textOf(doc, ours.range) === '"s3:Get*"', `hover range: ${JSON.stringify(ours?.range)}`);
  });

  it('hover on an unused lambda action says it is unused', async () => {
    const at = rangeOfText(doc, 'lambda:AddPermission').start.translate(0, 3);
    const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, at)) ?? [];
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(text, /\*\*`lambda:AddPermission`\*\*/, text);
    assert.match(text, /\*\*Unused\*\*/, text);
  });

  // the extension pulls the diagnostics (initializationOptions.pullDiagnostics): what a keystroke that moves none gets back is `unchanged`
  it('typing where no diagnostic moves: the diagnostics pulled unchanged and kept, their quick fix still offered; a line break: pulled in full', async () => {
    const api = vscode.extensions.getExtension(EXTENSION_ID)?.exports as { pulledVersion(uri: vscode.Uri): number | undefined };
    const before = doc.version;
    const at = rangeOfText(doc, '"Statement"').start;
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, at, ' ');
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(doc.version > before);
    const held = await waitForDiagnostics(doc.uri, (d) => d.length === 9, { doc, what: 'the nine diagnostics pulled for the new version' });
    assert.equal(api.pulledVersion(doc.uri), doc.version);
    // kept, not sent again: their data still says the version they were computed on
    assert.ok(held.every((d) => versionOf(d) === before), `versions ${held.map(versionOf).join(', ')}, document ${doc.version}`);
    assert.ok(titles(await codeActions(doc.uri, rangeOfText(doc, '"s3:Get*"'), vscode.CodeActionKind.QuickFix.value)).some((t) => /^Refine s3:Get\* to 9 patterns/.test(t)));
    const top = new vscode.WorkspaceEdit();
    top.insert(doc.uri, new vscode.Position(0, 0), '\n');
    assert.ok(await vscode.workspace.applyEdit(top));
    const moved = await waitForDiagnostics(doc.uri, (d) => d.length === 9 && d.every((x) => versionOf(x) === doc.version), { doc, what: 'the nine diagnostics, moved a line down' });
    assert.deepEqual(byCode(moved, 'unused-wildcard').map((d) => textOf(doc, d.range)), ['"s3:Get*"']);
  });
});
