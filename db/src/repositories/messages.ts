import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { messages, tickets } from '../schema.ts';
import { appendEvent } from './events.ts';

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
}

export type UpsertResult = { changed: false } | { changed: true; created: boolean; seq: number };

/**
 * Stores a message create or edit keyed by its snowflake. Replays and
 * out-of-date edits change nothing and append no event; a deleted message is
 * never brought back by a late create or edit.
 */
export async function upsertMessage(db: Executor, input: MessageInput): Promise<UpsertResult> {
  return db.transaction(async (tx) => {
    const values = {
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
    const [row] = await tx
      .insert(messages)
      .values(values)
      .onConflictDoUpdate({
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
      })
      // xmax is 0 only on a row this statement inserted (not one it updated).
      .returning({ inserted: sql<boolean>`(xmax = 0)` });
    if (!row) return { changed: false };

    if (row.inserted) {
      await tx
        .update(tickets)
        .set({ lastMessageId: input.id, lastMessageAt: input.createdAt })
        .where(
          and(
            eq(tickets.id, input.ticketId),
            sql`(${tickets.lastMessageId} is null or ${tickets.lastMessageId} < ${input.id})`,
          ),
        );
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

/** Marks a message deleted (its row stays for the event trail); a repeat changes nothing. */
export async function markMessageDeleted(
  db: Executor,
  id: string,
  deletedAt: Date = new Date(),
): Promise<{ changed: false } | { changed: true; seq: number }> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(messages)
      .set({ deletedAt })
      .where(and(eq(messages.id, id), isNull(messages.deletedAt)))
      .returning({ guildId: messages.guildId, ticketId: messages.ticketId });
    if (!row) return { changed: false };
    const seq = await appendEvent(tx, {
      guildId: row.guildId,
      ticketId: row.ticketId,
      kind: 'message.deleted',
      data: { messageId: id },
    });
    return { changed: true, seq };
  });
}
