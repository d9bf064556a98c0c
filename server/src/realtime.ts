import { channels } from '@ticketflow/db/bus';
import { latestSeq } from '@ticketflow/db/repositories/events';
import { getGuildAccessFacts } from '@ticketflow/db/repositories/guilds';
import { tickets } from '@ticketflow/db/schema';
import {
  type ClientToServerEvents,
  joinRequest,
  type ServerToClientEvents,
} from '@ticketflow/shared/api';
import { stopStep } from '@ticketflow/shared/stopping';
import { and, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Server, type Socket } from 'socket.io';
import { z } from 'zod';
import { type Access, RECHECK_MS, seesCategory } from './access.ts';
import type { ServerContext } from './context.ts';
import { type HydratedEvent, hydrateEvents, leftEvent, maysee, type RawEvent } from './live.ts';
import { findSession, type SessionUser } from './sessions.ts';

interface SocketData {
  user: SessionUser;
  /** Guilds followed (their rooms, or only some of their tickets), with the access now in force. */
  guilds: Map<string, Access>;
  /** Guilds whose rooms are joined (a board), not only tickets of them. */
  boards: Set<string>;
  /** Ticket rooms joined, by guild. */
  tickets: Map<string, string>;
}

type TfSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;
export type TfServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;

export interface RealtimeOptions {
  /** Only the websocket transport: for replicas behind a load balancer without sticky sessions. */
  websocketOnly?: boolean;
  /** How often joined sockets' access is checked again (default RECHECK_MS). */
  recheckMs?: number;
  /**
   * A socket with more packets than this waiting to be written (a stuck or far
   * too slow client) is cut off; it resumes through the events route when it
   * reconnects. Default 1,000.
   */
  maxQueuedPackets?: number;
  /** How often the queues are looked at (default 1 s). */
  queueCheckMs?: number;
  /**
   * How long a queue must stay over the limit (default 3 s): a burst (a
   * backfill's thousands of events) fills a healthy client's queue for a
   * moment, and it drains at once.
   */
  stuckMs?: number;
  log?: Logger;
}

const notification = z.object({
  guildId: z.string(),
  seq: z.number(),
  ticketId: z.string().nullable(),
  kind: z.string(),
  messageId: z.string().nullish(),
  /** A transfer's previous category. */
  fromCategoryId: z.string().nullish(),
});
/** What `tf_guilds` carries: an erasure (erasure.ts), a member's roles changed (guilds.ts). */
const guildNotification = z.union([
  z.object({ guildId: z.string(), erased: z.literal(true) }),
  z.object({ guildId: z.string(), userId: z.string(), member: z.literal(true) }),
]);

/**
 * Event kinds after which who sees what in the guild may differ: the settings
 * routes' (admin roles, categories' staff roles) and the bot's (a new owner,
 * a role changed or deleted in Discord, the bot removed from the guild).
 */
const ACCESS_KINDS = new Set([
  'guild.updated',
  'guild.roles_changed',
  'guild.left',
  'settings.updated',
  'category.created',
  'category.updated',
  'category.deleted',
]);

const guildRoom = (g: string) => `guild:${g}`;
const allRoom = (g: string) => `guild:${g}:all`;
const categoryRoom = (g: string, c: string) => `guild:${g}:cat:${c}`;
const ticketRoom = (t: string) => `ticket:${t}`;

/**
 * Socket.IO on the app's HTTP server: the handshake is authenticated from the
 * session cookie and its Origin checked; every room join is authorised; every
 * committed event (from Postgres NOTIFY, so every instance sees every event)
 * goes to the sockets that may see it, and a seq-only `tick` to the others.
 */
export function attachRealtime(
  app: FastifyInstance,
  ctx: ServerContext,
  options: RealtimeOptions = {},
) {
  const publicOrigin = new URL(ctx.publicUrl).origin;
  const io: TfServer = new Server(app.server, {
    path: '/socket.io',
    transports: options.websocketOnly ? ['websocket'] : ['polling', 'websocket'],
    serveClient: false,
    allowRequest: (req, callback) => {
      const origin = req.headers.origin;
      // Browsers always send Origin; a different one is another site's page.
      callback(null, origin === undefined || origin === publicOrigin);
    },
  });

  io.use(async (socket, next) => {
    try {
      const cookies = app.parseCookie(socket.request.headers.cookie ?? '');
      const id = cookies[ctx.cookieName];
      const session = id ? await findSession(ctx.db, id) : undefined;
      if (!session) return next(new Error('unauthorized'));
      socket.data.user = session.user;
      socket.data.guilds = new Map();
      socket.data.boards = new Set();
      socket.data.tickets = new Map();
      next();
    } catch (error) {
      // The database is away: the client tries again (dashboard/src/live.ts).
      options.log?.warn({ err: error }, 'refused a socket: its session could not be read');
      next(new Error('unavailable'));
    }
  });

  function joinGuildRooms(socket: TfSocket, access: Access) {
    const g = access.guildId;
    for (const room of socket.rooms) {
      if (room.startsWith(`${guildRoom(g)}:`)) void socket.leave(room);
    }
    void socket.join(guildRoom(g));
    if (access.all) void socket.join(allRoom(g));
    else for (const c of access.categoryIds) void socket.join(categoryRoom(g, c));
    socket.data.guilds.set(g, access);
    socket.data.boards.add(g);
  }

  /** The access now in force for a guild the socket follows: its rooms follow it. */
  function applyAccess(socket: TfSocket, access: Access) {
    if (socket.data.boards.has(access.guildId)) joinGuildRooms(socket, access);
    else socket.data.guilds.set(access.guildId, access);
  }

  function leaveGuild(socket: TfSocket, guildId: string) {
    for (const room of socket.rooms) {
      if (room === guildRoom(guildId) || room.startsWith(`${guildRoom(guildId)}:`))
        void socket.leave(room);
    }
    socket.data.guilds.delete(guildId);
    socket.data.boards.delete(guildId);
    for (const [ticketId, g] of socket.data.tickets) {
      if (g === guildId) {
        void socket.leave(ticketRoom(ticketId));
        socket.data.tickets.delete(ticketId);
      }
    }
  }

  /**
   * Access changes seen per guild (settings, roles, a member): a join that
   * resolved while one arrived resolves again, since the re-check that change
   * started did not see a socket that had not joined yet.
   */
  const accessChanges = new Map<string, number>();
  /** An access change (of a guild, or of one member of it): joins resolve again, sockets follow now. */
  function accessChanged(guildId: string, userId?: string) {
    accessChanges.set(guildId, (accessChanges.get(guildId) ?? 0) + 1);
    void round(guildId, userId);
  }
  async function resolveCurrent(userId: string, guildId: string) {
    for (let attempt = 1; ; attempt++) {
      const before = accessChanges.get(guildId) ?? 0;
      const access = await ctx.access.resolve(userId, guildId);
      // A guild whose roles keep changing: the periodic re-check covers the rest.
      if ((accessChanges.get(guildId) ?? 0) === before || attempt === 3) return access;
    }
  }

  io.on('connection', (socket) => {
    socket.on('join', async (raw, ack) => {
      const reply = typeof ack === 'function' ? ack : () => {};
      const parsed = joinRequest.safeParse(raw);
      if (!parsed.success) return reply({ ok: false, error: 'bad_request' });
      try {
        const { guildId } = parsed.data;
        const access = await resolveCurrent(socket.data.user.id, guildId);
        if (!access) return reply({ ok: false, error: 'not_found' });
        const { ticketId } = parsed.data;
        if (ticketId) {
          const [ticket] = await ctx.db
            .select({ categoryId: tickets.categoryId })
            .from(tickets)
            .where(and(eq(tickets.guildId, guildId), eq(tickets.id, ticketId)));
          if (!ticket || !seesCategory(access, ticket.categoryId)) {
            return reply({ ok: false, error: 'not_found' });
          }
          await socket.join(ticketRoom(ticketId));
          socket.data.tickets.set(ticketId, guildId);
          applyAccess(socket, access);
        } else {
          joinGuildRooms(socket, access);
        }
        reply({ ok: true, seq: await latestSeq(ctx.db, guildId) });
      } catch (error) {
        options.log?.warn({ err: error }, 'socket join failed');
        reply({ ok: false, error: 'unavailable' });
      }
    });
    socket.on('leave', (raw) => {
      const parsed = joinRequest.safeParse(raw);
      if (!parsed.success) return;
      const { guildId, ticketId } = parsed.data;
      if (ticketId) {
        void socket.leave(ticketRoom(ticketId));
        socket.data.tickets.delete(ticketId);
        const following = [...socket.data.tickets.values()].includes(guildId);
        if (!following && !socket.data.boards.has(guildId)) socket.data.guilds.delete(guildId);
      } else leaveGuild(socket, guildId);
    });
  });

  // ---- Fan-out: notifications are hydrated in batches, emitted in seq order.
  const occupied = (room: string) => (io.of('/').adapter.rooms.get(room)?.size ?? 0) > 0;
  let pending: RawEvent[] = [];
  let flushing = false;
  async function flush() {
    while (pending.length > 0) {
      const batch = pending.sort((a, b) => a.seq - b.seq);
      pending = [];
      try {
        // Notifications carry ids only: the card and message come from the tables.
        const hydrated = await hydrateEvents(ctx.db, batch);
        const byGuild = new Map<string, HydratedEvent[]>();
        for (const h of hydrated) {
          const list = byGuild.get(h.event.guildId);
          if (list) list.push(h);
          else byGuild.set(h.event.guildId, [h]);
        }
        for (const [guildId, list] of byGuild) emitGuild(guildId, list);
      } catch (error) {
        // The database is away: clients are told to read what they missed through the
        // events route (plain ticks would look like events they may not see).
        options.log?.warn({ err: error }, 'could not load events for sockets');
        const newest = new Map<string, number>();
        for (const e of batch) newest.set(e.guildId, Math.max(newest.get(e.guildId) ?? 0, e.seq));
        for (const [guildId, seq] of newest)
          io.to(guildRoom(guildId)).emit('tick', { guildId, seq, resync: true });
      }
    }
  }

  /**
   * Sockets that see the whole guild get the batch's events in one packet
   * (under load a batch holds many, and one frame per socket instead of one
   * per event is most of the fan-out's cost). Category staff and ticket
   * viewers get each event they may see, and a tick for each other one.
   */
  function emitGuild(guildId: string, list: HydratedEvent[]) {
    const all = allRoom(guildId);
    if (list.length === 1) io.to(all).emit('event', (list[0] as HydratedEvent).event);
    else
      io.to(all).emit(
        'events',
        list.map((h) => h.event),
      );
    for (const h of list) {
      const { ticketId, seq } = h.event;
      const scoped =
        ticketId === null
          ? [guildRoom(guildId)]
          : [
              ...(h.categoryId && !h.gone ? [categoryRoom(guildId, h.categoryId)] : []),
              ...(h.gone ? [] : [ticketRoom(ticketId)]),
            ].filter(occupied);
      // A ticket's viewers who may not see it now (moved to another category, a role gone).
      const hidden = ticketId === null || h.gone ? [] : hiddenIn(ticketRoom(ticketId), guildId, h);
      if (scoped.length > 0)
        io.to(scoped)
          .except([all, ...hidden])
          .emit('event', h.event);
      // Moved out of a category: its viewers who cannot follow it learn that it left (no card).
      const left =
        h.fromCategoryId && h.fromCategoryId !== h.categoryId && !h.gone
          ? [categoryRoom(guildId, h.fromCategoryId)].filter(occupied)
          : [];
      if (left.length > 0)
        io.to(left)
          .except([all, ...scoped])
          .emit('event', leftEvent(h));
      if (ticketId !== null && occupied(guildRoom(guildId)))
        io.to(guildRoom(guildId))
          .except([all, ...scoped, ...left])
          .emit('tick', { guildId, seq });
      if (hidden.length > 0) io.to(hidden).emit('tick', { guildId, seq });
    }
  }

  /** The sockets of a room (by id) whose access to the guild does not see the event. */
  function hiddenIn(room: string, guildId: string, h: HydratedEvent): string[] {
    const out: string[] = [];
    for (const id of io.of('/').adapter.rooms.get(room) ?? []) {
      const access = io.of('/').sockets.get(id)?.data.guilds.get(guildId);
      if (!access || !maysee(access, h)) out.push(id);
    }
    return out;
  }

  const onNotification = (payload: unknown) => {
    const parsed = notification.safeParse(payload);
    if (!parsed.success) return;
    const { messageId, fromCategoryId, ...n } = parsed.data;
    // Who sees what may have changed (settings on any instance, the owner or a role in
    // Discord): this instance's sockets of the guild follow now, not at the next round.
    if (n.kind === 'guild.roles_changed') ctx.access.forgetGuild(n.guildId);
    if (ACCESS_KINDS.has(n.kind)) accessChanged(n.guildId);
    const data = {
      ...(messageId ? { messageId } : {}),
      ...(fromCategoryId ? { fromCategoryId } : {}),
    };
    pending.push({ ...n, data });
    if (flushing) return;
    flushing = true;
    void flush().finally(() => {
      flushing = false;
    });
  };
  const subscribed = ctx.database.bus.subscribe(channels.events, onNotification);
  // A guild's data was erased (by any instance, or the purge job): its sockets here leave it.
  // A member's roles changed: their sockets here follow.
  const guildsSubscribed = ctx.database.bus.subscribe(channels.guilds, (payload) => {
    const parsed = guildNotification.safeParse(payload);
    if (!parsed.success) return;
    if ('erased' in parsed.data) return dropGuild(parsed.data.guildId);
    // A member's roles changed in Discord (or they left): theirs are read again now.
    const { guildId, userId } = parsed.data;
    ctx.access.forget(guildId, userId);
    accessChanged(guildId, userId);
  });

  /** Takes every socket of this instance out of a guild's rooms and tells it. */
  function dropGuild(guildId: string): void {
    for (const socket of io.of('/').sockets.values()) {
      if (!socket.data.guilds.has(guildId)) continue;
      leaveGuild(socket as TfSocket, guildId);
      socket.emit('revoked', { guildId });
    }
  }

  // Notifications sent while the LISTEN connection was down are lost: tell
  // every joined guild its newest seq, so clients fetch what they missed.
  const offReconnect = ctx.database.bus.onReconnect(() => {
    void (async () => {
      const guildIds = new Set<string>();
      for (const socket of io.of('/').sockets.values())
        for (const g of socket.data.guilds?.keys() ?? []) guildIds.add(g);
      for (const g of guildIds) {
        try {
          io.to(guildRoom(g)).emit('tick', {
            guildId: g,
            seq: await latestSeq(ctx.db, g),
            resync: true,
          });
        } catch {}
      }
    })();
  });

  // ---- Slow or stuck clients: a socket that does not read has its packets
  // queued in this process (engine.io's buffer, then the websocket's) without
  // bound, and the others pay for the memory. Over the limit for `stuckMs` it
  // is cut off at once (a polite close would wait for the queue to drain,
  // which it never does).
  const maxQueued = options.maxQueuedPackets ?? 1_000;
  const stuckMs = options.stuckMs ?? 3_000;
  const overSince = new WeakMap<object, number>();
  const queues = setInterval(() => {
    const now = Date.now();
    for (const socket of io.of('/').sockets.values()) {
      // engine.io's outgoing queue (typed private; read only here, and covered by a test).
      const conn = socket.conn as unknown as {
        writeBuffer?: unknown[];
        transport?: { socket?: { terminate?: () => void } };
        close(discard?: boolean): void;
      };
      const queued = conn.writeBuffer?.length ?? 0;
      if (queued <= maxQueued) {
        overSince.delete(socket);
        continue;
      }
      const since = overSince.get(socket) ?? now;
      overSince.set(socket, since);
      if (now - since < stuckMs) continue;
      options.log?.warn(
        { queued, user: socket.data.user?.id },
        'cut off a socket that is not reading',
      );
      const ws = conn.transport?.socket;
      if (typeof ws?.terminate === 'function') ws.terminate();
      else conn.close(true);
    }
  }, options.queueCheckMs ?? 1_000);
  queues.unref();

  // ---- Access re-checked: a removed role stops delivery within a minute, and
  // a settings change at once.
  /**
   * One round (of every guild joined here, of one, or of one member of one): each (user, guild) is
   * resolved once, with the guild's facts read once, however many sockets
   * (tabs, replicas of a dashboard) share it; every socket of the pair follows
   * the answer.
   */
  async function recheckAll(only?: string, onlyUser?: string): Promise<void> {
    const pairs = new Map<string, { userId: string; guildId: string; sockets: TfSocket[] }>();
    for (const socket of io.of('/').sockets.values()) {
      if (onlyUser !== undefined && socket.data.user?.id !== onlyUser) continue;
      for (const guildId of socket.data.guilds?.keys() ?? []) {
        if (only !== undefined && guildId !== only) continue;
        const key = `${socket.data.user.id}:${guildId}`;
        const pair = pairs.get(key);
        if (pair) pair.sockets.push(socket);
        else pairs.set(key, { userId: socket.data.user.id, guildId, sockets: [socket] });
      }
    }
    const facts = new Map<string, ReturnType<typeof getGuildAccessFacts>>();
    for (const { userId, guildId, sockets } of pairs.values()) {
      try {
        let guildFacts = facts.get(guildId);
        if (!guildFacts) {
          guildFacts = getGuildAccessFacts(ctx.db, guildId);
          facts.set(guildId, guildFacts);
        }
        const access = await ctx.access.resolve(userId, guildId, { facts: await guildFacts });
        for (const socket of sockets) {
          const before = socket.data.guilds.get(guildId);
          if (!before) continue;
          if (!access) {
            leaveGuild(socket, guildId);
            socket.emit('revoked', { guildId });
          } else if (
            access.all !== before.all ||
            access.categoryIds.join() !== before.categoryIds.join()
          ) {
            applyAccess(socket, access);
            socket.emit('access', { guildId });
          }
        }
      } catch {
        // Discord or the database is away: access stays as it was until the next round.
      }
    }
  }
  /**
   * Rounds run one after another, so an older answer never lands after a
   * newer one. A periodic round is skipped while any is waiting or running (many
   * sockets, a slow Discord); a guild's (or a member's) round is queued once
   * however many of its changes arrive before it starts.
   */
  let rounds: Promise<void> = Promise.resolve();
  let waiting = 0;
  const queued = new Set<string>();
  function round(guildId?: string, userId?: string): Promise<void> {
    const key = guildId === undefined ? undefined : `${guildId}:${userId ?? '*'}`;
    if (key !== undefined) {
      if (queued.has(key)) return rounds;
      queued.add(key);
    }
    waiting++;
    rounds = rounds
      .then(() => {
        if (key !== undefined) queued.delete(key);
        return recheckAll(guildId, userId);
      })
      .catch((error: unknown) => options.log?.warn({ err: error }, 'access re-check failed'))
      .finally(() => {
        waiting--;
      });
    return rounds;
  }
  const recheck = setInterval(() => {
    if (waiting === 0) void round();
  }, options.recheckMs ?? RECHECK_MS);
  recheck.unref();

  return {
    io,
    /** Runs a round of the access re-check after any running one (it also runs every `recheckMs`). */
    recheck: () => round(),
    /** Resolves once this instance is listening for events and erasures. */
    ready: Promise.all([subscribed, guildsSubscribed]).then(() => undefined),
    async close() {
      clearInterval(recheck);
      clearInterval(queues);
      const step = (name: string, work: () => Promise<unknown>) =>
        stopStep(options.log, name, work);
      await step('sockets: access re-check round', () => rounds);
      offReconnect();
      await step('sockets: event subscription', async () => (await subscribed)());
      await step('sockets: server subscription', async () => (await guildsSubscribed)());
      // Not io.close(): that would close the HTTP server, which Fastify owns.
      io.disconnectSockets(true);
      io.engine.close();
    },
  };
}
