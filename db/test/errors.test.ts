import { createServer } from 'node:net';
import { eventually } from '@ticketflow/shared/testing';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/client.ts';
import { isTransientDatabaseError } from '../src/errors.ts';
import {
  createDatabaseRelay,
  someoneWaits,
  testDatabaseKind,
  useTestDatabase,
} from '../src/testing.ts';

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

describe.runIf(testDatabaseKind === 'postgres')(
  'a transaction Postgres aborts for a deadlock',
  () => {
    const t = useTestDatabase();

    it('is run again, and the handle counts and reports it', async () => {
      const heard: unknown[] = [];
      const database = await openDatabase({
        kind: 'postgres',
        url: t.url as string,
        max: 2,
        onConflictRetried: (error) => heard.push(error),
      });
      const other = await t.connect(1);
      try {
        await database.query('create table pair (id int primary key, n int not null)');
        await database.query('insert into pair values (1, 0), (2, 0)');
        // The other side holds row 1 and will wait for row 2; it waits long before
        // looking for a deadlock, so the transaction under test is the one aborted.
        await other.query('begin');
        await other.query("set local deadlock_timeout = '30s'");
        await other.query('update pair set n = n + 10 where id = 1');
        let go!: () => void;
        const held = new Promise<void>((resolve) => {
          go = resolve;
        });
        let tries = 0;
        const changed = database.db
          .transaction(async (tx) => {
            tries++;
            await tx.execute(sql`set local deadlock_timeout = '50ms'`);
            await tx.execute(sql`update pair set n = n + 1 where id = 2`);
            if (tries === 1) await held;
            await tx.execute(sql`update pair set n = n + 1 where id = 1`);
            return tries;
          })
          .then(
            (value) => value,
            (error: unknown) => error,
          );
        // Both hold a row; then the other waits for row 2, and the transaction for row 1.
        await eventually(async () => tries === 1);
        await eventually(
          async () =>
            (await other.query('select 1 from pair where id = 2 for update skip locked')).length ===
            0,
        );
        const otherWaits = other.query('update pair set n = n + 10 where id = 2');
        await someoneWaits(database);
        go();
        await otherWaits;
        await other.query('commit');
        expect(await changed).toBe(2);
        expect(database.conflictsRetried).toBe(1);
        expect(heard).toHaveLength(1);
        expect(heard[0]).toMatchObject({ cause: { code: '40P01' } });
        // Both changes were made, each once.
        expect(await database.query('select id, n from pair order by id')).toEqual([
          { id: 1, n: 11 },
          { id: 2, n: 11 },
        ]);
      } finally {
        await database.close();
      }
    });
  },
);
