import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import type { boardColumns, categories, panels, tags } from '../schema.ts';

/** The settings tables whose rows the dashboard creates with a send key. */
type KeyedTable = typeof categories | typeof boardColumns | typeof tags | typeof panels;

/** A row made by a create, and whether it was made by an earlier send of the same key. */
export type Created<Row> = Row & { repeated: boolean };

/**
 * Inserts a row the dashboard asked for, once per send key in its guild: the
 * same create sent again (its first answer was lost) writes nothing and
 * answers with the row the first one made, `repeated`. Two sends racing meet
 * at the partial unique index; the second waits for the first to commit. A
 * row without a key is always inserted.
 */
export async function insertOnce<T extends KeyedTable>(
  db: Executor,
  table: T,
  values: T['$inferInsert'],
): Promise<Created<T['$inferSelect']>> {
  // One cast for the four tables: Drizzle's builders do not take a union of tables.
  const keyed = table as typeof categories;
  const [row] = await db
    .insert(keyed)
    .values(values as typeof categories.$inferInsert)
    .onConflictDoNothing({
      target: [keyed.guildId, keyed.sendKey],
      where: sql`${keyed.sendKey} is not null`,
    })
    .returning();
  if (row) return { ...(row as T['$inferSelect']), repeated: false };
  const [first] = values.sendKey
    ? await db
        .select()
        .from(keyed)
        .where(and(eq(keyed.guildId, values.guildId), eq(keyed.sendKey, values.sendKey)))
    : [];
  if (!first) throw new Error('settings insert returned nothing');
  return { ...(first as T['$inferSelect']), repeated: true };
}
