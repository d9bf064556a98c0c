import { sql } from 'drizzle-orm';
import { type Executor, execute } from '../client.ts';
import { dropArchives } from './data-requests.ts';
import { appendEvent } from './events.ts';

/** Audit and usage logs are kept this long (the privacy promise), then purged. */
export const AUDIT_RETENTION_DAYS = 90;

export interface RetentionResult {
  auditLog: number;
  sessions: number;
  closedTickets: number;
  /** Export archives past their expiry, deleted. */
  exports: number;
}

/**
 * The daily retention purge, as of `now`: audit rows older than 90 days,
 * expired logins, closed tickets past their server's own window (only where a
 * server set one: by default closed tickets are kept for transcripts; their
 * messages, feedback and events go with them), and export archives past their
 * expiry. Each purge is one
 * statement on rows past a fixed boundary, so running it twice, or on two
 * processes at once, deletes each row once and nothing more.
 */
export async function purgeExpired(db: Executor, now: Date = new Date()): Promise<RetentionResult> {
  const at = now.toISOString();
  return db.transaction(async (tx) => {
    const audit = await execute(
      tx,
      sql`delete from audit_log where created_at < ${at}::timestamptz - make_interval(days => ${AUDIT_RETENTION_DAYS})`,
    );
    const sessions = await execute(
      tx,
      sql`delete from sessions where expires_at < ${at}::timestamptz`,
    );
    const closed = await execute<{ id: string; guild_id: string }>(
      tx,
      sql`delete from tickets t using guilds g
        where g.id = t.guild_id and t.status = 'closed'
          and jsonb_typeof(g.settings->'closedTicketRetentionDays') = 'number'
          and t.closed_at < ${at}::timestamptz - make_interval(days => (g.settings->>'closedTicketRetentionDays')::int)
        returning t.id, t.guild_id::text`,
    );
    if (closed.rows.length > 0) {
      // Events refer to tickets without a foreign key (they outlive nothing else).
      await execute(
        tx,
        sql`delete from events where ticket_id = any(${`{${closed.rows.map((r) => r.id).join(',')}}`}::uuid[])`,
      );
      // Open boards still show those cards: one event per guild makes them read the board again.
      const perGuild = new Map<string, number>();
      for (const r of closed.rows) perGuild.set(r.guild_id, (perGuild.get(r.guild_id) ?? 0) + 1);
      for (const [guildId, count] of perGuild) {
        await appendEvent(tx, { guildId, kind: 'tickets.purged', data: { count } });
      }
    }
    const exports = await dropArchives(
      tx,
      sql`id in (select id from data_requests
        where kind = 'export' and archive_bytes is not null and expires_at < ${at}::timestamptz
        for update skip locked)`,
    );
    return {
      auditLog: audit.rowCount,
      sessions: sessions.rowCount,
      closedTickets: closed.rows.length,
      exports,
    };
  });
}
