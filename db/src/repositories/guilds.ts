import { sql } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { guildSequences, guilds, users } from '../schema.ts';

export interface GuildInput {
  id: string;
  name: string;
  icon?: string | null;
  ownerId: string;
}

/** Stores a guild the bot is in (or is back in) and makes sure its counters exist. */
export async function upsertGuild(db: Executor, input: GuildInput) {
  return db.transaction(async (tx) => {
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
