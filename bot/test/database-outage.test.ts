import { type DatabaseHandle, openDatabase } from '@ticketflow/db/client';
import { isTransientDatabaseError, LOST_CONFLICT_ANSWER } from '@ticketflow/db/errors';
import {
  createDatabaseRelay,
  testDatabaseKind,
  ticketUpdatesDeadlock,
  useTestDatabase,
} from '@ticketflow/db/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bot } from '../src/bot.ts';
import { DATABASE_AWAY } from '../src/interactions.ts';
import { TicketDirectory } from '../src/tickets-by-channel.ts';
import { eventually, openTicketChannel, startTestBot, useEmulator } from './support.ts';

// The relay needs a database server to relay to.
if (testDatabaseKind !== 'postgres') {
  console.log(
    '[bot] database outage test: needs a Postgres server to cut the bot off from (set TEST_DATABASE_URL); not run on PGlite',
  );
}

describe.runIf(testDatabaseKind === 'postgres')(
  'the database going away while the bot mirrors',
  () => {
    const t = useEmulator();
    const db = useTestDatabase();
    let relay: Awaited<ReturnType<typeof createDatabaseRelay>>;
    let botDatabase: DatabaseHandle;
    let bot: Bot;
    const logged: {
      level: number;
      msg?: string;
      channelId?: string;
      guildId?: string;
      queue?: string;
    }[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => logged.push(JSON.parse(line)) });
    // The outbox and jobs look for work often here, so an outage spans many of their polls.
    const polls = { outbox: { pollMs: 100 }, jobs: { pollMs: 100 } };
    beforeAll(async () => {
      relay = await createDatabaseRelay(new URL(db.url as string));
      botDatabase = await openDatabase({ kind: 'postgres', url: relay.url, max: 4 });
      bot = await startTestBot(t, botDatabase, { log, ...polls });
      await bot.lastBackfill();
    });
    afterAll(async () => {
      await bot?.stop();
      await botDatabase?.close();
      await relay?.close();
    });

    const storedIds = async (ticketId: string) =>
      (
        await db.handle.query<{ id: string }>(
          'select id::text from messages where ticket_id = $1 order by id',
          [ticketId],
        )
      ).map((r) => r.id);

    /**
     * A ticket whose first message is stored: its channel, its row, `say` (a
     * member's message in it; its id) and the ids said so far.
     */
    async function ticketWithAMessage(name: string, first: string) {
      const { channel, ticket } = await openTicketChannel(t.emulator, t.world, db.handle, name);
      const say = (content: string) =>
        t.emulator.control.sendMessage(t.world.users.member, channel.id, content).id;
      const sent = [say(first)];
      await eventually(async () => (await storedIds(ticket.id)).length === 1);
      return { channel, ticket, say, sent };
    }

    // First: the workers have not met an outage yet.
    it('says once per queue that the outbox and the jobs cannot claim work, not at every poll', async () => {
      const since = logged.length;
      relay.cut();
      try {
        // Both workers (polling every 100 ms) have found the database away.
        await eventually(
          () => new Set(logged.slice(since).flatMap((l) => (l.queue ? [l.queue] : []))).size >= 2,
          10_000,
        );
        // Many polls of both workers: each tries to reach the database.
        const tries = relay.dropped();
        await eventually(() => relay.dropped() >= tries + 20, 10_000);
      } finally {
        relay.restore();
      }
      const claims = logged.slice(since).filter((l) => l.queue !== undefined);
      expect(claims.map((l) => [l.queue, l.level, l.msg]).sort()).toEqual(
        [...new Set(claims.map((l) => l.queue))]
          .map((queue) => [
            queue,
            40,
            'the database cannot be reached: claiming again once it answers',
          ])
          .sort(),
      );
    });

    it('stores the messages sent while the database was unreachable once it is back, in order, and none twice', async () => {
      const { channel, ticket, say, sent } = await ticketWithAMessage(
        'outage',
        'before the outage',
      );

      relay.cut();
      sent.push(say('during the outage, first'), say('during the outage, second'));
      // The bot has tried to store them and could not.
      await eventually(() => logged.some((l) => l.channelId === channel.id), 10_000);
      relay.restore();
      sent.push(say('after the outage'));

      await eventually(async () => (await storedIds(ticket.id)).length === 4, 30_000).catch(
        async (error: unknown) => {
          throw new Error(
            `stored ${(await storedIds(ticket.id)).length} of 4; the bot logged ${JSON.stringify(logged.slice(-5))}: ${error}`,
          );
        },
      );
      expect(await storedIds(ticket.id)).toEqual(sent);
      const [row] = await db.handle.query<{ last: string }>(
        'select last_message_id::text as last from tickets where id = $1',
        [ticket.id],
      );
      expect(row?.last).toBe(sent.at(-1));
    });

    it('catches up once the database is back when the gateway reconnected while it was away', async () => {
      const { ticket, say, sent } = await ticketWithAMessage('outage-2', 'before');

      relay.cut();
      // A new gateway session: what is sent now reaches the bot only through its catch-up.
      t.emulator.control.dropGateway({ resumable: false });
      sent.push(say('while both were away, first'), say('while both were away, second'));
      await eventually(
        () => logged.some((l) => l.msg === 'backfill waits for the database'),
        20_000,
      );
      relay.restore();

      await eventually(async () => (await storedIds(ticket.id)).length === 3, 30_000);
      expect(await storedIds(ticket.id)).toEqual(sent);
    });

    it('stops while the database is away without waiting for it, and the next start stores what it missed', async () => {
      const { channel, ticket, say, sent } = await ticketWithAMessage('outage-3', 'before');

      relay.cut();
      sent.push(say('sent while the database is away'));
      await eventually(() => logged.some((l) => l.channelId === channel.id), 10_000);
      // Resolves although the message could not be stored (before, it waited for the database).
      await bot.stop();
      relay.restore();

      bot = await startTestBot(t, botDatabase, { log, ...polls });
      await eventually(async () => (await storedIds(ticket.id)).length === 2, 30_000);
      expect(await storedIds(ticket.id)).toEqual(sent);
    });

    it('records an ownership transfer made while the database was away once it is back', async () => {
      const owner = async () =>
        (
          await db.handle.query<{ owner: string }>(
            'select owner_id::text as owner from guilds where id = $1',
            [t.world.guildId],
          )
        )[0]?.owner;
      const before = await owner();
      const next = t.world.users.admin;
      expect(before).not.toBe(next);
      relay.cut();
      t.emulator.control.updateGuild(t.world.guildId, { ownerId: next });
      // The bot has tried to record it and could not.
      await eventually(
        () =>
          logged.some(
            (l) => l.guildId === t.world.guildId || l.msg === 'failed to record a guild change',
          ),
        10_000,
      );
      relay.restore();
      // Until then the former owner would have stayed an admin on the dashboard.
      await eventually(async () => (await owner()) === next, 30_000);
    });

    it('does not hold the traffic of channels known not to be tickets while the database is away', async () => {
      const directory = new TicketDirectory(botDatabase.db, 0);
      const { channel, ticket } = await openTicketChannel(
        t.emulator,
        t.world,
        db.handle,
        'outage-4',
      );
      const ordinary = t.emulator.control.createChannel(t.world.guildId, { name: 'general' });
      expect(await directory.lookup(ordinary.id)).toBeNull();
      relay.cut();
      try {
        // Known (though expired: a TTL of 0) not to be a ticket: still none.
        expect(await directory.lookup(ordinary.id)).toBeNull();
        // Never seen: it may be a ticket, so it waits for the database.
        const unknown = await directory.lookup(channel.id).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(isTransientDatabaseError(unknown)).toBe(true);
      } finally {
        relay.restore();
      }
      expect(await directory.lookup(channel.id)).toEqual({
        ticketId: ticket.id,
        guildId: t.world.guildId,
      });
    });

    it('tells a person whose command found the database away to try again', async () => {
      const { channel } = await openTicketChannel(t.emulator, t.world, db.handle, 'outage-5');
      relay.cut();
      try {
        const answer = await t.emulator.control
          .runCommand(t.world.users.support, channel.id, 'ticket', { subcommand: 'close' })
          .response();
        expect(answer.message).toMatchObject({ content: DATABASE_AWAY, flags: 64 });
      } finally {
        relay.restore();
      }
    });
  },
);

describe('a command whose change Postgres aborts for a deadlock on every try', () => {
  const t = useEmulator();
  const db = useTestDatabase();
  let bot: Bot;
  beforeAll(async () => {
    bot = await startTestBot(t, db.handle);
    await bot.lastBackfill();
  });
  afterAll(async () => {
    await bot?.stop();
  });

  it('is tried three times, then the person is told it clashed with another change, and nothing is changed', async () => {
    const { channel, ticket } = await openTicketChannel(t.emulator, t.world, db.handle, 'clash-1');
    {
      await using _deadlocks = await ticketUpdatesDeadlock(db.handle);
      const retriedBefore = db.handle.conflictsRetried;
      // The server's owner (the staff roles of this database's guild are not set up).
      const answer = await t.emulator.control
        .runCommand(t.world.users.owner, channel.id, 'ticket', { subcommand: 'claim' })
        .response();
      expect(answer.message).toMatchObject({ content: LOST_CONFLICT_ANSWER, flags: 64 });
      expect(db.handle.conflictsRetried - retriedBefore).toBe(2);
    }
    const [row] = await db.handle.query<{ assignee_id: string | null }>(
      'select assignee_id::text from tickets where id = $1',
      [ticket.id],
    );
    expect(row?.assignee_id).toBeNull();
  });
});
