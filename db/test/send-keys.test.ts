import { describe, expect, it } from 'vitest';
import { insertOnce } from '../src/repositories/send-keys.ts';
import { tags } from '../src/schema.ts';
import { testDatabaseKind, useTestDatabase } from '../src/testing.ts';
import { seedGuild, snowflake } from './support.ts';

if (testDatabaseKind !== 'postgres') {
  console.log(
    '[db] a create sent twice at the same moment: two connections racing, which PGlite has not (set TEST_DATABASE_URL); not run on PGlite',
  );
}

/** Enough races that the one-in-many interleaving meeting at the name happens (it did 5 times in 200 before the fix). */
const RACES = 1_000;

describe('insertOnce', () => {
  const t = useTestDatabase();

  it.runIf(testDatabaseKind === 'postgres')(
    'makes one tag of a create sent twice at the same moment, also when the two meet first at the unique name instead of the send key (1,000 races)',
    async () => {
      const guildId = await seedGuild(t.handle.db);
      const [a, b] = [await t.connect(2), await t.connect(2)];
      const refused: unknown[] = [];
      for (let i = 0; i < RACES; i++) {
        const values = {
          guildId,
          name: `tag-${i}`,
          content: 'Refunds take 5 days.',
          createdBy: snowflake(),
          sendKey: `race-${i}`,
        };
        const sent = await Promise.allSettled(
          [a, b].map((side) => side.db.transaction((tx) => insertOnce(tx, tags, values))),
        );
        for (const s of sent) if (s.status === 'rejected') refused.push(s.reason);
        const made = sent.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
        if (made.length === 2) {
          expect(made[0]?.id).toBe(made[1]?.id);
          expect(made.filter((m) => m.repeated)).toHaveLength(1);
        }
      }
      // Before: one race in forty to two hundred lost its second send to "a tag of that name exists".
      expect(refused).toEqual([]);
      const [rows] = await t.handle.query<{ n: number }>(
        'select count(*)::int as n from tags where guild_id = $1',
        [guildId],
      );
      expect(rows?.n).toBe(RACES);
    },
  );

  it('still refuses a different tag with a name that exists, under another key', async () => {
    const guildId = await seedGuild(t.handle.db);
    const base = { guildId, name: 'refund-policy', content: 'x', createdBy: snowflake() };
    await insertOnce(t.handle.db, tags, { ...base, sendKey: 'first' });
    const other = await t.handle.db
      .transaction((tx) => insertOnce(tx, tags, { ...base, sendKey: 'second' }))
      .then(
        () => 'made',
        (error: unknown) => (error as { cause?: { code?: string } }).cause?.code,
      );
    expect(other).toBe('23505');
  });
});
