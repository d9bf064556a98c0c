import fastifyCookie from '@fastify/cookie';
import fastifyOauth2, { type OAuth2Namespace } from '@fastify/oauth2';
import { upsertUser } from '@ticketflow/db/repositories/guilds';
import { snowflakeId } from '@ticketflow/shared/api';
import { UnauthorizedError, UpstreamError } from '@ticketflow/shared/errors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { audit, type ServerContext } from '../context.ts';
import { DiscordRequestError } from '../discord.ts';
import {
  createSession,
  deleteSession,
  findSession,
  findSessionWithGuild,
  SESSION_IDLE_MS,
  type Session,
  sessionTokens,
  storeSessionTokens,
} from '../sessions.ts';
import { authRateLimit, type RateLimits } from './hardening.ts';

declare module 'fastify' {
  interface FastifyInstance {
    discordOAuth2: OAuth2Namespace;
    /**
     * Calls Discord with the session's access token, refreshed first when it
     * has expired, and once more with a refreshed one when Discord refuses it
     * (401). UnauthorizedError when the user must log in again.
     */
    asUser<T>(session: Session, call: (accessToken: string) => Promise<T>): Promise<T>;
  }
}

/** A token this close to its expiry is refreshed before use. */
const REFRESH_MARGIN_MS = 60_000;

/** A token worth sending: present, not the one Discord just refused, not about to expire. */
function usable(
  accessToken: string | null,
  expiresAt: Date | null,
  rejected: string | undefined,
): accessToken is string {
  return (
    accessToken !== null &&
    accessToken !== rejected &&
    (!expiresAt || expiresAt.getTime() > Date.now() + REFRESH_MARGIN_MS)
  );
}

/** Why a login did not work, in words for the login page. */
export const loginErrors = {
  denied: 'You cancelled the Discord login.',
  state: 'The login took too long or was started in another tab. Please try again.',
  exchange:
    'Discord did not accept the login (the link may have been used already). Please try again.',
  discord: 'Discord is not answering right now. Please try again in a moment.',
} as const;

const callbackQuery = z.object({
  code: z.string().max(500).optional(),
  state: z.string().max(500).optional(),
  error: z.string().max(200).optional(),
});

/** A same-site path (`/g/…`), never `//host` or `/\\host`, which browsers read as another site. */
const loginQuery = z.object({
  next: z
    .string()
    .max(500)
    .regex(/^\/(?![/\\])[\w\-./?=&%]*$/)
    .optional(),
});

/** The guild id of an `/api/guilds/<id>/…` URL, when it is a valid Discord id. */
function guildOfUrl(url: string): string | undefined {
  const id = /^\/api\/guilds\/([^/?#]+)/.exec(url)?.[1];
  return id !== undefined && snowflakeId.safeParse(id).success ? id : undefined;
}

/**
 * Discord OAuth2 login (`identify guilds`) with the state checked, and the
 * session cookie: a random id of which only the hash is stored, HttpOnly and
 * SameSite=Lax (`__Host-` and Secure behind HTTPS), rotated at login, deleted
 * at logout, renewed while used.
 */
export async function registerSessions(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  await app.register(fastifyCookie);
  app.decorateRequest('session', null);
  app.decorateRequest('prefetchedGuild', null);
  app.addHook('onRequest', async (request, reply) => {
    const id = request.cookies[ctx.cookieName];
    if (!id || id.length > 100) return;
    // A request about one guild reads that guild's access facts with the session.
    const guildId = guildOfUrl(request.url);
    let session: Session | undefined;
    if (guildId) {
      const found = await findSessionWithGuild(ctx.db, id, guildId);
      session = found?.session;
      if (found) request.prefetchedGuild = { guildId, facts: found.facts };
    } else {
      session = await findSession(ctx.db, id);
    }
    request.session = session ?? null;
    // Sliding expiry: a renewed session gets a renewed cookie.
    if (session?.renewed) {
      reply.setCookie(ctx.cookieName, id, {
        ...cookieOptions(ctx),
        maxAge: Math.floor(SESSION_IDLE_MS / 1000),
      });
    }
  });
}

export const cookieOptions = (ctx: ServerContext) => ({
  path: '/',
  httpOnly: true,
  sameSite: 'lax' as const,
  secure: ctx.secure,
});

export async function registerAuthRoutes(
  app: FastifyInstance,
  ctx: ServerContext,
  limits: RateLimits,
): Promise<void> {
  const api = new URL(ctx.discord.options.apiUrl);
  await app.register(fastifyOauth2, {
    name: 'discordOAuth2',
    scope: ['identify', 'guilds'],
    credentials: {
      client: { id: ctx.discord.options.clientId, secret: ctx.discord.options.clientSecret },
      auth: {
        authorizeHost: ctx.discord.options.oauthUrl,
        authorizePath: '/oauth2/authorize',
        tokenHost: api.origin,
        tokenPath: `${api.pathname.replace(/\/$/, '')}/oauth2/token`,
        revokePath: `${api.pathname.replace(/\/$/, '')}/oauth2/token/revoke`,
      },
    },
    callbackUri: `${ctx.publicUrl}/auth/callback`,
    cookie: { secure: ctx.secure, sameSite: 'lax', httpOnly: true, path: '/' },
    redirectStateCookieName: ctx.secure ? '__Host-tf_oauth_state' : 'tf_oauth_state',
  });

  // One refresh per session at a time: Discord rotates the refresh token, so
  // a second concurrent refresh with the old one would fail.
  const refreshing = new Map<string, Promise<string>>();
  const expired = () => new UnauthorizedError('Your Discord login expired; please log in again');
  const refresh = async (session: Session, rejected?: string): Promise<string> => {
    const stored = await sessionTokens(ctx.db, session.idHash);
    if (!stored) throw expired();
    // Another request (or instance) refreshed it already.
    if (
      stored.accessToken !== session.accessToken &&
      usable(stored.accessToken, stored.tokenExpiresAt, rejected)
    ) {
      return stored.accessToken;
    }
    if (!stored.refreshToken) throw expired();
    let token: { access_token: string; refresh_token?: string; expires_in?: number };
    try {
      ({ token } = (await app.discordOAuth2.getNewAccessTokenUsingRefreshToken(
        { refresh_token: stored.refreshToken } as never,
        {},
      )) as unknown as { token: typeof token });
    } catch (error) {
      const status = (error as { statusCode?: number; output?: { statusCode?: number } }).output
        ?.statusCode;
      if (status === 400 || status === 401) throw expired();
      throw new UpstreamError('Discord is not answering right now; please try again');
    }
    const tokens = {
      accessToken: token.access_token,
      refreshToken: token.refresh_token ?? stored.refreshToken,
      tokenExpiresAt: token.expires_in ? new Date(Date.now() + token.expires_in * 1000) : null,
    };
    await storeSessionTokens(ctx.db, session.idHash, tokens);
    session.accessToken = tokens.accessToken;
    session.tokenExpiresAt = tokens.tokenExpiresAt;
    return tokens.accessToken;
  };
  const token = (session: Session, rejected?: string): Promise<string> => {
    if (usable(session.accessToken, session.tokenExpiresAt, rejected)) {
      return Promise.resolve(session.accessToken);
    }
    let pending = refreshing.get(session.idHash);
    if (!pending) {
      pending = refresh(session, rejected).finally(() => refreshing.delete(session.idHash));
      refreshing.set(session.idHash, pending);
    }
    return pending;
  };
  const refused = (error: unknown) =>
    error instanceof DiscordRequestError && error.discordStatus === 401;
  app.decorate(
    'asUser',
    async <T>(session: Session, call: (accessToken: string) => Promise<T>): Promise<T> => {
      const first = await token(session);
      try {
        return await call(first);
      } catch (error) {
        if (!refused(error)) throw error;
      }
      // Revoked or expired early: one refresh, then the user must log in.
      try {
        return await call(await token(session, first));
      } catch (error) {
        throw refused(error) ? expired() : error;
      }
    },
  );

  // Where to land after logging in (a link to a ticket from Discord, say):
  // a path on this site only, kept in a short-lived cookie across the OAuth trip.
  const nextCookie = ctx.secure ? '__Host-tf_next' : 'tf_next';
  app.get('/auth/login', { config: authRateLimit(limits) }, async (request, reply) => {
    const next = loginQuery.safeParse(request.query);
    if (next.success && next.data.next) {
      reply.setCookie(nextCookie, next.data.next, { ...cookieOptions(ctx), maxAge: 600 });
    } else reply.clearCookie(nextCookie, cookieOptions(ctx));
    const url = await app.discordOAuth2.generateAuthorizationUri(request, reply);
    return reply.redirect(url);
  });

  const backToLogin = (reply: FastifyReply, reason: keyof typeof loginErrors) =>
    reply.redirect(`/login?error=${reason}&message=${encodeURIComponent(loginErrors[reason])}`);

  app.get(
    '/auth/callback',
    { config: authRateLimit(limits) },
    async (request: FastifyRequest, reply) => {
      const query = callbackQuery.safeParse(request.query);
      if (!query.success) return backToLogin(reply, 'exchange');
      if (query.data.error) return backToLogin(reply, 'denied');
      let token: { access_token: string; refresh_token?: string; expires_in?: number };
      try {
        ({ token } = (await app.discordOAuth2.getAccessTokenFromAuthorizationCodeFlow(
          request,
          reply,
        )) as unknown as { token: typeof token });
      } catch (error) {
        const message = error instanceof Error ? error.message : '';
        request.log.info({ reason: message.slice(0, 120) }, 'login failed');
        return backToLogin(reply, /state/i.test(message) ? 'state' : 'exchange');
      }
      let user: Awaited<ReturnType<typeof ctx.discord.currentUser>>;
      try {
        user = await ctx.discord.currentUser(token.access_token);
      } catch {
        return backToLogin(reply, 'discord');
      }
      await upsertUser(ctx.db, {
        id: user.id,
        username: user.username,
        globalName: user.global_name ?? null,
        avatar: user.avatar ?? null,
      });
      // Rotation: whatever session this browser had is gone; a new id is issued.
      const previous = request.cookies[ctx.cookieName];
      if (previous) await deleteSession(ctx.db, previous);
      const session = await createSession(ctx.db, {
        userId: user.id,
        accessToken: token.access_token,
        refreshToken: token.refresh_token ?? null,
        ...(token.expires_in
          ? { tokenExpiresAt: new Date(Date.now() + token.expires_in * 1000) }
          : {}),
      });
      await audit(ctx.db, request, { guildId: null, action: 'auth.login', actorId: user.id });
      reply.setCookie(ctx.cookieName, session.id, {
        ...cookieOptions(ctx),
        maxAge: Math.floor(SESSION_IDLE_MS / 1000),
      });
      const next = loginQuery.safeParse({ next: request.cookies[nextCookie] });
      reply.clearCookie(nextCookie, cookieOptions(ctx));
      return reply.redirect((next.success && next.data.next) || '/');
    },
  );

  app.post('/auth/logout', async (request, reply) => {
    const id = request.cookies[ctx.cookieName];
    if (id) await deleteSession(ctx.db, id);
    reply.clearCookie(ctx.cookieName, cookieOptions(ctx));
    return reply.status(204).send();
  });
}
