import { describe, expect, it } from 'vitest';
import { createPostgresBus, publish } from '../src/bus.ts';
import { testDatabaseKind, useTestDatabase } from '../src/testing.ts';

// PGlite is one embedded connection with no server backend to kill, so there
// is nothing to reconnect; this suite needs a Postgres server.
if (testDatabaseKind !== 'postgres') {
  console.log(
    '[db] bus-reconnect: needs a Postgres server (set TEST_DATABASE_URL); not run on PGlite',
  );
}

describe.runIf(testDatabaseKind === 'postgres')(
  'event bus on Postgres after a lost connection',
  () => {
    const t = useTestDatabase();

    it('reconnects, listens again and keeps receiving after pg_terminate_backend', async () => {
      const bus = createPostgresBus(t.url as string, {
        minDelayMs: 20,
        applicationName: 'tf-test-listener',
      });
      const received: unknown[] = [];
      let reconnects = 0;
      bus.onReconnect(() => {
        reconnects += 1;
      });
      await bus.subscribe('tf_test_reconnect', (p) => received.push(p));
      const send = (n: number) =>
        t.handle.db.transaction((tx) => publish(tx, 'tf_test_reconnect', { n }));
      const until = async (check: () => boolean) => {
        const deadline = Date.now() + 15_000;
        while (!check()) {
          if (Date.now() > deadline)
            throw new Error(`timed out; received ${JSON.stringify(received)}`);
          await new Promise((r) => setTimeout(r, 25));
        }
      };
      try {
        await send(1);
        await until(() => received.length === 1);

        const killed = await t.handle.query<{ ok: boolean }>(
          `select pg_terminate_backend(pid) as ok from pg_stat_activity
         where application_name = 'tf-test-listener' and datname = current_database()`,
        );
        expect(killed).toEqual([{ ok: true }]);
        await until(() => reconnects === 1);

        await send(2);
        await until(() => received.length === 2);
        expect(received).toEqual([{ n: 1 }, { n: 2 }]);
      } finally {
        await bus.close();
      }
    });
  },
);
