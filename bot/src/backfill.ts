import type { Executor } from '@ticketflow/db/client';
import { isTransientDatabaseError } from '@ticketflow/db/errors';
import { closeTicket, listOpenTicketChannels } from '@ticketflow/db/repositories/tickets';
import { DiscordAPIError, type REST } from 'discord.js';
import { RESTJSONErrorCodes, Routes } from 'discord-api-types/v10';
import type { Logger } from 'pino';
import { CHANNEL_DELETED_REASON, type Mirror } from './mirror.ts';
import { messagePayload } from './payloads.ts';

export interface BackfillResult {
  tickets: number;
  messages: number;
  closed: number;
}

interface BackfillOptions {
  db: Executor;
  rest: REST;
  mirror: Mirror;
  log: Logger;
  guildIds?: string[];
  /** Channels read at once. */
  concurrency?: number;
}

/** At most `limit` tasks at once. */
function limiter(limit: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((r) => waiting.push(r));
    active += 1;
    try {
      return await task();
    } finally {
      active -= 1;
      waiting.shift()?.();
    }
  };
}

/**
 * Reads each open ticket's channel forward from its newest stored message, a
 * page of 100 at a time, until caught up, so nothing sent while the bot was
 * away is missed. A ticket whose channel is gone is closed with that reason.
 *
 * Each channel's catch-up runs in that channel's mirror queue, queued while
 * live packets are held, so a live message is never stored before older ones
 * of its channel (the stored newest id stays a safe place to resume from).
 */
export async function backfill(options: BackfillOptions): Promise<BackfillResult> {
  const release = options.mirror.hold();
  let open: Awaited<ReturnType<typeof listOpenTicketChannels>>;
  try {
    open = await listOpenTicketChannels(options.db, options.guildIds);
  } catch (error) {
    release();
    throw error;
  }
  const result: BackfillResult = { tickets: open.length, messages: 0, closed: 0 };
  const limit = limiter(options.concurrency ?? 4);
  const done = open.map((ticket) =>
    options.mirror.runInChannel(ticket.channelId, () =>
      limit(async () => {
        const ref = { ticketId: ticket.id, guildId: ticket.guildId };
        let after = ticket.lastMessageId ?? '0';
        try {
          for (;;) {
            const page = (await options.rest.get(Routes.channelMessages(ticket.channelId), {
              query: new URLSearchParams({ after, limit: '100' }),
            })) as unknown[];
            const messages = page
              .map((m) => messagePayload.safeParse(m))
              .flatMap((r) => (r.success ? [r.data] : []))
              .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
            await options.mirror.storeMany(ref, messages);
            result.messages += messages.length;
            const last = messages.at(-1);
            if (page.length < 100 || !last) break;
            after = last.id;
          }
        } catch (error) {
          if (
            error instanceof DiscordAPIError &&
            error.code === RESTJSONErrorCodes.UnknownChannel
          ) {
            await closeTicket(options.db, { ticketId: ticket.id, reason: CHANNEL_DELETED_REASON });
            result.closed += 1;
          } else if (isTransientDatabaseError(error)) {
            // The mirror tries the channel's catch-up again once the database answers.
            throw error;
          } else {
            options.log.error(
              { err: error, ticketId: ticket.id },
              'backfill of a ticket channel failed',
            );
          }
        }
      }),
    ),
  );
  // Every catch-up is queued: the held live packets can go in behind them.
  release();
  await Promise.all(done);
  return result;
}
