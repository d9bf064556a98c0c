import { listCategories } from '@ticketflow/db/repositories/categories';
import { listColumns } from '@ticketflow/db/repositories/columns';
import { listEventsAfter } from '@ticketflow/db/repositories/events';
import { getGuild } from '@ticketflow/db/repositories/guilds';
import { guilds as guildsTable } from '@ticketflow/db/schema';
import {
  discordInfoResponse,
  eventsQuery,
  eventsResponse,
  guildDetailResponse,
  guildListResponse,
  guildParams,
  meResponse,
} from '@ticketflow/shared/api';
import { managesFromUserGuild } from '@ticketflow/shared/permissions';
import { and, inArray, isNull } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { LRUCache } from 'lru-cache';
import { seesCategory } from '../../access.ts';
import { requireAccess, requireSession, type ServerContext } from '../../context.ts';
import type { UserGuild } from '../../discord.ts';
import { hydrateEvents, viewOf } from '../../live.ts';

export function registerGuildRoutes(root: FastifyInstance, ctx: ServerContext): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  // The user's own guild list (their OAuth token), kept briefly per session.
  const userGuilds = new LRUCache<string, UserGuild[]>({ max: 10_000, ttl: 60_000 });

  app.get('/api/me', { schema: { response: { 200: meResponse } } }, async (request) => {
    return { user: requireSession(request).user };
  });

  app.get('/api/guilds', { schema: { response: { 200: guildListResponse } } }, async (request) => {
    const session = requireSession(request);
    let list = userGuilds.get(session.idHash);
    if (!list) {
      list = await root.asUser(session, (token) => ctx.discord.currentUserGuilds(token));
      userGuilds.set(session.idHash, list);
    }
    const ids = list.map((g) => g.id);
    const withBot = ids.length
      ? await ctx.db
          .select({ id: guildsTable.id })
          .from(guildsTable)
          .where(and(inArray(guildsTable.id, ids), isNull(guildsTable.leftAt)))
      : [];
    const present = new Set(withBot.map((g) => g.id));
    const accessible = await Promise.all(
      list
        .filter((g) => present.has(g.id))
        .map(async (g) => {
          const access = await ctx.access.resolve(session.user.id, g.id);
          return access ? { id: g.id, name: g.name, icon: g.icon, role: access.role } : undefined;
        }),
    );
    return {
      guilds: accessible.filter((g) => g !== undefined),
      invites: list
        .filter((g) => !present.has(g.id) && managesFromUserGuild(g))
        .map((g) => ({
          id: g.id,
          name: g.name,
          icon: g.icon,
          inviteUrl: ctx.discord.inviteUrl(g.id),
        })),
    };
  });

  app.get(
    '/api/guilds/:guildId',
    { schema: { params: guildParams, response: { 200: guildDetailResponse } } },
    async (request) => {
      const { guildId } = request.params;
      const access = await requireAccess(ctx, request, guildId);
      const guild = await getGuild(ctx.db, guildId);
      const categories = (await listCategories(ctx.db, guildId)).filter((c) =>
        seesCategory(access, c.id),
      );
      return {
        guild: guild
          ? { id: guild.id, name: guild.name, icon: guild.icon }
          : { id: guildId, name: '', icon: null },
        access: { role: access.role, categoryIds: access.categoryIds },
        categories,
        columns: await listColumns(ctx.db, guildId),
        seq: access.seq,
      };
    },
  );

  app.get(
    '/api/guilds/:guildId/discord',
    { schema: { params: guildParams, response: { 200: discordInfoResponse } } },
    async (request) => {
      const { guildId } = request.params;
      await requireAccess(ctx, request, guildId, 'admin');
      const [roles, channels] = await Promise.all([
        ctx.access.guildRoles(guildId),
        ctx.discord.channels(guildId),
      ]);
      return {
        roles: roles
          .filter((r) => r.id !== guildId)
          .sort((a, b) => b.position - a.position)
          .map((r) => ({ id: r.id, name: r.name, color: r.color })),
        channels,
      };
    },
  );

  app.get(
    '/api/guilds/:guildId/events',
    {
      schema: { params: guildParams, querystring: eventsQuery, response: { 200: eventsResponse } },
    },
    async (request) => {
      const { guildId } = request.params;
      const access = await requireAccess(ctx, request, guildId);
      const rows = await listEventsAfter(ctx.db, guildId, request.query.after, request.query.limit);
      const hydrated = await hydrateEvents(ctx.db, rows);
      const last = rows.at(-1)?.seq ?? request.query.after;
      return {
        events: hydrated.flatMap((h) => viewOf(access, h) ?? []),
        seq: last,
        hasMore: rows.length === request.query.limit,
      };
    },
  );
}
