import { and, asc, eq, gt, inArray, isNull, type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { type Executor, rowsByIds } from '../client.ts';
import { queryTerms } from '../crypto.ts';
import { categories, messages, tickets, users } from '../schema.ts';

const opener = alias(users, 'opener');
const assignee = alias(users, 'assignee');
const last = alias(messages, 'last_message');

/** What narrows a board: the categories the viewer may see first, then their filters. */
export interface BoardFilter {
  guildId: string;
  /** Categories the viewer may see; undefined: all (admins), including tickets without one. */
  visibleCategoryIds?: string[];
  categoryIds?: string[];
  /** A user id, or null for unassigned. */
  assigneeId?: string | null;
  priorities?: string[];
  label?: string;
  status?: 'open' | 'closed' | 'all';
  q?: string;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

function conditions(f: BoardFilter): SQL | undefined {
  const parts: (SQL | undefined)[] = [eq(tickets.guildId, f.guildId)];
  if (f.visibleCategoryIds) {
    parts.push(
      f.visibleCategoryIds.length > 0
        ? inArray(tickets.categoryId, f.visibleCategoryIds)
        : sql`false`,
    );
  }
  if (f.categoryIds?.length) parts.push(inArray(tickets.categoryId, f.categoryIds));
  if (f.assigneeId === null) parts.push(isNull(tickets.assigneeId));
  else if (f.assigneeId) parts.push(eq(tickets.assigneeId, f.assigneeId));
  if (f.priorities?.length) {
    parts.push(
      inArray(tickets.priority, f.priorities as (typeof tickets.priority.enumValues)[number][]),
    );
  }
  if (f.label) parts.push(sql`${tickets.labels} @> array[${f.label}]::text[]`);
  if (f.status && f.status !== 'all') parts.push(eq(tickets.status, f.status));
  if (f.q) {
    // Message content, topics and answers are encrypted: they are matched word
    // by word through their blind index. Names and the number are plain.
    const like = `%${escapeLike(f.q)}%`;
    const asNumber = /^#?\d{1,9}$/.test(f.q) ? Number(f.q.replace('#', '')) : undefined;
    const words = queryTerms(f.q);
    const byWords =
      words.length === 0
        ? sql`false`
        : and(
            ...words.map((hashes) => {
              const any = sql`array[${sql.join(
                hashes.map((h) => sql`${h}`),
                sql`, `,
              )}]::text[]`;
              return sql`(${tickets.searchTerms} && ${any}
                or exists (select 1 from ${messages} m where m.ticket_id = ${tickets.id} and m.deleted_at is null and m.search_terms && ${any}))`;
            }),
          );
    parts.push(sql`(${byWords}
      ${asNumber !== undefined ? sql`or ${tickets.number} = ${asNumber}` : sql``}
      or exists (select 1 from ${users} o2 where o2.id = ${tickets.openerId} and (o2.username ilike ${like} or o2.global_name ilike ${like})))`);
  }
  return and(...parts);
}

const cardFields = {
  id: tickets.id,
  guildId: tickets.guildId,
  number: tickets.number,
  status: tickets.status,
  columnId: tickets.columnId,
  position: tickets.position,
  priority: tickets.priority,
  labels: tickets.labels,
  topic: tickets.topic,
  categoryId: tickets.categoryId,
  channelId: tickets.channelId,
  openerId: tickets.openerId,
  assigneeId: tickets.assigneeId,
  createdAt: tickets.createdAt,
  closedAt: tickets.closedAt,
  version: tickets.version,
  opener: {
    id: opener.id,
    username: opener.username,
    globalName: opener.globalName,
    avatar: opener.avatar,
  },
  assignee: {
    id: assignee.id,
    username: assignee.username,
    globalName: assignee.globalName,
    avatar: assignee.avatar,
  },
  lastMessage: {
    content: last.content,
    at: last.createdAt,
    authorId: last.authorId,
    internal: last.internal,
    deletedAt: last.deletedAt,
  },
};

function cardQuery(db: Executor) {
  return db
    .select(cardFields)
    .from(tickets)
    .leftJoin(opener, eq(opener.id, tickets.openerId))
    .leftJoin(assignee, eq(assignee.id, tickets.assigneeId))
    .leftJoin(last, eq(last.id, tickets.lastMessageId));
}

export type CardRow = Awaited<ReturnType<typeof getCards>>[number];

/** One column's cards in board order, after `after` (a position), at most `limit`. */
export function listColumnCards(
  db: Executor,
  filter: BoardFilter,
  columnId: string,
  options: { after?: string; limit: number },
) {
  return cardQuery(db)
    .where(
      and(
        conditions(filter),
        eq(tickets.columnId, columnId),
        options.after ? gt(tickets.position, options.after) : undefined,
      ),
    )
    .orderBy(asc(tickets.position))
    .limit(options.limit);
}

/** How many cards match in each column. */
export async function countByColumn(db: Executor, filter: BoardFilter) {
  const rows = await db
    .select({ columnId: tickets.columnId, total: sql<number>`count(*)::int` })
    .from(tickets)
    .where(conditions(filter))
    .groupBy(tickets.columnId);
  return new Map(rows.map((r) => [r.columnId, Number(r.total)]));
}

const cardsByIdsQuery = (db: Executor) =>
  cardQuery(db)
    .where(sql`${tickets.id} = any(${sql.placeholder('ids')}::uuid[])`)
    .prepare('cards_by_ids');
const cardByIdQuery = (db: Executor) =>
  cardQuery(db)
    .where(eq(tickets.id, sql.placeholder('id')))
    .prepare('card_by_id');

/** Cards by id (any guild; callers check access). */
export function getCards(db: Executor, ticketIds: string[]) {
  return rowsByIds(db, ticketIds, {
    one: ['card_by_id', cardByIdQuery],
    many: ['cards_by_ids', cardsByIdsQuery],
  });
}

/** A ticket with everything its detail view shows. */
export async function getTicketDetail(db: Executor, guildId: string, ticketId: string) {
  const [row] = await db
    .select({
      ...cardFields,
      answers: tickets.answers,
      closedBy: tickets.closedBy,
      closeReason: tickets.closeReason,
      firstResponseAt: tickets.firstResponseAt,
      category: { id: categories.id, name: categories.name, color: categories.color },
      questions: categories.questions,
    })
    .from(tickets)
    .leftJoin(opener, eq(opener.id, tickets.openerId))
    .leftJoin(assignee, eq(assignee.id, tickets.assigneeId))
    .leftJoin(last, eq(last.id, tickets.lastMessageId))
    .leftJoin(categories, eq(categories.id, tickets.categoryId))
    .where(and(eq(tickets.guildId, guildId), eq(tickets.id, ticketId)));
  return row;
}
