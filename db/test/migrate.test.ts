import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../src/client.ts';
import { migrateDatabase } from '../src/migrate.ts';
import { createEmptyTestDatabase } from '../src/testing.ts';

const schemaSnapshot = `
  select table_name, column_name, data_type, is_nullable, column_default
  from information_schema.columns where table_schema = 'public'
  order by table_name, column_name`;

describe('migrations', () => {
  let empty: Awaited<ReturnType<typeof createEmptyTestDatabase>>;
  let handle: DatabaseHandle;

  beforeAll(async () => {
    empty = await createEmptyTestDatabase();
    handle = empty.url
      ? await openDatabase({ kind: 'postgres', url: empty.url, max: 4 })
      : await openDatabase({ kind: 'pglite' });
  });
  afterAll(async () => {
    await handle.close();
    await empty.drop();
  });

  it('creates every table of the data model in an empty database', async () => {
    expect(await handle.query(schemaSnapshot)).toEqual([]);
    await migrateDatabase(handle);
    const tables = await handle.query<{ table_name: string }>(
      `select table_name from information_schema.tables where table_schema = 'public' order by 1`,
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      'audit_log',
      'board_columns',
      'categories',
      'data_requests',
      'events',
      'export_chunks',
      'feedback',
      'guild_sequences',
      'guilds',
      'jobs',
      'messages',
      'outbox',
      'panels',
      'sessions',
      'tags',
      'tickets',
      'users',
    ]);
  });

  it('changes nothing when applied a second time, even by several processes at once', async () => {
    const before = await handle.query(schemaSnapshot);
    const applied = await handle.query('select * from drizzle.__drizzle_migrations');
    await Promise.all([migrateDatabase(handle), migrateDatabase(handle)]);
    expect(await handle.query(schemaSnapshot)).toEqual(before);
    expect(await handle.query('select * from drizzle.__drizzle_migrations')).toEqual(applied);
  });

  it('indexes the board, messages, events and the queues for their hot paths', async () => {
    const indexes = await handle.query<{ indexdef: string }>(
      `select indexdef from pg_indexes where schemaname = 'public'`,
    );
    const defs = indexes.map((i) => i.indexdef.replace(/"/g, ''));
    expect(defs).toContainEqual(
      expect.stringMatching(/ON public.tickets .*\(guild_id, column_id, position\)/),
    );
    expect(defs).toContainEqual(expect.stringMatching(/ON public.messages .*\(ticket_id, id\)/));
    expect(defs).toContainEqual(
      expect.stringMatching(/UNIQUE INDEX events_pk ON public.events .*\(guild_id, seq\)/),
    );
    expect(defs).toContainEqual(expect.stringMatching(/ON public.outbox .*\(run_at, id\) WHERE/));
    expect(defs).toContainEqual(expect.stringMatching(/ON public.jobs .*\(run_at, id\) WHERE/));
  });
});
