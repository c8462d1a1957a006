/**
 * Fuzzing the CLI's code path in process (issue 11): generated policies, findings files and
 * iam-refiner.json, valid and then broken in the ways people and tools break them (duplicate keys,
 * bad Effect, non-string or empty actions, both Action and NotAction, statements that are not
 * objects, deep nesting, byte-order marks, truncation, stray characters, backtracking patterns,
 * empty findings). Every outcome is classified, and only these are allowed:
 * - refined: exit 0, the input fully readable (by the oracle's own reader), and the output exactly
 *   what the independent oracle (test/support/oracle.ts) accepts;
 * - nothing to change: exit 0, the input fully readable, the policy printed unchanged;
 * - an error with a position (`file:line:col: …`), or one of the documented refusals that name
 *   the file (every permission unused, no policy in the file);
 * and never a crash, a hang (HANG_MS), or "nothing to change" on input with unreadable parts.
 * FUZZ_RUNS sets the number of cases (default 1,000; `npm run fuzz`: 100,000), FC_SEED replays.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, unlinkSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import fc from 'fast-check';
import { Node } from 'jsonc-parser';
import { Finding, parseFindings } from '../../server/src/core';
import { defaultCatalog } from '../../server/src/workspace/catalogFile';
import { RefUniverse, parseJsoncTree, readStatements, refineAndCheck } from '../support/oracle';
import { CatalogPools, detailJson, genDetails, genLayout, genPolicy, writeJsonc } from '../support/generators';
import { cli } from '../support/cli';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const HANG_MS = Number(process.env.HANG_MS ?? 3000);
const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
const catalog = defaultCatalog();
const pools = new CatalogPools(catalog);
const dir = mkdtempSync(join(tmpdir(), 'iam-fuzz-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type G = fc.GeneratorValue;
const pick = <T>(g: G, list: readonly T[]): T => list[g(fc.nat, { max: list.length - 1 })];
const DEEP = '"__DEEP__"';
const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

const POLICY_MUTATIONS = [
  'none', 'none', 'none', 'none', 'none', 'none', 'none', 'none', 'effect-case', 'effect-missing', 'effect-number', 'action-non-string', 'both-keys', 'statement-not-object',
  'empty-action', 'blank-action', 'empty-list', 'statement-string', 'hostile-pattern', 'deep', 'shallow-nest', 'dup-effect', 'dup-action',
  'dup-statement', 'bom', 'truncate', 'stray-char', 'delete-char', 'no-statement',
] as const;
const FINDINGS_MUTATIONS = ['none', 'none', 'none', 'none', 'none', 'none', 'none', 'none', 'none', 'none', 'empty-list', 'empty-object', 'dup-key', 'deep', 'truncate', 'actions-string', 'policy', 'garbage', 'bom', 'other-service'] as const;
const CONFIG_MUTATIONS = ['absent', 'absent', 'absent', 'absent', 'absent', 'absent', 'absent', 'absent', 'valid', 'valid', 'valid', 'dup-key', 'unknown-key', 'deep', 'truncate', 'no-match'] as const;

interface Case {
  policy: string;
  findings: string;
  config?: string;
  command: 'refine' | 'diff' | 'check';
  mutations: string[];
}

function statementsOf(value: Record<string, unknown>): Record<string, unknown>[] {
  const s = value.Statement;
  return Array.isArray(s) ? (s as Record<string, unknown>[]) : [s as Record<string, unknown>];
}

function genCase(g: G): Case {
  const spec = genPolicy(g, pools, { maxStatements: 4 });
  const value = structuredClone(spec.value) as Record<string, unknown>;
  const m = pick(g, POLICY_MUTATIONS);
  const sts = statementsOf(value);
  const st = pick(g, sts);
  const key = 'Action' in st ? 'Action' : 'NotAction';
  const asList = (v: unknown) => (Array.isArray(v) ? v : [v]);
  switch (m) {
    case 'effect-case': st.Effect = pick(g, ['allow', 'deny', 'ALLOW', 'Alow', '']); break;
    case 'effect-missing': delete st.Effect; break;
    case 'effect-number': st.Effect = pick(g, [1, true, null, ['Allow']]); break;
    case 'action-non-string': st[key] = [...asList(st[key]), pick(g, [3, null, true, {}, ['s3:GetObject']])]; break;
    case 'both-keys': st[key === 'Action' ? 'NotAction' : 'Action'] = 's3:GetObject'; break;
    case 'statement-not-object': if (Array.isArray(value.Statement)) (value.Statement as unknown[]).push(pick(g, ['x', 3, null, []])); else value.Statement = [value.Statement, 'x']; break;
    case 'empty-action': st[key] = [...asList(st[key]), '']; break;
    case 'blank-action': st[key] = [...asList(st[key]), pick(g, [' ', '\t', '   '])]; break;
    case 'empty-list': st[key] = []; break;
    case 'statement-string': value.Statement = pick(g, ['x', 3, null, true]); break;
    case 'hostile-pattern': st[key] = [...asList(st[key]), pick(g, ['***a***b', '****a****b', '*a*a*a*a*b', '?*?*?*?*?*?*?*?*z', 's3:' + '*?'.repeat(40) + 'x'])]; break;
    case 'deep': case 'shallow-nest': st.Condition = '__DEEP__'; break;
    case 'no-statement': delete value.Statement; value.Statements = []; break;
  }
  let text = writeJsonc(value, genLayout(g));
  if (m === 'deep') text = text.replace(DEEP, deep(pick(g, [513, 600, 2000, 10_000])));
  if (m === 'shallow-nest') text = text.replace(DEEP, `{"StringEquals": {"a": ${deep(pick(g, [10, 100, 400]))}}}`);
  if (m === 'dup-effect') text = text.replace(/"Effect"(\s*:\s*)"(Allow|Deny)"/, (_all, c, e) => `"Effect"${c}"${e === 'Allow' ? 'Deny' : 'Allow'}", "Effect"${c}"${e}"`);
  if (m === 'dup-action') text = text.replace(/"(Not)?Action"(\s*:)/, (_all, n, c) => `"${n ?? ''}Action"${c} ["s3:GetObject"], "${n ?? ''}Action"${c}`);
  if (m === 'dup-statement') text = text.replace(/"Statement"(\s*:)/, (_all, c) => `"Statement"${c} [], "Statement"${c}`);
  if (m === 'bom') text = '\ufeff' + text;
  if (m === 'truncate') text = text.slice(0, g(fc.nat, { max: Math.max(0, text.length - 1) }));
  if (m === 'stray-char') {
    const at = g(fc.nat, { max: text.length });
    text = text.slice(0, at) + pick(g, ['{', '}', '[', ']', ',', ':', '"', '/', '*', '\\', '\u0000', 'x']) + text.slice(at);
  }
  if (m === 'delete-char') {
    const at = g(fc.nat, { max: Math.max(0, text.length - 1) });
    text = text.slice(0, at) + text.slice(at + 1);
  }

  const ru = new RefUniverse(catalog, spec.newer);
  const details = genDetails(g, pools, ru, spec).map(detailJson);
  const fm = pick(g, FINDINGS_MUTATIONS);
  let findings = g(fc.boolean)
    ? JSON.stringify(details)
    : JSON.stringify({ findings: [{ id: 'f1', findingType: 'UnusedPermission', status: 'ACTIVE', findingDetails: details.map((d) => ({ unusedPermissionDetails: d })) }] });
  if (fm === 'empty-list') findings = '[]';
  if (fm === 'empty-object') findings = '{"findings": []}';
  if (fm === 'dup-key') findings = findings.replace('"serviceNamespace":', '"serviceNamespace": "ec2", "serviceNamespace":');
  if (fm === 'deep') findings = `[{"serviceNamespace": "s3", "actions": ${deep(pick(g, [513, 10_000]))}}]`;
  if (fm === 'truncate') findings = findings.slice(0, g(fc.nat, { max: Math.max(0, findings.length - 1) }));
  if (fm === 'actions-string') findings = '[{"serviceNamespace": "s3", "actions": "GetObject"}]';
  if (fm === 'policy') findings = text;
  if (fm === 'garbage') findings = pick(g, ['', ' ', 'null', '3', '"x"', '{}', '[1]', '[[]]', '{"findings": 3}', '[{"serviceNamespace": 3}]']);
  if (fm === 'bom') findings = '\ufeff' + findings;
  if (fm === 'other-service') findings = '[{"serviceNamespace": "nosuchservice", "actions": ["Nothing"]}]';

  const cm = pick(g, CONFIG_MUTATIONS);
  let config: string | undefined;
  if (cm !== 'absent') {
    config = '{\n  // findings for the fuzzed policy\n  "findings": ["f.json"]\n}\n';
    if (cm === 'dup-key') config = '{"findings": ["f.json"], "findings": ["g.json"]}';
    if (cm === 'unknown-key') config = '{"findings": ["f.json"], "rolez": {}}';
    if (cm === 'deep') config = `{"findings": ${deep(1000)}}`;
    if (cm === 'truncate') config = config.slice(0, g(fc.nat, { max: config.length - 1 }));
    if (cm === 'no-match') config = '{"findings": ["nothing-*.json"]}';
  }
  const command = pick(g, ['refine', 'refine', 'refine', 'diff', 'check'] as const);
  return { policy: text, findings, config, command, mutations: [`policy:${m}`, `findings:${fm}`, `config:${cm}`, command] };
}

/** The oracle's own judgement of a policy text: fully readable, or the reason it is not. */
function unreadable(text: string): string | undefined {
  const { root, errors } = parseJsoncTree(text);
  if (errors.length) return 'syntax';
  const dup = (n: Node | undefined, depth: number): boolean => {
    if (!n) return false;
    if (depth > 400) return false; // deeper input is refused before the oracle is asked
    if (n.type === 'object') {
      const keys = (n.children ?? []).map((p) => p.children?.[0]?.value);
      if (new Set(keys).size !== keys.length) return true;
    }
    return (n.children ?? []).some((c) => dup(c, depth + 1));
  };
  if (dup(root, 0)) return 'duplicate key';
  const read = readStatements(root);
  if (!read) return 'no statement';
  if (read.statements.some((s) => s.opaque)) return 'opaque statement';
  if (read.statements.some((s) => s.values.some((v) => v.trim() === ''))) return 'empty action';
  return undefined;
}

const POSITIONED = /^[^\s:][^:\n]*:\d+:\d+: /m;
const NAMED_REFUSAL = /^iam-refine: p\.json: (every permission in this policy is unused|no IAM policy found)/m;
const CRASH = /internal error|Maximum call stack|TypeError|RangeError|ReferenceError|is not a function|Cannot read prop|undefined/;

const counts: Record<string, number> = {};
const seen: Record<string, number> = {};
const bump = (o: Record<string, number>, k: string) => (o[k] = (o[k] ?? 0) + 1);
let slowest = 0;

async function runCase(c: Case): Promise<string> {
  writeFileSync(join(dir, 'p.json'), c.policy);
  writeFileSync(join(dir, 'f.json'), c.findings);
  const cfg = join(dir, 'iam-refiner.json');
  if (c.config !== undefined) writeFileSync(cfg, c.config);
  else if (existsSync(cfg)) unlinkSync(cfg);
  const findingsArgs = c.config !== undefined ? [] : ['--findings', 'f.json'];
  const args = c.command === 'check' ? ['check', 'p.json', ...findingsArgs, '--format', 'text'] : ['refine', 'p.json', ...findingsArgs, ...(c.command === 'diff' ? ['--diff'] : [])];
  const t = performance.now();
  let r;
  try {
    r = await cli(args, dir);
  } catch (e) {
    return `crash: runCli threw ${(e as Error).stack}`;
  }
  const ms = performance.now() - t;
  slowest = Math.max(slowest, ms);
  if (ms > HANG_MS) return `hang: ${ms.toFixed(0)} ms`;
  if (CRASH.test(r.err)) return `crash: ${r.err.slice(0, 300)}`;
  const text = c.policy.startsWith('\ufeff') ? c.policy.slice(1) : c.policy;
  if (c.command === 'check') {
    if (r.code === 0 || r.code === 1) {
      const bad = r.out.split('\n').filter((l) => l && !/^p\.json:\d+:\d+: (error|warning|information) [a-z-]+: /.test(l));
      return bad.length ? `bad check line: ${bad[0]}` : 'check: reported';
    }
    return POSITIONED.test(r.err) ? 'error with a position' : NAMED_REFUSAL.test(r.err) ? 'refusal naming the file' : `error without a position: ${r.err.slice(0, 300)}`;
  }
  if (r.code === 2) {
    if (POSITIONED.test(r.err)) return 'error with a position';
    if (NAMED_REFUSAL.test(r.err)) return 'refusal naming the file';
    return `error without a position: ${r.err.slice(0, 300)}`;
  }
  if (r.code !== 0) return `unexpected exit ${r.code}`;
  const why = unreadable(text);
  if (/nothing to change/.test(r.err)) {
    if (why) return `silent nothing to change on unreadable input (${why})`;
    if (c.command === 'refine' && r.out !== text) return 'nothing to change, but the output differs from the input';
    if (c.command === 'diff' && r.out !== '') return 'nothing to change, but a diff';
    return 'nothing to change';
  }
  if (why) return `refined unreadable input (${why})`;
  // the oracle, on the same findings as the CLI read them
  let findings: Finding[];
  try {
    findings = parseFindings('f.json', c.findings.startsWith('\ufeff') ? c.findings.slice(1) : c.findings).findings;
  } catch (e) {
    return `the CLI accepted findings the engine refuses: ${(e as Error).message}`;
  }
  const report = refineAndCheck(catalog, text, findings, { leastness: process.env.FUZZ_LEASTNESS === '1' });
  if (report.problems.length) return `oracle rejects: ${report.problems.slice(0, 3).join('; ')}`;
  if (report.outcome !== 'refined' || !report.result) return `oracle outcome ${report.outcome}`;
  if (c.command === 'refine' && r.out !== report.result.text) return 'the output is not the verified refinement';
  if (c.command === 'diff' && !r.out.startsWith('--- a/p.json\n+++ b/p.json\n@@ ')) return 'a diff without a hunk';
  return 'refined, accepted by the oracle';
}

const ALLOWED = new Set(['check: reported', 'error with a position', 'refusal naming the file', 'nothing to change', 'refined, accepted by the oracle']);

test(`fuzz: ${RUNS} malformed policies, findings and config files through the CLI; every outcome classified`, { timeout: Math.max(60_000, RUNS * 50) }, async () => {
  const failures: string[] = [];
  const t0 = Date.now();
  await fc.assert(
    fc.asyncProperty(fc.gen(), async (g) => {
      const c = genCase(g);
      c.mutations.forEach((m) => bump(seen, m));
      if (process.env.FUZZ_TRACE) writeFileSync(process.env.FUZZ_TRACE, JSON.stringify(c));
      const t = performance.now();
      const outcome = await runCase(c);
      const total = performance.now() - t;
      if (total > 2000 && process.env.FUZZ_TRACE) console.log(`# slow case ${total.toFixed(0)} ms: ${outcome} [${c.mutations.join(', ')}] ${c.policy.length} chars`);
      const kind = outcome.split(':')[0];
      bump(counts, ALLOWED.has(outcome) ? outcome : kind);
      if (!ALLOWED.has(outcome)) {
        failures.push(`${outcome} [${c.mutations.join(', ')}]`);
        assert.fail(`${outcome}\nmutations: ${c.mutations.join(', ')}\npolicy: ${JSON.stringify(c.policy.slice(0, 2000))}\nfindings: ${JSON.stringify(c.findings.slice(0, 500))}\nconfig: ${JSON.stringify(c.config)}`);
      }
    }),
    { numRuns: RUNS, seed, endOnFailure: true, includeErrorInReport: true },
  );
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  console.log(`# fuzz: ${RUNS} cases in ${secs} s, slowest ${slowest.toFixed(0)} ms; outcomes ${JSON.stringify(counts)}`);
  console.log(`# fuzz: inputs ${JSON.stringify(seen)}`);
  assert.deepEqual(failures, []);
  // the run exercised what it claims to
  for (const k of ['error with a position', 'nothing to change', 'refined, accepted by the oracle']) assert.ok((counts[k] ?? 0) > 0, `no case ended as "${k}"`);
});
