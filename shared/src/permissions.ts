import { PermissionFlagsBits as P } from 'discord-api-types/v10';

/**
 * What TicketFlow's bot needs in a guild, and nothing more: see channels,
 * create and lock ticket channels (manage channels and roles for overwrites),
 * talk in channels and private threads, read history for backfill, pin and
 * tidy messages, embeds and files for transcripts, webhooks, slash commands.
 */
export const BOT_PERMISSIONS =
  P.ViewChannel |
  P.ManageChannels |
  P.ManageRoles |
  P.SendMessages |
  P.SendMessagesInThreads |
  P.CreatePrivateThreads |
  P.ManageThreads |
  P.ReadMessageHistory |
  P.ManageMessages |
  P.EmbedLinks |
  P.AttachFiles |
  P.ManageWebhooks |
  P.UseApplicationCommands;

/** Owner, Administrator or Manage Server, from the member's roles (and @everyone, whose id is the guild's). */
export function managesGuild(
  guild: { id: string; ownerId: string },
  userId: string,
  memberRoleIds: readonly string[],
  roles: readonly { id: string; permissions: string }[],
): boolean {
  if (guild.ownerId === userId) return true;
  let bits = 0n;
  for (const r of roles) {
    if (r.id === guild.id || memberRoleIds.includes(r.id)) bits |= BigInt(r.permissions);
  }
  return (bits & (P.Administrator | P.ManageGuild)) !== 0n;
}

/** The same from a `/users/@me/guilds` entry (its `permissions` are the user's in that guild). */
export function managesFromUserGuild(entry: { owner: boolean; permissions: string }): boolean {
  return entry.owner || (BigInt(entry.permissions) & (P.Administrator | P.ManageGuild)) !== 0n;
}
