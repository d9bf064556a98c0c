import { decrypted, useTestDatabase } from '@ticketflow/db/testing';
import { describe, expect, it } from 'vitest';
import { CHANNEL_DELETED_REASON } from '../src/mirror.ts';
import { eventually, openTicketChannel, useBot, useEmulator } from './support.ts';

describe('mirroring ticket channels with the real bot', () => {
  const t = useEmulator();
  const db = useTestDatabase();
  useBot(t, db);

  const rows = async (ticketId: string) =>
    decrypted(
      await db.handle.query<{
        id: string;
        content: string;
        deleted: boolean;
        edited: boolean;
        author_id: string;
      }>(
        `select id::text, content, deleted_at is not null as deleted, edited_at is not null as edited, author_id::text
       from messages where ticket_id = $1 order by id`,
        [ticketId],
      ),
      { content: 'text' },
    );

  it('stores what a member writes, edits and deletes in a ticket channel', async () => {
    const { channel, ticket } = await openTicketChannel(t.emulator, t.world, db.handle, 'ticket-1');
    const { member, support } = t.world.users;
    const first = t.emulator.control.sendMessage(member, channel.id, 'My order never arrived');
    const second = t.emulator.control.sendMessage(support, channel.id, 'Sorry! Let me check.');
    await eventually(async () => (await rows(ticket.id)).length === 2);
    t.emulator.control.editMessage(member, channel.id, first.id, 'My order #42 never arrived');
    t.emulator.control.deleteMessage(support, channel.id, second.id);
    await eventually(async () => {
      const r = await rows(ticket.id);
      return r[0]?.edited && r[1]?.deleted;
    });
    expect(await rows(ticket.id)).toEqual([
      {
        id: first.id,
        content: 'My order #42 never arrived',
        deleted: false,
        edited: true,
        author_id: member,
      },
      {
        id: second.id,
        content: 'Sorry! Let me check.',
        deleted: true,
        edited: false,
        author_id: support,
      },
    ]);
    const [user] = await db.handle.query<{ username: string }>(
      'select username from users where id = $1',
      [member],
    );
    expect(user?.username).toBe('mia');
  });

  it('ignores channels that are not tickets', async () => {
    t.emulator.control.sendMessage(
      t.world.users.member,
      t.world.channels.welcome,
      'general chatter',
    );
    const { channel, ticket } = await openTicketChannel(t.emulator, t.world, db.handle, 'ticket-2');
    t.emulator.control.sendMessage(t.world.users.member, channel.id, 'marker');
    await eventually(async () => (await rows(ticket.id)).length === 1);
    const all = decrypted(
      await db.handle.query<{ content: string }>('select content from messages'),
      {
        content: 'text',
      },
    );
    expect(all.map((m) => m.content)).not.toContain('general chatter');
    expect(all.map((m) => m.content)).toContain('marker');
  });

  it('closes the ticket when its channel is deleted by hand', async () => {
    const { channel, ticket } = await openTicketChannel(t.emulator, t.world, db.handle, 'ticket-3');
    t.emulator.control.deleteChannelByHand(channel.id);
    const closed = await eventually(async () => {
      const [row] = await db.handle.query<{ status: string; close_reason: string }>(
        'select status, close_reason from tickets where id = $1',
        [ticket.id],
      );
      return row?.status === 'closed' ? row : null;
    });
    expect(closed.close_reason).toBe(CHANNEL_DELETED_REASON);
  });

  it('catches up on messages sent while the gateway was down, after it resumes', async () => {
    const { channel, ticket } = await openTicketChannel(t.emulator, t.world, db.handle, 'ticket-4');
    t.emulator.control.sendMessage(t.world.users.member, channel.id, 'before');
    await eventually(async () => (await rows(ticket.id)).length === 1);
    t.emulator.control.dropGateway();
    for (let i = 0; i < 5; i++)
      t.emulator.control.sendMessage(t.world.users.member, channel.id, `during ${i}`);
    await eventually(async () => (await rows(ticket.id)).length === 6);
    expect((await rows(ticket.id)).map((r) => r.content)).toEqual([
      'before',
      'during 0',
      'during 1',
      'during 2',
      'during 3',
      'during 4',
    ]);
  });

  it('records the guild it is in', async () => {
    const [guild] = await db.handle.query<{ name: string }>(
      'select name from guilds where id = $1',
      [t.world.guildId],
    );
    expect(guild?.name).toBe('TicketFlow Demo');
  });
});
