import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import type { ExtractTablesWithRelations, SQL } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { createPgliteBus, createPostgresBus, type EventBus } from './bus.ts';
import { retryLostConflicts } from './errors.ts';
import * as schema from './schema.ts';

export type Schema = typeof schema;
/** The Drizzle API shared by node-postgres and PGlite. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
export type Transaction = PgTransaction<
  PgQueryResultHKT,
  Schema,
  ExtractTablesWithRelations<Schema>
>;
/** Either the database or an open transaction: repositories accept both. */
export type Executor = Database | Transaction;

export type DatabaseOptions = (
  | { kind: 'postgres'; url: string; max?: number; applicationName?: string }
  /** `dataDir` unset: in memory, gone when closed. */
  | { kind: 'pglite'; dataDir?: string }
) & {
  /** Hears of each transaction Postgres aborted for a deadlock and that is run again (to log it). */
  onConflictRetried?: (error: unknown) => void;
};

interface HandleBase {
  db: Database;
  bus: EventBus;
  /** Runs one statement and returns its rows; for code that needs plain SQL (health checks, tests). */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
  /**
   * How many times a transaction was run again because Postgres aborted it
   * for a deadlock or a serialization conflict: zero where the lock order is
   * right (tests check it), and worth a look in the logs when it is not.
   */
  conflictsRetried: number;
}

export type DatabaseHandle =
  | (HandleBase & { kind: 'postgres'; pool: pg.Pool })
  | (HandleBase & { kind: 'pglite'; pglite: PGlite });

const preparedByDb = new WeakMap<object, Map<string, unknown>>();

/**
 * A Drizzle prepared query for this database, built once (its SQL is not
 * rebuilt on every call): for the queries every request runs.
 */
export function prepared<T>(db: Executor, name: string, build: (db: Executor) => T): T {
  let queries = preparedByDb.get(db);
  if (!queries) {
    queries = new Map();
    preparedByDb.set(db, queries);
  }
  let query = queries.get(name) as T | undefined;
  if (query === undefined) {
    query = build(db);
    queries.set(name, query);
  }
  return query;
}

interface ByIdQueries<Row> {
  /** For one id: `id` placeholder. Postgres plans it once for all executions. */
  one: [name: string, build: (db: Executor) => { execute(values: { id: string }): Promise<Row[]> }];
  /** For several: an `ids` array placeholder, which Postgres plans again on every execution. */
  many: [
    name: string,
    build: (db: Executor) => { execute(values: { ids: string[] }): Promise<Row[]> },
  ];
}

/**
 * Rows by id through prepared queries: a live event is usually about one row,
 * which gets its own statement (see docs/decisions.md on arrays of ids).
 */
export function rowsByIds<Row>(db: Executor, ids: string[], q: ByIdQueries<Row>): Promise<Row[]> {
  if (ids.length === 0) return Promise.resolve([]);
  if (ids.length === 1) return prepared(db, q.one[0], q.one[1]).execute({ id: ids[0] as string });
  return prepared(db, q.many[0], q.many[1]).execute({ ids });
}

/** Statement names by SQL text: each distinct text is prepared once per connection. */
const statementNames = new Map<string, string>();
/** Past this many distinct texts (e.g. IN lists of every length), new ones run unprepared. */
const MAX_PREPARED = 1_000;

function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_PREPARED && text.length < 8_192) {
    name = `tf_${createHash('sha256').update(text).digest('base64url').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * A node-postgres client that runs every parameterised statement as a named
 * (prepared) one, so Postgres parses and plans it once per connection instead
 * of on every call, as postgres.js does by default. Statements with
 * parameters are single statements by the protocol's rules, so naming them is
 * always allowed; anything without parameters (BEGIN, COMMIT, migrations) runs
 * as before.
 */
class PreparingClient extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: pg's query has many overloads; this forwards them all.
  override query(config: any, values?: any, callback?: any): any {
    if (config && typeof config === 'object' && typeof config.text === 'string' && !config.name) {
      const params = Array.isArray(values) ? values : config.values;
      const name =
        Array.isArray(params) && params.length > 0 ? statementName(config.text) : undefined;
      if (name) return super.query({ ...config, name }, values, callback);
    } else if (typeof config === 'string' && Array.isArray(values) && values.length > 0) {
      const name = statementName(config);
      if (name) return super.query({ text: config, values, name }, callback);
    }
    return super.query(config, values, callback);
  }
}

/**
 * Connections a pool keeps however long it is quiet. Each holds its prepared
 * statements, and a new one pays the connect and a first parse and plan of
 * every statement (about 15 ms for the mirror's): with node-postgres' default
 * (every idle connection closed after 10 s) the first message after a quiet
 * spell paid that, and a burst opened connections mid-run.
 */
export const WARM_CONNECTIONS = 2;
export const IDLE_MS = 5 * 60_000;

/**
 * Opens Postgres (a node-postgres Pool; SSL as the URL's `sslmode` asks) or an
 * embedded PGlite, with the same Drizzle API and an event bus on the same database.
 */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.kind === 'postgres') {
    const pool = new pg.Pool({
      Client: PreparingClient,
      connectionString: options.url,
      max: options.max ?? 10,
      min: Math.min(WARM_CONNECTIONS, options.max ?? 10),
      idleTimeoutMillis: IDLE_MS,
      application_name: options.applicationName ?? 'ticketflow',
    });
    // A pooled connection dying (server restart, pg_terminate_backend) must not kill the process;
    // the pool drops it and the next query gets a fresh one.
    pool.on('error', () => {});
    // The same while it is checked out (a transaction holds it): node-postgres then emits
    // 'error' on the client, which the pool listens for only while the client is idle,
    // and an unheard 'error' is thrown out of the process. The statement in flight fails
    // with the error all the same, and the pool drops the dead client when it comes back.
    pool.on('connect', (client) => {
      client.on('error', () => {});
    });
    const db = drizzlePg({ client: pool, schema }) as unknown as Database;
    const bus = createPostgresBus(options.url);
    return retryingTransactions(
      {
        kind: 'postgres',
        pool,
        db,
        bus,
        async query<T>(text: string, params?: unknown[]) {
          return (await pool.query(text, params)).rows as T[];
        },
        async close() {
          await bus.close();
          await pool.end();
        },
        conflictsRetried: 0,
      },
      options.onConflictRetried,
    );
  }
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  // Loaded only for the embedded database: a process on Postgres never holds it.
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle: drizzlePglite } = await import('drizzle-orm/pglite');
  const client = await PGlite.create(options.dataDir);
  const db = drizzlePglite({ client, schema }) as unknown as Database;
  const bus = createPgliteBus(client);
  return retryingTransactions(
    {
      kind: 'pglite',
      pglite: client,
      db,
      bus,
      async query<T>(text: string, params?: unknown[]) {
        return (await client.query<T>(text, params)).rows;
      },
      async close() {
        await bus.close();
        await client.close();
      },
      conflictsRetried: 0,
    },
    options.onConflictRetried,
  );
}

/**
 * Every transaction begun on the handle's database is run again when
 * Postgres aborts it to break a deadlock or a serialization conflict, up to
 * three tries: the person whose change it was sees it made, not "the
 * database is away". A transaction's work is database work, which the abort
 * undid, so running it again is safe; a savepoint inside a transaction (an
 * `Executor` that is already one) is not retried on its own, as the whole
 * transaction is. The lock orders of docs/decisions.md keep this for the
 * cases no one foresaw; `conflictsRetried` counts them.
 */
function retryingTransactions<H extends DatabaseHandle>(
  handle: H,
  heard: (error: unknown) => void = () => {},
): H {
  const begin = handle.db.transaction.bind(handle.db);
  handle.db.transaction = ((work, config) =>
    retryLostConflicts(
      () => begin(work, config),
      3,
      (error) => {
        handle.conflictsRetried++;
        heard(error);
      },
    )) as Database['transaction'];
  return handle;
}

/** Runs a raw SQL statement through Drizzle on either driver: its rows and how many rows it changed. */
export async function execute<T = Record<string, unknown>>(
  db: Executor,
  query: SQL,
): Promise<{ rows: T[]; rowCount: number }> {
  const result = (await db.execute(query)) as unknown as {
    rows: T[];
    rowCount?: number | null;
    affectedRows?: number;
  };
  return { rows: result.rows, rowCount: result.rowCount ?? result.affectedRows ?? 0 };
}
