import { eq, sql } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { IDLE_MS, WARM_CONNECTIONS } from '../src/client.ts';
import { getGuildAccessFacts, upsertGuild } from '../src/repositories/guilds.ts';
import { guilds } from '../src/schema.ts';
import { testDatabaseKind, useTestDatabase } from '../src/testing.ts';

// Named statements are a node-postgres matter; PGlite runs in-process with no
// planning round trip to save.
if (testDatabaseKind !== 'postgres') {
  console.log(
    '[db] prepared statements: a Postgres server feature (set TEST_DATABASE_URL); not run on PGlite',
  );
}

describe.runIf(testDatabaseKind === 'postgres')('statements prepared once per connection', () => {
  const t = useTestDatabase();

  it('prepares parameterised statements (ORM, raw and repository ones), and runs the rest as they are', async () => {
    // One connection, so the statements this test makes are on the one it inspects.
    const one = await t.connect(1);
    await upsertGuild(one.db, {
      id: '111111111111111111',
      name: 'Prepared',
      ownerId: '222222222222222222',
    });
    const read = () => one.db.select().from(guilds).where(eq(guilds.id, '111111111111111111'));
    expect((await read())[0]?.name).toBe('Prepared');
    expect((await read())[0]?.name).toBe('Prepared');
    expect(await one.query('select $1::int + 1 as two', [1])).toEqual([{ two: 2 }]);
    expect((await getGuildAccessFacts(one.db, '111111111111111111'))?.guild.name).toBe('Prepared');
    expect((await getGuildAccessFacts(one.db, '111111111111111111'))?.seq).toBe(0);
    await one.query('select 42 as plain');
    const statements = await one.query<{ name: string; statement: string }>(
      'select name, statement from pg_prepared_statements',
    );
    const texts = statements.map((s) => s.statement);
    expect(texts.some((s) => s.includes('from "guilds"') && s.includes('$1'))).toBe(true);
    expect(texts).toContain('select $1::int + 1 as two');
    expect(statements.map((s) => s.name)).toContain('guild_access_facts');
    expect(texts).not.toContain('select 42 as plain');
    // Each text is prepared once, however often it runs.
    const names = statements.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    // A result is the same whether the statement was new or already prepared.
    expect(await one.db.execute(sql`select ${'x'}::text as v`)).toMatchObject({
      rows: [{ v: 'x' }],
    });
    expect(await one.db.execute(sql`select ${'x'}::text as v`)).toMatchObject({
      rows: [{ v: 'x' }],
    });
  });
});

describe.runIf(testDatabaseKind === 'postgres')('a quiet pool keeps warm connections', () => {
  const t = useTestDatabase();

  it('closes the connections above the warm ones after IDLE_MS, and keeps those with their statements', async () => {
    const pool = await t.connect(4);
    if (pool.kind !== 'postgres') throw new Error('postgres only');
    const BUSY = 'select pg_backend_pid() as pid, pg_sleep(0.05), $1::int';
    // The pool's idle timers run on a fake clock (node-postgres' own default closed every
    // connection idle for 10 s; ours keeps them for minutes, the warm ones for good).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const busy = await Promise.all(
        Array.from({ length: 4 }, () => pool.query<{ pid: number }>(BUSY, [1])),
      );
      expect(new Set(busy.map((r) => r[0]?.pid)).size).toBe(4);
      vi.advanceTimersByTime(IDLE_MS - 1);
      expect(pool.pool.totalCount).toBe(4);
      vi.advanceTimersByTime(1);
      expect(pool.pool.totalCount).toBe(WARM_CONNECTIONS);
      vi.advanceTimersByTime(100 * IDLE_MS);
      expect(pool.pool.totalCount).toBe(WARM_CONNECTIONS);
    } finally {
      vi.useRealTimers();
    }
    // And the next query runs on one that has prepared it already.
    const [prepared] = await pool.query<{ n: number }>(
      'select count(*)::int as n from pg_prepared_statements where statement = $1',
      [BUSY],
    );
    expect(prepared?.n).toBe(1);
  });
});
