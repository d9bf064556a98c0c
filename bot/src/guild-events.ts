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
import { PatientQueue } from './serial-queue.ts';

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
 * days later. An outage (`unavailable: true`) is neither. A guild's changes
 * are recorded in order, and wait while the database cannot be reached.
 */
export function guildEventHandler(db: Executor, log: Logger) {
  // One guild's changes in order; while the database cannot be reached they
  // wait for it (an ownership transfer must not be lost, nor overtaken by an
  // older rename).
  const queue = new PatientQueue(log, 'guildId');
  const failed = (event: string, guildId: string) => (error: unknown) => {
    log.error({ err: error, event, guildId }, 'failed to record a guild change');
  };
  const inGuild = (event: string, guildId: string, work: () => Promise<void>) =>
    queue.run(guildId, work).catch(failed(event, guildId));
  const rolesChanged = coalescing((guildId) =>
    queue.run(guildId, () => recordRolesChanged(db, guildId)),
  );
  const handle = async (t: string | null | undefined, d: unknown): Promise<void> => {
    if (t === 'GUILD_CREATE' || t === 'GUILD_UPDATE') {
      const guild = guildCreatePayload.safeParse(d);
      if (!guild.success || guild.data.unavailable) return;
      const { id, name, icon, owner_id } = guild.data;
      await inGuild(t, id, async () => {
        await upsertGuild(db, { id, name, icon: icon ?? null, ownerId: owner_id });
      });
    } else if (t === 'GUILD_ROLE_UPDATE' || t === 'GUILD_ROLE_DELETE') {
      const role = guildRolePayload.safeParse(d);
      if (!role.success) return;
      await rolesChanged(role.data.guild_id).catch(failed(t, role.data.guild_id));
    } else if (t === 'GUILD_MEMBER_UPDATE' || t === 'GUILD_MEMBER_REMOVE') {
      // Only with the members intent (DISCORD_MEMBER_EVENTS): a role given or taken counts at once.
      const member = guildMemberPayload.safeParse(d);
      if (!member.success) return;
      const { guild_id, user } = member.data;
      await inGuild(t, guild_id, () => notifyMemberChanged(db, guild_id, user.id));
    } else if (t === 'GUILD_DELETE') {
      const guild = guildDeletePayload.safeParse(d);
      if (!guild.success || guild.data.unavailable) return;
      const { id } = guild.data;
      await inGuild(t, id, async () => {
        await markGuildLeft(db, id);
        log.info({ guildId: id }, 'removed from a guild: its data will be erased in 30 days');
      });
    }
  };
  return {
    handle,
    /** Resolves when every change handled so far is recorded. */
    idle: () => queue.idle(),
    /** Changes waiting for the database are given up on (the next GUILD_CREATE brings the guild again). */
    stop: () => queue.stop(),
  };
}
