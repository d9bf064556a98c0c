import type { Executor } from '@ticketflow/db/client';
import { type GuildAccessFacts, getGuildAccessFacts } from '@ticketflow/db/repositories/guilds';
import type { AccessRole } from '@ticketflow/shared/api';
import { NotFoundError, UpstreamError } from '@ticketflow/shared/errors';
import { managesGuild } from '@ticketflow/shared/permissions';
import { isAdmin } from '@ticketflow/shared/tickets';
import { LRUCache } from 'lru-cache';
import type { DiscordClient, DiscordRole } from './discord.ts';

/** What one user may see in one guild. */
export interface Access {
  guildId: string;
  userId: string;
  role: AccessRole;
  /** Categories whose tickets they see; admins see every category (and tickets without one). */
  categoryIds: string[];
  all: boolean;
  /** The guild's newest event seq, read with the access facts (before anything the route reads). */
  seq: number;
}

/** Member roles and guild roles are read through the bot and kept this long at most. */
export const ROLE_CACHE_MS = 50_000;
/**
 * How often joined sockets are checked again. A removed role is seen by the
 * first check after the cached roles expire: on REST within ROLE_CACHE_MS, on
 * sockets within ROLE_CACHE_MS + RECHECK_MS, a minute.
 */
export const RECHECK_MS = 10_000;

/**
 * Decides admin / staff / nothing for a user in a guild, as DESIGN.md says:
 * admin = owner, Administrator or Manage Server, or an admin role from
 * settings; staff = a staff role of at least one category (and only those
 * categories). Discord's answers are cached for ROLE_CACHE_MS (50 s), so a removed
 * role stops access within that time.
 */
export class AccessService {
  private readonly db: Executor;
  private readonly discord: DiscordClient;
  private readonly members: LRUCache<string, { roles: string[] | null }>;
  private readonly roles: LRUCache<string, { roles: DiscordRole[] }>;

  constructor(db: Executor, discord: DiscordClient, ttlMs = ROLE_CACHE_MS) {
    this.db = db;
    this.discord = discord;
    this.members = new LRUCache({ max: 50_000, ttl: ttlMs });
    this.roles = new LRUCache({ max: 10_000, ttl: ttlMs });
  }

  /** Discord reads in flight, by cache key: callers that miss together share one request. */
  private readonly inFlight = new Map<string, Promise<unknown>>();

  private shared<T>(key: string, read: () => Promise<T>): Promise<T> {
    const running = this.inFlight.get(key) as Promise<T> | undefined;
    if (running) return running;
    const promise = read().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return promise;
  }

  private async memberRoles(guildId: string, userId: string): Promise<string[] | null> {
    const key = `${guildId}:${userId}`;
    const hit = this.members.get(key);
    if (hit) return hit.roles;
    // After a restart every open dashboard reconnects at once: one request per member, not per socket.
    return this.shared(`member:${key}`, async () => {
      const roles = (await this.upstream(() => this.discord.memberRoles(guildId, userId))) ?? null;
      this.members.set(key, { roles });
      return roles;
    });
  }

  async guildRoles(guildId: string): Promise<DiscordRole[]> {
    const hit = this.roles.get(guildId);
    if (hit) return hit.roles;
    return this.shared(`roles:${guildId}`, async () => {
      const roles = await this.upstream(() => this.discord.roles(guildId));
      this.roles.set(guildId, { roles });
      return roles;
    });
  }

  private async upstream<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch {
      throw new UpstreamError();
    }
  }

  /** Whether the user is a member of the guild (through the same role cache). */
  async isMember(guildId: string, userId: string): Promise<boolean> {
    return (await this.memberRoles(guildId, userId)) !== null;
  }

  /**
   * The user's access, or undefined when they have none (or the bot is not in
   * the guild). `known.facts` are the guild's facts when the caller has just
   * read them (undefined there: no such guild).
   */
  async resolve(
    userId: string,
    guildId: string,
    known?: { facts: GuildAccessFacts | undefined },
  ): Promise<Access | undefined> {
    const facts = known ? known.facts : await getGuildAccessFacts(this.db, guildId);
    if (!facts || facts.guild.leftAt) return undefined;
    const { guild, categories, seq } = facts;
    const memberRoleIds = await this.memberRoles(guildId, userId);
    if (!memberRoleIds) return undefined;
    const owner = guild.ownerId === userId;
    const manages =
      owner || managesGuild(guild, userId, memberRoleIds, await this.guildRoles(guildId));
    const who = { userId, roleIds: memberRoleIds, managesGuild: manages };
    if (isAdmin(who, guild.settings.adminRoleIds ?? [])) {
      return {
        guildId,
        userId,
        role: 'admin',
        categoryIds: categories.map((c) => c.id),
        all: true,
        seq,
      };
    }
    const staffOf = categories.filter((c) => c.staffRoleIds.some((r) => memberRoleIds.includes(r)));
    if (staffOf.length === 0) return undefined;
    return {
      guildId,
      userId,
      role: 'staff',
      categoryIds: staffOf.map((c) => c.id),
      all: false,
      seq,
    };
  }

  /** Like resolve, but no access (or too little) answers 404: nothing about the guild leaks. */
  async require(
    userId: string,
    guildId: string,
    role: AccessRole = 'staff',
    known?: { facts: GuildAccessFacts | undefined },
  ): Promise<Access> {
    const access = await this.resolve(userId, guildId, known);
    if (!access || (role === 'admin' && access.role !== 'admin')) {
      throw new NotFoundError('No such server');
    }
    return access;
  }

  /** Forgets every role cached for a guild: its roles, and each member's (a role changed or went in Discord). */
  forgetGuild(guildId: string): void {
    this.forget(guildId);
    for (const key of [...this.members.keys()]) {
      if (key.startsWith(`${guildId}:`)) this.members.delete(key);
    }
    for (const key of [...this.inFlight.keys()]) {
      if (key.startsWith(`member:${guildId}:`)) this.inFlight.delete(key);
    }
  }

  /** Forgets what is cached for a guild (e.g. after its admin roles changed). */
  forget(guildId: string, userId?: string): void {
    if (userId) {
      this.members.delete(`${guildId}:${userId}`);
      this.inFlight.delete(`member:${guildId}:${userId}`);
    } else {
      this.roles.delete(guildId);
      this.inFlight.delete(`roles:${guildId}`);
    }
  }
}

/** Whether a ticket of this category is visible with this access. */
export function seesCategory(access: Access, categoryId: string | null): boolean {
  return access.all || (categoryId !== null && access.categoryIds.includes(categoryId));
}
