/**
 * Language server timings, driven over stdio like an editor: didOpen → first diagnostics (cold:
 * a fresh server process; warm: a running one), diagnostics of a 10 KB policy after an edit, and the
 * server's memory with the catalog loaded. Called by test/bench/bench.ts; runnable on its own:
 * `node out/test/bench/lspBench.js`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LspClient } from '../support/lspClient';
import type { ServerStats } from '../../shared/protocol';
import { BenchRow, timingRow } from './rows';
import { terraformText, yamlText } from './formatsBench';

export interface LspBenchOptions {
  /** Fresh server processes for the cold figure (default 5). */
  coldRuns?: number;
  /** Documents opened in a running server for the warm figure (default 30). */
  warmRuns?: number;
  /** Edits of the 10 KB policy (default 30). */
  editRuns?: number;
  /** The server to run (default: dist/server.js, what ships; else the compiled out/ one). */
  serverPath?: string;
  /** Only the edits of the 100 KB Terraform and YAML files (`BENCH_ONLY=formats`). */
  formatsOnly?: boolean;
}

const ROOT = path.resolve(__dirname, '../../..');

function defaultServer(): string {
  const bundled = path.join(ROOT, 'dist/server.js');
  return existsSync(bundled) ? bundled : path.join(ROOT, 'out/server/src/serverMain.js');
}

function stats(name: string, samples: number[], target: string, note: string, digits = 1): BenchRow {
  return timingRow(name, samples, target, note, (x) => Number(x.toFixed(digits)));
}

/** A policy of about `bytes` characters: many statements mixing explicit actions and wildcards. */
export function generatedPolicy(bytes: number): string {
  const actions = [
    'lambda:GetFunction',
    'lambda:UpdateFunctionCode',
    'lambda:Invoke*',
    's3:Get*',
    's3:List*',
    's3:PutObject',
    'ec2:Describe*',
    'dynamodb:GetItem',
    'dynamodb:Query',
    'sqs:SendMessage',
    'logs:CreateLogStream',
    'logs:PutLogEvents',
  ];
  const statements: object[] = [];
  let i = 0;
  while (JSON.stringify({ Version: '2012-10-17', Statement: statements }, null, 2).length < bytes) {
    statements.push({
      Sid: `Statement${i}`,
      Effect: 'Allow',
      Action: [actions[i % actions.length], actions[(i + 3) % actions.length], actions[(i + 7) % actions.length]],
      Resource: `arn:aws:s3:::bucket-${i}/*`,
    });
    i++;
  }
  return JSON.stringify({ Version: '2012-10-17', Statement: statements }, null, 2) + '\n';
}

async function start(dir: string, server: string, debounceMs?: number): Promise<LspClient> {
  const { client } = await LspClient.start({
    folders: [dir],
    command: { exe: process.execPath, args: [server, '--stdio'] },
    initializationOptions: debounceMs === undefined ? undefined : { debounceMs },
  });
  return client;
}

export async function lspBench(opts: LspBenchOptions = {}): Promise<BenchRow[]> {
  const server = opts.serverPath ?? defaultServer();
  const dir = mkdtempSync(path.join(tmpdir(), 'iam-lsp-bench-'));
  const policy = readFileSync(path.join(ROOT, 'examples/policy.json'), 'utf8');
  writeFileSync(path.join(dir, 'policy.json'), policy);
  writeFileSync(path.join(dir, 'findings.json'), readFileSync(path.join(ROOT, 'examples/findings.json'), 'utf8'));
  const big = generatedPolicy(10 * 1024);
  writeFileSync(path.join(dir, 'big-policy.json'), big);
  const rows: BenchRow[] = [];
  try {
    // cold: a fresh process; the clock starts at didOpen, right after `initialized`
    const cold: number[] = [];
    const fromSpawn: number[] = [];
    for (let i = 0; i < (opts.formatsOnly ? 0 : opts.coldRuns ?? 5); i++) {
      const spawned = performance.now();
      const c = await start(dir, server);
      try {
        const t0 = performance.now();
        const uri = c.open(path.join(dir, 'policy.json'));
        await c.waitForDiagnostics(uri, (d) => d.length === 9, 30_000);
        cold.push(performance.now() - t0);
        fromSpawn.push(performance.now() - spawned);
      } finally {
        await c.stop();
      }
    }
    const spawnMedian = stats('', fromSpawn, '', '').median_ms;
    if (!opts.formatsOnly) rows.push(
      stats(
        'LSP didOpen → first diagnostics (cold server)',
        cold,
        '< 500 ms',
        `fresh server process, clock from didOpen: catalog load, findings discovery, analysis (example policy, ${cold.length} runs); from process spawn: median ${spawnMedian} ms`,
      ),
    );

    const c = await start(dir, server, 0);
    try {
      const first = c.open(path.join(dir, 'policy.json'));
      await c.waitForDiagnostics(first, (d) => d.length === 9, 30_000);
      if (!opts.formatsOnly) rows.push(...(await runningServerRows(c, dir, policy, big, opts)));
      rows.push(...(await formatEditRows(c, dir, opts)));
    } finally {
      await c.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/** Warm didOpen, the 10 KB policy's edits, the server's memory. */
async function runningServerRows(c: LspClient, dir: string, policy: string, big: string, opts: LspBenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  {
      // warm: a running server, a document it has not seen
      const warm: number[] = [];
      for (let i = 0; i < (opts.warmRuns ?? 30); i++) {
        const file = path.join(dir, `warm-${i}.json`);
        writeFileSync(file, policy);
        const t0 = performance.now();
        const uri = c.open(file);
        await c.waitForDiagnostics(uri, (d) => d.length === 9);
        warm.push(performance.now() - t0);
        c.close(uri);
      }
      rows.push(stats('LSP didOpen → first diagnostics (warm server)', warm, '< 20 ms', `example policy opened in a running server (${warm.length} runs)`, 2));

      // a 10 KB policy, edited: didChange → diagnostics of the new version
      const bigUri = c.open(path.join(dir, 'big-policy.json'));
      await c.waitForDiagnostics(bigUri, (d) => d.length > 0);
      const edits: number[] = [];
      for (let i = 0; i < (opts.editRuns ?? 30); i++) {
        const doc = c.docs.get(bigUri)!;
        const at = doc.getText().indexOf('"Statement0"') + 1;
        const t0 = performance.now();
        const version = c.edit(bigUri, [{ range: { start: doc.positionAt(at), end: doc.positionAt(at + 9) }, newText: i % 2 ? 'Statement' : 'Statemen2' }]);
        await c.nextDiagnostics(bigUri, () => c.diagnostics.get(bigUri)?.version === version);
        edits.push(performance.now() - t0);
      }
      rows.push(
        stats('LSP diagnostics of a 10 KB policy after an edit', edits, '—', `${(big.length / 1024).toFixed(1)} KB, ${JSON.parse(big).Statement.length} statements; debounce set to 0 (the default 150 ms debounce adds to this while typing)`, 2),
      );

      const s = await c.request<ServerStats>('iamRefiner/serverStats');
      const mb = s.rssBytes / 1024 / 1024;
      rows.push({
        name: 'LSP server memory with the catalog loaded (RSS, MB)',
        median_ms: Number(mb.toFixed(1)),
        min_ms: Number(mb.toFixed(1)),
        max_ms: Number(mb.toFixed(1)),
        target: '< 150 MB',
        note: `value in MB, not ms; heap used ${(s.heapUsedBytes / 1024 / 1024).toFixed(1)} MB after ${s.validations} validations, ${s.documents} open documents; catalog loaded in ${s.catalogLoadMs?.toFixed(0)} ms`,
      });

  }
  return rows;
}

/** 100 KB of Terraform and of a CloudFormation YAML template, edited the same way. */
async function formatEditRows(c: LspClient, dir: string, opts: LspBenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  {
      for (const [label, file, text] of [
        ['a 100 KB .tf', 'big.tf', terraformText(100 * 1024)],
        ['a 100 KB YAML template', 'big-template.yaml', yamlText(100 * 1024)],
      ] as const) {
        writeFileSync(path.join(dir, file), text);
        const uri = c.open(path.join(dir, file), text, file.endsWith('.tf') ? 'terraform' : 'yaml');
        await c.waitForDiagnostics(uri, (d) => d.length > 0, 60_000);
        const how = file.endsWith('.tf')
          ? 'tree-sitter re-parses incrementally, top-level blocks outside the edit are reused'
          : 'only the YAML mapping item holding the edit is parsed again, the nodes after it moved when read, the resources read before not read again';
        // a character replaced (nothing after it moves), then a character typed and deleted (everything after it moves)
        for (const typed of [false, true]) {
          const samples: number[] = [];
          for (let i = 0; i < (opts.editRuns ?? 30); i++) {
            const doc = c.docs.get(uri)!;
            const at = doc.getText().indexOf('Stmt0') + 4;
            const t0 = performance.now();
            const range = { start: doc.positionAt(at), end: doc.positionAt(typed && i % 2 === 0 ? at : at + 1) };
            const version = c.edit(uri, [{ range, newText: typed ? (i % 2 ? '' : 'X') : i % 2 ? '0' : 'X' }]);
            await c.nextDiagnostics(uri, () => c.diagnostics.get(uri)?.version === version, 60_000);
            samples.push(performance.now() - t0);
          }
          const n = c.diagnostics.get(uri)?.diagnostics.length ?? 0;
          const what = typed ? 'a character typed or deleted' : 'an edit';
          rows.push(stats(`LSP diagnostics of ${label} after ${what}`, samples, '< 20 ms', `${(text.length / 1024).toFixed(0)} KB, ${n} diagnostics; ${how}; debounce 0`, 2));
        }
        c.close(uri);
      }
  }
  return rows;
}

if (require.main === module) {
  lspBench({ formatsOnly: process.env.BENCH_ONLY === 'formats' }).then(
    (rows) => {
      for (const r of rows) console.log(`${r.name.padEnd(52)} median ${String(r.median_ms).padStart(7)}  min ${String(r.min_ms).padStart(7)}  max ${String(r.max_ms).padStart(7)}  target ${r.target.padEnd(9)} ${r.note}`);
    },
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
