// `pnpm bench`: measures what exists so far and writes BENCHMARKS.md.
// Each figure stands beside a floor measured in the same run, because absolute
// numbers on shared 2-core machines move from run to run.
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { DatabaseHandle } from '@ticketflow/db/client';
import { upsertGuild } from '@ticketflow/db/repositories/guilds';
import { upsertMessage } from '@ticketflow/db/repositories/messages';
import { createTicket } from '@ticketflow/db/repositories/tickets';
import { createTestDatabase, testDatabaseKind } from '@ticketflow/db/testing';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 4000);
const TICKETS = 20;
let nextId = 200_000_000_000_000_000n;
const snowflake = () => (++nextId).toString();

/** Runs `total` tasks with `concurrency` in flight; returns tasks per second. */
async function rate(total: number, concurrency: number, task: (i: number) => Promise<unknown>) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await task(next++);
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

async function rawLoop(handle: DatabaseHandle, concurrency: number): Promise<number> {
  await handle.query('create table if not exists bench_raw (id bigint primary key, content text)');
  if (handle.kind === 'pglite') {
    const pg = handle.pglite;
    return rate(MESSAGES, concurrency, (i) =>
      pg.transaction(async (tx) => {
        await tx.query('insert into bench_raw values ($1, $2)', [snowflake(), `raw ${i}`]);
        await tx.query(`select pg_notify('tf_bench', $1)`, [String(i)]);
      }),
    );
  }
  const pool = handle.pool;
  return rate(MESSAGES, concurrency, async (i) => {
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query('insert into bench_raw values ($1, $2)', [snowflake(), `raw ${i}`]);
      await client.query(`select pg_notify('tf_bench', $1)`, [String(i)]);
      await client.query('commit');
    } finally {
      client.release();
    }
  });
}

async function repositoryLoop(handle: DatabaseHandle, concurrency: number): Promise<number> {
  const guildId = snowflake();
  await upsertGuild(handle.db, { id: guildId, name: 'bench', ownerId: snowflake() });
  const tickets: string[] = [];
  for (let i = 0; i < TICKETS; i++) {
    tickets.push((await createTicket(handle.db, { guildId, openerId: snowflake() })).ticket.id);
  }
  return rate(MESSAGES, concurrency, (i) =>
    upsertMessage(handle.db, {
      id: snowflake(),
      guildId,
      ticketId: tickets[i % TICKETS] as string,
      authorId: snowflake(),
      content: `message ${i}`,
      createdAt: new Date(),
    }),
  );
}

const rows: string[] = [];
const t = await createTestDatabase();
try {
  for (const concurrency of [1, 4]) {
    const raw = await rawLoop(t.handle, concurrency);
    const repo = await repositoryLoop(t.handle, concurrency);
    const line = `| message upsert + event + notify, ${concurrency} connection${concurrency > 1 ? 's' : ''} | ${repo.toFixed(0)} rows/s | ${raw.toFixed(0)} rows/s | ${(repo / raw).toFixed(2)} |`;
    rows.push(line);
    console.log(line);
  }
} finally {
  await t[Symbol.asyncDispose]();
}

const doc = `# Benchmarks

Written by \`pnpm bench\` (scripts/bench.ts); do not edit by hand. Tests never
assert timings: targets are checked here, each beside a floor measured in the
same run on the same machine.

Last run: ${new Date().toISOString()} · ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}) ·
${(totalmem() / 2 ** 30).toFixed(0)} GiB · Node ${process.version} · database: ${testDatabaseKind}
(${MESSAGES} messages per row, ${TICKETS} tickets, one guild).

## Storage path

The repository's \`upsertMessage\` (idempotent upsert keyed by snowflake, ticket
pointer update, per-guild event seq, \`pg_notify\`, one transaction) beside a raw
\`pg\` loop (\`BEGIN; INSERT; pg_notify; COMMIT\`) at the same concurrency. This
is the floor for the bot's mirroring target (>= 0.7 of the raw loop).
Events of one guild serialise on that guild's counter row (gap-free seq in
commit order), so extra connections help the raw loop more than this path.

| what | TicketFlow | raw pg loop | ratio |
|---|---|---|---|
${rows.join('\n')}

Targets for the bot, server and dashboard are measured by their issues as they land.
`;
writeFileSync(new URL('../BENCHMARKS.md', import.meta.url), doc);
console.log('wrote BENCHMARKS.md');
