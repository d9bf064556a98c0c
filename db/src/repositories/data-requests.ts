import { Writable } from 'node:stream';
import { and, eq, inArray, type SQL, sql } from 'drizzle-orm';
import { type Executor, execute } from '../client.ts';
import { openBytes, sealBytes } from '../crypto.ts';
import { auditLog, dataRequests, exportChunks } from '../schema.ts';
import { scheduleJob } from './jobs.ts';

/** An export archive is stored in pieces of this size (the last one smaller). */
export const ARCHIVE_CHUNK_BYTES = 1 << 20;

/**
 * An admin asks for an export of their server (on the web or with
 * `/ticketflow export`): a request row, the background job that builds the
 * archive, and the audit entry, in one transaction. One export at a time per
 * server: asking while one is under way returns that one.
 */
export async function requestExport(
  db: Executor,
  input: { guildId: string; userId: string; ip?: string | null; userAgent?: string | null },
) {
  return db.transaction(async (tx) => {
    const [running] = await tx
      .select()
      .from(dataRequests)
      .where(
        and(
          eq(dataRequests.guildId, input.guildId),
          eq(dataRequests.kind, 'export'),
          inArray(dataRequests.status, ['pending', 'running']),
        ),
      )
      .for('update');
    if (running) return { request: running, created: false };
    const [request] = await tx
      .insert(dataRequests)
      .values({ guildId: input.guildId, kind: 'export', requestedBy: input.userId })
      .returning();
    if (!request) throw new Error('data request insert returned nothing');
    await scheduleJob(tx, {
      kind: 'export',
      key: `export:${request.id}`,
      guildId: input.guildId,
      runAt: new Date(),
      payload: { requestId: request.id, guildId: input.guildId },
    });
    await tx.insert(auditLog).values({
      guildId: input.guildId,
      actorId: input.userId,
      action: 'export.requested',
      targetType: 'data_request',
      targetId: request.id,
      ip: input.ip ?? null,
      userAgent: input.userAgent ?? null,
    });
    return { request, created: true };
  });
}

/**
 * Stores an export's archive as it is written: a MiB at a time, each piece
 * sealed with the encryption key, in `export_chunks` (so any server replica
 * can serve it). A write waits for its piece to be stored, so a slow database
 * slows the archive down instead of filling memory. `bytes` counts what was written.
 */
export class ArchiveWriter extends Writable {
  bytes = 0;
  private readonly db: Executor;
  private readonly requestId: string;
  private parts: Buffer[] = [];
  private buffered = 0;
  private seq = 0;

  constructor(db: Executor, requestId: string) {
    super();
    this.db = db;
    this.requestId = requestId;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void) {
    this.parts.push(chunk);
    this.buffered += chunk.length;
    this.bytes += chunk.length;
    if (this.buffered < ARCHIVE_CHUNK_BYTES) return done();
    this.store(false).then(() => done(), done);
  }

  override _final(done: (error?: Error | null) => void) {
    this.store(true).then(() => done(), done);
  }

  /** Stores every full piece buffered (and the rest, at the end). */
  private async store(end: boolean) {
    let all = Buffer.concat(this.parts);
    while (all.length >= ARCHIVE_CHUNK_BYTES || (end && all.length > 0)) {
      const piece = all.subarray(0, ARCHIVE_CHUNK_BYTES);
      all = all.subarray(piece.length);
      const { id, sealed } = sealBytes(piece);
      await this.db
        .insert(exportChunks)
        .values({ requestId: this.requestId, seq: this.seq++, keyId: id, data: sealed });
    }
    this.parts = all.length > 0 ? [all] : [];
    this.buffered = all.length;
  }
}

/**
 * Deletes the built archives of the exports `which` picks (a condition on
 * `data_requests`: expired, or of a guild whose person was erased) and marks
 * them so; how many.
 */
export async function dropArchives(db: Executor, which: SQL): Promise<number> {
  const { rows } = await execute<{ id: string }>(
    db,
    sql`with dropped as (
        update data_requests set archive_bytes = null
        where kind = 'export' and archive_bytes is not null and ${which}
        returning id
      ), pieces as (
        delete from export_chunks c using dropped d where c.request_id = d.id
      )
      select id from dropped`,
  );
  return rows.length;
}

/** What the Data page says of an export sent back by an erasure (restartExports). */
export const EXPORT_RESTARTED =
  "Built again: a person's data was erased while it was being built, and the archive must not hold it.";
/** What it says of an export handed back by a process that was stopping. */
export const EXPORT_HANDED_BACK =
  'Built again from the start: the server building it was stopping.';

/**
 * Sends the exports `which` picks that are being built back to pending (a
 * person's data was erased while they read it: what they already read may
 * hold it). The job sees its request is no longer running when it next
 * reports progress or finishes, and builds the archive again; how many.
 * Run it before dropArchives in the same transaction: an export that finishes
 * in between is then dropped, one that finishes after is built again.
 */
export async function restartExports(db: Executor, which: SQL): Promise<number> {
  const { rowCount } = await execute(
    db,
    sql`update data_requests set status = 'pending', progress = 0, error = ${EXPORT_RESTARTED}
      where kind = 'export' and status = 'running' and ${which}`,
  );
  return rowCount;
}

/** Deletes what is stored of an export's archive (before a retry builds it again). */
export async function clearArchive(db: Executor, requestId: string): Promise<void> {
  await db.delete(exportChunks).where(eq(exportChunks.requestId, requestId));
}

/** An export's archive, piece by piece, in order (one piece in memory at a time). */
export async function* readArchive(db: Executor, requestId: string): AsyncGenerator<Buffer> {
  for (let seq = 0; ; seq++) {
    const [piece] = await db
      .select({ keyId: exportChunks.keyId, data: exportChunks.data })
      .from(exportChunks)
      .where(and(eq(exportChunks.requestId, requestId), eq(exportChunks.seq, seq)));
    if (!piece) return;
    yield openBytes(piece.keyId, piece.data);
  }
}
