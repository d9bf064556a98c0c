import { useQuery } from '@tanstack/react-query';
import type { GuildDetail, Stats } from '@ticketflow/shared/api';
import { useState } from 'react';
import { api, displayName, guildPath } from '../api.ts';
import { Avatar, Empty, ErrorState, Loading } from '../components.tsx';
import { GuildNav } from './GuildNav.tsx';

/** "2 h 5 min", "40 s": a median duration, or a dash when there is none yet. */
export function duration(seconds: number | null): string {
  if (seconds === null) return '–';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) {
    const h = Math.floor(seconds / 3600);
    const m = Math.round((seconds % 3600) / 60);
    return m ? `${h} h ${m} min` : `${h} h`;
  }
  return `${(seconds / 86_400).toFixed(1)} days`;
}

/** Opened and closed per day as paired bars; each day's numbers are its label. */
function PerDayChart({ perDay }: { perDay: Stats['perDay'] }) {
  const max = Math.max(1, ...perDay.flatMap((d) => [d.opened, d.closed]));
  return (
    <figure className="chart">
      <ol className="days" aria-label="Tickets per day">
        {perDay.map((d) => (
          <li
            key={d.day}
            className="day"
            aria-label={`${d.day}: ${d.opened} opened, ${d.closed} closed`}
            title={`${d.day}: ${d.opened} opened, ${d.closed} closed`}
          >
            <span className="bar opened" style={{ height: `${(d.opened / max) * 100}%` }} />
            <span className="bar closed" style={{ height: `${(d.closed / max) * 100}%` }} />
          </li>
        ))}
      </ol>
      <div className="axis-labels" aria-hidden="true">
        <span>{perDay[0]?.day.slice(5)}</span>
        <span>{perDay.at(-1)?.day.slice(5)}</span>
      </div>
      <figcaption>
        <span className="legend opened">Opened</span> <span className="legend closed">Closed</span>{' '}
        per day
      </figcaption>
    </figure>
  );
}

function Ratings({ feedback }: { feedback: Stats['feedback'] }) {
  const max = Math.max(1, ...feedback.distribution);
  return (
    <figure className="chart ratings">
      <ol aria-label="Ratings">
        {feedback.distribution.map((count, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: the index is the rating (1 to 5)
          <li key={i}>
            <span className="stars" aria-hidden="true">
              {'★'.repeat(i + 1)}
            </span>
            <span className="sr-only">{i + 1} of 5:</span>
            <span className="hbar" style={{ width: `${(count / max) * 100}%` }} />
            <span className="count">{count}</span>
          </li>
        ))}
      </ol>
      <figcaption>
        {feedback.count === 0
          ? 'No ratings yet'
          : `${feedback.average?.toFixed(1)} / 5 from ${feedback.count} rating${feedback.count === 1 ? '' : 's'}`}
      </figcaption>
    </figure>
  );
}

/** Tickets opened and closed, who handled them, how fast, and what openers thought. */
export function StatsPage({ guildId }: { guildId: string }) {
  const [days, setDays] = useState(30);
  const guild = useQuery({
    queryKey: ['guild', guildId],
    queryFn: () => api<GuildDetail>(guildPath(guildId)),
  });
  const stats = useQuery({
    queryKey: ['stats', guildId, days],
    queryFn: () => api<Stats>(`${guildPath(guildId)}/stats?days=${days}`),
  });
  if (guild.isPending) return <Loading label="Loading the server" />;
  if (guild.error) return <ErrorState error={guild.error} />;
  const s = stats.data;
  const opened = s?.perDay.reduce((n, d) => n + d.opened, 0) ?? 0;
  const closed = s?.perDay.reduce((n, d) => n + d.closed, 0) ?? 0;
  return (
    <main className="stats-page">
      <GuildNav guild={guild.data} current="stats">
        <label className="filter">
          <span className="sr-only">Period</span>
          <select value={days} onChange={(e) => setDays(Number(e.target.value))}>
            <option value={7}>Last 7 days</option>
            <option value={30}>Last 30 days</option>
            <option value={90}>Last 90 days</option>
            <option value={365}>Last year</option>
          </select>
        </label>
      </GuildNav>
      {stats.isPending ? (
        <Loading label="Counting tickets" />
      ) : stats.error ? (
        <ErrorState error={stats.error} retry={() => stats.refetch()} />
      ) : s ? (
        <div className="stats">
          <dl className="figures">
            <div>
              <dt>Opened</dt>
              <dd>{opened}</dd>
            </div>
            <div>
              <dt>Closed</dt>
              <dd>{closed}</dd>
            </div>
            <div>
              <dt>Median first response</dt>
              <dd>{duration(s.medianFirstResponseSeconds)}</dd>
            </div>
            <div>
              <dt>Median resolution</dt>
              <dd>{duration(s.medianResolutionSeconds)}</dd>
            </div>
          </dl>
          <section className="stats-card wide">
            <h2>Tickets per day</h2>
            {opened + closed === 0 ? (
              <Empty>No tickets in this period.</Empty>
            ) : (
              <PerDayChart perDay={s.perDay} />
            )}
          </section>
          <section className="stats-card">
            <h2>Handled per staff member</h2>
            {s.perStaff.length === 0 ? (
              <Empty>Nobody has closed a ticket in this period.</Empty>
            ) : (
              <ol className="staff-list">
                {s.perStaff.map((p) => (
                  <li key={p.userId}>
                    <Avatar user={p.user} size={20} /> {displayName(p.user)}
                    <span
                      className="hbar"
                      style={{ width: `${(p.handled / (s.perStaff[0]?.handled || 1)) * 60}%` }}
                    />
                    <span className="count">{p.handled}</span>
                  </li>
                ))}
              </ol>
            )}
          </section>
          <section className="stats-card">
            <h2>Feedback</h2>
            <Ratings feedback={s.feedback} />
          </section>
        </div>
      ) : null}
    </main>
  );
}
