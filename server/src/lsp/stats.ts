/** `iamRefiner/serverStats`: process figures for tests and benchmarks, optionally after a GC, and a document's text as the server holds it. */
import { createHash } from 'node:crypto';
import { getHeapSpaceStatistics } from 'node:v8';
import type { ServerStats, ServerStatsParams } from '../../../shared/protocol';
import { hclMemory } from '../core/formats/hcl/tree';

export interface StatsHost {
  documents: { get(uri: string): { version: number; getText(): string } | undefined; all(): unknown[] };
  analyses: number;
  catalogLoadMs: number | undefined;
  validations: number;
}

export async function serverStats(params: ServerStatsParams | undefined | null, host: StatsHost): Promise<ServerStats> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const gcRan = !!params?.gc && typeof gc === 'function';
  if (gcRan) {
    // a WebAssembly memory let go is freed by a later collection than the one that finds it unreachable
    gc!();
    await new Promise((resolve) => setTimeout(resolve, 20));
    gc!();
  }
  const m = process.memoryUsage();
  const out: ServerStats = {
    rssBytes: m.rss,
    heapUsedBytes: m.heapUsed,
    heapTotalBytes: m.heapTotal,
    externalBytes: m.external,
    arrayBuffersBytes: m.arrayBuffers,
    terraformParserBytes: hclMemory().bytes,
    heapSpaces: Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, { sizeBytes: s.space_size, usedBytes: s.space_used_size }])),
    gcRan,
    documents: host.documents.all().length,
    analyses: host.analyses,
    catalogLoadMs: host.catalogLoadMs,
    validations: host.validations,
    cpuMs: (() => {
      const c = process.cpuUsage();
      return (c.user + c.system) / 1000;
    })(),
  };
  const doc = typeof params?.textOf === 'string' ? host.documents.get(params.textOf) : undefined;
  if (doc) {
    const text = doc.getText();
    out.text = { version: doc.version, length: text.length, sha256: createHash('sha256').update(Buffer.from(text, 'utf16le')).digest('hex') };
  }
  return out;
}
