import { createCategory } from '@ticketflow/db/repositories/categories';
import { createColumn } from '@ticketflow/db/repositories/columns';
import { addNote, markReplyFailed, queueReply } from '@ticketflow/db/repositories/messages';
import { saveTag } from '@ticketflow/db/repositories/tags';
import { closeTicket } from '@ticketflow/db/repositories/tickets';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Identity, login, seedTicket, userOf, useServer } from './support.ts';

type Who = 'anonymous' | Identity;
const everyone: Who[] = ['anonymous', 'member', 'otherStaff', 'staff', 'admin', 'otherAdmin'];

/**
 * Who may use a route: `self` (anyone logged in), `guild` (staff of any
 * category and admins of the guild), `ticket` (staff of the ticket's category
 * and admins), `admin` (admins only), `public`.
 */
type Scope = 'public' | 'self' | 'guild' | 'ticket' | 'admin';

function expected(scope: Scope, who: Who, ok: number): number {
  if (scope === 'public') return ok;
  if (who === 'anonymous') return 401;
  if (scope === 'self') return ok;
  const allowed: Record<Exclude<Scope, 'public' | 'self'>, Identity[]> = {
    guild: ['otherStaff', 'staff', 'admin'],
    ticket: ['staff', 'admin'],
    admin: ['admin'],
  };
  return allowed[scope].includes(who) ? ok : 404;
}

interface Req {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  payload?: unknown;
}

describe('authorisation matrix: every route × every kind of caller', () => {
  const t = useServer();
  const cookies = {} as Record<Who, string | undefined>;

  beforeAll(async () => {
    cookies.anonymous = undefined;
    for (const who of everyone.filter((w) => w !== 'anonymous') as Identity[]) {
      cookies[who] = await login(t, userOf(t.world, who));
    }
  });

  const g = () => `/api/guilds/${t.world.guildId}`;
  const ticket = async (closed = false) => {
    const tk = await seedTicket(t, t.world.categories.support);
    if (closed) await closeTicket(t.database.db, { ticketId: tk.id });
    return tk;
  };
  const tk = async (suffix = '', closed = false) =>
    `${g()}/tickets/${(await ticket(closed)).id}${suffix}`;

  /** One row per route: its pattern, who may use it, the success status, and a fresh request. */
  const rows: { route: string; scope: Scope; ok: number; make: () => Promise<Req> }[] = [
    {
      route: 'GET /api/openapi.json',
      scope: 'public',
      ok: 200,
      make: async () => ({ method: 'GET', url: '/api/openapi.json' }),
    },
    {
      route: 'GET /api/me',
      scope: 'self',
      ok: 200,
      make: async () => ({ method: 'GET', url: '/api/me' }),
    },
    {
      route: 'GET /api/guilds',
      scope: 'self',
      ok: 200,
      make: async () => ({ method: 'GET', url: '/api/guilds' }),
    },
    {
      route: 'GET /api/guilds/:guildId',
      scope: 'guild',
      ok: 200,
      make: async () => ({ method: 'GET', url: g() }),
    },
    {
      route: 'GET /api/guilds/:guildId/discord',
      scope: 'admin',
      ok: 200,
      make: async () => ({ method: 'GET', url: `${g()}/discord` }),
    },
    {
      route: 'GET /api/guilds/:guildId/events',
      scope: 'guild',
      ok: 200,
      make: async () => ({ method: 'GET', url: `${g()}/events?after=0` }),
    },
    {
      route: 'GET /api/guilds/:guildId/board',
      scope: 'guild',
      ok: 200,
      make: async () => ({ method: 'GET', url: `${g()}/board` }),
    },
    {
      route: 'GET /api/guilds/:guildId/tickets/:ticketId',
      scope: 'ticket',
      ok: 200,
      make: async () => ({ method: 'GET', url: await tk() }),
    },
    {
      route: 'GET /api/guilds/:guildId/tickets/:ticketId/messages',
      scope: 'ticket',
      ok: 200,
      make: async () => ({ method: 'GET', url: await tk('/messages') }),
    },
    {
      route: 'POST /api/guilds/:guildId/tickets/:ticketId/messages',
      scope: 'ticket',
      ok: 202,
      make: async () => ({
        method: 'POST',
        url: await tk('/messages'),
        payload: { content: 'Hello from the board' },
      }),
    },
    {
      route: 'POST /api/guilds/:guildId/tickets/:ticketId/messages/:messageId/retry',
      scope: 'ticket',
      ok: 202,
      make: async () => {
        const x = await ticket();
        const { message } = await queueReply(t.database.db, {
          guildId: t.world.guildId,
          ticketId: x.id,
          channelId: x.channelId ?? '',
          authorId: t.world.users.support,
          authorName: 'Sam',
          content: 'will fail',
        });
        await markReplyFailed(t.database.db, message.id, {
          message: 'Missing Access',
          status: 403,
        });
        return { method: 'POST', url: `${g()}/tickets/${x.id}/messages/${message.id}/retry` };
      },
    },
    {
      route: 'POST /api/guilds/:guildId/tickets/:ticketId/notes',
      scope: 'ticket',
      ok: 201,
      make: async () => ({
        method: 'POST',
        url: await tk('/notes'),
        payload: { content: 'internal' },
      }),
    },
    ...(['PATCH', 'DELETE'] as const).map((method) => ({
      route: `${method} /api/guilds/:guildId/tickets/:ticketId/notes/:messageId`,
      scope: 'ticket' as const,
      ok: method === 'PATCH' ? 200 : 204,
      make: async (): Promise<Req> => {
        const x = await ticket();
        const { note } = await addNote(t.database.db, {
          guildId: t.world.guildId,
          ticketId: x.id,
          authorId: t.world.users.support,
          content: 'n',
        });
        return {
          method,
          url: `${g()}/tickets/${x.id}/notes/${note?.id}`,
          ...(method === 'PATCH' ? { payload: { content: 'edited' } } : {}),
        };
      },
    })),
    {
      route: 'PATCH /api/guilds/:guildId/tickets/:ticketId',
      scope: 'ticket',
      ok: 200,
      make: async () => ({
        method: 'PATCH',
        url: await tk(),
        payload: { version: 1, priority: 'high' },
      }),
    },
    {
      route: 'POST /api/guilds/:guildId/tickets/:ticketId/members',
      scope: 'ticket',
      ok: 204,
      make: async () => ({
        method: 'POST',
        url: await tk('/members'),
        payload: { userId: t.world.users.member2 },
      }),
    },
    {
      route: 'DELETE /api/guilds/:guildId/tickets/:ticketId/members/:userId',
      scope: 'ticket',
      ok: 204,
      make: async () => ({
        method: 'DELETE',
        url: await tk(`/members/${t.world.users.member2}`),
      }),
    },
    {
      route: 'POST /api/guilds/:guildId/tickets/:ticketId/close',
      scope: 'ticket',
      ok: 200,
      make: async () => ({ method: 'POST', url: await tk('/close'), payload: { reason: 'done' } }),
    },
    {
      route: 'POST /api/guilds/:guildId/tickets/:ticketId/reopen',
      scope: 'ticket',
      ok: 200,
      make: async () => ({ method: 'POST', url: await tk('/reopen', true) }),
    },
    {
      route: 'GET /api/guilds/:guildId/tickets/:ticketId/activity',
      scope: 'ticket',
      ok: 200,
      make: async () => ({ method: 'GET', url: await tk('/activity') }),
    },
    {
      route: 'GET /api/guilds/:guildId/tickets/:ticketId/transcript',
      scope: 'ticket',
      ok: 200,
      make: async () => ({ method: 'GET', url: await tk('/transcript') }),
    },
    {
      route: 'GET /api/guilds/:guildId/settings',
      scope: 'admin',
      ok: 200,
      make: async () => ({ method: 'GET', url: `${g()}/settings` }),
    },
    {
      route: 'PATCH /api/guilds/:guildId/settings',
      scope: 'admin',
      ok: 200,
      make: async () => ({
        method: 'PATCH',
        url: `${g()}/settings`,
        payload: { closeDelaySeconds: 60 },
      }),
    },
    {
      route: 'GET /api/guilds/:guildId/categories',
      scope: 'admin',
      ok: 200,
      make: async () => ({ method: 'GET', url: `${g()}/categories` }),
    },
    {
      route: 'POST /api/guilds/:guildId/categories',
      scope: 'admin',
      ok: 201,
      make: async () => ({
        method: 'POST',
        url: `${g()}/categories`,
        payload: { name: 'Appeals' },
      }),
    },
    ...(['PATCH', 'DELETE'] as const).map((method) => ({
      route: `${method} /api/guilds/:guildId/categories/:id`,
      scope: 'admin' as const,
      ok: method === 'PATCH' ? 200 : 204,
      make: async (): Promise<Req> => {
        const c = await createCategory(t.database.db, { guildId: t.world.guildId, name: 'Temp' });
        return {
          method,
          url: `${g()}/categories/${c.id}`,
          ...(method === 'PATCH' ? { payload: { name: 'Renamed' } } : {}),
        };
      },
    })),
    {
      route: 'POST /api/guilds/:guildId/columns',
      scope: 'admin',
      ok: 201,
      make: async () => ({ method: 'POST', url: `${g()}/columns`, payload: { name: 'Waiting' } }),
    },
    ...(['PATCH', 'DELETE'] as const).map((method) => ({
      route: `${method} /api/guilds/:guildId/columns/:id`,
      scope: 'admin' as const,
      ok: method === 'PATCH' ? 200 : 204,
      make: async (): Promise<Req> => {
        const c = await createColumn(t.database.db, {
          guildId: t.world.guildId,
          name: 'Temp',
          lifecycle: 'open',
        });
        return {
          method,
          url: `${g()}/columns/${c?.id}`,
          ...(method === 'PATCH' ? { payload: { name: 'Renamed' } } : {}),
        };
      },
    })),
    {
      route: 'GET /api/guilds/:guildId/tags',
      scope: 'guild',
      ok: 200,
      make: async () => ({ method: 'GET', url: `${g()}/tags` }),
    },
    {
      route: 'POST /api/guilds/:guildId/tags',
      scope: 'admin',
      ok: 201,
      make: async () => ({
        method: 'POST',
        url: `${g()}/tags`,
        payload: { name: `t${Math.random().toString(36).slice(2, 8)}`, content: 'Hi!' },
      }),
    },
    ...(['PATCH', 'DELETE'] as const).map((method) => ({
      route: `${method} /api/guilds/:guildId/tags/:id`,
      scope: 'admin' as const,
      ok: method === 'PATCH' ? 200 : 204,
      make: async (): Promise<Req> => {
        const tag = await saveTag(t.database.db, {
          guildId: t.world.guildId,
          name: `x${Math.random().toString(36).slice(2, 8)}`,
          content: 'c',
        });
        return {
          method,
          url: `${g()}/tags/${tag.id}`,
          ...(method === 'PATCH' ? { payload: { content: 'changed' } } : {}),
        };
      },
    })),
    {
      route: 'GET /api/guilds/:guildId/panels',
      scope: 'admin',
      ok: 200,
      make: async () => ({ method: 'GET', url: `${g()}/panels` }),
    },
    {
      route: 'POST /api/guilds/:guildId/panels',
      scope: 'admin',
      ok: 202,
      make: async () => ({
        method: 'POST',
        url: `${g()}/panels`,
        payload: {
          channelId: t.world.channels.panel,
          title: 'Need help?',
          categoryIds: [t.world.categories.support],
        },
      }),
    },
    {
      route: 'GET /api/guilds/:guildId/tickets/:ticketId/people',
      scope: 'ticket',
      ok: 200,
      make: async () => ({ method: 'GET', url: await tk('/people?q=m') }),
    },
    {
      route: 'GET /api/guilds/:guildId/data',
      scope: 'admin',
      ok: 200,
      make: async () => ({ method: 'GET', url: `${g()}/data` }),
    },
    {
      route: 'POST /api/guilds/:guildId/exports',
      scope: 'admin',
      ok: 202,
      make: async () => ({ method: 'POST', url: `${g()}/exports` }),
    },
    {
      // The admin's own export, not built yet: 409 for them, nothing for anyone else.
      route: 'GET /api/guilds/:guildId/exports/:requestId/download',
      scope: 'admin',
      ok: 409,
      make: async () => {
        const [row] = await t.database.query<{ id: string }>(
          `insert into data_requests (guild_id, kind, requested_by) values ($1, 'export', $2) returning id`,
          [t.world.guildId, t.world.users.admin],
        );
        return { method: 'GET', url: `${g()}/exports/${row?.id}/download` };
      },
    },
    {
      // Only the owner erases the server: an admin who is not the owner is refused.
      route: 'POST /api/guilds/:guildId/erase',
      scope: 'admin',
      ok: 403,
      make: async () => ({ method: 'POST', url: `${g()}/erase`, payload: { confirmName: 'x' } }),
    },
    {
      route: 'POST /api/guilds/:guildId/erase-user',
      scope: 'admin',
      ok: 200,
      make: async () => ({
        method: 'POST',
        url: `${g()}/erase-user`,
        payload: { userId: '100000000000000001' },
      }),
    },
    {
      // Without the confirmation: refused for everyone logged in (nobody is erased here).
      route: 'POST /api/me/erase',
      scope: 'self',
      ok: 400,
      make: async () => ({ method: 'POST', url: '/api/me/erase', payload: { confirm: 'no' } }),
    },
    {
      route: 'GET /api/guilds/:guildId/audit',
      scope: 'admin',
      ok: 200,
      make: async () => ({ method: 'GET', url: `${g()}/audit?action=ticket.` }),
    },
    {
      route: 'GET /api/guilds/:guildId/stats',
      scope: 'guild',
      ok: 200,
      make: async () => ({ method: 'GET', url: `${g()}/stats` }),
    },
  ];

  it('has a row for every API route', () => {
    const registered = t.app.routeList
      .filter((r) => r.url.startsWith('/api/') && r.url !== '/api/*')
      .map((r) => `${r.method} ${r.url}`)
      .sort();
    expect(rows.map((r) => r.route).sort()).toEqual(registered);
  });

  for (const who of everyone) {
    it(`answers ${who} as expected on every route`, async () => {
      const got: Record<string, number> = {};
      const want: Record<string, number> = {};
      for (const row of rows) {
        const req = await row.make();
        const res = await t.app.inject({
          method: req.method,
          url: req.url,
          ...(req.payload !== undefined ? { payload: req.payload as object } : {}),
          headers: cookies[who] ? { cookie: cookies[who] } : {},
        });
        got[row.route] = res.statusCode;
        want[row.route] = expected(row.scope, who, row.ok);
        if (res.statusCode === 404 && want[row.route] === 404) {
          // No access reads like nothing there: no hint of the guild's data.
          expect(res.body).not.toContain('TicketFlow Demo');
        }
      }
      expect(got).toEqual(want);
    });
  }
});
