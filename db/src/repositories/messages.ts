import { mintSnowflake, snowflakeTime } from '@ticketflow/shared/snowflake';
import { and, desc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { type Executor, execute, rowsByIds, type Transaction } from '../client.ts';
import { blindTerms } from '../crypto.ts';
import { messages, outbox, tickets, users, type WorkError } from '../schema.ts';
import { DELETED_USER_ID } from './erasure.ts';
import { appendEvent, appendEventsCtes } from './events.ts';
import { enqueueOutbox } from './outbox.ts';

type MessageRow = typeof messages.$inferInsert;

export interface MessageInput {
  id: string;
  guildId: string;
  ticketId: string;
  channelId?: string | null;
  authorId?: string | null;
  content: string;
  attachments?: MessageRow['attachments'];
  embeds?: MessageRow['embeds'];
  source?: MessageRow['source'];
  internal?: boolean;
  createdAt: Date;
  /** Set for an edit; an older edit never overwrites a newer one. */
  editedAt?: Date | null;
  /** The `nonce` Discord echoes back: matches a dashboard reply still pending under our own id. */
  nonce?: string | null;
  /** Posted by a bot or webhook: not a staff response. */
  byBot?: boolean;
}

export type UpsertResult = { changed: false } | { changed: true; created: boolean; seq: number };

/** The blind index of a message: its content and the text of its embeds. */
export function messageTerms(content: string, embeds: MessageRow['embeds'] = []): string[] {
  return blindTerms(
    content,
    ...(embeds ?? []).flatMap((e) => [
      e.title,
      e.description,
      ...(e.fields ?? []).flatMap((f) => [f.name, f.value]),
    ]),
  );
}

/** The row a message input becomes. */
function messageRow(input: MessageInput) {
  return {
    id: input.id,
    guildId: input.guildId,
    ticketId: input.ticketId,
    channelId: input.channelId ?? null,
    authorId: input.authorId ?? null,
    content: input.content,
    attachments: input.attachments ?? [],
    embeds: input.embeds ?? [],
    searchTerms: messageTerms(input.content, input.embeds),
    source: input.source ?? 'discord',
    internal: input.internal ?? false,
    createdAt: input.createdAt,
    editedAt: input.editedAt ?? null,
  };
}

/**
 * On a known id: take a newer edit; never touch a deleted message, nor one
 * whose author's data was erased (an edit made in Discord later must not bring
 * the words back); a replay changes nothing.
 */
const applyNewerEdit = {
  target: messages.id,
  set: {
    content: sql`excluded.content`,
    attachments: sql`excluded.attachments`,
    embeds: sql`excluded.embeds`,
    searchTerms: sql`excluded.search_terms`,
    editedAt: sql`excluded.edited_at`,
  },
  setWhere: sql`${messages.deletedAt} is null
    and ${messages.authorId} is distinct from ${DELETED_USER_ID}::bigint
    and excluded.edited_at is not null
    and (${messages.editedAt} is null or excluded.edited_at > ${messages.editedAt})`,
};

/** A person's (not a bot's) visible message: what counts as a response when it is not the opener's. */
function responds(input: MessageInput): boolean {
  return !input.byBot && !input.internal && Boolean(input.authorId);
}

/** Moves the ticket's "newest message" pointer forward (never back). */
async function touchTicket(tx: Transaction, ticketId: string, messageId: string, at: Date) {
  await tx
    .update(tickets)
    .set({
      lastMessageId: sql`case when ${tickets.lastMessageId} is null or ${tickets.lastMessageId} < ${messageId} then ${messageId}::bigint else ${tickets.lastMessageId} end`,
      lastMessageAt: sql`case when ${tickets.lastMessageId} is null or ${tickets.lastMessageId} < ${messageId} then ${at.toISOString()}::timestamptz else ${tickets.lastMessageAt} end`,
    })
    .where(eq(tickets.id, ticketId));
}

interface PendingReply {
  id: string;
  delivery: string | null;
}

/**
 * The dashboard replies of a ticket that these nonces belong to, by nonce,
 * locked until the transaction ends. Discord's clients put a nonce on every
 * message; only a reply we posted has a row here, so one query answers for a
 * whole batch.
 */
async function pendingReplies(
  tx: Transaction,
  ticketId: string,
  nonces: (string | null | undefined)[],
): Promise<Map<string, PendingReply>> {
  const wanted = [...new Set(nonces.filter((n): n is string => Boolean(n)))];
  if (wanted.length === 0) return new Map();
  const rows = await tx
    .select({ id: messages.id, delivery: messages.delivery, nonce: messages.nonce })
    .from(messages)
    .where(and(eq(messages.ticketId, ticketId), inArray(messages.nonce, wanted)))
    .for('update');
  return new Map(rows.flatMap((r) => (r.nonce ? [[r.nonce, r] as const] : [])));
}

/**
 * The gateway echo (or the REST answer) of a reply we posted: the pending row
 * takes Discord's id and becomes delivered.
 */
async function confirmByNonce(
  tx: Transaction,
  input: MessageInput & { nonce: string },
  pending: PendingReply,
): Promise<UpsertResult> {
  if (pending.id === input.id && pending.delivery === 'delivered') return { changed: false };
  await tx
    .update(messages)
    .set({
      id: input.id,
      delivery: 'delivered',
      channelId: input.channelId ?? null,
      createdAt: input.createdAt,
    })
    .where(eq(messages.nonce, input.nonce));
  await touchTicket(tx, input.ticketId, input.id, input.createdAt);
  const seq = await appendEvent(tx, {
    guildId: input.guildId,
    ticketId: input.ticketId,
    kind: 'message.delivered',
    actorId: input.authorId ?? null,
    data: { messageId: input.id, pendingId: pending.id },
  });
  return { changed: true, created: false, seq };
}

/**
 * Stores a message create or edit keyed by its snowflake. Replays and
 * out-of-date edits change nothing and append no event; a deleted message is
 * never brought back by a late create or edit; the echo of a dashboard reply
 * completes the pending row instead of adding a second one.
 */
export async function upsertMessage(db: Executor, input: MessageInput): Promise<UpsertResult> {
  const { results } = await storeMessages(db, [input]);
  return results.get(input.id) ?? { changed: false };
}

export interface DeleteTarget {
  id: string;
  guildId: string;
  ticketId: string;
  channelId?: string | null;
}

/**
 * Marks a message deleted; its row stays as a tombstone. A delete that arrives
 * before its create leaves a tombstone, so the late create cannot bring it back.
 * A repeat changes nothing.
 */
export async function markMessageDeleted(
  db: Executor,
  target: DeleteTarget,
  deletedAt: Date = new Date(),
): Promise<{ changed: false } | { changed: true; seq: number }> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(messages)
      .values({
        id: target.id,
        guildId: target.guildId,
        ticketId: target.ticketId,
        channelId: target.channelId ?? null,
        content: '',
        createdAt: snowflakeTime(target.id),
        deletedAt,
      })
      .onConflictDoUpdate({
        target: messages.id,
        set: { deletedAt },
        setWhere: isNull(messages.deletedAt),
      })
      .returning({ guildId: messages.guildId, ticketId: messages.ticketId });
    if (!row) return { changed: false };
    const seq = await appendEvent(tx, {
      guildId: row.guildId,
      ticketId: row.ticketId,
      kind: 'message.deleted',
      data: { messageId: target.id },
    });
    return { changed: true, seq };
  });
}

export interface ReplyInput {
  guildId: string;
  ticketId: string;
  channelId: string;
  authorId: string;
  /** How the reply is signed in Discord (the staff member's display name). */
  authorName: string;
  content: string;
  /** The dashboard's key for this send: a repeat of it is answered with the first (sentBefore). */
  sendKey?: string;
}

type StoredMessage = typeof messages.$inferSelect;

/** A send whose key was already used: the message the first one stored, nothing new. */
export interface RepeatedSend {
  message: StoredMessage;
  repeated: true;
}

/** The message an author's earlier send with this key stored in a ticket, if any. */
export async function sentBefore(
  db: Executor,
  key: { ticketId: string; authorId: string; sendKey: string },
): Promise<StoredMessage | undefined> {
  const [row] = await db
    .select()
    .from(messages)
    .where(
      and(
        eq(messages.ticketId, key.ticketId),
        eq(messages.authorId, key.authorId),
        eq(messages.sendKey, key.sendKey),
      ),
    );
  return row;
}

/**
 * Inserts a dashboard message, or (its key already used: two sends of one
 * message raced) nothing, answering with the first.
 */
async function insertSent(
  tx: Transaction,
  values: typeof messages.$inferInsert,
): Promise<{ message: StoredMessage } | RepeatedSend> {
  const [message] = await tx
    .insert(messages)
    .values(values)
    .onConflictDoNothing({
      target: [messages.ticketId, messages.authorId, messages.sendKey],
      where: sql`${messages.sendKey} is not null`,
    })
    .returning();
  if (message) return { message };
  const first =
    values.sendKey && values.authorId
      ? await sentBefore(tx, {
          ticketId: values.ticketId,
          authorId: values.authorId,
          sendKey: values.sendKey,
        })
      : undefined;
  if (!first) throw new Error('message insert returned nothing');
  return { message: first, repeated: true };
}

/**
 * A staff reply from the dashboard: a pending message (shown at once), the
 * outbox item that posts it, and the event, all in one transaction. The
 * message's id doubles as the Discord `nonce`, so a retried post is made once
 * and its echo completes this row. A send key already used in the ticket by
 * the author stores nothing and answers with its message.
 */
export async function queueReply(
  db: Executor,
  input: ReplyInput & { sendKey?: undefined },
): Promise<QueuedReply>;
export async function queueReply(
  db: Executor,
  input: ReplyInput,
): Promise<QueuedReply | RepeatedSend>;
export async function queueReply(
  db: Executor,
  input: ReplyInput,
): Promise<QueuedReply | RepeatedSend> {
  return db.transaction(async (tx) => {
    const id = mintSnowflake();
    const inserted = await insertSent(tx, {
      id,
      guildId: input.guildId,
      ticketId: input.ticketId,
      channelId: input.channelId,
      authorId: input.authorId,
      content: input.content,
      searchTerms: messageTerms(input.content),
      source: 'dashboard',
      nonce: id,
      sendKey: input.sendKey ?? null,
      delivery: 'pending',
      createdAt: snowflakeTime(id),
    });
    if ('repeated' in inserted) return inserted;
    const { message } = inserted;
    await tx
      .update(tickets)
      .set({ firstResponseAt: sql`coalesce(${tickets.firstResponseAt}, now())` })
      .where(and(eq(tickets.id, input.ticketId), sql`${tickets.openerId} <> ${input.authorId}`));
    const outboxItem = await enqueueOutbox(tx, {
      guildId: input.guildId,
      ticketId: input.ticketId,
      kind: 'reply',
      payload: { nonce: id, channelId: input.channelId, authorName: input.authorName },
    });
    const seq = await appendEvent(tx, {
      guildId: input.guildId,
      ticketId: input.ticketId,
      kind: 'message.created',
      actorId: input.authorId,
      data: { messageId: id, pending: true },
    });
    return { message, outboxItem, seq, repeated: false as const };
  });
}

export interface QueuedReply {
  message: StoredMessage;
  outboxItem: Awaited<ReturnType<typeof enqueueOutbox>>;
  seq: number;
  repeated: false;
}

/** The dashboard reply with this nonce, whatever its delivery (Discord may have given it its own id). */
export async function findReplyByNonce(db: Executor, nonce: string) {
  const [row] = await db.select().from(messages).where(eq(messages.nonce, nonce));
  return row;
}

/** Discord refused a reply for good: the dashboard shows it as failed, with the reason. */
export async function markReplyFailed(db: Executor, nonce: string, error: WorkError) {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(messages)
      .set({ delivery: 'failed' })
      .where(and(eq(messages.nonce, nonce), eq(messages.delivery, 'pending')))
      .returning({ id: messages.id, guildId: messages.guildId, ticketId: messages.ticketId });
    if (!row) return false;
    await appendEvent(tx, {
      guildId: row.guildId,
      ticketId: row.ticketId,
      kind: 'message.failed',
      data: { messageId: row.id, error: { ...error } },
    });
    return true;
  });
}

export interface NoteInput {
  guildId: string;
  ticketId: string;
  authorId: string;
  content: string;
  source?: 'discord' | 'dashboard';
  /** The dashboard's key for this send (as ReplyInput's). */
  sendKey?: string;
}

export interface AddedNote {
  note: StoredMessage;
  seq: number;
  repeated: false;
}

/**
 * A staff-only note on a ticket: stored and shown on the dashboard, never
 * posted in Discord. A send key already used answers with its message.
 */
export async function addNote(
  db: Executor,
  input: NoteInput & { sendKey?: undefined },
): Promise<AddedNote>;
export async function addNote(db: Executor, input: NoteInput): Promise<AddedNote | RepeatedSend>;
export async function addNote(db: Executor, input: NoteInput): Promise<AddedNote | RepeatedSend> {
  return db.transaction(async (tx) => {
    const id = mintSnowflake();
    const inserted = await insertSent(tx, {
      id,
      guildId: input.guildId,
      ticketId: input.ticketId,
      authorId: input.authorId,
      content: input.content,
      searchTerms: messageTerms(input.content),
      internal: true,
      source: input.source ?? 'discord',
      sendKey: input.sendKey ?? null,
      createdAt: snowflakeTime(id),
    });
    if ('repeated' in inserted) return inserted;
    const seq = await appendEvent(tx, {
      guildId: input.guildId,
      ticketId: input.ticketId,
      kind: 'note.created',
      actorId: input.authorId,
      data: { messageId: id },
    });
    return { note: inserted.message, seq, repeated: false as const };
  });
}

/**
 * Stores a batch of one ticket's messages (creates or edits) with the same
 * rules as upsertMessage: replays change nothing, deleted stays deleted, a
 * dashboard reply's echo completes its pending row. Returns how many changed.
 */
export async function upsertMessages(db: Executor, inputs: MessageInput[]): Promise<number> {
  return (await storeMessages(db, inputs)).changed;
}

interface StoredRow {
  id: string;
  kind: 'message.created' | 'message.updated';
  seq: number;
}

/**
 * One ticket's messages in one statement, so one round trip (the mirror's
 * path from a gateway packet to a committed row): the rows are upserted,
 * the ticket's pointers moved, a block of seqs taken and an event inserted
 * and notified for each change, atomically (a single statement is its own
 * transaction when the caller has none).
 *
 * Messages whose nonce belongs to a pending dashboard reply of the ticket
 * (and any other input with the same id) are held out of it and stored by
 * storeHeld, which completes the pending row in a transaction of its own.
 */
async function storeMessages(
  db: Executor,
  inputs: MessageInput[],
): Promise<{ changed: number; results: Map<string, UpsertResult> }> {
  const results = new Map<string, UpsertResult>();
  if (inputs.length === 0) return { changed: 0, results };
  const first = inputs[0] as MessageInput;
  if (inputs.some((m) => m.ticketId !== first.ticketId || m.guildId !== first.guildId)) {
    throw new Error('upsertMessages takes messages of one ticket');
  }
  // Values as the columns write them (content, attachments and embeds encrypted).
  const rows = inputs.map((m, ord) => {
    const row = messageRow(m);
    return {
      ord,
      id: row.id,
      channel_id: row.channelId,
      author_id: row.authorId,
      content: messages.content.mapToDriverValue(row.content),
      attachments: messages.attachments.mapToDriverValue(row.attachments),
      embeds: messages.embeds.mapToDriverValue(row.embeds),
      search_terms: row.searchTerms,
      source: row.source,
      internal: row.internal,
      created_at: row.createdAt.toISOString(),
      edited_at: row.editedAt?.toISOString() ?? null,
      nonce: m.nonce ?? null,
      responds: responds(m),
    };
  });
  const nonces = [...new Set(inputs.flatMap((m) => (m.nonce ? [m.nonce] : [])))];
  const guildId = sql`${first.guildId}::bigint`;
  const ticketId = sql`${first.ticketId}::uuid`;
  const { rows: out } = await execute<{ held: string[]; stored: StoredRow[] }>(
    db,
    sql`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(
        ord int, id bigint, channel_id bigint, author_id bigint, content text,
        attachments text, embeds text, search_terms text[], source message_source,
        internal boolean, created_at timestamptz, edited_at timestamptz, nonce text,
        responds boolean)
    ), pending as (
      -- By the nonce's unique index (as an array, so a long ticket's rows are not scanned).
      select m.nonce from ${messages} m
      where m.nonce = any(${sql.param(nonces)}::text[]) and m.ticket_id = ${ticketId}
      for update
    ), held as (
      select distinct x.id from input x join pending p on p.nonce = x.nonce
    ), plain as (
      -- One row per id: the newest edit wins inside the batch too.
      select distinct on (x.id) x.* from input x
      where x.id not in (select id from held)
      order by x.id, coalesce(x.edited_at, 'epoch'::timestamptz) desc, x.ord
    ), ins as (
      insert into ${messages} (id, guild_id, ticket_id, channel_id, author_id, content, attachments,
        embeds, search_terms, source, internal, created_at, edited_at)
      select id, ${guildId}, ${ticketId}, channel_id, author_id, content, attachments, embeds,
        search_terms, source, internal, created_at, edited_at
      from plain
      on conflict (id) do update set
        content = excluded.content, attachments = excluded.attachments, embeds = excluded.embeds,
        search_terms = excluded.search_terms, edited_at = excluded.edited_at
      where ${applyNewerEdit.setWhere}
      -- xmax is 0 only on a row this statement inserted (not one it updated).
      returning id, (xmax = 0) as inserted
    ), changed as (
      select i.id, i.inserted, p.author_id, p.created_at, p.responds
      from ins i join plain p on p.id = i.id
    ), touched as (
      -- The ticket's newest message moves forward only; its first response is
      -- the earliest new message of a person other than the opener.
      update ${tickets} t set
        last_message_id = case when t.last_message_id is null or t.last_message_id < n.id
          then n.id else t.last_message_id end,
        last_message_at = case when t.last_message_id is null or t.last_message_id < n.id
          then n.created_at else t.last_message_at end,
        first_response_at = coalesce(t.first_response_at, (
          select min(c.created_at) from changed c
          where c.inserted and c.responds and c.author_id <> t.opener_id))
      from (select id, created_at from changed where inserted order by id desc limit 1) n
      where t.id = ${ticketId}
      returning t.id
    ), event_source as (
      -- Read through the events, the ticket's update runs before the guild's counter is
      -- taken: the order every other change of a ticket takes them in (its row, then its
      -- event). Left to run last, as a CTE no one reads does, it deadlocked with a staff
      -- change made while a message was stored.
      select row_number() over (order by c.id)::int as i, ${ticketId} as ticket_id,
        case when c.inserted then 'message.created' else 'message.updated' end as kind,
        c.author_id as actor_id, jsonb_build_object('messageId', c.id::text) as data
      from changed c cross join (select count(*) from touched) ticket_first
    ), ${appendEventsCtes(first.guildId)}
    select
      coalesce((select array_agg(id::text) from held), '{}') as held,
      coalesce((select json_agg(json_build_object('id', data->>'messageId', 'kind', kind, 'seq', seq)
        order by seq) from notified), '[]') as stored`,
  );
  const [result] = out;
  if (!result) throw new Error('storing messages returned nothing');
  for (const row of result.stored) {
    results.set(row.id, {
      changed: true,
      created: row.kind === 'message.created',
      seq: Number(row.seq),
    });
  }
  let changed = result.stored.length;
  const heldIds = new Set(result.held);
  if (heldIds.size > 0) {
    const held = await storeHeld(
      db,
      inputs.filter((m) => heldIds.has(m.id)),
    );
    changed += held.changed;
    for (const [id, r] of held.results) results.set(id, r);
  }
  return { changed, results };
}

/**
 * Messages of a batch that echo a pending dashboard reply (and any other
 * input with the same id), in one transaction: the pending row takes
 * Discord's id and becomes delivered, then the rest is upserted as usual.
 */
async function storeHeld(
  db: Executor,
  inputs: MessageInput[],
): Promise<{ changed: number; results: Map<string, UpsertResult> }> {
  const first = inputs[0] as MessageInput;
  return db.transaction(async (tx) => {
    const results = new Map<string, UpsertResult>();
    let changed = 0;
    const plain: MessageInput[] = [];
    const pending = await pendingReplies(
      tx,
      first.ticketId,
      inputs.map((m) => m.nonce),
    );
    for (const input of inputs) {
      const { nonce } = input;
      const reply = nonce ? pending.get(nonce) : undefined;
      if (!nonce || !reply) {
        plain.push(input);
        continue;
      }
      const confirmed = await confirmByNonce(tx, { ...input, nonce }, reply);
      if (confirmed.changed) {
        changed += 1;
        results.set(input.id, confirmed);
      }
      // A second echo in the same batch finds the row as it now is.
      pending.set(nonce, { id: input.id, delivery: 'delivered' });
    }
    // The rest (e.g. an edit of the reply in the same batch) after the pending row took its id.
    const rest = await storeMessages(tx, plain);
    for (const [id, r] of rest.results) results.set(id, r);
    return { changed: changed + rest.changed, results };
  });
}

const author = alias(users, 'author');

/** Message fields with the author and, for a failed reply, Discord's reason. */
const messageFields = {
  id: messages.id,
  guildId: messages.guildId,
  ticketId: messages.ticketId,
  authorId: messages.authorId,
  content: messages.content,
  attachments: messages.attachments,
  embeds: messages.embeds,
  source: messages.source,
  internal: messages.internal,
  delivery: messages.delivery,
  nonce: messages.nonce,
  createdAt: messages.createdAt,
  editedAt: messages.editedAt,
  deletedAt: messages.deletedAt,
  author: {
    id: author.id,
    username: author.username,
    globalName: author.globalName,
    avatar: author.avatar,
  },
  failure: sql<string | null>`case when ${messages.delivery} = 'failed' then (
    select o.last_error->>'message' from ${outbox} o
    where o.ticket_id = ${messages.ticketId} and o.kind = 'reply' and o.payload->>'nonce' = ${messages.nonce}
    order by o.id desc limit 1) end`,
};

export type MessageView = Awaited<ReturnType<typeof getMessagesByIds>>[number];

/** Messages as shown (messageFields): the select every message read starts from. */
const messageQuery = (db: Executor) =>
  db.select(messageFields).from(messages).leftJoin(author, eq(author.id, messages.authorId));

/** A ticket's messages, newest first from `before`, at most `limit`. */
export function listTicketMessages(
  db: Executor,
  ticketId: string,
  options: { before?: string; limit: number },
) {
  return messageQuery(db)
    .where(
      and(
        eq(messages.ticketId, ticketId),
        options.before ? lt(messages.id, options.before) : undefined,
      ),
    )
    .orderBy(desc(messages.id))
    .limit(options.limit);
}

/** Every message of a ticket, oldest first, read in pages of 500 (for transcripts). */
export async function allTicketMessages(db: Executor, ticketId: string): Promise<MessageView[]> {
  const all: MessageView[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await listTicketMessages(db, ticketId, {
      limit: 500,
      ...(before ? { before } : {}),
    });
    all.push(...page);
    if (page.length < 500) return all.reverse();
    before = page.at(-1)?.id;
  }
}

const messagesByIdsQuery = (db: Executor) =>
  messageQuery(db)
    .where(sql`${messages.id} = any(${sql.placeholder('ids')}::bigint[])`)
    .prepare('messages_by_ids');
const messageByIdQuery = (db: Executor) =>
  messageQuery(db)
    .where(eq(messages.id, sql.placeholder('id')))
    .prepare('message_by_id');

/** Messages by id (any guild; callers check access). */
export function getMessagesByIds(db: Executor, ids: string[]) {
  return rowsByIds(db, ids, {
    one: ['message_by_id', messageByIdQuery],
    many: ['messages_by_ids', messagesByIdsQuery],
  });
}

/** A dashboard reply as shown, by its nonce: one read, whatever id Discord has given it meanwhile. */
export async function getReplyView(db: Executor, nonce: string): Promise<MessageView | undefined> {
  const [row] = await messageQuery(db).where(eq(messages.nonce, nonce));
  return row;
}

/** Tries a failed reply again: pending once more, a new outbox item with the same nonce. */
export async function retryReply(
  db: Executor,
  ticketId: string,
  messageId: string,
  /** The name to sign with when its author's is not known (neither its first post nor their user row). */
  fallbackName: string,
) {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(messages)
      .set({ delivery: 'pending' })
      .where(
        and(
          eq(messages.id, messageId),
          eq(messages.ticketId, ticketId),
          eq(messages.delivery, 'failed'),
        ),
      )
      .returning();
    if (!row?.channelId || !row.nonce) return undefined;
    // Signed as it was written: by its author, whoever presses Retry.
    const [first] = await tx
      .select({ authorName: sql<string | null>`${outbox.payload}->>'authorName'` })
      .from(outbox)
      .where(
        and(
          eq(outbox.ticketId, ticketId),
          eq(outbox.kind, 'reply'),
          sql`${outbox.payload}->>'nonce' = ${row.nonce}`,
        ),
      )
      .orderBy(outbox.id)
      .limit(1);
    const [author] = first?.authorName
      ? []
      : row.authorId
        ? await tx
            .select({ name: sql<string>`coalesce(${users.globalName}, ${users.username})` })
            .from(users)
            .where(eq(users.id, row.authorId))
        : [];
    await enqueueOutbox(tx, {
      guildId: row.guildId,
      ticketId,
      kind: 'reply',
      payload: {
        nonce: row.nonce,
        channelId: row.channelId,
        authorName: first?.authorName || author?.name || fallbackName,
      },
    });
    const seq = await appendEvent(tx, {
      guildId: row.guildId,
      ticketId,
      kind: 'message.retried',
      actorId: row.authorId,
      data: { messageId },
    });
    return { message: row, seq };
  });
}

/**
 * Changes a note's text, or deletes it (its text removed, a tombstone keeps
 * the timeline's order). Notes only: Discord messages change through Discord.
 */
async function changeNote(
  db: Executor,
  input: { ticketId: string; noteId: string; actorId: string },
  change: { content: string; deleted: boolean },
) {
  return db.transaction(async (tx) => {
    const [note] = await tx
      .update(messages)
      .set(
        change.deleted
          ? { content: '', searchTerms: [], deletedAt: sql`now()` }
          : {
              content: change.content,
              searchTerms: messageTerms(change.content),
              editedAt: sql`now()`,
            },
      )
      .where(
        and(
          eq(messages.id, input.noteId),
          eq(messages.ticketId, input.ticketId),
          eq(messages.internal, true),
          isNull(messages.deletedAt),
        ),
      )
      .returning();
    if (!note) return undefined;
    const seq = await appendEvent(tx, {
      guildId: note.guildId,
      ticketId: input.ticketId,
      kind: change.deleted ? 'note.deleted' : 'note.updated',
      actorId: input.actorId,
      data: { messageId: note.id },
    });
    return { note, seq };
  });
}

export const editNote = (
  db: Executor,
  input: { ticketId: string; noteId: string; content: string; actorId: string },
) => changeNote(db, input, { content: input.content, deleted: false });

export const deleteNote = (
  db: Executor,
  input: { ticketId: string; noteId: string; actorId: string },
) => changeNote(db, input, { content: '', deleted: true });
