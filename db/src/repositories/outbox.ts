import { channels, publish } from '../bus.ts';
import type { Transaction } from '../client.ts';
import { outbox } from '../schema.ts';
import { workQueue } from './work-queue.ts';

export interface OutboxInput {
  guildId: string;
  ticketId?: string | null;
  /** What to do in Discord: `reply`, `close`, `rename`, … */
  kind: string;
  payload?: Record<string, unknown>;
}

/**
 * Queues something for Discord in the caller's transaction, so it exists if and
 * only if the user-visible change beside it does; bot workers are woken on commit.
 */
export async function enqueueOutbox(tx: Transaction, input: OutboxInput) {
  const [item] = await tx
    .insert(outbox)
    .values({
      guildId: input.guildId,
      ticketId: input.ticketId ?? null,
      kind: input.kind,
      payload: input.payload ?? {},
    })
    .returning();
  if (!item) throw new Error('outbox insert returned nothing');
  await publish(tx, channels.outbox, { id: item.id, guildId: item.guildId });
  return item;
}

/** Claim, complete, retry and fail for the outbox, one item at a time per ticket (see work-queue.ts). */
export const outboxQueue = workQueue(outbox, true);
