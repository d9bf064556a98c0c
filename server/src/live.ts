import type { Executor } from '@ticketflow/db/client';
import { getCards } from '@ticketflow/db/repositories/board';
import { getMessagesByIds } from '@ticketflow/db/repositories/messages';
import type { LiveEvent } from '@ticketflow/shared/api';
import { type Access, seesCategory } from './access.ts';
import { toCard, toMessage } from './views.ts';

export interface RawEvent {
  guildId: string;
  seq: number;
  ticketId: string | null;
  kind: string;
  data?: Record<string, unknown>;
}

/** An event with the state it is about, and the category that decides who may see it. */
export interface HydratedEvent {
  event: LiveEvent;
  categoryId: string | null;
  /** The ticket no longer exists (erased): only admins see that it went. */
  gone: boolean;
  /** A transfer's previous category, whose viewers are told the ticket left it. */
  fromCategoryId: string | null;
}

/**
 * Loads the current card and message each event is about, in two queries for
 * the whole batch: what the socket pushes and the events route replays.
 */
export async function hydrateEvents(db: Executor, events: RawEvent[]): Promise<HydratedEvent[]> {
  const ticketIds = [...new Set(events.map((e) => e.ticketId).filter((id) => id !== null))];
  const messageIds = [
    ...new Set(
      events
        .map((e) => e.data?.messageId)
        .filter((id): id is string => typeof id === 'string' && /^\d+$/.test(id)),
    ),
  ];
  const [cards, messages] = await Promise.all([
    getCards(db, ticketIds),
    getMessagesByIds(db, messageIds),
  ]);
  const cardById = new Map(cards.map((c) => [c.id, c]));
  const messageById = new Map(messages.map((m) => [m.id, m]));
  return events.map((e) => {
    const card = e.ticketId ? cardById.get(e.ticketId) : undefined;
    const messageId = typeof e.data?.messageId === 'string' ? e.data.messageId : undefined;
    const message = messageId ? messageById.get(messageId) : undefined;
    return {
      event: {
        guildId: e.guildId,
        seq: e.seq,
        kind: e.kind,
        ticketId: e.ticketId,
        card: card && card.guildId === e.guildId ? toCard(card) : null,
        message: message && message.guildId === e.guildId ? toMessage(message) : null,
      },
      categoryId: card?.categoryId ?? null,
      gone: e.ticketId !== null && !card,
      fromCategoryId: typeof e.data?.fromCategoryId === 'string' ? e.data.fromCategoryId : null,
    };
  });
}

/**
 * What a viewer with this access is told of the event: all of it, only that
 * the ticket left a category of theirs (a transfer: no card), or nothing.
 */
export function viewOf(access: Access, h: HydratedEvent): LiveEvent | null {
  if (maysee(access, h)) return h.event;
  if (h.fromCategoryId !== null && !h.gone && seesCategory(access, h.fromCategoryId))
    return leftEvent(h);
  return null;
}

/** The event as a transfer's former category sees it: the ticket left, without its card. */
export function leftEvent(h: HydratedEvent): LiveEvent {
  return { ...h.event, card: null, message: null };
}

/** Whether a viewer with this access may see the event's details. */
export function maysee(access: Access, h: HydratedEvent): boolean {
  if (h.event.ticketId === null) return true;
  if (h.gone) return access.all;
  return seesCategory(access, h.categoryId);
}
