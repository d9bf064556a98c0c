// One export in a process of its own, reporting its time and peak memory
// (sampled every 20 ms) to the parent: see export.ts. The archive is stored
// in Postgres as the export job stores it.
import { openDatabase } from '@ticketflow/db/client';
import { ArchiveWriter } from '@ticketflow/db/repositories/data-requests';
import { useTestKeyring } from '@ticketflow/db/testing';
import { buildExport } from '../src/data-export.ts';

const [url, guildId] = process.argv.slice(2) as [string, string];
useTestKeyring();
const database = await openDatabase({ kind: 'postgres', url, max: 2 });
const [request] = await database.query<{ id: string }>(
  "insert into data_requests (guild_id, requested_by, kind) values ($1, 1, 'export') returning id",
  [guildId],
);
const out = new ArchiveWriter(database.db, request?.id ?? '');
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
const result = await buildExport(database.db, { guildId, out, onProgress: async () => {} });
const ms = performance.now() - started;
clearInterval(sampler);
const bytes = out.bytes;
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
