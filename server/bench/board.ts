// Issue #6's board figure: the board request with 10,000 open tickets in the
// guild, 10 concurrent connections, beside a Fastify route doing `SELECT 1`
// through the same pool in the same run.

import { fork } from 'node:child_process';
import { boardColumns } from '@ticketflow/db/schema';
import { eq } from 'drizzle-orm';
import Fastify from 'fastify';
import { generateNKeysBetween } from 'fractional-indexing';
import { buildApp } from '../src/app.ts';
import { discordOptions } from '../test/world.ts';
import { freePort, ms, startStack } from './stack.ts';

const TICKETS = 10_000;
const SECONDS = 10;
/**
 * Load before each measured run that is not counted: a route's first thousands
 * of requests run before V8 has optimised its code. In one-second windows the
 * board's first second served 1,124 requests and the next eleven 2,250–3,700
 * each (2026-12-07), so a cold 10 s average measured the warm-up as much as
 * the route. Floor and board get the same.
 */
const WARMUP_SECONDS = 2;

/** Requests/s and p95 of `url` under 10 connections at once, loaded from a child process. */
async function load(url: string, headers: Record<string, string> = {}) {
  await loadFor(url, headers, WARMUP_SECONDS);
  return loadFor(url, headers, SECONDS);
}

async function loadFor(url: string, headers: Record<string, string>, seconds: number) {
  const child = fork(new URL('./load.ts', import.meta.url), [
    JSON.stringify({ url, seconds, connections: 10, headers }),
  ]);
  const result = await new Promise<{ perSecond: number; p95: number; failed: number }>(
    (resolve, reject) => {
      child.once('message', (m) => resolve(m as never));
      child.once('exit', (code) => reject(new Error(`load exited with ${code}`)));
    },
  );
  if (result.failed) throw new Error(`${url}: ${result.failed} failed requests`);
  return result;
}

export async function seedBoard(stack: Awaited<ReturnType<typeof startStack>>) {
  const { db } = stack.t.handle;
  const guildId = stack.world.guildId;
  const columns = await db
    .select()
    .from(boardColumns)
    .where(eq(boardColumns.guildId, guildId))
    .orderBy(boardColumns.position);
  const open = columns.filter((c) => c.lifecycle === 'open');
  // 10,000 open tickets over the open columns and both categories, each with a last message.
  const perColumn = Math.ceil(TICKETS / open.length);
  const keys = generateNKeysBetween(null, null, perColumn);
  const categories = [stack.world.categories.support, stack.world.categories.billing];
  await stack.t.handle.query(
    `with t as (
       insert into tickets (guild_id, number, category_id, opener_id, column_id, position, topic, last_message_at)
       select $1::bigint, n, ($2::uuid[])[1 + n % 2], $3, ($4::uuid[])[1 + n % $5], ($6::text[])[1 + n / $5], 'Ticket ' || n, now()
       from generate_series(0, $7 - 1) as n
       returning id, number)
     insert into messages (id, guild_id, ticket_id, author_id, content, created_at)
     select 1000000000000000000 + number, $1::bigint, id, $3, 'Last message of ticket ' || number, now() from t`,
    [
      guildId,
      categories,
      stack.world.users.member,
      open.map((c) => c.id),
      open.length,
      keys,
      TICKETS,
    ],
  );
  await stack.t.handle.query(
    `update tickets t set last_message_id = m.id from messages m where m.ticket_id = t.id and t.guild_id = $1`,
    [guildId],
  );
  await stack.t.handle.query('analyze');
}

export async function boardBench(): Promise<string[]> {
  await using stack = await startStack({ bot: false });
  await seedBoard(stack);
  const guildId = stack.world.guildId;

  const boardUrl = `${stack.url}/api/guilds/${guildId}/board?status=open`;
  const check = await fetch(boardUrl, { headers: { cookie: stack.cookie } });
  const body = (await check.json()) as { columns: { total: number; cards: unknown[] }[] };
  const total = body.columns.reduce((n, c) => n + c.total, 0);
  if (total !== TICKETS) throw new Error(`the board counts ${total} open tickets, not ${TICKETS}`);
  const cards = body.columns.reduce((n, c) => n + c.cards.length, 0);

  const select1 = Fastify();
  select1.get('/select1', async () => (await stack.t.handle.query('select 1 as one'))[0]);
  const port = await freePort();
  await select1.listen({ port, host: '127.0.0.1' });
  // The same server without the board cache: every request runs the board's queries.
  const uncachedPort = await freePort();
  const uncached = await buildApp({
    database: stack.t.handle,
    discord: discordOptions(stack.emulator, stack.world),
    publicUrl: `http://127.0.0.1:${uncachedPort}`,
    rateLimits: { perMinute: 10_000_000, authPerMinute: 10_000 },
    boardCache: false,
    realtime: false,
  });
  await uncached.listen({ port: uncachedPort, host: '127.0.0.1' });
  try {
    const floor = await load(`http://127.0.0.1:${port}/select1`);
    const rows: string[] = [];
    for (const [what, url] of [
      ['board', boardUrl],
      ['board, cache off', boardUrl.replace(stack.url, `http://127.0.0.1:${uncachedPort}`)],
    ] as const) {
      // As the dashboard asks for it: a browser always offers gzip.
      const board = await load(url, {
        cookie: stack.cookie,
        'accept-encoding': 'gzip, deflate, br',
      });
      const share = board.perSecond / floor.perSecond;
      const met = board.p95 <= 30 && share >= 0.25;
      rows.push(
        `| ${what} (${TICKETS.toLocaleString('en')} open tickets; first page ${cards} cards in ${body.columns.length} columns with counts; gzip, as browsers ask), 10 connections, ${SECONDS} s | ${board.perSecond.toFixed(0)} req/s · p95 ${ms(board.p95)} | \`SELECT 1\` route, same pool: ${floor.perSecond.toFixed(0)} req/s · p95 ${ms(floor.p95)} | ${share.toFixed(2)} of the floor | p95 ≤ 30 ms and ≥ 0.25 of the floor: ${met ? 'met' : 'missed'} |`,
      );
    }
    return rows;
  } finally {
    await uncached.close();
    await select1.close();
  }
}
