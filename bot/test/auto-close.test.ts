import { createCategory } from '@ticketflow/db/repositories/categories';
import { decrypted, useTestDatabase } from '@ticketflow/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bot } from '../src/bot.ts';
import {
  eventually,
  guildStored,
  openTicketChannel,
  startTestBot,
  useEmulator,
} from './support.ts';

describe('auto-close after the opener goes quiet', () => {
  const t = useEmulator();
  const db = useTestDatabase();
  let bot: Bot;
  let categoryId: string;
  const start = () => startTestBot(t, db.handle, { jobs: { pollMs: 100, autoCloseSweepMs: 200 } });

  beforeAll(async () => {
    bot = await start();
    await guildStored(db.handle, t.world.guildId);
    categoryId = (
      await createCategory(db.handle.db, {
        guildId: t.world.guildId,
        name: 'Quiet',
        autoCloseHours: 2,
      })
    ).id;
  });
  afterAll(async () => {
    await bot?.stop();
  });

  /** A ticket in the auto-close category whose opener last wrote `hoursAgo` hours ago. */
  async function quietTicket(name: string, hoursAgo: number) {
    const { channel, ticket } = await openTicketChannel(t.emulator, t.world, db.handle, name);
    t.emulator.control.sendMessage(t.world.users.member, channel.id, 'hello?');
    await eventually(
      async () =>
        (await db.handle.query('select 1 from messages where ticket_id = $1', [ticket.id]))
          .length === 1,
    );
    await db.handle.query(
      `update messages set created_at = now() - make_interval(hours => $2) where ticket_id = $1`,
      [ticket.id, hoursAgo],
    );
    await db.handle.query(
      `update tickets set category_id = $2, created_at = now() - make_interval(hours => $3) where id = $1`,
      [ticket.id, categoryId, hoursAgo + 1],
    );
    return { channelId: channel.id, ticketId: ticket.id };
  }
  const status = async (ticketId: string) =>
    (
      await db.handle.query<{ status: string; close_reason: string | null }>(
        'select status, close_reason from tickets where id = $1',
        [ticketId],
      )
    )[0];
  const lastMessage = (channelId: string) =>
    t.emulator.control.channelMessages(channelId).at(-1)?.content ?? '';

  it('warns the opener, then closes the ticket after the grace period, across a restart', async () => {
    const { channelId, ticketId } = await quietTicket('quiet-1', 3);
    await eventually(() =>
      lastMessage(channelId).includes('will close in 60 minutes unless you reply'),
    );
    expect(lastMessage(channelId)).toMatch(/we have not heard from you for 3 hours/);
    expect((await status(ticketId))?.status).toBe('open');

    await bot.stop();
    bot = await start();
    // The grace period (1 hour for a 2-hour window) passes.
    await db.handle.query(
      `update events set created_at = now() - interval '61 minutes' where ticket_id = $1 and kind = 'ticket.autoclose_warned'`,
      [ticketId],
    );
    const closed = await eventually(async () => {
      const row = await status(ticketId);
      return row?.status === 'closed' ? row : null;
    });
    expect(closed.close_reason).toBe('No reply from the opener for 3 hours');
    const warnings = await db.handle.query(
      `select 1 from events where ticket_id = $1 and kind = 'ticket.autoclose_warned'`,
      [ticketId],
    );
    expect(warnings).toHaveLength(1);
  });

  it('keeps a ticket open when the opener answers the warning, and leaves active tickets alone', async () => {
    const quiet = await quietTicket('quiet-2', 3);
    const active = await quietTicket('active-1', 1);
    await eventually(() => lastMessage(quiet.channelId).includes('unless you reply'));
    t.emulator.control.sendMessage(t.world.users.member, quiet.channelId, 'still here!');
    await eventually(
      async () =>
        decrypted(await db.handle.query<{ content: string }>('select content from messages'), {
          content: 'text',
        }).filter((m) => m.content === 'still here!').length === 1,
    );
    await db.handle.query(
      `update events set created_at = now() - interval '61 minutes' where ticket_id = $1 and kind = 'ticket.autoclose_warned'`,
      [quiet.ticketId],
    );
    // Several sweeps run (every 200 ms); none may close either ticket.
    const before = await db.handle.query<{ n: number }>(
      `select count(*)::int as n from jobs where kind = 'auto-close-sweep' and status = 'done'`,
    );
    await eventually(async () => {
      const [row] = await db.handle.query<{ n: number }>(
        `select count(*)::int as n from jobs where kind = 'auto-close-sweep' and status = 'done'`,
      );
      return (row?.n ?? 0) >= (before[0]?.n ?? 0) + 3;
    });
    expect((await status(quiet.ticketId))?.status).toBe('open');
    expect((await status(active.ticketId))?.status).toBe('open');
    expect(lastMessage(active.channelId)).toBe('hello?');
  });
});
