import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { isUniqueViolation } from '../errors.ts';
import type { boardColumns, categories, panels, tags } from '../schema.ts';

/** The settings tables whose rows the dashboard creates with a send key. */
type KeyedTable = typeof categories | typeof boardColumns | typeof tags | typeof panels;

/** A row made by a create, and whether it was made by an earlier send of the same key. */
export type Created<Row> = Row & { repeated: boolean };

/**
 * Inserts a row the dashboard asked for, once per send key in its guild: the
 * same create sent again (its first answer was lost) writes nothing and
 * answers with the row the first one made, `repeated`. Two sends racing meet
 * at the partial unique index; the second waits for the first to commit. Or
 * they meet first at another unique index of the row (a tag's name), which
 * Postgres answers with an error, not the conflict the insert handles: the
 * insert is then undone on its own (a savepoint inside a transaction) and the
 * row the other send committed under the key is the answer. A row without a
 * key is always inserted.
 */
export async function insertOnce<T extends KeyedTable>(
  db: Executor,
  table: T,
  values: T['$inferInsert'],
): Promise<Created<T['$inferSelect']>> {
  // One cast for the four tables: Drizzle's builders do not take a union of tables.
  const keyed = table as typeof categories;
  let row: typeof categories.$inferSelect | undefined;
  let clash: unknown;
  try {
    [row] = await db.transaction((tx) =>
      tx
        .insert(keyed)
        .values(values as typeof categories.$inferInsert)
        .onConflictDoNothing({
          target: [keyed.guildId, keyed.sendKey],
          where: sql`${keyed.sendKey} is not null`,
        })
        .returning(),
    );
  } catch (error) {
    if (!values.sendKey || !isUniqueViolation(error)) throw error;
    clash = error;
  }
  if (row) return { ...(row as T['$inferSelect']), repeated: false };
  const [first] = values.sendKey
    ? await db
        .select()
        .from(keyed)
        .where(and(eq(keyed.guildId, values.guildId), eq(keyed.sendKey, values.sendKey)))
    : [];
  // No row under the key: the violation was another row's (a tag of that name), as without a key.
  if (!first) throw clash ?? new Error('settings insert returned nothing');
  return { ...(first as T['$inferSelect']), repeated: true };
}
