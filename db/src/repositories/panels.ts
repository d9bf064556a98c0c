import type { Executor } from '../client.ts';
import { panels } from '../schema.ts';

/** Remembers a posted ticket panel, so it can be re-posted or edited later. */
export async function savePanel(db: Executor, input: typeof panels.$inferInsert) {
  const [panel] = await db.insert(panels).values(input).returning();
  if (!panel) throw new Error('panel insert returned nothing');
  return panel;
}
