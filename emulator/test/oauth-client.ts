// What a person does on the emulator's authorise page, for tests that log in
// through a real OAuth redirect (no test-runner imports here: benchmarks use it too).

/**
 * Approves the authorise request in `authorize` (the URL an app redirected
 * to) as `userId`, the way the page's form does; resolves with where the
 * emulator sends the browser back (the app's callback with code and state).
 */
export async function approveAs(authorize: URL, userId: string): Promise<URL> {
  const form = new URLSearchParams({
    client_id: authorize.searchParams.get('client_id') ?? '',
    redirect_uri: authorize.searchParams.get('redirect_uri') ?? '',
    response_type: 'code',
    scope: authorize.searchParams.get('scope') ?? '',
    state: authorize.searchParams.get('state') ?? '',
    decision: 'allow',
    user_id: userId,
  });
  const decided = await fetch(`${authorize.origin}/oauth2/authorize`, {
    method: 'POST',
    body: form,
    redirect: 'manual',
  });
  return new URL(decided.headers.get('location') ?? '');
}
