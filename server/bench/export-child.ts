// One export in a process of its own, reporting its time and peak memory
// (sampled every 20 ms) to the parent: see export.ts.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '@ticketflow/db/client';
import { useTestKeyring } from '@ticketflow/db/testing';
import { buildExport } from '../src/data-export.ts';

const [url, guildId] = process.argv.slice(2) as [string, string];
useTestKeyring();
const database = await openDatabase({ kind: 'postgres', url, max: 2 });
const dir = mkdtempSync(join(tmpdir(), 'tf-export-bench-'));
global.gc?.();
const base = process.memoryUsage();
let peakRss = base.rss;
let peakHeap = base.heapUsed;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
}, 20);
const started = performance.now();
const file = join(dir, 'export.zip');
const result = await buildExport(database.db, { guildId, file, onProgress: async () => {} });
const ms = performance.now() - started;
clearInterval(sampler);
const bytes = statSync(file).size;
rmSync(dir, { recursive: true, force: true });
await database.close();
process.send?.({
  ms,
  rows: result.rows,
  bytes,
  baseRss: base.rss,
  peakRss,
  baseHeap: base.heapUsed,
  peakHeap,
});
