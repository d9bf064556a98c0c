import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { ExtractTablesWithRelations, SQL } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { createPgliteBus, createPostgresBus, type EventBus } from './bus.ts';
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

export type DatabaseOptions =
  | { kind: 'postgres'; url: string; max?: number; applicationName?: string }
  /** `dataDir` unset: in memory, gone when closed. */
  | { kind: 'pglite'; dataDir?: string };

interface HandleBase {
  db: Database;
  bus: EventBus;
  /** Runs one statement and returns its rows; for code that needs plain SQL (health checks, tests). */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export type DatabaseHandle =
  | (HandleBase & { kind: 'postgres'; pool: pg.Pool })
  | (HandleBase & { kind: 'pglite'; pglite: PGlite });

/**
 * Opens Postgres (a node-postgres Pool; SSL as the URL's `sslmode` asks) or an
 * embedded PGlite, with the same Drizzle API and an event bus on the same database.
 */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.kind === 'postgres') {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.max ?? 10,
      application_name: options.applicationName ?? 'ticketflow',
    });
    // A pooled connection dying (server restart, pg_terminate_backend) must not kill the process;
    // the pool drops it and the next query gets a fresh one.
    pool.on('error', () => {});
    const db = drizzlePg({ client: pool, schema }) as unknown as Database;
    const bus = createPostgresBus(options.url);
    return {
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
    };
  }
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const client = await PGlite.create(options.dataDir);
  const db = drizzlePglite({ client, schema }) as unknown as Database;
  const bus = createPgliteBus(client);
  return {
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
  };
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
