import { listCategories } from '@ticketflow/db/repositories/categories';
import { savePanel } from '@ticketflow/db/repositories/panels';
import { isAdmin } from '@ticketflow/shared/tickets';
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  type ChatInputCommandInteraction,
  EmbedBuilder,
  MessageFlags,
  StringSelectMenuBuilder,
} from 'discord.js';
import { adminRoleIds, type BotContext, memberFacts, UserError } from './context.ts';

/**
 * `/panel`: an admin posts a ticket panel in the current channel, a button
 * (or a select-menu option) per category; `categories` picks some by name.
 */
export async function postPanel(
  ctx: BotContext,
  interaction: ChatInputCommandInteraction<'cached'>,
) {
  if (!isAdmin(memberFacts(interaction), await adminRoleIds(ctx, interaction.guildId)))
    throw new UserError('Only server admins can post ticket panels.');
  const all = await listCategories(ctx.db, interaction.guildId);
  const wanted = interaction.options
    .getString('categories')
    ?.split(',')
    .map((n) => n.trim().toLowerCase())
    .filter(Boolean);
  const chosen = wanted ? all.filter((c) => wanted.includes(c.name.toLowerCase())) : all;
  if (all.length === 0)
    throw new UserError(
      'This server has no ticket categories yet. Create one on the dashboard first.',
    );
  if (chosen.length === 0)
    throw new UserError(
      `No category is called ${wanted?.join(', ')}. Categories: ${all.map((c) => c.name).join(', ')}.`,
    );
  if (chosen.length > 25) throw new UserError('A panel holds at most 25 categories.');
  const channel = interaction.channel;
  if (!channel) throw new UserError('Run /panel in the channel where the panel should appear.');

  const style = interaction.options.getString('style') === 'select' ? 'select' : 'buttons';
  const title = interaction.options.getString('title') ?? 'Need help?';
  const { embed, components } = panelMessage(
    chosen,
    style,
    title,
    interaction.options.getString('description'),
  );
  const message = await channel.send({ embeds: [embed], components });
  await savePanel(ctx.db, {
    guildId: interaction.guildId,
    channelId: channel.id,
    messageId: message.id,
    title,
    style,
    categoryIds: chosen.map((c) => c.id),
  });
  await interaction.reply({
    content: `Panel posted with ${chosen.length} categor${chosen.length === 1 ? 'y' : 'ies'}.`,
    flags: MessageFlags.Ephemeral,
  });
}

type PanelCategory = { id: string; name: string; description: string | null; emoji: string | null };

/** A panel's embed and its buttons (or select menu), one per category. */
export function panelMessage(
  chosen: PanelCategory[],
  style: 'buttons' | 'select',
  title: string,
  description: string | null,
) {
  const embed = new EmbedBuilder()
    .setTitle(title)
    .setDescription(description ?? 'Choose a topic below to open a private ticket with our staff.');
  const components =
    style === 'select'
      ? [
          new ActionRowBuilder<StringSelectMenuBuilder>().addComponents(
            new StringSelectMenuBuilder()
              .setCustomId('tf:open')
              .setPlaceholder('Choose a topic')
              .addOptions(
                chosen.map((c) => ({
                  label: c.name.slice(0, 100),
                  value: c.id,
                  ...(c.description ? { description: c.description.slice(0, 100) } : {}),
                  ...(c.emoji ? { emoji: c.emoji } : {}),
                })),
              ),
          ),
        ]
      : Array.from({ length: Math.ceil(chosen.length / 5) }, (_, row) =>
          new ActionRowBuilder<ButtonBuilder>().addComponents(
            chosen.slice(row * 5, row * 5 + 5).map((c) => {
              const button = new ButtonBuilder()
                .setCustomId(`tf:open:${c.id}`)
                .setLabel(c.name.slice(0, 80))
                .setStyle(ButtonStyle.Primary);
              return c.emoji ? button.setEmoji(c.emoji) : button;
            }),
          ),
        );
  return { embed, components };
}
