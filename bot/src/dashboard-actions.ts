import { listCategories } from '@ticketflow/db/repositories/categories';
import { getGuild } from '@ticketflow/db/repositories/guilds';
import { panels, tickets } from '@ticketflow/db/schema';
import { OverwriteType, type TextChannel } from 'discord.js';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { BotContext } from './context.ts';
import { type OutboxAction, PermanentError } from './outbox-worker.ts';
import { panelMessage } from './panels.ts';
import { announceClosed } from './tickets/closing.ts';
import { letIn, moveChannel } from './tickets/manage.ts';

const snowflake = z.string().regex(/^\d{15,21}$/);
const closePayload = z.object({
  actorId: snowflake.nullable(),
  reason: z.string().max(500).nullable(),
});
const reopenPayload = z.object({ actorId: snowflake.nullable() });
const renamePayload = z.object({ channelId: snowflake, name: z.string().min(1).max(100) });
const panelPayload = z.object({ panelId: z.uuid() });
const assignPayload = z.object({ actorId: snowflake, assigneeId: snowflake.nullable() });
const memberPayload = z.object({ actorId: snowflake, userId: snowflake });
const movePayload = z.object({
  actorId: snowflake,
  fromCategoryId: z.uuid().nullable(),
  toCategoryId: z.uuid(),
});

function parse<T extends z.ZodType>(schema: T, payload: unknown): z.output<T> {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) throw new PermanentError({ message: 'malformed outbox payload' });
  return parsed.data;
}

/**
 * The Discord side of what staff do on the dashboard. The database side
 * (status, event, scheduled deletion) was written with the outbox item, so
 * these only touch Discord, and each is safe to run again after a failure.
 */
export function dashboardActions(ctx: BotContext): Record<string, OutboxAction> {
  const ticketOf = async (id: string | null) => {
    const [ticket] = id ? await ctx.db.select().from(tickets).where(eq(tickets.id, id)) : [];
    if (!ticket) throw new PermanentError({ message: 'the ticket no longer exists' });
    return ticket;
  };
  const channelOf = async (id: string) => {
    const channel = await ctx.client.channels.fetch(id);
    if (!channel || !('edit' in channel))
      throw new PermanentError({ message: 'the channel no longer exists' });
    return channel;
  };
  /** The ticket's channel, for the actions that change who is in it. */
  const ticketChannelOf = async (ticketId: string | null) => {
    const ticket = await ticketOf(ticketId);
    if (!ticket.channelId) throw new PermanentError({ message: 'the ticket has no channel' });
    const channel = await channelOf(ticket.channelId);
    if (!channel.isTextBased() || channel.isDMBased())
      throw new PermanentError({ message: 'the ticket channel is not a text channel' });
    return { ticket, channel };
  };
  /** A notice in the ticket channel, posted once even when the action runs again. */
  const notice = async (
    channel: { send: TextChannel['send'] },
    itemId: number,
    content: string,
    ping: { users?: string[]; roles?: string[] } = {},
  ) => {
    await channel.send({
      content,
      allowedMentions: { users: ping.users ?? [], roles: ping.roles ?? [] },
      nonce: `notice${itemId}`,
      enforceNonce: true,
    });
  };
  return {
    close: async (item) => {
      const by = parse(closePayload, item.payload);
      const ticket = await ticketOf(item.ticketId);
      const guild = await getGuild(ctx.db, ticket.guildId);
      await announceClosed(ctx, ticket, by, guild, `close${item.id}`);
    },
    reopen: async (item) => {
      const { actorId } = parse(reopenPayload, item.payload);
      const ticket = await ticketOf(item.ticketId);
      if (!ticket.channelId) return;
      const channel = await ctx.client.channels.fetch(ticket.channelId);
      if (channel?.isThread()) await channel.setLocked(false);
      else if (channel && 'permissionOverwrites' in channel) {
        await channel.permissionOverwrites.edit(
          ticket.openerId,
          { SendMessages: true },
          { type: OverwriteType.Member },
        );
      }
      if (channel?.isSendable()) {
        await channel.send({
          content: `🔓 Ticket reopened by ${actorId ? `<@${actorId}>` : 'staff'}.`,
          allowedMentions: { parse: [] },
          nonce: `reopen${item.id}`,
          enforceNonce: true,
        });
      }
    },
    assign: async (item) => {
      const { actorId, assigneeId } = parse(assignPayload, item.payload);
      const { channel } = await ticketChannelOf(item.ticketId);
      await notice(
        channel,
        item.id,
        assigneeId
          ? `📌 <@${actorId}> assigned this ticket to <@${assigneeId}>.`
          : `<@${actorId}> unassigned this ticket.`,
        { users: assigneeId && assigneeId !== actorId ? [assigneeId] : [] },
      );
    },
    'add-member': async (item) => {
      const { actorId, userId } = parse(memberPayload, item.payload);
      const { channel } = await ticketChannelOf(item.ticketId);
      await letIn(channel, userId, true);
      await notice(channel, item.id, `➕ <@${actorId}> added <@${userId}> to this ticket.`, {
        users: [userId],
      });
    },
    'remove-member': async (item) => {
      const { actorId, userId } = parse(memberPayload, item.payload);
      const { channel } = await ticketChannelOf(item.ticketId);
      await letIn(channel, userId, false);
      await notice(channel, item.id, `➖ <@${actorId}> removed <@${userId}> from this ticket.`);
    },
    move: async (item) => {
      const { actorId, fromCategoryId, toCategoryId } = parse(movePayload, item.payload);
      const { ticket, channel } = await ticketChannelOf(item.ticketId);
      const all = await listCategories(ctx.db, ticket.guildId);
      const to = all.find((c) => c.id === toCategoryId);
      if (!to) throw new PermanentError({ message: 'the category was deleted' });
      await moveChannel(
        channel,
        all.find((c) => c.id === fromCategoryId),
        to,
      );
      await notice(
        channel,
        item.id,
        `➡️ <@${actorId}> moved this ticket to **${to.name}**.${to.staffRoleIds.length > 0 ? ` ${to.staffRoleIds.map((id) => `<@&${id}>`).join(' ')}` : ''}`,
        { roles: to.staffRoleIds },
      );
    },
    rename: async (item) => {
      const { channelId, name } = parse(renamePayload, item.payload);
      await (await channelOf(channelId)).edit({ name });
    },
    'rename-category': async (item) => {
      const { channelId, name } = parse(renamePayload, item.payload);
      await (await channelOf(channelId)).edit({ name });
    },
    'post-panel': async (item) => {
      const { panelId } = parse(panelPayload, item.payload);
      const [panel] = await ctx.db.select().from(panels).where(eq(panels.id, panelId));
      if (!panel) throw new PermanentError({ message: 'the panel was deleted' });
      if (panel.messageId) return; // posted already (a retry after the post went through)
      const chosen = (await listCategories(ctx.db, panel.guildId)).filter((c) =>
        panel.categoryIds.includes(c.id),
      );
      if (chosen.length === 0)
        throw new PermanentError({ message: 'the panel has no categories left' });
      const channel = await ctx.client.channels.fetch(panel.channelId);
      if (!channel?.isSendable())
        throw new PermanentError({ message: 'the bot cannot post in that channel' });
      const { embed, components } = panelMessage(
        chosen,
        panel.style,
        panel.title,
        panel.description,
      );
      const message = await channel.send({
        embeds: [embed],
        components,
        nonce: `panel${item.id}`,
        enforceNonce: true,
      });
      await ctx.db.update(panels).set({ messageId: message.id }).where(eq(panels.id, panelId));
    },
  };
}
