import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import {
  countByColumn,
  getCards,
  getTicketDetail,
  listColumnCards,
} from '@ticketflow/db/repositories/board';
import { getCategory } from '@ticketflow/db/repositories/categories';
import {
  closeAndScheduleDeletion,
  reopenAndKeepChannel,
} from '@ticketflow/db/repositories/closing';
import { listColumns, positionsAround } from '@ticketflow/db/repositories/columns';
import { listTicketEvents } from '@ticketflow/db/repositories/events';
import { getGuild } from '@ticketflow/db/repositories/guilds';
import {
  addNote,
  allTicketMessages,
  deleteNote,
  editNote,
  getMessagesByIds,
  getReplyView,
  listTicketMessages,
  queueReply,
  retryReply,
  sentBefore,
} from '@ticketflow/db/repositories/messages';
import { enqueueOutbox } from '@ticketflow/db/repositories/outbox';
import { type TicketChange, updateTicket } from '@ticketflow/db/repositories/tickets';
import { tickets, users } from '@ticketflow/db/schema';
import {
  activityResponse,
  boardQuery,
  boardResponse,
  card,
  closeBody,
  guildParams,
  memberBody,
  messageParams,
  messageSchema,
  messagesQuery,
  messagesResponse,
  noteBody,
  noteEditBody,
  peopleQuery,
  peopleResponse,
  replyBody,
  snowflakeId,
  ticketDetail,
  ticketParams,
  ticketPatch,
} from '@ticketflow/shared/api';
import { AppError, ConflictError, FieldError, NotFoundError } from '@ticketflow/shared/errors';
import {
  channelName,
  DEFAULT_CLOSE_DELAY_SECONDS,
  DISCORD_MESSAGE_MAX,
  replyRoom,
} from '@ticketflow/shared/tickets';
import { renderTranscript } from '@ticketflow/shared/transcript';
import { and, eq, inArray } from 'drizzle-orm';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { generateKeyBetween } from 'fractional-indexing';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { type Access, seesCategory } from '../../access.ts';
import { audit, requireAccess, requireSession, type ServerContext } from '../../context.ts';
import { iso, toCard, toMessage, userRef } from '../../views.ts';

class BadRequestError extends AppError {
  constructor(message: string) {
    super(400, 'bad_request', message);
  }
}

const gzipAsync = promisify(gzip);

/** Whether the client takes gzip (and did not refuse it with q=0). */
function acceptsGzip(header: string | undefined): boolean {
  return (header ?? '').split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return !q || Number(q.slice(2)) > 0;
  });
}

/** A serialised JSON answer, gzipped when the client takes it (boards are large and repetitive). */
function sendJson(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: { body: Buffer; gzip: Buffer },
) {
  reply.type('application/json').header('vary', 'accept-encoding');
  if (acceptsGzip(request.headers['accept-encoding'])) {
    return reply.header('content-encoding', 'gzip').send(payload.gzip as never);
  }
  return reply.send(payload.body as never);
}

export function registerTicketRoutes(
  root: FastifyInstance,
  ctx: ServerContext,
  options: { boardCache: boolean },
): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  /** The guild's role names for mentions (cached with member roles); none when Discord cannot be asked. */
  const roleNames = async (guildId: string) =>
    (await ctx.access.guildRoles(guildId).catch(() => []))
      .filter((r) => r.id !== guildId)
      .map((r) => ({ id: r.id, name: r.name }));
  /** Serialised boards by viewer scope and query, each valid for the guild seq it was read at. */
  const boards = options.boardCache
    ? new LRUCache<string, { seq: number; body: Buffer; gzip: Buffer }>({
        max: 2_000,
        maxSize: 200 * 2 ** 20,
        sizeCalculation: (v) => v.body.length + v.gzip.length,
        ttl: 30_000,
      })
    : undefined;

  async function viewer(request: FastifyRequest, guildId: string) {
    const access = await requireAccess(ctx, request, guildId);
    return { session: requireSession(request), access };
  }

  /** The ticket, if it is in this guild and in a category the viewer sees; else 404. */
  async function visibleTicket(access: Access, ticketId: string) {
    const [ticket] = await ctx.db
      .select()
      .from(tickets)
      .where(and(eq(tickets.guildId, access.guildId), eq(tickets.id, ticketId)));
    if (!ticket || !seesCategory(access, ticket.categoryId))
      throw new NotFoundError('No such ticket');
    return ticket;
  }

  async function cardOf(ticketId: string) {
    const [row] = await getCards(ctx.db, [ticketId]);
    if (!row) throw new NotFoundError('No such ticket');
    return toCard(row);
  }

  const displayName = (request: FastifyRequest) => {
    const user = requireSession(request).user;
    return user.globalName ?? user.username;
  };

  app.get(
    '/api/guilds/:guildId/board',
    { schema: { params: guildParams, querystring: boardQuery, response: { 200: boardResponse } } },
    async (request, reply) => {
      const { guildId } = request.params;
      const { access, session } = await viewer(request, guildId);
      const q = request.query;
      const filter = {
        guildId,
        ...(access.all ? {} : { visibleCategoryIds: access.categoryIds }),
        ...(q.category ? { categoryIds: q.category } : {}),
        ...(q.assignee
          ? {
              assigneeId:
                q.assignee === 'me'
                  ? session.user.id
                  : q.assignee === 'unassigned'
                    ? null
                    : q.assignee,
            }
          : {}),
        ...(q.priority ? { priorities: q.priority } : {}),
        ...(q.label ? { label: q.label } : {}),
        status: q.status,
        ...(q.q ? { q: q.q } : {}),
      };
      const { seq } = access;
      // Every change to a guild's board appends an event, so a board read at
      // this seq is still the board; people's names and avatars (no event)
      // may lag by the cache's ttl.
      const key = JSON.stringify([filter, q.column, q.after, q.limit]);
      const cached = boards?.get(key);
      // Sent as it is (validated when it was cached), gzipped once for every browser that asks.
      if (cached && cached.seq === seq) return sendJson(request, reply, cached);
      const columns = (await listColumns(ctx.db, guildId)).filter(
        (c) => !q.column || c.id === q.column,
      );
      if (q.column && columns.length === 0) throw new NotFoundError('No such column');
      const [totals, pages] = await Promise.all([
        countByColumn(ctx.db, filter),
        Promise.all(
          columns.map((c) =>
            listColumnCards(ctx.db, filter, c.id, {
              limit: q.limit + 1,
              ...(q.column && q.after ? { after: q.after } : {}),
            }),
          ),
        ),
      ]);
      const board = boardResponse.parse({
        seq,
        columns: columns.map((c, i) => {
          const rows = pages[i] ?? [];
          const more = rows.length > q.limit;
          const page = rows.slice(0, q.limit).map(toCard);
          return {
            id: c.id,
            name: c.name,
            position: c.position,
            lifecycle: c.lifecycle,
            cards: page,
            total: totals.get(c.id) ?? 0,
            nextAfter: more ? (page.at(-1)?.position ?? null) : null,
          };
        }),
      });
      const body = Buffer.from(JSON.stringify(board));
      const entry = { seq, body, gzip: await gzipAsync(body) };
      boards?.set(key, entry);
      return sendJson(request, reply, entry);
    },
  );

  app.get(
    '/api/guilds/:guildId/tickets/:ticketId',
    { schema: { params: ticketParams, response: { 200: ticketDetail } } },
    async (request) => {
      const { guildId, ticketId } = request.params;
      const { access } = await viewer(request, guildId);
      await visibleTicket(access, ticketId);
      const row = await getTicketDetail(ctx.db, guildId, ticketId);
      if (!row) throw new NotFoundError('No such ticket');
      await audit(ctx.db, request, {
        guildId,
        action: 'ticket.view',
        targetType: 'ticket',
        targetId: ticketId,
      });
      return {
        ...toCard(row),
        answers: row.answers,
        closedBy: row.closedBy,
        closeReason: row.closeReason,
        firstResponseAt: iso(row.firstResponseAt),
        category: row.category?.id
          ? { id: row.category.id, name: row.category.name, color: row.category.color }
          : null,
        questions: row.questions ?? [],
        roles: await roleNames(guildId),
      };
    },
  );

  app.get(
    '/api/guilds/:guildId/tickets/:ticketId/messages',
    {
      schema: {
        params: ticketParams,
        querystring: messagesQuery,
        response: { 200: messagesResponse },
      },
    },
    async (request) => {
      const { guildId, ticketId } = request.params;
      const { access } = await viewer(request, guildId);
      await visibleTicket(access, ticketId);
      const rows = await listTicketMessages(ctx.db, ticketId, {
        limit: request.query.limit + 1,
        ...(request.query.before ? { before: request.query.before } : {}),
      });
      const page = rows.slice(0, request.query.limit);
      return {
        messages: page.map(toMessage),
        nextBefore: rows.length > request.query.limit ? (page.at(-1)?.id ?? null) : null,
      };
    },
  );

  /**
   * The answer to a send repeated with its key (the browser did not get the
   * first answer): the message the first send stored, if it is the same
   * message; a key of another message is refused.
   */
  async function repeatedSend(
    first: { id: string; nonce: string | null; internal: boolean; content: string },
    wanted: { internal: boolean; content: string },
  ) {
    if (first.internal !== wanted.internal || first.content !== wanted.content) {
      throw new ConflictError('This send key belongs to another message; send it again');
    }
    const view = first.nonce
      ? await getReplyView(ctx.db, first.nonce)
      : (await getMessagesByIds(ctx.db, [first.id]))[0];
    if (!view) throw new NotFoundError();
    return toMessage(view);
  }

  /** Why a reply cannot go: Discord would refuse it, signed with its author's name. */
  const tooLong = (over: number) =>
    `is ${over} character${over === 1 ? '' : 's'} too long: a reply is signed with your name, and Discord takes ${DISCORD_MESSAGE_MAX.toLocaleString('en')} characters in all`;

  app.post(
    '/api/guilds/:guildId/tickets/:ticketId/messages',
    { schema: { params: ticketParams, body: replyBody, response: { 202: messageSchema } } },
    async (request, reply) => {
      const { guildId, ticketId } = request.params;
      const { content, sendKey } = request.body;
      const { access, session } = await viewer(request, guildId);
      const ticket = await visibleTicket(access, ticketId);
      const key = sendKey ? { ticketId, authorId: session.user.id, sendKey } : undefined;
      // Sent already (even if the ticket was closed since): the first send's message.
      const first = key ? await sentBefore(ctx.db, key) : undefined;
      if (first) {
        return reply.status(202).send(await repeatedSend(first, { internal: false, content }));
      }
      if (ticket.status !== 'open' || !ticket.channelId) {
        throw new ConflictError('This ticket is closed; reopen it to reply');
      }
      const authorName = displayName(request);
      const over = content.length - replyRoom(authorName);
      if (over > 0) throw new FieldError('body.content', tooLong(over));
      const sent = await queueReply(ctx.db, {
        guildId,
        ticketId,
        channelId: ticket.channelId,
        authorId: session.user.id,
        authorName,
        content,
        ...(sendKey ? { sendKey } : {}),
      });
      if (sent.repeated) {
        return reply
          .status(202)
          .send(await repeatedSend(sent.message, { internal: false, content }));
      }
      await audit(ctx.db, request, {
        guildId,
        action: 'ticket.reply',
        targetType: 'ticket',
        targetId: ticketId,
      });
      // The bot may have delivered it already: the row then has Discord's id (same
      // nonce), possibly changed between two reads, so it is read once, by nonce.
      const view = await getReplyView(ctx.db, sent.message.id);
      if (!view) throw new Error('reply vanished');
      return reply.status(202).send(toMessage(view));
    },
  );

  app.post(
    '/api/guilds/:guildId/tickets/:ticketId/messages/:messageId/retry',
    { schema: { params: messageParams, response: { 202: messageSchema } } },
    async (request, reply) => {
      const { guildId, ticketId, messageId } = request.params;
      const { access } = await viewer(request, guildId);
      await visibleTicket(access, ticketId);
      const done = await retryReply(ctx.db, ticketId, messageId, displayName(request));
      if (!done) throw new ConflictError('Only a failed reply can be sent again');
      // By nonce: the bot may already have delivered it under Discord's id.
      const view = await getReplyView(ctx.db, done.message.nonce as string);
      if (!view) throw new NotFoundError('No such message');
      return reply.status(202).send(toMessage(view));
    },
  );

  app.post(
    '/api/guilds/:guildId/tickets/:ticketId/notes',
    { schema: { params: ticketParams, body: noteBody, response: { 201: messageSchema } } },
    async (request, reply) => {
      const { guildId, ticketId } = request.params;
      const { access, session } = await viewer(request, guildId);
      await visibleTicket(access, ticketId);
      const { content, sendKey } = request.body;
      // A repeat of a send is answered by addNote with the first one's note.
      const added = await addNote(ctx.db, {
        guildId,
        ticketId,
        authorId: session.user.id,
        content,
        source: 'dashboard',
        ...(sendKey ? { sendKey } : {}),
      });
      if (added.repeated) {
        return reply
          .status(201)
          .send(await repeatedSend(added.message, { internal: true, content }));
      }
      const { note } = added;
      await audit(ctx.db, request, {
        guildId,
        action: 'note.create',
        targetType: 'ticket',
        targetId: ticketId,
      });
      const [view] = await getMessagesByIds(ctx.db, [note.id]);
      if (!view) throw new Error('note vanished');
      return reply.status(201).send(toMessage(view));
    },
  );

  app.patch(
    '/api/guilds/:guildId/tickets/:ticketId/notes/:messageId',
    { schema: { params: messageParams, body: noteEditBody, response: { 200: messageSchema } } },
    async (request) => {
      const { guildId, ticketId, messageId } = request.params;
      const { access, session } = await viewer(request, guildId);
      await visibleTicket(access, ticketId);
      const done = await editNote(ctx.db, {
        ticketId,
        noteId: messageId,
        content: request.body.content,
        actorId: session.user.id,
      });
      if (!done) throw new NotFoundError('No such note');
      await audit(ctx.db, request, {
        guildId,
        action: 'note.update',
        targetType: 'message',
        targetId: messageId,
      });
      const [view] = await getMessagesByIds(ctx.db, [messageId]);
      if (!view) throw new NotFoundError('No such note');
      return toMessage(view);
    },
  );

  app.delete(
    '/api/guilds/:guildId/tickets/:ticketId/notes/:messageId',
    { schema: { params: messageParams } },
    async (request, reply) => {
      const { guildId, ticketId, messageId } = request.params;
      const { access, session } = await viewer(request, guildId);
      await visibleTicket(access, ticketId);
      const done = await deleteNote(ctx.db, {
        ticketId,
        noteId: messageId,
        actorId: session.user.id,
      });
      if (!done) throw new NotFoundError('No such note');
      await audit(ctx.db, request, {
        guildId,
        action: 'note.delete',
        targetType: 'message',
        targetId: messageId,
      });
      return reply.status(204).send();
    },
  );

  app.patch(
    '/api/guilds/:guildId/tickets/:ticketId',
    { schema: { params: ticketParams, body: ticketPatch, response: { 200: card } } },
    async (request) => {
      const { guildId, ticketId } = request.params;
      const { access, session } = await viewer(request, guildId);
      const ticket = await visibleTicket(access, ticketId);
      const body = request.body;
      if (body.version !== ticket.version) {
        throw new ConflictError('Someone changed this ticket meanwhile; it has been reloaded');
      }
      const change: TicketChange = {};
      if (body.assigneeId !== undefined) {
        const assignee = body.assigneeId === 'me' ? session.user.id : body.assigneeId;
        if (assignee !== null && assignee !== session.user.id) {
          const theirs = await ctx.access.resolve(assignee, guildId);
          if (!theirs || !seesCategory(theirs, ticket.categoryId)) {
            throw new BadRequestError('That person is not staff of this ticket’s category');
          }
        }
        change.assigneeId = assignee;
      }
      const assigned =
        change.assigneeId !== undefined && change.assigneeId !== ticket.assigneeId
          ? { assigneeId: change.assigneeId }
          : undefined;
      let transfer: { fromCategoryId: string | null; toCategoryId: string } | undefined;
      if (body.categoryId !== undefined && body.categoryId !== ticket.categoryId) {
        if (!(await getCategory(ctx.db, guildId, body.categoryId)))
          throw new BadRequestError('No such category in this server');
        change.categoryId = body.categoryId;
        transfer = { fromCategoryId: ticket.categoryId, toCategoryId: body.categoryId };
      }
      if (body.priority) change.priority = body.priority;
      if (body.labels) change.labels = [...new Set(body.labels)];
      if (body.topic !== undefined) change.topic = body.topic;
      let lifecycle: 'open' | 'closed' | undefined;
      if (body.move) {
        const columns = await listColumns(ctx.db, guildId);
        const column = columns.find((c) => c.id === body.move?.columnId);
        if (!column) throw new BadRequestError('No such column on this board');
        const around = await positionsAround(
          ctx.db,
          column.id,
          body.move.afterId,
          body.move.beforeId,
        );
        if (!around) throw new ConflictError('The board changed meanwhile; it has been reloaded');
        change.columnId = column.id;
        change.position = generateKeyBetween(around.above, around.below);
        lifecycle = column.lifecycle;
      }
      let name: string | undefined;
      if (body.name) {
        if (!ticket.channelId) throw new ConflictError('This ticket has no channel to rename');
        name = channelName(body.name, { number: ticket.number, username: '', category: '' });
        change.topic = change.topic ?? body.name;
      }
      const closing = lifecycle === 'closed' && ticket.status === 'open';
      const guild = closing ? await getGuild(ctx.db, guildId) : undefined;
      await ctx.db.transaction(async (tx) => {
        const done = await updateTicket(tx, ticketId, change, {
          actorId: session.user.id,
          kind: body.move
            ? 'ticket.moved'
            : transfer
              ? 'ticket.transferred'
              : name
                ? 'ticket.renamed'
                : assigned
                  ? 'ticket.assigned'
                  : 'ticket.updated',
          expectedVersion: body.version,
        });
        if (done.conflict)
          throw new ConflictError('Someone changed this ticket meanwhile; it has been reloaded');
        const actorId = session.user.id;
        if (ticket.channelId && assigned) {
          await enqueueOutbox(tx, {
            guildId,
            ticketId,
            kind: 'assign',
            payload: { actorId, ...assigned },
          });
        }
        if (ticket.channelId && transfer) {
          await enqueueOutbox(tx, {
            guildId,
            ticketId,
            kind: 'move',
            payload: { actorId, ...transfer },
          });
        }
        if (name) {
          await enqueueOutbox(tx, {
            guildId,
            ticketId,
            kind: 'rename',
            payload: { channelId: ticket.channelId, name },
          });
        }
        if (closing) {
          await closeAndScheduleDeletion(
            tx,
            {
              ticketId,
              guildId,
              channelId: ticket.channelId,
              closedBy: session.user.id,
              reason: null,
              delaySeconds: guild?.settings.closeDelaySeconds ?? DEFAULT_CLOSE_DELAY_SECONDS,
              moveToClosedColumn: false,
            },
            {
              kind: 'close',
              payload: { channelId: ticket.channelId, actorId: session.user.id, reason: null },
            },
          );
        } else if (lifecycle === 'open' && ticket.status === 'closed') {
          await reopenAndKeepChannel(
            tx,
            { ticketId, actorId: session.user.id, moveToOpenColumn: false },
            { kind: 'reopen', payload: { channelId: ticket.channelId, actorId: session.user.id } },
          );
        }
      });
      return cardOf(ticketId);
    },
  );

  /** Lets someone into the ticket's channel, or out of it; Discord's side goes through the outbox. */
  const setMember = async (
    request: FastifyRequest,
    { guildId, ticketId }: { guildId: string; ticketId: string },
    userId: string,
    add: boolean,
  ) => {
    const { access, session } = await viewer(request, guildId);
    const ticket = await visibleTicket(access, ticketId);
    if (!ticket.channelId) throw new ConflictError('This ticket has no channel');
    if (!add && userId === ticket.openerId)
      throw new BadRequestError('The person who opened the ticket cannot be removed');
    if (add && !(await ctx.access.isMember(guildId, userId)))
      throw new BadRequestError('That person is not a member of this server');
    await ctx.db.transaction(async (tx) => {
      await updateTicket(
        tx,
        ticketId,
        {},
        {
          actorId: session.user.id,
          kind: add ? 'ticket.member_added' : 'ticket.member_removed',
          data: { userId },
        },
      );
      await enqueueOutbox(tx, {
        guildId,
        ticketId,
        kind: add ? 'add-member' : 'remove-member',
        payload: { actorId: session.user.id, userId },
      });
    });
  };

  app.get(
    '/api/guilds/:guildId/tickets/:ticketId/people',
    {
      schema: { params: ticketParams, querystring: peopleQuery, response: { 200: peopleResponse } },
    },
    async (request) => {
      const { guildId, ticketId } = request.params;
      const { access } = await viewer(request, guildId);
      const ticket = await visibleTicket(access, ticketId);
      // Discord failing answers 503 (DiscordRequestError, through the error handler).
      const found = await ctx.discord.searchMembers(guildId, request.query.q, 25);
      const people = await Promise.all(
        found.map(async (u) => {
          const theirs = await ctx.access.resolve(u.id, guildId);
          return { ...u, staff: theirs !== undefined && seesCategory(theirs, ticket.categoryId) };
        }),
      );
      return { people };
    },
  );

  app.post(
    '/api/guilds/:guildId/tickets/:ticketId/members',
    { schema: { params: ticketParams, body: memberBody } },
    async (request, reply) => {
      await setMember(request, request.params, request.body.userId, true);
      return reply.status(204).send();
    },
  );

  app.delete(
    '/api/guilds/:guildId/tickets/:ticketId/members/:userId',
    { schema: { params: ticketParams.extend({ userId: snowflakeId }) } },
    async (request, reply) => {
      await setMember(request, request.params, request.params.userId, false);
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/guilds/:guildId/tickets/:ticketId/close',
    { schema: { params: ticketParams, body: closeBody, response: { 200: card } } },
    async (request) => {
      const { guildId, ticketId } = request.params;
      const { access, session } = await viewer(request, guildId);
      const ticket = await visibleTicket(access, ticketId);
      const guild = await getGuild(ctx.db, guildId);
      const reason = request.body.reason || null;
      const done = await closeAndScheduleDeletion(
        ctx.db,
        {
          ticketId,
          guildId,
          channelId: ticket.channelId,
          closedBy: session.user.id,
          reason,
          delaySeconds: guild?.settings.closeDelaySeconds ?? DEFAULT_CLOSE_DELAY_SECONDS,
        },
        {
          kind: 'close',
          payload: { channelId: ticket.channelId, actorId: session.user.id, reason },
        },
      );
      if (!done) throw new ConflictError('This ticket is already closed');
      return cardOf(ticketId);
    },
  );

  app.post(
    '/api/guilds/:guildId/tickets/:ticketId/reopen',
    { schema: { params: ticketParams, response: { 200: card } } },
    async (request) => {
      const { guildId, ticketId } = request.params;
      const { access, session } = await viewer(request, guildId);
      const ticket = await visibleTicket(access, ticketId);
      const done = await reopenAndKeepChannel(
        ctx.db,
        { ticketId, actorId: session.user.id },
        { kind: 'reopen', payload: { channelId: ticket.channelId, actorId: session.user.id } },
      );
      if (!done) throw new ConflictError('This ticket is not closed');
      return cardOf(ticketId);
    },
  );

  app.get(
    '/api/guilds/:guildId/tickets/:ticketId/activity',
    { schema: { params: ticketParams, response: { 200: activityResponse } } },
    async (request) => {
      const { guildId, ticketId } = request.params;
      const { access } = await viewer(request, guildId);
      await visibleTicket(access, ticketId);
      const rows = await listTicketEvents(ctx.db, ticketId);
      const actorIds = [...new Set(rows.map((r) => r.actorId).filter((id) => id !== null))];
      const actors = actorIds.length
        ? await ctx.db.select().from(users).where(inArray(users.id, actorIds))
        : [];
      const byId = new Map(actors.map((a) => [a.id, a]));
      return {
        activity: rows.map((r) => ({
          seq: r.seq,
          kind: r.kind,
          actorId: r.actorId,
          actor: r.actorId ? userRef(byId.get(r.actorId) ?? null) : null,
          data: r.data,
          at: iso(r.createdAt) as string,
        })),
      };
    },
  );

  app.get(
    '/api/guilds/:guildId/tickets/:ticketId/transcript',
    {
      schema: {
        params: ticketParams,
        querystring: z.object({ download: z.enum(['0', '1']).default('0') }),
      },
    },
    async (request, reply) => {
      const { guildId, ticketId } = request.params;
      const { access } = await viewer(request, guildId);
      const ticket = await visibleTicket(access, ticketId);
      const guild = await getGuild(ctx.db, guildId);
      const messages = await allTicketMessages(ctx.db, ticketId);
      await audit(ctx.db, request, {
        guildId,
        action: 'transcript.view',
        targetType: 'ticket',
        targetId: ticketId,
      });
      const html = renderTranscript({
        guildName: guild?.name ?? '',
        ticket,
        messages,
        includeNotes: true,
        roles: new Map((await roleNames(guildId)).map((r) => [r.id, r.name])),
      });
      if (request.query.download === '1') {
        reply.header('content-disposition', `attachment; filename="ticket-${ticket.number}.html"`);
      }
      return reply.type('text/html; charset=utf-8').send(html);
    },
  );
}
