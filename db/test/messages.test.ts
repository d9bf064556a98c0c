import { beforeAll, describe, expect, it } from 'vitest';
import { decrypt } from '../src/crypto.ts';
import { eraseUser } from '../src/repositories/erasure.ts';
import {
  findReplyByNonce,
  markMessageDeleted,
  markReplyFailed,
  queueReply,
  upsertMessage,
  upsertMessages,
} from '../src/repositories/messages.ts';
import { createTicket } from '../src/repositories/tickets.ts';
import { useTestDatabase } from '../src/testing.ts';
import { seedGuild, snowflake } from './support.ts';

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
});
