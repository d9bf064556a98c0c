import { saveFeedback } from '@ticketflow/db/repositories/feedback';
import {
  ActionRowBuilder,
  ButtonBuilder,
  type ButtonInteraction,
  ButtonStyle,
  DiscordAPIError,
  MessageFlags,
  ModalBuilder,
  type ModalSubmitInteraction,
  TextInputBuilder,
  TextInputStyle,
} from 'discord.js';
import { type BotContext, UserError } from './context.ts';

/**
 * After closing, the opener is asked by DM to rate the help from 1 to 5, with
 * the ticket's transcript attached when the server chose to send it. Closed
 * DMs are not an error.
 */
export async function askForFeedback(
  ctx: BotContext,
  ticket: { id: string; number: number; openerId: string },
  guildName: string,
  transcript?: string,
) {
  const stars = new ActionRowBuilder<ButtonBuilder>().addComponents(
    [1, 2, 3, 4, 5].map((n) =>
      new ButtonBuilder()
        .setCustomId(`tf:rate:${ticket.id}_${n}`)
        .setLabel('⭐'.repeat(n))
        .setStyle(ButtonStyle.Secondary),
    ),
  );
  try {
    await ctx.client.users.send(ticket.openerId, {
      content: `Your ticket #${ticket.number} in **${guildName}** was closed.${transcript ? ' Its transcript is attached.' : ''} How did we do?`,
      components: [stars],
      ...(transcript
        ? {
            files: [{ attachment: Buffer.from(transcript), name: `ticket-${ticket.number}.html` }],
          }
        : {}),
    });
  } catch (error) {
    if (error instanceof DiscordAPIError && error.status === 403) return;
    ctx.log.warn({ err: error, ticketId: ticket.id }, 'could not ask for feedback by DM');
  }
}

/** The opener pressed a star button. */
export async function rate(ctx: BotContext, interaction: ButtonInteraction, id: string) {
  const m = /^([0-9a-f-]{36})_([1-5])$/.exec(id);
  if (!m?.[1] || !m[2]) throw new UserError('That rating button is broken.');
  const rating = Number(m[2]);
  const saved = await saveFeedback(ctx.db, { ticketId: m[1], userId: interaction.user.id, rating });
  if (!saved) throw new UserError('Only the person who opened this ticket can rate it.');
  await interaction.update({
    content: `Thanks! You rated ${'⭐'.repeat(rating)} (${rating}/5).`,
    components: [
      new ActionRowBuilder<ButtonBuilder>().addComponents(
        new ButtonBuilder()
          .setCustomId(`tf:comment:${m[1]}`)
          .setLabel('Add a comment')
          .setStyle(ButtonStyle.Primary),
      ),
    ],
  });
}

/** "Add a comment": a modal with one paragraph. */
export async function askForComment(interaction: ButtonInteraction, ticketId: string) {
  await interaction.showModal(
    new ModalBuilder()
      .setCustomId(`tf:comment-modal:${ticketId}`)
      .setTitle('Your feedback')
      .addComponents(
        new ActionRowBuilder<TextInputBuilder>().addComponents(
          new TextInputBuilder()
            .setCustomId('comment')
            .setLabel('Anything you want to tell us?')
            .setStyle(TextInputStyle.Paragraph)
            .setMaxLength(1000),
        ),
      ),
  );
}

export async function saveComment(
  ctx: BotContext,
  interaction: ModalSubmitInteraction,
  ticketId: string,
) {
  const comment = interaction.fields.getTextInputValue('comment').trim();
  const saved = await saveFeedback(ctx.db, {
    ticketId,
    userId: interaction.user.id,
    comment: comment || null,
  });
  if (!saved) throw new UserError('Rate the ticket first, then add a comment.');
  await interaction.reply({ content: 'Thanks for the comment!', flags: MessageFlags.Ephemeral });
}
