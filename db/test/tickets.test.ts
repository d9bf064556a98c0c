import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ReferenceGoneError } from '../src/errors.ts';
import { createCategory } from '../src/repositories/categories.ts';
import { DEFAULT_COLUMNS, listColumns } from '../src/repositories/columns.ts';
import { upsertGuild } from '../src/repositories/guilds.ts';
import {
  closeTicket,
  createTicket,
  findTicketByChannel,
  listOpenTicketChannels,
} from '../src/repositories/tickets.ts';
import { boardColumns } from '../src/schema.ts';
import { someoneWaits, testDatabaseKind, useTestDatabase } from '../src/testing.ts';
import { seedGuild, snowflake } from './support.ts';

if (testDatabaseKind !== 'postgres') {
  console.log(
    '[db] lock order of opening a ticket: a lock held in a second connection, which PGlite has not (set TEST_DATABASE_URL); not run on PGlite',
  );
}

describe('createTicket', () => {
  const t = useTestDatabase();

  it('gives 50 concurrent creations in one guild the numbers 1 to 50, once each', async () => {
    const guildId = await seedGuild(t.handle.db);
    const pool = await t.connect(10);
    const created = await Promise.all(
      Array.from({ length: 50 }, () => createTicket(pool.db, { guildId, openerId: snowflake() })),
    );
    const numbers = created.map((c) => c.ticket.number).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('creates tickets while the guild is stored again (the bot reconnecting, a rename), without a deadlock', async () => {
    const guildId = await seedGuild(t.handle.db);
    const pool = await t.connect(10);
    const ownerId = snowflake();
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0
          ? createTicket(pool.db, { guildId, openerId: snowflake() })
          : upsertGuild(pool.db, { id: guildId, name: `Renamed ${i}`, ownerId }),
      ),
    );
    const renames = await t.handle.query<{ n: number }>(
      "select count(*)::int as n from events where guild_id = $1 and kind = 'guild.updated'",
      [guildId],
    );
    // Each upsert renamed it: an event each.
    expect(renames[0]?.n).toBe(20);
    // And no transaction was aborted for a deadlock and run again.
    expect(pool.conflictsRetried).toBe(0);
  });

  /**
   * An admin's change that takes a row a new ticket refers to (its category, a
   * board column) and then the guild's counter, held open while a ticket is
   * opened: the ticket must wait for that row before it takes the counter.
   * Taking the counter first, it waited for the row with the counter held,
   * and the admin's change waited for the counter: a deadlock.
   */
  async function openWhileHeld(
    guildId: string,
    hold: (admin: Awaited<ReturnType<typeof t.connect>>) => Promise<unknown>,
    input: { categoryId?: string },
  ) {
    const retriedBefore = t.handle.conflictsRetried;
    const admin = await t.connect(1);
    await admin.query('begin');
    await hold(admin);
    const opened = createTicket(t.handle.db, { guildId, openerId: snowflake(), ...input }).then(
      (created) => created.ticket,
      (error: unknown) => error,
    );
    await someoneWaits(t.handle);
    // The admin's change appends its event (as settings.ts's `changed` does) and commits.
    const seq = await admin
      .query('update guild_sequences set last_event_seq = last_event_seq + 1 where guild_id = $1', [
        guildId,
      ])
      .then(
        () => 'taken',
        (error: unknown) => error,
      );
    await admin.query(seq === 'taken' ? 'commit' : 'rollback');
    const result = await opened;
    // Not a deadlock that was aborted and run again: none happened.
    return { seq, opened: result, retried: t.handle.conflictsRetried - retriedBefore };
  }

  it.runIf(testDatabaseKind === 'postgres')(
    'opens a ticket while an admin deletes the column it would go to, without a deadlock: it goes to the next open column',
    async () => {
      const guildId = await seedGuild(t.handle.db);
      const [first, second] = (await listColumns(t.handle.db, guildId)).filter(
        (c) => c.lifecycle === 'open',
      );
      const { seq, opened, retried } = await openWhileHeld(
        guildId,
        (admin) => admin.query('delete from board_columns where id = $1', [first?.id]),
        {},
      );
      expect({ seq, retried }).toEqual({ seq: 'taken', retried: 0 });
      expect(opened).toMatchObject({ columnId: second?.id, number: 1 });
    },
  );

  it.runIf(testDatabaseKind === 'postgres')(
    'opens no ticket in a category an admin deletes meanwhile, without a deadlock: it says the category is gone',
    async () => {
      const guildId = await seedGuild(t.handle.db);
      const category = await createCategory(t.handle.db, { guildId, name: 'Billing' });
      const { seq, opened, retried } = await openWhileHeld(
        guildId,
        (admin) => admin.query('delete from categories where id = $1', [category.id]),
        { categoryId: category.id },
      );
      expect({ seq, retried }).toEqual({ seq: 'taken', retried: 0 });
      expect(opened).toBeInstanceOf(ReferenceGoneError);
      expect(opened).toMatchObject({ what: 'category' });
      // Nothing was left half-made: no ticket, and the number was not used up.
      const next = await createTicket(t.handle.db, { guildId, openerId: snowflake() });
      expect(next.ticket.number).toBe(1);
    },
  );

  it('numbers each guild on its own', async () => {
    const a = await seedGuild(t.handle.db);
    const b = await seedGuild(t.handle.db);
    await createTicket(t.handle.db, { guildId: a, openerId: snowflake() });
    await createTicket(t.handle.db, { guildId: a, openerId: snowflake() });
    const first = await createTicket(t.handle.db, { guildId: b, openerId: snowflake() });
    expect(first.ticket.number).toBe(1);
  });

  it('gives a stored guild the default board columns, once', async () => {
    const guildId = await seedGuild(t.handle.db);
    // Stored again (the bot reconnects): no second set.
    await upsertGuild(t.handle.db, { id: guildId, name: 'Renamed', ownerId: snowflake() });
    const columns = await listColumns(t.handle.db, guildId);
    expect(columns.map((c) => [c.name, c.lifecycle])).toEqual(
      DEFAULT_COLUMNS.map((c) => [c.name, c.lifecycle]),
    );
  });

  it('puts new tickets at the bottom of the first open column, in creation order', async () => {
    const guildId = await seedGuild(t.handle.db);
    // A board whose closed column comes first.
    await t.handle.db.delete(boardColumns).where(eq(boardColumns.guildId, guildId));
    const [closed, open] = await t.handle.db
      .insert(boardColumns)
      .values([
        { guildId, name: 'Done', position: 'a0', lifecycle: 'closed' },
        { guildId, name: 'New', position: 'a1', lifecycle: 'open' },
      ])
      .returning();
    const first = await createTicket(t.handle.db, { guildId, openerId: snowflake() });
    const second = await createTicket(t.handle.db, { guildId, openerId: snowflake() });
    expect(first.ticket.columnId).toBe(open?.id);
    expect(first.ticket.columnId).not.toBe(closed?.id);
    expect(second.ticket.position > first.ticket.position).toBe(true);
  });

  it('records a ticket.created event with the next seq', async () => {
    const guildId = await seedGuild(t.handle.db);
    const { ticket, seq } = await createTicket(t.handle.db, { guildId, openerId: snowflake() });
    const rows = await t.handle.query<{ kind: string; ticket_id: string; seq: string }>(
      'select kind, ticket_id, seq::text from events where guild_id = $1',
      [guildId],
    );
    expect(rows).toEqual([{ kind: 'ticket.created', ticket_id: ticket.id, seq: String(seq) }]);
  });
});

describe('closing and finding tickets', () => {
  const t = useTestDatabase();

  it('closes a ticket into the first closed column, once', async () => {
    const guildId = await seedGuild(t.handle.db);
    const [, done] = await t.handle.db
      .insert(boardColumns)
      .values([
        { guildId, name: 'New', position: 'a0', lifecycle: 'open' },
        { guildId, name: 'Done', position: 'a1', lifecycle: 'closed' },
      ])
      .returning();
    const channelId = snowflake();
    const { ticket } = await createTicket(t.handle.db, {
      guildId,
      openerId: snowflake(),
      channelId,
    });
    expect((await findTicketByChannel(t.handle.db, channelId))?.id).toBe(ticket.id);
    expect((await listOpenTicketChannels(t.handle.db, [guildId])).map((r) => r.id)).toEqual([
      ticket.id,
    ]);

    const closed = await closeTicket(t.handle.db, {
      ticketId: ticket.id,
      reason: 'channel deleted',
    });
    expect(closed?.ticket).toMatchObject({
      status: 'closed',
      columnId: done?.id,
      closeReason: 'channel deleted',
      version: 2,
    });
    expect(await closeTicket(t.handle.db, { ticketId: ticket.id })).toBeUndefined();
    expect(await listOpenTicketChannels(t.handle.db, [guildId])).toEqual([]);
  });
});
