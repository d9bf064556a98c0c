import { and, asc, desc, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import { generateKeyBetween } from 'fractional-indexing';
import type { Executor } from '../client.ts';
import { blindTerms } from '../crypto.ts';
import { ReferenceGoneError } from '../errors.ts';
import {
  boardColumns,
  categories,
  guildSequences,
  guilds,
  type ticketPriority,
  tickets,
} from '../schema.ts';
import { appendEvent } from './events.ts';

/** The blind index of a ticket: its topic and the answers given when opening it. */
export function ticketTerms(
  topic: string | null | undefined,
  answers: Record<string, string> = {},
) {
  return blindTerms(topic, ...Object.values(answers));
}

export interface TicketInput {
  guildId: string;
  openerId: string;
  categoryId?: string | null;
  channelId?: string | null;
  topic?: string | null;
  answers?: Record<string, string>;
  priority?: (typeof ticketPriority.enumValues)[number];
  /** Who opened it, if not the opener (staff opening on someone's behalf). */
  actorId?: string | null;
}

/**
 * Creates a ticket with the guild's next number, at the bottom of the guild's
 * first open column, and appends `ticket.created`, all in one transaction.
 */
export async function createTicket(db: Executor, input: TicketInput) {
  return db.transaction(async (tx) => {
    // The rows the ticket will refer to are locked (key share: what its
    // foreign keys would take) before the guild's counter, so a change that
    // holds one of them and then takes the counter (an admin deleting the
    // category or the column, the guild erased) is waited for, not
    // deadlocked with. A row deleted meanwhile is not returned.
    const [guild] = await tx
      .select({ id: guilds.id })
      .from(guilds)
      .where(eq(guilds.id, input.guildId))
      .for('key share');
    if (!guild) throw new ReferenceGoneError('guild');
    if (input.categoryId) {
      const [category] = await tx
        .select({ id: categories.id })
        .from(categories)
        .where(and(eq(categories.id, input.categoryId), eq(categories.guildId, input.guildId)))
        .for('key share');
      if (!category) throw new ReferenceGoneError('category');
    }
    // Every open column, not `limit 1`: a locked row deleted meanwhile drops
    // out of the result without the next one taking its place.
    const [column] = await tx
      .select({ id: boardColumns.id })
      .from(boardColumns)
      .where(and(eq(boardColumns.guildId, input.guildId), eq(boardColumns.lifecycle, 'open')))
      .orderBy(asc(boardColumns.position))
      .for('key share');
    const columnId = column?.id ?? null;

    // Locks the guild's counter row until commit: numbers are gap-free and the
    // "bottom of the column" read below cannot race another creation.
    const [counter] = await tx
      .insert(guildSequences)
      .values({ guildId: input.guildId, lastTicketNumber: 1 })
      .onConflictDoUpdate({
        target: guildSequences.guildId,
        set: { lastTicketNumber: sql`${guildSequences.lastTicketNumber} + 1` },
      })
      .returning({ number: guildSequences.lastTicketNumber });
    if (!counter) throw new Error('ticket number allocation returned nothing');

    const [last] = await tx
      .select({ position: tickets.position })
      .from(tickets)
      .where(
        and(
          eq(tickets.guildId, input.guildId),
          columnId ? eq(tickets.columnId, columnId) : isNull(tickets.columnId),
        ),
      )
      .orderBy(desc(tickets.position))
      .limit(1);

    const [ticket] = await tx
      .insert(tickets)
      .values({
        guildId: input.guildId,
        number: counter.number,
        openerId: input.openerId,
        categoryId: input.categoryId ?? null,
        channelId: input.channelId ?? null,
        topic: input.topic ?? null,
        answers: input.answers ?? {},
        searchTerms: ticketTerms(input.topic, input.answers),
        priority: input.priority ?? 'normal',
        columnId,
        position: generateKeyBetween(last?.position ?? null, null),
      })
      .returning();
    if (!ticket) throw new Error('ticket insert returned nothing');
    const seq = await appendEvent(tx, {
      guildId: input.guildId,
      ticketId: ticket.id,
      kind: 'ticket.created',
      actorId: input.actorId ?? input.openerId,
      data: { number: ticket.number },
    });
    return { ticket, seq };
  });
}

/** The ticket whose Discord channel (or thread) this is, if any. */
export async function findTicketByChannel(db: Executor, channelId: string) {
  const [ticket] = await db.select().from(tickets).where(eq(tickets.channelId, channelId));
  return ticket;
}

/** Open tickets that have a channel, with the newest stored message id: what backfill reads from. */
export async function listOpenTicketChannels(db: Executor, guildIds?: string[]) {
  const rows = await db
    .select({
      id: tickets.id,
      guildId: tickets.guildId,
      channelId: tickets.channelId,
      lastMessageId: tickets.lastMessageId,
    })
    .from(tickets)
    .where(
      and(
        eq(tickets.status, 'open'),
        isNotNull(tickets.channelId),
        guildIds ? inArray(tickets.guildId, guildIds) : undefined,
      ),
    );
  return rows as { id: string; guildId: string; channelId: string; lastMessageId: string | null }[];
}

export interface CloseInput {
  ticketId: string;
  closedBy?: string | null;
  reason?: string | null;
  /** Move the card to the guild's first closed column (default); false when the caller places it. */
  moveToClosedColumn?: boolean;
}

/**
 * Closes an open ticket (moving it to the guild's first closed column, if it
 * has one) and appends `ticket.closed`. Closing a closed ticket changes nothing.
 */
export async function closeTicket(db: Executor, input: CloseInput) {
  return db.transaction(async (tx) => {
    const [current] = await tx
      .select({ guildId: tickets.guildId, columnId: tickets.columnId })
      .from(tickets)
      .where(and(eq(tickets.id, input.ticketId), eq(tickets.status, 'open')))
      .for('no key update');
    if (!current) return undefined;
    const closedColumn = await firstColumn(tx, current.guildId, 'closed', input.moveToClosedColumn);
    const position = closedColumn ? await bottomOf(tx, closedColumn.id) : undefined;
    const [ticket] = await tx
      .update(tickets)
      .set({
        status: 'closed',
        closedAt: sql`now()`,
        closedBy: input.closedBy ?? null,
        closeReason: input.reason ?? null,
        version: sql`${tickets.version} + 1`,
        updatedAt: sql`now()`,
        ...(closedColumn && position ? { columnId: closedColumn.id, position } : {}),
      })
      .where(eq(tickets.id, input.ticketId))
      .returning();
    if (!ticket) return undefined;
    const seq = await appendEvent(tx, {
      guildId: ticket.guildId,
      ticketId: ticket.id,
      kind: 'ticket.closed',
      actorId: input.closedBy ?? null,
      data: { reason: input.reason ?? null },
    });
    return { ticket, seq };
  });
}

/** The first column of a lifecycle, unless the caller places the card itself. */
async function firstColumn(
  tx: Executor,
  guildId: string,
  lifecycle: 'open' | 'closed',
  wanted = true,
) {
  if (!wanted) return undefined;
  const [column] = await tx
    .select({ id: boardColumns.id })
    .from(boardColumns)
    .where(and(eq(boardColumns.guildId, guildId), eq(boardColumns.lifecycle, lifecycle)))
    .orderBy(asc(boardColumns.position))
    .limit(1);
  return column;
}

/** The key after the last card of a column. */
async function bottomOf(tx: Executor, columnId: string) {
  const [last] = await tx
    .select({ position: tickets.position })
    .from(tickets)
    .where(eq(tickets.columnId, columnId))
    .orderBy(desc(tickets.position))
    .limit(1);
  return generateKeyBetween(last?.position ?? null, null);
}

/** What a member's next ticket in a category is checked against: how many are open, when the last was opened. */
export async function openerHistory(
  db: Executor,
  guildId: string,
  categoryId: string,
  openerId: string,
) {
  const [row] = await db
    .select({
      open: sql<number>`count(*) filter (where ${tickets.status} = 'open')::int`,
      last: sql<Date | null>`max(${tickets.createdAt})`,
    })
    .from(tickets)
    .where(
      and(
        eq(tickets.guildId, guildId),
        eq(tickets.categoryId, categoryId),
        eq(tickets.openerId, openerId),
      ),
    );
  return { openCount: row?.open ?? 0, lastOpenedAt: row?.last ? new Date(row.last) : null };
}

export interface TicketChange {
  assigneeId?: string | null;
  priority?: (typeof ticketPriority.enumValues)[number];
  labels?: string[];
  topic?: string | null;
  categoryId?: string | null;
  channelId?: string | null;
  columnId?: string;
  position?: string;
}

/**
 * Changes a ticket's fields and appends one event naming what changed. With
 * `expectedVersion`, a ticket changed by someone else meanwhile is left alone
 * (returns `{ conflict: true }`).
 */
export async function updateTicket(
  db: Executor,
  ticketId: string,
  change: TicketChange,
  options: {
    actorId?: string | null;
    kind?: string;
    expectedVersion?: number;
    /** Recorded with the event beside the change (e.g. who was added). */
    data?: Record<string, unknown>;
  } = {},
) {
  return db.transaction(async (tx) => {
    // What the change needs of the row as it was, locked until the update.
    const [before] =
      change.categoryId !== undefined || change.topic !== undefined
        ? await tx
            .select({ categoryId: tickets.categoryId, answers: tickets.answers })
            .from(tickets)
            .where(eq(tickets.id, ticketId))
            .for('no key update')
        : [];
    // A transfer records where the ticket came from: that category's viewers are told it left.
    const fromCategoryId =
      change.categoryId !== undefined && before && before.categoryId !== change.categoryId
        ? before.categoryId
        : null;
    // The topic is encrypted: its blind index is rebuilt here, with the answers'.
    const searchTerms =
      change.topic !== undefined ? ticketTerms(change.topic, before?.answers) : undefined;
    const [ticket] = await tx
      .update(tickets)
      .set({
        ...change,
        ...(searchTerms ? { searchTerms } : {}),
        version: sql`${tickets.version} + 1`,
        updatedAt: sql`now()`,
      })
      .where(
        and(
          eq(tickets.id, ticketId),
          options.expectedVersion === undefined
            ? undefined
            : eq(tickets.version, options.expectedVersion),
        ),
      )
      .returning();
    if (!ticket) return { conflict: true as const };
    const seq = await appendEvent(tx, {
      guildId: ticket.guildId,
      ticketId,
      kind: options.kind ?? 'ticket.updated',
      actorId: options.actorId ?? null,
      // Events are not encrypted: a new topic is recorded as changed, not spelled out.
      data: {
        ...change,
        ...(change.topic !== undefined ? { topic: change.topic === null ? null : true } : {}),
        ...(fromCategoryId ? { fromCategoryId } : {}),
        ...options.data,
      },
    });
    return { conflict: false as const, ticket, seq };
  });
}

/**
 * Opens a closed ticket again (its channel must still exist); a card in a
 * closed column goes back to the bottom of the first open one, unless
 * `moveToOpenColumn` is false (the caller places it).
 */
export async function reopenTicket(
  db: Executor,
  ticketId: string,
  actorId: string | null,
  moveToOpenColumn = true,
) {
  return db.transaction(async (tx) => {
    const [current] = await tx
      .select({
        guildId: tickets.guildId,
        columnId: tickets.columnId,
        lifecycle: boardColumns.lifecycle,
      })
      .from(tickets)
      .leftJoin(boardColumns, eq(boardColumns.id, tickets.columnId))
      .where(and(eq(tickets.id, ticketId), eq(tickets.status, 'closed')))
      .for('update', { of: tickets });
    if (!current) return undefined;
    const openColumn =
      current.lifecycle !== 'open'
        ? await firstColumn(tx, current.guildId, 'open', moveToOpenColumn)
        : undefined;
    const position = openColumn ? await bottomOf(tx, openColumn.id) : undefined;
    const [ticket] = await tx
      .update(tickets)
      .set({
        status: 'open',
        closedAt: null,
        closedBy: null,
        closeReason: null,
        version: sql`${tickets.version} + 1`,
        updatedAt: sql`now()`,
        ...(openColumn && position ? { columnId: openColumn.id, position } : {}),
      })
      .where(and(eq(tickets.id, ticketId), eq(tickets.status, 'closed')))
      .returning();
    if (!ticket) return undefined;
    const seq = await appendEvent(tx, {
      guildId: ticket.guildId,
      ticketId,
      kind: 'ticket.reopened',
      actorId,
    });
    return { ticket, seq };
  });
}

export interface AutoCloseCandidate {
  id: string;
  guildId: string;
  channelId: string;
  openerId: string;
  autoCloseHours: number;
  /** The opener's last message, or the ticket's opening when they wrote none. */
  lastActive: Date;
  /** The last auto-close warning, if any. */
  warnedAt: Date | null;
}

/** Open tickets in categories with auto-close, with what the auto-close rule needs to decide. */
export async function listAutoCloseCandidates(db: Executor): Promise<AutoCloseCandidate[]> {
  const result = (await db.execute(sql`
    select t.id, t.guild_id::text as "guildId", t.channel_id::text as "channelId", t.opener_id::text as "openerId",
      c.auto_close_hours as "autoCloseHours",
      greatest(t.created_at, coalesce((select max(m.created_at) from messages m
        where m.ticket_id = t.id and m.author_id = t.opener_id and m.deleted_at is null), t.created_at)) as "lastActive",
      (select max(e.created_at) from events e where e.ticket_id = t.id and e.kind = 'ticket.autoclose_warned') as "warnedAt"
    from tickets t join categories c on c.id = t.category_id
    where t.status = 'open' and c.auto_close_hours is not null and t.channel_id is not null`)) as unknown as {
    rows: Record<string, unknown>[];
  };
  return result.rows.map((r) => ({
    id: String(r.id),
    guildId: String(r.guildId),
    channelId: String(r.channelId),
    openerId: String(r.openerId),
    autoCloseHours: Number(r.autoCloseHours),
    lastActive: new Date(r.lastActive as string | Date),
    warnedAt: r.warnedAt ? new Date(r.warnedAt as string | Date) : null,
  }));
}

/** Records that a ticket's opener was warned it will auto-close. */
export async function recordAutoCloseWarning(
  db: Executor,
  ticket: { id: string; guildId: string },
) {
  return db.transaction((tx) =>
    appendEvent(tx, {
      guildId: ticket.guildId,
      ticketId: ticket.id,
      kind: 'ticket.autoclose_warned',
    }),
  );
}
