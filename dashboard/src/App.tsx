import { useQuery } from '@tanstack/react-query';
import type { MeResponse } from '@ticketflow/shared/api';
import { Redirect, Route, Switch } from 'wouter';
import { api, RequestError } from './api.ts';
import { Avatar, ErrorState, Loading } from './components.tsx';
import { clearDrafts } from './drafts.ts';
import { AuditPage } from './pages/Audit.tsx';
import { BoardPage } from './pages/Board.tsx';
import { DataPage } from './pages/Data.tsx';
import { LoginPage } from './pages/Login.tsx';
import { AccountPage, PrivacyPage } from './pages/Privacy.tsx';
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
    clearDrafts();
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
      <a href="/privacy" className="ghost">
        Privacy
      </a>
      <a href="/me" className="me" title="Your account">
        <Avatar user={me.user} size={24} />
        {me.user.globalName ?? me.user.username}
      </a>
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
      <Route path="/privacy" component={PrivacyPage} />
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
            {/* A guild's pages are keyed by it: no form or state of one server is left in another's. */}
            <Switch>
              <Route path="/" component={ServersPage} />
              <Route path="/me">{() => <AccountPage me={me.data} />}</Route>
              <Route path="/g/:guildId/data">
                {(params) => <DataPage key={params.guildId} guildId={params.guildId} />}
              </Route>
              <Route path="/g/:guildId/audit">
                {(params) => <AuditPage key={params.guildId} guildId={params.guildId} />}
              </Route>
              <Route path="/g/:guildId/settings">
                {(params) => <SettingsPage key={params.guildId} guildId={params.guildId} />}
              </Route>
              <Route path="/g/:guildId/stats">
                {(params) => <StatsPage key={params.guildId} guildId={params.guildId} />}
              </Route>
              <Route path="/g/:guildId" nest>
                {(params) => <BoardPage key={params.guildId} guildId={params.guildId} />}
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
