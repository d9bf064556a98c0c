import type { Executor } from '@ticketflow/db/client';
import { getGuild } from '@ticketflow/db/repositories/guilds';
import type { MemberFacts } from '@ticketflow/shared/tickets';
import { type Client, type Interaction, PermissionFlagsBits } from 'discord.js';
import type { Logger } from 'pino';
import type { TicketDirectory } from './tickets-by-channel.ts';

/** What the interaction handlers work with. */
export interface BotContext {
  db: Executor;
  client: Client<true>;
  log: Logger;
  tickets: TicketDirectory;
  /** The dashboard's address, for links posted in Discord; null when there is none. */
  publicUrl: string | null;
}

/** Shown to the person as an ephemeral reply; not logged as a fault. */
export class UserError extends Error {}

/** The facts the permission rules need about whoever triggered an interaction. */
export function memberFacts(interaction: Interaction<'cached'>): MemberFacts {
  return {
    userId: interaction.user.id,
    roleIds: [...interaction.member.roles.cache.keys()].filter((id) => id !== interaction.guildId),
    managesGuild:
      interaction.guild.ownerId === interaction.user.id ||
      (interaction.memberPermissions?.any([
        PermissionFlagsBits.Administrator,
        PermissionFlagsBits.ManageGuild,
      ]) ??
        false),
  };
}

/** The admin roles a guild set on the dashboard. */
export async function adminRoleIds(ctx: BotContext, guildId: string): Promise<string[]> {
  return (await getGuild(ctx.db, guildId))?.settings.adminRoleIds ?? [];
}
