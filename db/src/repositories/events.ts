import { and, asc, eq, gt, type SQL, sql } from 'drizzle-orm';
import { channels } from '../bus.ts';
import { type Executor, execute, type Transaction } from '../client.ts';
import { events, guildSequences } from '../schema.ts';

export interface EventInput {
  guildId: string;
  ticketId?: string | null;
  kind: string;
  actorId?: string | null;
  data?: Record<string, unknown>;
}

/** Appends an event in the caller's transaction and notifies listeners when it commits. */
export async function appendEvent(tx: Transaction, input: EventInput): Promise<number> {
  const { guildId, ...rest } = input;
  const [seq] = await appendEvents(tx, guildId, [rest]);
  if (seq === undefined) throw new Error('event seq allocation returned nothing');
  return seq;
}

/** A guild's events after `after`, oldest first: how a client that missed some catches up. */
export async function listEventsAfter(db: Executor, guildId: string, after: number, limit = 500) {
  return db
    .select()
    .from(events)
    .where(and(eq(events.guildId, guildId), gt(events.seq, after)))
    .orderBy(asc(events.seq))
    .limit(limit);
}

/**
 * The CTEs that append the events of a relation `event_source` (columns `i`,
 * 1 to n in order, `ticket_id`, `kind`, `actor_id`, `data`) for one guild,
 * to follow a `with event_source as (…)` in one statement: `block` takes n
 * seqs from the guild's counter row, `added` inserts the events and
 * `notified` (seq, kind, data) queues a notification for each, delivered at
 * commit in seq order. Nothing is taken or sent when the source is empty.
 *
 * The counter row stays locked until the transaction ends, so seqs are
 * gap-free (a rollback returns the numbers) and committed in increasing
 * order: a reader that has seen seq N never later finds a new event below N.
 * Every writer of the guild waits on that lock until commit, so callers
 * append their events as late in the transaction as they can.
 *
 * What the `tf_events` channel carries: guild, seq, ticket, kind and the
 * message id (ids only; the server's realtime.ts reads it with zod), so a
 * listener loads the card and message without reading the event back.
 */
export function appendEventsCtes(guildId: string): SQL {
  return sql`event_count as (
      select count(*)::bigint as n from event_source
    ), block as (
      insert into ${guildSequences} (guild_id, last_event_seq)
      select ${guildId}::bigint, n from event_count where n > 0
      on conflict (guild_id) do update
        set last_event_seq = ${guildSequences}.last_event_seq + excluded.last_event_seq
      returning last_event_seq - (select n from event_count) as base
    ), added as (
      insert into ${events} (guild_id, seq, ticket_id, kind, actor_id, data)
      select ${guildId}::bigint, block.base + s.i, s.ticket_id, s.kind, s.actor_id, s.data
      from block cross join event_source s
      returning seq, ticket_id, kind, data
    ), notified as (
      select seq, kind, data, pg_notify(${channels.events}, json_build_object(
        'guildId', ${guildId}::text, 'seq', seq, 'ticketId', ticket_id, 'kind', kind,
        'messageId', data->>'messageId', 'fromCategoryId', data->>'fromCategoryId')::text)
      from added order by seq
    )`;
}

/**
 * Appends several events of one guild in the caller's transaction, in one
 * statement (appendEventsCtes); their seqs, in order.
 */
export async function appendEvents(
  tx: Transaction,
  guildId: string,
  inputs: Omit<EventInput, 'guildId'>[],
): Promise<number[]> {
  if (inputs.length === 0) return [];
  const rows = inputs.map((input, i) => ({
    i: i + 1,
    ticket_id: input.ticketId ?? null,
    kind: input.kind,
    actor_id: input.actorId ?? null,
    data: input.data ?? {},
  }));
  const result = await execute<{ seq: string | number }>(
    tx,
    sql`
    with event_source as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as x(i int, ticket_id uuid, kind text, actor_id bigint, data jsonb)
    ), ${appendEventsCtes(guildId)}
    select seq from notified order by seq`,
  );
  const seqs = result.rows.map((r) => Number(r.seq));
  if (seqs.length !== inputs.length) throw new Error('event seq allocation returned nothing');
  return seqs;
}

/** A ticket's activity, oldest first. */
export function listTicketEvents(db: Executor, ticketId: string, limit = 500) {
  return db
    .select()
    .from(events)
    .where(eq(events.ticketId, ticketId))
    .orderBy(asc(events.seq))
    .limit(limit);
}

/** The guild's newest event seq (0 before the first). */
export async function latestSeq(db: Executor, guildId: string): Promise<number> {
  const [row] = await db
    .select({ seq: guildSequences.lastEventSeq })
    .from(guildSequences)
    .where(eq(guildSequences.guildId, guildId));
  return row?.seq ?? 0;
}
