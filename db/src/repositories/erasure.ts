import { is, type SQL, sql } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { channels } from '../bus.ts';
import { type Executor, execute, type Transaction } from '../client.ts';
import { encrypt } from '../crypto.ts';
import * as schema from '../schema.ts';
import { guilds, users } from '../schema.ts';
import { dropArchives, restartExports } from './data-requests.ts';

/** Every table of the schema, by its SQL name. */
export function schemaTables(): Map<string, { table: PgTable; columns: string[] }> {
  const out = new Map<string, { table: PgTable; columns: string[] }>();
  for (const value of Object.values(schema)) {
    if (!is(value, PgTable)) continue;
    const config = getTableConfig(value);
    out.set(config.name, { table: value, columns: config.columns.map((c) => c.name) });
  }
  return out;
}

/**
 * Tables that hold no row of a guild, and why. A table with a `guild_id`
 * column is a guild's by that column; every other table must be listed here
 * (the erasure test fails on a table that is neither).
 */
export const tablesWithoutGuild: Record<string, string> = {
  users: "people, shared by every server: a user's row goes when no server's data needs it",
  sessions: 'logins: a user id and encrypted OAuth tokens, nothing of any server',
  export_chunks:
    "an export's archive, by its data request (which is the guild's, and takes it along when deleted)",
};

/** The tables holding a guild's rows: each with a `guild_id` column, plus `guilds` itself. */
export function guildTables(): string[] {
  return [...schemaTables()]
    .filter(([, t]) => t.columns.includes('guild_id'))
    .map(([name]) => name)
    .sort();
}

/**
 * Exactly how many rows of each table belong to the guild (what erasing it
 * deletes): the tables with a `guild_id`, the guild's row, and the pieces of
 * its export archives (`export_chunks`, the guild's through their request).
 */
export async function countGuildRows(
  db: Executor,
  guildId: string,
): Promise<Record<string, number>> {
  const names = guildTables();
  const counts: Record<string, number> = {};
  const selects = names.map(
    (name) =>
      sql`select ${name} as name, count(*)::int as n from ${sql.identifier(name)} where guild_id = ${guildId}`,
  );
  const result = await execute<{ name: string; n: number }>(
    db,
    sql`${sql.join(selects, sql` union all `)}
      union all select 'guilds', count(*)::int from guilds where id = ${guildId}
      union all select 'export_chunks', count(*)::int from export_chunks c
        join data_requests r on r.id = c.request_id where r.guild_id = ${guildId}`,
  );
  for (const row of result.rows) counts[row.name] = Number(row.n);
  return counts;
}

/**
 * The ids of the people a guild's rows mention (authors, openers, staff,
 * raters, actors), as a subquery of one `id` column: what the export lists in
 * users.json and what erasing the guild may leave without a reason to keep.
 */
export function guildPeopleIds(guildId: string): SQL {
  return sql`(
    select author_id as id from messages where guild_id = ${guildId} and author_id is not null
    union select opener_id from tickets where guild_id = ${guildId}
    union select assignee_id from tickets where guild_id = ${guildId} and assignee_id is not null
    union select closed_by from tickets where guild_id = ${guildId} and closed_by is not null
    union select user_id from feedback where guild_id = ${guildId}
    union select actor_id from events where guild_id = ${guildId} and actor_id is not null
    union select actor_id from audit_log where guild_id = ${guildId} and actor_id is not null)`;
}

async function peopleOf(tx: Transaction, guildId: string): Promise<string[]> {
  const result = await execute<{ id: string }>(
    tx,
    sql`select p.id::text as id from ${guildPeopleIds(guildId)} p`,
  );
  return result.rows.map((r) => r.id);
}

/** Deletes the users rows among `ids` that no remaining data and no login needs. */
async function dropUnneededUsers(tx: Transaction, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const list = sql`string_to_array(${ids.join(',')}, ',')::bigint[]`;
  const result = await execute(
    tx,
    sql`
    delete from users u where u.id = any(${list}) and u.id <> 0
      and not exists (select 1 from messages m where m.author_id = u.id)
      and not exists (select 1 from tickets t where u.id in (t.opener_id, t.assignee_id, t.closed_by))
      and not exists (select 1 from feedback f where f.user_id = u.id)
      and not exists (select 1 from events e where e.actor_id = u.id)
      and not exists (select 1 from audit_log a where a.actor_id = u.id)
      and not exists (select 1 from sessions s where s.user_id = u.id)
      and not exists (select 1 from guilds g where g.owner_id = u.id)`,
  );
  return result.rowCount;
}

/**
 * Erases a guild: every row of it in every table (the guild row's foreign
 * keys cascade to each table with a guild_id), and the people it mentioned
 * that nothing else needs. Returns what was deleted, table by table.
 */
export async function eraseGuild(db: Executor, guildId: string) {
  // Deleting the guild row waits for every key-share holder (an insert that
  // refers to it) and deleting its counter row for the counter's holder: a
  // change of one of its tickets committing at that moment takes them the
  // other way round, and Postgres aborts one of the two: when it is the
  // erasure, its transaction is simply run again (client.ts: every
  // transaction on a database handle is).
  return db.transaction(async (tx) => {
    // The guild's row first: once it is ours, no insert that refers to it is
    // under way or can start, so the counts below are what the delete takes.
    await execute(tx, sql`select 1 from ${guilds} where ${guilds.id} = ${guildId} for update`);
    const counts = await countGuildRows(tx, guildId);
    const people = await peopleOf(tx, guildId);
    // Every guild_id references guilds with ON DELETE CASCADE: this one row
    // takes the guild's rows in every table with it (the erasure test checks each).
    await tx.delete(guilds).where(sql`${guilds.id} = ${guildId}`);
    counts.users = await dropUnneededUsers(tx, people);
    // Delivered at commit to every server, which takes its sockets out of the guild.
    await execute(
      tx,
      sql`select pg_notify(${channels.guilds}, json_build_object('guildId', ${guildId}::text, 'erased', true)::text)`,
    );
    return counts;
  });
}

/** Who an erased person becomes: their messages stay in the timeline, signed by nobody. */
export const DELETED_USER_ID = '0';

/**
 * Erases one person's data: in one guild (an admin's request), or in every
 * guild and their login too (their own request). Their messages stay as
 * "Deleted user" with content, attachments and embeds removed; what they
 * answered when opening, their ratings and comments go; their id is replaced
 * by the deleted user's wherever it was recorded. Their user row goes when
 * nothing else needs it (always, for their own request). Export archives
 * built before, which hold their data, are withdrawn.
 */
export async function eraseUser(db: Executor, userId: string, scope: { guildId?: string } = {}) {
  return db.transaction(async (tx) => {
    const inScope = (column = 'guild_id') =>
      scope.guildId ? sql`and ${sql.identifier(column)} = ${scope.guildId}` : sql``;
    await tx
      .insert(users)
      .values({ id: DELETED_USER_ID, username: 'Deleted user' })
      .onConflictDoNothing();
    const counts: Record<string, number> = {};
    const run = async (name: string, query: ReturnType<typeof sql>) => {
      counts[name] = (counts[name] ?? 0) + (await execute(tx, query)).rowCount;
    };
    // Archives already built hold what is erased now: they are withdrawn, and
    // exports being built are built again (in every guild where the person
    // wrote, opened, handled or rated a ticket, for their own request).
    const guildsWithThem = sql`(select guild_id from messages where author_id = ${userId}
      union select guild_id from tickets where ${userId} in (opener_id, assignee_id, closed_by)
      union select guild_id from feedback where user_id = ${userId}
      union select guild_id from events where actor_id = ${userId})`;
    const exportsOf = scope.guildId
      ? sql`guild_id = ${scope.guildId}`
      : sql`guild_id in ${guildsWithThem}`;
    await restartExports(tx, exportsOf);
    counts.exports = await dropArchives(tx, exportsOf);
    // Plain SQL here: the emptied encrypted columns are encrypted by hand.
    const emptyContent = encrypt('');
    const emptyList = encrypt('[]');
    const emptyObject = encrypt('{}');
    await run(
      'messages',
      sql`update messages set content = ${emptyContent}, attachments = ${emptyList}, embeds = ${emptyList},
        search_terms = '{}', send_key = null, author_id = ${DELETED_USER_ID}
        where author_id = ${userId} ${inScope()}`,
    );
    await run(
      'tickets',
      sql`update tickets set opener_id = ${DELETED_USER_ID}, topic = null, answers = ${emptyObject}, search_terms = '{}'
        where opener_id = ${userId} ${inScope()}`,
    );
    await run(
      'tickets',
      sql`update tickets set assignee_id = null where assignee_id = ${userId} ${inScope()}`,
    );
    await run(
      'tickets',
      sql`update tickets set closed_by = ${DELETED_USER_ID} where closed_by = ${userId} ${inScope()}`,
    );
    await run('feedback', sql`delete from feedback where user_id = ${userId} ${inScope()}`);
    await run(
      'tags',
      sql`update tags set created_by = null where created_by = ${userId} ${inScope()}`,
    );
    // Ids recorded inside JSON (who was added, assigned, ...) and as actors.
    for (const table of ['events', 'outbox', 'jobs', 'audit_log'] as const) {
      const data = table === 'events' || table === 'audit_log' ? 'data' : 'payload';
      await run(
        table,
        sql`update ${sql.identifier(table)} set ${sql.identifier(data)} = replace(${sql.identifier(data)}::text, ${`"${userId}"`}, ${`"${DELETED_USER_ID}"`})::jsonb
          where ${sql.identifier(data)}::text like ${`%"${userId}"%`} ${inScope()}`,
      );
    }
    await run(
      'events',
      sql`update events set actor_id = ${DELETED_USER_ID} where actor_id = ${userId} ${inScope()}`,
    );
    await run(
      'audit_log',
      sql`update audit_log set actor_id = ${DELETED_USER_ID}, ip = null, user_agent = null where actor_id = ${userId} ${inScope()}`,
    );
    await run(
      'audit_log',
      sql`update audit_log set target_id = ${DELETED_USER_ID} where target_type = 'user' and target_id = ${userId} ${inScope()}`,
    );
    if (scope.guildId) {
      counts.users = await dropUnneededUsers(tx, [userId]);
    } else {
      await run('sessions', sql`delete from sessions where user_id = ${userId}`);
      await run('users', sql`delete from users where id = ${userId}`);
    }
    return counts;
  });
}
