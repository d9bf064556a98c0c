import { closeAndScheduleDeletion } from '@ticketflow/db/repositories/closing';
import { getGuild } from '@ticketflow/db/repositories/guilds';
import { allTicketMessages } from '@ticketflow/db/repositories/messages';
import type { tickets } from '@ticketflow/db/schema';
import { DEFAULT_CLOSE_DELAY_SECONDS } from '@ticketflow/shared/tickets';
import { renderTranscript } from '@ticketflow/shared/transcript';
import { DiscordAPIError, OverwriteType, RESTJSONErrorCodes } from 'discord.js';
import type { BotContext } from '../context.ts';
import { askForFeedback } from '../feedback.ts';

type Ticket = typeof tickets.$inferSelect;
type Guild = Awaited<ReturnType<typeof getGuild>>;

/** "45 seconds", "1 minute", "3 hours": for messages that say when something will happen. */
export function describeDuration(seconds: number): string {
  const [value, unit] =
    seconds < 60
      ? [Math.round(seconds), 'second']
      : seconds < 7200
        ? [Math.round(seconds / 60), 'minute']
        : [Math.round(seconds / 3600), 'hour'];
  return `${value} ${unit}${value === 1 ? '' : 's'}`;
}

export { DEFAULT_CLOSE_DELAY_SECONDS };

/**
 * Closes a ticket in the database and in Discord, whoever asked (a person or a
 * job): the ticket and its channel's scheduled deletion in one transaction,
 * then `acknowledge` (an interaction's answer), the channel locked for the
 * opener, a closing message, and the opener asked for feedback. Returns false
 * when the ticket was already closed.
 */
export async function closeInDiscord(
  ctx: BotContext,
  ticket: Ticket,
  by: { actorId: string | null; reason: string | null },
  acknowledge: () => Promise<void> = async () => {},
): Promise<boolean> {
  const guild = await getGuild(ctx.db, ticket.guildId);
  const delay = guild?.settings.closeDelaySeconds ?? DEFAULT_CLOSE_DELAY_SECONDS;
  const closed = await closeAndScheduleDeletion(ctx.db, {
    ticketId: ticket.id,
    guildId: ticket.guildId,
    channelId: ticket.channelId,
    closedBy: by.actorId,
    reason: by.reason,
    delaySeconds: delay,
  });
  if (!closed) return false;
  await acknowledge();
  await announceClosed(ctx, ticket, by, guild);
  return true;
}

/**
 * The Discord half of a close, after the database half: the channel locked for
 * the opener, the closing message with the transcript link (sent once, by
 * `nonce`, even if retried), and the opener asked for feedback, with the
 * transcript attached when the server sends transcripts by DM.
 */
export async function announceClosed(
  ctx: BotContext,
  ticket: Ticket,
  by: { actorId: string | null; reason: string | null },
  guild: Guild | undefined,
  nonce?: string,
) {
  const delay = guild?.settings.closeDelaySeconds ?? DEFAULT_CLOSE_DELAY_SECONDS;
  const guildName = guild?.name ?? 'the server';
  if (ticket.channelId) {
    try {
      const channel = await ctx.client.channels.fetch(ticket.channelId);
      if (channel?.isThread()) await channel.setLocked(true);
      else if (channel && 'permissionOverwrites' in channel) {
        await channel.permissionOverwrites.edit(
          ticket.openerId,
          { SendMessages: false },
          { type: OverwriteType.Member },
        );
      }
      const who = by.actorId ? `<@${by.actorId}>` : 'TicketFlow';
      const when = describeDuration(delay);
      const link = ctx.publicUrl
        ? `\n📄 Transcript and history: <${ctx.publicUrl}/g/${ticket.guildId}/t/${ticket.id}>`
        : '';
      if (channel?.isSendable()) {
        await channel.send({
          content: `🔒 Ticket closed by ${who}.${by.reason ? ` Reason: ${by.reason}` : ''}\nThis channel will be deleted in ${when}. Staff can run /ticket reopen until then.${link}`,
          allowedMentions: { parse: [] },
          ...(nonce ? { nonce, enforceNonce: true } : {}),
        });
      }
    } catch (error) {
      // A channel deleted by hand meanwhile: the ticket is closed all the same.
      if (!(error instanceof DiscordAPIError && error.code === RESTJSONErrorCodes.UnknownChannel))
        throw error;
    }
  }
  const transcript = guild?.settings.transcriptDm
    ? renderTranscript({
        guildName,
        ticket: { ...ticket, closedAt: ticket.closedAt ?? new Date(), closeReason: by.reason },
        messages: await allTicketMessages(ctx.db, ticket.id),
        includeNotes: false,
      })
    : undefined;
  await askForFeedback(ctx, ticket, guildName, transcript);
}
