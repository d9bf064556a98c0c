/**
 * The login page: one Discord button, why the last attempt failed, if it
 * did, and the confirmation of an erasure of one's own data (which logs out).
 */
export function LoginPage() {
  const params = new URLSearchParams(location.search);
  const message = params.get('message');
  const next = params.get('next');
  const erased = params.get('erased') === '1';
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
        {erased ? (
          <p className="banner notice" role="status">
            Your data was erased in every server, and you were logged out.
          </p>
        ) : null}
        <a className="button discord" href={href}>
          Log in with Discord
        </a>
      </div>
    </main>
  );
}
