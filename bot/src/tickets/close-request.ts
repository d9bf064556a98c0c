import { getGuild } from '@ticketflow/db/repositories/guilds';
import { cancelJob, scheduleJob } from '@ticketflow/db/repositories/jobs';
import { findTicketByChannel } from '@ticketflow/db/repositories/tickets';
import { tickets } from '@ticketflow/db/schema';
import {
  ActionRowBuilder,
  ButtonBuilder,
  type ButtonInteraction,
  ButtonStyle,
  type ChatInputCommandInteraction,
  MessageFlags,
} from 'discord.js';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { type BotContext, UserError } from '../context.ts';
import type { JobHandler } from '../jobs-worker.ts';
import { closeInDiscord, describeDuration } from './closing.ts';
import { requireStaff, ticketHere } from './manage.ts';

/** How long the opener has to answer a close request before the ticket closes. */
export const DEFAULT_CLOSE_REQUEST_HOURS = 24;
export const NO_ANSWER_REASON = 'No answer to the close request';

const key = (ticketId: string) => `close-request:${ticketId}`;

/**
 * `/ticket close-request [reason]`: staff ask the opener whether the ticket
 * can be closed. The opener answers with a button; no answer within the
 * server's window closes it (a scheduled job, so a restart changes nothing).
 */
export async function requestClose(
  ctx: BotContext,
  interaction: ChatInputCommandInteraction<'cached'>,
) {
  const ticket = await ticketHere(ctx, interaction);
  await requireStaff(ctx, interaction, ticket);
  if (ticket.status === 'closed') throw new UserError('This ticket is already closed.');
  const reason = interaction.options.getString('reason');
  const hours =
    (await getGuild(ctx.db, ticket.guildId))?.settings.closeRequestHours ??
    DEFAULT_CLOSE_REQUEST_HOURS;
  await scheduleJob(ctx.db, {
    kind: 'close-request',
    key: key(ticket.id),
    guildId: ticket.guildId,
    runAt: new Date(Date.now() + hours * 3_600_000),
    payload: { ticketId: ticket.id, requestedBy: interaction.user.id, reason },
  });
  await interaction.reply({
    content: `<@${ticket.openerId}>, ${interaction.user} thinks this ticket can be closed${reason ? ` (${reason})` : ''}. Can we close it? Without an answer it closes in ${describeDuration(hours * 3600)}.`,
    components: [
      new ActionRowBuilder<ButtonBuilder>().addComponents(
        new ButtonBuilder()
          .setCustomId(`tf:cr-accept:${ticket.id}`)
          .setLabel('Yes, close it')
          .setStyle(ButtonStyle.Success),
        new ButtonBuilder()
          .setCustomId(`tf:cr-deny:${ticket.id}`)
          .setLabel('No, I still need help')
          .setStyle(ButtonStyle.Secondary),
      ),
    ],
    allowedMentions: { users: [ticket.openerId] },
  });
}

/** The opener answered the close request. */
export async function answerCloseRequest(
  ctx: BotContext,
  interaction: ButtonInteraction<'cached'>,
  ticketId: string,
  accept: boolean,
) {
  const ticket = await findTicketByChannel(ctx.db, interaction.channelId);
  if (!ticket || ticket.id !== ticketId)
    throw new UserError('That request belongs to another ticket.');
  if (interaction.user.id !== ticket.openerId)
    throw new UserError('Only the person who opened this ticket can answer.');
  const cancelled = await cancelJob(ctx.db, key(ticket.id));
  if (!cancelled) throw new UserError('That close request has already been answered.');
  if (!accept) {
    await interaction.update({
      content: `${interaction.user} still needs help: the ticket stays open.`,
      components: [],
      allowedMentions: { parse: [] },
    });
    return;
  }
  const closed = await closeInDiscord(
    ctx,
    ticket,
    { actorId: interaction.user.id, reason: "Closed at the opener's request" },
    async () => {
      await interaction.update({
        content: `${interaction.user} agreed to close the ticket.`,
        components: [],
        allowedMentions: { parse: [] },
      });
    },
  );
  if (!closed) {
    await interaction.reply({
      content: 'This ticket is already closed.',
      flags: MessageFlags.Ephemeral,
    });
  }
}

const payload = z.object({ ticketId: z.string().uuid() });

/** The close request's window ran out: close the ticket if it is still open. */
export function closeRequestJob(ctx: BotContext): JobHandler {
  return async (job) => {
    const { ticketId } = payload.parse(job.payload);
    const [ticket] = await ctx.db.select().from(tickets).where(eq(tickets.id, ticketId));
    if (ticket?.status !== 'open') return;
    await closeInDiscord(ctx, ticket, { actorId: null, reason: NO_ANSWER_REASON });
  };
}
