import { getGuildAccessFacts } from '@ticketflow/db/repositories/guilds';
import { describe, expect, it } from 'vitest';
import { findSessionWithGuild, hashSessionId } from '../src/sessions.ts';
import { cookiesOf, login, useServer } from './support.ts';

describe('Discord OAuth login and sessions', () => {
  const t = useServer();

  it('logs in through the emulator, stores only the hash of the session id, and answers /api/me', async () => {
    const cookie = await login(t, t.world.users.support);
    const id = cookie.split('=')[1] ?? '';
    expect(id.length).toBeGreaterThanOrEqual(43); // 256 bits, base64url
    const rows = await t.database.query<{ id_hash: string }>('select id_hash from sessions');
    expect(rows.map((r) => r.id_hash)).toContain(hashSessionId(id));
    expect(rows.map((r) => r.id_hash)).not.toContain(id);

    const me = await t.app.inject({ url: '/api/me', headers: { cookie } });
    expect(me.statusCode).toBe(200);
    expect(me.json().user).toMatchObject({ id: t.world.users.support, username: 'sam' });
  });

  it('returns to the page the login started from, and only to a page of this site', async () => {
    // login() checks that the callback redirects to `next`.
    await login(t, t.world.users.support, t.app, undefined, '/g/1/t/2?x=1');
    for (const hostile of ['//evil.example/x', '/\\evil.example', 'https://evil.example/']) {
      const start = await t.app.inject(`/auth/login?next=${encodeURIComponent(hostile)}`);
      expect(start.statusCode).toBe(302);
      expect(String(start.headers['set-cookie'])).not.toContain('evil');
    }
  });

  it('sets an HttpOnly, SameSite=Lax session cookie', async () => {
    const start = await t.app.inject('/auth/login');
    const authorize = new URL(String(start.headers.location));
    expect(authorize.origin).toBe(t.emulator.url);
    expect(authorize.searchParams.get('scope')).toBe('identify guilds');
    expect(authorize.searchParams.get('state')).toMatch(/.{16,}/);
    const stateCookie = String(start.headers['set-cookie']);
    expect(stateCookie).toMatch(/HttpOnly/i);
    expect(stateCookie).toMatch(/SameSite=Lax/i);
  });

  it('sends a state mismatch back to the login page with a reason', async () => {
    const start = await t.app.inject('/auth/login');
    const stateCookie = cookiesOf(start.headers['set-cookie']);
    const res = await t.app.inject({
      url: '/auth/callback?code=whatever&state=not-the-state',
      headers: { cookie: stateCookie },
    });
    expect(res.statusCode).toBe(302);
    const to = new URL(String(res.headers.location), 'http://x');
    expect(to.pathname).toBe('/login');
    expect(to.searchParams.get('error')).toBe('state');
    expect(to.searchParams.get('message')).toMatch(/try again/);
    expect(String(res.headers['set-cookie'] ?? '')).not.toMatch(/tf_session=[^;]/);
  });

  it('refuses a reused code', async () => {
    const start = await t.app.inject('/auth/login');
    const authorize = new URL(String(start.headers.location));
    const stateCookie = cookiesOf(start.headers['set-cookie']);
    const decided = await fetch(`${t.emulator.url}/oauth2/authorize`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({
        client_id: authorize.searchParams.get('client_id') ?? '',
        redirect_uri: authorize.searchParams.get('redirect_uri') ?? '',
        response_type: 'code',
        scope: 'identify guilds',
        state: authorize.searchParams.get('state') ?? '',
        decision: 'allow',
        user_id: t.world.users.admin,
      }),
    });
    const back = new URL(decided.headers.get('location') ?? '');
    const first = await t.app.inject({
      url: back.pathname + back.search,
      headers: { cookie: stateCookie },
    });
    expect(first.headers.location).toBe('/');
    const again = await t.app.inject({
      url: back.pathname + back.search,
      headers: { cookie: stateCookie },
    });
    expect(again.statusCode).toBe(302);
    expect(String(again.headers.location)).toMatch(/^\/login\?error=exchange/);
  });

  it('sends a cancelled login back with a reason', async () => {
    const res = await t.app.inject('/auth/callback?error=access_denied&state=x');
    expect(String(res.headers.location)).toMatch(/^\/login\?error=denied&message=You%20cancelled/);
  });

  it('rotates the session at login and deletes it at logout', async () => {
    const first = await login(t, t.world.users.admin);
    // Logging in again from the same browser replaces the old session.
    const second = await login(t, t.world.users.admin, t.app, first);
    expect(second).not.toBe(first);
    const old = await t.app.inject({ url: '/api/me', headers: { cookie: first } });
    expect(old.statusCode).toBe(401);

    const out = await t.app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: { cookie: second },
    });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/tf_session=;/);
    const me = await t.app.inject({ url: '/api/me', headers: { cookie: second } });
    expect(me.statusCode).toBe(401);
    expect(me.json()).toMatchObject({ error: 'unauthorized' });
  });

  it('reads the access facts of the guild in the URL with the session, the same as on their own', async () => {
    const cookie = await login(t, t.world.users.support);
    const id = cookie.split('=')[1] ?? '';
    const found = await findSessionWithGuild(t.database.db, id, t.world.guildId);
    expect(found?.session.user.id).toBe(t.world.users.support);
    const alone = await getGuildAccessFacts(t.database.db, t.world.guildId);
    expect(alone?.categories.length).toBeGreaterThan(0);
    expect(found?.facts).toEqual(alone);
    // No such guild: the session without facts; no such session: nothing.
    const elsewhere = await findSessionWithGuild(t.database.db, id, '123456789012345678');
    expect(elsewhere?.session.user.id).toBe(t.world.users.support);
    expect(elsewhere?.facts).toBeUndefined();
    expect(await findSessionWithGuild(t.database.db, 'nope', t.world.guildId)).toBeUndefined();
    await t.database.query(
      "update sessions set expires_at = now() - interval '1 second' where id_hash = $1",
      [hashSessionId(id)],
    );
    expect(await findSessionWithGuild(t.database.db, id, t.world.guildId)).toBeUndefined();
    const expired = await t.app.inject({
      url: `/api/guilds/${t.world.guildId}/board`,
      headers: { cookie },
    });
    expect(expired.statusCode).toBe(401);
  });

  it('answers 400 for a guild id Postgres could not hold, signed in or not', async () => {
    const cookie = await login(t, t.world.users.admin);
    for (const guildId of ['99999999999999999999', '9223372036854775808', 'abc']) {
      const res = await t.app.inject({ url: `/api/guilds/${guildId}/board`, headers: { cookie } });
      expect(res.statusCode).toBe(400);
    }
  });

  it('lists the guilds a user may use, and invite links for guilds they manage without the bot', async () => {
    const noBot = t.emulator.control.createGuild({
      name: 'No bot yet',
      ownerId: t.world.users.admin,
    });
    const cookie = await login(t, t.world.users.admin);
    const res = await t.app.inject({ url: '/api/guilds', headers: { cookie } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.guilds).toEqual([
      expect.objectContaining({ id: t.world.guildId, name: 'TicketFlow Demo', role: 'admin' }),
    ]);
    expect(body.invites).toEqual([expect.objectContaining({ id: noBot.id, name: 'No bot yet' })]);
    const invite = new URL(body.invites[0].inviteUrl);
    expect(invite.searchParams.get('guild_id')).toBe(noBot.id);
    expect(invite.searchParams.get('scope')).toBe('bot applications.commands');

    const member = await login(t, t.world.users.member);
    const none = await t.app.inject({ url: '/api/guilds', headers: { cookie: member } });
    expect(none.json()).toEqual({ guilds: [], invites: [] });
  });

  describe('Discord token refresh', () => {
    const tokensOf = async (cookie: string) => {
      const [row] = await t.database.query<{ access_token: string; refresh_token: string }>(
        'select access_token, refresh_token from sessions where id_hash = $1',
        [hashSessionId(cookie.split('=')[1] ?? '')],
      );
      if (!row) throw new Error('no session row');
      return row;
    };
    const guilds = (cookie: string) => t.app.inject({ url: '/api/guilds', headers: { cookie } });

    // Discord rotates refresh tokens: a second refresh with the old one fails,
    // so three concurrent requests all answering 200 means one refresh served them.
    it('refreshes a token Discord stopped accepting, once, even for concurrent requests', async () => {
      const cookie = await login(t, t.world.users.admin);
      const before = await tokensOf(cookie);
      t.emulator.control.expireOAuthTokens(t.world.users.admin);
      const answers = await Promise.all([guilds(cookie), guilds(cookie), guilds(cookie)]);
      for (const res of answers) {
        expect(res.statusCode).toBe(200);
        expect(res.json().guilds).toEqual([expect.objectContaining({ id: t.world.guildId })]);
      }
      const after = await tokensOf(cookie);
      expect(after.access_token).not.toBe(before.access_token);
      expect(after.refresh_token).not.toBe(before.refresh_token);
    });

    it('refreshes a token past its stored expiry before using it', async () => {
      const cookie = await login(t, t.world.users.support);
      const before = await tokensOf(cookie);
      await t.database.query(
        "update sessions set token_expires_at = now() - interval '1 minute' where access_token = $1",
        [before.access_token],
      );
      const since = Date.now();
      const res = await guilds(cookie);
      expect(res.statusCode).toBe(200);
      expect((await tokensOf(cookie)).access_token).not.toBe(before.access_token);
      // The expired token was never sent to Discord.
      const listed = t.emulator.control
        .requests({ method: 'GET', since })
        .filter((r) => r.route.includes('/users/@me/guilds'));
      expect(listed).toHaveLength(1);
    });

    it('asks for a new login when Discord refuses the refresh token too', async () => {
      const cookie = await login(t, t.world.users.billing);
      const { access_token } = await tokensOf(cookie);
      await t.database.query(
        "update sessions set refresh_token = 'revoked', token_expires_at = now() - interval '1 minute' where access_token = $1",
        [access_token],
      );
      const res = await guilds(cookie);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({
        error: 'unauthorized',
        message: expect.stringMatching(/log in again/),
      });
    });
  });
});
