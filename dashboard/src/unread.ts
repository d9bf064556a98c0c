import type { Card } from '@ticketflow/shared/api';

const key = (ticketId: string) => `tf-seen:${ticketId}`;

/** Remembers, in this browser, that the ticket's messages were seen now. */
export function markSeen(ticketId: string) {
  localStorage.setItem(key(ticketId), new Date().toISOString());
  window.dispatchEvent(new Event(seenEvent));
}

/** Fired when a ticket was marked seen: the board re-reads its unread marks. */
export const seenEvent = 'tf-seen';

/** The opener wrote last, after this browser last opened the ticket. */
export function isUnread(card: Card): boolean {
  const last = card.lastMessage;
  if (!last || card.status !== 'open' || last.authorId !== card.opener?.id) return false;
  const seen = localStorage.getItem(key(card.id));
  return !seen || seen < last.at;
}
