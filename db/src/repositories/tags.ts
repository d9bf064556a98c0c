import { and, asc, eq, sql } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { tags } from '../schema.ts';

/** Saves a canned reply (a new name adds one, an existing name replaces its text). */
export async function saveTag(
  db: Executor,
  input: { guildId: string; name: string; content: string; createdBy?: string | null },
) {
  const [tag] = await db
    .insert(tags)
    .values({ ...input, name: input.name.toLowerCase() })
    .onConflictDoUpdate({
      target: [tags.guildId, tags.name],
      set: { content: input.content, updatedAt: sql`now()` },
    })
    .returning();
  if (!tag) throw new Error('tag upsert returned nothing');
  return tag;
}

export async function findTag(db: Executor, guildId: string, name: string) {
  const [tag] = await db
    .select()
    .from(tags)
    .where(and(eq(tags.guildId, guildId), eq(tags.name, name.toLowerCase())));
  return tag;
}

export function listTags(db: Executor, guildId: string) {
  return db.select().from(tags).where(eq(tags.guildId, guildId)).orderBy(asc(tags.name));
}
