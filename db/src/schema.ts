import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { decrypt, encrypt } from './crypto.ts';

/**
 * A Discord snowflake: stored as Postgres `bigint` so that ordering and range
 * queries (`id > $after`) are numeric, handled in JS as a decimal string like
 * discord.js does (a JS number cannot hold 64 bits).
 */
export const snowflake = customType<{ data: string; driverData: string | bigint }>({
  dataType: () => 'bigint',
  toDriver: (value) => value,
  fromDriver: (value) => String(value),
});

/** A fractional-indexing key; compared byte-wise (collation "C") so the database orders like the keys do. */
export const positionKey = customType<{ data: string }>({
  dataType: () => 'text COLLATE "C"',
});

/**
 * Text encrypted at rest (AES-256-GCM, see crypto.ts): written and read
 * through Drizzle, it is plaintext in the app and ciphertext in the database.
 * SQL cannot compare or search it; the blind index (`search_terms`) is for that.
 */
export const encryptedText = customType<{ data: string; driverData: string }>({
  dataType: () => 'text',
  toDriver: (value) => encrypt(value),
  fromDriver: (value) => decrypt(value),
});

/** A JSON value encrypted at rest, like encryptedText. */
export const encryptedJson = <T>(name: string) =>
  customType<{ data: T; driverData: string }>({
    dataType: () => 'text',
    toDriver: (value) => encrypt(JSON.stringify(value)),
    fromDriver: (value) => JSON.parse(decrypt(value)) as T,
  })(name);

/** Binary data (Postgres `bytea`) as a Buffer. */
export const bytea = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => 'bytea',
});

/** HMACs of the words of encrypted text (crypto.ts blindTerms), for search without plaintext. */
const searchTerms = () => text('search_terms').array().notNull().default(sql`'{}'::text[]`);

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const guildRef = () =>
  snowflake('guild_id')
    .notNull()
    .references(() => guilds.id, { onDelete: 'cascade' });

/**
 * The dashboard's key for the request that created a settings row (a
 * category, column, tag or panel): the same create sent again, its first
 * answer lost, finds the row instead of making a second one (and posting a
 * second panel).
 */
const createKey = () => text('send_key');
/** Unique per guild; partial, so rows made without a key do not maintain it. */
const createKeyIndex = (name: string, t: { guildId: AnyPgColumn; sendKey: AnyPgColumn }) =>
  uniqueIndex(name).on(t.guildId, t.sendKey).where(sql`${t.sendKey} is not null`);

export const ticketStatus = pgEnum('ticket_status', ['open', 'closed']);
export const ticketPriority = pgEnum('ticket_priority', ['low', 'normal', 'high', 'urgent']);
export const columnLifecycle = pgEnum('column_lifecycle', ['open', 'closed']);
export const messageSource = pgEnum('message_source', ['discord', 'dashboard']);
export const deliveryState = pgEnum('delivery_state', ['pending', 'delivered', 'failed']);
export const workState = pgEnum('work_state', [
  'pending',
  'running',
  'done',
  'failed',
  'cancelled',
]);
export const panelStyle = pgEnum('panel_style', ['buttons', 'select']);
export const dataRequestKind = pgEnum('data_request_kind', ['export', 'erase_guild', 'erase_user']);

export interface GuildSettings {
  adminRoleIds?: string[];
  transcriptDm?: boolean;
  closeDelaySeconds?: number;
  /** Hours the opener has to answer a close request. */
  closeRequestHours?: number;
  closedTicketRetentionDays?: number | null;
}

export interface CategoryQuestion {
  id: string;
  label: string;
  style: 'short' | 'paragraph';
  required: boolean;
  placeholder?: string;
  maxLength?: number;
}

export const guilds = pgTable('guilds', {
  id: snowflake('id').primaryKey(),
  name: text('name').notNull(),
  icon: text('icon'),
  ownerId: snowflake('owner_id').notNull(),
  joinedAt: timestamp('joined_at', { withTimezone: true }).notNull().defaultNow(),
  leftAt: timestamp('left_at', { withTimezone: true }),
  settings: jsonb('settings').$type<GuildSettings>().notNull().default({}),
});

/**
 * Per-guild counters. Allocating takes the row lock until commit, so numbers
 * and event seqs are gap-free and increase in commit order (see docs/decisions.md).
 */
export const guildSequences = pgTable('guild_sequences', {
  guildId: guildRef().primaryKey(),
  lastEventSeq: bigint('last_event_seq', { mode: 'number' }).notNull().default(0),
  lastTicketNumber: integer('last_ticket_number').notNull().default(0),
});

export const users = pgTable('users', {
  id: snowflake('id').primaryKey(),
  username: text('username').notNull(),
  globalName: text('global_name'),
  avatar: text('avatar'),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export const categories = pgTable(
  'categories',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    guildId: guildRef(),
    name: text('name').notNull(),
    emoji: text('emoji'),
    description: text('description'),
    color: text('color'),
    position: positionKey('position').notNull(),
    discordCategoryId: snowflake('discord_category_id'),
    staffRoleIds: text('staff_role_ids').array().notNull().default(sql`'{}'::text[]`),
    blockedRoleIds: text('blocked_role_ids').array().notNull().default(sql`'{}'::text[]`),
    questions: jsonb('questions').$type<CategoryQuestion[]>().notNull().default([]),
    openTicketLimit: integer('open_ticket_limit').notNull().default(1),
    cooldownSeconds: integer('cooldown_seconds').notNull().default(0),
    channelNamePattern: text('channel_name_pattern').notNull().default('ticket-{number}'),
    threadMode: boolean('thread_mode').notNull().default(false),
    autoCloseHours: integer('auto_close_hours'),
    sendKey: createKey(),
    createdAt: createdAt(),
  },
  (t) => [
    index('categories_guild_idx').on(t.guildId, t.position),
    createKeyIndex('categories_send_key_uq', t),
  ],
);

export const boardColumns = pgTable(
  'board_columns',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    guildId: guildRef(),
    name: text('name').notNull(),
    position: positionKey('position').notNull(),
    lifecycle: columnLifecycle('lifecycle').notNull().default('open'),
    sendKey: createKey(),
    createdAt: createdAt(),
  },
  (t) => [
    index('board_columns_guild_idx').on(t.guildId, t.position),
    createKeyIndex('board_columns_send_key_uq', t),
  ],
);

export const tickets = pgTable(
  'tickets',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    guildId: guildRef(),
    number: integer('number').notNull(),
    categoryId: uuid('category_id').references(() => categories.id, { onDelete: 'set null' }),
    channelId: snowflake('channel_id'),
    openerId: snowflake('opener_id').notNull(),
    assigneeId: snowflake('assignee_id'),
    status: ticketStatus('status').notNull().default('open'),
    columnId: uuid('column_id').references(() => boardColumns.id, { onDelete: 'set null' }),
    position: positionKey('position').notNull(),
    priority: ticketPriority('priority').notNull().default('normal'),
    labels: text('labels').array().notNull().default(sql`'{}'::text[]`),
    topic: encryptedText('topic'),
    answers: encryptedJson<Record<string, string>>('answers').notNull().default(sql`'{}'`),
    /** Blind index of the topic and answers. */
    searchTerms: searchTerms(),
    lastMessageId: snowflake('last_message_id'),
    lastMessageAt: timestamp('last_message_at', { withTimezone: true }),
    firstResponseAt: timestamp('first_response_at', { withTimezone: true }),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    closedBy: snowflake('closed_by'),
    closeReason: text('close_reason'),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('tickets_guild_number_uq').on(t.guildId, t.number),
    uniqueIndex('tickets_channel_uq').on(t.channelId),
    // The board: one guild's cards, column by column, in order.
    index('tickets_board_idx').on(t.guildId, t.columnId, t.position),
    index('tickets_guild_status_idx').on(t.guildId, t.status),
    index('tickets_opener_idx').on(t.guildId, t.openerId, t.status),
    index('tickets_search_idx').using('gin', t.searchTerms),
  ],
);

export const messages = pgTable(
  'messages',
  {
    /** Discord's snowflake; for dashboard posts not yet echoed and for notes, one we mint. */
    id: snowflake('id').primaryKey(),
    guildId: guildRef(),
    ticketId: uuid('ticket_id')
      .notNull()
      .references(() => tickets.id, { onDelete: 'cascade' }),
    channelId: snowflake('channel_id'),
    authorId: snowflake('author_id'),
    content: encryptedText('content').notNull().default(sql`''`),
    attachments: encryptedJson<
      { id: string; filename: string; size: number; url: string; contentType?: string }[]
    >('attachments')
      .notNull()
      .default(sql`'[]'`),
    embeds: encryptedJson<
      {
        title?: string;
        description?: string;
        url?: string;
        fields?: { name: string; value: string }[];
      }[]
    >('embeds')
      .notNull()
      .default(sql`'[]'`),
    /** Blind index of the content and embeds. */
    searchTerms: searchTerms(),
    source: messageSource('source').notNull().default('discord'),
    internal: boolean('internal').notNull().default(false),
    /** Discord `nonce` of a dashboard reply, to match the gateway echo to the pending row. */
    nonce: text('nonce'),
    /**
     * The key the dashboard sent a reply or note with: the same key sent again
     * (a send whose answer was lost, tried again) is the same message.
     */
    sendKey: text('send_key'),
    delivery: deliveryState('delivery'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    editedAt: timestamp('edited_at', { withTimezone: true }),
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
  },
  (t) => [
    index('messages_ticket_idx').on(t.ticketId, t.id),
    uniqueIndex('messages_nonce_uq').on(t.nonce),
    // Partial: the mirror's inserts (no key) do not maintain it.
    uniqueIndex('messages_send_key_uq')
      .on(t.ticketId, t.authorId, t.sendKey)
      .where(sql`${t.sendKey} is not null`),
    // A guild's messages in id order: exports page through them; erasure finds them.
    index('messages_guild_idx').on(t.guildId, t.id),
    index('messages_search_idx').using('gin', t.searchTerms),
  ],
);

export const events = pgTable(
  'events',
  {
    guildId: guildRef(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    ticketId: uuid('ticket_id'),
    kind: text('kind').notNull(),
    actorId: snowflake('actor_id'),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: 'events_pk', columns: [t.guildId, t.seq] }),
    // A ticket's activity timeline, and "when was it last warned" for auto-close.
    index('events_ticket_idx').on(t.ticketId, t.kind),
  ],
);

export interface WorkError {
  message: string;
  status?: number;
  code?: number;
}

export const outbox = pgTable(
  'outbox',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    guildId: guildRef(),
    ticketId: uuid('ticket_id').references(() => tickets.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    status: workState('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    runAt: timestamp('run_at', { withTimezone: true }).notNull().defaultNow(),
    lockedBy: text('locked_by'),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    lastError: jsonb('last_error').$type<WorkError>(),
    createdAt: createdAt(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [
    index('outbox_due_idx').on(t.runAt, t.id).where(sql`${t.status} = 'pending'`),
    index('outbox_lease_idx').on(t.lockedUntil).where(sql`${t.status} = 'running'`),
    index('outbox_ticket_idx').on(t.ticketId, t.id),
  ],
);

export const jobs = pgTable(
  'jobs',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    guildId: snowflake('guild_id').references(() => guilds.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    /** At most one pending or running job per key (e.g. `purge-guild:<id>`). */
    key: text('key'),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    status: workState('status').notNull().default('pending'),
    runAt: timestamp('run_at', { withTimezone: true }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    lockedBy: text('locked_by'),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    lastError: jsonb('last_error').$type<WorkError>(),
    createdAt: createdAt(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('jobs_active_key_uq').on(t.key).where(sql`${t.status} in ('pending', 'running')`),
    index('jobs_due_idx').on(t.runAt, t.id).where(sql`${t.status} = 'pending'`),
    index('jobs_lease_idx').on(t.lockedUntil).where(sql`${t.status} = 'running'`),
    index('jobs_guild_idx').on(t.guildId),
  ],
);

export const tags = pgTable(
  'tags',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    guildId: guildRef(),
    name: text('name').notNull(),
    content: text('content').notNull(),
    createdBy: snowflake('created_by'),
    sendKey: createKey(),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('tags_guild_name_uq').on(t.guildId, t.name),
    createKeyIndex('tags_send_key_uq', t),
  ],
);

export const panels = pgTable(
  'panels',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    guildId: guildRef(),
    channelId: snowflake('channel_id').notNull(),
    messageId: snowflake('message_id'),
    title: text('title').notNull(),
    description: text('description'),
    style: panelStyle('style').notNull().default('buttons'),
    categoryIds: uuid('category_ids').array().notNull().default(sql`'{}'::uuid[]`),
    sendKey: createKey(),
    createdAt: createdAt(),
  },
  (t) => [index('panels_guild_idx').on(t.guildId), createKeyIndex('panels_send_key_uq', t)],
);

export const feedback = pgTable('feedback', {
  ticketId: uuid('ticket_id')
    .primaryKey()
    .references(() => tickets.id, { onDelete: 'cascade' }),
  guildId: guildRef(),
  userId: snowflake('user_id').notNull(),
  rating: smallint('rating').notNull(),
  comment: encryptedText('comment'),
  createdAt: createdAt(),
});

export const auditLog = pgTable(
  'audit_log',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    guildId: snowflake('guild_id').references(() => guilds.id, { onDelete: 'cascade' }),
    actorId: snowflake('actor_id'),
    action: text('action').notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    index('audit_log_guild_idx').on(t.guildId, t.createdAt),
    index('audit_log_created_idx').on(t.createdAt),
  ],
);

export const sessions = pgTable(
  'sessions',
  {
    /** SHA-256 of the cookie's session id; the id itself is never stored. */
    idHash: text('id_hash').primaryKey(),
    userId: snowflake('user_id').notNull(),
    accessToken: encryptedText('access_token'),
    refreshToken: encryptedText('refresh_token'),
    tokenExpiresAt: timestamp('token_expires_at', { withTimezone: true }),
    createdAt: createdAt(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('sessions_user_idx').on(t.userId), index('sessions_expiry_idx').on(t.expiresAt)],
);

export const dataRequests = pgTable(
  'data_requests',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    guildId: snowflake('guild_id').references(() => guilds.id, { onDelete: 'cascade' }),
    requestedBy: snowflake('requested_by').notNull(),
    kind: dataRequestKind('kind').notNull(),
    targetUserId: snowflake('target_user_id'),
    status: workState('status').notNull().default('pending'),
    progress: integer('progress').notNull().default(0),
    /** An export's archive size once built; null before, and once it expired or was withdrawn. */
    archiveBytes: bigint('archive_bytes', { mode: 'number' }),
    /** Why it failed; while pending or running again, why it is built again. */
    error: text('error'),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    createdAt: createdAt(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [index('data_requests_guild_idx').on(t.guildId, t.createdAt)],
);

/**
 * An export's archive, in pieces of up to a MiB, each sealed with the
 * encryption key (it holds everything the server stored, in plaintext): in
 * Postgres, so any server replica can serve it, and erasing the server (or
 * the request) erases it.
 */
export const exportChunks = pgTable(
  'export_chunks',
  {
    requestId: uuid('request_id')
      .notNull()
      .references(() => dataRequests.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    keyId: text('key_id').notNull(),
    data: bytea('data').notNull(),
  },
  (t) => [primaryKey({ columns: [t.requestId, t.seq] })],
);
