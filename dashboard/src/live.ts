import type { QueryClient } from '@tanstack/react-query';
import type {
  BoardResponse,
  Card,
  ClientToServerEvents,
  LiveEvent,
  Message,
  MessagesResponse,
  ServerToClientEvents,
} from '@ticketflow/shared/api';
import { io, type Socket } from 'socket.io-client';

export type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** The queries (keyed by guild id after the name) that show a guild's own settings (and its Discord roles). */
const GUILD_QUERIES = ['guild', 'board', 'categories', 'settings', 'tags', 'panels', 'discord'];

/** A pause before the `attempt`th try again (from 1): half a second, doubling to 10 s. */
const backoff = (attempt: number) => Math.min(10_000, 500 * 2 ** (attempt - 1));

/**
 * The one socket of the page (same origin, the session cookie authenticates it).
 * Socket.IO reconnects by itself after a network error, not after the server's
 * handshake refused it; one refused because the server could not reach its
 * database ('unavailable') is tried again here until it connects.
 */
let socket: LiveSocket | undefined;
export function liveSocket(): LiveSocket {
  if (socket) return socket;
  const s: LiveSocket = io({ transports: ['websocket', 'polling'], withCredentials: true });
  let refused = 0;
  s.on('connect', () => {
    refused = 0;
  });
  s.on('connect_error', (error) => {
    if (s.active || error.message !== 'unavailable') return;
    refused += 1;
    setTimeout(() => {
      if (!s.connected) s.connect();
    }, backoff(refused));
  });
  socket = s;
  return s;
}

/**
 * The board with the card in its column (`card.columnId`): at `index` when
 * given (an optimistic move, before the server has placed it), else where its
 * position says, as long as the column's loaded page reaches that far.
 */
export function withCard(board: BoardResponse, card: Card, index?: number): BoardResponse {
  const columns = board.columns.map((column) => {
    const had = column.cards.some((c) => c.id === card.id);
    const cards = column.cards.filter((c) => c.id !== card.id);
    if (column.id !== card.columnId) {
      return had ? { ...column, cards, total: column.total - 1 } : column;
    }
    let at = index ?? cards.findIndex((c) => c.position > card.position);
    if (at === -1) {
      // Past the loaded page of a longer column: it shows up when paged to.
      if (column.nextAfter !== null && !had) return column;
      at = cards.length;
    }
    cards.splice(at, 0, card);
    return { ...column, cards, total: had ? column.total : column.total + 1 };
  });
  return { ...board, columns };
}

/** The board without the card (it no longer matches the board's filters). */
export function withoutCard(board: BoardResponse, cardId: string): BoardResponse {
  const columns = board.columns.map((column) =>
    column.cards.some((c) => c.id === cardId)
      ? {
          ...column,
          cards: column.cards.filter((c) => c.id !== cardId),
          total: column.total - 1,
        }
      : column,
  );
  return { ...board, columns };
}

/**
 * Whether a card belongs on a board read with these filters (the board's
 * query string): yes, no, or unknown for a text search, which only the
 * server can answer (message text is encrypted there, searched by a blind index).
 */
export function cardMatches(card: Card, query: string, meId: string | undefined): boolean | null {
  const q = new URLSearchParams(query);
  const list = (name: string) => q.get(name)?.split(',').filter(Boolean) ?? [];
  const category = list('category');
  if (category.length > 0 && !category.includes(card.categoryId ?? '')) return false;
  const priority = list('priority');
  if (priority.length > 0 && !priority.includes(card.priority)) return false;
  const label = q.get('label');
  if (label && !card.labels.includes(label)) return false;
  const status = q.get('status');
  if ((status === 'open' || status === 'closed') && card.status !== status) return false;
  const assignee = q.get('assignee');
  if (assignee === 'unassigned' && card.assignee !== null) return false;
  if (assignee === 'me' && (meId === undefined || card.assignee?.id !== meId)) return false;
  if (assignee && assignee !== 'me' && assignee !== 'unassigned' && card.assignee?.id !== assignee)
    return false;
  return q.get('q') ? null : true;
}

/**
 * Puts a card where its column and position say, in every cached board of
 * the guild whose filters it matches, and takes it off the others (a card
 * assigned away leaves "Assigned to me"). On a text search's board it is
 * only updated where it is shown.
 */
export function placeCard(client: QueryClient, guildId: string, card: Card, seq?: number) {
  const meId = client.getQueryData<{ user: { id: string } }>(['me'])?.user.id;
  for (const [key, board] of client.getQueriesData<BoardResponse>({
    queryKey: ['board', guildId],
  })) {
    if (!board) continue;
    const query = typeof key[2] === 'string' ? key[2] : '';
    const matches = cardMatches(card, query, meId);
    const shown = board.columns.some((c) => c.cards.some((x) => x.id === card.id));
    const next =
      matches === false
        ? withoutCard(board, card.id)
        : matches === null && !shown
          ? board
          : withCard(board, card);
    client.setQueryData<BoardResponse>(key, {
      ...next,
      seq: Math.max(board.seq, seq ?? board.seq),
    });
  }
}

/**
 * Adds or replaces a message in the ticket's cached messages (newest first, as
 * the API pages them). A live event is the newest state; an HTTP answer may
 * arrive after the events it caused (the bot can deliver, or fail, a reply
 * before its POST answers), so `posted` never replaces what is there and
 * `retried` never undoes a delivery.
 */
export function placeMessage(
  client: QueryClient,
  message: Message,
  source: 'live' | 'posted' | 'retried' = 'live',
) {
  client.setQueryData<MessagesResponse>(['messages', message.ticketId], (page) => {
    if (!page) return page;
    // A delivered reply has Discord's id now; its nonce is the id it was shown under.
    const same = (m: Message) =>
      m.id === message.id ||
      (message.nonce !== null && m.id === message.nonce) ||
      (m.nonce !== null && m.nonce === message.id);
    const existing = page.messages.find(same);
    if (existing && source === 'posted') return page;
    if (existing?.delivery === 'delivered' && source === 'retried') return page;
    const messages = [message, ...page.messages.filter((m) => !same(m))].sort((a, b) =>
      BigInt(a.id) > BigInt(b.id) ? -1 : BigInt(a.id) < BigInt(b.id) ? 1 : 0,
    );
    return { ...page, messages };
  });
}

/**
 * After missed events (a gap, a reconnect, a server that lost its
 * notifications): the board and whatever ticket is open (its conversation,
 * details and activity) are read again; cached tickets not on screen are
 * read when next opened.
 */
export function readAgain(client: QueryClient, guildId: string): void {
  void client.invalidateQueries({ queryKey: ['board', guildId] });
  for (const key of ['messages', 'ticket', 'activity'])
    void client.invalidateQueries({ queryKey: [key] });
}

export interface LiveHandlers {
  /** A change arrived (already applied to the caches). */
  onEvent?(event: LiveEvent): void;
  /** Seq gap, reconnect or a lost connection healed: the caller refetches. */
  onResync(): void;
  onConnection(connected: boolean): void;
  /** True while changes must wait (a card is being dragged); `release()` applies them. */
  held?(): boolean;
}

/**
 * Joins a guild's room and keeps the board and ticket caches current: each
 * event is applied in seq order; a gap (missed events) or a reconnect refetches.
 */
export function followGuild(
  client: QueryClient,
  guildId: string,
  seqOf: () => number | undefined,
  handlers: LiveHandlers,
): { stop(): void; release(): void } {
  const s = liveSocket();
  // Events and resyncs held back while `handlers.held()`; applied in order on release.
  const waiting: LiveEvent[] = [];
  let resyncWaiting = false;
  const resync = () => {
    if (handlers.held?.()) resyncWaiting = true;
    else handlers.onResync();
  };
  let seq: number | undefined;
  const current = () => Math.max(seq ?? 0, seqOf() ?? 0);
  // A join the server could not answer (its database away) is asked again until it is.
  let stopped = false;
  let unanswered = 0;
  let again: ReturnType<typeof setTimeout> | undefined;
  const join = () =>
    s.emit('join', { guildId }, (ack) => {
      if (!ack.ok) {
        if (ack.error === 'unavailable' && !stopped) {
          unanswered += 1;
          clearTimeout(again);
          again = setTimeout(() => {
            if (s.connected && !stopped) join();
          }, backoff(unanswered));
        }
        return;
      }
      unanswered = 0;
      if (seq !== undefined && ack.seq > current()) resync();
      seq = ack.seq;
    });
  const onEvent = (event: LiveEvent) => {
    if (event.guildId !== guildId) return;
    if (handlers.held?.()) {
      waiting.push(event);
      return;
    }
    const before = current();
    if (event.seq <= before) return; // already seen (the board was read after it)
    if (before > 0 && event.seq > before + 1) {
      seq = event.seq;
      resync();
      return;
    }
    seq = event.seq;
    if (event.card) placeCard(client, guildId, event.card, event.seq);
    else if (event.ticketId && event.kind.startsWith('ticket.'))
      void client.invalidateQueries({ queryKey: ['board', guildId] });
    if (event.message) placeMessage(client, event.message);
    if (event.ticketId) {
      void client.invalidateQueries({ queryKey: ['ticket', event.ticketId] });
      void client.invalidateQueries({ queryKey: ['activity', event.ticketId] });
    } else {
      // A change to the guild itself (its settings, categories, columns, tags,
      // panels, made by an admin anywhere; its name, icon or owner in Discord):
      // what shows it is read again.
      for (const key of GUILD_QUERIES) void client.invalidateQueries({ queryKey: [key, guildId] });
      // The guild list shows its name and icon.
      void client.invalidateQueries({ queryKey: ['guilds'] });
    }
    handlers.onEvent?.(event);
  };
  const onEvents = (events: LiveEvent[]) => {
    for (const event of events) onEvent(event);
  };
  const onTick = (tick: { guildId: string; seq: number; resync?: true }) => {
    if (tick.guildId !== guildId) return;
    if (tick.resync) {
      // Events up to tick.seq may have been missed (not only one the viewer may not see).
      if (tick.seq > current()) {
        seq = tick.seq;
        resync();
      }
      return;
    }
    if (handlers.held?.()) return;
    const before = current();
    if (tick.seq > before + 1 && before > 0) resync();
    seq = Math.max(before, tick.seq);
  };
  const onConnect = () => {
    handlers.onConnection(true);
    join();
  };
  const onDisconnect = () => handlers.onConnection(false);
  // Access lost or changed (a role removed or given, a category's staff roles
  // changed, the server's data erased): the guild's queries are read again, and
  // the page shows what the server now answers.
  const onAccess = (info: { guildId: string }) => {
    if (info.guildId !== guildId) return;
    void client.invalidateQueries({ queryKey: ['guild', guildId] });
    void client.invalidateQueries({ queryKey: ['board', guildId] });
  };
  s.on('event', onEvent);
  s.on('revoked', onAccess);
  s.on('access', onAccess);
  s.on('events', onEvents);
  s.on('tick', onTick);
  s.on('connect', onConnect);
  s.on('disconnect', onDisconnect);
  if (s.connected) join();
  return {
    stop() {
      stopped = true;
      clearTimeout(again);
      s.emit('leave', { guildId });
      s.off('event', onEvent);
      s.off('events', onEvents);
      s.off('tick', onTick);
      s.off('revoked', onAccess);
      s.off('access', onAccess);
      s.off('connect', onConnect);
      s.off('disconnect', onDisconnect);
    },
    release() {
      for (const event of waiting.splice(0)) onEvent(event);
      if (resyncWaiting) {
        resyncWaiting = false;
        handlers.onResync();
      }
    },
  };
}
