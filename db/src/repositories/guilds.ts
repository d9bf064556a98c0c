import { eq, sql } from 'drizzle-orm';
import { channels, publish } from '../bus.ts';
import { type Executor, prepared } from '../client.ts';
import { categories, guildSequences, guilds, users } from '../schema.ts';
import { ensureDefaultColumns } from './columns.ts';
import { appendEvent } from './events.ts';
import { cancelJob, scheduleJob } from './jobs.ts';

export interface GuildInput {
  id: string;
  name: string;
  icon?: string | null;
  ownerId: string;
}

/**
 * Stores a guild the bot is in (or is back in) and makes sure its counters
 * exist. A stored guild whose name, icon or owner changed, or that is back,
 * gets a `guild.updated` event: the owner is an admin, so every server
 * re-checks its sockets of the guild, and open dashboards read it again.
 */
export async function upsertGuild(db: Executor, input: GuildInput) {
  return db.transaction(async (tx) => {
    const [before] = await tx
      .select({
        name: guilds.name,
        icon: guilds.icon,
        ownerId: guilds.ownerId,
        leftAt: guilds.leftAt,
      })
      .from(guilds)
      .where(eq(guilds.id, input.id))
      // Not FOR UPDATE: that would wait for (and deadlock with) a ticket or message insert
      // holding the key-share lock of its foreign key while it takes the guild's counters.
      .for('no key update');
    const [guild] = await tx
      .insert(guilds)
      .values({ id: input.id, name: input.name, icon: input.icon ?? null, ownerId: input.ownerId })
      .onConflictDoUpdate({
        target: guilds.id,
        set: {
          name: input.name,
          icon: input.icon ?? null,
          ownerId: input.ownerId,
          leftAt: null,
          // A guild that had left is joining again.
          joinedAt: sql`case when ${guilds.leftAt} is null then ${guilds.joinedAt} else now() end`,
        },
      })
      .returning();
    await tx.insert(guildSequences).values({ guildId: input.id }).onConflictDoNothing();
    if (
      before &&
      (before.name !== input.name ||
        before.icon !== (input.icon ?? null) ||
        before.ownerId !== input.ownerId ||
        before.leftAt !== null)
    ) {
      await appendEvent(tx, {
        guildId: input.id,
        kind: 'guild.updated',
        data: { ownerChanged: before.ownerId !== input.ownerId, back: before.leftAt !== null },
      });
    }
    await ensureDefaultColumns(tx, input.id);
    // Back within 30 days of leaving: the scheduled erasure is called off.
    await cancelJob(tx, purgeKey(input.id));
    if (!guild) throw new Error('upsert returned no guild row');
    return guild;
  });
}

export interface UserInput {
  id: string;
  username: string;
  globalName?: string | null;
  avatar?: string | null;
}

/** Stores the Discord user fields the privacy policy lists (id, names, avatar) and nothing else. */
export async function upsertUser(db: Executor, input: UserInput) {
  const values = {
    id: input.id,
    username: input.username,
    globalName: input.globalName ?? null,
    avatar: input.avatar ?? null,
  };
  const [user] = await db
    .insert(users)
    .values(values)
    .onConflictDoUpdate({
      target: users.id,
      set: { ...values, updatedAt: sql`now()` },
    })
    .returning();
  if (!user) throw new Error('upsert returned no user row');
  return user;
}

/** How long a server's data stays after the bot leaves, unless it is added back. */
export const GUILD_RETENTION_AFTER_LEAVE_MS = 30 * 24 * 60 * 60 * 1000;

const purgeKey = (guildId: string) => `purge-guild:${guildId}`;

/**
 * A role of the guild changed or went in Discord (its permissions decide who
 * manages the server; members lose a deleted one): an event, so every server
 * forgets the roles it cached for the guild and re-checks its sockets.
 */
export async function recordRolesChanged(db: Executor, guildId: string): Promise<void> {
  await db.transaction(async (tx) => {
    const [known] = await tx
      .select({ id: guilds.id })
      .from(guilds)
      .where(eq(guilds.id, guildId))
      .for('key share');
    if (known) await appendEvent(tx, { guildId, kind: 'guild.roles_changed' });
  });
}

/**
 * A member's roles changed, or they left the guild (GUILD_MEMBER_UPDATE and
 * _REMOVE, sent to bots with the members intent): every server forgets their
 * cached roles and re-checks their sockets. A notification, not an event:
 * members change often, and dashboards have nothing to show for it.
 */
export async function notifyMemberChanged(db: Executor, guildId: string, userId: string) {
  await publish(db, channels.guilds, { guildId, userId, member: true });
}

/**
 * The bot left or was removed: collection stops (the bot ignores the guild's
 * events) and the erasure of its data is scheduled 30 days out.
 */
export async function markGuildLeft(db: Executor, guildId: string, at: Date = new Date()) {
  return db.transaction(async (tx) => {
    const [guild] = await tx
      .update(guilds)
      .set({ leftAt: at })
      .where(eq(guilds.id, guildId))
      .returning();
    if (!guild) return undefined;
    // Nobody has access to a guild the bot left: every server drops its sockets at once.
    await appendEvent(tx, { guildId, kind: 'guild.left' });
    const job = await scheduleJob(tx, {
      kind: 'purge-guild',
      key: purgeKey(guildId),
      guildId,
      runAt: new Date(at.getTime() + GUILD_RETENTION_AFTER_LEAVE_MS),
    });
    return { guild, job };
  });
}

/** A guild with its settings, if the bot has stored it. */
export async function getGuild(db: Executor, guildId: string) {
  const [guild] = await db.select().from(guilds).where(eq(guilds.id, guildId));
  return guild;
}

/**
 * What an access decision needs, in one round trip: the guild, its
 * categories' staff roles (in panel order) and its newest event seq (read
 * before anything else the caller reads, so what follows is at least that new).
 * Columns of a select from `guilds` left-joined to `guild_sequences`; the
 * server's session lookup selects them too, to answer both in one query.
 */
export const accessFactsFields = {
  guild: guilds,
  seq: sql<number>`coalesce(${guildSequences.lastEventSeq}, 0)`.mapWith(Number),
  categories: sql<{ id: string; staffRoleIds: string[] }[]>`coalesce((
        select json_agg(json_build_object('id', ${categories.id}, 'staffRoleIds', ${categories.staffRoleIds}) order by ${categories.position})
        from ${categories} where ${categories.guildId} = ${guilds.id}), '[]'::json)`,
};

/** The access facts of one guild (see accessFactsFields). */
export interface GuildAccessFacts {
  guild: typeof guilds.$inferSelect;
  seq: number;
  categories: { id: string; staffRoleIds: string[] }[];
}

const accessFactsQuery = (db: Executor) =>
  db
    .select(accessFactsFields)
    .from(guilds)
    .leftJoin(guildSequences, eq(guildSequences.guildId, guilds.id))
    .where(eq(guilds.id, sql.placeholder('guildId')))
    .prepare('guild_access_facts');

export async function getGuildAccessFacts(
  db: Executor,
  guildId: string,
): Promise<GuildAccessFacts | undefined> {
  // Every API request runs it: prepared once.
  const [row] = await prepared(db, 'guild_access_facts', accessFactsQuery).execute({ guildId });
  return row;
}
