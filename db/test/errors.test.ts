import { createServer } from 'node:net';
import { eventually } from '@ticketflow/shared/testing';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/client.ts';
import { isTransientDatabaseError } from '../src/errors.ts';
import { createDatabaseRelay, testDatabaseKind, useTestDatabase } from '../src/testing.ts';

/** What a promise rejected with (it must reject). */
async function failure(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

/** A port on which nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

describe('transient database errors', () => {
  const t = useTestDatabase();

  it('are not errors in the statement or the data, through Drizzle as callers see them', async () => {
    const { db } = t.handle;
    expect(isTransientDatabaseError(await failure(db.execute(sql`select * from nowhere`)))).toBe(
      false,
    );
    expect(isTransientDatabaseError(await failure(db.execute(sql`select 1 / ${0}::int`)))).toBe(
      false,
    );
    // A value that reads like a lost connection, in a statement that fails on it.
    expect(
      isTransientDatabaseError(
        await failure(db.execute(sql`select ${'Connection terminated unexpectedly'}::int`)),
      ),
    ).toBe(false);
    expect(isTransientDatabaseError(undefined)).toBe(false);
    // By SQLSTATE, as the driver gives it: a protocol violation would happen again.
    const coded = (code: string) => Object.assign(new Error(code), { code });
    expect(isTransientDatabaseError(coded('08P01'))).toBe(false);
    expect(isTransientDatabaseError(coded('57014'))).toBe(false);
    for (const code of ['08006', '57P01', '57P03', '53300', '40001', '40P01'])
      expect(isTransientDatabaseError(coded(code)), code).toBe(true);
  });

  if (testDatabaseKind !== 'postgres') {
    console.log(
      '[db] transient errors of a server connection: need a Postgres server (set TEST_DATABASE_URL); not run on PGlite',
    );
  }

  it.runIf(testDatabaseKind === 'postgres')(
    'are a server nobody answers at, and a connection the server ended',
    async () => {
      const nowhere = new URL(t.url as string);
      nowhere.hostname = '127.0.0.1';
      nowhere.port = String(await closedPort());
      const unreachable = await openDatabase({ kind: 'postgres', url: nowhere.toString() });
      try {
        expect(isTransientDatabaseError(await failure(unreachable.db.execute(sql`select 1`)))).toBe(
          true,
        );
      } finally {
        await unreachable.close();
      }

      const other = await t.connect(1);
      const [{ pid } = { pid: 0 }] = await other.query<{ pid: number }>(
        'select pg_backend_pid() as pid',
      );
      // Sent now (a Drizzle query runs when awaited), and ended while it runs: ended
      // before it was sent, the pool would drop the dead connection and open another.
      const ended = failure(other.db.execute(sql`select pg_sleep(5)`));
      await eventually(async () => {
        const [row] = await t.handle.query<{ active: boolean }>(
          "select state = 'active' as active from pg_stat_activity where pid = $1",
          [pid],
        );
        return row?.active === true;
      });
      await t.handle.query('select pg_terminate_backend($1)', [pid]);
      expect(isTransientDatabaseError(await ended)).toBe(true);
    },
  );
});

describe.runIf(testDatabaseKind === 'postgres')('a transaction whose connection dies', () => {
  const t = useTestDatabase();

  /** Fails the test, instead of hanging it, when the pool has no connection to give. */
  const soon = <T>(work: Promise<T>) =>
    Promise.race([
      work,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('no connection came back to the pool')), 5_000),
      ),
    ]);

  it("gives its connection back when BEGIN fails (drizzle-orm leaked it; patched), and the dead connection's error does not escape the process", async () => {
    const relay = await createDatabaseRelay(new URL(t.url as string));
    const database = await openDatabase({ kind: 'postgres', url: relay.url, max: 1 });
    try {
      await database.db.execute(sql`select 1`);
      relay.breakOnNextSend();
      const failed = await failure(
        database.db.transaction(async (tx) => {
          await tx.execute(sql`select 1`);
        }),
      );
      expect(isTransientDatabaseError(failed)).toBe(true);
      // The pool's only connection: a leaked one would make this wait for ever.
      await soon(database.db.execute(sql`select 1`));
    } finally {
      await soon(database.close());
      await relay.close();
    }
  });

  it('throws the error that failed it, not the rollback that could not run, and frees the pool', async () => {
    const relay = await createDatabaseRelay(new URL(t.url as string));
    const database = await openDatabase({ kind: 'postgres', url: relay.url, max: 1 });
    try {
      const failed = await failure(
        database.db.transaction(async (tx) => {
          await tx.execute(sql`select 1`);
          relay.breakOnNextSend();
          await tx.execute(sql`select 2`);
        }),
      );
      expect(String((failed as Error).cause ?? failed)).toMatch(/Connection terminated/);
      expect(String(failed)).toMatch(/select 2/);
      await soon(database.db.execute(sql`select 1`));
    } finally {
      await soon(database.close());
      await relay.close();
    }
  });
});
