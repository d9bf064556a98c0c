import { useQuery } from '@tanstack/react-query';
import type { GuildList } from '@ticketflow/shared/api';
import { Link } from 'wouter';
import { api } from '../api.ts';
import { Empty, ErrorState, Loading } from '../components.tsx';

const iconOf = (g: { id: string; icon: string | null; name: string }) =>
  g.icon ? (
    <img src={`https://cdn.discordapp.com/icons/${g.id}/${g.icon}.png?size=64`} alt="" />
  ) : (
    <span aria-hidden="true">{g.name.slice(0, 2)}</span>
  );

/** The servers the user can work in, and invite links for those they manage without the bot. */
export function ServersPage() {
  const list = useQuery({ queryKey: ['guilds'], queryFn: () => api<GuildList>('/api/guilds') });
  if (list.isPending) return <Loading label="Loading your servers" />;
  if (list.error) return <ErrorState error={list.error} retry={() => list.refetch()} />;
  const { guilds, invites } = list.data;
  // After the owner erased a server's data (the Data page comes here).
  const erased = new URLSearchParams(location.search).get('erased') === '1';
  return (
    <main className="servers">
      <h1>Your servers</h1>
      {erased ? (
        <p className="banner notice" role="status">
          The server's data was erased.
        </p>
      ) : null}
      {guilds.length === 0 ? (
        <Empty>
          You are not staff in any server with TicketFlow. Ask an admin for a staff role, or add the
          bot to a server you manage.
        </Empty>
      ) : (
        <ul className="server-grid">
          {guilds.map((g) => (
            <li key={g.id}>
              <Link href={`/g/${g.id}`} className="server">
                <span className="server-icon">{iconOf(g)}</span>
                <span className="server-name">{g.name}</span>
                <span className="badge">{g.role}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
      {invites.length > 0 ? (
        <>
          <h2>Add TicketFlow to a server you manage</h2>
          <ul className="server-grid">
            {invites.map((g) => (
              <li key={g.id}>
                <a href={g.inviteUrl} className="server invite">
                  <span className="server-icon">{iconOf(g)}</span>
                  <span className="server-name">{g.name}</span>
                  <span className="badge">Add bot</span>
                </a>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </main>
  );
}
