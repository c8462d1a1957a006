/**
 * Explain Refinement: the trie against the quick fix, in the language server (the picture's data,
 * the code action, the hover), on the command line (`iam-refine explain`), in the webview's HTML,
 * and for each kind of statement (`?`, a wildcard in the middle, NotAction, "Action": "*") against
 * the independent oracle's cover (test/support/oracle.ts).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { CodeAction, MarkupContent } from 'vscode-languageserver-protocol';
import { LspClient, byCode } from '../support/lspClient';
import { EXAMPLE, EXPECTED_S3, exampleFindings, examplePolicy } from '../support/example';
import { tempWorkspaces } from '../support/files';
import { cli } from '../support/cli';
import { runCli } from '../../server/src/cli/cli';
import { coreExplain, emitted, findingsOf, oracleCheck, sortLower, unusedLeaves } from '../support/explainOracle';
import type { ExplainNode, ExplainParams, ExplainResponse, Explanation } from '../../shared/protocol';
import { explainNodes, parseFindings } from '../../server/src/core';
import { explainHtml } from '../../client/src/explainHtml';

const workspace = tempWorkspaces('iam-explain-');

async function withServer<T>(folders: string[], fn: (c: LspClient) => Promise<T>, explainView = true): Promise<T> {
  const { client } = await LspClient.start({ folders, initializationOptions: { debounceMs: 20, ...(explainView ? { explainView: true } : {}) } });
  try {
    return await fn(client);
  } finally {
    await client.stop();
  }
}


function parentOf(root: ExplainNode, target: ExplainNode): ExplainNode | undefined {
  for (const n of explainNodes(root)) if (n.children.includes(target)) return n;
  return undefined;
}

describe('the bundled example, in the language server', () => {
  test('s3:Get*: the picture and the quick fix agree node for node', async () => {
    const dir = workspace({ 'policy.json': examplePolicy(), 'findings.json': exampleFindings() });
    await withServer([dir], async (c) => {
      const file = path.join(dir, 'policy.json');
      const uri = c.open(file);
      const ds = await c.waitForDiagnostics(uri, (d) => d.length === 9);
      const w = byCode(ds, 'unused-wildcard')[0];
      const actions = await c.codeActions(uri, [w]);
      // the fix comes first and stays preferred; Explain is offered after it
      assert.equal(actions[0].title, 'Refine s3:Get* to 9 patterns');
      const explain = actions.find((a) => a.title === 'Explain Refinement of s3:Get*') as CodeAction;
      assert.ok(explain, `no Explain action: ${actions.map((a) => a.title).join(' | ')}`);
      assert.equal(explain.kind, 'quickfix.explain');
      assert.equal(explain.edit, undefined);
      assert.equal(explain.command?.command, 'iamRefiner.explainRefinement');
      const params = explain.command!.arguments![0] as ExplainParams;
      const r = await c.request<ExplainResponse>('iamRefiner/explain', params);
      assert.equal(r.kind, 'ok', JSON.stringify(r));
      if (r.kind !== 'ok') return;
      const e = r.explanation;

      // what the quick fix writes, read back from its edit
      c.apply(actions[0]);
      const fixed = (JSON.parse(c.text(uri)).Statement[1].Action as string[]).filter((p) => p !== 's3:List*');
      assert.deepEqual(sortLower(emitted(e)), sortLower(fixed));
      assert.deepEqual(sortLower(e.patterns), sortLower(fixed));
      assert.deepEqual(sortLower(fixed), sortLower(EXPECTED_S3));
      assert.deepEqual(e.unmatched, []);
      assert.equal(e.root.prefix, 's3:Get');
      assert.equal(e.outcome, 'replace');

      const nodes = explainNodes(e.root);
      for (const n of nodes.filter((x) => x.emitted)) {
        assert.ok(n.safe, `${n.prefix} emitted but not safe`);
        assert.equal(n.counts.unused, 0);
        const p = parentOf(e.root, n)!;
        assert.ok(!p.safe, `${n.prefix} emitted under a safe parent ${p.prefix}`);
      }
      const bucket = nodes.find((n) => n.prefix === 's3:GetBucket')!;
      assert.equal(bucket.safe, false);
      assert.ok(bucket.counts.unused > 0 && bucket.counts.used > 0);
      assert.ok(e.forcedBy.includes('s3:GetBucket'));
      // every node holding an unused action is unsafe; every other non-root node is safe here (s3:Get* allows all of s3:Get)
      for (const n of nodes.slice(1)) assert.equal(n.safe, n.counts.unused === 0, n.prefix);
      // 22 unused leaves: exactly the diagnostic's unused actions
      const leaves = unusedLeaves(e).map((n) => n.action!.name).sort();
      assert.equal(leaves.length, 22);
      assert.deepEqual(leaves, w.relatedInformation!.map((ri) => ri.message.replace(/^unused: /, '')).sort());
      // each unused leaf says where its verdict comes from
      for (const n of unusedLeaves(e)) assert.ok(n.action!.findings!.some((f) => f.source.endsWith('findings.json') && !f.serviceLevel), n.prefix);
      assert.equal(e.totals.unusedLeaves, 22);
      assert.equal(e.root.counts.used + e.root.counts.unused, 63);
    });
  });

  test('the hover has the compact version and the link; Explain works on a refined list too', async () => {
    const dir = workspace({ 'policy.json': examplePolicy(), 'findings.json': exampleFindings() });
    await withServer([dir], async (c) => {
      const uri = c.open(path.join(dir, 'policy.json'));
      const ds = await c.waitForDiagnostics(uri, (d) => d.length === 9);
      const h = await c.hover(uri, c.text(uri).indexOf('s3:Get*'));
      const md = (h!.contents as MarkupContent).value;
      assert.match(md, /\*\*Refinement\*\*: `s3:GetAccess\*` \(\d+\)/);
      for (const p of EXPECTED_S3) assert.ok(md.includes('`' + p + '`'), `hover lacks ${p}`);
      assert.match(md, /Split because these hold unused actions: `s3:Get` \(22 of 63 unused\), `s3:GetBucket` \(\d+ of \d+ unused\)/);
      const link = /\(command:iamRefiner\.explainRefinement\?([^ )]+)/.exec(md);
      assert.ok(link, md);
      const [args] = JSON.parse(decodeURIComponent(link![1])) as ExplainParams[];
      const viaLink = await c.request<ExplainResponse>('iamRefiner/explain', args);
      assert.equal(viaLink.kind, 'ok');
      // refined: the list's patterns have no unused action, and Explain (offered at the cursor) says so
      const [fix] = await c.codeActions(uri, [byCode(ds, 'unused-wildcard')[0]]);
      c.apply(fix);
      await c.waitForDiagnostics(uri, (d) => byCode(d, 'unused-wildcard').length === 0);
      const at = c.text(uri).indexOf('s3:GetObject*');
      const pos = c.docs.get(uri)!.positionAt(at);
      // no lightbulb there (nothing to fix), but the hover links the picture and the command explains the cursor's entry
      const here = await c.codeActions(uri, [], undefined, { start: pos, end: pos });
      assert.deepEqual(here.map((a) => a.title), []);
      const refinedHover = ((await c.hover(uri, at))!.contents as MarkupContent).value;
      assert.match(refinedHover, /\*\*Refinement\*\*: none needed; the list of 10 `s3:` patterns/);
      assert.match(refinedHover, /command:iamRefiner\.explainRefinement/);
      const r = await c.request<ExplainResponse>('iamRefiner/explain', { uri, position: pos });
      assert.equal(r.kind, 'ok');
      if (r.kind !== 'ok') return;
      // the refined list as a whole, against the findings: the same picture, its ten patterns on their nodes
      const l = r.explanation;
      assert.equal(l.outcome, 'list');
      assert.deepEqual(l.list!.entries, [...EXPECTED_S3, 's3:List*']);
      assert.ok(l.list!.leastGeneral);
      assert.equal(l.list!.unusedAllowed, 0);
      assert.deepEqual(sortLower(emitted(l)), sortLower([...EXPECTED_S3, 's3:List*']));
      assert.equal(l.root.prefix, 's3:');
      assert.equal(unusedLeaves(l).length, 22);
      assert.equal(explainNodes(l.root).find((n) => n.prefix === 's3:GetBucket')!.safe, false);
      assert.match(refinedHover, /least general against the findings/);
      // a lambda literal is no wildcard: its fix comes with no Explain
      const lambda = byCode(await c.waitForDiagnostics(uri, (d) => d.length === 8), 'unused-action')[0];
      assert.ok(!(await c.codeActions(uri, [lambda])).some((a) => a.title.startsWith('Explain')));
    });
  });

  test('a client without the picture gets no Explain action and no command link', async () => {
    const dir = workspace({ 'policy.json': examplePolicy(), 'findings.json': exampleFindings() });
    await withServer(
      [dir],
      async (c) => {
        const uri = c.open(path.join(dir, 'policy.json'));
        const ds = await c.waitForDiagnostics(uri, (d) => d.length === 9);
        const actions = await c.codeActions(uri, [byCode(ds, 'unused-wildcard')[0]]);
        assert.ok(!actions.some((a) => a.title.startsWith('Explain')));
        const md = ((await c.hover(uri, c.text(uri).indexOf('s3:Get*')))!.contents as MarkupContent).value;
        assert.ok(!md.includes('command:'), md);
        assert.match(md, /\*\*Refinement\*\*/);
      },
      false,
    );
  });

  test('bad requests get a message, never a crash', async () => {
    const dir = workspace({ 'policy.json': examplePolicy(), 'findings.json': exampleFindings(), 'notes.json': '{"a": 1}' });
    await withServer([dir], async (c) => {
      const uri = c.open(path.join(dir, 'policy.json'));
      await c.waitForDiagnostics(uri, (d) => d.length === 9);
      const deny = await c.request<ExplainResponse>('iamRefiner/explain', { uri, target: { policy: 0, statement: 9 } });
      assert.equal(deny.kind, 'error');
      const nowhere = await c.request<ExplainResponse>('iamRefiner/explain', { uri, position: { line: 0, character: 0 } });
      assert.deepEqual(nowhere.kind, 'error');
      const other = c.open(path.join(dir, 'notes.json'));
      const r = await c.request<ExplainResponse>('iamRefiner/explain', { uri: other, position: { line: 0, character: 2 } });
      assert.equal(r.kind, 'error');
    });
  });
});

describe('iam-refine explain', () => {
  test('the example: text tree with the nine patterns, GetBucket unsafe, 22 unused leaves, the same data as the editor', async () => {
    const r = await cli(['explain', 's3:Get*', '--findings', 'examples/findings.json']);
    assert.equal(r.code, 0, r.err);
    assert.ok(!r.out.includes('\x1b['), 'no colour when stdout is not a terminal');
    const lines = r.out.split('\n');
    const arrows = lines.filter((l) => / => /.test(l) && /\[(safe|unsafe|unused)\]/.test(l)).map((l) => /=> (\S+)/.exec(l)![1]);
    assert.deepEqual(sortLower(arrows), sortLower(EXPECTED_S3));
    assert.match(lines.find((l) => /^ {2}Bucket /.test(l))!, /\[unsafe\]/);
    assert.equal(lines.filter((l) => /\[unused\]/.test(l)).length, 22);
    assert.equal(lines.filter((l) => /\[unused\]/.test(l) && /not used in the tracking period|last used/.test(l)).length, 22);
    assert.equal(lines.filter((l) => l.trim()).at(-1), `Refinement: s3:Get* => 9 patterns: ${EXPECTED_S3.join(', ')}`);
    // the JSON is the editor's explanation, field for field
    const json = await cli(['explain', 's3:Get*', '--findings', 'examples/findings.json', '--format', 'json']);
    assert.equal(json.code, 0, json.err);
    const fromCli = JSON.parse(json.out) as Explanation;
    const dir = workspace({ 'explain.json': { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:Get*'], Resource: '*' }] }, 'findings.json': exampleFindings() });
    await withServer([dir], async (c) => {
      const uri = c.open(path.join(dir, 'explain.json'));
      await c.waitForDiagnostics(uri, (d) => d.length === 1);
      const r2 = await c.request<ExplainResponse>('iamRefiner/explain', { uri, target: { policy: 0, statement: 0, entry: 0 } });
      assert.equal(r2.kind, 'ok');
      if (r2.kind !== 'ok') return;
      const strip = (e: Explanation) => JSON.parse(JSON.stringify(e, (k, v) => (k === 'source' ? path.basename(v) : v)));
      assert.deepEqual(strip(fromCli), strip(r2.explanation));
    });
  });

  test('several patterns: the list against the findings (least general, not least general, allowing unused actions)', async () => {
    const refined = await cli(['explain', ...EXPECTED_S3, 's3:List*', '--findings', 'examples/findings.json']);
    assert.equal(refined.code, 0, refined.err);
    assert.equal(refined.out.trim().split('\n').at(-1), 'The list is least general against the findings: each of its 10 patterns is a shortest safe prefix.');
    assert.equal(refined.out.split('\n').filter((l) => /\[unused\]/.test(l)).length, 22);
    const multi = (await cli(['expand', 's3:GetMulti*'])).out.trim().split('\n');
    assert.ok(multi.length > 1);
    const spelled = await cli(['explain', ...multi, 's3:List*', '--findings', 'examples/findings.json', '--format', 'json']);
    const e = JSON.parse(spelled.out) as Explanation;
    assert.equal(e.list!.leastGeneral, false);
    assert.deepEqual(sortLower(e.list!.frontier), sortLower(['s3:GetMulti*', 's3:List*']));
    const wide = await cli(['explain', 's3:Get*', 's3:List*', '--findings', 'examples/findings.json']);
    assert.match(wide.out, /The list allows 22 unused actions: refine it/);
    const mixed = await cli(['explain', 's3:Get*', 'lambda:Invoke*', '--findings', 'examples/findings.json']);
    assert.equal(mixed.code, 2);
    assert.match(mixed.err, /one list, of one service/);
  });

  test('colour on a terminal (or FORCE_COLOR), never with NO_COLOR', async () => {
    const run = async (tty: boolean, env: NodeJS.ProcessEnv) => {
      let out = '';
      await runCli(['explain', 's3:Get*', '--findings', 'examples/findings.json'], { out: (t) => (out += t), err: () => undefined, cwd: path.resolve(EXAMPLE, '..'), env, tty });
      return out;
    };
    assert.ok((await run(true, {})).includes('\x1b[32m'));
    assert.ok(!(await run(true, { NO_COLOR: '1' })).includes('\x1b['));
    assert.ok((await run(false, { FORCE_COLOR: '1' })).includes('\x1b['));
  });

  test('--help, help explain, and the command list name it', async () => {
    const h = await cli(['explain', '--help']);
    assert.equal(h.code, 0);
    assert.match(h.out, /^Usage: iam-refine explain PATTERN/);
    assert.equal((await cli(['help', 'explain'])).out, h.out);
    assert.match((await cli(['--help'])).out, /explain PATTERN\.\.\. --findings FILE/);
  });

  test('bad input: a clear message naming the pattern or the file, exit 2', async () => {
    const typo = await cli(['explain', 's3:GetObjekt*', '--findings', 'examples/findings.json']);
    assert.equal(typo.code, 2);
    assert.match(typo.err, /s3:GetObjekt\* matches no action in the catalog.*did you mean s3:GetObject\*\?/);
    const missing = await cli(['explain', 's3:Get*', '--findings', 'nope.json']);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /nope\.json: no such file \(--findings\)/);
    const dir = workspace({ 'bad.json': '[{"serviceNamespace": "s3", "actions": [1]}]' });
    const broken = await cli(['explain', 's3:Get*', '--findings', 'bad.json'], dir);
    assert.equal(broken.code, 2);
    assert.match(broken.err, /^bad\.json:1:\d+: /);
    const none = await cli(['explain', '--findings', 'examples/findings.json']);
    assert.equal(none.code, 2);
    assert.match(none.err, /explain takes a PATTERN/);
    const fmt = await cli(['explain', 's3:Get*', '--findings', 'examples/findings.json', '--format', 'xml']);
    assert.equal(fmt.code, 2);
    assert.match(fmt.err, /--format must be text or json/);
    const shape = await cli(['explain', 'GetObject', '--findings', 'examples/findings.json']);
    assert.equal(shape.code, 2);
    assert.match(shape.err, /no service prefix/);
    const roles = workspace({
      'f.json': JSON.stringify({
        findings: ['A', 'B'].map((r) => ({ resource: `arn:aws:iam::1:role/${r}`, findingType: 'UnusedPermission', status: 'ACTIVE', findingDetails: [{ unusedPermissionDetails: { serviceNamespace: 's3', actions: [{ action: 'GetBucketAcl' }] } }] })),
      }),
    });
    const ambiguous = await cli(['explain', 's3:Get*', '--findings', 'f.json'], roles);
    assert.equal(ambiguous.code, 2);
    assert.match(ambiguous.err, /2 roles \(A, B\); pass --role ARN/);
    const chosen = await cli(['explain', 's3:Get*', '--findings', 'f.json', '--role', 'arn:aws:iam::1:role/A', '--format', 'json'], roles);
    assert.equal(chosen.code, 0, chosen.err);
    const e = JSON.parse(chosen.out) as Explanation;
    assert.deepEqual(e.roles, ['arn:aws:iam::1:role/A']);
    assert.deepEqual(unusedLeaves(e).map((n) => n.action!.name), ['s3:GetBucketAcl']);
    assert.equal(unusedLeaves(e)[0].action!.findings![0].resource, 'arn:aws:iam::1:role/A');
  });
});

// ---------------------------------------------------------------------------------------------
// Each kind of statement, against the oracle's cover

describe('kinds of statements', () => {
  const ex = JSON.parse(exampleFindings());
  const exFindings = findingsOf(ex);

  test('a ? pattern: s3:Get?ucket* (the ? matches B)', () => {
    const e = coreExplain({ Effect: 'Allow', Action: 's3:Get?ucket*', Resource: '*' }, exFindings);
    assert.equal(e.mode, 'allow');
    assert.equal(e.root.prefix, 's3:Get');
    oracleCheck(e, exFindings, { pattern: 's3:Get?ucket*' });
    // everything else under s3:Get is outside the pattern: a node such as GetObject is shown as not allowed
    const obj = explainNodes(e.root).find((n) => n.prefix === 's3:GetObject')!;
    assert.ok(obj.opaque && obj.counts.outside > 0 && obj.counts.used === 0);
    assert.deepEqual(sortLower(emitted(e)), sortLower(['s3:GetBucketAbac', 's3:GetBucketMetadataTableConfiguration']));
  });

  test('a wildcard in the middle: s3:*Object* — a node is safe only when the pattern allows all of it', () => {
    const findings = findingsOf([{ serviceNamespace: 's3', actions: ['GetObjectAcl', 'PutObjectTagging', 'DeleteObjectVersion'] }]);
    const e = coreExplain({ Effect: 'Allow', Action: ['s3:*Object*'], Resource: '*' }, findings);
    assert.equal(e.root.prefix, 's3:');
    oracleCheck(e, findings, { pattern: 's3:*Object*' });
    const get = explainNodes(e.root).find((n) => n.prefix === 's3:Get')!;
    assert.ok(!get.safe && get.counts.outside > 0, 's3:Get holds actions s3:*Object* does not allow');
    const getObject = explainNodes(e.root).find((n) => n.prefix === 's3:GetObject')!;
    assert.equal(getObject.safe, false, 'GetObjectAcl is unused');
    assert.ok(emitted(e).some((p) => /^s3:GetObjectVersion/.test(p)));
    assert.ok(!emitted(e).includes('s3:Get*'));
  });

  test('NotAction: what the refinement adds to NotAction', () => {
    const e = coreExplain({ Effect: 'Allow', NotAction: ['iam:*', 's3:GetBucketAcl'], Resource: '*' }, exFindings);
    assert.equal(e.mode, 'exclude');
    assert.equal(e.key, 'NotAction');
    assert.equal(e.outcome, 'extend-not-action');
    oracleCheck(e, exFindings, { notAction: ['iam:*', 's3:GetBucketAcl'] });
    assert.ok(!emitted(e).includes('s3:GetBucketAcl'), 'already excluded');
    assert.ok(explainNodes(e.root).some((n) => n.action?.name === 's3:GetBucketAcl' && n.action.kind === 'excluded'));
    assert.ok(emitted(e).includes('lambda:AddPermission'));
    // 8 lambda + 21 s3 actions still to exclude, as leaves
    assert.equal(unusedLeaves(e).length, 29);
  });

  test('NotAction: a whole unused service becomes service:*', () => {
    const findings = findingsOf([{ serviceNamespace: 'lambda' }]);
    const e = coreExplain({ Effect: 'Allow', NotAction: 's3:*', Resource: '*' }, findings);
    oracleCheck(e, findings, { notAction: ['s3:*'] });
    assert.deepEqual(emitted(e), ['lambda:*']);
    const lambda = e.root.children.find((n) => n.prefix === 'lambda:')!;
    assert.ok(lambda.safe && lambda.emitted === 'lambda:*' && lambda.collapsed);
  });

  test('"Action": "*": the NotAction it becomes', () => {
    const e = coreExplain({ Effect: 'Allow', Action: '*', Resource: '*' }, exFindings);
    assert.equal(e.mode, 'exclude');
    assert.equal(e.outcome, 'to-not-action');
    oracleCheck(e, exFindings, { star: true });
    assert.equal(e.root.counts.unused, 30);
    assert.equal(unusedLeaves(e).length, 30);
    const byPrefix = new Map(explainNodes(e.root).map((n) => [n.prefix, n]));
    assert.ok(e.forcedBy.includes('lambda:Add'), e.forcedBy.join(' '));
    for (const p of e.forcedBy) assert.ok(!byPrefix.get(p)!.safe && byPrefix.get(p)!.counts.used > 0, p);
    // services with nothing unused are one node each, not listed
    const ec2 = e.root.children.find((n) => n.prefix === 'ec2:')!;
    assert.ok(ec2.opaque && ec2.children.length === 0 && ec2.counts.used > 100);
  });

  test('an entry whose replacement is listed already: on the frontier, not written twice', () => {
    const findings = findingsOf([{ serviceNamespace: 's3', actions: ['GetObjectAcl'] }]);
    const e = coreExplain({ Effect: 'Allow', Action: ['s3:GetObjectVersion*', 's3:GetObject*'], Resource: '*' }, findings, 1);
    assert.equal(e.outcome, 'replace');
    assert.deepEqual(e.listed, ['s3:GetObjectVersion*']);
    assert.equal(explainNodes(e.root).find((n) => n.prefix === 's3:GetObjectVersion')!.listed, 's3:GetObjectVersion*');
    assert.ok(!e.patterns.some((p) => p.toLowerCase() === 's3:getobjectversion*'));
    assert.ok(e.patterns.includes('s3:GetObject'), 'rule 5: GetObject prefixes the unused GetObjectAcl, written by its name');
    assert.deepEqual(e.unmatched, []);
  });

  test('nothing unused: keep, no emitted node; everything unused: remove', () => {
    const keep = coreExplain({ Effect: 'Allow', Action: 's3:List*', Resource: '*' }, exFindings);
    assert.equal(keep.outcome, 'keep');
    assert.deepEqual(emitted(keep), []);
    const gone = coreExplain({ Effect: 'Allow', Action: 's3:GetBucketPolicy*', Resource: '*' }, exFindings);
    assert.equal(gone.outcome, 'remove-statement');
    assert.deepEqual(emitted(gone), []);
    assert.equal(unusedLeaves(gone).length, 2);
  });

  test('a Deny statement is not explained but refused with a reason', () => {
    assert.throws(() => coreExplain({ Effect: 'Deny', Action: 's3:Get*', Resource: '*' }, exFindings), /Deny statement is never refined/);
  });
});

describe('the webview page', () => {
  test('strict CSP with a nonce, no remote content, the nine patterns highlighted, 22 unused leaves with their finding', () => {
    const e = coreExplain({ Effect: 'Allow', Action: 's3:Get*', Resource: '*' }, findingsOf(JSON.parse(exampleFindings())));
    const html = explainHtml({ kind: 'ok', uri: 'file:///p.json', version: 1, title: 's3:Get* in policy.json', explanation: e, binding: 'all findings' }, 'abc123');
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1];
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-abc123'/);
    assert.match(csp, /style-src 'nonce-abc123'/);
    assert.ok(!/unsafe-inline|unsafe-eval|https?:/.test(csp));
    for (const tag of html.match(/<(script|style)\b[^>]*>/g)!) assert.match(tag, /nonce="abc123"/);
    assert.ok(!/\b(src|href)=/.test(html), 'no resource is loaded');
    assert.ok(!/https?:\/\//.test(html));
    assert.equal((html.match(/class="node [a-z]+ emitted/g) ?? []).length, 9);
    for (const p of EXPECTED_S3) assert.ok(html.includes(`⇒ ${p}<`), p);
    assert.equal((html.match(/<details class="node unused leaf[ "]/g) ?? []).length, 22);
    assert.equal((html.match(/<div class="usage"/g) ?? []).length, 22);
    assert.match(html, /data-prefix="s3:getbucket" data-state="unsafe"/);
    assert.match(html, /<input id="search" type="search"/);
  });

  test('text from findings is escaped', () => {
    const findings = parseFindings('<img src=x onerror=alert(1)>.json', JSON.stringify([{ serviceNamespace: 's3', actions: ['GetBucketAcl'] }])).findings;
    const e = coreExplain({ Effect: 'Allow', Action: 's3:GetBucket*', Resource: '*' }, findings);
    const html = explainHtml({ kind: 'ok', uri: 'file:///p.json', version: 1, title: 'x in <b>p</b>.json', explanation: e, binding: '<i>b</i>' }, 'n0nce');
    assert.ok(!html.includes('<img'));
    assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;.json'));
    assert.ok(!html.includes('<b>p</b>') && !html.includes('<i>b</i>'));
  });
});
