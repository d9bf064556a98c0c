import { queueReply } from '@ticketflow/db/repositories/messages';
import { useTestDatabase } from '@ticketflow/db/testing';
import { DISCORD_MESSAGE_MAX, formatReply, replyRoom } from '@ticketflow/shared/tickets';
import { describe, expect, it } from 'vitest';
import { eventually, openTicketChannel, useBot, useEmulator } from './support.ts';

describe('outbox delivery of dashboard replies', () => {
  const t = useEmulator();
  const db = useTestDatabase();
  useBot(t, db, { outbox: { baseDelayMs: 20, pollMs: 500 } });

  const outboxStatus = (ids: number[]) =>
    db.handle.query<{
      id: number;
      status: string;
      last_error: { code?: number; message: string } | null;
    }>('select id::int, status, last_error from outbox where id = any($1) order by id', [ids]);

  it('posts every reply exactly once and in order per ticket while Discord fails 30% of calls', async () => {
    const tickets = await Promise.all(
      [1, 2, 3].map((n) => openTicketChannel(t.emulator, t.world, db.handle, `reply-${n}`)),
    );
    const route = '/channels/:channelId/messages';
    t.emulator.control.addFault({
      method: 'POST',
      route,
      kind: 'rate_limit',
      rate: 0.15,
      retryAfter: 0.02,
    });
    t.emulator.control.addFault({ method: 'POST', route, kind: 'server_error', rate: 0.15 });
    t.emulator.control.addFault({ method: 'POST', route, kind: 'reset', rate: 0.05 });
    const outboxIds: number[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        for (const { channel, ticket } of tickets) {
          const { outboxItem } = await queueReply(db.handle.db, {
            guildId: t.world.guildId,
            ticketId: ticket.id,
            channelId: channel.id,
            authorId: t.world.users.support,
            authorName: 'Sam',
            content: `reply ${i}`,
          });
          outboxIds.push(outboxItem.id);
        }
      }
      await eventually(
        async () => (await outboxStatus(outboxIds)).every((r) => r.status === 'done'),
        60_000,
      );
    } finally {
      t.emulator.control.clearFaults();
    }
    const faults = t.emulator.control.requests({ method: 'POST', route }).filter((r) => r.fault);
    expect(faults.length).toBeGreaterThan(0);

    for (const { channel, ticket } of tickets) {
      const posted = t.emulator.control.channelMessages(channel.id).map((m) => m.content);
      expect(posted).toEqual(
        Array.from({ length: 10 }, (_, i) => formatReply('Sam', `reply ${i}`)),
      );
      const stored = await db.handle.query<{ delivery: string; n: number }>(
        `select delivery, count(*)::int as n from messages where ticket_id = $1 group by delivery`,
        [ticket.id],
      );
      expect(stored).toEqual([{ delivery: 'delivered', n: 10 }]);
    }
  });

  it('posts the longest reply the dashboard accepts: signed, it is exactly what Discord takes', async () => {
    const { channel, ticket } = await openTicketChannel(t.emulator, t.world, db.handle, 'longest');
    // A name with markup, which the signature leaves out.
    const authorName = 'Sam_the*Support';
    const content = 'y'.repeat(replyRoom(authorName));
    const { outboxItem } = await queueReply(db.handle.db, {
      guildId: t.world.guildId,
      ticketId: ticket.id,
      channelId: channel.id,
      authorId: t.world.users.support,
      authorName,
      content,
    });
    const [done] = await eventually(async () => {
      const r = await outboxStatus([outboxItem.id]);
      return r[0]?.status === 'done' || r[0]?.status === 'failed' ? r : null;
    });
    expect(done).toMatchObject({ status: 'done', last_error: null });
    const [posted] = t.emulator.control.channelMessages(channel.id);
    expect(posted?.content).toHaveLength(DISCORD_MESSAGE_MAX);
    expect(posted?.content.endsWith(content)).toBe(true);
  });

  it("marks a reply failed with Discord's reason when the bot may not post (403)", async () => {
    const { channel, ticket } = await openTicketChannel(t.emulator, t.world, db.handle, 'no-send');
    t.emulator.control.setOverwrite(channel.id, {
      id: t.world.application.botUserId,
      type: 1,
      allow: 1024n,
      deny: 2048n,
    });
    const { message, outboxItem } = await queueReply(db.handle.db, {
      guildId: t.world.guildId,
      ticketId: ticket.id,
      channelId: channel.id,
      authorId: t.world.users.support,
      authorName: 'Sam',
      content: 'will not arrive',
    });
    const [failed] = await eventually(async () => {
      const r = await outboxStatus([outboxItem.id]);
      return r[0]?.status === 'failed' ? r : null;
    });
    expect(failed?.last_error).toMatchObject({
      code: 50013,
      status: 403,
      message: 'Missing Permissions',
    });
    const [row] = await db.handle.query<{ delivery: string }>(
      'select delivery from messages where id = $1',
      [message.id],
    );
    expect(row?.delivery).toBe('failed');
    expect(t.emulator.control.channelMessages(channel.id)).toEqual([]);
  });
});
