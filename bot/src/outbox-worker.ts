import { channels, type EventBus } from '@ticketflow/db/bus';
import type { Executor } from '@ticketflow/db/client';
import {
  findPendingReply,
  markReplyFailed,
  upsertMessage,
} from '@ticketflow/db/repositories/messages';
import { outboxQueue } from '@ticketflow/db/repositories/outbox';
import type { outbox, WorkError } from '@ticketflow/db/schema';
import { DiscordAPIError, HTTPError, RateLimitError, type REST } from 'discord.js';
import { Routes } from 'discord-api-types/v10';
import type { Logger } from 'pino';
import { z } from 'zod';
import { toMessageInput } from './mirror.ts';
import { messagePayload } from './payloads.ts';

type OutboxItem = typeof outbox.$inferSelect;

/** Thrown by an action for a request Discord will never accept: no retry. */
export class PermanentError extends Error {
  readonly detail: WorkError;
  constructor(detail: WorkError) {
    super(detail.message);
    this.detail = detail;
  }
}

export interface ActionContext {
  db: Executor;
  rest: REST;
  log: Logger;
}

export type OutboxAction = (item: OutboxItem, ctx: ActionContext) => Promise<void>;

const replyPayload = z.object({
  nonce: z.string().min(1).max(25),
  channelId: z.string().regex(/^\d{15,21}$/),
  authorName: z.string().min(1).max(80),
});

/** How a dashboard reply reads in Discord: the staff member's name, then the text. */
export function formatReply(authorName: string, content: string): string {
  return `**${authorName.replace(/[*_~`|\\]/g, '')}:** ${content}`;
}

/**
 * Posts a dashboard reply as the bot, signed with the staff member's name.
 * `nonce` + `enforce_nonce` make a retried post return the first message
 * instead of posting twice; the answer completes the pending row (as its
 * gateway echo would).
 */
export const replyAction: OutboxAction = async (item, { db, rest }) => {
  const payload = replyPayload.safeParse(item.payload);
  if (!payload.success) throw new PermanentError({ message: 'malformed reply payload' });
  const pending = await findPendingReply(db, payload.data.nonce);
  // Already delivered (its echo came first), failed, or erased since: nothing to do.
  if (pending?.delivery !== 'pending') return;
  const posted = await rest.post(Routes.channelMessages(payload.data.channelId), {
    body: {
      content: formatReply(payload.data.authorName, pending.content),
      nonce: payload.data.nonce,
      enforce_nonce: true,
      allowed_mentions: { parse: [] },
    },
  });
  const message = messagePayload.parse(posted);
  await upsertMessage(
    db,
    toMessageInput({ ticketId: pending.ticketId, guildId: pending.guildId }, message),
  );
};

export const defaultActions: Record<string, OutboxAction> = { reply: replyAction };

/** What went wrong, and whether trying again may help. */
export function classify(error: unknown): {
  retry: boolean;
  detail: WorkError;
  retryAfterMs?: number;
} {
  if (error instanceof PermanentError) return { retry: false, detail: error.detail };
  if (error instanceof RateLimitError) {
    return {
      retry: true,
      detail: { message: 'rate limited', status: 429 },
      retryAfterMs: error.retryAfter,
    };
  }
  if (error instanceof DiscordAPIError) {
    const detail = { message: error.message, status: error.status, code: Number(error.code) };
    return { retry: error.status >= 500 || error.status === 429, detail };
  }
  if (error instanceof HTTPError)
    return { retry: true, detail: { message: error.message, status: error.status } };
  if (error instanceof z.ZodError)
    return { retry: false, detail: { message: 'Discord answered with an unexpected payload' } };
  // Network errors, timeouts, a database hiccup: all worth another try.
  return {
    retry: true,
    detail: { message: error instanceof Error ? error.message : String(error) },
  };
}

export interface OutboxWorkerOptions extends ActionContext {
  bus: EventBus;
  workerId: string;
  actions?: Record<string, OutboxAction>;
  /** Items worked on at once (different tickets; one ticket's run in order). */
  concurrency?: number;
  /** Safety net when a notification is missed. */
  pollMs?: number;
  leaseMs?: number;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Delivers what the dashboard asked of Discord. Woken by the outbox
 * notification, and by a slow poll in case one was missed; items are claimed
 * with SKIP LOCKED so any number of bot processes can share the work.
 */
export class OutboxWorker {
  private readonly o: Required<Omit<OutboxWorkerOptions, 'actions'>> & {
    actions: Record<string, OutboxAction>;
  };
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;
  private inFlight = new Set<number>();

  constructor(options: OutboxWorkerOptions) {
    this.o = {
      concurrency: 8,
      pollMs: 5_000,
      leaseMs: 60_000,
      maxAttempts: 8,
      baseDelayMs: 500,
      maxDelayMs: 60_000,
      actions: defaultActions,
      ...options,
    } as OutboxWorker['o'];
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.o.bus.subscribe(channels.outbox, () => this.wake());
    this.o.bus.onReconnect(() => this.wake());
    this.timer = setInterval(() => this.wake(), this.o.pollMs);
    this.timer.unref();
    this.wake();
  }

  /** Runs the claim loop now (or once more after the current pass). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.again && !this.stopped) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** Resolves when no pass is running (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    while (!this.stopped) {
      let items: OutboxItem[];
      try {
        items = await outboxQueue.claim(this.o.db, {
          workerId: this.o.workerId,
          limit: this.o.concurrency,
          leaseMs: this.o.leaseMs,
        });
      } catch (error) {
        this.o.log.error({ err: error }, 'outbox: claiming failed; will try again');
        return;
      }
      if (items.length === 0) return;
      await Promise.all(items.map((item) => this.perform(item)));
    }
  }

  private async perform(item: OutboxItem): Promise<void> {
    const lease = { id: item.id, workerId: this.o.workerId };
    this.inFlight.add(item.id);
    try {
      const action = this.o.actions[item.kind];
      if (!action) throw new PermanentError({ message: `unknown outbox action ${item.kind}` });
      await action(item, this.o);
      await outboxQueue.complete(this.o.db, lease);
    } catch (error) {
      const verdict = classify(error);
      const log = {
        outboxId: item.id,
        kind: item.kind,
        attempts: item.attempts,
        ...verdict.detail,
      };
      if (verdict.retry && item.attempts < this.o.maxAttempts) {
        const backoff = Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** (item.attempts - 1));
        const delay = Math.max(
          verdict.retryAfterMs ?? 0,
          backoff / 2 + Math.random() * (backoff / 2),
        );
        this.o.log.warn(log, 'outbox: will retry');
        await outboxQueue.retry(this.o.db, lease, delay, verdict.detail).catch(() => {});
      } else {
        this.o.log.error(log, 'outbox: failed for good');
        await outboxQueue.fail(this.o.db, lease, verdict.detail).catch(() => {});
        if (item.kind === 'reply') {
          const nonce = (item.payload as { nonce?: string }).nonce;
          if (nonce) await markReplyFailed(this.o.db, nonce, verdict.detail).catch(() => {});
        }
      }
    } finally {
      this.inFlight.delete(item.id);
    }
  }

  /** Stops claiming, lets the current items finish, and stops listening. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.idle();
    await this.unsubscribe?.();
  }
}
