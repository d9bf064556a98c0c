import { channels, type EventBus } from '@ticketflow/db/bus';
import type { Executor } from '@ticketflow/db/client';
import { QueueWorker } from '@ticketflow/db/queue-worker';
import {
  findReplyByNonce,
  markReplyFailed,
  upsertMessage,
} from '@ticketflow/db/repositories/messages';
import { outboxQueue } from '@ticketflow/db/repositories/outbox';
import type { outbox, WorkError } from '@ticketflow/db/schema';
import { formatReply } from '@ticketflow/shared/tickets';
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

/**
 * Posts a dashboard reply as the bot, signed with the staff member's name.
 * `nonce` + `enforce_nonce` make a retried post return the first message
 * instead of posting twice; the answer completes the pending row (as its
 * gateway echo would).
 */
export const replyAction: OutboxAction = async (item, { db, rest }) => {
  const payload = replyPayload.safeParse(item.payload);
  if (!payload.success) throw new PermanentError({ message: 'malformed reply payload' });
  const pending = await findReplyByNonce(db, payload.data.nonce);
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
  pollMs?: number;
  leaseMs?: number;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/** Backoff before attempt n+1: exponential, capped, with jitter; never sooner than Discord asked. */
export function retryDelay(attempts: number, base: number, max: number, atLeast = 0): number {
  const backoff = Math.min(max, base * 2 ** Math.max(0, attempts - 1));
  return Math.max(atLeast, backoff / 2 + Math.random() * (backoff / 2));
}

/**
 * Delivers what the dashboard asked of Discord: 429s wait (discord.js honours
 * `retry_after`), 5xx and network errors back off and retry up to a limit, 4xx
 * fail with Discord's code and message kept for the dashboard.
 */
export function createOutboxWorker(options: OutboxWorkerOptions) {
  const o = {
    concurrency: 8,
    pollMs: 5_000,
    leaseMs: 60_000,
    maxAttempts: 8,
    baseDelayMs: 500,
    maxDelayMs: 60_000,
    actions: defaultActions,
    ...options,
  };
  return new QueueWorker<OutboxItem>({
    name: 'outbox',
    bus: o.bus,
    channel: channels.outbox,
    log: o.log,
    concurrency: o.concurrency,
    pollMs: o.pollMs,
    claim: (limit) => outboxQueue.claim(o.db, { workerId: o.workerId, limit, leaseMs: o.leaseMs }),
    perform: async (item) => {
      const action = o.actions[item.kind];
      if (!action) throw new PermanentError({ message: `unknown outbox action ${item.kind}` });
      await action(item, o);
    },
    settle: async (item, error) => {
      const lease = { id: item.id, workerId: o.workerId };
      if (error === undefined) {
        await outboxQueue.complete(o.db, lease);
        return;
      }
      const verdict = classify(error);
      const log = {
        outboxId: item.id,
        kind: item.kind,
        attempts: item.attempts,
        ...verdict.detail,
      };
      if (verdict.retry && item.attempts < o.maxAttempts) {
        o.log.warn(log, 'outbox: will retry');
        const delay = retryDelay(item.attempts, o.baseDelayMs, o.maxDelayMs, verdict.retryAfterMs);
        await outboxQueue.retry(o.db, lease, delay, verdict.detail);
        return;
      }
      o.log.error(log, 'outbox: failed for good');
      const nonce = item.kind === 'reply' ? (item.payload as { nonce?: string }).nonce : undefined;
      // One transaction: a crash in between cannot leave the reply pending forever
      // beside an outbox item that gave up.
      await o.db.transaction(async (tx) => {
        await outboxQueue.fail(tx, lease, verdict.detail);
        if (nonce) await markReplyFailed(tx, nonce, verdict.detail);
      });
    },
  });
}
