import type { Card } from '@ticketflow/shared/api';

const PREFIX = 'tf-seen:';
const key = (ticketId: string) => `${PREFIX}${ticketId}`;
/** Marks pruned so far were all at or before this time: a ticket without a mark counts as seen then. */
const FLOOR = 'tf-seen-floor';
/** How many marks this browser keeps; past it, the oldest go (one per ticket ever opened otherwise). */
export const SEEN_MARKS_KEPT = 1000;

/** Remembers, in this browser, that the ticket's messages were seen now. */
export function markSeen(ticketId: string) {
  try {
    localStorage.setItem(key(ticketId), new Date().toISOString());
    prune(SEEN_MARKS_KEPT);
  } catch {
    // Storage full or refused (private mode): make room and try once more; an
    // unread mark is not worth an error in the ticket view.
    try {
      prune(SEEN_MARKS_KEPT / 2);
      localStorage.setItem(key(ticketId), new Date().toISOString());
    } catch {}
  }
  window.dispatchEvent(new Event(seenEvent));
}

/**
 * Keeps the newest `keep` marks. What goes raises the floor, so a ticket last
 * seen long ago does not come back as unread because its mark was pruned.
 */
function prune(keep: number) {
  const marks: { name: string; at: string }[] = [];
  for (let i = 0; i < localStorage.length; i++) {
    const name = localStorage.key(i);
    if (!name?.startsWith(PREFIX)) continue;
    marks.push({ name, at: localStorage.getItem(name) ?? '' });
  }
  if (marks.length <= keep) return;
  marks.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  // Down to 90 % of what is kept, so that pruning is not done at every open.
  const gone = marks.slice(0, marks.length - Math.floor(keep * 0.9));
  let floor = localStorage.getItem(FLOOR) ?? '';
  for (const mark of gone) {
    localStorage.removeItem(mark.name);
    if (mark.at > floor) floor = mark.at;
  }
  localStorage.setItem(FLOOR, floor);
}

/** Fired when a ticket was marked seen: the board re-reads its unread marks. */
export const seenEvent = 'tf-seen';

/** The opener wrote last, after this browser last opened the ticket. */
export function isUnread(card: Card): boolean {
  const last = card.lastMessage;
  if (!last || card.status !== 'open' || last.authorId !== card.opener?.id) return false;
  const seen = localStorage.getItem(key(card.id)) ?? localStorage.getItem(FLOOR);
  return !seen || seen < last.at;
}
