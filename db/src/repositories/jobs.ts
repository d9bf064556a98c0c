import { and, eq, sql } from 'drizzle-orm';
import { channels, publish } from '../bus.ts';
import type { Executor } from '../client.ts';
import { jobs } from '../schema.ts';
import { workQueue } from './work-queue.ts';

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

/** Claim, complete, retry and fail for the jobs (see work-queue.ts). */
export const jobQueue = workQueue(jobs);
