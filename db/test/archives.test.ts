import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { useKeyring } from '../src/crypto.ts';
import {
  ARCHIVE_CHUNK_BYTES,
  ArchiveWriter,
  clearArchive,
  EXPORT_RESTARTED,
  readArchive,
} from '../src/repositories/data-requests.ts';
import { eraseUser } from '../src/repositories/erasure.ts';
import { upsertMessage } from '../src/repositories/messages.ts';
import { reencryptAll } from '../src/repositories/reencrypt.ts';
import { purgeExpired } from '../src/repositories/retention.ts';
import { createTicket } from '../src/repositories/tickets.ts';
import { testEncryptionKey } from '../src/test-key.ts';
import { useTestDatabase } from '../src/testing.ts';
import { seedGuild, snowflake } from './support.ts';

describe('export archives in Postgres', () => {
  const t = useTestDatabase();
  afterAll(() => useKeyring([testEncryptionKey]));

  /** A done export of the guild whose archive is `bytes`, stored through ArchiveWriter. */
  async function archived(
    guildId: string,
    bytes: Buffer,
    expiresAt = new Date(Date.now() + 3_600_000),
  ) {
    const [row] = await t.handle.query<{ id: string }>(
      `insert into data_requests (guild_id, requested_by, kind, status, expires_at)
       values ($1, 1, 'export', 'done', $2) returning id`,
      [guildId, expiresAt.toISOString()],
    );
    const id = row?.id as string;
    const writer = new ArchiveWriter(t.handle.db, id);
    // In uneven writes, as a zip stream makes them.
    const pieces = [];
    for (let at = 0; at < bytes.length; at += 300_001)
      pieces.push(bytes.subarray(at, at + 300_001));
    await pipeline(pieces, writer);
    await t.handle.query('update data_requests set archive_bytes = $2 where id = $1', [
      id,
      writer.bytes,
    ]);
    return id;
  }
  const read = async (id: string) => {
    const out: Buffer[] = [];
    for await (const piece of readArchive(t.handle.db, id)) out.push(piece);
    return Buffer.concat(out);
  };
  const stored = (id: string) =>
    t.handle.query<{ seq: number; key_id: string; data: Buffer }>(
      'select seq, key_id, data from export_chunks where request_id = $1 order by seq',
      [id],
    );
  const archiveBytes = async (id: string) =>
    (
      await t.handle.query<{ archive_bytes: number | null }>(
        'select archive_bytes::int from data_requests where id = $1',
        [id],
      )
    )[0]?.archive_bytes ?? null;

  it('stores an archive in sealed pieces of a MiB and reads it back whole', async () => {
    const guildId = await seedGuild(t.handle.db);
    const bytes = randomBytes(2 * ARCHIVE_CHUNK_BYTES + 12_345);
    bytes.write('PK\u0003\u0004 a zip would start like this', 0);
    const id = await archived(guildId, bytes);
    const rows = await stored(id);
    expect(rows.map((r) => r.seq)).toEqual([0, 1, 2]);
    // Each piece: a fresh IV, the ciphertext and the tag; nothing of the plaintext.
    expect(rows.map((r) => r.data.length)).toEqual([
      ARCHIVE_CHUNK_BYTES + 28,
      ARCHIVE_CHUNK_BYTES + 28,
      12_345 + 28,
    ]);
    expect(rows[0]?.data.includes(Buffer.from('a zip would start like this'))).toBe(false);
    expect(rows.every((r) => r.key_id === testEncryptionKey.id)).toBe(true);
    expect((await read(id)).equals(bytes)).toBe(true);
    await clearArchive(t.handle.db, id);
    expect(await stored(id)).toEqual([]);
  });

  it('moves archives to a new key with the rest, so the old key can go', async () => {
    const guildId = await seedGuild(t.handle.db);
    const bytes = randomBytes(ARCHIVE_CHUNK_BYTES + 1);
    const id = await archived(guildId, bytes);
    const newKey = { id: 'k9', key: randomBytes(32) };
    useKeyring([newKey, testEncryptionKey]);
    await reencryptAll(t.handle.db);
    expect((await stored(id)).map((r) => r.key_id)).toEqual(['k9', 'k9']);
    useKeyring([newKey]);
    expect((await read(id)).equals(bytes)).toBe(true);
    useKeyring([testEncryptionKey, newKey]);
    await reencryptAll(t.handle.db);
    useKeyring([testEncryptionKey]);
  });

  it('deletes an archive past its expiry, and only that one', async () => {
    const guildId = await seedGuild(t.handle.db);
    const old = await archived(guildId, randomBytes(1_000), new Date(Date.now() - 1_000));
    const fresh = await archived(guildId, randomBytes(1_000));
    expect((await purgeExpired(t.handle.db)).exports).toBe(1);
    expect(await stored(old)).toEqual([]);
    expect(await archiveBytes(old)).toBeNull();
    expect(await stored(fresh)).toHaveLength(1);
    expect(await archiveBytes(fresh)).toBe(1000);
  });

  it("withdraws the archives holding a person's data when it is erased: in the guild asked, or wherever they wrote", async () => {
    const person = snowflake();
    const [here, there, elsewhere] = [
      await seedGuild(t.handle.db),
      await seedGuild(t.handle.db),
      await seedGuild(t.handle.db),
    ];
    for (const guildId of [here, there]) {
      const { ticket } = await createTicket(t.handle.db, { guildId, openerId: snowflake() });
      await upsertMessage(t.handle.db, {
        id: snowflake(),
        guildId,
        ticketId: ticket.id,
        authorId: person,
        content: 'my address is 12 Main St',
        createdAt: new Date(),
      });
    }
    const [a, b, c] = [
      await archived(here, randomBytes(100)),
      await archived(there, randomBytes(100)),
      await archived(elsewhere, randomBytes(100)),
    ];
    // An admin of `here` erases them there: that guild's archive goes.
    expect((await eraseUser(t.handle.db, person, { guildId: here })).exports).toBe(1);
    expect([await archiveBytes(a), await archiveBytes(b)]).toEqual([null, 100]);
    expect(await stored(a)).toEqual([]);
    // Their own request: every guild they wrote in, not the others.
    expect((await eraseUser(t.handle.db, person)).exports).toBe(1);
    expect([await archiveBytes(b), await archiveBytes(c)]).toEqual([null, 100]);
    expect(await stored(c)).toHaveLength(1);
  });

  it('sends an export being built back to pending when a person is erased, saying why', async () => {
    const guildId = await seedGuild(t.handle.db);
    const [row] = await t.handle.query<{ id: string }>(
      `insert into data_requests (guild_id, requested_by, kind, status, progress)
       values ($1, 1, 'export', 'running', 40) returning id`,
      [guildId],
    );
    await eraseUser(t.handle.db, snowflake(), { guildId });
    const [after] = await t.handle.query<{ status: string; progress: number; error: string }>(
      'select status, progress, error from data_requests where id = $1',
      [row?.id],
    );
    expect(after).toEqual({ status: 'pending', progress: 0, error: EXPORT_RESTARTED });
  });
});
