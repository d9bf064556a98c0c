import { upsertGuild } from '@ticketflow/db/repositories/guilds';
import { createTicket } from '@ticketflow/db/repositories/tickets';
import { useTestDatabase } from '@ticketflow/db/testing';
import { shardOf } from '@ticketflow/emulator/gateway';
import { afterAll, describe, expect, it } from 'vitest';
import { type Bot, startBot } from '../src/bot.ts';
import { eventually, quietLog, useEmulator } from './support.ts';

describe('two bot processes, each with one of two shards', () => {
  const t = useEmulator();
  const db = useTestDatabase();
  const bots: Bot[] = [];
  afterAll(async () => {
    for (const bot of bots) await bot.stop();
  });

  it('split the guilds between them and together mirror every ticket once', async () => {
    // A second guild on the other shard than the demo guild.
    const demoShard = shardOf(t.world.guildId, 2);
    let other = t.emulator.control.createGuild({ name: 'Other', ownerId: t.world.users.owner });
    while (shardOf(other.id, 2) === demoShard)
      other = t.emulator.control.createGuild({ name: 'Other', ownerId: t.world.users.owner });
    t.emulator.control.addMember(other.id, t.world.users.member);
    t.emulator.control.addBot(other.id, t.world.application.id, 1024n | 2048n | 65536n);

    const channels = [] as { channelId: string; ticketId: string; shard: number }[];
    for (const guildId of [t.world.guildId, other.id]) {
      const guild = t.emulator.state.guild(guildId);
      await upsertGuild(db.handle.db, { id: guild.id, name: guild.name, ownerId: guild.ownerId });
      const channel = t.emulator.control.createChannel(guildId, { name: 'ticket-sharded' });
      const { ticket } = await createTicket(db.handle.db, {
        guildId,
        openerId: t.world.users.member,
        channelId: channel.id,
      });
      channels.push({ channelId: channel.id, ticketId: ticket.id, shard: shardOf(guildId, 2) });
    }

    for (const id of [0, 1]) {
      bots.push(
        await startBot({
          database: db.handle,
          token: t.world.application.botToken,
          apiUrl: t.emulator.apiUrl,
          log: quietLog,
          shards: { count: 2, ids: [id] },
        }),
      );
    }
    expect(bots.map((b) => [...b.client.guilds.cache.keys()])).toEqual([
      demoShard === 0 ? [t.world.guildId] : [other.id],
      demoShard === 1 ? [t.world.guildId] : [other.id],
    ]);

    for (const { channelId } of channels) {
      for (let i = 0; i < 5; i++)
        t.emulator.control.sendMessage(t.world.users.member, channelId, `hello ${i}`);
    }
    await eventually(async () => {
      const [row] = await db.handle.query<{ n: number }>('select count(*)::int as n from messages');
      return row?.n === 10;
    });
    for (const { ticketId } of channels) {
      const [row] = await db.handle.query<{ n: number }>(
        'select count(*)::int as n from messages where ticket_id = $1',
        [ticketId],
      );
      expect(row?.n).toBe(5);
    }
    expect(
      t.emulator.gateway
        .connectedSessions()
        .map((s) => s.shard)
        .sort(),
    ).toEqual([
      [0, 2],
      [1, 2],
    ]);
  });
});
