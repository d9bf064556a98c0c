import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { DataOverview, DataRequest, GuildDetail } from '@ticketflow/shared/api';
import { useState } from 'react';
import { useLocation } from 'wouter';
import { api, guildPath, RequestError } from '../api.ts';
import { ConfirmByTyping, ErrorState, FailedNote, Loading } from '../components.tsx';
import { GuildNav } from './GuildNav.tsx';

/** What each table holds, in words, for the "what is stored" list. */
const TABLE_LABELS: Record<string, string> = {
  guilds: 'Server (name, icon, settings)',
  guild_sequences: 'Ticket and event counters',
  categories: 'Ticket categories',
  board_columns: 'Board columns',
  panels: 'Ticket panels',
  tags: 'Saved replies',
  tickets: 'Tickets',
  messages: 'Messages and staff notes',
  feedback: 'Ratings and comments',
  events: 'Ticket activity',
  audit_log: 'Audit log entries',
  outbox: 'Dashboard actions sent to Discord',
  jobs: 'Scheduled jobs',
  data_requests: 'Exports and erasures',
  export_chunks: 'Export archive pieces (up to 1 MiB each)',
};

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '');
const size = (bytes: number) =>
  bytes < 1_000_000
    ? `${Math.max(1, Math.round(bytes / 1_000))} KB`
    : `${(bytes / 1_000_000).toFixed(1)} MB`;

function ExportRow({ request, guildId }: { request: DataRequest; guildId: string }) {
  const status =
    request.status === 'running' || request.status === 'pending' ? (
      <span className="export-progress">
        <progress max={100} value={request.progress} aria-label="Export progress" />{' '}
        {request.status === 'pending'
          ? request.note
            ? 'Waiting to start again'
            : 'Waiting to start'
          : `${request.progress}%`}
        {request.note ? <span className="muted export-note">{request.note}</span> : null}
      </span>
    ) : request.status === 'failed' ? (
      <span className="danger-text">Failed: {request.error ?? 'unknown error'}</span>
    ) : request.downloadable ? (
      <a className="button" href={`${guildPath(guildId)}/exports/${request.id}/download`} download>
        Download{request.archiveBytes === null ? '' : ` ${size(request.archiveBytes)}`} (until{' '}
        {when(request.expiresAt)})
      </a>
    ) : (
      <span className="muted">{request.refusal ?? 'Not available'}</span>
    );
  return (
    <li className="data-request">
      <span>
        {request.kind === 'export'
          ? 'Export'
          : request.kind === 'erase_user'
            ? `Erased user ${request.targetUserId ?? ''}`
            : 'Server erasure'}
      </span>
      <span className="muted">{when(request.createdAt)}</span>
      {request.kind === 'export' ? status : <span className="muted">Done</span>}
    </li>
  );
}

function EraseUser({ guildId }: { guildId: string }) {
  const client = useQueryClient();
  const [userId, setUserId] = useState('');
  const [confirming, setConfirming] = useState(false);
  const erase = useMutation({
    mutationFn: () =>
      api<{ counts: Record<string, number> }>(`${guildPath(guildId)}/erase-user`, {
        method: 'POST',
        body: { userId: userId.trim() },
      }),
    onSuccess: () => {
      setConfirming(false);
      void client.invalidateQueries({ queryKey: ['data', guildId] });
    },
  });
  return (
    <form
      className="settings-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (!confirming) setConfirming(true);
        else erase.mutate();
      }}
    >
      <p className="muted">
        Their messages stay in the timeline as “Deleted user” with the text, files and embeds
        removed; what they answered when opening a ticket, their ratings and comments are deleted.
      </p>
      <label className="field user-id">
        <span>Discord user id</span>
        <input
          value={userId}
          inputMode="numeric"
          pattern="\d{15,20}"
          required
          onChange={(e) => {
            setUserId(e.target.value);
            setConfirming(false);
          }}
        />
      </label>
      <div className="form-actions">
        <button type="submit" className={confirming ? 'danger' : ''} disabled={erase.isPending}>
          {erase.isPending
            ? 'Erasing…'
            : confirming
              ? `Erase user ${userId} now`
              : "Erase this user's data"}
        </button>
        {erase.isSuccess ? (
          <span className="save-status ok" role="status">
            Erased: {Object.values(erase.data.counts).reduce((a, b) => a + b, 0)} rows changed
          </span>
        ) : null}
        <FailedNote error={erase.error} />
      </div>
    </form>
  );
}

function DangerZone({ guild, counts }: { guild: GuildDetail; counts: Record<string, number> }) {
  const [, navigate] = useLocation();
  const client = useQueryClient();
  const [leave, setLeave] = useState(true);
  const erase = useMutation({
    mutationFn: (confirmName: string) =>
      api(`${guildPath(guild.guild.id)}/erase`, {
        method: 'POST',
        body: { confirmName, leave },
      }),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['guilds'] });
      navigate('~/?erased=1');
    },
  });
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return (
    <section className="settings-section danger-zone" aria-labelledby="danger-title">
      <h2 id="danger-title">Danger zone: erase this server's data</h2>
      <p>
        Deletes all {total.toLocaleString()} rows listed above, at once and for good: tickets,
        messages, notes, activity, settings, the audit log and pending work. Export first if you may
        need any of it. Other servers are not touched.
      </p>
      <ConfirmByTyping
        prompt={
          <>
            Type the server's name, <b>{guild.guild.name}</b>, to confirm
          </>
        }
        matches={(typed) => typed.trim() === guild.guild.name.trim()}
        action="Erase all of this server’s data"
        pending={erase.isPending}
        error={erase.error}
        onConfirm={(typed) => erase.mutate(typed)}
      >
        <label className="check">
          <input type="checkbox" checked={leave} onChange={(e) => setLeave(e.target.checked)} />
          Also remove the bot from the server (it stops collecting at once)
        </label>
      </ConfirmByTyping>
    </section>
  );
}

/**
 * The data page (admins): what is stored for the server, exact counts;
 * exports with progress and a download; erasing one person; and, for the
 * owner, erasing the whole server.
 */
export function DataPage({ guildId }: { guildId: string }) {
  const client = useQueryClient();
  const guild = useQuery({
    queryKey: ['guild', guildId],
    queryFn: () => api<GuildDetail>(guildPath(guildId)),
  });
  const data = useQuery({
    queryKey: ['data', guildId],
    queryFn: () => api<DataOverview>(`${guildPath(guildId)}/data`),
    // While an export is being built, its progress is polled.
    refetchInterval: (q) =>
      q.state.data?.requests.some((r) => r.status === 'pending' || r.status === 'running')
        ? 1_000
        : false,
  });
  const requestExport = useMutation({
    mutationFn: () => api<DataRequest>(`${guildPath(guildId)}/exports`, { method: 'POST' }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['data', guildId] }),
  });
  if (guild.isPending) return <Loading label="Loading the server" />;
  if (guild.error) return <ErrorState error={guild.error} />;
  if (guild.data.access.role !== 'admin') {
    return (
      <main className="settings-page">
        <GuildNav guild={guild.data} current="data" />
        <ErrorState error={new Error('Only the server’s admins can see its data page.')} />
      </main>
    );
  }
  return (
    <main className="settings-page data-page">
      <GuildNav guild={guild.data} current="data" />
      {data.isPending ? (
        <Loading label="Counting what is stored" />
      ) : data.error ? (
        <ErrorState
          error={
            data.error instanceof RequestError && data.error.status === 404
              ? new Error('This server has no data here.')
              : data.error
          }
          retry={() => data.refetch()}
        />
      ) : (
        <div className="settings-body">
          <section className="settings-section" aria-labelledby="stored-title">
            <h2 id="stored-title">What is stored for this server</h2>
            <table className="counts">
              <tbody>
                {Object.entries(data.data.counts)
                  .filter(([, n]) => n > 0)
                  .map(([table, n]) => (
                    <tr key={table}>
                      <th scope="row">{TABLE_LABELS[table] ?? table}</th>
                      <td>{n.toLocaleString()}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
            <p className="muted">
              Message text, files, embeds, opening answers, notes and comments are encrypted at
              rest. See <a href="/privacy">what we store and for how long</a>.
            </p>
          </section>
          <section className="settings-section" aria-labelledby="export-title">
            <h2 id="export-title">Export</h2>
            <p className="muted">
              A zip with one JSON file per kind of data and an HTML transcript of every ticket. Only
              you can download it, for 24 hours.
            </p>
            <div className="form-actions">
              <button
                type="button"
                onClick={() => requestExport.mutate()}
                disabled={requestExport.isPending}
              >
                Export all data
              </button>
              <FailedNote error={requestExport.error} />
            </div>
            {data.data.requests.length > 0 ? (
              <ul className="data-requests" aria-label="Exports and erasures">
                {data.data.requests.map((r) => (
                  <ExportRow key={r.id} request={r} guildId={guildId} />
                ))}
              </ul>
            ) : null}
          </section>
          <section className="settings-section" aria-labelledby="erase-user-title">
            <h2 id="erase-user-title">Erase one person's data</h2>
            <EraseUser guildId={guildId} />
          </section>
          {data.data.canEraseServer ? (
            <DangerZone guild={guild.data} counts={data.data.counts} />
          ) : (
            <p className="muted">Only the server's owner can erase all of its data.</p>
          )}
        </div>
      )}
    </main>
  );
}
