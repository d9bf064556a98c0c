import { describe, expect, it } from 'vitest';
import { useEmulator } from './support.ts';

const redirectUri = 'http://localhost:3000/auth/callback';

describe('OAuth2 authorization-code flow', () => {
  const t = useEmulator();

  const authorizeUrl = (params: Record<string, string> = {}) => {
    const url = new URL(`${t.emulator.url}/oauth2/authorize`);
    url.search = new URLSearchParams({
      client_id: t.world.application.id,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'identify guilds',
      state: 'state-123',
      ...params,
    }).toString();
    return url.toString();
  };

  /** The authorize page as a person uses it: pick a user, get redirected with a code. */
  async function authorizeAs(userId: string, params: Record<string, string> = {}) {
    const page = await fetch(authorizeUrl(params));
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`value="${userId}"`);
    const form = new URLSearchParams({
      client_id: t.world.application.id,
      redirect_uri: params.redirect_uri ?? redirectUri,
      response_type: 'code',
      scope: 'identify guilds',
      state: 'state-123',
      decision: 'allow',
      user_id: userId,
    });
    const res = await fetch(`${t.emulator.url}/oauth2/authorize`, {
      method: 'POST',
      body: form,
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
    return new URL(res.headers.get('location') ?? '');
  }

  const exchange = (body: Record<string, string>) =>
    fetch(`${t.emulator.apiUrl}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: t.world.application.id,
        client_secret: t.world.application.clientSecret,
        ...body,
      }),
    });

  it('goes from the authorize page to a code, a token, the user and their guilds', async () => {
    const back = await authorizeAs(t.world.users.support);
    expect(back.origin + back.pathname).toBe(redirectUri);
    expect(back.searchParams.get('state')).toBe('state-123');
    const code = back.searchParams.get('code') ?? '';

    const res = await exchange({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
    });
    expect(res.status).toBe(200);
    const token = (await res.json()) as {
      access_token: string;
      token_type: string;
      scope: string;
      refresh_token: string;
    };
    expect(token).toMatchObject({
      token_type: 'Bearer',
      scope: 'identify guilds',
      expires_in: 604800,
    });

    const auth = { authorization: `Bearer ${token.access_token}` };
    const me = await (await fetch(`${t.emulator.apiUrl}/v10/users/@me`, { headers: auth })).json();
    expect(me).toMatchObject({ id: t.world.users.support, username: 'sam' });
    const guilds = (await (
      await fetch(`${t.emulator.apiUrl}/v10/users/@me/guilds`, { headers: auth })
    ).json()) as {
      id: string;
      owner: boolean;
      permissions: string;
    }[];
    expect(guilds).toEqual([
      expect.objectContaining({
        id: t.world.guildId,
        owner: false,
        permissions: expect.any(String),
      }),
    ]);

    const refreshed = await exchange({
      grant_type: 'refresh_token',
      refresh_token: token.refresh_token,
    });
    expect(refreshed.status).toBe(200);
    const after = await fetch(`${t.emulator.apiUrl}/v10/users/@me`, { headers: auth });
    expect(after.status).toBe(401);
  });

  it('refuses a reused code, a wrong secret and a different redirect URI', async () => {
    const code = (await authorizeAs(t.world.users.member)).searchParams.get('code') ?? '';
    const wrongSecret = await exchange({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_secret: 'nope-nope-nope-nope',
    });
    expect(wrongSecret.status).toBe(401);
    expect(await wrongSecret.json()).toEqual({ error: 'invalid_client' });

    const code2 = (await authorizeAs(t.world.users.member)).searchParams.get('code') ?? '';
    const wrongRedirect = await exchange({
      grant_type: 'authorization_code',
      code: code2,
      redirect_uri: 'http://evil.example/cb',
    });
    expect(wrongRedirect.status).toBe(400);
    expect(await wrongRedirect.json()).toMatchObject({ error: 'invalid_grant' });

    const code3 = (await authorizeAs(t.world.users.member)).searchParams.get('code') ?? '';
    expect(
      (await exchange({ grant_type: 'authorization_code', code: code3, redirect_uri: redirectUri }))
        .status,
    ).toBe(200);
    const reused = await exchange({
      grant_type: 'authorization_code',
      code: code3,
      redirect_uri: redirectUri,
    });
    expect(reused.status).toBe(400);
    expect(await reused.json()).toEqual({
      error: 'invalid_grant',
      error_description: 'Invalid "code" in request.',
    });
  });

  it('returns to the app with access_denied when the person cancels', async () => {
    const form = new URLSearchParams({
      client_id: t.world.application.id,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'identify',
      state: 's',
      decision: 'deny',
    });
    const res = await fetch(`${t.emulator.url}/oauth2/authorize`, {
      method: 'POST',
      body: form,
      redirect: 'manual',
    });
    const back = new URL(res.headers.get('location') ?? '');
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe('s');
  });

  it('approves at once as a pre-selected user, for tests', async () => {
    t.emulator.control.preselectOAuthUser(t.world.users.admin);
    try {
      const res = await fetch(authorizeUrl(), { redirect: 'manual' });
      expect(res.status).toBe(302);
      const code = new URL(res.headers.get('location') ?? '').searchParams.get('code') ?? '';
      const token = (await (
        await exchange({ grant_type: 'authorization_code', code, redirect_uri: redirectUri })
      ).json()) as { access_token: string };
      const me = await (
        await fetch(`${t.emulator.apiUrl}/users/@me`, {
          headers: { authorization: `Bearer ${token.access_token}` },
        })
      ).json();
      expect(me).toMatchObject({ id: t.world.users.admin });
    } finally {
      t.emulator.control.preselectOAuthUser(null);
    }
  });

  it('rejects an unregistered redirect URI when the application lists its URIs', async () => {
    const app = t.emulator.state.applications.get(t.world.application.id);
    if (!app) throw new Error('no app');
    app.redirectUris = [redirectUri];
    try {
      const res = await fetch(authorizeUrl({ redirect_uri: 'http://evil.example/cb' }), {
        redirect: 'manual',
      });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('Invalid OAuth2 redirect_uri');
    } finally {
      app.redirectUris = [];
    }
  });

  it('escapes user names on the authorize page', async () => {
    t.emulator.control.createUser({ username: '<script>alert(1)</script>' });
    const html = await (await fetch(authorizeUrl())).text();
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});
