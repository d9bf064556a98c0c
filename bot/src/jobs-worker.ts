import type { EventBus } from '@ticketflow/db/bus';
import type { Executor } from '@ticketflow/db/client';
import {
  createJobWorker as createJobLoop,
  type JobRow,
  type JobRun,
} from '@ticketflow/db/job-worker';
import { DiscordAPIError, type REST } from 'discord.js';
import { RESTJSONErrorCodes, Routes } from 'discord-api-types/v10';
import type { Logger } from 'pino';
import { z } from 'zod';
import { classify, retryDelay } from './outbox-worker.ts';

export type { JobRow };
export interface JobContext {
  db: Executor;
  rest: REST;
  log: Logger;
}
/** A job; returning `next` runs it again then (a recurring job, one row at a time). */
export type JobHandler = JobRun<JobContext>;

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
 * Runs scheduled work stored as rows (close delays, close requests, the
 * auto-close sweep): whichever bot process is alive picks a job up when it is
 * due, so a restart in between loses nothing. Only kinds this process has a
 * handler for are claimed. A Discord error that may pass is retried with
 * backoff (Retry-After honoured), at most `maxAttempts` times.
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
  const maxAttempts = options.maxAttempts ?? 5;
  return createJobLoop<JobContext>({
    name: 'jobs',
    db: options.db,
    bus: options.bus,
    log: options.log,
    workerId: options.workerId,
    handlers: options.handlers ?? defaultJobHandlers,
    context: options,
    ...(options.pollMs ? { pollMs: options.pollMs } : {}),
    onFailure: (job, error) => {
      const verdict = classify(error);
      options.log.warn({ jobId: job.id, kind: job.kind, ...verdict.detail }, 'job failed');
      return {
        retryInMs:
          verdict.retry && job.attempts < maxAttempts
            ? retryDelay(job.attempts, 1_000, 300_000, verdict.retryAfterMs)
            : null,
        detail: verdict.detail,
      };
    },
  });
}
