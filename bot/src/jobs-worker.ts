import { channels, type EventBus } from '@ticketflow/db/bus';
import type { Executor } from '@ticketflow/db/client';
import { QueueWorker } from '@ticketflow/db/queue-worker';
import { jobQueue, scheduleJob } from '@ticketflow/db/repositories/jobs';
import type { jobs } from '@ticketflow/db/schema';
import { DiscordAPIError, type REST } from 'discord.js';
import { RESTJSONErrorCodes, Routes } from 'discord-api-types/v10';
import type { Logger } from 'pino';
import { z } from 'zod';
import { classify, retryDelay } from './outbox-worker.ts';

export type JobRow = typeof jobs.$inferSelect;
export interface JobContext {
  db: Executor;
  rest: REST;
  log: Logger;
}
/** A job; returning `next` runs it again then (a recurring job, one row at a time). */
// biome-ignore lint/suspicious/noConfusingVoidType: most jobs return nothing; a recurring one returns when to run next.
export type JobHandler = (job: JobRow, ctx: JobContext) => Promise<void | { next: Date }>;

const deleteChannelPayload = z.object({
  channelId: z.string().regex(/^\d+$/),
  ticketId: z.string().uuid(),
});

/** Deletes a closed ticket's channel once its close delay has passed; a channel already gone is fine. */
export const deleteChannelJob: JobHandler = async (job, { rest }) => {
  const { channelId } = deleteChannelPayload.parse(job.payload);
  try {
    await rest.delete(Routes.channel(channelId), { reason: 'TicketFlow: ticket closed' });
  } catch (error) {
    if (error instanceof DiscordAPIError && error.code === RESTJSONErrorCodes.UnknownChannel)
      return;
    throw error;
  }
};

export const defaultJobHandlers: Record<string, JobHandler> = {
  'delete-channel': deleteChannelJob,
};

/**
 * Runs scheduled work stored as rows (close delays, and the data-rights
 * purges once they exist): whichever bot process is alive picks a job up when
 * it is due, so a restart in between loses nothing. Only kinds this process
 * has a handler for are claimed.
 */
export function createJobWorker(
  options: JobContext & {
    bus: EventBus;
    workerId: string;
    handlers?: Record<string, JobHandler>;
    pollMs?: number;
    maxAttempts?: number;
  },
) {
  const handlers = options.handlers ?? defaultJobHandlers;
  const maxAttempts = options.maxAttempts ?? 5;
  const again = new Map<number, Date>();
  return new QueueWorker<JobRow>({
    name: 'jobs',
    bus: options.bus,
    channel: channels.jobs,
    log: options.log,
    concurrency: 4,
    pollMs: options.pollMs ?? 1_000,
    claim: (limit) =>
      jobQueue.claim(options.db, {
        workerId: options.workerId,
        limit,
        leaseMs: 120_000,
        kinds: Object.keys(handlers),
      }),
    perform: async (job) => {
      const handler = handlers[job.kind];
      if (!handler) throw new Error(`no handler for job ${job.kind}`);
      const result = await handler(job, options);
      if (result?.next) again.set(job.id, result.next);
    },
    settle: async (job, error) => {
      const lease = { id: job.id, workerId: options.workerId };
      const next = again.get(job.id);
      again.delete(job.id);
      if (error === undefined) {
        await jobQueue.complete(options.db, lease);
        // Done first, so the key is free for the next run.
        if (next)
          await scheduleJob(options.db, {
            kind: job.kind,
            key: job.key ?? undefined,
            guildId: job.guildId,
            runAt: next,
            payload: job.payload,
          });
        return;
      }
      const verdict = classify(error);
      options.log.warn({ jobId: job.id, kind: job.kind, ...verdict.detail }, 'job failed');
      if (verdict.retry && job.attempts < maxAttempts) {
        await jobQueue.retry(
          options.db,
          lease,
          retryDelay(job.attempts, 1_000, 300_000, verdict.retryAfterMs),
          verdict.detail,
        );
      } else {
        await jobQueue.fail(options.db, lease, verdict.detail);
      }
    },
  });
}
