/**
 * The catalog that stays current, timed: `updateCatalog` against the Service Reference stand-in
 * on 127.0.0.1 (the bundled catalog in the Service Reference's format plus one action: every
 * document fetched, checked, packed and written atomically), and reading the cached catalog back
 * (with its shape check) as the CLI and the server do at start.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parsePackedCatalog } from '../../server/src/core';
import { cachedCatalogPath, defaultCatalog } from '../../server/src/workspace/catalogFile';
import { updateCatalog } from '../../server/src/workspace/catalogUpdate';
import { startFakeServiceReference } from '../support/fakeServiceReference';
import { BenchRow, timingRow } from './rows';

const round = (x: number) => Number(x.toFixed(x < 10 ? 2 : 1));

export async function catalogRows(runs: (n: number) => number): Promise<BenchRow[]> {
  const env = { XDG_CACHE_HOME: mkdtempSync(path.join(os.tmpdir(), 'iam-refiner-bench-cache-')) };
  const sr = await startFakeServiceReference({ catalog: defaultCatalog(), add: { 's3:GetBucketNewFeature': 'R' } });
  try {
    const samples: number[] = [];
    let last: Awaited<ReturnType<typeof updateCatalog>> | undefined;
    for (let i = 0; i < runs(3); i++) {
      last = await updateCatalog({ url: sr.url, env });
      samples.push(last.ms);
    }
    const file = cachedCatalogPath(env);
    const loads: number[] = [];
    for (let i = 0; i < runs(15); i++) {
      const t0 = performance.now();
      parsePackedCatalog(file, readFileSync(file, 'utf8'));
      loads.push(performance.now() - t0);
    }
    return [
      timingRow('Catalog update from the Service Reference stand-in', samples, '< 5 s', `${sr.requests.length / samples.length} documents (${(last!.bytes / 1024 / 1024).toFixed(1)} MB) on 127.0.0.1, 8 at a time, checked, packed, written atomically; ${last!.services} services, ${last!.actions} actions`, round),
      timingRow('Cached catalog load (read + shape check + index)', loads, '< 60 ms', `${(readFileSync(file).length / 1024).toFixed(0)} KB in the per-user cache`, round),
    ];
  } finally {
    await sr.close();
    rmSync(env.XDG_CACHE_HOME, { recursive: true, force: true });
  }
}
