import { describe, expect, it } from 'vitest';
import { publish } from '../src/bus.ts';
import { useTestDatabase } from '../src/testing.ts';

/** Collects what a channel delivers and lets a test await the next one. */
function inbox() {
  const received: unknown[] = [];
  const waiters: (() => void)[] = [];
  return {
    received,
    handler: (payload: unknown) => {
      received.push(payload);
      for (const w of waiters.splice(0)) w();
    },
    async waitFor(predicate: (all: unknown[]) => boolean, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (!predicate(received)) {
        if (Date.now() > deadline)
          throw new Error(`timed out; received ${JSON.stringify(received)}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
    },
  };
}

describe('event bus', () => {
  const t = useTestDatabase();

  it('delivers what a transaction published once it commits, and nothing from one that rolled back', async () => {
    const box = inbox();
    await t.handle.bus.subscribe('tf_test_commit', box.handler);
    await expect(
      t.handle.db.transaction(async (tx) => {
        await publish(tx, 'tf_test_commit', { n: 'rolled back' });
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    await t.handle.db.transaction((tx) => publish(tx, 'tf_test_commit', { n: 'committed' }));
    await box.waitFor((all) => all.length >= 1);
    // A marker sent after both proves the rolled-back one is not merely late.
    await t.handle.db.transaction((tx) => publish(tx, 'tf_test_commit', { n: 'marker' }));
    await box.waitFor((all) => all.length >= 2);
    expect(box.received).toEqual([{ n: 'committed' }, { n: 'marker' }]);
  });

  it('stops delivering to a handler that unsubscribed', async () => {
    const kept = inbox();
    const dropped = inbox();
    await t.handle.bus.subscribe('tf_test_unsub', kept.handler);
    const stop = await t.handle.bus.subscribe('tf_test_unsub', dropped.handler);
    await stop();
    await t.handle.db.transaction((tx) => publish(tx, 'tf_test_unsub', { n: 1 }));
    await kept.waitFor((all) => all.length === 1);
    expect(dropped.received).toEqual([]);
  });

  it('rejects a payload over the NOTIFY size limit', async () => {
    await expect(
      t.handle.db.transaction((tx) => publish(tx, 'tf_test_big', { blob: 'x'.repeat(9000) })),
    ).rejects.toThrow(/too large/);
  });
});
