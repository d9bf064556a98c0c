import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  Activity,
  Card,
  GuildDetail,
  MeResponse,
  Message,
  MessagesResponse,
  People,
  Priority,
  Tag,
  TicketDetail,
} from '@ticketflow/shared/api';
import { NOTE_MAX, priorities } from '@ticketflow/shared/api';
import type { MentionNames } from '@ticketflow/shared/markdown';
import { replyRoom } from '@ticketflow/shared/tickets';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { api, displayName, guildPath, newSendKey, RequestError, timeAgo } from '../api.ts';
import { Avatar, ErrorState, Loading } from '../components.tsx';
import { type Draft, loadDraft, saveDraft } from '../drafts.ts';
import { placeCard, placeMessage } from '../live.ts';
import { Markdown } from '../markdown.tsx';
import { markSeen } from '../unread.ts';

function MessageView({
  message,
  names,
  onRetry,
}: {
  message: Message;
  names: MentionNames;
  onRetry: () => void;
}) {
  const kind = message.internal ? 'note' : message.source === 'dashboard' ? 'reply' : 'discord';
  return (
    <li className={`message ${kind}`} data-message={message.id}>
      <Avatar user={message.author} size={32} />
      <div className="message-body">
        <div className="message-head">
          <strong>{displayName(message.author)}</strong>
          {message.internal ? <span className="tag note-tag">Internal note</span> : null}
          <time dateTime={message.createdAt} title={new Date(message.createdAt).toLocaleString()}>
            {timeAgo(message.createdAt)}
          </time>
          {message.editedAt ? <span className="muted">(edited)</span> : null}
        </div>
        {message.deletedAt ? (
          <p className="muted">This message was deleted in Discord.</p>
        ) : (
          // Parsed to a tree and drawn as React elements: nothing in a message is ever markup.
          <div className="content">
            <Markdown text={message.content} names={names} />
          </div>
        )}
        {message.attachments.map((a) =>
          a.contentType?.startsWith('image/') ? (
            <img key={a.id} className="attachment-image" src={a.url} alt={a.filename} />
          ) : (
            <a
              key={a.id}
              className="attachment"
              href={a.url}
              rel="noreferrer noopener"
              target="_blank"
            >
              📎 {a.filename} ({Math.ceil(a.size / 1024)} KB)
            </a>
          ),
        )}
        {message.embeds.map((e) => (
          <div key={`${e.title ?? ''}|${e.url ?? ''}|${e.description ?? ''}`} className="embed">
            {e.title ? <strong>{e.title}</strong> : null}
            {e.description ? (
              <div>
                <Markdown text={e.description} names={names} />
              </div>
            ) : null}
            {e.fields?.map((f) => (
              <div key={f.name} className="embed-field">
                <strong>{f.name}</strong>
                <div>
                  <Markdown text={f.value} names={names} />
                </div>
              </div>
            ))}
          </div>
        ))}
        {message.delivery === 'pending' ? (
          <span className="delivery pending" role="status">
            Sending to Discord…
          </span>
        ) : message.delivery === 'failed' ? (
          <span className="delivery failed" role="alert">
            Not delivered: {message.failure ?? 'Discord refused it'}{' '}
            <button type="button" onClick={onRetry}>
              Retry
            </button>
          </span>
        ) : message.delivery === 'delivered' && message.source === 'dashboard' ? (
          <span className="delivery delivered">Delivered</span>
        ) : null}
      </div>
    </li>
  );
}

/** The reply box of one ticket (keyed by it): its draft is kept per ticket, for this tab (drafts.ts). */
function Composer({ guildId, ticket }: { guildId: string; ticket: TicketDetail }) {
  const client = useQueryClient();
  const [draft, setDraft] = useState(() => loadDraft(ticket.id));
  const { text, mode } = draft;
  const setText = (value: string) => setDraft((d) => ({ ...d, text: value }));
  const setMode = (value: Draft['mode']) => setDraft((d) => ({ ...d, mode: value }));
  useEffect(() => saveDraft(ticket.id, draft), [ticket.id, draft]);
  const [error, setError] = useState<string | null>(null);
  const send = useMutation({
    mutationFn: (post: { mode: Draft['mode']; content: string; sendKey: string }) =>
      api<Message>(
        `${guildPath(guildId)}/tickets/${ticket.id}/${post.mode === 'reply' ? 'messages' : 'notes'}`,
        { method: 'POST', body: { content: post.content, sendKey: post.sendKey } },
      ),
    onSuccess: (message, post) => {
      placeMessage(client, message, 'posted');
      // What was typed after pressing send stays.
      setDraft((d) => ({
        mode: d.mode,
        text: d.text.trim() === post.content ? '' : d.text,
        sending: null,
      }));
      setError(null);
    },
    // The server or the way to it failed: the message may have been stored before the answer was lost.
    onError: (e) =>
      setError(
        e instanceof RequestError && (e.status === 0 || e.status >= 500)
          ? `${e.message} Your text is kept: send it again, and it is posted once.`
          : e.message,
      ),
  });
  // Saved replies: typing "/" at the start offers them; choosing one puts its text in the box.
  const tags = useQuery({
    queryKey: ['tags', guildId],
    queryFn: () => api<Tag[]>(`${guildPath(guildId)}/tags`),
    staleTime: 60_000,
  });
  const [picked, setPicked] = useState(0);
  const slash = /^\/([\w-]*)$/.exec(text);
  const offered = slash
    ? (tags.data ?? []).filter((t) => t.name.startsWith(slash[1] ?? '')).slice(0, 8)
    : [];
  const chooseTag = (tag: Tag | undefined) => {
    if (tag) setText(tag.content);
    setPicked(0);
  };
  const closed = ticket.status !== 'open';
  // A reply goes to Discord signed with the sender's name: the text has what is left of 2,000.
  const me = client.getQueryData<MeResponse>(['me']);
  const limit =
    mode === 'reply' ? replyRoom(me ? (me.user.globalName ?? me.user.username) : '') : NOTE_MAX;
  const left = limit - text.trim().length;
  const submit = () => {
    const content = text.trim();
    if (!content || send.isPending) return;
    // Nothing is cut off: the text stays as typed, to be shortened or split.
    if (left < 0) {
      setError(
        `This ${mode} is ${-left} character${left === -1 ? '' : 's'} too long${
          mode === 'reply' ? ' for Discord (replies are signed with your name)' : ''
        }. Shorten it, or send it in two parts.`,
      );
      return;
    }
    // The same text in the same mode keeps its key until it is sent (a reload included):
    // sending it again after a failure is the same message, posted once.
    const what = `${mode}:${content}`;
    const sending =
      draft.sending?.draft === what ? draft.sending : { draft: what, sendKey: newSendKey() };
    setDraft((d) => ({ ...d, sending }));
    send.mutate({ mode, content, sendKey: sending.sendKey });
  };
  return (
    <form
      className={`composer ${mode}`}
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <fieldset className="composer-modes">
        <legend className="sr-only">Send as</legend>
        <button
          type="button"
          aria-pressed={mode === 'reply'}
          className={mode === 'reply' ? 'active' : ''}
          onClick={() => setMode('reply')}
        >
          Reply in Discord
        </button>
        <button
          type="button"
          aria-pressed={mode === 'note'}
          className={mode === 'note' ? 'active' : ''}
          onClick={() => setMode('note')}
        >
          Internal note
        </button>
      </fieldset>
      <label className="sr-only" htmlFor="composer-text">
        {mode === 'reply' ? 'Reply to the ticket' : 'Write an internal note'}
      </label>
      <textarea
        id="composer-text"
        value={text}
        disabled={closed && mode === 'reply'}
        placeholder={
          closed && mode === 'reply'
            ? 'This ticket is closed; reopen it to reply'
            : mode === 'reply'
              ? 'Message the opener (Enter sends, Shift+Enter for a new line)'
              : 'Only staff see notes'
        }
        role="combobox"
        aria-expanded={offered.length > 0}
        aria-controls="tag-options"
        aria-autocomplete="list"
        aria-activedescendant={offered.length > 0 ? `tag-${offered[picked]?.id}` : undefined}
        onChange={(e) => {
          setText(e.target.value);
          setPicked(0);
        }}
        onKeyDown={(e) => {
          if (offered.length > 0) {
            if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
              e.preventDefault();
              const step = e.key === 'ArrowDown' ? 1 : offered.length - 1;
              setPicked((picked + step) % offered.length);
              return;
            }
            if (e.key === 'Enter' || e.key === 'Tab') {
              e.preventDefault();
              chooseTag(offered[picked]);
              return;
            }
          }
          if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            submit();
          }
        }}
      />
      {offered.length > 0 ? (
        <div id="tag-options" className="tag-options" role="listbox" aria-label="Saved replies">
          {offered.map((t, i) => (
            <div
              key={t.id}
              id={`tag-${t.id}`}
              role="option"
              tabIndex={-1}
              aria-selected={i === picked}
              onMouseDown={(e) => {
                e.preventDefault();
                chooseTag(t);
              }}
            >
              <code>/{t.name}</code> <span className="muted">{t.content.slice(0, 80)}</span>
            </div>
          ))}
        </div>
      ) : null}
      {left < 200 ? (
        <p className={`composer-count${left < 0 ? ' over' : ''}`} aria-live="polite">
          {left >= 0
            ? `${left} character${left === 1 ? '' : 's'} left`
            : `${-left} character${left === -1 ? '' : 's'} too many`}
        </p>
      ) : null}
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  );
}

const activityText: Record<string, string> = {
  'ticket.created': 'opened the ticket',
  'ticket.claimed': 'claimed it',
  'ticket.unclaimed': 'unclaimed it',
  'ticket.assigned': 'changed the assignee',
  'ticket.moved': 'moved the card',
  'ticket.renamed': 'renamed it',
  'ticket.transferred': 'moved it to another category',
  'ticket.priority_changed': 'changed the priority',
  'ticket.member_added': 'let someone in',
  'ticket.member_removed': 'took someone out',
  'ticket.closed': 'closed it',
  'ticket.reopened': 'reopened it',
  'ticket.updated': 'changed its details',
};

/** What happened to the ticket and who did it (messages are in the conversation). */
function ActivityLog({
  guildId,
  ticketId,
  version,
}: {
  guildId: string;
  ticketId: string;
  version: number;
}) {
  const [open, setOpen] = useState(false);
  const activity = useQuery({
    queryKey: ['activity', ticketId, version],
    queryFn: () => api<Activity>(`${guildPath(guildId)}/tickets/${ticketId}/activity`),
    enabled: open,
  });
  const entries = (activity.data?.activity ?? []).filter((a) => !a.kind.startsWith('message.'));
  return (
    <details className="activity" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Activity</summary>
      {activity.isPending && open ? (
        <Loading label="Loading activity" />
      ) : activity.error ? (
        <ErrorState error={activity.error} retry={() => activity.refetch()} />
      ) : (
        <ol>
          {entries.map((a) => (
            <li key={a.seq}>
              <strong>{a.actor ? displayName(a.actor) : 'TicketFlow'}</strong>{' '}
              {activityText[a.kind] ?? a.kind.replace(/^\w+\./, '').replace(/_/g, ' ')}{' '}
              <time dateTime={a.at} className="muted">
                {timeAgo(a.at)}
              </time>
            </li>
          ))}
          {entries.length === 0 ? <li className="muted">Nothing yet.</li> : null}
        </ol>
      )}
    </details>
  );
}

/**
 * Finds people of the server by name (Discord's member search): staff of the
 * ticket's category can be assigned; anyone can be let into the ticket's
 * channel or taken out of it (the bot changes the channel's permissions).
 */
function PeopleFinder({
  guildId,
  ticket,
  assign,
}: {
  guildId: string;
  ticket: TicketDetail;
  assign: (userId: string) => void;
}) {
  const [q, setQ] = useState('');
  const [query, setQuery] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const base = `${guildPath(guildId)}/tickets/${ticket.id}`;
  const found = useQuery({
    queryKey: ['people', ticket.id, query],
    queryFn: () => api<People>(`${base}/people?q=${encodeURIComponent(query)}`),
    enabled: query.length > 0,
  });
  const member = useMutation({
    mutationFn: (input: { userId: string; add: boolean }) =>
      api(input.add ? `${base}/members` : `${base}/members/${input.userId}`, {
        method: input.add ? 'POST' : 'DELETE',
        ...(input.add ? { body: { userId: input.userId } } : {}),
      }),
    onSuccess: (_, input) => setDone(input.add ? 'Added to the ticket' : 'Removed from the ticket'),
  });
  return (
    <section className="people" aria-label="People">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setDone(null);
          setQuery(q.trim());
        }}
      >
        <label htmlFor="people-search">Assign or add someone</label>
        <div className="inline-form">
          <input
            id="people-search"
            value={q}
            placeholder="Name starts with…"
            maxLength={32}
            onChange={(e) => setQ(e.target.value)}
          />
          <button type="submit" className="ghost small">
            Find
          </button>
        </div>
      </form>
      {found.isFetching ? <p className="muted">Searching…</p> : null}
      {found.error ? (
        <p className="form-error" role="alert">
          {found.error.message}
        </p>
      ) : null}
      {found.data && found.data.people.length === 0 ? (
        <p className="muted">Nobody in the server is called that.</p>
      ) : null}
      <ul className="people-list">
        {found.data?.people.map((p) => (
          <li key={p.id}>
            <span className="person">
              <Avatar user={p} size={18} /> {displayName(p)}
            </span>
            {p.staff ? (
              <button
                type="button"
                className="ghost small"
                disabled={ticket.assignee?.id === p.id}
                onClick={() => assign(p.id)}
              >
                Assign
              </button>
            ) : null}
            <button
              type="button"
              className="ghost small"
              onClick={() => member.mutate({ userId: p.id, add: true })}
              aria-label={`Add ${displayName(p)} to the ticket`}
            >
              Add
            </button>
            <button
              type="button"
              className="ghost small"
              onClick={() => member.mutate({ userId: p.id, add: false })}
              aria-label={`Remove ${displayName(p)} from the ticket`}
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
      {member.error ? (
        <p className="form-error" role="alert">
          {member.error.message}
        </p>
      ) : done ? (
        <p className="muted" role="status">
          {done}
        </p>
      ) : null}
    </section>
  );
}

function SidePanel({ guild, ticket }: { guild: GuildDetail; ticket: TicketDetail }) {
  const client = useQueryClient();
  const [closing, setClosing] = useState(false);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const base = `${guildPath(guild.guild.id)}/tickets/${ticket.id}`;
  const change = useMutation({
    mutationFn: (input: { path: string; method: string; body: unknown }) =>
      api<Card>(input.path, { method: input.method, body: input.body }),
    onSuccess: (card) => {
      placeCard(client, guild.guild.id, card);
      setError(null);
      void client.invalidateQueries({ queryKey: ['ticket', ticket.id] });
    },
    onError: (e) =>
      setError(
        e instanceof RequestError && e.status === 409
          ? 'Someone else changed this ticket just now; it shows the latest, try again.'
          : e.message,
      ),
  });
  const patch = (body: Record<string, unknown>) =>
    change.mutate({ path: base, method: 'PATCH', body: { version: ticket.version, ...body } });
  return (
    <aside className="side">
      <dl>
        <dt>Status</dt>
        <dd className={`status ${ticket.status}`}>{ticket.status}</dd>
        <dt>
          <label htmlFor="category">Category</label>
        </dt>
        <dd>
          <select
            id="category"
            value={ticket.category?.id ?? ''}
            onChange={(e) => {
              if (e.target.value) patch({ categoryId: e.target.value });
            }}
          >
            {ticket.category ? null : <option value="">None</option>}
            {guild.categories.map((c) => (
              <option key={c.id} value={c.id}>
                {c.emoji} {c.name}
              </option>
            ))}
          </select>
        </dd>
        <dt>Opener</dt>
        <dd className="person">
          <Avatar user={ticket.opener} size={18} /> {displayName(ticket.opener)}
        </dd>
        <dt>Assignee</dt>
        <dd className="person">
          {ticket.assignee ? (
            <>
              <Avatar user={ticket.assignee} size={18} /> {displayName(ticket.assignee)}
            </>
          ) : (
            'Nobody'
          )}
          {ticket.assignee ? (
            <button
              type="button"
              className="ghost small"
              onClick={() => patch({ assigneeId: null })}
            >
              Unassign
            </button>
          ) : null}
        </dd>
        <dt>
          <label htmlFor="new-label">Labels</label>
        </dt>
        <dd className="labels">
          {ticket.labels.map((l) => (
            <span key={l} className="label-chip">
              {l}
              <button
                type="button"
                className="ghost"
                aria-label={`Remove label ${l}`}
                onClick={() => patch({ labels: ticket.labels.filter((x) => x !== l) })}
              >
                ×
              </button>
            </span>
          ))}
          <input
            id="new-label"
            placeholder="Add a label"
            maxLength={30}
            onKeyDown={(e) => {
              const value = e.currentTarget.value.trim();
              if (e.key === 'Enter' && value) {
                e.preventDefault();
                patch({ labels: [...ticket.labels, value] });
                e.currentTarget.value = '';
              }
            }}
          />
        </dd>
        <dt>
          <label htmlFor="priority">Priority</label>
        </dt>
        <dd>
          <select
            id="priority"
            value={ticket.priority}
            onChange={(e) => patch({ priority: e.target.value as Priority })}
          >
            {priorities.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </dd>
      </dl>
      {ticket.status === 'open' ? (
        <PeopleFinder
          guildId={guild.guild.id}
          ticket={ticket}
          assign={(userId) => patch({ assigneeId: userId })}
        />
      ) : null}
      {Object.keys(ticket.answers).length > 0 ? (
        <section className="answers">
          <h3>Answers</h3>
          {ticket.questions.map((q) =>
            ticket.answers[q.id] ? (
              <div key={q.id}>
                <h4>{q.label}</h4>
                <p>{ticket.answers[q.id]}</p>
              </div>
            ) : null,
          )}
        </section>
      ) : null}
      <div className="actions">
        {ticket.status === 'open' ? (
          <>
            <button type="button" onClick={() => patch({ assigneeId: 'me' })}>
              Claim
            </button>
            {closing ? (
              <form
                className="close-form"
                onSubmit={(e) => {
                  e.preventDefault();
                  change.mutate({
                    path: `${base}/close`,
                    method: 'POST',
                    body: reason.trim() ? { reason: reason.trim() } : {},
                  });
                  setClosing(false);
                }}
              >
                <label htmlFor="close-reason">Reason (optional)</label>
                <input
                  id="close-reason"
                  value={reason}
                  maxLength={500}
                  onChange={(e) => setReason(e.target.value)}
                />
                <button type="submit" className="danger">
                  Close ticket
                </button>
              </form>
            ) : (
              <button type="button" className="danger" onClick={() => setClosing(true)}>
                Close…
              </button>
            )}
          </>
        ) : (
          <button
            type="button"
            onClick={() => change.mutate({ path: `${base}/reopen`, method: 'POST', body: {} })}
          >
            Reopen
          </button>
        )}
        <a className="button ghost" href={`${base}/transcript?download=1`}>
          Download transcript
        </a>
      </div>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <ActivityLog guildId={guild.guild.id} ticketId={ticket.id} version={ticket.version} />
    </aside>
  );
}

/** A ticket beside the board: its conversation, a composer, and its details and actions. */
export function TicketView({
  guild,
  ticketId,
  onClose,
}: {
  guild: GuildDetail;
  ticketId: string;
  onClose: () => void;
}) {
  const client = useQueryClient();
  const base = `${guildPath(guild.guild.id)}/tickets/${ticketId}`;
  const ticket = useQuery({
    queryKey: ['ticket', ticketId],
    queryFn: () => api<TicketDetail>(base),
  });
  /** A page of the conversation, newest first: the newest 100, or the 100 before a message. */
  const readPage = (before?: string) =>
    api<MessagesResponse>(`${base}/messages?limit=100${before ? `&before=${before}` : ''}`);
  const messages = useQuery({
    queryKey: ['messages', ticketId],
    queryFn: async () => {
      // Read again (a reconnect, a resync): as far back as the conversation was
      // shown, so earlier messages loaded on request stay in view.
      const shownFrom = client
        .getQueryData<MessagesResponse>(['messages', ticketId])
        ?.messages.at(-1)?.id;
      let page = await readPage();
      const all = [...page.messages];
      while (shownFrom && page.nextBefore && BigInt(page.nextBefore) > BigInt(shownFrom)) {
        page = await readPage(page.nextBefore);
        all.push(...page.messages);
      }
      return { messages: all, nextBefore: page.nextBefore };
    },
  });
  const list = useRef<HTMLOListElement>(null);
  const newest = messages.data?.messages[0]?.id;
  useEffect(() => {
    // Opened, or a message came in while open: seen, and the newest in view.
    markSeen(ticketId);
    if (newest) list.current?.scrollTo({ top: list.current.scrollHeight });
  }, [ticketId, newest]);
  // Earlier messages, a page at a time, added to the conversation; what was in
  // view stays where it was.
  const anchor = useRef<number | null>(null);
  const earlier = useMutation({
    mutationFn: (before: string) => readPage(before),
    onMutate: () => {
      anchor.current = list.current ? list.current.scrollHeight - list.current.scrollTop : null;
    },
    onError: () => {
      anchor.current = null;
    },
    onSuccess: (older) =>
      client.setQueryData<MessagesResponse>(['messages', ticketId], (page) => {
        if (!page) return page;
        const have = new Set(page.messages.map((m) => m.id));
        return {
          messages: [...page.messages, ...older.messages.filter((m) => !have.has(m.id))],
          nextBefore: older.nextBefore,
        };
      }),
  });
  const oldest = messages.data?.messages.at(-1)?.id;
  useLayoutEffect(() => {
    if (oldest && anchor.current !== null && list.current) {
      list.current.scrollTop = list.current.scrollHeight - anchor.current;
      anchor.current = null;
    }
  }, [oldest]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  // Mentions of people in this conversation read as their names.
  const names = useMemo((): MentionNames => {
    const people = new Map<string, string>();
    for (const m of messages.data?.messages ?? [])
      if (m.author) people.set(m.author.id, displayName(m.author));
    const roles = new Map((ticket.data?.roles ?? []).map((r) => [r.id, r.name]));
    return { user: (id) => people.get(id), role: (id) => roles.get(id) };
  }, [messages.data, ticket.data]);
  const retry = async (message: Message) => {
    const again = await api<Message>(`${base}/messages/${message.id}/retry`, { method: 'POST' });
    placeMessage(client, again, 'retried');
  };
  return (
    <div className="drawer" role="dialog" aria-modal="false" aria-labelledby="ticket-title">
      {ticket.isPending ? (
        <Loading label="Loading the ticket" />
      ) : ticket.error ? (
        <ErrorState error={ticket.error} retry={() => ticket.refetch()} />
      ) : (
        <>
          <header className="drawer-head">
            <h2 id="ticket-title">
              #{ticket.data.number} {ticket.data.topic ?? ''}
            </h2>
            <button
              type="button"
              className="ghost"
              onClick={onClose}
              aria-label="Close ticket view"
            >
              ×
            </button>
          </header>
          <div className="drawer-body">
            <section className="conversation">
              {messages.isPending ? (
                <Loading label="Loading messages" />
              ) : messages.error ? (
                <ErrorState error={messages.error} retry={() => messages.refetch()} />
              ) : (
                <ol
                  ref={list}
                  className="messages"
                  aria-label="Messages"
                  aria-busy={messages.isFetching}
                >
                  {messages.data.nextBefore ? (
                    <li className="earlier">
                      <button
                        type="button"
                        className="ghost"
                        disabled={earlier.isPending}
                        onClick={() => earlier.mutate(messages.data.nextBefore as string)}
                      >
                        {earlier.isPending ? 'Loading earlier messages…' : 'Show earlier messages'}
                      </button>
                      {earlier.error ? (
                        <span className="form-error" role="alert">
                          {' '}
                          {earlier.error.message}
                        </span>
                      ) : null}
                    </li>
                  ) : null}
                  {[...messages.data.messages].reverse().map((m) => (
                    <MessageView
                      key={m.id}
                      message={m}
                      names={names}
                      onRetry={() => void retry(m)}
                    />
                  ))}
                  {messages.data.messages.length === 0 ? (
                    <li className="muted">No messages yet.</li>
                  ) : null}
                </ol>
              )}
              <Composer key={ticket.data.id} guildId={guild.guild.id} ticket={ticket.data} />
            </section>
            <SidePanel guild={guild} ticket={ticket.data} />
          </div>
        </>
      )}
    </div>
  );
}
