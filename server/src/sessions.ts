import { createHash, randomBytes } from 'node:crypto';
import { type Executor, prepared } from '@ticketflow/db/client';
import { decrypt } from '@ticketflow/db/crypto';
import { accessFactsFields, type GuildAccessFacts } from '@ticketflow/db/repositories/guilds';
import { guildSequences, guilds, sessions, users } from '@ticketflow/db/schema';
import { and, eq, gt, lt, sql } from 'drizzle-orm';

/** A session lives this long after its last use (sliding), and never past `MAX_AGE`. */
export const SESSION_IDLE_MS = 7 * 24 * 3600 * 1000;
/** Renewal writes at most this often, not on every request. */
const RENEW_AFTER_MS = 60 * 60 * 1000;

export const hashSessionId = (id: string) => createHash('sha256').update(id).digest('base64url');

export interface SessionUser {
  id: string;
  username: string;
  globalName: string | null;
  avatar: string | null;
}

export interface Session {
  idHash: string;
  user: SessionUser;
  accessToken: string | null;
  /** When Discord stops accepting `accessToken` (null: unknown). */
  tokenExpiresAt: Date | null;
  expiresAt: Date;
  /** Renewed by this lookup: the cookie should be renewed too. */
  renewed: boolean;
}

/** A new session for a user who just logged in: 256 random bits; only the hash is stored. */
export async function createSession(
  db: Executor,
  input: {
    userId: string;
    accessToken: string;
    refreshToken?: string | null;
    tokenExpiresAt?: Date;
  },
): Promise<{ id: string; expiresAt: Date }> {
  const id = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + SESSION_IDLE_MS);
  await db.insert(sessions).values({
    idHash: hashSessionId(id),
    userId: input.userId,
    accessToken: input.accessToken,
    refreshToken: input.refreshToken ?? null,
    tokenExpiresAt: input.tokenExpiresAt ?? null,
    expiresAt,
  });
  return { id, expiresAt };
}

const sessionFields = {
  idHash: sessions.idHash,
  // As stored (encrypted): decrypted only by a request that calls Discord as the user.
  sealedAccessToken: sql<string | null>`${sessions.accessToken}`,
  tokenExpiresAt: sessions.tokenExpiresAt,
  expiresAt: sessions.expiresAt,
  lastSeenAt: sessions.lastSeenAt,
  user: {
    id: users.id,
    username: users.username,
    globalName: users.globalName,
    avatar: users.avatar,
  },
};
const liveSession = () =>
  and(eq(sessions.idHash, sql.placeholder('idHash')), gt(sessions.expiresAt, sql`now()`));

const sessionQuery = (db: Executor) =>
  db
    .select(sessionFields)
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(liveSession())
    .prepare('find_session');

/** The session and, in the same round trip, the access facts of the guild a request is about. */
const sessionWithGuildQuery = (db: Executor) =>
  db
    .select({ ...sessionFields, ...accessFactsFields })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .leftJoin(guilds, eq(guilds.id, sql.placeholder('guildId')))
    .leftJoin(guildSequences, eq(guildSequences.guildId, guilds.id))
    .where(liveSession())
    .prepare('find_session_with_guild');

/** Renews a found session when it is used after a while. */
async function liveSessionOf(
  db: Executor,
  row: {
    idHash: string;
    sealedAccessToken: string | null;
    tokenExpiresAt: Date | null;
    expiresAt: Date;
    lastSeenAt: Date;
    user: SessionUser;
  },
): Promise<Session> {
  let expiresAt = row.expiresAt;
  const renewed = Date.now() - row.lastSeenAt.getTime() > RENEW_AFTER_MS;
  if (renewed) {
    expiresAt = new Date(Date.now() + SESSION_IDLE_MS);
    await db
      .update(sessions)
      .set({ lastSeenAt: sql`now()`, expiresAt })
      .where(eq(sessions.idHash, row.idHash));
  }
  // Most requests never call Discord as the user: decrypting the token for each of
  // them cost a fifth of the board's requests per second (docs/decisions.md).
  let accessToken: string | null | undefined;
  return {
    idHash: row.idHash,
    user: row.user,
    get accessToken() {
      accessToken ??= row.sealedAccessToken === null ? null : decrypt(row.sealedAccessToken);
      return accessToken;
    },
    set accessToken(value: string | null) {
      accessToken = value;
    },
    tokenExpiresAt: row.tokenExpiresAt,
    expiresAt,
    renewed,
  };
}

/** The live session for a cookie value, renewed when it is used after a while; undefined if none. */
export async function findSession(db: Executor, id: string): Promise<Session | undefined> {
  // Every request with a cookie runs it: prepared once.
  const [row] = await prepared(db, 'find_session', sessionQuery).execute({
    idHash: hashSessionId(id),
  });
  return row ? liveSessionOf(db, row) : undefined;
}

/**
 * Like findSession, and with it the access facts of `guildId` (undefined when
 * the bot has no such guild), read in the same query: a request about one
 * guild then needs one round trip before its own reads rather than two.
 */
export async function findSessionWithGuild(
  db: Executor,
  id: string,
  guildId: string,
): Promise<{ session: Session; facts: GuildAccessFacts | undefined } | undefined> {
  const [row] = await prepared(db, 'find_session_with_guild', sessionWithGuildQuery).execute({
    idHash: hashSessionId(id),
    guildId,
  });
  if (!row) return undefined;
  const { guild, seq, categories } = row;
  return {
    session: await liveSessionOf(db, row),
    facts: guild ? { guild, seq, categories } : undefined,
  };
}

/** A session's Discord tokens as stored now (another request may have refreshed them). */
export async function sessionTokens(db: Executor, idHash: string) {
  const [row] = await db
    .select({
      accessToken: sessions.accessToken,
      refreshToken: sessions.refreshToken,
      tokenExpiresAt: sessions.tokenExpiresAt,
    })
    .from(sessions)
    .where(eq(sessions.idHash, idHash));
  return row;
}

/** Stores the pair Discord issued on a refresh. */
export async function storeSessionTokens(
  db: Executor,
  idHash: string,
  tokens: { accessToken: string; refreshToken: string | null; tokenExpiresAt: Date | null },
): Promise<void> {
  await db.update(sessions).set(tokens).where(eq(sessions.idHash, idHash));
}

export async function deleteSession(db: Executor, id: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.idHash, hashSessionId(id)));
}

/** Removes sessions past their expiry. */
export async function deleteExpiredSessions(db: Executor): Promise<number> {
  const gone = await db
    .delete(sessions)
    .where(lt(sessions.expiresAt, sql`now()`))
    .returning({ idHash: sessions.idHash });
  return gone.length;
}
