import { beforeAll, describe, expect, it } from 'vitest';
import { decrypt } from '../src/crypto.ts';
import { eraseUser } from '../src/repositories/erasure.ts';
import {
  addNote,
  findReplyByNonce,
  markMessageDeleted,
  markReplyFailed,
  queueReply,
  sentBefore,
  upsertMessage,
  upsertMessages,
} from '../src/repositories/messages.ts';
import { createTicket } from '../src/repositories/tickets.ts';
import { someoneWaits, testDatabaseKind, useTestDatabase } from '../src/testing.ts';
import { seedGuild, snowflake } from './support.ts';

if (testDatabaseKind !== 'postgres') {
  console.log(
    '[db] lock order of the mirror: a lock held in a second connection, which PGlite has not (set TEST_DATABASE_URL); not run on PGlite',
  );
}

describe('message mirroring', () => {
  const t = useTestDatabase();
  let guildId: string;
  let ticketId: string;

  beforeAll(async () => {
    guildId = await seedGuild(t.handle.db);
    ticketId = (await createTicket(t.handle.db, { guildId, openerId: snowflake() })).ticket.id;
  });

  const eventsFor = async (messageId: string) =>
    (
      await t.handle.query<{ kind: string }>(
        `select kind from events where data->>'messageId' = $1 order by seq`,
        [messageId],
      )
    ).map((e) => e.kind);
  // Read without the app: content is stored encrypted.
  const rowOf = async (messageId: string) =>
    (
      await t.handle.query<{ content: string; edited_at: Date | null; deleted_at: Date | null }>(
        'select content, edited_at, deleted_at from messages where id = $1',
        [messageId],
      )
    ).map((r) => ({ ...r, content: decrypt(r.content) }));

  it('stores one row and one event when the same message arrives on 10 connections at once', async () => {
    const id = snowflake();
    const connections = await Promise.all(Array.from({ length: 10 }, () => t.connect(1)));
    const message = {
      id,
      guildId,
      ticketId,
      authorId: snowflake(),
      content: 'hello',
      createdAt: new Date(),
    };
    const results = await Promise.all(connections.map((c) => upsertMessage(c.db, message)));
    expect(results.filter((r) => r.changed)).toHaveLength(1);
    expect(await rowOf(id)).toHaveLength(1);
    expect(await eventsFor(id)).toEqual(['message.created']);
  });

  it('applies an edit, and ignores a replayed create and an older edit arriving late', async () => {
    const id = snowflake();
    const base = {
      id,
      guildId,
      ticketId,
      content: 'first',
      createdAt: new Date('2026-01-01T00:00:00Z'),
    };
    await upsertMessage(t.handle.db, base);
    const edit = await upsertMessage(t.handle.db, {
      ...base,
      content: 'second',
      editedAt: new Date('2026-01-01T00:02:00Z'),
    });
    expect(edit).toMatchObject({ changed: true, created: false });
    expect(await upsertMessage(t.handle.db, base)).toEqual({ changed: false });
    expect(
      await upsertMessage(t.handle.db, {
        ...base,
        content: 'stale',
        editedAt: new Date('2026-01-01T00:01:00Z'),
      }),
    ).toEqual({ changed: false });
    const [row] = await rowOf(id);
    expect(row?.content).toBe('second');
    expect(await eventsFor(id)).toEqual(['message.created', 'message.updated']);
  });

  it("never brings back the words of a message whose author's data was erased, on a later edit", async () => {
    const id = snowflake();
    const author = snowflake();
    const base = {
      id,
      guildId,
      ticketId,
      authorId: author,
      content: 'my secret',
      createdAt: new Date(),
    };
    await upsertMessage(t.handle.db, base);
    await eraseUser(t.handle.db, author, { guildId });
    const edit = await upsertMessage(t.handle.db, {
      ...base,
      content: 'my secret, edited',
      editedAt: new Date(Date.now() + 60_000),
    });
    expect(edit).toEqual({ changed: false });
    const [row] = await rowOf(id);
    expect(row?.content).toBe('');
  });

  it('marks a deleted message once and never brings it back', async () => {
    const id = snowflake();
    const base = { id, guildId, ticketId, content: 'to delete', createdAt: new Date() };
    await upsertMessage(t.handle.db, base);
    expect((await markMessageDeleted(t.handle.db, { id, guildId, ticketId })).changed).toBe(true);
    expect((await markMessageDeleted(t.handle.db, { id, guildId, ticketId })).changed).toBe(false);
    await upsertMessage(t.handle.db, { ...base, content: 'zombie', editedAt: new Date() });
    const [row] = await rowOf(id);
    expect(row?.deleted_at).toBeInstanceOf(Date);
    expect(row?.content).toBe('to delete');
    expect(await eventsFor(id)).toEqual(['message.created', 'message.deleted']);
  });

  it.runIf(testDatabaseKind === 'postgres')(
    "stores a message while a staff change holds its ticket, without a deadlock (the ticket's row is locked before the guild's counter, as every change does)",
    async () => {
      // A staff change (the bot's /ticket priority, a dashboard move): the ticket's row,
      // then the guild's event counter, in one transaction.
      const staff = await t.connect(1);
      await staff.query('begin');
      await staff.query("update tickets set priority = 'high' where id = $1", [ticketId]);
      // A message mirrored meanwhile waits for the ticket's row.
      const stored = upsertMessage(t.handle.db, {
        id: snowflake(),
        guildId,
        ticketId,
        authorId: snowflake(),
        content: 'while staff work on it',
        createdAt: new Date(),
      }).then(
        () => 'stored',
        (error: unknown) => error,
      );
      await someoneWaits(t.handle);
      // The change takes its event's seq and commits: neither side is a deadlock's victim.
      const seq = await staff
        .query(
          'update guild_sequences set last_event_seq = last_event_seq + 1 where guild_id = $1',
          [guildId],
        )
        .then(
          () => 'taken',
          (error: unknown) => error,
        );
      await staff.query(seq === 'taken' ? 'commit' : 'rollback');
      expect({ seq, stored: await stored }).toEqual({ seq: 'taken', stored: 'stored' });
    },
  );

  it('keeps the ticket pointing at its newest message whatever order they arrive in', async () => {
    const { ticket } = await createTicket(t.handle.db, { guildId, openerId: snowflake() });
    const older = snowflake();
    const newer = snowflake();
    const at = new Date();
    await upsertMessage(t.handle.db, {
      id: newer,
      guildId,
      ticketId: ticket.id,
      content: 'b',
      createdAt: at,
    });
    await upsertMessage(t.handle.db, {
      id: older,
      guildId,
      ticketId: ticket.id,
      content: 'a',
      createdAt: at,
    });
    const [row] = await t.handle.query<{ last: string }>(
      'select last_message_id::text as last from tickets where id = $1',
      [ticket.id],
    );
    expect(row?.last).toBe(newer);
  });
});

describe('out-of-order deletes and dashboard replies', () => {
  const t = useTestDatabase();
  let guildId: string;
  let ticketId: string;
  beforeAll(async () => {
    guildId = await seedGuild(t.handle.db);
    ticketId = (await createTicket(t.handle.db, { guildId, openerId: snowflake() })).ticket.id;
  });

  it('keeps a message deleted when its delete arrives before its create', async () => {
    const id = snowflake();
    expect((await markMessageDeleted(t.handle.db, { id, guildId, ticketId })).changed).toBe(true);
    expect(
      await upsertMessage(t.handle.db, {
        id,
        guildId,
        ticketId,
        content: 'late create',
        createdAt: new Date(),
      }),
    ).toEqual({
      changed: false,
    });
    const [row] = await t.handle.query<{ content: string; deleted: boolean }>(
      'select content, deleted_at is not null as deleted from messages where id = $1',
      [id],
    );
    expect({ ...row, content: decrypt(row?.content ?? 'missing') }).toEqual({
      content: '',
      deleted: true,
    });
  });

  it('completes a pending reply when Discord echoes its nonce, without a second row', async () => {
    const { message, outboxItem } = await queueReply(t.handle.db, {
      guildId,
      ticketId,
      channelId: snowflake(),
      authorId: snowflake(),
      authorName: 'Sam',
      content: 'We are on it',
    });
    expect(message).toMatchObject({ delivery: 'pending', source: 'dashboard', nonce: message.id });
    expect(outboxItem).toMatchObject({ kind: 'reply', ticketId, payload: { nonce: message.id } });

    const discordId = snowflake();
    const echo = {
      id: discordId,
      guildId,
      ticketId,
      content: '**Sam:** We are on it',
      createdAt: new Date(),
      nonce: message.id,
    };
    const [a, b] = await Promise.all([
      upsertMessage(t.handle.db, echo),
      upsertMessage(t.handle.db, echo),
    ]);
    expect([a.changed, b.changed].sort()).toEqual([false, true]);
    const rows = await t.handle.query<{ id: string; delivery: string }>(
      'select id::text, delivery from messages where nonce = $1',
      [message.id],
    );
    expect(rows).toEqual([{ id: discordId, delivery: 'delivered' }]);
    expect(await findReplyByNonce(t.handle.db, message.id)).toMatchObject({ id: discordId });
  });

  it('stores two sends of one reply (same key, raced) once: one outbox item, one event', async () => {
    const channelId = snowflake();
    const authorId = snowflake();
    const input = { guildId, ticketId, channelId, authorId, authorName: 'Sam', content: 'Once' };
    const sendKey = 'raced-send-key-0001';
    // Neither sees the other's row before inserting: the loser waits on the index, then answers with the first.
    const [a, b] = await Promise.all([
      queueReply(t.handle.db, { ...input, sendKey }),
      queueReply(t.handle.db, { ...input, sendKey }),
    ]);
    expect([a.repeated, b.repeated].sort()).toEqual([false, true]);
    expect(a.message.id).toBe(b.message.id);
    const outbox = await t.handle.query<{ n: number }>(
      `select count(*)::int as n from outbox where payload->>'nonce' = $1`,
      [a.message.id],
    );
    expect(outbox).toEqual([{ n: 1 }]);
    const events = await t.handle.query<{ kind: string }>(
      `select kind from events where data->>'messageId' = $1`,
      [a.message.id],
    );
    expect(events).toEqual([{ kind: 'message.created' }]);
    // Keys are an author's own in a ticket: another's same key is another message, as is a note's.
    const other = await queueReply(t.handle.db, { ...input, authorId: snowflake(), sendKey });
    expect(other.repeated).toBe(false);
    const note = await addNote(t.handle.db, { guildId, ticketId, authorId, content: 'n', sendKey });
    expect(note).toMatchObject({ repeated: true, message: { id: a.message.id } });
    expect(await sentBefore(t.handle.db, { ticketId, authorId, sendKey })).toMatchObject({
      id: a.message.id,
    });
    // Both authors erased: their messages become one 'deleted user's, whose keys must not collide.
    await eraseUser(t.handle.db, authorId, { guildId });
    await eraseUser(t.handle.db, other.message.authorId ?? '', { guildId });
    const keys = await t.handle.query<{ send_key: string | null }>(
      'select send_key from messages where id = any($1::bigint[])',
      [[a.message.id, other.message.id]],
    );
    expect(keys).toEqual([{ send_key: null }, { send_key: null }]);
  });

  it('marks a refused reply failed with its reason, once', async () => {
    const { message } = await queueReply(t.handle.db, {
      guildId,
      ticketId,
      channelId: snowflake(),
      authorId: snowflake(),
      authorName: 'Sam',
      content: 'nope',
    });
    const error = { message: 'Missing Permissions', status: 403, code: 50013 };
    expect(await markReplyFailed(t.handle.db, message.id, error)).toBe(true);
    expect(await markReplyFailed(t.handle.db, message.id, error)).toBe(false);
    const [event] = await t.handle.query<{ data: { error: { code: number } } }>(
      `select data from events where kind = 'message.failed' and data->>'messageId' = $1`,
      [message.id],
    );
    expect(event?.data.error.code).toBe(50013);
  });
});

describe('storing a batch of messages', () => {
  const t = useTestDatabase();

  it('stores a page in one go with one event each, and a replay of it changes nothing', async () => {
    const guildId = await seedGuild(t.handle.db);
    const { ticket } = await createTicket(t.handle.db, { guildId, openerId: snowflake() });
    const seen: unknown[] = [];
    await t.handle.bus.subscribe('tf_events', (p) => seen.push(p));
    const page = Array.from({ length: 50 }, (_, i) => ({
      id: snowflake(),
      guildId,
      ticketId: ticket.id,
      content: `m${i}`,
      createdAt: new Date(Date.now() + i),
    }));
    expect(await upsertMessages(t.handle.db, page)).toBe(50);
    expect(await upsertMessages(t.handle.db, page)).toBe(0);
    const edited = {
      ...(page[3] as (typeof page)[number]),
      content: 'edited',
      editedAt: new Date(),
    };
    expect(await upsertMessages(t.handle.db, [edited, page[4] as (typeof page)[number]])).toBe(1);

    const events = await t.handle.query<{ seq: string; kind: string }>(
      'select seq::text, kind from events where ticket_id = $1 order by events.seq',
      [ticket.id],
    );
    expect(events.map((e) => Number(e.seq))).toEqual(Array.from({ length: 52 }, (_, i) => i + 1));
    expect(events.filter((e) => e.kind === 'message.created')).toHaveLength(50);
    const [pointer] = await t.handle.query<{ last: string }>(
      'select last_message_id::text as last from tickets where id = $1',
      [ticket.id],
    );
    expect(pointer?.last).toBe(page[49]?.id);
    // 50 creates and 1 edit; the ticket.created event came before the subscription.
    await expect.poll(() => seen.length).toBe(51);
  });

  it('completes a pending reply echoed inside a batch, with an edit of it and other messages, once each', async () => {
    const guildId = await seedGuild(t.handle.db);
    const openerId = snowflake();
    const { ticket } = await createTicket(t.handle.db, { guildId, openerId });
    const { message: reply } = await queueReply(t.handle.db, {
      guildId,
      ticketId: ticket.id,
      channelId: snowflake(),
      authorId: snowflake(),
      authorName: 'Sam',
      content: 'On it',
    });
    const staffId = snowflake();
    const at = Date.now();
    const before = {
      id: snowflake(),
      guildId,
      ticketId: ticket.id,
      authorId: staffId,
      content: 'first',
      createdAt: new Date(at),
      nonce: snowflake(), // a Discord client's nonce: no reply of ours
    };
    const discordId = snowflake();
    const echo = {
      id: discordId,
      guildId,
      ticketId: ticket.id,
      content: '**Sam:** On it',
      createdAt: new Date(at + 1),
      nonce: reply.id,
      byBot: true,
    };
    const edit = { ...echo, nonce: null, content: '**Sam:** On it!', editedAt: new Date(at + 5) };
    const after = { ...before, id: snowflake(), content: 'second', createdAt: new Date(at + 2) };
    const batch = [before, echo, edit, after];
    // Delivered (1), the edit (1) and the two others (2).
    expect(await upsertMessages(t.handle.db, batch)).toBe(4);
    expect(await upsertMessages(t.handle.db, batch)).toBe(0);

    const rows = await t.handle.query<{ id: string; delivery: string | null; content: string }>(
      'select id::text, delivery, content from messages where ticket_id = $1 order by id',
      [ticket.id],
    );
    expect(rows.map((r) => ({ ...r, content: decrypt(r.content) }))).toEqual(
      [
        { id: before.id, delivery: null, content: 'first' },
        { id: discordId, delivery: 'delivered', content: '**Sam:** On it!' },
        { id: after.id, delivery: null, content: 'second' },
      ].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1)),
    );
    const events = await t.handle.query<{ seq: string; kind: string; id: string }>(
      `select seq::text, kind, data->>'messageId' as id from events
       where ticket_id = $1 and kind like 'message.%' order by seq`,
      [ticket.id],
    );
    expect(events.map((e) => [e.kind, e.id])).toEqual([
      ['message.created', reply.id],
      ['message.created', before.id],
      ['message.created', after.id],
      ['message.delivered', discordId],
      ['message.updated', discordId],
    ]);
    const seqs = events.map((e) => Number(e.seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const [pointer] = await t.handle.query<{ last: string }>(
      'select last_message_id::text as last from tickets where id = $1',
      [ticket.id],
    );
    expect(pointer?.last).toBe([before.id, discordId, after.id].sort().at(-1));
  });

  it("sets a ticket's first response from the earliest new message of a person other than the opener", async () => {
    const guildId = await seedGuild(t.handle.db);
    const openerId = snowflake();
    const { ticket } = await createTicket(t.handle.db, { guildId, openerId });
    const at = Date.UTC(2026, 0, 1);
    const message = (authorId: string, ms: number, extra = {}) => ({
      id: snowflake(),
      guildId,
      ticketId: ticket.id,
      authorId,
      content: 'x',
      createdAt: new Date(at + ms),
      ...extra,
    });
    const firstResponse = async () =>
      (
        await t.handle.query<{ first: Date | null }>(
          'select first_response_at as first from tickets where id = $1',
          [ticket.id],
        )
      )[0]?.first?.getTime() ?? null;
    const staff = snowflake();
    // The opener, a bot and an internal note do not respond.
    await upsertMessages(t.handle.db, [
      message(openerId, 0),
      message(snowflake(), 1, { byBot: true }),
      message(staff, 2, { internal: true }),
    ]);
    expect(await firstResponse()).toBeNull();
    await upsertMessages(t.handle.db, [
      message(staff, 30),
      message(staff, 20),
      message(openerId, 5),
    ]);
    expect(await firstResponse()).toBe(at + 20);
    // A later batch does not move it, even with an earlier timestamp.
    await upsertMessages(t.handle.db, [message(staff, 10)]);
    expect(await firstResponse()).toBe(at + 20);
  });
});
