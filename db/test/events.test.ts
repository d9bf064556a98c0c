import { describe, expect, it } from 'vitest';
import { appendEvent, listEventsAfter } from '../src/repositories/events.ts';
import { useTestDatabase } from '../src/testing.ts';
import { seedGuild } from './support.ts';

describe('appendEvent', () => {
  const t = useTestDatabase();

  it('gives 500 concurrent appends in one guild seq 1..500 with no gap or repeat, and another guild its own', async () => {
    const a = await seedGuild(t.handle.db);
    const b = await seedGuild(t.handle.db);
    const pool = await t.connect(10);
    const seqs = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        pool.db.transaction((tx) =>
          appendEvent(tx, { guildId: i % 5 === 0 ? b : a, kind: 'test', data: { i } }),
        ),
      ),
    );
    const stored = async (guildId: string) =>
      (
        await t.handle.query<{ seq: string }>(
          'select seq::text from events where guild_id = $1 order by events.seq',
          [guildId],
        )
      ).map((r) => Number(r.seq));
    expect(await stored(a)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    expect(await stored(b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(seqs.filter((s) => s > 400)).toEqual([]);
  });

  it('returns the seq to the pool when the transaction rolls back', async () => {
    const guildId = await seedGuild(t.handle.db);
    await t.handle.db.transaction((tx) => appendEvent(tx, { guildId, kind: 'kept' }));
    await expect(
      t.handle.db.transaction(async (tx) => {
        await appendEvent(tx, { guildId, kind: 'lost' });
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    const seq = await t.handle.db.transaction((tx) => appendEvent(tx, { guildId, kind: 'next' }));
    expect(seq).toBe(2);
    const kinds = (await listEventsAfter(t.handle.db, guildId, 0)).map((e) => [e.seq, e.kind]);
    expect(kinds).toEqual([
      [1, 'kept'],
      [2, 'next'],
    ]);
  });

  it('lists only the events after a seq, oldest first, up to a limit', async () => {
    const guildId = await seedGuild(t.handle.db);
    for (let i = 0; i < 5; i++) {
      await t.handle.db.transaction((tx) => appendEvent(tx, { guildId, kind: `k${i}` }));
    }
    const page = await listEventsAfter(t.handle.db, guildId, 2, 2);
    expect(page.map((e) => e.seq)).toEqual([3, 4]);
  });
});
