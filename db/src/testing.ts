import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { eventually } from '@ticketflow/shared/testing';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { type DatabaseHandle, openDatabase } from './client.ts';
import { decrypt, hasKeyring, useKeyring } from './crypto.ts';
import { migrateDatabase } from './migrate.ts';
import { testEncryptionKey } from './test-key.ts';

/**
 * Test databases. With TEST_DATABASE_URL every test file gets a fresh database
 * on that server; without it, a fresh in-memory PGlite.
 */
export const testServerUrl = process.env.TEST_DATABASE_URL || undefined;
export const testDatabaseKind: 'postgres' | 'pglite' = testServerUrl ? 'postgres' : 'pglite';

export function describeTestDatabase(): string {
  return testServerUrl
    ? `database tests run on Postgres (TEST_DATABASE_URL=${redactUrl(testServerUrl)}), a fresh database per test file`
    : 'TEST_DATABASE_URL is not set: database tests run on embedded PGlite, a fresh in-memory database per test file';
}

function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

export interface TestDatabase extends AsyncDisposable {
  handle: DatabaseHandle;
  /** The database's own URL (Postgres only). */
  url?: string;
  /** Another independent connection to the same database (PGlite has only one: it returns the same). */
  connect(max?: number): Promise<DatabaseHandle>;
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testServerUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Resolves once a statement in the database waits for a lock: a test holding
 * a row in one connection has let the code under test run into it.
 */
export async function someoneWaits(handle: Pick<DatabaseHandle, 'query'>): Promise<void> {
  await eventually(async () => {
    const [row] = await handle.query<{ n: number }>(
      'select count(*)::int as n from pg_locks where not granted',
    );
    return (row?.n ?? 0) > 0;
  });
}

/**
 * Until it is disposed, every update of a ticket fails as a deadlock's victim
 * does: Postgres itself raises 40P01 (from a trigger), so a change that
 * updates a ticket loses on every try.
 */
export async function ticketUpdatesDeadlock(
  handle: Pick<DatabaseHandle, 'query'>,
): Promise<AsyncDisposable> {
  await handle.query(`create function tf_test_deadlock() returns trigger language plpgsql as $$
    begin raise exception 'deadlock detected' using errcode = '40P01'; end $$`);
  await handle.query(
    'create trigger tf_test_deadlock before update on tickets for each row execute function tf_test_deadlock()',
  );
  return {
    async [Symbol.asyncDispose]() {
      await handle.query('drop trigger tf_test_deadlock on tickets');
      await handle.query('drop function tf_test_deadlock()');
    },
  };
}

/** Creates an empty database (no migrations) and returns its URL, or undefined on PGlite. */
export async function createEmptyTestDatabase(): Promise<{ url?: string; drop(): Promise<void> }> {
  if (!testServerUrl) return { drop: async () => {} };
  const name = `tf_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(testServerUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

export { testEncryptionKey };

/** Installs the test key unless the test installed its own keyring. */
export function useTestKeyring(): void {
  if (!hasKeyring()) useKeyring([testEncryptionKey]);
}

/**
 * Rows read with plain SQL, their encrypted columns decrypted: `text` columns
 * as strings, `json` ones parsed. For tests that look at the database directly.
 */
export function decrypted<T extends Record<string, unknown>>(
  rows: T[],
  columns: Partial<Record<keyof T, 'text' | 'json'>>,
): T[] {
  return rows.map((row) => {
    const out: Record<string, unknown> = { ...row };
    for (const [name, kind] of Object.entries(columns)) {
      const value = row[name];
      if (typeof value !== 'string') continue;
      out[name] = kind === 'json' ? JSON.parse(decrypt(value)) : decrypt(value);
    }
    return out as T;
  });
}

/** A fresh, migrated database for one test file (and the test key, unless one is installed). */
export async function createTestDatabase(): Promise<TestDatabase> {
  useTestKeyring();
  const empty = await createEmptyTestDatabase();
  const handle = empty.url
    ? await openDatabase({ kind: 'postgres', url: empty.url, max: 20 })
    : await openDatabase({ kind: 'pglite' });
  await migrateDatabase(handle);
  const extra: DatabaseHandle[] = [];
  return {
    handle,
    ...(empty.url ? { url: empty.url } : {}),
    async connect(max = 1) {
      if (!empty.url) return handle;
      const other = await openDatabase({ kind: 'postgres', url: empty.url, max });
      extra.push(other);
      return other;
    },
    async [Symbol.asyncDispose]() {
      for (const other of extra) await other.close();
      await handle.close();
      await empty.drop();
    },
  };
}

/**
 * For a Vitest file or describe block: a fresh database before its tests and
 * dropped after them. The returned object reads through to it once it exists.
 */
export function useTestDatabase(): Omit<TestDatabase, typeof Symbol.asyncDispose> {
  let current: TestDatabase | undefined;
  beforeAll(async () => {
    current = await createTestDatabase();
  });
  afterAll(async () => {
    await current?.[Symbol.asyncDispose]();
  });
  const get = () => {
    if (!current) throw new Error('the test database exists only inside tests and hooks');
    return current;
  };
  return {
    get handle() {
      return get().handle;
    },
    get url() {
      return get().url;
    },
    connect: (max) => get().connect(max),
  };
}

/**
 * A TCP relay to Postgres whose connections the test can cut, and whose port
 * it can close (new connections refused) and open again: the database going
 * away and coming back, as the connections of a process given `url` see it.
 */
export async function createDatabaseRelay(target: URL) {
  const sockets = new Set<Socket>();
  let down = false;
  let dropped = 0;
  let breakNext = false;
  const server: Server = createServer((client) => {
    if (down) {
      // The database is away: the connection ends before a byte of it arrives.
      dropped += 1;
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => {
      if (!breakNext) {
        upstream.write(chunk);
        return;
      }
      breakNext = false;
      client.destroy();
      upstream.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(typeof address === 'object' && address ? address.port : 0);
  return {
    url: url.toString(),
    /** Every connection dropped, and new ones dropped as they come, until `restore`. */
    cut() {
      down = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      down = false;
    },
    /** How many connections were dropped as they came while cut: each a try to reach the database. */
    dropped: () => dropped,
    /** The next thing a client sends (a statement) ends its connection instead of arriving. */
    breakOnNextSend() {
      breakNext = true;
    },
    /** Stops relaying (the test is done with it). */
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
