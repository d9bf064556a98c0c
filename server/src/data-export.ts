import { once } from 'node:events';
import { Readable, type Writable } from 'node:stream';
import type { Executor } from '@ticketflow/db/client';
import { countGuildRows, guildPeopleIds } from '@ticketflow/db/repositories/erasure';
import { allTicketMessages } from '@ticketflow/db/repositories/messages';
import {
  auditLog,
  boardColumns,
  categories,
  dataRequests,
  events,
  feedback,
  guildSequences,
  guilds,
  jobs,
  messages,
  outbox,
  panels,
  tags,
  tickets,
  users,
} from '@ticketflow/db/schema';
import { renderTranscript } from '@ticketflow/shared/transcript';
import { ZipArchive } from 'archiver';
import { and, asc, eq, getTableColumns, gt, type SQL, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';

const PAGE = 1_000;

interface Part {
  /** The table whose rows the file holds. */
  table: string;
  file: string;
  source: PgTable;
  key: PgColumn;
  where?: SQL;
}

/**
 * What the archive holds: one JSON file per kind, every table with a guild's
 * rows among them (the export test checks that none is missing), plus
 * `users.json` (the people those rows mention) and a transcript per ticket.
 */
export function exportParts(guildId: string): Part[] {
  const of = (t: { guildId: PgColumn }) => eq(t.guildId, guildId);
  return [
    {
      table: 'guilds',
      file: 'server.json',
      source: guilds,
      key: guilds.id,
      where: eq(guilds.id, guildId),
    },
    {
      table: 'guild_sequences',
      file: 'counters.json',
      source: guildSequences,
      key: guildSequences.guildId,
      where: of(guildSequences),
    },
    {
      table: 'categories',
      file: 'categories.json',
      source: categories,
      key: categories.id,
      where: of(categories),
    },
    {
      table: 'board_columns',
      file: 'columns.json',
      source: boardColumns,
      key: boardColumns.id,
      where: of(boardColumns),
    },
    { table: 'panels', file: 'panels.json', source: panels, key: panels.id, where: of(panels) },
    { table: 'tags', file: 'saved-replies.json', source: tags, key: tags.id, where: of(tags) },
    {
      table: 'tickets',
      file: 'tickets.json',
      source: tickets,
      key: tickets.id,
      where: of(tickets),
    },
    {
      table: 'messages',
      file: 'messages.json',
      source: messages,
      key: messages.id,
      where: and(of(messages), eq(messages.internal, false)),
    },
    {
      table: 'messages',
      file: 'notes.json',
      source: messages,
      key: messages.id,
      where: and(of(messages), eq(messages.internal, true)),
    },
    {
      table: 'feedback',
      file: 'feedback.json',
      source: feedback,
      key: feedback.ticketId,
      where: of(feedback),
    },
    { table: 'events', file: 'events.json', source: events, key: events.seq, where: of(events) },
    {
      table: 'audit_log',
      file: 'audit-log.json',
      source: auditLog,
      key: auditLog.id,
      where: of(auditLog),
    },
    { table: 'outbox', file: 'outbox.json', source: outbox, key: outbox.id, where: of(outbox) },
    {
      table: 'jobs',
      file: 'jobs.json',
      source: jobs,
      key: jobs.id,
      where: eq(jobs.guildId, guildId),
    },
    {
      table: 'data_requests',
      file: 'data-requests.json',
      source: dataRequests,
      key: dataRequests.id,
      where: eq(dataRequests.guildId, guildId),
    },
  ];
}

/** A table's rows as a JSON array, read a page at a time (keyset), so memory stays flat. */
async function* jsonRows(db: Executor, part: Part, counted: (n: number) => Promise<void>) {
  yield '[';
  // The row property that holds the keyset column.
  const keyName = Object.entries(getTableColumns(part.source)).find(([, c]) => c === part.key)?.[0];
  let after: unknown;
  let first = true;
  for (;;) {
    const rows = (await db
      .select()
      .from(part.source)
      .where(and(part.where, after === undefined ? undefined : gt(part.key, after)))
      .orderBy(asc(part.key))
      .limit(PAGE)) as Record<string, unknown>[];
    if (rows.length === 0) break;
    let chunk = '';
    for (const row of rows) {
      chunk += `${first ? '' : ','}\n${JSON.stringify(row)}`;
      first = false;
    }
    yield chunk;
    await counted(rows.length);
    after = keyName ? rows.at(-1)?.[keyName] : undefined;
    if (rows.length < PAGE || after === undefined) break;
  }
  yield '\n]\n';
}

/**
 * Writes a guild's export archive (a zip) to `out`, reporting progress 0–100;
 * `out` is ended when the archive is complete, destroyed when it fails.
 */
export async function buildExport(
  db: Executor,
  input: { guildId: string; out: Writable; onProgress: (percent: number) => Promise<void> },
): Promise<{ bytes: number; rows: number }> {
  const { guildId } = input;
  // Rows the archive holds; the pieces of archives built before are not among them.
  const { export_chunks: _archives, ...counts } = await countGuildRows(db, guildId);
  const ticketRows = await db
    .select({ id: tickets.id, number: tickets.number })
    .from(tickets)
    .where(eq(tickets.guildId, guildId))
    .orderBy(asc(tickets.number));
  const total = Object.values(counts).reduce((a, b) => a + b, 0) + ticketRows.length;
  let done = 0;
  let reported = -1;
  const counted = async (n: number) => {
    done += n;
    const percent = total === 0 ? 99 : Math.min(99, Math.floor((done / total) * 100));
    if (percent !== reported) {
      reported = percent;
      await input.onProgress(percent);
    }
  };

  const { out } = input;
  const archive = new ZipArchive({ zlib: { level: 6 } });
  // The archive, its destination or an entry's rows failing (a query error):
  // the build stops with that error. Archiver does not listen for an entry
  // stream's errors, which would otherwise be uncaught and leave the build waiting.
  let fail: (error: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => {});
  archive.on('error', fail);
  out.on('error', fail);
  archive.pipe(out);
  // One entry at a time: archiver starts reading a stream as soon as it is
  // appended, so appending them all at once would read the whole server ahead.
  const entries: { name: string; make: () => Readable }[] = [];
  let rows = 0;
  for (const part of exportParts(guildId)) {
    entries.push({
      name: part.file,
      make: () =>
        Readable.from(
          jsonRows(db, part, async (n) => {
            rows += n;
            await counted(n);
          }),
        ),
    });
  }
  entries.push({ name: 'users.json', make: () => Readable.from(peopleJson(db, guildId)) });
  const [guild] = await db.select().from(guilds).where(eq(guilds.id, guildId));
  for (const t of ticketRows) {
    entries.push({
      name: `transcripts/ticket-${t.number}.html`,
      make: () =>
        Readable.from(
          (async function* () {
            const [ticket] = await db.select().from(tickets).where(eq(tickets.id, t.id));
            if (!ticket) return;
            const all = await allTicketMessages(db, t.id);
            yield renderTranscript({
              guildName: guild?.name ?? '',
              ticket,
              messages: all,
              includeNotes: true,
            });
            await counted(1);
          })(),
        ),
    });
  }
  try {
    for (const entry of entries) {
      const written = once(archive, 'entry');
      const source = entry.make();
      source.on('error', fail);
      archive.append(source, { name: entry.name });
      await Promise.race([written, failed]);
    }
    await Promise.race([archive.finalize(), failed]);
    if (!out.writableFinished) await Promise.race([once(out, 'finish'), failed]);
  } catch (error) {
    archive.abort();
    out.destroy();
    throw error;
  }
  return { bytes: archive.pointer(), rows };
}

/** The people the guild's rows mention (names and avatars), as a JSON array. */
async function* peopleJson(db: Executor, guildId: string) {
  const people = await db
    .select()
    .from(users)
    .where(sql`${users.id} in (select p.id from ${guildPeopleIds(guildId)} p)`);
  yield `[${people.map((p) => `\n${JSON.stringify(p)}`).join(',')}\n]\n`;
}
