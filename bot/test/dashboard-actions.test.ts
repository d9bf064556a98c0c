import { createCategory } from '@ticketflow/db/repositories/categories';
import {
  closeAndScheduleDeletion,
  reopenAndKeepChannel,
} from '@ticketflow/db/repositories/closing';
import { enqueueOutbox } from '@ticketflow/db/repositories/outbox';
import { panels } from '@ticketflow/db/schema';
import { useTestDatabase } from '@ticketflow/db/testing';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { eventually, openTicketChannel, useBot, useEmulator } from './support.ts';

/** What the server queues when staff act on the dashboard, done in Discord by the bot. */
describe('dashboard actions delivered through the outbox', () => {
  const t = useEmulator();
  const db = useTestDatabase();
  useBot(t, db, { outbox: { baseDelayMs: 20, pollMs: 500 } });

  const channelMessages = (channelId: string) =>
    t.emulator.control.readMessages(t.world.application.botUserId, channelId).map((m) => m.content);
  const openerMay = (channelId: string) =>
    t.emulator.state
      .guild(t.world.guildId)
      .channels.get(channelId)
      ?.overwrites.get(t.world.users.member);

  it('closes (lock, message) and reopens a ticket in Discord, and renames its channel', async () => {
    const { channel, ticket } = await openTicketChannel(
      t.emulator,
      t.world,
      db.handle,
      'dash-close',
    );
    await closeAndScheduleDeletion(
      db.handle.db,
      {
        ticketId: ticket.id,
        guildId: t.world.guildId,
        channelId: channel.id,
        closedBy: t.world.users.support,
        reason: 'solved',
        delaySeconds: 600,
      },
      { kind: 'close', payload: { actorId: t.world.users.support, reason: 'solved' } },
    );
    await eventually(() =>
      channelMessages(channel.id).find(
        (c) => c.includes('Ticket closed by') && c.includes('solved'),
      ),
    );
    expect(openerMay(channel.id)?.deny ?? 0n).not.toBe(0n);

    await reopenAndKeepChannel(
      db.handle.db,
      { ticketId: ticket.id, actorId: t.world.users.support },
      { kind: 'reopen', payload: { actorId: t.world.users.support } },
    );
    await eventually(() => channelMessages(channel.id).find((c) => c.includes('Ticket reopened')));
    expect(openerMay(channel.id)?.deny).toBe(0n);

    await db.handle.db.transaction((tx) =>
      enqueueOutbox(tx, {
        guildId: t.world.guildId,
        ticketId: ticket.id,
        kind: 'rename',
        payload: { channelId: channel.id, name: 'billing-question' },
      }),
    );
    await eventually(
      () =>
        t.emulator.state.guild(t.world.guildId).channels.get(channel.id)?.name ===
        'billing-question',
    );
  });

  it('assigns with a notice, lets people in and out, and moves a ticket to another category', async () => {
    const { channel, ticket } = await openTicketChannel(t.emulator, t.world, db.handle, 'dash-who');
    const [support, billing] = await Promise.all(
      [
        { name: 'Support', roles: [t.world.roles.support] },
        { name: 'Billing', roles: [t.world.roles.billing] },
      ].map((c) =>
        createCategory(db.handle.db, {
          guildId: t.world.guildId,
          name: `${c.name} ${channel.id}`,
          staffRoleIds: c.roles,
          discordCategoryId: t.world.channels.ticketsCategory,
        }),
      ),
    );
    const queue = (kind: string, payload: Record<string, unknown>) =>
      db.handle.db.transaction((tx) =>
        enqueueOutbox(tx, { guildId: t.world.guildId, ticketId: ticket.id, kind, payload }),
      );
    const actorId = t.world.users.admin;
    const overwrite = (id: string) =>
      t.emulator.state.guild(t.world.guildId).channels.get(channel.id)?.overwrites.get(id);

    await queue('assign', { actorId, assigneeId: t.world.users.support });
    await eventually(() =>
      channelMessages(channel.id).includes(
        `📌 <@${actorId}> assigned this ticket to <@${t.world.users.support}>.`,
      ),
    );

    await queue('add-member', { actorId, userId: t.world.users.member2 });
    await eventually(() => (overwrite(t.world.users.member2)?.allow ?? 0n) !== 0n);
    expect(() => t.emulator.control.readMessages(t.world.users.member2, channel.id)).not.toThrow();
    await queue('remove-member', { actorId, userId: t.world.users.member2 });
    await eventually(() => overwrite(t.world.users.member2) === undefined);
    expect(() => t.emulator.control.readMessages(t.world.users.member2, channel.id)).toThrow();

    await queue('move', {
      actorId,
      fromCategoryId: support?.id ?? null,
      toCategoryId: billing?.id,
    });
    await eventually(() =>
      channelMessages(channel.id).some((c) => /moved this ticket to \*\*Billing/.test(c)),
    );
    expect(overwrite(t.world.roles.billing)?.allow).not.toBe(0n);
    expect(overwrite(t.world.roles.support)).toBeUndefined();
    // Each notice once, although the worker may run an action again after a failure.
    expect(
      channelMessages(channel.id).filter((c) => c.includes('assigned this ticket')),
    ).toHaveLength(1);
  });

  it('posts a panel made on the dashboard and remembers its message', async () => {
    const category = await createCategory(db.handle.db, {
      guildId: t.world.guildId,
      name: 'Support',
    });
    const [panel] = await db.handle.db
      .insert(panels)
      .values({
        guildId: t.world.guildId,
        channelId: t.world.channels.panel,
        title: 'Need help?',
        categoryIds: [category.id],
      })
      .returning();
    await db.handle.db.transaction((tx) =>
      enqueueOutbox(tx, {
        guildId: t.world.guildId,
        kind: 'post-panel',
        payload: { panelId: panel?.id },
      }),
    );
    const posted = await eventually(async () => {
      const [row] = await db.handle.db
        .select()
        .from(panels)
        .where(eq(panels.id, panel?.id ?? ''));
      return row?.messageId;
    });
    const message = t.emulator.control
      .readMessages(t.world.users.member, t.world.channels.panel)
      .find((m) => m.id === posted);
    expect(message?.embeds[0]?.title).toBe('Need help?');
    expect(JSON.stringify(message?.components)).toContain(`tf:open:${category.id}`);
  });
});
