import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { channels, publish } from '../bus.ts';
import type { Executor, Transaction } from '../client.ts';
import { events, guildSequences } from '../schema.ts';

export interface EventInput {
  guildId: string;
  ticketId?: string | null;
  kind: string;
  actorId?: string | null;
  data?: Record<string, unknown>;
}

/** What the `tf_events` channel carries: ids only, the listener loads the rest. */
export interface EventNotification {
  guildId: string;
  seq: number;
  ticketId: string | null;
  kind: string;
}

/**
 * Takes the guild's next event seq. The counter row stays locked until the
 * transaction ends, so seqs are gap-free (a rollback returns the number) and
 * committed in increasing order: a reader that has seen seq N never later
 * finds a new event below N.
 */
export async function nextEventSeq(tx: Transaction, guildId: string): Promise<number> {
  const [row] = await tx
    .insert(guildSequences)
    .values({ guildId, lastEventSeq: 1 })
    .onConflictDoUpdate({
      target: guildSequences.guildId,
      set: { lastEventSeq: sql`${guildSequences.lastEventSeq} + 1` },
    })
    .returning({ seq: guildSequences.lastEventSeq });
  if (!row) throw new Error('event seq allocation returned nothing');
  return row.seq;
}

/** Appends an event in the caller's transaction and notifies listeners when it commits. */
export async function appendEvent(tx: Transaction, input: EventInput): Promise<number> {
  const seq = await nextEventSeq(tx, input.guildId);
  await tx.insert(events).values({
    guildId: input.guildId,
    seq,
    ticketId: input.ticketId ?? null,
    kind: input.kind,
    actorId: input.actorId ?? null,
    data: input.data ?? {},
  });
  const note: EventNotification = {
    guildId: input.guildId,
    seq,
    ticketId: input.ticketId ?? null,
    kind: input.kind,
  };
  await publish(tx, channels.events, note);
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
 * Appends several events of one guild in the caller's transaction: one seq
 * block is taken for all of them (still gap-free and in commit order) and a
 * notification is queued for each.
 */
export async function appendEvents(
  tx: Transaction,
  guildId: string,
  inputs: Omit<EventInput, 'guildId'>[],
): Promise<number[]> {
  if (inputs.length === 0) return [];
  const [row] = await tx
    .insert(guildSequences)
    .values({ guildId, lastEventSeq: inputs.length })
    .onConflictDoUpdate({
      target: guildSequences.guildId,
      set: { lastEventSeq: sql`${guildSequences.lastEventSeq} + ${inputs.length}` },
    })
    .returning({ last: guildSequences.lastEventSeq });
  if (!row) throw new Error('event seq allocation returned nothing');
  const first = row.last - inputs.length + 1;
  const seqs = inputs.map((_, i) => first + i);
  await tx.insert(events).values(
    inputs.map((input, i) => ({
      guildId,
      seq: seqs[i] as number,
      ticketId: input.ticketId ?? null,
      kind: input.kind,
      actorId: input.actorId ?? null,
      data: input.data ?? {},
    })),
  );
  const notes = inputs.map((input, i) => {
    const note: EventNotification = {
      guildId,
      seq: first + i,
      ticketId: input.ticketId ?? null,
      kind: input.kind,
    };
    return JSON.stringify(note);
  });
  await tx.execute(
    sql`select pg_notify(${channels.events}, note) from json_array_elements_text(${JSON.stringify(notes)}::json) as note`,
  );
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

/** Events by (guild, seq): what a listener loads after a notification that carried ids only. */
export async function getEvents(db: Executor, keys: { guildId: string; seq: number }[]) {
  if (keys.length === 0) return [];
  return db
    .select()
    .from(events)
    .where(
      sql`(${events.guildId}, ${events.seq}) in (${sql.join(
        keys.map((k) => sql`(${k.guildId}::bigint, ${k.seq}::bigint)`),
        sql`, `,
      )})`,
    )
    .orderBy(asc(events.guildId), asc(events.seq));
}
