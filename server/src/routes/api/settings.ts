import type { Transaction } from '@ticketflow/db/client';
import { isUniqueViolation } from '@ticketflow/db/errors';
import {
  createCategory,
  getCategory,
  listCategories,
} from '@ticketflow/db/repositories/categories';
import {
  createColumn,
  deleteColumn,
  listColumns,
  updateColumn,
} from '@ticketflow/db/repositories/columns';
import { appendEvent } from '@ticketflow/db/repositories/events';
import { getGuild } from '@ticketflow/db/repositories/guilds';
import { enqueueOutbox } from '@ticketflow/db/repositories/outbox';
import { type Created, insertOnce } from '@ticketflow/db/repositories/send-keys';
import { guildStats } from '@ticketflow/db/repositories/stats';
import { listTags } from '@ticketflow/db/repositories/tags';
import { categories, guilds, panels, tags, users } from '@ticketflow/db/schema';
import {
  categoryCreate,
  categoryPatch,
  categorySchema,
  columnCreate,
  columnPatch,
  columnSchema,
  guildParams,
  guildSettingsSchema,
  idParams,
  panelCreate,
  panelSchema,
  settingsPatch,
  statsQuery,
  statsResponse,
  tagCreate,
  tagPatch,
  tagSchema,
} from '@ticketflow/shared/api';
import { AppError, ConflictError, NotFoundError } from '@ticketflow/shared/errors';
import { and, eq, inArray } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { audit, requireAccess, requireSession, type ServerContext } from '../../context.ts';
import { iso, userRef } from '../../views.ts';

const toTag = (row: typeof tags.$inferSelect) => ({
  id: row.id,
  name: row.name,
  content: row.content,
  updatedAt: iso(row.updatedAt) as string,
});

export function registerSettingsRoutes(root: FastifyInstance, ctx: ServerContext): void {
  const app = root.withTypeProvider<ZodTypeProvider>();

  const admin = (request: FastifyRequest, guildId: string) =>
    requireAccess(ctx, request, guildId, 'admin');

  /** A settings change: the row, its event (so open boards refresh) and the audit entry. */
  async function changed(
    tx: Transaction,
    request: FastifyRequest,
    guildId: string,
    kind: string,
    target: { type: string; id: string },
  ) {
    await appendEvent(tx, {
      guildId,
      kind,
      actorId: requireSession(request).user.id,
      data: { id: target.id },
    });
    await audit(tx, request, {
      guildId,
      action: kind,
      targetType: target.type,
      targetId: target.id,
    });
  }

  /**
   * Whether a create was answered with the row an earlier send of its key
   * made (nothing new to record or post); a key used for something else is
   * refused.
   */
  function firstOfItsKey<Row>(created: Created<Row>, same: (first: Row) => boolean): boolean {
    if (!created.repeated) return false;
    if (!same(created))
      throw new ConflictError('This send key was used for something else; reload the page');
    return true;
  }

  /** `DELETE /api/guilds/:guildId/<path>/:id` for a row the guild owns: removed, with its event and audit. */
  function deleteOwned(
    path: string,
    table: typeof categories | typeof tags,
    missing: string,
    kind: string,
  ) {
    app.delete(
      `/api/guilds/:guildId/${path}/:id`,
      { schema: { params: idParams } },
      async (request, reply) => {
        const { guildId, id } = request.params;
        await admin(request, guildId);
        await ctx.db.transaction(async (tx) => {
          const gone = await tx
            .delete(table)
            .where(and(eq(table.guildId, guildId), eq(table.id, id)))
            .returning({ id: table.id });
          if (gone.length === 0) throw new NotFoundError(missing);
          await changed(tx, request, guildId, `${kind}.deleted`, { type: kind, id });
        });
        return reply.status(204).send();
      },
    );
  }

  // ---- Guild settings
  app.get(
    '/api/guilds/:guildId/settings',
    { schema: { params: guildParams, response: { 200: guildSettingsSchema } } },
    async (request) => {
      await admin(request, request.params.guildId);
      const guild = await getGuild(ctx.db, request.params.guildId);
      return guildSettingsSchema.parse(guild?.settings ?? {});
    },
  );

  app.patch(
    '/api/guilds/:guildId/settings',
    {
      schema: { params: guildParams, body: settingsPatch, response: { 200: guildSettingsSchema } },
    },
    async (request) => {
      const { guildId } = request.params;
      await admin(request, guildId);
      const next = await ctx.db.transaction(async (tx) => {
        const [row] = await tx
          .select({ settings: guilds.settings })
          .from(guilds)
          .where(eq(guilds.id, guildId))
          // Not FOR UPDATE: that waits for the key-share lock a ticket change's outbox
          // item or job takes on the guild after the change took the guild's counter,
          // while this transaction waits for the counter: a deadlock.
          .for('no key update');
        const merged = guildSettingsSchema.parse({ ...(row?.settings ?? {}), ...request.body });
        await tx.update(guilds).set({ settings: merged }).where(eq(guilds.id, guildId));
        await changed(tx, request, guildId, 'settings.updated', { type: 'guild', id: guildId });
        return merged;
      });
      // Admin roles may have changed: nobody's access should wait for the cache.
      ctx.access.forget(guildId);
      return next;
    },
  );

  // ---- Categories
  app.get(
    '/api/guilds/:guildId/categories',
    { schema: { params: guildParams, response: { 200: z.array(categorySchema) } } },
    async (request) => {
      await admin(request, request.params.guildId);
      return listCategories(ctx.db, request.params.guildId);
    },
  );

  app.post(
    '/api/guilds/:guildId/categories',
    { schema: { params: guildParams, body: categoryCreate, response: { 201: categorySchema } } },
    async (request, reply) => {
      const { guildId } = request.params;
      await admin(request, guildId);
      const category = await ctx.db.transaction(async (tx) => {
        const created = await createCategory(tx, { ...request.body, guildId });
        if (firstOfItsKey(created, (first) => first.name === request.body.name)) return created;
        await changed(tx, request, guildId, 'category.created', {
          type: 'category',
          id: created.id,
        });
        return created;
      });
      return reply.status(201).send(category);
    },
  );

  app.patch(
    '/api/guilds/:guildId/categories/:id',
    { schema: { params: idParams, body: categoryPatch, response: { 200: categorySchema } } },
    async (request) => {
      const { guildId, id } = request.params;
      await admin(request, guildId);
      const before = await getCategory(ctx.db, guildId, id);
      if (!before) throw new NotFoundError('No such category');
      return ctx.db.transaction(async (tx) => {
        const [after] = await tx
          .update(categories)
          .set(request.body)
          .where(and(eq(categories.guildId, guildId), eq(categories.id, id)))
          .returning();
        if (!after) throw new NotFoundError('No such category');
        // A renamed category renames its Discord category too, through the bot.
        if (request.body.name && request.body.name !== before.name && after.discordCategoryId) {
          await enqueueOutbox(tx, {
            guildId,
            kind: 'rename-category',
            payload: { channelId: after.discordCategoryId, name: after.name },
          });
        }
        await changed(tx, request, guildId, 'category.updated', { type: 'category', id });
        return after;
      });
    },
  );

  deleteOwned('categories', categories, 'No such category', 'category');

  // ---- Board columns
  app.post(
    '/api/guilds/:guildId/columns',
    { schema: { params: guildParams, body: columnCreate, response: { 201: columnSchema } } },
    async (request, reply) => {
      const { guildId } = request.params;
      await admin(request, guildId);
      const column = await ctx.db.transaction(async (tx) => {
        const created = await createColumn(tx, { guildId, ...request.body });
        if (!created)
          throw new AppError(400, 'bad_request', 'afterId is not a column of this board');
        if (firstOfItsKey(created, (first) => first.name === request.body.name)) return created;
        await changed(tx, request, guildId, 'column.created', { type: 'column', id: created.id });
        return created;
      });
      return reply.status(201).send(column);
    },
  );

  app.patch(
    '/api/guilds/:guildId/columns/:id',
    { schema: { params: idParams, body: columnPatch, response: { 200: columnSchema } } },
    async (request) => {
      const { guildId, id } = request.params;
      await admin(request, guildId);
      return ctx.db.transaction(async (tx) => {
        const existing = (await listColumns(tx, guildId)).find((c) => c.id === id);
        if (!existing) throw new NotFoundError('No such column');
        if (request.body.lifecycle && request.body.lifecycle !== existing.lifecycle) {
          const others = (await listColumns(tx, guildId)).filter(
            (c) => c.id !== id && c.lifecycle === existing.lifecycle,
          );
          if (others.length === 0)
            throw new ConflictError(`The board needs at least one ${existing.lifecycle} column`);
        }
        const column = await updateColumn(tx, guildId, id, request.body);
        if (!column)
          throw new AppError(400, 'bad_request', 'afterId is not a column of this board');
        await changed(tx, request, guildId, 'column.updated', { type: 'column', id });
        return column;
      });
    },
  );

  app.delete(
    '/api/guilds/:guildId/columns/:id',
    { schema: { params: idParams } },
    async (request, reply) => {
      const { guildId, id } = request.params;
      await admin(request, guildId);
      await ctx.db.transaction(async (tx) => {
        const result = await deleteColumn(tx, guildId, id);
        if (!result.deleted && result.reason === 'not_found')
          throw new NotFoundError('No such column');
        if (!result.deleted)
          throw new ConflictError(
            'The board needs at least one column of each kind (open and closed)',
          );
        await changed(tx, request, guildId, 'column.deleted', { type: 'column', id });
      });
      return reply.status(204).send();
    },
  );

  // ---- Tags (canned replies): staff read them for the composer, admins manage them
  app.get(
    '/api/guilds/:guildId/tags',
    { schema: { params: guildParams, response: { 200: z.array(tagSchema) } } },
    async (request) => {
      await requireAccess(ctx, request, request.params.guildId);
      const rows = await listTags(ctx.db, request.params.guildId);
      return rows.map(toTag);
    },
  );

  app.post(
    '/api/guilds/:guildId/tags',
    { schema: { params: guildParams, body: tagCreate, response: { 201: tagSchema } } },
    async (request, reply) => {
      const { guildId } = request.params;
      await admin(request, guildId);
      try {
        const tag = await ctx.db.transaction(async (tx) => {
          const name = request.body.name.toLowerCase();
          const row = await insertOnce(tx, tags, {
            guildId,
            name,
            content: request.body.content,
            createdBy: requireSession(request).user.id,
            sendKey: request.body.sendKey ?? null,
          });
          if (firstOfItsKey(row, (first) => first.name === name)) return row;
          await changed(tx, request, guildId, 'tag.created', { type: 'tag', id: row.id });
          return row;
        });
        return reply.status(201).send(toTag(tag));
      } catch (error) {
        if (isUniqueViolation(error))
          throw new ConflictError(`A tag named "${request.body.name}" exists already`);
        throw error;
      }
    },
  );

  app.patch(
    '/api/guilds/:guildId/tags/:id',
    { schema: { params: idParams, body: tagPatch, response: { 200: tagSchema } } },
    async (request) => {
      const { guildId, id } = request.params;
      await admin(request, guildId);
      try {
        return await ctx.db.transaction(async (tx) => {
          const [row] = await tx
            .update(tags)
            .set({
              ...request.body,
              ...(request.body.name ? { name: request.body.name.toLowerCase() } : {}),
              updatedAt: new Date(),
            })
            .where(and(eq(tags.guildId, guildId), eq(tags.id, id)))
            .returning();
          if (!row) throw new NotFoundError('No such tag');
          await changed(tx, request, guildId, 'tag.updated', { type: 'tag', id });
          return toTag(row);
        });
      } catch (error) {
        if (isUniqueViolation(error))
          throw new ConflictError('A tag with that name exists already');
        throw error;
      }
    },
  );

  deleteOwned('tags', tags, 'No such tag', 'tag');

  // ---- Panels: stored here, posted in Discord by the bot
  app.get(
    '/api/guilds/:guildId/panels',
    { schema: { params: guildParams, response: { 200: z.array(panelSchema) } } },
    async (request) => {
      await admin(request, request.params.guildId);
      return ctx.db.select().from(panels).where(eq(panels.guildId, request.params.guildId));
    },
  );

  app.post(
    '/api/guilds/:guildId/panels',
    { schema: { params: guildParams, body: panelCreate, response: { 202: panelSchema } } },
    async (request, reply) => {
      const { guildId } = request.params;
      await admin(request, guildId);
      const known = await ctx.db
        .select({ id: categories.id })
        .from(categories)
        .where(
          and(eq(categories.guildId, guildId), inArray(categories.id, request.body.categoryIds)),
        );
      if (known.length !== new Set(request.body.categoryIds).size) {
        throw new AppError(400, 'bad_request', 'Every category must belong to this server');
      }
      const panel = await ctx.db.transaction(async (tx) => {
        const row = await insertOnce(tx, panels, {
          guildId,
          ...request.body,
          description: request.body.description ?? null,
        });
        // Sent again: the first is posted (or being posted) already.
        const same = (first: typeof row) =>
          first.channelId === request.body.channelId && first.title === request.body.title;
        if (firstOfItsKey(row, same)) return row;
        await enqueueOutbox(tx, { guildId, kind: 'post-panel', payload: { panelId: row.id } });
        await changed(tx, request, guildId, 'panel.created', { type: 'panel', id: row.id });
        return row;
      });
      return reply.status(202).send(panel);
    },
  );

  // ---- Stats: staff see their categories' numbers, admins everything
  app.get(
    '/api/guilds/:guildId/stats',
    { schema: { params: guildParams, querystring: statsQuery, response: { 200: statsResponse } } },
    async (request) => {
      const { guildId } = request.params;
      const access = await requireAccess(ctx, request, guildId);
      const stats = await guildStats(
        ctx.db,
        guildId,
        request.query.days,
        access.all ? undefined : access.categoryIds,
      );
      const ids = stats.perStaff.map((s) => s.userId);
      const people = ids.length
        ? await ctx.db.select().from(users).where(inArray(users.id, ids))
        : [];
      const byId = new Map(people.map((p) => [p.id, p]));
      return {
        ...stats,
        perStaff: stats.perStaff.map((s) => ({ ...s, user: userRef(byId.get(s.userId) ?? null) })),
      };
    },
  );
}
