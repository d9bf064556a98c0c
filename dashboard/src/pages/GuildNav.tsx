import type { GuildDetail } from '@ticketflow/shared/api';
import { Link } from 'wouter';

/** The server's name and its pages: board, stats and, for admins, settings, audit log and data. */
export function GuildNav({
  guild,
  current,
  children,
}: {
  guild: GuildDetail;
  current: 'board' | 'stats' | 'settings' | 'data' | 'audit';
  children?: React.ReactNode;
}) {
  const base = `~/g/${guild.guild.id}`;
  const pages = [
    ['board', 'Board', base],
    ['stats', 'Stats', `${base}/stats`],
    ...(guild.access.role === 'admin'
      ? ([
          ['settings', 'Settings', `${base}/settings`],
          ['audit', 'Audit log', `${base}/audit`],
          ['data', 'Data', `${base}/data`],
        ] as const)
      : []),
  ] as const;
  return (
    <div className="toolbar">
      <Link href="~/" className="crumb">
        Servers
      </Link>
      <h1>{guild.guild.name}</h1>
      <nav className="guild-nav" aria-label="Server pages">
        {pages.map(([key, label, href]) => (
          <Link key={key} href={href} aria-current={key === current ? 'page' : undefined}>
            {label}
          </Link>
        ))}
      </nav>
      {children}
    </div>
  );
}
