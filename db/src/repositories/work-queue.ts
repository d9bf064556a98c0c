import { and, eq, inArray, lt, lte, or, sql } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import type { Executor } from '../client.ts';
import { type jobs, outbox, type WorkError } from '../schema.ts';

/**
 * Claim / complete / retry / fail, shared by the outbox and the jobs table:
 * both are queues of rows with a due time, a status and a lease.
 */
type QueueTable = typeof outbox | typeof jobs;

export interface ClaimOptions {
  workerId: string;
  limit?: number;
  /** How long the claim holds; an item not finished by then can be claimed again. */
  leaseMs?: number;
  kinds?: string[];
}

export interface Lease {
  id: number;
  workerId: string;
}

/** A time `ms` from now, in the database's clock (which every worker shares). */
const fromNow = (ms: number) =>
  sql`now() + ${`${Math.max(0, Math.round(ms))} milliseconds`}::interval`;

/**
 * Claims up to `limit` due items: pending ones whose time has come and running
 * ones whose lease has expired. `FOR UPDATE SKIP LOCKED` lets many workers
 * claim at once without ever receiving the same item.
 */
export async function claimDue<T extends QueueTable>(
  db: Executor,
  table: T,
  options: ClaimOptions,
  inOrderPerTicket = false,
): Promise<T['$inferSelect'][]> {
  // The two tables share these columns; one concrete type keeps Drizzle's inference simple.
  const t = table as typeof jobs;
  const ready = or(
    and(eq(t.status, 'pending'), lte(t.runAt, sql`now()`)),
    and(eq(t.status, 'running'), lt(t.lockedUntil, sql`now()`)),
  );
  // One ticket's items run one at a time, oldest first: a reply never overtakes an earlier one.
  const due = inOrderPerTicket
    ? and(
        ready,
        sql`not exists (select 1 from ${outbox} as earlier
          where earlier.ticket_id = ${outbox.ticketId} and earlier.id < ${outbox.id}
          and earlier.status in ('pending', 'running'))`,
      )
    : ready;
  const candidates = db
    .select({ id: t.id })
    .from(t)
    .where(options.kinds ? and(due, inArray(t.kind, options.kinds)) : due)
    .orderBy(t.runAt, t.id)
    .limit(options.limit ?? 10)
    .for('update', { skipLocked: true });
  const leaseMs = options.leaseMs ?? 30_000;
  const claimed = await db
    .update(t)
    .set({
      status: 'running',
      lockedBy: options.workerId,
      lockedUntil: fromNow(leaseMs),
      attempts: sql`${t.attempts} + 1`,
    })
    .where(inArray(t.id, candidates))
    .returning();
  return claimed.sort((a, b) => a.runAt.getTime() - b.runAt.getTime() || a.id - b.id);
}

function ownLease(t: typeof jobs, lease: Lease) {
  return and(eq(t.id, lease.id), eq(t.status, 'running'), eq(t.lockedBy, lease.workerId));
}

/** Changes a claimed item while this worker's lease on it holds; false when it was lost (expired and re-claimed). */
async function updateClaimed(
  db: Executor,
  table: QueueTable,
  lease: Lease,
  set: PgUpdateSetSource<typeof jobs>,
) {
  const t = table as typeof jobs;
  const rows = await db.update(t).set(set).where(ownLease(t, lease)).returning({ id: t.id });
  return rows.length === 1;
}

/** Marks a claimed item done. False when the lease was lost (expired and re-claimed). */
export function completeClaimed(db: Executor, table: QueueTable, lease: Lease) {
  return updateClaimed(db, table, lease, {
    status: 'done',
    lockedBy: null,
    lockedUntil: null,
    completedAt: sql`now()`,
  });
}

/**
 * Pushes a claimed item's lease to `leaseMs` from now, for work that takes
 * longer than one lease (a large export). False when the lease was already lost.
 */
export function extendClaimed(db: Executor, table: QueueTable, lease: Lease, leaseMs: number) {
  return updateClaimed(db, table, lease, { lockedUntil: fromNow(leaseMs) });
}

/** Puts a claimed item back to run again after `delayMs`, remembering why it failed. */
export function retryClaimed(
  db: Executor,
  table: QueueTable,
  lease: Lease,
  delayMs: number,
  error: WorkError,
) {
  return updateClaimed(db, table, lease, {
    status: 'pending',
    lockedBy: null,
    lockedUntil: null,
    lastError: error,
    runAt: fromNow(delayMs),
  });
}

/** Gives up on a claimed item for good; the error is kept for the dashboard. */
export function failClaimed(db: Executor, table: QueueTable, lease: Lease, error: WorkError) {
  return updateClaimed(db, table, lease, {
    status: 'failed',
    lockedBy: null,
    lockedUntil: null,
    lastError: error,
    completedAt: sql`now()`,
  });
}

/** The queue operations bound to one table. */
export function workQueue<T extends QueueTable>(table: T, inOrderPerTicket = false) {
  return {
    /** Claims due items for one worker (see claimDue). */
    claim: (db: Executor, options: ClaimOptions) => claimDue(db, table, options, inOrderPerTicket),
    /** Marks a claimed item done; false when its lease was lost. */
    complete: (db: Executor, lease: Lease) => completeClaimed(db, table, lease),
    /** Keeps a claimed item's lease for `leaseMs` more; false when it was lost. */
    extend: (db: Executor, lease: Lease, leaseMs: number) =>
      extendClaimed(db, table, lease, leaseMs),
    /** Returns a claimed item to the queue, due again after `delayMs`. */
    retry: (db: Executor, lease: Lease, delayMs: number, error: WorkError) =>
      retryClaimed(db, table, lease, delayMs, error),
    /** Fails a claimed item for good, keeping the reason. */
    fail: (db: Executor, lease: Lease, error: WorkError) => failClaimed(db, table, lease, error),
  };
}
