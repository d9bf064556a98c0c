import {
  closestCorners,
  DndContext,
  type DragEndEvent,
  KeyboardSensor,
  PointerSensor,
  useDroppable,
  useSensor,
  useSensors,
} from '@dnd-kit/core';
import {
  SortableContext,
  sortableKeyboardCoordinates,
  useSortable,
  verticalListSortingStrategy,
} from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { BoardResponse, Card, GuildDetail, LiveEvent } from '@ticketflow/shared/api';
import { markdownToText, parseMarkdown } from '@ticketflow/shared/markdown';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Route, useLocation, useSearch } from 'wouter';
import { api, displayName, guildPath, RequestError, timeAgo } from '../api.ts';
import { Avatar, Empty, ErrorState, Loading } from '../components.tsx';
import { followGuild, placeCard, readAgain, withCard } from '../live.ts';
import { isUnread, seenEvent } from '../unread.ts';
import { GuildNav } from './GuildNav.tsx';
import { TicketView } from './Ticket.tsx';

type Column = BoardResponse['columns'][number];

/** Cards per column page (the API's limit). */
const PAGE = 50;

/** The filters the URL carries, as the board API reads them. */
function useFilters() {
  const search = useSearch();
  const [, navigate] = useLocation();
  const params = useMemo(() => new URLSearchParams(search), [search]);
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    const query = next.toString();
    navigate(query ? `~${location.pathname}?${query}` : `~${location.pathname}`, { replace: true });
  };
  return { params, set };
}

function CardView({
  card,
  guild,
  highlighted,
  onOpen,
  measure,
}: {
  card: Card;
  guild: GuildDetail;
  highlighted: boolean;
  onOpen: () => void;
  /** In a virtualised column: where it is in the column, and the ref that measures it. */
  measure?: { index: number; ref: (el: Element | null) => void };
}) {
  const sortable = useSortable({ id: card.id, data: { columnId: card.columnId } });
  const { setNodeRef } = sortable;
  const measureRef = measure?.ref;
  const ref = useCallback(
    (el: HTMLLIElement | null) => {
      setNodeRef(el);
      measureRef?.(el);
    },
    [setNodeRef, measureRef],
  );
  const category = guild.categories.find((c) => c.id === card.categoryId);
  const unread = isUnread(card);
  const title = card.topic ?? `Ticket #${card.number}`;
  const snippet = useMemo(() => {
    if (!card.lastMessage) return '';
    // Mentions of the opener or the assignee read as their names; the rest as Discord shows unknown ones.
    const people = new Map(
      [card.opener, card.assignee].flatMap((u) => (u ? [[u.id, displayName(u)] as const] : [])),
    );
    return markdownToText(parseMarkdown(card.lastMessage.snippet), {
      user: (id) => people.get(id),
    });
  }, [card.lastMessage, card.opener, card.assignee]);
  return (
    <li
      ref={ref}
      data-index={measure?.index}
      style={{
        transform: CSS.Translate.toString(sortable.transform),
        transition: sortable.transition,
      }}
      className={`card${highlighted ? ' highlight' : ''}${sortable.isDragging ? ' dragging' : ''}`}
      data-ticket={card.id}
      {...sortable.attributes}
      {...sortable.listeners}
      aria-label={`Ticket ${card.number}: ${title}${unread ? ', unread' : ''}`}
      onClick={onOpen}
      onKeyDown={(e) => {
        sortable.listeners?.onKeyDown?.(e);
        if (e.key === 'Enter' && !e.defaultPrevented) onOpen();
      }}
    >
      <span className="card-stripe" style={{ background: category?.color ?? 'var(--muted)' }} />
      <div className="card-top">
        <span className="number">#{card.number}</span>
        {card.priority !== 'normal' ? (
          <span className={`priority ${card.priority}`}>{card.priority}</span>
        ) : null}
        {unread ? <span className="unread" title="New message from the opener" /> : null}
        <span className="spacer" />
        {card.assignee ? <Avatar user={card.assignee} size={18} /> : null}
      </div>
      <div className="card-title">{title}</div>
      <div className="card-opener">
        <Avatar user={card.opener} size={16} />
        {displayName(card.opener)}
        {category ? <span className="category">{category.name}</span> : null}
      </div>
      {card.lastMessage ? (
        <div className="snippet">
          <span className="snippet-text">{snippet}</span>
          <time dateTime={card.lastMessage.at}>{timeAgo(card.lastMessage.at)}</time>
        </div>
      ) : null}
    </li>
  );
}

/** A column with more cards than this renders only those near its scroll position. */
const VIRTUAL_FROM = 60;

/**
 * The cards near the column's scroll position, between two gaps that keep the
 * list's full height (normal flow, so dragging works as in a short column).
 */
function VirtualCards({
  cards,
  scroller,
  children,
}: {
  cards: Card[];
  scroller: HTMLUListElement | null;
  children: (
    card: Card,
    measure: { index: number; ref: (el: Element | null) => void },
  ) => React.ReactNode;
}) {
  const virtualizer = useVirtualizer({
    count: cards.length,
    getScrollElement: () => scroller,
    estimateSize: () => 104,
    // The cards' margin-bottom.
    gap: 8,
    overscan: 8,
    getItemKey: (i) => cards[i]?.id ?? i,
  });
  const items = virtualizer.getVirtualItems();
  const before = items[0]?.start ?? 0;
  const after = virtualizer.getTotalSize() - (items.at(-1)?.end ?? 0);
  return (
    <>
      <li className="virtual-gap" aria-hidden="true" style={{ height: before }} />
      {items.map((item) => {
        const card = cards[item.index];
        return card ? children(card, { index: item.index, ref: virtualizer.measureElement }) : null;
      })}
      <li className="virtual-gap" aria-hidden="true" style={{ height: after }} />
    </>
  );
}

function ColumnView({
  column,
  guild,
  highlighted,
  open,
  loadMore,
}: {
  column: Column;
  guild: GuildDetail;
  highlighted: Set<string>;
  open: (id: string) => void;
  loadMore: (column: Column) => Promise<void>;
}) {
  const [loading, setLoading] = useState(false);
  const [failed, setFailed] = useState<string | null>(null);
  // State, not a ref: the virtual list renders again once its scroll box exists
  // (a child's layout effect runs before its parent's ref is attached).
  const [scroller, setScroller] = useState<HTMLUListElement | null>(null);
  const card = (c: Card, measure?: { index: number; ref: (el: Element | null) => void }) => (
    <CardView
      key={c.id}
      card={c}
      guild={guild}
      highlighted={highlighted.has(c.id)}
      onOpen={() => open(c.id)}
      {...(measure ? { measure } : {})}
    />
  );
  const droppable = useDroppable({ id: column.id, data: { columnId: column.id } });
  return (
    <section className="column" aria-label={`${column.name} column`} data-column={column.name}>
      <h2>
        {column.name} <span className="count">{column.total}</span>
      </h2>
      <SortableContext
        id={column.id}
        items={column.cards.map((c) => c.id)}
        strategy={verticalListSortingStrategy}
      >
        <ul
          ref={(el) => {
            droppable.setNodeRef(el);
            if (el !== scroller) setScroller(el);
          }}
          className={`cards${droppable.isOver ? ' over' : ''}`}
        >
          {column.cards.length > VIRTUAL_FROM ? (
            <VirtualCards cards={column.cards} scroller={scroller}>
              {card}
            </VirtualCards>
          ) : (
            column.cards.map((c) => card(c))
          )}
          {column.cards.length === 0 ? <li className="empty-column">No tickets</li> : null}
        </ul>
      </SortableContext>
      {column.nextAfter ? (
        <div className="more">
          <button
            type="button"
            className="ghost"
            disabled={loading}
            onClick={async () => {
              setLoading(true);
              setFailed(null);
              try {
                await loadMore(column);
              } catch (error) {
                setFailed((error as Error).message);
              } finally {
                setLoading(false);
              }
            }}
          >
            {loading
              ? 'Loading…'
              : `Show ${Math.min(PAGE, column.total - column.cards.length)} more of ${column.total - column.cards.length}`}
          </button>
          {failed ? (
            <span className="danger-text" role="alert">
              {failed}
            </span>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

/** One filter of the toolbar: a labelled select whose value lives in the URL. */
function FilterSelect(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  options: [value: string, text: string][];
}) {
  return (
    <label>
      <span className="sr-only">{props.label}</span>
      <select value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        {props.options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Where a dragged card lands: its column and its neighbours there. */
function landing(board: BoardResponse, cardId: string, overId: string) {
  const target = board.columns.find(
    (c) => c.id === overId || c.cards.some((card) => card.id === overId),
  );
  if (!target) return undefined;
  const others = target.cards.filter((c) => c.id !== cardId);
  const source = board.columns.find((c) => c.cards.some((card) => card.id === cardId));
  let index = others.length;
  if (overId !== target.id) {
    const overIndex = others.findIndex((c) => c.id === overId);
    const from = source?.cards.findIndex((c) => c.id === cardId) ?? -1;
    const to = target.cards.findIndex((c) => c.id === overId);
    // Within a column, dropping on a card below puts it after that card.
    index = source?.id === target.id && from < to ? overIndex + 1 : overIndex;
  }
  return {
    column: target,
    index,
    afterId: others[index - 1]?.id ?? null,
    beforeId: others[index]?.id ?? null,
  };
}

export function BoardPage({ guildId }: { guildId: string }) {
  const client = useQueryClient();
  const [, navigate] = useLocation();
  const { params, set } = useFilters();
  const [connected, setConnected] = useState(true);
  const [notice, setNotice] = useState<string | null>(null);
  const [highlighted, setHighlighted] = useState<Set<string>>(new Set());
  // Re-render when a ticket is marked seen, so its unread mark goes.
  const [, setSeen] = useState(0);
  useEffect(() => {
    const onSeen = () => setSeen((n) => n + 1);
    window.addEventListener(seenEvent, onSeen);
    return () => window.removeEventListener(seenEvent, onSeen);
  }, []);
  const guild = useQuery({
    queryKey: ['guild', guildId],
    queryFn: () => api<GuildDetail>(guildPath(guildId)),
  });
  const boardQuery = params.toString();
  const board = useQuery({
    queryKey: ['board', guildId, boardQuery],
    queryFn: () => api<BoardResponse>(`${guildPath(guildId)}/board?${boardQuery}`),
  });
  const boardRef = useRef(board.data);
  boardRef.current = board.data;

  const flash = useCallback((id: string) => {
    setHighlighted((s) => new Set(s).add(id));
    setTimeout(
      () =>
        setHighlighted((s) => {
          const next = new Set(s);
          next.delete(id);
          return next;
        }),
      1500,
    );
  }, []);

  // While a card is dragged, others' changes wait, so the board does not move under the pointer.
  const dragging = useRef(false);
  const live = useRef<ReturnType<typeof followGuild> | null>(null);
  const endDrag = () => {
    dragging.current = false;
    live.current?.release();
  };
  useEffect(() => {
    const follow = followGuild(client, guildId, () => boardRef.current?.seq, {
      held: () => dragging.current,
      onEvent: (e: LiveEvent) => {
        if (e.ticketId) flash(e.ticketId);
      },
      onResync: () => readAgain(client, guildId),
      onConnection: (up) => {
        setConnected(up);
        if (up) readAgain(client, guildId);
      },
    });
    live.current = follow;
    return () => {
      live.current = null;
      follow.stop();
    };
  }, [client, guildId, flash]);

  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 6 } }),
    useSensor(KeyboardSensor, {
      coordinateGetter: sortableKeyboardCoordinates,
      keyboardCodes: { start: ['Space'], cancel: ['Escape'], end: ['Space', 'Enter'] },
    }),
  );

  /** The next page of one column, appended to the cached board (same filters). */
  const loadMore = useCallback(
    async (column: Column) => {
      if (!column.nextAfter) return;
      const q = new URLSearchParams(boardQuery);
      q.set('column', column.id);
      q.set('after', column.nextAfter);
      q.set('limit', String(PAGE));
      const page = await api<BoardResponse>(`${guildPath(guildId)}/board?${q}`);
      const more = page.columns[0];
      if (!more) return;
      client.setQueryData<BoardResponse>(['board', guildId, boardQuery], (b) =>
        b
          ? {
              ...b,
              columns: b.columns.map((c) => {
                if (c.id !== column.id) return c;
                const known = new Set(c.cards.map((x) => x.id));
                return {
                  ...c,
                  cards: [...c.cards, ...more.cards.filter((x) => !known.has(x.id))],
                  total: more.total,
                  nextAfter: more.nextAfter,
                };
              }),
            }
          : b,
      );
    },
    [client, guildId, boardQuery],
  );

  const onDragEnd = async ({ active, over }: DragEndEvent) => {
    endDrag();
    const current = boardRef.current;
    if (!over || !current) return;
    const cardId = String(active.id);
    const card = current.columns.flatMap((c) => c.cards).find((c) => c.id === cardId);
    const to = landing(current, cardId, String(over.id));
    if (!card || !to) return;
    const sameSpot =
      to.column.id === card.columnId &&
      to.column.cards.findIndex((c) => c.id === cardId) === to.index;
    if (sameSpot) return;
    const key = ['board', guildId, boardQuery];
    const snapshot = client.getQueryData<BoardResponse>(key);
    // Optimistic: the card moves at once; the server's answer gives its real position.
    client.setQueryData<BoardResponse>(key, (b) =>
      b ? withCard(b, { ...card, columnId: to.column.id }, to.index) : b,
    );
    try {
      const moved = await api<Card>(`${guildPath(guildId)}/tickets/${cardId}`, {
        method: 'PATCH',
        body: {
          version: card.version,
          move: { columnId: to.column.id, afterId: to.afterId, beforeId: to.beforeId },
        },
      });
      placeCard(client, guildId, moved);
      if (to.column.lifecycle === 'closed' && card.status === 'open') {
        setNotice(`Ticket #${card.number} closed; its channel is locked in Discord.`);
      }
    } catch (error) {
      client.setQueryData(key, snapshot);
      setNotice(
        error instanceof RequestError && error.status === 409
          ? `Ticket #${card.number} was changed by someone else; the board now shows the latest.`
          : `Could not move ticket #${card.number}: ${(error as Error).message}`,
      );
      void client.invalidateQueries({ queryKey: ['board', guildId] });
    }
  };

  if (guild.isPending) return <Loading label="Loading the server" />;
  if (guild.error) return <ErrorState error={guild.error} retry={() => guild.refetch()} />;
  const g = guild.data;
  const open = (id: string) => navigate(`/t/${id}`);
  return (
    <main className="board-page">
      <GuildNav guild={g} current="board">
        <label className="search">
          <span className="sr-only">Search tickets</span>
          <input
            type="search"
            placeholder="Search topic, number, opener, messages"
            defaultValue={params.get('q') ?? ''}
            onKeyDown={(e) => {
              if (e.key === 'Enter') set('q', e.currentTarget.value.trim());
            }}
          />
        </label>
        <FilterSelect
          label="Assignee"
          value={params.get('assignee') ?? ''}
          onChange={(v) => set('assignee', v)}
          options={[
            ['', 'Anyone'],
            ['me', 'Assigned to me'],
            ['unassigned', 'Unassigned'],
          ]}
        />
        <FilterSelect
          label="Priority"
          value={params.get('priority') ?? ''}
          onChange={(v) => set('priority', v)}
          options={[
            ['', 'Any priority'],
            ['urgent', 'Urgent'],
            ['high', 'High'],
            ['normal', 'Normal'],
            ['low', 'Low'],
          ]}
        />
        {g.categories.length > 1 ? (
          <FilterSelect
            label="Category"
            value={params.get('category') ?? ''}
            onChange={(v) => set('category', v)}
            options={[
              ['', 'All categories'],
              ...g.categories
                .filter((c) => g.access.categoryIds.includes(c.id))
                .map((c): [string, string] => [c.id, c.name]),
            ]}
          />
        ) : null}
      </GuildNav>
      {!connected ? (
        <div className="banner" role="status">
          Connection lost; reconnecting. Changes will catch up when it is back.
        </div>
      ) : null}
      {notice ? (
        <div className="banner notice" role="status">
          {notice}
          <button
            type="button"
            className="ghost"
            onClick={() => setNotice(null)}
            aria-label="Dismiss"
          >
            ×
          </button>
        </div>
      ) : null}
      {board.isPending ? (
        <Loading label="Loading the board" />
      ) : board.error ? (
        <ErrorState error={board.error} retry={() => board.refetch()} />
      ) : board.data.columns.every((c) => c.total === 0) && !boardQuery ? (
        <Empty>No tickets yet. They appear here the moment someone opens one in Discord.</Empty>
      ) : (
        <DndContext
          sensors={sensors}
          collisionDetection={closestCorners}
          onDragStart={() => {
            dragging.current = true;
          }}
          onDragCancel={endDrag}
          onDragEnd={onDragEnd}
        >
          <div className="columns">
            {board.data.columns.map((column) => (
              <ColumnView
                key={column.id}
                column={column}
                guild={g}
                highlighted={highlighted}
                open={open}
                loadMore={loadMore}
              />
            ))}
          </div>
        </DndContext>
      )}
      <Route path="/t/:ticketId">
        {(p) => (
          // One ticket's view per ticket: nothing half-done in one (a close with its reason,
          // a search for people, an error) is left standing in the next one opened.
          <TicketView
            key={p.ticketId}
            guild={g}
            ticketId={p.ticketId}
            onClose={() => navigate('/')}
          />
        )}
      </Route>
    </main>
  );
}
