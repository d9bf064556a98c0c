import { and, asc, desc, eq, isNull, sql } from 'drizzle-orm';
import { generateKeyBetween } from 'fractional-indexing';
import type { Executor } from '../client.ts';
import { boardColumns, guildSequences, type ticketPriority, tickets } from '../schema.ts';
import { appendEvent } from './events.ts';

export interface TicketInput {
  guildId: string;
  openerId: string;
  categoryId?: string | null;
  channelId?: string | null;
  topic?: string | null;
  answers?: Record<string, string>;
  priority?: (typeof ticketPriority.enumValues)[number];
  /** Who opened it, if not the opener (staff opening on someone's behalf). */
  actorId?: string | null;
}

/**
 * Creates a ticket with the guild's next number, at the bottom of the guild's
 * first open column, and appends `ticket.created`, all in one transaction.
 */
export async function createTicket(db: Executor, input: TicketInput) {
  return db.transaction(async (tx) => {
    // Locks the guild's counter row until commit: numbers are gap-free and the
    // "bottom of the column" read below cannot race another creation.
    const [counter] = await tx
      .insert(guildSequences)
      .values({ guildId: input.guildId, lastTicketNumber: 1 })
      .onConflictDoUpdate({
        target: guildSequences.guildId,
        set: { lastTicketNumber: sql`${guildSequences.lastTicketNumber} + 1` },
      })
      .returning({ number: guildSequences.lastTicketNumber });
    if (!counter) throw new Error('ticket number allocation returned nothing');

    const [column] = await tx
      .select({ id: boardColumns.id })
      .from(boardColumns)
      .where(and(eq(boardColumns.guildId, input.guildId), eq(boardColumns.lifecycle, 'open')))
      .orderBy(asc(boardColumns.position))
      .limit(1);
    const columnId = column?.id ?? null;
    const [last] = await tx
      .select({ position: tickets.position })
      .from(tickets)
      .where(
        and(
          eq(tickets.guildId, input.guildId),
          columnId ? eq(tickets.columnId, columnId) : isNull(tickets.columnId),
        ),
      )
      .orderBy(desc(tickets.position))
      .limit(1);

    const [ticket] = await tx
      .insert(tickets)
      .values({
        guildId: input.guildId,
        number: counter.number,
        openerId: input.openerId,
        categoryId: input.categoryId ?? null,
        channelId: input.channelId ?? null,
        topic: input.topic ?? null,
        answers: input.answers ?? {},
        priority: input.priority ?? 'normal',
        columnId,
        position: generateKeyBetween(last?.position ?? null, null),
      })
      .returning();
    if (!ticket) throw new Error('ticket insert returned nothing');
    const seq = await appendEvent(tx, {
      guildId: input.guildId,
      ticketId: ticket.id,
      kind: 'ticket.created',
      actorId: input.actorId ?? input.openerId,
      data: { number: ticket.number },
    });
    return { ticket, seq };
  });
}
