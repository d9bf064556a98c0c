import { Readable } from 'node:stream';
import { readArchive, requestExport } from '@ticketflow/db/repositories/data-requests';
import { countGuildRows, eraseGuild, eraseUser } from '@ticketflow/db/repositories/erasure';
import { getGuild } from '@ticketflow/db/repositories/guilds';
import { auditLog, dataRequests, users } from '@ticketflow/db/schema';
import {
  auditQuery,
  auditResponse,
  dataOverview,
  dataRequestSchema,
  ERASE_SELF_CONFIRMATION,
  eraseGuildBody,
  eraseResult,
  eraseSelfBody,
  eraseUserBody,
  exportParams,
  guildParams,
} from '@ticketflow/shared/api';
import { AppError, ConflictError, ForbiddenError, NotFoundError } from '@ticketflow/shared/errors';
import { and, desc, eq, gte, like, lt, lte, or } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { audit, requireAccess, requireSession, type ServerContext } from '../../context.ts';
import { cookieOptions } from '../../plugins/auth.ts';
import { iso, userRef } from '../../views.ts';

type RequestRow = typeof dataRequests.$inferSelect;

/**
 * Why this viewer cannot download this export now, or null when they can: the
 * one rule behind both the page's download link and the download route.
 */
function downloadRefusal(row: RequestRow, viewerId: string): AppError | null {
  if (row.requestedBy !== viewerId) {
    return new ForbiddenError('Only the admin who asked for this export can download it');
  }
  if (row.status !== 'done') {
    return new ConflictError(
      row.status === 'failed'
        ? 'This export failed; ask for a new one'
        : 'This export is not ready yet',
    );
  }
  if ((row.expiresAt?.getTime() ?? 0) <= Date.now()) {
    return new AppError(410, 'gone', 'This export has expired; ask for a new one');
  }
  if (row.archiveBytes === null) {
    return new AppError(
      410,
      'gone',
      "This export was withdrawn when a person's data was erased; ask for a new one",
    );
  }
  return null;
}

/**
 * The data page's API: what is stored (exact counts), exports (a background
 * job, progress, a download for the admin who asked, for 24 hours), erasure of
 * the whole server (its owner, confirmed with its name), of one person in it
 * (admins) and of oneself everywhere, and the audit log viewer. Every one of
 * these is audited.
 */
export function registerDataRoutes(root: FastifyInstance, ctx: ServerContext): void {
  const app = root.withTypeProvider<ZodTypeProvider>();

  const admin = (request: FastifyRequest, guildId: string) =>
    requireAccess(ctx, request, guildId, 'admin');

  const view = (row: RequestRow, viewerId: string) => {
    const refusal = row.kind === 'export' ? downloadRefusal(row, viewerId) : null;
    return dataRequestSchema.parse({
      id: row.id,
      kind: row.kind,
      status: row.status,
      progress: row.progress,
      requestedBy: row.requestedBy,
      targetUserId: row.targetUserId,
      // One column: a failure's reason, or while it waits or runs, why it is built again.
      error: row.status === 'failed' ? row.error : null,
      note: row.status === 'pending' || row.status === 'running' ? row.error : null,
      createdAt: iso(row.createdAt),
      completedAt: iso(row.completedAt),
      expiresAt: iso(row.expiresAt),
      archiveBytes: row.archiveBytes,
      downloadable: row.kind === 'export' && refusal === null,
      refusal: refusal?.message ?? null,
    });
  };

  app.get(
    '/api/guilds/:guildId/data',
    { schema: { params: guildParams, response: { 200: dataOverview } } },
    async (request) => {
      const { guildId } = request.params;
      const access = await admin(request, guildId);
      const [counts, rows, guild] = await Promise.all([
        countGuildRows(ctx.db, guildId),
        ctx.db
          .select()
          .from(dataRequests)
          .where(eq(dataRequests.guildId, guildId))
          .orderBy(desc(dataRequests.createdAt))
          .limit(20),
        getGuild(ctx.db, guildId),
      ]);
      return {
        counts,
        requests: rows.map((r) => view(r, access.userId)),
        canEraseServer: guild?.ownerId === access.userId,
      };
    },
  );

  app.post(
    '/api/guilds/:guildId/exports',
    { schema: { params: guildParams, response: { 202: dataRequestSchema } } },
    async (request, reply) => {
      const { guildId } = request.params;
      const access = await admin(request, guildId);
      const { request: row } = await requestExport(ctx.db, {
        guildId,
        userId: access.userId,
        ip: request.ip,
        userAgent: request.headers['user-agent']?.slice(0, 200) ?? null,
      });
      return reply.status(202).send(view(row, access.userId));
    },
  );

  app.get(
    '/api/guilds/:guildId/exports/:requestId/download',
    { schema: { params: exportParams } },
    async (request, reply) => {
      const { guildId, requestId } = request.params;
      const access = await admin(request, guildId);
      const [row] = await ctx.db
        .select()
        .from(dataRequests)
        .where(
          and(
            eq(dataRequests.id, requestId),
            eq(dataRequests.guildId, guildId),
            eq(dataRequests.kind, 'export'),
          ),
        );
      if (!row) throw new NotFoundError('No such export');
      const refusal = downloadRefusal(row, access.userId);
      if (refusal) throw refusal;
      await audit(ctx.db, request, {
        guildId,
        action: 'export.downloaded',
        targetType: 'data_request',
        targetId: requestId,
      });
      const day = iso(row.completedAt)?.slice(0, 10) ?? 'export';
      return (
        reply
          .header('content-type', 'application/zip')
          // downloadRefusal checked it is there.
          .header('content-length', row.archiveBytes as number)
          .header('cache-control', 'no-store')
          .header('content-disposition', `attachment; filename="ticketflow-${guildId}-${day}.zip"`)
          .send(Readable.from(readArchive(ctx.db, requestId)))
      );
    },
  );

  app.post(
    '/api/guilds/:guildId/erase',
    { schema: { params: guildParams, body: eraseGuildBody, response: { 200: eraseResult } } },
    async (request) => {
      const { guildId } = request.params;
      const access = await admin(request, guildId);
      const guild = await getGuild(ctx.db, guildId);
      if (!guild) throw new NotFoundError('No such server');
      if (guild.ownerId !== access.userId) {
        throw new ForbiddenError("Only the server's owner can erase all of its data");
      }
      if (request.body.confirmName.trim() !== guild.name.trim()) {
        throw new AppError(400, 'bad_request', "Type the server's name exactly to confirm");
      }
      const counts = await eraseGuild(ctx.db, guildId);
      // The erasure itself is recorded without the server (whose rows are all gone).
      await audit(ctx.db, request, {
        guildId: null,
        action: 'guild.erased',
        targetType: 'guild',
        targetId: guildId,
        data: { counts, leave: request.body.leave },
      });
      // Every server's sockets leave it when the erasure's notification arrives (realtime.ts).
      ctx.access.forget(guildId);
      if (request.body.leave) {
        await ctx.discord.leaveGuild(guildId).catch((error: unknown) => {
          request.log.warn({ err: error, guildId }, 'the bot could not leave the erased server');
        });
      }
      return { counts };
    },
  );

  app.post(
    '/api/guilds/:guildId/erase-user',
    { schema: { params: guildParams, body: eraseUserBody, response: { 200: eraseResult } } },
    async (request) => {
      const { guildId } = request.params;
      const access = await admin(request, guildId);
      const { userId } = request.body;
      const counts = await ctx.db.transaction(async (tx) => {
        const erased = await eraseUser(tx, userId, { guildId });
        await tx.insert(dataRequests).values({
          guildId,
          kind: 'erase_user',
          requestedBy: access.userId,
          targetUserId: userId,
          status: 'done',
          progress: 100,
          completedAt: new Date(),
        });
        await audit(tx, request, {
          guildId,
          action: 'user.erased',
          targetType: 'user',
          targetId: userId,
          data: { counts: erased },
        });
        return erased;
      });
      return { counts };
    },
  );

  app.post(
    '/api/me/erase',
    { schema: { body: eraseSelfBody, response: { 200: eraseResult } } },
    async (request, reply) => {
      const session = requireSession(request);
      if (request.body.confirm.trim().toLowerCase() !== ERASE_SELF_CONFIRMATION) {
        throw new AppError(400, 'bad_request', `Type "${ERASE_SELF_CONFIRMATION}" to confirm`);
      }
      const counts = await eraseUser(ctx.db, session.user.id);
      // Who asked is gone; the record says only that someone erased themselves.
      await audit(ctx.db, request, {
        guildId: null,
        action: 'user.erased_self',
        actorId: null,
        targetType: 'user',
        data: { counts },
      });
      reply.clearCookie(ctx.cookieName, cookieOptions(ctx));
      return { counts };
    },
  );

  app.get(
    '/api/guilds/:guildId/audit',
    { schema: { params: guildParams, querystring: auditQuery, response: { 200: auditResponse } } },
    async (request) => {
      const { guildId } = request.params;
      await admin(request, guildId);
      const q = request.query;
      const rows = await ctx.db
        .select({ entry: auditLog, actor: users })
        .from(auditLog)
        .leftJoin(users, eq(users.id, auditLog.actorId))
        .where(
          and(
            eq(auditLog.guildId, guildId),
            q.actorId ? eq(auditLog.actorId, q.actorId) : undefined,
            q.action
              ? q.action.endsWith('.')
                ? like(auditLog.action, `${q.action}%`)
                : or(eq(auditLog.action, q.action), like(auditLog.action, `${q.action}.%`))
              : undefined,
            q.from ? gte(auditLog.createdAt, new Date(q.from)) : undefined,
            q.to ? lte(auditLog.createdAt, new Date(q.to)) : undefined,
            q.before ? lt(auditLog.id, q.before) : undefined,
          ),
        )
        .orderBy(desc(auditLog.id))
        .limit(q.limit + 1);
      const page = rows.slice(0, q.limit);
      return {
        entries: page.map(({ entry, actor }) => ({
          id: entry.id,
          action: entry.action,
          actorId: entry.actorId,
          actor: actor ? userRef(actor) : null,
          targetType: entry.targetType,
          targetId: entry.targetId,
          data: entry.data,
          ip: entry.ip,
          at: iso(entry.createdAt) as string,
        })),
        nextBefore: rows.length > q.limit ? (page.at(-1)?.entry.id ?? null) : null,
      };
    },
  );
}
