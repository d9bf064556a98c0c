import type { Executor } from '../client.ts';
import { cancelJob, scheduleJob } from './jobs.ts';
import { enqueueOutbox, type OutboxInput } from './outbox.ts';
import { type CloseInput, closeTicket, reopenTicket } from './tickets.ts';

export const deleteChannelKey = (ticketId: string) => `delete-channel:${ticketId}`;

/**
 * Closes a ticket and schedules its channel's deletion in one transaction;
 * with `discord`, also the outbox item that does the Discord side (a close
 * asked for on the dashboard). Undefined when it was already closed.
 */
export async function closeAndScheduleDeletion(
  db: Executor,
  input: CloseInput & { guildId: string; channelId: string | null; delaySeconds: number },
  discord?: Omit<OutboxInput, 'guildId' | 'ticketId'>,
) {
  return db.transaction(async (tx) => {
    const done = await closeTicket(tx, input);
    if (!done) return undefined;
    if (input.channelId) {
      await scheduleJob(tx, {
        kind: 'delete-channel',
        key: deleteChannelKey(input.ticketId),
        guildId: input.guildId,
        runAt: new Date(Date.now() + input.delaySeconds * 1000),
        payload: { channelId: input.channelId, ticketId: input.ticketId },
      });
    }
    if (discord)
      await enqueueOutbox(tx, { ...discord, guildId: input.guildId, ticketId: input.ticketId });
    return done;
  });
}

/** Reopens a closed ticket and calls off its channel's deletion (and, with `discord`, queues the Discord side). */
export async function reopenAndKeepChannel(
  db: Executor,
  input: { ticketId: string; actorId: string | null; moveToOpenColumn?: boolean },
  discord?: Omit<OutboxInput, 'guildId' | 'ticketId'>,
) {
  return db.transaction(async (tx) => {
    const done = await reopenTicket(tx, input.ticketId, input.actorId, input.moveToOpenColumn);
    if (!done) return undefined;
    await cancelJob(tx, deleteChannelKey(input.ticketId));
    if (discord) {
      await enqueueOutbox(tx, {
        ...discord,
        guildId: done.ticket.guildId,
        ticketId: input.ticketId,
      });
    }
    return done;
  });
}
