import { channels, publish } from '../bus.ts';
import type { Executor, Transaction } from '../client.ts';
import { outbox, type WorkError } from '../schema.ts';
import {
  type ClaimOptions,
  claimDue,
  completeClaimed,
  failClaimed,
  type Lease,
  retryClaimed,
} from './work-queue.ts';

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

/** Claims due outbox items for one worker (see claimDue). */
export function claimOutbox(db: Executor, options: ClaimOptions) {
  return claimDue(db, outbox, options);
}

/** Marks a claimed outbox item done; false when its lease was lost. */
export const completeOutbox = (db: Executor, lease: Lease) => completeClaimed(db, outbox, lease);

/** Returns a claimed outbox item to the queue, due again after `delayMs`. */
export const retryOutbox = (db: Executor, lease: Lease, delayMs: number, error: WorkError) =>
  retryClaimed(db, outbox, lease, delayMs, error);

/** Fails a claimed outbox item for good, keeping the reason. */
export const failOutbox = (db: Executor, lease: Lease, error: WorkError) =>
  failClaimed(db, outbox, lease, error);
