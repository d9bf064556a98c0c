import { channels, type EventBus } from './bus.ts';
import type { Executor } from './client.ts';
import { type QueueLog, QueueWorker } from './queue-worker.ts';
import { jobQueue, scheduleJob } from './repositories/jobs.ts';
import type { jobs, WorkError } from './schema.ts';

export type JobRow = typeof jobs.$inferSelect;

/**
 * A job; returning `next` runs it again then (a recurring job, one row at a
 * time). `signal` is aborted when the job's lease was lost (the process or
 * the database stalled for a whole lease and another worker claimed it): a
 * long job stops at its next step, and what it returns or throws is no
 * longer recorded. It is aborted too when the worker stops (its process is
 * shutting down): a job that stops then is handed back, due at once, for
 * another worker or the next start.
 */
export type JobRun<C> = (
  job: JobRow,
  ctx: C,
  signal: AbortSignal,
  // biome-ignore lint/suspicious/noConfusingVoidType: most jobs return nothing; a recurring one returns when to run next.
) => Promise<void | { next: Date } | undefined>;

/** The reason a job's signal gives when its worker stops. */
export class JobStopped extends Error {
  constructor() {
    super('stopped: its process was shutting down');
    this.name = 'JobStopped';
  }
}

/** What to do with a job that threw: try again after `retryInMs`, or (null) fail it for good. */
export interface JobFailure {
  retryInMs: number | null;
  detail: WorkError;
}

/**
 * The loop that runs scheduled jobs (rows in `jobs`, so a restart loses
 * nothing): claims due rows of the kinds it has handlers for, runs them,
 * schedules a recurring one's next run, and settles a failure as the caller's
 * `onFailure` decides; a job that runs longer than its lease keeps extending
 * it. The bot runs Discord's jobs with it, the server the
 * data-rights jobs; any number of processes share the table.
 */
export function createJobWorker<C>(options: {
  name: string;
  db: Executor;
  bus: EventBus;
  log: QueueLog;
  workerId: string;
  handlers: Record<string, JobRun<C>>;
  context: C;
  onFailure: (job: JobRow, error: unknown) => JobFailure | Promise<JobFailure>;
  concurrency?: number;
  pollMs?: number;
  leaseMs?: number;
}) {
  const { db } = options;
  const leaseMs = options.leaseMs ?? 120_000;
  const again = new Map<number, Date>();
  /** Jobs whose lease was lost while they ran: another worker has them. */
  const lost = new Set<number>();
  /** The jobs running now, to stop when the worker stops. */
  const running = new Map<number, AbortController>();
  let stopping = false;
  /** Jobs asked to stop because the worker stops: whatever they throw, they go back to the queue. */
  const stopped = new Set<number>();
  const stopJob = (id: number, held: AbortController) => {
    stopped.add(id);
    held.abort(new JobStopped());
  };
  return new QueueWorker<JobRow>({
    name: options.name,
    bus: options.bus,
    channel: channels.jobs,
    log: options.log,
    concurrency: options.concurrency ?? 4,
    pollMs: options.pollMs ?? 1_000,
    claim: (limit) =>
      jobQueue.claim(db, {
        workerId: options.workerId,
        limit,
        leaseMs,
        kinds: Object.keys(options.handlers),
      }),
    perform: async (job) => {
      const run = options.handlers[job.kind];
      if (!run) throw new Error(`no handler for job ${job.kind}`);
      // A job running longer than its lease keeps it: otherwise another
      // worker would claim it and run it a second time beside this one.
      const lease = { id: job.id, workerId: options.workerId };
      const held = new AbortController();
      const keep = setInterval(() => {
        jobQueue.extend(db, lease, leaseMs).then(
          (kept) => {
            if (kept || held.signal.aborted) return;
            lost.add(job.id);
            options.log.error(
              { queue: options.name, id: job.id },
              'lost a job lease: stopping it (another worker may have it)',
            );
            held.abort(new Error(`the lease of job ${job.id} was lost`));
          },
          (error: unknown) =>
            options.log.error(
              { err: error, queue: options.name, id: job.id },
              'could not extend a job lease; will try again',
            ),
        );
      }, leaseMs / 3);
      keep.unref();
      running.set(job.id, held);
      try {
        if (stopping) stopJob(job.id, held);
        const result = await run(job, options.context, held.signal);
        if (result?.next) again.set(job.id, result.next);
      } finally {
        clearInterval(keep);
        running.delete(job.id);
      }
    },
    onStop: () => {
      stopping = true;
      for (const [id, held] of running) stopJob(id, held);
    },
    settle: async (job, error) => {
      const lease = { id: job.id, workerId: options.workerId };
      const next = again.get(job.id);
      again.delete(job.id);
      const wasLost = lost.delete(job.id);
      const wasStopped = stopped.delete(job.id);
      if (error === undefined) {
        // Not ours any more (claimed by another worker, or gone with its guild):
        // whoever has it records its outcome and schedules its next run.
        const completed = !wasLost && (await jobQueue.complete(db, lease));
        // Done first, so the key is free for the next run.
        if (completed && next) {
          await scheduleJob(db, {
            kind: job.kind,
            ...(job.key ? { key: job.key } : {}),
            guildId: job.guildId,
            runAt: next,
            payload: job.payload,
          });
        }
        return;
      }
      // A failure of a job that is no longer ours (a stolen lease; its row erased
      // with its guild) is not this worker's to record: onFailure could undo
      // the work of the worker that has it now.
      if (wasLost || !(await jobQueue.extend(db, lease, leaseMs))) return;
      // Stopped with its process: not a failure; due again at once, for whoever runs next.
      if (wasStopped) {
        await jobQueue.retry(db, lease, 0, { message: new JobStopped().message });
        return;
      }
      const failure = await options.onFailure(job, error);
      if (failure.retryInMs !== null) {
        await jobQueue.retry(db, lease, failure.retryInMs, failure.detail);
      } else {
        await jobQueue.fail(db, lease, failure.detail);
      }
    },
  });
}
