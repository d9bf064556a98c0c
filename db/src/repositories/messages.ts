import { mintSnowflake, snowflakeTime } from '@ticketflow/shared/snowflake';
import { and, desc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Executor, Transaction } from '../client.ts';
import { blindTerms } from '../crypto.ts';
import { messages, outbox, tickets, users, type WorkError } from '../schema.ts';
import { DELETED_USER_ID } from './erasure.ts';
import { appendEvent, appendEvents } from './events.ts';
import { enqueueOutbox } from './outbox.ts';

type MessageRow = typeof messages.$inferInsert;

export interface MessageInput {
  id: string;
  guildId: string;
  ticketId: string;
  channelId?: string | null;
  authorId?: string | null;
  content: string;
  attachments?: MessageRow['attachments'];
  embeds?: MessageRow['embeds'];
  source?: MessageRow['source'];
  internal?: boolean;
  createdAt: Date;
  /** Set for an edit; an older edit never overwrites a newer one. */
  editedAt?: Date | null;
  /** The `nonce` Discord echoes back: matches a dashboard reply still pending under our own id. */
  nonce?: string | null;
  /** Posted by a bot or webhook: not a staff response. */
  byBot?: boolean;
}

export type UpsertResult = { changed: false } | { changed: true; created: boolean; seq: number };

/** The blind index of a message: its content and the text of its embeds. */
export function messageTerms(content: string, embeds: MessageRow['embeds'] = []): string[] {
  return blindTerms(
    content,
    ...(embeds ?? []).flatMap((e) => [
      e.title,
      e.description,
      ...(e.fields ?? []).flatMap((f) => [f.name, f.value]),
    ]),
  );
}

/** The row a message input becomes. */
function messageRow(input: MessageInput) {
  return {
    id: input.id,
    guildId: input.guildId,
    ticketId: input.ticketId,
    channelId: input.channelId ?? null,
    authorId: input.authorId ?? null,
    content: input.content,
    attachments: input.attachments ?? [],
    embeds: input.embeds ?? [],
    searchTerms: messageTerms(input.content, input.embeds),
    source: input.source ?? 'discord',
    internal: input.internal ?? false,
    createdAt: input.createdAt,
    editedAt: input.editedAt ?? null,
  };
}

/**
 * On a known id: take a newer edit; never touch a deleted message, nor one
 * whose author's data was erased (an edit made in Discord later must not bring
 * the words back); a replay changes nothing.
 */
const applyNewerEdit = {
  target: messages.id,
  set: {
    content: sql`excluded.content`,
    attachments: sql`excluded.attachments`,
    embeds: sql`excluded.embeds`,
    searchTerms: sql`excluded.search_terms`,
    editedAt: sql`excluded.edited_at`,
  },
  setWhere: sql`${messages.deletedAt} is null
    and ${messages.authorId} is distinct from ${DELETED_USER_ID}::bigint
    and excluded.edited_at is not null
    and (${messages.editedAt} is null or excluded.edited_at > ${messages.editedAt})`,
};

/** A person's (not a bot's) visible message: what counts as a response when it is not the opener's. */
function responder(input: MessageInput): { authorId: string; at: Date } | undefined {
  if (input.byBot || input.internal || !input.authorId) return undefined;
  return { authorId: input.authorId, at: input.createdAt };
}

/**
 * Moves the ticket's "newest message" pointer forward (never back), and sets
 * its first response: the earliest message of a person other than the opener.
 */
async function touchTicket(
  tx: Transaction,
  ticketId: string,
  messageId: string,
  at: Date,
  people: ({ authorId: string; at: Date } | undefined)[] = [],
) {
  const known = people.filter((p) => p !== undefined);
  const firstResponse =
    known.length === 0
      ? sql`${tickets.firstResponseAt}`
      : sql`coalesce(${tickets.firstResponseAt}, (select min(x.at) from unnest(string_to_array(${known.map((p) => p.authorId).join(',')}, ','), string_to_array(${known.map((p) => p.at.toISOString()).join(',')}, ',')::timestamptz[]) as x(author, at) where x.author <> ${tickets.openerId}::text))`;
  await tx
    .update(tickets)
    .set({
      lastMessageId: sql`case when ${tickets.lastMessageId} is null or ${tickets.lastMessageId} < ${messageId} then ${messageId}::bigint else ${tickets.lastMessageId} end`,
      lastMessageAt: sql`case when ${tickets.lastMessageId} is null or ${tickets.lastMessageId} < ${messageId} then ${at.toISOString()}::timestamptz else ${tickets.lastMessageAt} end`,
      firstResponseAt: firstResponse,
    })
    .where(eq(tickets.id, ticketId));
}

interface PendingReply {
  id: string;
  delivery: string | null;
}

/**
 * The dashboard replies of a ticket that these nonces belong to, by nonce,
 * locked until the transaction ends. Discord's clients put a nonce on every
 * message; only a reply we posted has a row here, so one query answers for a
 * whole batch.
 */
async function pendingReplies(
  tx: Transaction,
  ticketId: string,
  nonces: (string | null | undefined)[],
): Promise<Map<string, PendingReply>> {
  const wanted = [...new Set(nonces.filter((n): n is string => Boolean(n)))];
  if (wanted.length === 0) return new Map();
  const rows = await tx
    .select({ id: messages.id, delivery: messages.delivery, nonce: messages.nonce })
    .from(messages)
    .where(and(eq(messages.ticketId, ticketId), inArray(messages.nonce, wanted)))
    .for('update');
  return new Map(rows.flatMap((r) => (r.nonce ? [[r.nonce, r] as const] : [])));
}

/**
 * The gateway echo (or the REST answer) of a reply we posted: the pending row
 * takes Discord's id and becomes delivered.
 */
async function confirmByNonce(
  tx: Transaction,
  input: MessageInput & { nonce: string },
  pending: PendingReply,
): Promise<UpsertResult> {
  if (pending.id === input.id && pending.delivery === 'delivered') return { changed: false };
  await tx
    .update(messages)
    .set({
      id: input.id,
      delivery: 'delivered',
      channelId: input.channelId ?? null,
      createdAt: input.createdAt,
    })
    .where(eq(messages.nonce, input.nonce));
  await touchTicket(tx, input.ticketId, input.id, input.createdAt);
  const seq = await appendEvent(tx, {
    guildId: input.guildId,
    ticketId: input.ticketId,
    kind: 'message.delivered',
    actorId: input.authorId ?? null,
    data: { messageId: input.id, pendingId: pending.id },
  });
  return { changed: true, created: false, seq };
}

/**
 * Stores a message create or edit keyed by its snowflake. Replays and
 * out-of-date edits change nothing and append no event; a deleted message is
 * never brought back by a late create or edit; the echo of a dashboard reply
 * completes the pending row instead of adding a second one.
 */
export async function upsertMessage(db: Executor, input: MessageInput): Promise<UpsertResult> {
  return db.transaction(async (tx) => {
    const { nonce } = input;
    const pending = nonce
      ? (await pendingReplies(tx, input.ticketId, [nonce])).get(nonce)
      : undefined;
    if (nonce && pending) return confirmByNonce(tx, { ...input, nonce }, pending);
    const [row] = await tx
      .insert(messages)
      .values(messageRow(input))
      .onConflictDoUpdate(applyNewerEdit)
      // xmax is 0 only on a row this statement inserted (not one it updated).
      .returning({ inserted: sql<boolean>`(xmax = 0)` });
    if (!row) return { changed: false };

    if (row.inserted) {
      await touchTicket(tx, input.ticketId, input.id, input.createdAt, [responder(input)]);
    }
    const seq = await appendEvent(tx, {
      guildId: input.guildId,
      ticketId: input.ticketId,
      kind: row.inserted ? 'message.created' : 'message.updated',
      actorId: input.authorId ?? null,
      data: { messageId: input.id },
    });
    return { changed: true, created: row.inserted, seq };
  });
}

export interface DeleteTarget {
  id: string;
  guildId: string;
  ticketId: string;
  channelId?: string | null;
}

/**
 * Marks a message deleted; its row stays as a tombstone. A delete that arrives
 * before its create leaves a tombstone, so the late create cannot bring it back.
 * A repeat changes nothing.
 */
export async function markMessageDeleted(
  db: Executor,
  target: DeleteTarget,
  deletedAt: Date = new Date(),
): Promise<{ changed: false } | { changed: true; seq: number }> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(messages)
      .values({
        id: target.id,
        guildId: target.guildId,
        ticketId: target.ticketId,
        channelId: target.channelId ?? null,
        content: '',
        createdAt: snowflakeTime(target.id),
        deletedAt,
      })
      .onConflictDoUpdate({
        target: messages.id,
        set: { deletedAt },
        setWhere: isNull(messages.deletedAt),
      })
      .returning({ guildId: messages.guildId, ticketId: messages.ticketId });
    if (!row) return { changed: false };
    const seq = await appendEvent(tx, {
      guildId: row.guildId,
      ticketId: row.ticketId,
      kind: 'message.deleted',
      data: { messageId: target.id },
    });
    return { changed: true, seq };
  });
}

export interface ReplyInput {
  guildId: string;
  ticketId: string;
  channelId: string;
  authorId: string;
  /** How the reply is signed in Discord (the staff member's display name). */
  authorName: string;
  content: string;
}

/**
 * A staff reply from the dashboard: a pending message (shown at once), the
 * outbox item that posts it, and the event, all in one transaction. The
 * message's id doubles as the Discord `nonce`, so a retried post is made once
 * and its echo completes this row.
 */
export async function queueReply(db: Executor, input: ReplyInput) {
  return db.transaction(async (tx) => {
    const id = mintSnowflake();
    const [message] = await tx
      .insert(messages)
      .values({
        id,
        guildId: input.guildId,
        ticketId: input.ticketId,
        channelId: input.channelId,
        authorId: input.authorId,
        content: input.content,
        searchTerms: messageTerms(input.content),
        source: 'dashboard',
        nonce: id,
        delivery: 'pending',
        createdAt: snowflakeTime(id),
      })
      .returning();
    if (!message) throw new Error('reply insert returned nothing');
    await tx
      .update(tickets)
      .set({ firstResponseAt: sql`coalesce(${tickets.firstResponseAt}, now())` })
      .where(and(eq(tickets.id, input.ticketId), sql`${tickets.openerId} <> ${input.authorId}`));
    const outboxItem = await enqueueOutbox(tx, {
      guildId: input.guildId,
      ticketId: input.ticketId,
      kind: 'reply',
      payload: { nonce: id, channelId: input.channelId, authorName: input.authorName },
    });
    const seq = await appendEvent(tx, {
      guildId: input.guildId,
      ticketId: input.ticketId,
      kind: 'message.created',
      actorId: input.authorId,
      data: { messageId: id, pending: true },
    });
    return { message, outboxItem, seq };
  });
}

/** The dashboard reply with this nonce, whatever its delivery (Discord may have given it its own id). */
export async function findReplyByNonce(db: Executor, nonce: string) {
  const [row] = await db.select().from(messages).where(eq(messages.nonce, nonce));
  return row;
}

/** Discord refused a reply for good: the dashboard shows it as failed, with the reason. */
export async function markReplyFailed(db: Executor, nonce: string, error: WorkError) {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(messages)
      .set({ delivery: 'failed' })
      .where(and(eq(messages.nonce, nonce), eq(messages.delivery, 'pending')))
      .returning({ id: messages.id, guildId: messages.guildId, ticketId: messages.ticketId });
    if (!row) return false;
    await appendEvent(tx, {
      guildId: row.guildId,
      ticketId: row.ticketId,
      kind: 'message.failed',
      data: { messageId: row.id, error: { ...error } },
    });
    return true;
  });
}

/** A staff-only note on a ticket: stored and shown on the dashboard, never posted in Discord. */
export async function addNote(
  db: Executor,
  input: {
    guildId: string;
    ticketId: string;
    authorId: string;
    content: string;
    source?: 'discord' | 'dashboard';
  },
) {
  return db.transaction(async (tx) => {
    const id = mintSnowflake();
    const [note] = await tx
      .insert(messages)
      .values({
        id,
        guildId: input.guildId,
        ticketId: input.ticketId,
        authorId: input.authorId,
        content: input.content,
        searchTerms: messageTerms(input.content),
        internal: true,
        source: input.source ?? 'discord',
        createdAt: snowflakeTime(id),
      })
      .returning();
    const seq = await appendEvent(tx, {
      guildId: input.guildId,
      ticketId: input.ticketId,
      kind: 'note.created',
      actorId: input.authorId,
      data: { messageId: id },
    });
    return { note, seq };
  });
}

/**
 * Stores a batch of one ticket's messages (creates or edits) in one
 * transaction: one multi-row upsert, one seq block, one pointer update. Same
 * rules as upsertMessage: replays change nothing, deleted stays deleted, a
 * dashboard reply's echo completes its pending row. Returns how many changed.
 */
export async function upsertMessages(db: Executor, inputs: MessageInput[]): Promise<number> {
  if (inputs.length === 0) return 0;
  const first = inputs[0] as MessageInput;
  if (inputs.some((m) => m.ticketId !== first.ticketId || m.guildId !== first.guildId)) {
    throw new Error('upsertMessages takes messages of one ticket');
  }
  return db.transaction(async (tx) => {
    let changed = 0;
    const plain: MessageInput[] = [];
    const pending = await pendingReplies(
      tx,
      first.ticketId,
      inputs.map((m) => m.nonce),
    );
    for (const input of inputs) {
      const { nonce } = input;
      const reply = nonce ? pending.get(nonce) : undefined;
      if (!nonce || !reply) {
        plain.push(input);
        continue;
      }
      const confirmed = await confirmByNonce(tx, { ...input, nonce }, reply);
      if (confirmed.changed) changed += 1;
      // A second echo in the same batch finds the row as it now is.
      pending.set(nonce, { id: input.id, delivery: 'delivered' });
    }
    // One row per id: the newest edit of a message wins inside the batch too.
    const byId = new Map<string, MessageInput>();
    for (const m of plain) {
      const seen = byId.get(m.id);
      if (!seen || (m.editedAt?.getTime() ?? 0) > (seen.editedAt?.getTime() ?? 0))
        byId.set(m.id, m);
    }
    const unique = [...byId.values()];
    if (unique.length === 0) return changed;
    const rows = await tx
      .insert(messages)
      .values(unique.map(messageRow))
      .onConflictDoUpdate(applyNewerEdit)
      .returning({ id: messages.id, inserted: sql<boolean>`(xmax = 0)` });
    if (rows.length === 0) return changed;
    rows.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    const newest = rows.filter((r) => r.inserted).at(-1);
    if (newest) {
      await touchTicket(
        tx,
        first.ticketId,
        newest.id,
        byId.get(newest.id)?.createdAt ?? new Date(),
        rows
          .filter((r) => r.inserted)
          .map((r) => {
            const input = byId.get(r.id);
            return input ? responder(input) : undefined;
          }),
      );
    }
    await appendEvents(
      tx,
      first.guildId,
      rows.map((r) => ({
        ticketId: first.ticketId,
        kind: r.inserted ? 'message.created' : 'message.updated',
        actorId: byId.get(r.id)?.authorId ?? null,
        data: { messageId: r.id },
      })),
    );
    return changed + rows.length;
  });
}

const author = alias(users, 'author');

/** Message fields with the author and, for a failed reply, Discord's reason. */
const messageFields = {
  id: messages.id,
  guildId: messages.guildId,
  ticketId: messages.ticketId,
  authorId: messages.authorId,
  content: messages.content,
  attachments: messages.attachments,
  embeds: messages.embeds,
  source: messages.source,
  internal: messages.internal,
  delivery: messages.delivery,
  nonce: messages.nonce,
  createdAt: messages.createdAt,
  editedAt: messages.editedAt,
  deletedAt: messages.deletedAt,
  author: {
    id: author.id,
    username: author.username,
    globalName: author.globalName,
    avatar: author.avatar,
  },
  failure: sql<string | null>`case when ${messages.delivery} = 'failed' then (
    select o.last_error->>'message' from ${outbox} o
    where o.ticket_id = ${messages.ticketId} and o.kind = 'reply' and o.payload->>'nonce' = ${messages.nonce}
    order by o.id desc limit 1) end`,
};

export type MessageView = Awaited<ReturnType<typeof getMessagesByIds>>[number];

/** A ticket's messages, newest first from `before`, at most `limit`. */
export function listTicketMessages(
  db: Executor,
  ticketId: string,
  options: { before?: string; limit: number },
) {
  return db
    .select(messageFields)
    .from(messages)
    .leftJoin(author, eq(author.id, messages.authorId))
    .where(
      and(
        eq(messages.ticketId, ticketId),
        options.before ? lt(messages.id, options.before) : undefined,
      ),
    )
    .orderBy(desc(messages.id))
    .limit(options.limit);
}

/** Every message of a ticket, oldest first, read in pages of 500 (for transcripts). */
export async function allTicketMessages(db: Executor, ticketId: string): Promise<MessageView[]> {
  const all: MessageView[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await listTicketMessages(db, ticketId, {
      limit: 500,
      ...(before ? { before } : {}),
    });
    all.push(...page);
    if (page.length < 500) return all.reverse();
    before = page.at(-1)?.id;
  }
}

export function getMessagesByIds(db: Executor, ids: string[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .select(messageFields)
    .from(messages)
    .leftJoin(author, eq(author.id, messages.authorId))
    .where(inArray(messages.id, ids));
}

/** A dashboard reply as shown, by its nonce: one read, whatever id Discord has given it meanwhile. */
export async function getReplyView(db: Executor, nonce: string): Promise<MessageView | undefined> {
  const [row] = await db
    .select(messageFields)
    .from(messages)
    .leftJoin(author, eq(author.id, messages.authorId))
    .where(eq(messages.nonce, nonce));
  return row;
}

/** Tries a failed reply again: pending once more, a new outbox item with the same nonce. */
export async function retryReply(
  db: Executor,
  ticketId: string,
  messageId: string,
  authorName: string,
) {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(messages)
      .set({ delivery: 'pending' })
      .where(
        and(
          eq(messages.id, messageId),
          eq(messages.ticketId, ticketId),
          eq(messages.delivery, 'failed'),
        ),
      )
      .returning();
    if (!row?.channelId || !row.nonce) return undefined;
    await enqueueOutbox(tx, {
      guildId: row.guildId,
      ticketId,
      kind: 'reply',
      payload: { nonce: row.nonce, channelId: row.channelId, authorName },
    });
    const seq = await appendEvent(tx, {
      guildId: row.guildId,
      ticketId,
      kind: 'message.retried',
      actorId: row.authorId,
      data: { messageId },
    });
    return { message: row, seq };
  });
}

/**
 * Changes a note's text, or deletes it (its text removed, a tombstone keeps
 * the timeline's order). Notes only: Discord messages change through Discord.
 */
async function changeNote(
  db: Executor,
  input: { ticketId: string; noteId: string; actorId: string },
  change: { content: string; deleted: boolean },
) {
  return db.transaction(async (tx) => {
    const [note] = await tx
      .update(messages)
      .set(
        change.deleted
          ? { content: '', searchTerms: [], deletedAt: sql`now()` }
          : {
              content: change.content,
              searchTerms: messageTerms(change.content),
              editedAt: sql`now()`,
            },
      )
      .where(
        and(
          eq(messages.id, input.noteId),
          eq(messages.ticketId, input.ticketId),
          eq(messages.internal, true),
          isNull(messages.deletedAt),
        ),
      )
      .returning();
    if (!note) return undefined;
    const seq = await appendEvent(tx, {
      guildId: note.guildId,
      ticketId: input.ticketId,
      kind: change.deleted ? 'note.deleted' : 'note.updated',
      actorId: input.actorId,
      data: { messageId: note.id },
    });
    return { note, seq };
  });
}

export const editNote = (
  db: Executor,
  input: { ticketId: string; noteId: string; content: string; actorId: string },
) => changeNote(db, input, { content: input.content, deleted: false });

export const deleteNote = (
  db: Executor,
  input: { ticketId: string; noteId: string; actorId: string },
) => changeNote(db, input, { content: '', deleted: true });
