import { and, eq, ne, or, type SQL, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Executor, Transaction } from '../client.ts';
import { currentKeyId, openBytes, sealBytes } from '../crypto.ts';
import { exportChunks, feedback, messages, sessions, tickets } from '../schema.ts';
import { messageTerms } from './messages.ts';
import { ticketTerms } from './tickets.ts';

interface EncryptedTable {
  name: string;
  table: PgTable;
  key: PgColumn;
  columns: Record<string, PgColumn>;
  /** The blind index to rebuild from the plaintext, if the table has one. */
  terms?: (row: Record<string, unknown>) => string[];
}

/** Every encrypted column, by table (a new encrypted column is added here). */
export const encryptedTables: EncryptedTable[] = [
  {
    name: 'messages',
    table: messages,
    key: messages.id,
    columns: {
      content: messages.content,
      attachments: messages.attachments,
      embeds: messages.embeds,
    },
    terms: (row) =>
      messageTerms(row.content as string, row.embeds as typeof messages.$inferSelect.embeds),
  },
  {
    name: 'tickets',
    table: tickets,
    key: tickets.id,
    columns: { topic: tickets.topic, answers: tickets.answers },
    terms: (row) => ticketTerms(row.topic as string | null, row.answers as Record<string, string>),
  },
  {
    name: 'feedback',
    table: feedback,
    key: feedback.ticketId,
    columns: { comment: feedback.comment },
  },
  {
    name: 'sessions',
    table: sessions,
    key: sessions.idHash,
    columns: { accessToken: sessions.accessToken, refreshToken: sessions.refreshToken },
  },
];

/** A stored value not made with the current key (an older key, or stored before encryption). */
function stale(column: PgColumn, prefix: string): SQL {
  return sql`(${column} is not null and left(${column}, ${prefix.length}) <> ${prefix})`;
}

/**
 * Re-encrypts, with the current key, every value made with another key (or
 * stored before encryption), and rebuilds the blind index beside it. Works in
 * batches, each a transaction that skips rows another run holds: safe to run
 * twice or concurrently, and resumable. Returns how many rows it rewrote.
 */
export async function reencryptAll(
  db: Executor,
  options: {
    batch?: number;
    onProgress?: (table: string, done: number) => void;
    /** Stops it before its next batch (what is rewritten stays so; a new run goes on from there). */
    signal?: AbortSignal;
  } = {},
): Promise<number> {
  const prefix = `ef1.${currentKeyId()}.`;
  const batch = options.batch ?? 500;
  /** Rewrites batches (each a transaction) until one comes back short; how many rows. */
  const inBatches = async (
    name: string,
    size: number,
    rewrite: (tx: Transaction) => Promise<number>,
  ) => {
    let done = 0;
    for (;;) {
      options.signal?.throwIfAborted();
      const rewritten = await db.transaction(rewrite);
      done += rewritten;
      if (rewritten > 0) options.onProgress?.(name, done);
      if (rewritten < size) return done;
    }
  };
  let total = 0;
  for (const t of encryptedTables) {
    const where = or(...Object.values(t.columns).map((c) => stale(c, prefix)));
    total += await inBatches(t.name, batch, async (tx) => {
      const rows = (await tx
        .select({ key: t.key, ...t.columns })
        .from(t.table)
        .where(where)
        .limit(batch)
        .for('update', { skipLocked: true })) as Record<string, unknown>[];
      for (const row of rows) {
        const { key, ...values } = row;
        await tx
          .update(t.table)
          .set({ ...values, ...(t.terms ? { searchTerms: t.terms(values) } : {}) })
          .where(eq(t.key, key));
      }
      return rows.length;
    });
  }
  // Export archives (kept a day) are sealed bytes with their key id beside them;
  // their pieces are a MiB each, so fewer to a batch.
  const pieces = 16;
  total += await inBatches('export_chunks', pieces, async (tx) => {
    const rows = await tx
      .select()
      .from(exportChunks)
      .where(ne(exportChunks.keyId, currentKeyId()))
      .limit(pieces)
      .for('update', { skipLocked: true });
    for (const row of rows) {
      const { id, sealed } = sealBytes(openBytes(row.keyId, row.data));
      await tx
        .update(exportChunks)
        .set({ keyId: id, data: sealed })
        .where(and(eq(exportChunks.requestId, row.requestId), eq(exportChunks.seq, row.seq)));
    }
    return rows.length;
  });
  return total;
}
