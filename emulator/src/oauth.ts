import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { EmulatorContext } from './context.ts';
import { escapeHtml, page } from './web/html.ts';

const authorizeQuery = z.object({
  client_id: z.string(),
  redirect_uri: z.string().url(),
  response_type: z.literal('code'),
  scope: z.string().default('identify'),
  state: z.string().optional(),
  prompt: z.string().optional(),
});

const decisionBody = authorizeQuery.extend({
  user_id: z.string().optional(),
  decision: z.enum(['allow', 'deny']),
});

const tokenBody = z.discriminatedUnion('grant_type', [
  z.object({
    grant_type: z.literal('authorization_code'),
    code: z.string(),
    redirect_uri: z.string(),
    client_id: z.string().optional(),
    client_secret: z.string().optional(),
  }),
  z.object({
    grant_type: z.literal('refresh_token'),
    refresh_token: z.string(),
    client_id: z.string().optional(),
    client_secret: z.string().optional(),
  }),
]);

function redirectWith(
  reply: FastifyReply,
  uri: string,
  params: Record<string, string | undefined>,
) {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return reply.redirect(url.toString(), 302);
}

/**
 * Discord's OAuth2 authorization-code flow: an authorize page that lets a
 * person pick one of the emulator's users (or approves at once as the user a
 * test pre-selected), the token endpoint with code and refresh grants, and
 * revocation. Bearer tokens then work on `/users/@me` and `/users/@me/guilds`.
 */
export function registerOAuth(app: FastifyInstance, ctx: EmulatorContext) {
  const { state, oauth } = ctx;

  const checkClient = (clientId: string, redirectUri: string) => {
    const application = state.applications.get(clientId);
    if (!application) return { error: 'Unknown application (client_id)' } as const;
    if (application.redirectUris.length > 0 && !application.redirectUris.includes(redirectUri)) {
      return { error: 'Invalid OAuth2 redirect_uri' } as const;
    }
    return { application } as const;
  };

  app.get('/oauth2/authorize', async (request, reply) => {
    const parsed = authorizeQuery.safeParse(request.query);
    if (!parsed.success) {
      return reply
        .status(400)
        .type('text/html')
        .send(
          page(
            'Invalid request',
            `<p>${escapeHtml(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '))}</p>`,
          ),
        );
    }
    const q = parsed.data;
    const client = checkClient(q.client_id, q.redirect_uri);
    if ('error' in client) {
      return reply
        .status(400)
        .type('text/html')
        .send(page('Invalid request', `<p>${escapeHtml(client.error ?? '')}</p>`));
    }
    const scopes = q.scope.split(/[ +]/).filter(Boolean);
    if (oauth.preselectedUserId) {
      const code = oauth.issueCode({
        userId: oauth.preselectedUserId,
        appId: client.application.id,
        scopes,
        redirectUri: q.redirect_uri,
      });
      return redirectWith(reply, q.redirect_uri, { code, state: q.state });
    }
    const hidden = Object.entries(q)
      .filter(([, v]) => v !== undefined)
      .map(
        ([k, v]) =>
          `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(String(v))}">`,
      )
      .join('');
    const users = [...state.users.values()].filter((u) => !u.bot);
    const buttons = users
      .map(
        (u) =>
          `<button class="user" name="user_id" value="${u.id}" data-user="${escapeHtml(u.username)}">${escapeHtml(u.globalName ?? u.username)} <small>@${escapeHtml(u.username)}</small></button>`,
      )
      .join('');
    return reply.type('text/html').send(
      page(
        `Authorize ${client.application.name}`,
        `<h1>${escapeHtml(client.application.name)} wants to access your account</h1>
<p>Scopes: ${scopes.map((s) => `<code>${escapeHtml(s)}</code>`).join(' ')}</p>
<p>This is the local Discord emulator. Sign in as:</p>
<form method="post" action="/oauth2/authorize">${hidden}<input type="hidden" name="decision" value="allow">${buttons}</form>
<form method="post" action="/oauth2/authorize">${hidden}<input type="hidden" name="decision" value="deny"><button class="cancel">Cancel</button></form>`,
      ),
    );
  });

  app.post('/oauth2/authorize', async (request, reply) => {
    const parsed = decisionBody.safeParse(request.body);
    if (!parsed.success)
      return reply.status(400).type('text/html').send(page('Invalid request', '<p>Bad form.</p>'));
    const b = parsed.data;
    const client = checkClient(b.client_id, b.redirect_uri);
    if ('error' in client)
      return reply
        .status(400)
        .type('text/html')
        .send(page('Invalid request', `<p>${escapeHtml(client.error ?? '')}</p>`));
    if (b.decision === 'deny' || !b.user_id || !state.users.has(b.user_id)) {
      return redirectWith(reply, b.redirect_uri, {
        error: 'access_denied',
        error_description: 'The resource owner or authorization server denied the request',
        state: b.state,
      });
    }
    const code = oauth.issueCode({
      userId: b.user_id,
      appId: client.application.id,
      scopes: b.scope.split(/[ +]/).filter(Boolean),
      redirectUri: b.redirect_uri,
    });
    return redirectWith(reply, b.redirect_uri, { code, state: b.state });
  });

  const clientCredentials = (
    headers: Record<string, unknown>,
    body: { client_id?: string; client_secret?: string },
  ) => {
    const basic =
      typeof headers.authorization === 'string' ? /^Basic (.+)$/.exec(headers.authorization) : null;
    if (basic?.[1]) {
      const [id, secret] = Buffer.from(basic[1], 'base64').toString().split(':');
      return { id, secret };
    }
    return { id: body.client_id, secret: body.client_secret };
  };

  const token = async (
    request: { headers: Record<string, unknown>; body: unknown },
    reply: FastifyReply,
  ) => {
    const parsed = tokenBody.safeParse(request.body);
    if (!parsed.success) {
      return reply
        .status(400)
        .send({ error: 'invalid_request', error_description: 'Invalid request' });
    }
    const body = parsed.data;
    const { id, secret } = clientCredentials(request.headers, body);
    const application = id ? state.applications.get(id) : undefined;
    if (!application || application.clientSecret !== secret) {
      return reply.status(401).send({ error: 'invalid_client' });
    }
    let issued: ReturnType<typeof oauth.issueToken> | undefined;
    if (body.grant_type === 'authorization_code') {
      const grant = oauth.redeemCode(body.code);
      if (!grant || grant.appId !== application.id) {
        return reply
          .status(400)
          .send({ error: 'invalid_grant', error_description: 'Invalid "code" in request.' });
      }
      if (grant.redirectUri !== body.redirect_uri) {
        return reply.status(400).send({
          error: 'invalid_grant',
          error_description: 'Invalid "redirect_uri" in request.',
        });
      }
      issued = oauth.issueToken(grant);
    } else {
      issued = oauth.refreshToken(body.refresh_token);
      if (!issued || issued.appId !== application.id) {
        return reply.status(400).send({
          error: 'invalid_grant',
          error_description: 'Invalid "refresh_token" in request.',
        });
      }
    }
    return reply.send({
      access_token: issued.accessToken,
      token_type: 'Bearer',
      expires_in: oauth.tokenLifetimeSeconds,
      refresh_token: issued.refreshToken,
      scope: issued.scopes.join(' '),
    });
  };

  const revoke = async (
    request: { headers: Record<string, unknown>; body: unknown },
    reply: FastifyReply,
  ) => {
    const body = z
      .object({
        token: z.string(),
        client_id: z.string().optional(),
        client_secret: z.string().optional(),
      })
      .safeParse(request.body);
    if (!body.success) return reply.status(400).send({ error: 'invalid_request' });
    const { id, secret } = clientCredentials(request.headers, body.data);
    const application = id ? state.applications.get(id) : undefined;
    if (!application || application.clientSecret !== secret)
      return reply.status(401).send({ error: 'invalid_client' });
    oauth.revoke(body.data.token);
    return reply.send({});
  };

  for (const prefix of ['/api', '/api/v10']) {
    app.post(`${prefix}/oauth2/token`, token);
    app.post(`${prefix}/oauth2/token/revoke`, revoke);
  }
}
