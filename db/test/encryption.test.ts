import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  decrypt,
  EncryptionError,
  encrypt,
  keyIdOf,
  queryTerms,
  searchWords,
  useKeyring,
} from '../src/crypto.ts';
import { countByColumn, getTicketDetail } from '../src/repositories/board.ts';
import { getMessagesByIds, upsertMessage } from '../src/repositories/messages.ts';
import { reencryptAll } from '../src/repositories/reencrypt.ts';
import { createTicket, updateTicket } from '../src/repositories/tickets.ts';
import { testEncryptionKey, useTestDatabase } from '../src/testing.ts';
import { seedGuild, snowflake } from './support.ts';

const newKey = { id: 'k2', key: Buffer.alloc(32, 0x21) };

describe('encryption at rest', () => {
  const t = useTestDatabase();
  let guildId: string;
  let ticketId: string;
  const messageId = snowflake();
  const secret = 'My password is Zebra-Crossing 4471, please reset it';

  beforeAll(async () => {
    guildId = await seedGuild(t.handle.db);
    ticketId = (
      await createTicket(t.handle.db, {
        guildId,
        openerId: snowflake(),
        topic: 'Refund for order Quokka',
        answers: { order: 'Order number Wombat-19' },
      })
    ).ticket.id;
    await upsertMessage(t.handle.db, {
      id: messageId,
      guildId,
      ticketId,
      authorId: snowflake(),
      content: secret,
      attachments: [{ id: '1', filename: 'invoice-pelican.pdf', size: 10, url: 'https://x/y' }],
      embeds: [{ title: 'Answers', fields: [{ name: 'Account', value: 'flamingo@example.com' }] }],
      createdAt: new Date(),
    });
  });

  afterEach(() => useKeyring([testEncryptionKey]));

  /** Every text value of the ticket's rows, read without the app. */
  async function rawDump(): Promise<string> {
    const rows = await t.handle.query(
      `select row_to_json(m)::text as j from messages m where ticket_id = $1
       union all select row_to_json(t)::text from tickets t where id = $1
       union all select row_to_json(e)::text from events e where ticket_id = $1`,
      [ticketId],
    );
    return rows.map((r) => r.j).join('\n');
  }

  it('stores no plaintext of content, attachments, embeds, topic or answers', async () => {
    const raw = (await rawDump()).toLowerCase();
    for (const word of ['zebra', '4471', 'pelican', 'flamingo', 'quokka', 'wombat', 'password']) {
      expect(raw).not.toContain(word);
    }
    const [row] = await t.handle.query<Record<string, string>>(
      'select content, attachments, embeds from messages where id = $1',
      [messageId],
    );
    for (const v of Object.values(row ?? {})) expect(keyIdOf(v)).toBe('test');
    // Through the app it reads as written.
    const [view] = await getMessagesByIds(t.handle.db, [messageId]);
    expect(view?.content).toBe(secret);
    expect(view?.attachments[0]?.filename).toBe('invoice-pelican.pdf');
    expect(view?.embeds[0]?.fields?.[0]?.value).toBe('flamingo@example.com');
    const detail = await getTicketDetail(t.handle.db, guildId, ticketId);
    expect(detail?.topic).toBe('Refund for order Quokka');
    expect(detail?.answers).toEqual({ order: 'Order number Wombat-19' });
    expect(detail?.lastMessage?.content).toBe(secret);
  });

  it('each encryption of the same text differs (a fresh IV), and decrypts back', () => {
    const a = encrypt('same');
    const b = encrypt('same');
    expect(a).not.toBe(b);
    expect(decrypt(a)).toBe('same');
  });

  const found = async (q: string) => (await countByColumn(t.handle.db, { guildId, q })).size > 0;

  it('finds the ticket by a word of a message, an embed, the topic or an answer, whatever the case or accents', async () => {
    expect(await found('zebra')).toBe(true);
    expect(await found('ZÉBRA')).toBe(true);
    expect(await found('flamingo')).toBe(true);
    expect(await found('quokka')).toBe(true);
    expect(await found('wombat')).toBe(true);
    expect(await found('reset zebra')).toBe(true);
    expect(await found('giraffe')).toBe(false);
    expect(await found('zebra giraffe')).toBe(false);
    expect(searchWords('Héllo, WORLD! a')).toEqual(['hello', 'world']);
  });

  it('rebuilds the index when the topic changes, and keeps the new topic out of the event', async () => {
    await updateTicket(
      t.handle.db,
      ticketId,
      { topic: 'Chargeback for Narwhal' },
      { actorId: snowflake() },
    );
    expect(await found('narwhal')).toBe(true);
    expect(await found('quokka')).toBe(false);
    expect(await found('wombat')).toBe(true);
    expect((await rawDump()).toLowerCase()).not.toContain('narwhal');
  });

  it('fails loudly with a wrong key or a key it does not have, never returning garbage', async () => {
    useKeyring([{ id: 'test', key: Buffer.alloc(32, 1) }]);
    await expect(getMessagesByIds(t.handle.db, [messageId])).rejects.toThrow(
      /cannot decrypt a value with key "test": the key is wrong or the value was altered/,
    );
    useKeyring([newKey]);
    await expect(getMessagesByIds(t.handle.db, [messageId])).rejects.toThrow(
      /encrypted with key "test", which is not in the configured keys \(k2\)/,
    );
    const tampered = encrypt('x').slice(0, -2).concat('AA');
    expect(() => decrypt(tampered)).toThrow(EncryptionError);
  });

  it('rotates: a new key reads old rows, the job moves every value to it, and search keeps working throughout', async () => {
    useKeyring([newKey, testEncryptionKey]);
    expect(await found('zebra')).toBe(true);
    expect(queryTerms('zebra')[0]).toHaveLength(2);
    const progress: string[] = [];
    const rewritten = await reencryptAll(t.handle.db, {
      batch: 1,
      onProgress: (table, done) => progress.push(`${table}:${done}`),
    });
    expect(rewritten).toBeGreaterThanOrEqual(2);
    expect(progress).toContain('messages:1');
    expect(progress).toContain('tickets:1');
    const raw = await t.handle.query<{ content: string; topic: string }>(
      'select m.content, t.topic from messages m join tickets t on t.id = m.ticket_id where m.id = $1',
      [messageId],
    );
    expect(keyIdOf(raw[0]?.content ?? '')).toBe('k2');
    expect(keyIdOf(raw[0]?.topic ?? '')).toBe('k2');
    // Run again: nothing left to do.
    expect(await reencryptAll(t.handle.db)).toBe(0);
    // The old key can go now.
    useKeyring([newKey]);
    const [view] = await getMessagesByIds(t.handle.db, [messageId]);
    expect(view?.content).toBe(secret);
    expect(await found('zebra')).toBe(true);
    expect(await found('narwhal')).toBe(true);
  });

  it('encrypts a value stored before encryption existed when the job runs', async () => {
    useKeyring([testEncryptionKey, newKey]);
    const id = snowflake();
    await t.handle.query(
      `insert into messages (id, guild_id, ticket_id, content, created_at) values ($1, $2, $3, 'legacy okapi', now())`,
      [id, guildId, ticketId],
    );
    expect((await getMessagesByIds(t.handle.db, [id]))[0]?.content).toBe('legacy okapi');
    await reencryptAll(t.handle.db);
    const [raw] = await t.handle.query<{ content: string }>(
      'select content from messages where id = $1',
      [id],
    );
    expect(keyIdOf(raw?.content ?? '')).toBe('test');
    expect(await found('okapi')).toBe(true);
  });
});
