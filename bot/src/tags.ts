import { findTag, listTags } from '@ticketflow/db/repositories/tags';
import { findTicketByChannel } from '@ticketflow/db/repositories/tickets';
import { isAdmin } from '@ticketflow/shared/tickets';
import type { ChatInputCommandInteraction } from 'discord.js';
import { adminRoleIds, type BotContext, memberFacts, UserError } from './context.ts';
import { requireStaff } from './tickets/manage.ts';

/** `/tag name`: posts a saved reply. Staff use it in their tickets; admins anywhere. */
export async function postTag(ctx: BotContext, interaction: ChatInputCommandInteraction<'cached'>) {
  const ticket = await findTicketByChannel(ctx.db, interaction.channelId);
  if (ticket && ticket.guildId === interaction.guildId)
    await requireStaff(ctx, interaction, ticket);
  else if (!isAdmin(memberFacts(interaction), await adminRoleIds(ctx, interaction.guildId))) {
    throw new UserError('Saved replies can be posted in ticket channels.');
  }
  const name = interaction.options.getString('name', true);
  const tag = await findTag(ctx.db, interaction.guildId, name);
  if (!tag) {
    const names = (await listTags(ctx.db, interaction.guildId)).map((t) => t.name);
    throw new UserError(
      names.length > 0
        ? `No saved reply is called "${name}". Saved replies: ${names.join(', ')}.`
        : 'This server has no saved replies yet; admins add them on the dashboard.',
    );
  }
  await interaction.reply({ content: tag.content, allowedMentions: { parse: [] } });
}
