import type { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import type { Executor } from './client.ts';

/** The channels TicketFlow's processes talk on. Payloads carry ids, never content. */
export const channels = {
  /** `{ guildId, seq, ticketId?, kind }` after an event is committed. */
  events: 'tf_events',
  /** `{ id, guildId }` when an outbox item is due. */
  outbox: 'tf_outbox',
  /** `{ id }` when a job is scheduled. */
  jobs: 'tf_jobs',
  /**
   * `{ guildId, erased: true }` when a guild's data was erased: every server drops its sockets
   * from it; `{ guildId, userId, member: true }` when a member's roles changed or they left.
   */
  guilds: 'tf_guilds',
} as const;

export type Handler = (payload: unknown) => void;

export interface EventBus {
  /** Starts delivering notifications on `channel` to `handler`; resolves once listening. */
  subscribe(channel: string, handler: Handler): Promise<() => Promise<void>>;
  /**
   * Called after the listening connection was lost and is listening again.
   * Notifications sent in between are lost: subscribers resync from the database.
   */
  onReconnect(listener: () => void): () => void;
  close(): Promise<void>;
}

const channelName = /^[a-z_][a-z0-9_]{0,62}$/;

function checkChannel(channel: string): string {
  if (!channelName.test(channel)) throw new Error(`invalid bus channel name: ${channel}`);
  return channel;
}

/**
 * Queues a notification inside the caller's transaction: Postgres delivers it
 * only when that transaction commits, and never if it rolls back.
 */
export async function publish(tx: Executor, channel: string, payload: object): Promise<void> {
  const text = JSON.stringify(payload);
  // NOTIFY payloads must stay under 8000 bytes; ours are ids only.
  if (Buffer.byteLength(text) > 7900) throw new Error(`bus payload too large for ${channel}`);
  await tx.execute(sql`select pg_notify(${checkChannel(channel)}, ${text})`);
}

function parse(payload: string | undefined): unknown {
  if (payload === undefined) return undefined;
  try {
    return JSON.parse(payload);
  } catch {
    return payload;
  }
}

class HandlerSet {
  private readonly byChannel = new Map<string, Set<Handler>>();
  private readonly reconnectListeners = new Set<() => void>();

  add(channel: string, handler: Handler): boolean {
    let set = this.byChannel.get(channel);
    const first = !set;
    if (!set) {
      set = new Set();
      this.byChannel.set(channel, set);
    }
    set.add(handler);
    return first;
  }

  /** Returns true when the channel has no handler left. */
  remove(channel: string, handler: Handler): boolean {
    const set = this.byChannel.get(channel);
    set?.delete(handler);
    if (set && set.size === 0) {
      this.byChannel.delete(channel);
      return true;
    }
    return false;
  }

  channels(): string[] {
    return [...this.byChannel.keys()];
  }

  dispatch(channel: string, payload: string | undefined): void {
    const value = parse(payload);
    for (const handler of this.byChannel.get(channel) ?? []) {
      try {
        handler(value);
      } catch (error) {
        // One faulty subscriber must not stop delivery to the others.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  reconnected(): void {
    for (const listener of this.reconnectListeners) listener();
  }
}

export interface PostgresBusOptions {
  /** Backoff after a lost connection: first delay and cap, in ms. */
  minDelayMs?: number;
  maxDelayMs?: number;
  applicationName?: string;
}

/**
 * A bus on one dedicated Postgres connection (LISTEN cannot go through a pool).
 * A lost connection is re-opened with exponential backoff and every channel is
 * listened to again.
 */
export function createPostgresBus(url: string, options: PostgresBusOptions = {}): EventBus {
  const handlers = new HandlerSet();
  const minDelay = options.minDelayMs ?? 100;
  const maxDelay = options.maxDelayMs ?? 5000;
  let client: pg.Client | undefined;
  let listening = new Set<string>();
  let connecting: Promise<pg.Client> | undefined;
  let closed = false;
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;

  const lost = (lostClient: pg.Client) => {
    if (client !== lostClient) return;
    client = undefined;
    listening = new Set();
    lostClient.end().catch(() => {});
    if (!closed) scheduleReconnect();
  };

  const connect = async (): Promise<pg.Client> => {
    const next = new pg.Client({
      connectionString: url,
      application_name: options.applicationName ?? 'ticketflow-listener',
      keepAlive: true,
    });
    next.on('error', () => lost(next));
    next.on('end', () => lost(next));
    next.on('notification', (msg) => handlers.dispatch(msg.channel, msg.payload));
    try {
      await next.connect();
      const nowListening = new Set<string>();
      for (const channel of handlers.channels()) {
        await next.query(`LISTEN ${channel}`);
        nowListening.add(channel);
      }
      if (closed) throw new Error('bus closed');
      client = next;
      listening = nowListening;
      return next;
    } catch (error) {
      next.removeAllListeners('end');
      next.on('error', () => {});
      await next.end().catch(() => {});
      throw error;
    }
  };

  const ensureConnected = (): Promise<pg.Client> => {
    if (client) return Promise.resolve(client);
    connecting ??= connect().finally(() => {
      connecting = undefined;
    });
    return connecting;
  };

  function scheduleReconnect() {
    if (timer || closed) return;
    const base = Math.min(maxDelay, minDelay * 2 ** attempt);
    const delay = base / 2 + Math.random() * (base / 2);
    timer = setTimeout(async () => {
      timer = undefined;
      try {
        await ensureConnected();
        attempt = 0;
        handlers.reconnected();
      } catch {
        attempt += 1;
        scheduleReconnect();
      }
    }, delay);
    timer.unref();
  }

  return {
    async subscribe(channel, handler) {
      checkChannel(channel);
      handlers.add(channel, handler);
      try {
        const current = await ensureConnected();
        if (!listening.has(channel)) {
          await current.query(`LISTEN ${channel}`);
          listening.add(channel);
        }
      } catch (error) {
        handlers.remove(channel, handler);
        throw error;
      }
      return async () => {
        if (handlers.remove(channel, handler) && client && listening.has(channel)) {
          listening.delete(channel);
          await client.query(`UNLISTEN ${channel}`).catch(() => {});
        }
      };
    },
    onReconnect: (listener) => handlers.onReconnect(listener),
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await connecting?.catch(() => {});
      const current = client;
      client = undefined;
      if (current) {
        current.removeAllListeners('end');
        await current.end().catch(() => {});
      }
    },
  };
}

/** A bus on PGlite's own LISTEN/NOTIFY (one embedded connection: it cannot be lost). */
export function createPgliteBus(pglite: PGlite): EventBus {
  const handlers = new HandlerSet();
  const unlisten = new Map<string, () => Promise<void>>();
  return {
    async subscribe(channel, handler) {
      checkChannel(channel);
      if (handlers.add(channel, handler)) {
        unlisten.set(
          channel,
          await pglite.listen(channel, (payload) => handlers.dispatch(channel, payload)),
        );
      }
      return async () => {
        if (handlers.remove(channel, handler)) {
          await unlisten.get(channel)?.();
          unlisten.delete(channel);
        }
      };
    },
    onReconnect: (listener) => handlers.onReconnect(listener),
    async close() {
      for (const stop of unlisten.values()) await stop().catch(() => {});
      unlisten.clear();
    },
  };
}
