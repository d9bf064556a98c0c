import type { Executor } from '@ticketflow/db/client';
import { upsertUser } from '@ticketflow/db/repositories/guilds';
import { markMessageDeleted, upsertMessages } from '@ticketflow/db/repositories/messages';
import { closeTicket } from '@ticketflow/db/repositories/tickets';
import type { Logger } from 'pino';
import type { z } from 'zod';
import {
  channelDeletePayload,
  type MessagePayload,
  messageBulkDeletePayload,
  messageDeletePayload,
  messagePayload,
} from './payloads.ts';
import { PatientQueue } from './serial-queue.ts';
import type { TicketDirectory, TicketRef } from './tickets-by-channel.ts';

export const CHANNEL_DELETED_REASON = 'The ticket channel was deleted in Discord';

/**
 * Mirrors ticket-channel messages into the database from raw gateway
 * packets: creates and edits are idempotent upserts, deletes leave
 * tombstones, and a deleted ticket channel closes its ticket. Packets of one
 * channel are stored in order; a replayed or duplicated packet changes nothing.
 *
 * While the database cannot be reached, a channel's packet is tried again
 * (after a pause growing to 5 s) until it is stored, and the channel's later
 * packets wait behind it: none is lost, and none is stored before an earlier
 * one, so the ticket's newest stored message stays a safe place for a
 * catch-up to read on from.
 */
export class Mirror {
  private readonly queue: PatientQueue;
  private readonly recentUsers = new Map<string, string>();
  private readonly db: Executor;
  private readonly tickets: TicketDirectory;
  private readonly log: Logger;

  constructor(db: Executor, tickets: TicketDirectory, log: Logger) {
    this.db = db;
    this.tickets = tickets;
    this.log = log;
    this.queue = new PatientQueue(log, 'channelId');
  }

  private held: { t: string; d: unknown }[] | null = null;

  /**
   * Holds incoming packets (in arrival order) until the returned release is
   * called. Backfill uses it: each channel's catch-up is queued before any
   * live packet of that channel, so messages are stored in order.
   */
  hold(): () => void {
    this.held ??= [];
    return () => {
      const held = this.held ?? [];
      this.held = null;
      for (const packet of held) void this.handle(packet.t, packet.d);
    };
  }

  /**
   * Runs a task in a channel's queue, after what is queued there and before
   * what comes next; while the database cannot be reached it waits for it
   * (PatientQueue). Any other error rejects the returned promise.
   */
  runInChannel(channelId: string, task: () => Promise<void>): Promise<void> {
    return this.queue.run(channelId, task);
  }

  /**
   * From now on a channel whose store fails for want of the database is given
   * up on, with its later packets, instead of waiting: for a bot stopping while
   * the database is away. The ticket's newest stored message is then still
   * older than them, so the next start's catch-up reads them from Discord.
   */
  stop(): void {
    this.queue.stop();
  }

  /** Handles one dispatch; resolves when it is stored (or ignored). */
  handle(t: string | null | undefined, d: unknown): Promise<void> {
    if (this.held && t) {
      this.held.push({ t, d });
      return Promise.resolve();
    }
    switch (t) {
      case 'MESSAGE_CREATE':
        return this.parsed(t, messagePayload, d, (m) => this.coalesce(m));
      case 'MESSAGE_UPDATE':
        return this.parsed(t, messagePayload, d, (m) =>
          this.inTicket(m.channel_id, (ref) => this.storeMany(ref, [m])),
        );
      case 'MESSAGE_DELETE':
        return this.parsed(t, messageDeletePayload, d, (m) =>
          this.inTicket(m.channel_id, (ref) => this.remove(ref, m.channel_id, [m.id])),
        );
      case 'MESSAGE_DELETE_BULK':
        return this.parsed(t, messageBulkDeletePayload, d, (m) =>
          this.inTicket(m.channel_id, (ref) => this.remove(ref, m.channel_id, m.ids)),
        );
      case 'CHANNEL_DELETE':
      case 'THREAD_DELETE':
        return this.parsed(t, channelDeletePayload, d, (c) =>
          this.inTicket(c.id, (ref) => this.channelGone(ref, c.id)),
        );
      default:
        return Promise.resolve();
    }
  }

  /** Resolves when every packet handled so far is stored. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private parsed<S extends z.ZodType>(
    t: string,
    schema: S,
    d: unknown,
    then: (value: z.output<S>) => Promise<void>,
  ) {
    const result = schema.safeParse(d);
    if (!result.success) {
      this.log.warn(
        { event: t, issues: result.error.issues.slice(0, 5) },
        'ignored a malformed gateway packet',
      );
      return Promise.resolve();
    }
    return then(result.data);
  }

  private readonly pendingCreates = new Map<string, MessagePayload[]>();

  /**
   * New messages of a channel that arrive while its previous write is still
   * running are stored together in one transaction: under load one commit
   * carries many messages; when idle, each goes at once.
   */
  private coalesce(m: MessagePayload): Promise<void> {
    const waiting = this.pendingCreates.get(m.channel_id);
    if (waiting) {
      waiting.push(m);
      return Promise.resolve();
    }
    const batch = [m];
    this.pendingCreates.set(m.channel_id, batch);
    return this.inTicket(m.channel_id, async (ref) => {
      this.pendingCreates.delete(m.channel_id);
      await this.storeMany(ref, batch);
    }).finally(() => {
      if (this.pendingCreates.get(m.channel_id) === batch) this.pendingCreates.delete(m.channel_id);
    });
  }

  private inTicket(channelId: string, task: (ref: TicketRef) => Promise<void>): Promise<void> {
    return this.runInChannel(channelId, async () => {
      const ref = await this.tickets.lookup(channelId);
      if (ref) await task(ref);
    }).catch((error: unknown) => {
      this.log.error({ err: error, channelId }, 'failed to mirror a gateway event');
    });
  }

  /**
   * Stores messages of one ticket (and their authors' ids, names and avatars,
   * which the privacy policy lists), up to 100 per transaction.
   */
  async storeMany(ref: TicketRef, batch: MessagePayload[]): Promise<void> {
    for (const m of batch) {
      const author = m.author;
      const fingerprint = `${author.username}|${author.global_name ?? ''}|${author.avatar ?? ''}`;
      if (m.webhook_id || this.recentUsers.get(author.id) === fingerprint) continue;
      await upsertUser(this.db, {
        id: author.id,
        username: author.username,
        globalName: author.global_name ?? null,
        avatar: author.avatar ?? null,
      });
      if (this.recentUsers.size > 50_000) this.recentUsers.clear();
      this.recentUsers.set(author.id, fingerprint);
    }
    for (let i = 0; i < batch.length; i += 100) {
      await upsertMessages(
        this.db,
        batch.slice(i, i + 100).map((m) => toMessageInput(ref, m)),
      );
    }
  }

  private async remove(ref: TicketRef, channelId: string, ids: string[]) {
    for (const id of ids) await markMessageDeleted(this.db, { id, channelId, ...ref });
  }

  private async channelGone(ref: TicketRef, channelId: string) {
    await closeTicket(this.db, { ticketId: ref.ticketId, reason: CHANNEL_DELETED_REASON });
    this.tickets.forget(channelId);
  }
}

/** A Discord message payload as the repository's input. */
export function toMessageInput(ref: TicketRef, m: MessagePayload) {
  return {
    id: m.id,
    guildId: ref.guildId,
    ticketId: ref.ticketId,
    channelId: m.channel_id,
    authorId: m.webhook_id ?? m.author.id,
    content: m.content,
    attachments: m.attachments.map((a) => ({
      id: a.id,
      filename: a.filename,
      size: a.size,
      url: a.url,
      ...(a.content_type ? { contentType: a.content_type } : {}),
    })),
    embeds: m.embeds.map((e) => ({
      ...(e.title ? { title: e.title } : {}),
      ...(e.description ? { description: e.description } : {}),
      ...(e.url ? { url: e.url } : {}),
      ...(e.fields?.length
        ? { fields: e.fields.map((f) => ({ name: f.name, value: f.value })) }
        : {}),
    })),
    createdAt: new Date(m.timestamp),
    editedAt: m.edited_timestamp ? new Date(m.edited_timestamp) : null,
    nonce: m.nonce === undefined || m.nonce === null ? null : String(m.nonce),
    byBot: m.author.bot === true || Boolean(m.webhook_id),
  };
}
