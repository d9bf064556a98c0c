import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatabaseHandle } from '@ticketflow/db/client';
import { createJobWorker, type JobRun, JobStopped } from '@ticketflow/db/job-worker';
import {
  ArchiveWriter,
  clearArchive,
  EXPORT_HANDED_BACK,
} from '@ticketflow/db/repositories/data-requests';
import { eraseGuild } from '@ticketflow/db/repositories/erasure';
import { getGuild } from '@ticketflow/db/repositories/guilds';
import { reencryptAll } from '@ticketflow/db/repositories/reencrypt';
import { purgeExpired } from '@ticketflow/db/repositories/retention';
import { auditLog, dataRequests } from '@ticketflow/db/schema';
import { and, eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { z } from 'zod';
import { buildExport } from './data-export.ts';

/** How long an export archive can be downloaded. */
export const EXPORT_TTL_MS = 24 * 60 * 60 * 1000;

const exportPayload = z.object({ requestId: z.uuid(), guildId: z.string().regex(/^\d+$/) });
const guildPayload = z.object({ guildId: z.string().regex(/^\d+$/) });

interface DataJobContext {
  database: DatabaseHandle;
  dataDir: string;
  log: Pick<Logger, 'error' | 'info'>;
}
/** A data job; returning `next` schedules the same job again then (daily retention). */
type DataJob = JobRun<DataJobContext>;

export const RETENTION_JOB = { kind: 'retention', key: 'retention' } as const;
export const REENCRYPT_JOB = { kind: 'reencrypt', key: 'reencrypt' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Thrown when a person's erasure sent the export being built back to pending. */
class ExportRestarted extends Error {}

/**
 * Builds an export archive into Postgres (export_chunks), recording progress
 * on its request; what a failed or interrupted attempt stored is cleared first.
 * A person erased while it is built sends the request back to pending
 * (restartExports): what was read may hold them, so it is built again.
 */
const exportJob: DataJob = async (job, { database, log }, signal) => {
  const { db } = database;
  const { requestId, guildId } = exportPayload.parse(job.payload);
  const mine = and(eq(dataRequests.id, requestId), eq(dataRequests.status, 'running'));
  // Pieces are stored only by an earlier attempt (interrupted) or build (restarted).
  for (let again = job.attempts > 1; ; again = true) {
    await db
      .update(dataRequests)
      // Its note (why it is built again) stays until it is done.
      .set({ status: 'running', progress: 0 })
      .where(eq(dataRequests.id, requestId));
    if (again) await clearArchive(db, requestId);
    try {
      const result = await buildExport(db, {
        guildId,
        out: new ArchiveWriter(db, requestId),
        onProgress: async (percent) => {
          // Another worker has the job now (this one stalled past its lease): it builds the archive.
          signal.throwIfAborted();
          const still = await db
            .update(dataRequests)
            .set({ progress: percent })
            .where(mine)
            .returning({ id: dataRequests.id });
          if (still.length === 0) throw new ExportRestarted();
        },
      });
      signal.throwIfAborted();
      const finished = await db
        .update(dataRequests)
        .set({
          status: 'done',
          progress: 100,
          error: null,
          archiveBytes: result.bytes,
          completedAt: sql`now()`,
          expiresAt: new Date(Date.now() + EXPORT_TTL_MS),
        })
        .where(mine)
        .returning({ id: dataRequests.id });
      if (finished.length > 0) {
        log.info({ requestId, guildId, ...result }, 'export built');
        return undefined;
      }
    } catch (error) {
      if (signal.reason instanceof JobStopped) {
        // Handed back (its process is stopping): the Data page says so, not a frozen percentage.
        await db
          .update(dataRequests)
          .set({ status: 'pending', progress: 0, error: EXPORT_HANDED_BACK })
          .where(mine);
      }
      if (signal.aborted) throw error;
      // Storing a piece of a request erased with its server fails (its foreign
      // key): that is how the build ends then, not a failure to report.
      if (!(error instanceof ExportRestarted) && (await exportStatus(db, requestId)) !== undefined)
        throw error;
    }
    // No longer running: built again if a person's erasure sent it back to
    // pending; otherwise (the request went with its server) there is nothing to do.
    const now = await exportStatus(db, requestId);
    if (now === undefined) {
      log.info({ requestId, guildId }, 'export stopped: its server was erased while it was built');
      return undefined;
    }
    if (now !== 'pending') return undefined;
    log.info({ requestId, guildId }, 'export built again: a person was erased while it was built');
  }
};

/** A data request's status; undefined once it is gone (erased with its server). */
async function exportStatus(db: DatabaseHandle['db'], requestId: string) {
  const [row] = await db
    .select({ status: dataRequests.status })
    .from(dataRequests)
    .where(eq(dataRequests.id, requestId));
  return row?.status;
}

/**
 * 30 days after the bot left a server (the job markGuildLeft scheduled),
 * its data is erased, unless the bot came back (re-joining cancels the job;
 * the check here covers a job already claimed).
 */
const purgeGuildJob: DataJob = async (job, { database, log }) => {
  const { guildId } = guildPayload.parse({ guildId: job.guildId ?? job.payload.guildId });
  const guild = await getGuild(database.db, guildId);
  if (!guild?.leftAt) return undefined;
  const counts = await eraseGuild(database.db, guildId);
  await database.db.insert(auditLog).values({
    guildId: null,
    action: 'guild.purged',
    targetType: 'guild',
    targetId: guildId,
    data: { counts, reason: 'the bot was removed 30 days ago' },
  });
  log.info({ guildId, counts }, 'purged a server the bot left');
  return undefined;
};

/**
 * The daily retention purge (archives past their expiry included). Archives
 * were files under DATA_DIR/exports before they moved into Postgres: any
 * left there from then are deleted too.
 */
const retentionJob: DataJob = async (_job, { database, dataDir, log }) => {
  const result = await purgeExpired(database.db);
  await rm(join(dataDir, 'exports'), { recursive: true, force: true });
  log.info(result, 'retention purge');
  return { next: new Date(Date.now() + DAY_MS) };
};

/** Moves every encrypted value to the current key (after ENCRYPTION_KEYS gained a new first key). */
const reencryptJob: DataJob = async (_job, { database, log }, signal) => {
  const rewritten = await reencryptAll(database.db, {
    signal,
    onProgress: (table, done) => log.info({ table, done }, 're-encrypting'),
  });
  log.info({ rewritten }, 're-encryption finished');
  return undefined;
};

export const dataJobs: Record<string, DataJob> = {
  export: exportJob,
  'purge-guild': purgeGuildJob,
  [RETENTION_JOB.kind]: retentionJob,
  [REENCRYPT_JOB.kind]: reencryptJob,
};

/**
 * Runs the data-rights jobs in a server process: exports (stored in
 * Postgres, so any replica builds and any serves them), the
 * 30-day purge of servers the bot left, the daily retention purge and
 * re-encryption after a key rotation. They are rows in `jobs`, so a restart
 * loses none, and any replica may take one.
 */
export function createDataJobWorker(
  options: DataJobContext & { workerId: string; pollMs?: number },
) {
  const { db } = options.database;
  return createJobWorker<DataJobContext>({
    name: 'data-jobs',
    db,
    bus: options.database.bus,
    log: options.log,
    workerId: options.workerId,
    handlers: dataJobs,
    context: options,
    concurrency: 1,
    pollMs: options.pollMs ?? 5_000,
    leaseMs: 15 * 60_000,
    onFailure: async (job, error) => {
      const message = (error instanceof Error ? error.message : String(error)).slice(0, 500);
      options.log.error({ err: error, jobId: job.id, kind: job.kind }, 'data job failed');
      const parsed = exportPayload.safeParse(job.payload);
      if (job.kind === 'export' && parsed.success) {
        await db
          .update(dataRequests)
          .set({ status: 'failed', error: message, completedAt: sql`now()` })
          .where(eq(dataRequests.id, parsed.data.requestId));
        await clearArchive(db, parsed.data.requestId);
        return { retryInMs: null, detail: { message } };
      }
      // Retention, re-encryption and purges are safe to run again: later rather than never.
      return {
        retryInMs: job.attempts < 5 ? 60_000 * 2 ** job.attempts : null,
        detail: { message },
      };
    },
  });
}
