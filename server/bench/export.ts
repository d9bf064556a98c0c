// Export memory: the same server export at 20,000 and at 200,000 messages,
// each in a child process that samples its own memory. Streaming means the
// peak does not grow with the size of the server.
import { fork } from 'node:child_process';
import { encrypt } from '@ticketflow/db/crypto';
import { messageTerms } from '@ticketflow/db/repositories/messages';
import { createTestDatabase } from '@ticketflow/db/testing';

const MB = 2 ** 20;
const PER_TICKET = 1_000;

interface Measured {
  ms: number;
  rows: number;
  bytes: number;
  baseRss: number;
  peakRss: number;
  baseHeap: number;
  peakHeap: number;
}

function measure(url: string, guildId: string): Promise<Measured> {
  const child = fork(new URL('./export-child.ts', import.meta.url), [url, guildId], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...process.execArgv, '--expose-gc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m: Measured) => resolve(m));
    child.once('exit', (code) => reject(new Error(`export child exited with ${code}`)));
  });
}

/** A guild with `messages` messages (encrypted, with their blind index) over tickets of 1,000. */
async function seed(
  query: (sql: string, params?: unknown[]) => Promise<unknown>,
  guildId: string,
  messages: number,
) {
  await query(`insert into guilds (id, name, owner_id) values ($1, 'Export bench', 1)`, [guildId]);
  const texts = Array.from(
    { length: 200 },
    (_, i) => `Message ${i}: my order has not arrived, here is the tracking number ${i * 7919}`,
  );
  const contents = texts.map((t) => encrypt(t));
  const terms = texts.map((t) => `{${messageTerms(t).join(',')}}`);
  const empty = encrypt('[]');
  const tickets = messages / PER_TICKET;
  await query(
    `insert into tickets (guild_id, number, opener_id, position, topic, answers)
     select $1, n, 2, lpad(n::text, 8, '0'), $2, $3 from generate_series(1, $4) n`,
    [guildId, encrypt('Where is my order?'), encrypt('{}'), tickets],
  );
  await query(
    `insert into messages (id, guild_id, ticket_id, author_id, content, attachments, embeds, search_terms, created_at)
     select ($1::bigint * 1000000000) + row_number() over (), $1, t.id, 3,
       ($2::text[])[1 + (n % 200)], $3, $3, ($4::text[])[1 + (n % 200)]::text[], now()
     from tickets t, generate_series(1, $5) n where t.guild_id = $1`,
    [guildId, contents, empty, terms, PER_TICKET],
  );
  // As autovacuum would have by the time anyone exports a server this size.
  await query('analyze messages');
  await query('analyze tickets');
}

export async function exportBench(sizes = [20_000, 200_000]): Promise<string[]> {
  const database = await createTestDatabase();
  try {
    if (!database.url)
      return ['| not measured: set TEST_DATABASE_URL to a Postgres server | – | – | – | – |'];
    const rows: string[] = [];
    const results: Measured[] = [];
    for (const [i, size] of sizes.entries()) {
      const guildId = String(900 + i);
      await seed((sql, params) => database.handle.query(sql, params), guildId, size);
      const m = await measure(database.url, guildId);
      results.push(m);
      rows.push(
        `| ${size.toLocaleString('en')} messages (${m.rows.toLocaleString('en')} rows, ${size / PER_TICKET} transcripts) | ${(m.ms / 1000).toFixed(1)} s | ${(m.bytes / MB).toFixed(1)} MB | ${(m.peakRss / MB).toFixed(0)} MB (${(m.baseRss / MB).toFixed(0)} MB before) | ${(m.peakHeap / MB).toFixed(0)} MB (${(m.baseHeap / MB).toFixed(0)} MB before) |`,
      );
    }
    const [small, large] = results;
    if (small && large) {
      const growth =
        (large.peakHeap - large.baseHeap) / Math.max(1, small.peakHeap - small.baseHeap);
      rows.push(
        `| peak heap growth, ${sizes[1]?.toLocaleString('en')} vs ${sizes[0]?.toLocaleString('en')} messages (target ≤ 2×: bounded) | – | – | – | ${growth.toFixed(2)}× ${growth <= 2 ? '(met)' : '(missed)'} |`,
      );
    }
    return rows;
  } finally {
    await database[Symbol.asyncDispose]();
  }
}
