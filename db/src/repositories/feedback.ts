import { eq, sql } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { feedback, tickets } from '../schema.ts';
import { appendEvent } from './events.ts';

/**
 * The opener's rating of a closed ticket (1–5) and optional comment; rating
 * again replaces it. Only the ticket's opener may rate it.
 */
export async function saveFeedback(
  db: Executor,
  input: { ticketId: string; userId: string; rating?: number; comment?: string | null },
) {
  return db.transaction(async (tx) => {
    const [ticket] = await tx.select().from(tickets).where(eq(tickets.id, input.ticketId));
    if (!ticket || ticket.openerId !== input.userId) return undefined;
    let row: typeof feedback.$inferSelect | undefined;
    if (input.rating === undefined) {
      // A comment belongs to a rating already given.
      [row] = await tx
        .update(feedback)
        .set({ comment: input.comment ?? null })
        .where(eq(feedback.ticketId, ticket.id))
        .returning();
      if (!row) return undefined;
    } else {
      [row] = await tx
        .insert(feedback)
        .values({
          ticketId: ticket.id,
          guildId: ticket.guildId,
          userId: input.userId,
          rating: input.rating,
        })
        .onConflictDoUpdate({
          target: feedback.ticketId,
          set: { rating: input.rating, createdAt: sql`now()` },
        })
        .returning();
    }
    await appendEvent(tx, {
      guildId: ticket.guildId,
      ticketId: ticket.id,
      kind: 'feedback.saved',
      actorId: input.userId,
      data: { rating: row?.rating ?? null },
    });
    return row;
  });
}
