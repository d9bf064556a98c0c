import type { Executor } from '@ticketflow/db/client';
import { isTransientDatabaseError } from '@ticketflow/db/errors';
import { findTicketByChannel } from '@ticketflow/db/repositories/tickets';

export interface TicketRef {
  ticketId: string;
  guildId: string;
}

/**
 * Which ticket a channel belongs to, cached: most channels a bot sees are not
 * tickets, and each message would otherwise cost a query. A "not a ticket"
 * answer expires quickly, in case another process just opened one there.
 * While the database cannot be reached, a channel once found not to be a
 * ticket is taken to be still none (the bot remembers the tickets it opens at
 * once), so the traffic of ordinary channels is not held in memory waiting
 * for the database; any other channel waits for it (Mirror).
 */
export class TicketDirectory {
  private readonly known = new Map<string, { ref: TicketRef | null; until: number }>();
  private readonly db: Executor;
  private readonly negativeTtlMs: number;

  constructor(db: Executor, negativeTtlMs = 30_000) {
    this.db = db;
    this.negativeTtlMs = negativeTtlMs;
  }

  async lookup(channelId: string): Promise<TicketRef | null> {
    const hit = this.known.get(channelId);
    if (hit && hit.until > Date.now()) return hit.ref;
    let ticket: Awaited<ReturnType<typeof findTicketByChannel>>;
    try {
      ticket = await findTicketByChannel(this.db, channelId);
    } catch (error) {
      if (hit?.ref === null && isTransientDatabaseError(error)) return null;
      throw error;
    }
    const ref = ticket ? { ticketId: ticket.id, guildId: ticket.guildId } : null;
    this.known.set(channelId, {
      ref,
      until: ref ? Number.POSITIVE_INFINITY : Date.now() + this.negativeTtlMs,
    });
    if (this.known.size > 100_000) this.known.clear();
    return ref;
  }

  remember(channelId: string, ref: TicketRef): void {
    this.known.set(channelId, { ref, until: Number.POSITIVE_INFINITY });
  }

  forget(channelId: string): void {
    this.known.delete(channelId);
  }
}
