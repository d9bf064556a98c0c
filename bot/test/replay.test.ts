import { upsertGuild } from '@ticketflow/db/repositories/guilds';
import { createTicket } from '@ticketflow/db/repositories/tickets';
import { decrypted, useTestDatabase } from '@ticketflow/db/testing';
import { mintSnowflake } from '@ticketflow/shared/snowflake';
import { describe, expect, it } from 'vitest';
import { Mirror } from '../src/mirror.ts';
import { TicketDirectory } from '../src/tickets-by-channel.ts';
import { quietLog } from './support.ts';

/** A deterministic shuffle, so a failure can be replayed. */
function shuffle<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('gateway events delivered twice and out of order', () => {
  const db = useTestDatabase();

  it('end in the same state as delivered once in order, with no duplicate rows or events', async () => {
    const guildId = mintSnowflake();
    const channelId = mintSnowflake();
    await upsertGuild(db.handle.db, { id: guildId, name: 'g', ownerId: mintSnowflake() });
    const { ticket } = await createTicket(db.handle.db, { guildId, openerId: '1', channelId });
    const author = { id: mintSnowflake(), username: 'mia', global_name: 'Mia', avatar: null };
    const base = Date.parse('2026-11-23T10:00:00Z');
    const message = (i: number, id: string, content: string, edited?: number) => ({
      id,
      channel_id: channelId,
      guild_id: guildId,
      author,
      content,
      timestamp: new Date(base + i * 1000).toISOString(),
      edited_timestamp: edited ? new Date(base + edited).toISOString() : null,
      attachments: [],
      embeds: [],
    });

    // 20 messages; every third edited twice; every fifth deleted; one bulk delete of two.
    const packets: { t: string; d: unknown }[] = [];
    const expected = new Map<string, { content: string; deleted: boolean }>();
    const ids = Array.from({ length: 20 }, (_, i) => mintSnowflake(base + i * 1000));
    ids.forEach((id, i) => {
      packets.push({ t: 'MESSAGE_CREATE', d: message(i, id, `m${i}`) });
      let content = `m${i}`;
      if (i % 3 === 0) {
        packets.push({ t: 'MESSAGE_UPDATE', d: message(i, id, `m${i} edit 1`, 60_000 + i) });
        packets.push({ t: 'MESSAGE_UPDATE', d: message(i, id, `m${i} edit 2`, 120_000 + i) });
        content = `m${i} edit 2`;
      }
      expected.set(id, { content, deleted: false });
      if (i % 5 === 0) {
        packets.push({ t: 'MESSAGE_DELETE', d: { id, channel_id: channelId, guild_id: guildId } });
        expected.set(id, { content, deleted: true });
      }
    });
    packets.push({
      t: 'MESSAGE_DELETE_BULK',
      d: { ids: [ids[1], ids[2]], channel_id: channelId, guild_id: guildId },
    });
    expected.set(ids[1] as string, { content: 'm1', deleted: true });
    expected.set(ids[2] as string, { content: 'm2', deleted: true });

    const mirror = new Mirror(db.handle.db, new TicketDirectory(db.handle.db), quietLog);
    for (const p of shuffle([...packets, ...packets], 7)) void mirror.handle(p.t, p.d);
    await mirror.idle();

    const rows = decrypted(
      await db.handle.query<{ id: string; content: string; deleted: boolean }>(
        'select id::text, content, deleted_at is not null as deleted from messages where ticket_id = $1',
        [ticket.id],
      ),
      { content: 'text' },
    );
    expect(rows).toHaveLength(20);
    for (const row of rows) {
      const want = expected.get(row.id);
      // A message deleted before its create arrived keeps no content: nothing to show for it.
      if (want?.deleted) expect(row.deleted).toBe(true);
      else expect(row).toEqual({ id: row.id, ...want });
    }
    const [{ created } = { created: -1 }] = await db.handle.query<{ created: number }>(
      `select count(*)::int as created from events where ticket_id = $1 and kind = 'message.created'`,
      [ticket.id],
    );
    const [{ deleted } = { deleted: -1 }] = await db.handle.query<{ deleted: number }>(
      `select count(*)::int as deleted from events where ticket_id = $1 and kind = 'message.deleted'`,
      [ticket.id],
    );
    expect(deleted).toBe(6);
    // One create event per message at most, and one for every message never deleted.
    const perMessage = await db.handle.query<{ id: string; n: number }>(
      `select data->>'messageId' as id, count(*)::int as n from events
       where ticket_id = $1 and kind = 'message.created' group by 1`,
      [ticket.id],
    );
    expect(perMessage.filter((r) => r.n !== 1)).toEqual([]);
    const kept = [...expected].filter(([, v]) => !v.deleted).map(([id]) => id);
    expect(perMessage.map((r) => r.id)).toEqual(expect.arrayContaining(kept));
    expect(created).toBe(perMessage.length);
  });

  it('skips a malformed packet without storing anything', async () => {
    const count = async () =>
      (await db.handle.query<{ n: number }>('select count(*)::int as n from messages'))[0]?.n;
    const before = await count();
    const mirror = new Mirror(db.handle.db, new TicketDirectory(db.handle.db), quietLog);
    await mirror.handle('MESSAGE_CREATE', { id: 'not-a-snowflake', content: 42 });
    await mirror.idle();
    expect(await count()).toBe(before);
  });
});
