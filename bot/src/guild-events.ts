import type { Executor } from '@ticketflow/db/client';
import {
  markGuildLeft,
  notifyMemberChanged,
  recordRolesChanged,
  upsertGuild,
} from '@ticketflow/db/repositories/guilds';
import type { Logger } from 'pino';
import {
  guildCreatePayload,
  guildDeletePayload,
  guildMemberPayload,
  guildRolePayload,
} from './payloads.ts';

/**
 * `work(key)` at once; asked again for a key while it runs, it runs once more
 * when done, however many times it was asked. Discord sends a
 * GUILD_ROLE_UPDATE for every role a reorder moves: a burst of them is two
 * events, the last written after the last change arrived.
 */
export function coalescing(work: (key: string) => Promise<void>) {
  const again = new Map<string, boolean>();
  return async (key: string): Promise<void> => {
    if (again.has(key)) {
      again.set(key, true);
      return;
    }
    let failure: unknown = null;
    try {
      do {
        again.set(key, false);
        await work(key).catch((error: unknown) => {
          failure = error;
        });
      } while (again.get(key));
    } finally {
      again.delete(key);
    }
    if (failure) throw failure;
  };
}

/**
 * Joining (or re-joining) a guild stores it and calls off a scheduled
 * erasure; a rename or an ownership transfer (GUILD_UPDATE) is stored at
 * once, since the owner is an admin on the dashboard, and so is a role changed
 * or deleted (what it allows decides who is an admin or staff; a burst of
 * them is coalesced), or a member's roles (with the members intent); being
 * removed from one marks it left and schedules the erasure of its data 30
 * days later. An outage (`unavailable: true`) is neither.
 */
export function guildEventHandler(db: Executor, log: Logger) {
  const rolesChanged = coalescing((guildId) => recordRolesChanged(db, guildId));
  return async (t: string | null | undefined, d: unknown) => {
    try {
      if (t === 'GUILD_CREATE' || t === 'GUILD_UPDATE') {
        const guild = guildCreatePayload.safeParse(d);
        if (!guild.success || guild.data.unavailable) return;
        await upsertGuild(db, {
          id: guild.data.id,
          name: guild.data.name,
          icon: guild.data.icon ?? null,
          ownerId: guild.data.owner_id,
        });
      } else if (t === 'GUILD_ROLE_UPDATE' || t === 'GUILD_ROLE_DELETE') {
        const role = guildRolePayload.safeParse(d);
        if (role.success) await rolesChanged(role.data.guild_id);
      } else if (t === 'GUILD_MEMBER_UPDATE' || t === 'GUILD_MEMBER_REMOVE') {
        // Only with the members intent (DISCORD_MEMBER_EVENTS): a role given or taken counts at once.
        const member = guildMemberPayload.safeParse(d);
        if (member.success)
          await notifyMemberChanged(db, member.data.guild_id, member.data.user.id);
      } else if (t === 'GUILD_DELETE') {
        const guild = guildDeletePayload.safeParse(d);
        if (!guild.success || guild.data.unavailable) return;
        await markGuildLeft(db, guild.data.id);
        log.info(
          { guildId: guild.data.id },
          'removed from a guild: its data will be erased in 30 days',
        );
      }
    } catch (error) {
      log.error({ err: error, event: t }, 'failed to record a guild change');
    }
  };
}
