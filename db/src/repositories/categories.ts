import { and, asc, desc, eq } from 'drizzle-orm';
import { generateKeyBetween } from 'fractional-indexing';
import type { Executor } from '../client.ts';
import { type CategoryQuestion, categories } from '../schema.ts';
import { insertOnce } from './send-keys.ts';

export interface CategoryInput {
  guildId: string;
  name: string;
  emoji?: string | null;
  description?: string | null;
  color?: string | null;
  discordCategoryId?: string | null;
  staffRoleIds?: string[];
  blockedRoleIds?: string[];
  questions?: CategoryQuestion[];
  openTicketLimit?: number;
  cooldownSeconds?: number;
  channelNamePattern?: string;
  threadMode?: boolean;
  autoCloseHours?: number | null;
  /** The dashboard's key for this create (send-keys.ts): sent again, it makes no second one. */
  sendKey?: string | null;
}

/** Adds a ticket category at the end of the guild's list (once per send key: insertOnce). */
export async function createCategory(db: Executor, input: CategoryInput) {
  const [last] = await db
    .select({ position: categories.position })
    .from(categories)
    .where(eq(categories.guildId, input.guildId))
    .orderBy(desc(categories.position))
    .limit(1);
  return insertOnce(db, categories, {
    ...input,
    position: generateKeyBetween(last?.position ?? null, null),
  });
}

/** A guild's categories in their order. */
export function listCategories(db: Executor, guildId: string) {
  return db
    .select()
    .from(categories)
    .where(eq(categories.guildId, guildId))
    .orderBy(asc(categories.position));
}

/** One category, only if it belongs to the guild. */
export async function getCategory(db: Executor, guildId: string, categoryId: string) {
  const [category] = await db
    .select()
    .from(categories)
    .where(and(eq(categories.guildId, guildId), eq(categories.id, categoryId)));
  return category;
}
