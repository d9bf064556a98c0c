import { and, asc, count, desc, eq } from 'drizzle-orm';
import { generateKeyBetween } from 'fractional-indexing';
import type { Executor } from '../client.ts';
import { boardColumns, tickets } from '../schema.ts';
import { insertOnce } from './send-keys.ts';

/** A new guild's board: two working columns and one for closed tickets. */
export const DEFAULT_COLUMNS = [
  { name: 'New', lifecycle: 'open' },
  { name: 'In progress', lifecycle: 'open' },
  { name: 'Closed', lifecycle: 'closed' },
] as const;

export function listColumns(db: Executor, guildId: string) {
  return db
    .select()
    .from(boardColumns)
    .where(eq(boardColumns.guildId, guildId))
    .orderBy(asc(boardColumns.position));
}

/** Gives a guild the default columns if it has none (idempotent). */
export async function ensureDefaultColumns(db: Executor, guildId: string) {
  const [row] = await db
    .select({ n: count() })
    .from(boardColumns)
    .where(eq(boardColumns.guildId, guildId));
  if ((row?.n ?? 0) > 0) return;
  let position: string | null = null;
  const values = DEFAULT_COLUMNS.map((c) => {
    position = generateKeyBetween(position, null);
    return { guildId, name: c.name, lifecycle: c.lifecycle, position };
  });
  await db.insert(boardColumns).values(values);
}

/** The position key between a column and the next one (afterId null: first; undefined: last). */
async function columnPositionAfter(
  db: Executor,
  guildId: string,
  afterId: string | null | undefined,
  excludeId?: string,
) {
  const all = (await listColumns(db, guildId)).filter((c) => c.id !== excludeId);
  if (afterId === undefined) return generateKeyBetween(all.at(-1)?.position ?? null, null);
  if (afterId === null) return generateKeyBetween(null, all[0]?.position ?? null);
  const i = all.findIndex((c) => c.id === afterId);
  if (i < 0) return undefined;
  return generateKeyBetween(all[i]?.position ?? null, all[i + 1]?.position ?? null);
}

/** Adds a board column (once per send key: insertOnce); undefined when `afterId` is not one of the guild's. */
export async function createColumn(
  db: Executor,
  input: {
    guildId: string;
    name: string;
    lifecycle: 'open' | 'closed';
    afterId?: string | null;
    sendKey?: string | null;
  },
) {
  const position = await columnPositionAfter(db, input.guildId, input.afterId);
  if (!position) return undefined;
  return insertOnce(db, boardColumns, {
    guildId: input.guildId,
    name: input.name,
    lifecycle: input.lifecycle,
    position,
    sendKey: input.sendKey ?? null,
  });
}

export async function updateColumn(
  db: Executor,
  guildId: string,
  columnId: string,
  change: { name?: string; lifecycle?: 'open' | 'closed'; afterId?: string | null },
) {
  const position =
    change.afterId !== undefined
      ? await columnPositionAfter(db, guildId, change.afterId, columnId)
      : undefined;
  if (change.afterId !== undefined && !position) return undefined;
  const [column] = await db
    .update(boardColumns)
    .set({
      ...(change.name ? { name: change.name } : {}),
      ...(change.lifecycle ? { lifecycle: change.lifecycle } : {}),
      ...(position ? { position } : {}),
    })
    .where(and(eq(boardColumns.guildId, guildId), eq(boardColumns.id, columnId)))
    .returning();
  return column;
}

/**
 * Removes a column; its cards go to the bottom of the nearest other column
 * of the same lifecycle. The last column of a lifecycle cannot be removed.
 */
export async function deleteColumn(db: Executor, guildId: string, columnId: string) {
  return db.transaction(async (tx) => {
    const all = await listColumns(tx, guildId);
    const column = all.find((c) => c.id === columnId);
    if (!column) return { deleted: false as const, reason: 'not_found' as const };
    const target = all.find((c) => c.id !== columnId && c.lifecycle === column.lifecycle);
    if (!target) return { deleted: false as const, reason: 'last_of_lifecycle' as const };
    const [bottom] = await tx
      .select({ position: tickets.position })
      .from(tickets)
      .where(eq(tickets.columnId, target.id))
      .orderBy(desc(tickets.position))
      .limit(1);
    const moving = await tx
      .select({ id: tickets.id })
      .from(tickets)
      .where(eq(tickets.columnId, columnId))
      .orderBy(asc(tickets.position));
    let position = bottom?.position ?? null;
    for (const t of moving) {
      position = generateKeyBetween(position, null);
      await tx.update(tickets).set({ columnId: target.id, position }).where(eq(tickets.id, t.id));
    }
    await tx.delete(boardColumns).where(eq(boardColumns.id, columnId));
    return { deleted: true as const, movedTo: target.id, moved: moving.length };
  });
}

/** The positions around a drop: the card above (afterId) and below (beforeId) in the target column. */
export async function positionsAround(
  db: Executor,
  columnId: string,
  afterId: string | null,
  beforeId: string | null,
) {
  const find = async (id: string | null) => {
    if (!id) return null;
    const [row] = await db
      .select({ position: tickets.position, columnId: tickets.columnId })
      .from(tickets)
      .where(eq(tickets.id, id));
    return row && row.columnId === columnId ? row.position : undefined;
  };
  const above = await find(afterId);
  const below = await find(beforeId);
  if (above === undefined || below === undefined) return undefined;
  // Dropped at the bottom or top without a neighbour named: take the column's end.
  if (above === null && below === null) {
    const [last] = await db
      .select({ position: tickets.position })
      .from(tickets)
      .where(eq(tickets.columnId, columnId))
      .orderBy(desc(tickets.position))
      .limit(1);
    return { above: last?.position ?? null, below: null };
  }
  if (above !== null && below !== null && !(above < below)) return undefined;
  return { above, below };
}
