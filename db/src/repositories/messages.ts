import { mintSnowflake, snowflakeTime } from '@ticketflow/shared/snowflake';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Executor, Transaction } from '../client.ts';
import { messages, tickets, type WorkError } from '../schema.ts';
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
}

export type UpsertResult = { changed: false } | { changed: true; created: boolean; seq: number };

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
    source: input.source ?? 'discord',
    internal: input.internal ?? false,
    createdAt: input.createdAt,
    editedAt: input.editedAt ?? null,
  };
}

/** On a known id: take a newer edit; never touch a deleted message; a replay changes nothing. */
const applyNewerEdit = {
  target: messages.id,
  set: {
    content: sql`excluded.content`,
    attachments: sql`excluded.attachments`,
    embeds: sql`excluded.embeds`,
    editedAt: sql`excluded.edited_at`,
  },
  setWhere: sql`${messages.deletedAt} is null
    and excluded.edited_at is not null
    and (${messages.editedAt} is null or excluded.edited_at > ${messages.editedAt})`,
};

/** Moves the ticket's "newest message" pointer forward (never back). */
async function touchTicket(tx: Transaction, ticketId: string, messageId: string, at: Date) {
  await tx
    .update(tickets)
    .set({ lastMessageId: messageId, lastMessageAt: at })
    .where(
      and(
        eq(tickets.id, ticketId),
        sql`(${tickets.lastMessageId} is null or ${tickets.lastMessageId} < ${messageId})`,
      ),
    );
}

/**
 * The gateway echo (or the REST answer) of a reply we posted: the pending row
 * takes Discord's id and becomes delivered. Returns undefined when no pending
 * row has this nonce.
 */
async function confirmByNonce(
  tx: Transaction,
  input: MessageInput,
): Promise<UpsertResult | undefined> {
  if (!input.nonce) return undefined;
  const [pending] = await tx
    .select({ id: messages.id, delivery: messages.delivery })
    .from(messages)
    .where(and(eq(messages.nonce, input.nonce), eq(messages.ticketId, input.ticketId)))
    .for('update');
  if (!pending) return undefined;
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
    const confirmed = await confirmByNonce(tx, input);
    if (confirmed) return confirmed;
    const [row] = await tx
      .insert(messages)
      .values(messageRow(input))
      .onConflictDoUpdate(applyNewerEdit)
      // xmax is 0 only on a row this statement inserted (not one it updated).
      .returning({ inserted: sql<boolean>`(xmax = 0)` });
    if (!row) return { changed: false };

    if (row.inserted) await touchTicket(tx, input.ticketId, input.id, input.createdAt);
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
        source: 'dashboard',
        nonce: id,
        delivery: 'pending',
        createdAt: snowflakeTime(id),
      })
      .returning();
    if (!message) throw new Error('reply insert returned nothing');
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

/** The reply behind an outbox item, if it is still waiting to be posted. */
export async function findPendingReply(db: Executor, nonce: string) {
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
    for (const input of inputs) {
      const confirmed = await confirmByNonce(tx, input);
      if (confirmed === undefined) plain.push(input);
      else if (confirmed.changed) changed += 1;
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
