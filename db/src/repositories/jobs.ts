import { and, eq, sql } from 'drizzle-orm';
import { channels, publish } from '../bus.ts';
import type { Executor } from '../client.ts';
import { jobs, type WorkError } from '../schema.ts';
import {
  type ClaimOptions,
  claimDue,
  completeClaimed,
  failClaimed,
  type Lease,
  retryClaimed,
} from './work-queue.ts';

export interface JobInput {
  kind: string;
  runAt: Date;
  /** At most one pending job per key: scheduling the same key again moves it. */
  key?: string;
  guildId?: string | null;
  payload?: Record<string, unknown>;
}

/** Schedules (or, for an existing key, reschedules) a job; it survives restarts because it is a row. */
export async function scheduleJob(db: Executor, input: JobInput) {
  return db.transaction(async (tx) => {
    const values = {
      kind: input.kind,
      key: input.key ?? null,
      runAt: input.runAt,
      guildId: input.guildId ?? null,
      payload: input.payload ?? {},
    };
    const insert = tx.insert(jobs).values(values);
    const [job] = await (input.key
      ? insert.onConflictDoUpdate({
          target: jobs.key,
          targetWhere: sql`${jobs.status} in ('pending', 'running')`,
          set: { runAt: input.runAt, payload: values.payload, kind: input.kind },
        })
      : insert
    ).returning();
    if (!job) throw new Error('job insert returned nothing');
    await publish(tx, channels.jobs, { id: job.id });
    return job;
  });
}

/** Cancels the pending job with this key, if any; true when one was cancelled. */
export async function cancelJob(db: Executor, key: string): Promise<boolean> {
  const rows = await db
    .update(jobs)
    .set({ status: 'cancelled', completedAt: sql`now()` })
    .where(and(eq(jobs.key, key), eq(jobs.status, 'pending')))
    .returning({ id: jobs.id });
  return rows.length > 0;
}

/** Claims due jobs for one worker (see claimDue). */
export function claimJobs(db: Executor, options: ClaimOptions) {
  return claimDue(db, jobs, options);
}

/** Marks a claimed jobs item done; false when its lease was lost. */
export const completeJob = (db: Executor, lease: Lease) => completeClaimed(db, jobs, lease);

/** Returns a claimed jobs item to the queue, due again after `delayMs`. */
export const retryJob = (db: Executor, lease: Lease, delayMs: number, error: WorkError) =>
  retryClaimed(db, jobs, lease, delayMs, error);

/** Fails a claimed jobs item for good, keeping the reason. */
export const failJob = (db: Executor, lease: Lease, error: WorkError) =>
  failClaimed(db, jobs, lease, error);
