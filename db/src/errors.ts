/**
 * SQLSTATEs after which the same statement may well succeed if tried again:
 * the connection failed (class 08, but not 08P01, a protocol violation, which
 * the same statement would cause again), the server is shutting down or
 * starting (57P01–57P03), has no connection left (53300), or the transaction
 * lost a serialization conflict or a deadlock (40001, 40P01).
 */
const RETRYABLE_STATE = /^(08(?!P01)...|57P0[123]|53300|40001|40P01)$/;
/** Node's errors for a server that cannot be reached or went away mid-conversation. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** node-postgres' own errors for a lost or unusable connection (they carry no code). */
const CONNECTION_MESSAGE =
  /^(Connection terminated|Client has encountered a connection error|Client was closed|timeout exceeded when trying to connect|Connection closed)/;

/** An error and those it was caused by (Drizzle wraps the driver's), at most five deep. */
function* causes(error: unknown): Generator<Error & { code?: unknown }> {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    yield current;
    current = current.cause;
  }
}

/**
 * Whether an error (or one it was caused by) says the database could not be
 * reached or the statement lost a conflict, so that trying the same work
 * again later is right; an error in the statement or the data (a
 * constraint, a syntax error) is not.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  for (const e of causes(error)) {
    if (typeof e.code === 'string' && (RETRYABLE_STATE.test(e.code) || NETWORK_CODES.has(e.code)))
      return true;
    // Drizzle's wrapper repeats the query and its values in its message: only the driver's is read.
    if (!('query' in e) && CONNECTION_MESSAGE.test(e.message)) return true;
  }
  return false;
}

/** Whether Postgres aborted the work to break a deadlock or a serialization conflict (40P01, 40001). */
export function isLostConflict(error: unknown): boolean {
  for (const e of causes(error)) if (e.code === '40P01' || e.code === '40001') return true;
  return false;
}

/** Postgres' unique violation (23505), raised directly or wrapped by Drizzle as the cause. */
export function isUniqueViolation(error: unknown): boolean {
  for (const e of causes(error)) if (e.code === '23505') return true;
  return false;
}

/** What a person is told of a change that lost a deadlock on each of its tries. */
export const LOST_CONFLICT_ANSWER =
  'Another change to the same thing was being saved at the same moment, so nothing was changed. Please try again.';

/**
 * Runs a transaction again when Postgres aborted it to break a deadlock or a
 * serialization conflict (at most `tries` times in all), so that a change
 * committing at that moment is waited out instead of answered with an error.
 * Every transaction begun on a database handle runs through this (client.ts):
 * a transaction's work is database work only, which the abort undid.
 * `retried` hears of each abort that is followed by another try.
 */
export async function retryLostConflicts<T>(
  work: () => Promise<T>,
  tries = 3,
  retried: (error: unknown, attempt: number) => void = () => {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= tries || !isLostConflict(error)) throw error;
      retried(error, attempt);
    }
  }
}

/**
 * A row that a change refers to was deleted meanwhile: a category an admin
 * removed while a ticket was being opened in it, a guild erased. Nothing was
 * written; the caller tells the person what is gone.
 */
export class ReferenceGoneError extends Error {
  readonly what: 'guild' | 'category';
  constructor(what: 'guild' | 'category') {
    super(`The ${what} no longer exists`);
    this.name = 'ReferenceGoneError';
    this.what = what;
  }
}
