import { ReferenceGoneError } from '@ticketflow/db/errors';
import { getCategory } from '@ticketflow/db/repositories/categories';
import {
  closeTicket,
  createTicket,
  openerHistory,
  updateTicket,
} from '@ticketflow/db/repositories/tickets';
import type { categories } from '@ticketflow/db/schema';
import { channelName, refuseToOpen } from '@ticketflow/shared/tickets';
import {
  ActionRowBuilder,
  ButtonBuilder,
  type ButtonInteraction,
  ButtonStyle,
  ChannelType,
  EmbedBuilder,
  MessageFlags,
  ModalBuilder,
  type ModalSubmitInteraction,
  OverwriteType,
  PermissionFlagsBits,
  type StringSelectMenuInteraction,
  TextInputBuilder,
  TextInputStyle,
} from 'discord.js';
import { type BotContext, memberFacts, UserError } from '../context.ts';

type Category = typeof categories.$inferSelect;
type StartInteraction = ButtonInteraction<'cached'> | StringSelectMenuInteraction<'cached'>;

/** What the opener and staff may do in a ticket channel. */
export const PARTICIPANT_FLAGS = [
  'ViewChannel',
  'SendMessages',
  'ReadMessageHistory',
  'AttachFiles',
  'EmbedLinks',
] as const;
export const PARTICIPANT = PARTICIPANT_FLAGS.map((flag) => PermissionFlagsBits[flag]);

async function loadCategory(
  ctx: BotContext,
  guildId: string,
  categoryId: string,
): Promise<Category> {
  const category = /^[0-9a-f-]{36}$/.test(categoryId)
    ? await getCategory(ctx.db, guildId, categoryId)
    : undefined;
  if (!category) throw categoryGone();
  return category;
}

const categoryGone = () =>
  new UserError('That ticket category no longer exists. Ask an admin to post a new panel.');

async function checkLimits(
  ctx: BotContext,
  interaction: StartInteraction | ModalSubmitInteraction<'cached'>,
  category: Category,
) {
  const history = await openerHistory(
    ctx.db,
    interaction.guildId,
    category.id,
    interaction.user.id,
  );
  const refusal = refuseToOpen({
    category,
    member: memberFacts(interaction),
    ...history,
    guildChannelCount: interaction.guild.channels.cache.size,
    now: new Date(),
  });
  if (refusal) throw new UserError(refusal);
}

/**
 * A member chose a category on a panel: the limits are checked first (so
 * nobody fills a form in vain), then the category's questions are asked in a
 * modal, or the ticket is opened at once when it has none.
 */
export async function startOpening(
  ctx: BotContext,
  interaction: StartInteraction,
  categoryId: string,
) {
  const category = await loadCategory(ctx, interaction.guildId, categoryId);
  await checkLimits(ctx, interaction, category);
  if (category.questions.length === 0) {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    await openTicket(ctx, interaction, category, {});
    return;
  }
  const modal = new ModalBuilder()
    .setCustomId(`tf:questions:${category.id}`)
    .setTitle(`Open a ${category.name} ticket`.slice(0, 45));
  for (const q of category.questions.slice(0, 5)) {
    const input = new TextInputBuilder()
      .setCustomId(q.id)
      .setLabel(q.label.slice(0, 45))
      .setStyle(q.style === 'paragraph' ? TextInputStyle.Paragraph : TextInputStyle.Short)
      .setRequired(q.required)
      .setMaxLength(Math.min(q.maxLength ?? 1000, q.style === 'paragraph' ? 4000 : 1000));
    if (q.placeholder) input.setPlaceholder(q.placeholder.slice(0, 100));
    modal.addComponents(new ActionRowBuilder<TextInputBuilder>().addComponents(input));
  }
  await interaction.showModal(modal);
}

/** The member submitted the category's questions. */
export async function finishOpening(
  ctx: BotContext,
  interaction: ModalSubmitInteraction<'cached'>,
  categoryId: string,
) {
  const category = await loadCategory(ctx, interaction.guildId, categoryId);
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const answers: Record<string, string> = {};
  for (const q of category.questions) {
    const field = interaction.fields.fields.get(q.id);
    const value =
      field && 'value' in field && typeof field.value === 'string' ? field.value.trim() : '';
    if (value) answers[q.id] = value;
  }
  await openTicket(ctx, interaction, category, answers);
}

/**
 * Creates the ticket: its number, a private channel (or private thread) for
 * the opener, the category's staff and the bot, the welcome message with the
 * answers and Close / Claim buttons. The interaction must be deferred.
 */
async function openTicket(
  ctx: BotContext,
  interaction: StartInteraction | ModalSubmitInteraction<'cached'>,
  category: Category,
  answers: Record<string, string>,
) {
  // Checked again: two quick clicks must not open two tickets past the limit.
  await checkLimits(ctx, interaction, category);
  const firstAnswer = category.questions.map((q) => answers[q.id]).find(Boolean);
  const { ticket } = await createTicket(ctx.db, {
    guildId: interaction.guildId,
    openerId: interaction.user.id,
    categoryId: category.id,
    topic: firstAnswer ? firstAnswer.slice(0, 200) : null,
    answers,
  }).catch((error: unknown) => {
    // Deleted by an admin since it was read above.
    if (error instanceof ReferenceGoneError && error.what === 'category') throw categoryGone();
    throw error;
  });
  const name = channelName(category.channelNamePattern, {
    number: ticket.number,
    username: interaction.user.username,
    category: category.name,
  });
  const botId = ctx.client.user.id;
  let channelId: string;
  try {
    if (category.threadMode) {
      const parent = interaction.channel;
      if (!parent || parent.type !== ChannelType.GuildText) {
        throw new UserError(
          'Tickets of this category open as threads, which this channel cannot hold.',
        );
      }
      const thread = await parent.threads.create({
        name,
        type: ChannelType.PrivateThread,
        invitable: false,
      });
      await thread.members.add(interaction.user.id);
      channelId = thread.id;
    } else {
      const channel = await interaction.guild.channels.create({
        name,
        type: ChannelType.GuildText,
        ...(category.discordCategoryId ? { parent: category.discordCategoryId } : {}),
        topic: `Ticket #${ticket.number} · ${category.name} · opened by ${interaction.user.username}`,
        permissionOverwrites: [
          {
            id: interaction.guildId,
            type: OverwriteType.Role,
            deny: [PermissionFlagsBits.ViewChannel],
          },
          { id: interaction.user.id, type: OverwriteType.Member, allow: PARTICIPANT },
          ...category.staffRoleIds.map((id) => ({
            id,
            type: OverwriteType.Role,
            allow: PARTICIPANT,
          })),
          {
            id: botId,
            type: OverwriteType.Member,
            allow: [
              ...PARTICIPANT,
              PermissionFlagsBits.ManageChannels,
              PermissionFlagsBits.ManageMessages,
            ],
          },
        ],
      });
      channelId = channel.id;
    }
  } catch (error) {
    // The ticket row exists but Discord said no: close it with the reason, and tell the member.
    const reason =
      error instanceof UserError ? error.message : 'Discord refused to create the ticket channel.';
    await closeTicket(ctx.db, { ticketId: ticket.id, reason });
    if (error instanceof UserError) throw error;
    ctx.log.error(
      { err: error, guildId: interaction.guildId },
      'could not create a ticket channel',
    );
    throw new UserError(
      `${reason} The bot may be missing the Manage Channels or Manage Roles permission.`,
    );
  }
  ctx.tickets.remember(channelId, { ticketId: ticket.id, guildId: interaction.guildId });
  await updateTicket(
    ctx.db,
    ticket.id,
    { channelId },
    { actorId: botId, kind: 'ticket.channel_created' },
  );

  const welcome = new EmbedBuilder()
    .setTitle(`Ticket #${ticket.number} · ${category.name}`)
    .setDescription(
      `Thanks for reaching out, ${interaction.user}. Staff will be with you shortly.`,
    );
  for (const q of category.questions) {
    const answer = answers[q.id];
    if (answer) welcome.addFields({ name: q.label.slice(0, 256), value: answer.slice(0, 1024) });
  }
  const buttons = new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder()
      .setCustomId(`tf:close:${ticket.id}`)
      .setLabel('Close')
      .setEmoji('🔒')
      .setStyle(ButtonStyle.Danger),
    new ButtonBuilder()
      .setCustomId(`tf:claim:${ticket.id}`)
      .setLabel('Claim')
      .setEmoji('🙋')
      .setStyle(ButtonStyle.Secondary),
  );
  const ping = [
    `<@${interaction.user.id}>`,
    ...category.staffRoleIds.map((id) => `<@&${id}>`),
  ].join(' ');
  await ctx.client.rest.post(`/channels/${channelId}/messages`, {
    body: {
      content: ping,
      embeds: [welcome.toJSON()],
      components: [buttons.toJSON()],
      allowed_mentions: { users: [interaction.user.id], roles: category.staffRoleIds },
    },
  });
  await interaction.editReply(`Your ticket is open: <#${channelId}>`);
}
