import { useQuery } from '@tanstack/react-query';
import type { MeResponse } from '@ticketflow/shared/api';
import { Redirect, Route, Switch } from 'wouter';
import { api, RequestError } from './api.ts';
import { Avatar, ErrorState, Loading } from './components.tsx';
import { BoardPage } from './pages/Board.tsx';
import { LoginPage } from './pages/Login.tsx';
import { ServersPage } from './pages/Servers.tsx';
import { SettingsPage } from './pages/Settings.tsx';
import { StatsPage } from './pages/Stats.tsx';
import { Shortcuts } from './shortcuts.tsx';

export function useMe() {
  return useQuery({ queryKey: ['me'], queryFn: () => api<MeResponse>('/api/me') });
}

function TopBar({ me }: { me: MeResponse }) {
  const toggleTheme = () => {
    const next = document.documentElement.dataset.theme === 'light' ? 'dark' : 'light';
    document.documentElement.dataset.theme = next;
    localStorage.setItem('tf-theme', next);
  };
  const logout = async () => {
    await api('/auth/logout', { method: 'POST' }).catch(() => undefined);
    location.href = '/login';
  };
  return (
    <header className="topbar">
      <a href="/" className="brand">
        TicketFlow
      </a>
      <span className="spacer" />
      <button type="button" className="ghost" onClick={toggleTheme} aria-label="Switch theme">
        ◐
      </button>
      <span className="me">
        <Avatar user={me.user} size={24} />
        {me.user.globalName ?? me.user.username}
      </span>
      <button type="button" className="ghost" onClick={logout}>
        Log out
      </button>
    </header>
  );
}

export function App() {
  const me = useMe();
  return (
    <Switch>
      <Route path="/login" component={LoginPage} />
      <Route>
        {me.isPending ? (
          <Loading label="Loading your account" />
        ) : me.error instanceof RequestError && me.error.status === 401 ? (
          <Redirect to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} />
        ) : me.error ? (
          <ErrorState error={me.error} retry={() => me.refetch()} />
        ) : (
          <div className="shell">
            <TopBar me={me.data} />
            <Shortcuts />
            <Switch>
              <Route path="/" component={ServersPage} />
              <Route path="/g/:guildId/settings">
                {(params) => <SettingsPage guildId={params.guildId} />}
              </Route>
              <Route path="/g/:guildId/stats">
                {(params) => <StatsPage guildId={params.guildId} />}
              </Route>
              <Route path="/g/:guildId" nest>
                {(params) => <BoardPage guildId={params.guildId} />}
              </Route>
              <Route>
                <ErrorState error={new Error('There is no page here.')} />
              </Route>
            </Switch>
          </div>
        )}
      </Route>
    </Switch>
  );
}
