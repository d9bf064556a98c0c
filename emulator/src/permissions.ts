import { ChannelType, PermissionFlagsBits } from 'discord-api-types/v10';
import type { ChannelRecord, GuildRecord } from './model.ts';

export const P = PermissionFlagsBits;
export const ALL_PERMISSIONS = Object.values(PermissionFlagsBits).reduce((a, b) => a | b, 0n);

export function has(perms: bigint, needed: bigint): boolean {
  return (perms & needed) === needed;
}

export function isThread(channel: ChannelRecord): boolean {
  return (
    channel.type === ChannelType.PublicThread ||
    channel.type === ChannelType.PrivateThread ||
    channel.type === ChannelType.AnnouncementThread
  );
}

/** A member's guild-level permissions: @everyone, then their roles; owner and Administrator get all. */
export function guildPermissions(guild: GuildRecord, userId: string): bigint {
  if (guild.ownerId === userId) return ALL_PERMISSIONS;
  const member = guild.members.get(userId);
  if (!member) return 0n;
  let perms = guild.roles.get(guild.id)?.permissions ?? 0n;
  for (const roleId of member.roles) perms |= guild.roles.get(roleId)?.permissions ?? 0n;
  return has(perms, P.Administrator) ? ALL_PERMISSIONS : perms;
}

/**
 * Discord's algorithm for a member in a channel: guild permissions, then the
 * @everyone overwrite, then the member's role overwrites together, then the
 * member's own overwrite. Threads take their parent's; a private thread is
 * visible only to its members and to those who may manage threads.
 */
export function channelPermissions(
  guild: GuildRecord,
  channel: ChannelRecord,
  userId: string,
): bigint {
  const base = guildPermissions(guild, userId);
  if (has(base, P.Administrator)) return ALL_PERMISSIONS;
  if (isThread(channel)) {
    const parent = channel.parentId ? guild.channels.get(channel.parentId) : undefined;
    if (!parent) return 0n;
    const inherited = channelPermissions(guild, parent, userId);
    if (
      channel.type === ChannelType.PrivateThread &&
      !channel.threadMembers.has(userId) &&
      !has(inherited, P.ManageThreads)
    ) {
      return 0n;
    }
    return inherited;
  }
  const member = guild.members.get(userId);
  if (!member) return 0n;
  let perms = base;
  const everyone = channel.overwrites.get(guild.id);
  if (everyone) perms = (perms & ~everyone.deny) | everyone.allow;
  let allow = 0n;
  let deny = 0n;
  for (const roleId of member.roles) {
    const o = channel.overwrites.get(roleId);
    if (o && o.type === 0) {
      allow |= o.allow;
      deny |= o.deny;
    }
  }
  perms = (perms & ~deny) | allow;
  const own = channel.overwrites.get(userId);
  if (own && own.type === 1) perms = (perms & ~own.deny) | own.allow;
  // Without View Channel nothing else in the channel applies.
  return has(perms, P.ViewChannel) ? perms : 0n;
}
