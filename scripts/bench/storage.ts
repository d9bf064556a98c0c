import type { DatabaseHandle } from '@ticketflow/db/client';
import { upsertGuild } from '@ticketflow/db/repositories/guilds';
import { upsertMessage } from '@ticketflow/db/repositories/messages';
import { createTicket } from '@ticketflow/db/repositories/tickets';
import { createTestDatabase } from '@ticketflow/db/testing';

export const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 4000);
const TICKETS = 20;
let nextId = 200_000_000_000_000_000n;
const snowflake = () => (++nextId).toString();

/** Runs `total` tasks with `concurrency` in flight; returns tasks per second. */
export async function rate(
  total: number,
  concurrency: number,
  task: (i: number) => Promise<unknown>,
) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await task(next++);
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

export async function rawLoop(handle: DatabaseHandle, concurrency: number): Promise<number> {
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

/** The storage path beside the raw loop, at 1 and 4 connections. */
export async function storageBench(): Promise<string[]> {
  const rows: string[] = [];
  const t = await createTestDatabase();
  try {
    for (const concurrency of [1, 4]) {
      const raw = await rawLoop(t.handle, concurrency);
      const repo = await repositoryLoop(t.handle, concurrency);
      rows.push(
        `| message upsert + event + notify, ${concurrency} connection${concurrency > 1 ? 's' : ''} | ${repo.toFixed(0)} rows/s | ${raw.toFixed(0)} rows/s | ${(repo / raw).toFixed(2)} |`,
      );
    }
  } finally {
    await t[Symbol.asyncDispose]();
  }
  return rows;
}
