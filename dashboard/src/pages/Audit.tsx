import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import type { AuditResponse, GuildDetail } from '@ticketflow/shared/api';
import { useState } from 'react';
import { api, displayName, guildPath } from '../api.ts';
import { Avatar, Empty, ErrorState, Loading } from '../components.tsx';
import { GuildNav } from './GuildNav.tsx';

/** The kinds of action an admin filters by (a prefix matches every action under it). */
const ACTIONS: [string, string][] = [
  ['', 'Everything'],
  ['ticket.', 'Tickets opened on the web'],
  ['transcript.', 'Transcripts read'],
  ['ticket.reply', 'Replies'],
  ['note.', 'Notes'],
  ['settings.', 'Server settings'],
  ['category.', 'Categories'],
  ['column.', 'Board columns'],
  ['tag.', 'Saved replies'],
  ['panel.', 'Panels'],
  ['export.', 'Exports'],
  ['user.', 'Erasures'],
];

const ACTION_WORDS: Record<string, string> = {
  'ticket.view': 'opened a ticket',
  'transcript.view': 'read a transcript',
  'ticket.reply': 'replied',
  'note.create': 'wrote a note',
  'note.update': 'edited a note',
  'note.delete': 'deleted a note',
  'settings.updated': 'changed the settings',
  'export.requested': 'asked for an export',
  'export.downloaded': 'downloaded an export',
  'user.erased': "erased a user's data",
};

/** "2026-11-23" from a date input, as the start or end of that day in local time. */
const dayBound = (day: string, end: boolean) =>
  day ? new Date(`${day}T${end ? '23:59:59.999' : '00:00:00'}`).toISOString() : '';

/** The audit log (admins): who did what, when and from where, with filters and paging. */
export function AuditPage({ guildId }: { guildId: string }) {
  const guild = useQuery({
    queryKey: ['guild', guildId],
    queryFn: () => api<GuildDetail>(guildPath(guildId)),
  });
  const [action, setAction] = useState('');
  const [actorId, setActorId] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const actorOk = actorId === '' || /^\d{15,20}$/.test(actorId);
  const query = new URLSearchParams();
  if (action) query.set('action', action);
  if (actorId && actorOk) query.set('actorId', actorId);
  if (from) query.set('from', dayBound(from, false));
  if (to) query.set('to', dayBound(to, true));
  const entries = useInfiniteQuery({
    queryKey: ['audit', guildId, query.toString()],
    queryFn: ({ pageParam }) => {
      const q = new URLSearchParams(query);
      if (pageParam) q.set('before', String(pageParam));
      return api<AuditResponse>(`${guildPath(guildId)}/audit?${q}`);
    },
    initialPageParam: 0,
    getNextPageParam: (last) => last.nextBefore ?? undefined,
    enabled: guild.data?.access.role === 'admin',
  });
  if (guild.isPending) return <Loading label="Loading the server" />;
  if (guild.error) return <ErrorState error={guild.error} />;
  const rows = entries.data?.pages.flatMap((p) => p.entries) ?? [];
  return (
    <main className="settings-page audit-page">
      <GuildNav guild={guild.data} current="audit" />
      {guild.data.access.role !== 'admin' ? (
        <ErrorState error={new Error('Only the server’s admins can read its audit log.')} />
      ) : (
        <>
          <form className="audit-filters" onSubmit={(e) => e.preventDefault()}>
            <label className="field">
              <span>What</span>
              <select value={action} onChange={(e) => setAction(e.target.value)}>
                {ACTIONS.map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>Who (user id)</span>
              <input
                value={actorId}
                inputMode="numeric"
                aria-invalid={!actorOk}
                onChange={(e) => setActorId(e.target.value.trim())}
                placeholder="Anyone"
              />
            </label>
            <label className="field">
              <span>From</span>
              <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
            </label>
            <label className="field">
              <span>To</span>
              <input type="date" value={to} onChange={(e) => setTo(e.target.value)} />
            </label>
          </form>
          <p className="muted">
            Kept for 90 days. Logins are recorded too, but belong to no server, so they are not
            listed here.
          </p>
          {entries.isPending ? (
            <Loading label="Reading the audit log" />
          ) : entries.error ? (
            <ErrorState error={entries.error} retry={() => entries.refetch()} />
          ) : rows.length === 0 ? (
            <Empty>Nothing recorded matches these filters.</Empty>
          ) : (
            <table className="audit">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">What</th>
                  <th scope="col">On</th>
                  <th scope="col">From</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((e) => (
                  <tr key={e.id}>
                    <td>
                      <time dateTime={e.at}>{new Date(e.at).toLocaleString()}</time>
                    </td>
                    <td>
                      {e.actor ? (
                        <span className="who">
                          <Avatar user={e.actor} size={18} /> {displayName(e.actor)}
                        </span>
                      ) : (
                        <span className="muted">{e.actorId ?? 'TicketFlow'}</span>
                      )}
                    </td>
                    <td>
                      {ACTION_WORDS[e.action] ?? e.action} <code className="muted">{e.action}</code>
                    </td>
                    <td>
                      {e.targetType ? (
                        <span>
                          {e.targetType} <code>{e.targetId}</code>
                        </span>
                      ) : null}
                    </td>
                    <td className="muted">{e.ip ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {entries.hasNextPage ? (
            <button
              type="button"
              className="ghost"
              onClick={() => void entries.fetchNextPage()}
              disabled={entries.isFetchingNextPage}
            >
              {entries.isFetchingNextPage ? 'Loading…' : 'Older entries'}
            </button>
          ) : null}
        </>
      )}
    </main>
  );
}
