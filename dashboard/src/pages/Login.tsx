/** The login page: one Discord button, and why the last attempt failed, if it did. */
export function LoginPage() {
  const params = new URLSearchParams(location.search);
  const message = params.get('message');
  const next = params.get('next');
  const href = next?.startsWith('/')
    ? `/auth/login?next=${encodeURIComponent(next)}`
    : '/auth/login';
  return (
    <main className="login">
      <div className="login-card">
        <h1>TicketFlow</h1>
        <p>Your server's tickets on one board, live.</p>
        {message ? (
          <p className="login-error" role="alert">
            {message}
          </p>
        ) : null}
        <a className="button discord" href={href}>
          Log in with Discord
        </a>
      </div>
    </main>
  );
}
