import { describe, expect, it } from 'vitest';
import { eraseGuild } from '../src/repositories/erasure.ts';
import { createTicket } from '../src/repositories/tickets.ts';
import { someoneWaits, testDatabaseKind, useTestDatabase } from '../src/testing.ts';
import { seedGuild, snowflake } from './support.ts';

if (testDatabaseKind !== 'postgres') {
  console.log(
    '[db] erasing a server while a change commits: a lock held in a second connection, which PGlite has not (set TEST_DATABASE_URL); not run on PGlite',
  );
}

describe('eraseGuild', () => {
  const t = useTestDatabase();

  it.runIf(testDatabaseKind === 'postgres')(
    'erases a server while a change of one of its tickets commits: the deadlock between them aborts the erasure, which is done again',
    async () => {
      const guildId = await seedGuild(t.handle.db);
      const { ticket } = await createTicket(t.handle.db, { guildId, openerId: snowflake() });
      // A dashboard change of the ticket, as tickets.ts makes one: its row, its event
      // (the guild's counter), then its outbox item, which refers to the guild.
      const staff = await t.connect(1);
      await staff.query('begin');
      await staff.query("update tickets set priority = 'high' where id = $1", [ticket.id]);
      await staff.query(
        'update guild_sequences set last_event_seq = last_event_seq + 1 where guild_id = $1',
        [guildId],
      );
      // The owner erases the server meanwhile: it waits for the ticket's row.
      const retriedBefore = t.handle.conflictsRetried;
      const erasing = eraseGuild(t.handle.db, guildId).then(
        (counts) => counts,
        (error: unknown) => error,
      );
      await someoneWaits(t.handle);
      const queued = await staff
        .query("insert into outbox (guild_id, ticket_id, kind) values ($1, $2, 'assign')", [
          guildId,
          ticket.id,
        ])
        .then(
          () => 'queued',
          (error: unknown) => error,
        );
      await staff.query(queued === 'queued' ? 'commit' : 'rollback');
      expect(queued).toBe('queued');
      // Done again after the change committed: its outbox item went with the rest.
      expect(await erasing).toMatchObject({ tickets: 1, outbox: 1 });
      expect(t.handle.conflictsRetried - retriedBefore).toBe(1);
      expect(await t.handle.query('select 1 from guilds where id = $1', [guildId])).toEqual([]);
      expect(await t.handle.query('select 1 from outbox where guild_id = $1', [guildId])).toEqual(
        [],
      );
    },
  );
});
