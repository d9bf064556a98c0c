import type { Executor } from '@ticketflow/db/client';
import { findTicketByChannel } from '@ticketflow/db/repositories/tickets';

export interface TicketRef {
  ticketId: string;
  guildId: string;
}

/**
 * Which ticket a channel belongs to, cached: most channels a bot sees are not
 * tickets, and each message would otherwise cost a query. A "not a ticket"
 * answer expires quickly, in case another process just opened one there.
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
    const ticket = await findTicketByChannel(this.db, channelId);
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
