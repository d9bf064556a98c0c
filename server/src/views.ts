import type { CardRow } from '@ticketflow/db/repositories/board';
import type { MessageView } from '@ticketflow/db/repositories/messages';
import type { Card, Message, UserRef } from '@ticketflow/shared/api';

const iso = (d: Date | string | null | undefined) =>
  d === null || d === undefined ? null : new Date(d).toISOString();

function userRef(
  u: {
    id: string | null;
    username: string | null;
    globalName: string | null;
    avatar: string | null;
  } | null,
): UserRef | null {
  if (!u?.id || u.username === null) return null;
  return { id: u.id, username: u.username, globalName: u.globalName, avatar: u.avatar };
}

/** A board card as the API shows it: a deleted or internal last message shows no text. */
export function toCard(row: CardRow): Card {
  const last = row.lastMessage;
  return {
    id: row.id,
    number: row.number,
    status: row.status,
    columnId: row.columnId,
    position: row.position,
    priority: row.priority,
    labels: row.labels,
    topic: row.topic,
    categoryId: row.categoryId,
    channelId: row.channelId,
    opener: userRef(row.opener),
    assignee: userRef(row.assignee),
    lastMessage:
      last?.at && !last.deletedAt && !last.internal
        ? {
            snippet: (last.content ?? '').slice(0, 200),
            at: iso(last.at) as string,
            authorId: last.authorId,
          }
        : null,
    createdAt: iso(row.createdAt) as string,
    closedAt: iso(row.closedAt),
    version: row.version,
  };
}

export function toMessage(row: MessageView): Message {
  return {
    id: row.id,
    ticketId: row.ticketId,
    author: userRef(row.author),
    authorId: row.authorId,
    content: row.deletedAt ? '' : row.content,
    attachments: row.deletedAt ? [] : row.attachments,
    embeds: row.deletedAt ? [] : row.embeds,
    source: row.source,
    internal: row.internal,
    delivery: row.delivery,
    failure: row.failure ?? null,
    nonce: row.nonce ?? null,
    createdAt: iso(row.createdAt) as string,
    editedAt: iso(row.editedAt),
    deletedAt: iso(row.deletedAt),
  };
}

export { iso, userRef };
