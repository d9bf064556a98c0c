import { requestExport } from '@ticketflow/db/repositories/data-requests';
import { isAdmin } from '@ticketflow/shared/tickets';
import { type ChatInputCommandInteraction, MessageFlags } from 'discord.js';
import { adminRoleIds, type BotContext, memberFacts, UserError } from './context.ts';

/**
 * `/ticketflow export`: an admin asks for an export of the server's data. The
 * archive is built in the background; the dashboard's Data page shows its
 * progress and offers the download, to this admin only.
 */
export async function exportData(
  ctx: BotContext,
  interaction: ChatInputCommandInteraction<'cached'>,
) {
  if (interaction.options.getSubcommand() !== 'export') return;
  if (!isAdmin(memberFacts(interaction), await adminRoleIds(ctx, interaction.guildId)))
    throw new UserError("Only server admins can export the server's data.");
  const { created } = await requestExport(ctx.db, {
    guildId: interaction.guildId,
    userId: interaction.user.id,
  });
  const page = ctx.publicUrl ? `${ctx.publicUrl}/g/${interaction.guildId}/data` : 'the dashboard';
  await interaction.reply({
    content: `${created ? 'Your export is being prepared.' : 'An export is already being prepared.'} Follow its progress and download it (only you can, for 24 hours) on ${page}.`,
    flags: MessageFlags.Ephemeral,
  });
}
