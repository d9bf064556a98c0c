/**
 * The dashboard API's contract: every body, query, param and response of the
 * server's routes, and the socket event map. The server validates with these,
 * the dashboard types itself from them, and the OpenAPI description is
 * generated from them.
 */
import { z } from 'zod';

export const snowflakeId = z
  .string()
  .regex(/^\d{15,20}$/, 'must be a Discord id')
  // Discord ids are 64-bit; Postgres stores them as signed bigint.
  .refine((s) => !/^\d+$/.test(s) || BigInt(s) < 2n ** 63n, 'must be a Discord id');
export const uuidId = z.uuid('must be a UUID');
const isoDate = z.string();

export const priorities = ['low', 'normal', 'high', 'urgent'] as const;
export const priority = z.enum(priorities);
export type Priority = z.infer<typeof priority>;
const label = z.string().trim().min(1).max(32);
/** Plain text a person typed: Discord's 2000-character limit, not blank. */
const messageText = z.string().trim().min(1, 'must not be empty').max(2000);

export const guildParams = z.object({ guildId: snowflakeId });
export const ticketParams = guildParams.extend({ ticketId: uuidId });
export const messageParams = ticketParams.extend({ messageId: snowflakeId });
export const idParams = guildParams.extend({ id: uuidId });

export const userRef = z.object({
  id: z.string(),
  username: z.string(),
  globalName: z.string().nullable(),
  avatar: z.string().nullable(),
});
export type UserRef = z.infer<typeof userRef>;

export const apiError = z.object({
  error: z.string(),
  message: z.string(),
  fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  id: z.string().optional(),
});
export type ApiError = z.infer<typeof apiError>;

// ---- Me and guilds ------------------------------------------------------------

export const accessRole = z.enum(['admin', 'staff']);
export type AccessRole = z.infer<typeof accessRole>;

export const meResponse = z.object({ user: userRef });
export type MeResponse = z.infer<typeof meResponse>;

export const guildSummary = z.object({
  id: z.string(),
  name: z.string(),
  icon: z.string().nullable(),
  role: accessRole,
});
export const guildListResponse = z.object({
  guilds: z.array(guildSummary),
  /** Guilds the user manages where the bot is not present yet. */
  invites: z.array(
    z.object({ id: z.string(), name: z.string(), icon: z.string().nullable(), inviteUrl: z.url() }),
  ),
});
export type GuildList = z.infer<typeof guildListResponse>;

export const questionSchema = z.object({
  id: z.string().min(1).max(40),
  label: z.string().trim().min(1).max(45),
  style: z.enum(['short', 'paragraph']),
  required: z.boolean(),
  placeholder: z.string().max(100).optional(),
  maxLength: z.number().int().min(1).max(4000).optional(),
});
export type Question = z.infer<typeof questionSchema>;

export const categorySchema = z.object({
  id: z.string(),
  name: z.string(),
  emoji: z.string().nullable(),
  description: z.string().nullable(),
  color: z.string().nullable(),
  position: z.string(),
  discordCategoryId: z.string().nullable(),
  staffRoleIds: z.array(z.string()),
  blockedRoleIds: z.array(z.string()),
  questions: z.array(questionSchema),
  openTicketLimit: z.number(),
  cooldownSeconds: z.number(),
  channelNamePattern: z.string(),
  threadMode: z.boolean(),
  autoCloseHours: z.number().nullable(),
});
export type Category = z.infer<typeof categorySchema>;

export const columnSchema = z.object({
  id: z.string(),
  name: z.string(),
  position: z.string(),
  lifecycle: z.enum(['open', 'closed']),
});
export type BoardColumn = z.infer<typeof columnSchema>;

export const guildDetailResponse = z.object({
  guild: z.object({ id: z.string(), name: z.string(), icon: z.string().nullable() }),
  access: z.object({ role: accessRole, categoryIds: z.array(z.string()) }),
  categories: z.array(categorySchema),
  columns: z.array(columnSchema),
  /** The guild's latest event seq: resume from here. */
  seq: z.number(),
});
export type GuildDetail = z.infer<typeof guildDetailResponse>;

// ---- Board ----------------------------------------------------------------------

export const card = z.object({
  id: z.string(),
  number: z.number(),
  status: z.enum(['open', 'closed']),
  columnId: z.string().nullable(),
  position: z.string(),
  priority,
  labels: z.array(z.string()),
  topic: z.string().nullable(),
  categoryId: z.string().nullable(),
  channelId: z.string().nullable(),
  opener: userRef.nullable(),
  assignee: userRef.nullable(),
  lastMessage: z
    .object({ snippet: z.string(), at: isoDate, authorId: z.string().nullable() })
    .nullable(),
  createdAt: isoDate,
  closedAt: isoDate.nullable(),
  version: z.number(),
});
export type Card = z.infer<typeof card>;

const csv = <T extends z.ZodType<string, string>>(item: T) =>
  z
    .string()
    .max(2000)
    .transform((s) => s.split(',').filter(Boolean))
    .pipe(z.array(item).max(50));

export const boardQuery = z.object({
  category: csv(uuidId).optional(),
  /** `me`, `unassigned` or a user id. */
  assignee: z.union([z.enum(['me', 'unassigned']), snowflakeId]).optional(),
  priority: csv(priority).optional(),
  label: label.optional(),
  status: z.enum(['open', 'closed', 'all']).default('all'),
  q: z.string().trim().max(100).optional(),
  /** Page one column: its id and the position after which to continue. */
  column: uuidId.optional(),
  after: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type BoardQuery = z.input<typeof boardQuery>;

export const boardResponse = z.object({
  columns: z.array(
    columnSchema.extend({
      cards: z.array(card),
      total: z.number(),
      /** Pass as `after` (with `column`) for the next page; null at the end. */
      nextAfter: z.string().nullable(),
    }),
  ),
  seq: z.number(),
});
export type BoardResponse = z.infer<typeof boardResponse>;

// ---- Ticket -------------------------------------------------------------------

export const ticketDetail = card.extend({
  answers: z.record(z.string(), z.string()),
  closedBy: z.string().nullable(),
  closeReason: z.string().nullable(),
  firstResponseAt: isoDate.nullable(),
  category: z.object({ id: z.string(), name: z.string(), color: z.string().nullable() }).nullable(),
  questions: z.array(questionSchema),
  /** The server's role names, so role mentions in the conversation read as names (empty when Discord cannot be asked). */
  roles: z.array(z.object({ id: z.string(), name: z.string() })),
});
export type TicketDetail = z.infer<typeof ticketDetail>;

export const messageSchema = z.object({
  id: z.string(),
  ticketId: z.string(),
  author: userRef.nullable(),
  authorId: z.string().nullable(),
  content: z.string(),
  attachments: z.array(
    z.object({
      id: z.string(),
      filename: z.string(),
      size: z.number(),
      url: z.string(),
      contentType: z.string().optional(),
    }),
  ),
  embeds: z.array(
    z.object({
      title: z.string().optional(),
      description: z.string().optional(),
      url: z.string().optional(),
      fields: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
    }),
  ),
  source: z.enum(['discord', 'dashboard']),
  internal: z.boolean(),
  delivery: z.enum(['pending', 'delivered', 'failed']).nullable(),
  /** Why Discord refused a reply, for a failed one. */
  failure: z.string().nullable(),
  /** A dashboard reply's first id (the one its POST answered with): it keeps it after Discord gives it another. */
  nonce: z.string().nullable(),
  createdAt: isoDate,
  editedAt: isoDate.nullable(),
  deletedAt: isoDate.nullable(),
});
export type Message = z.infer<typeof messageSchema>;

export const messagesQuery = z.object({
  /** Older than this message id (paging backwards from the newest). */
  before: snowflakeId.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
export const messagesResponse = z.object({
  messages: z.array(messageSchema),
  /** Pass as `before` for older messages; null when there are none. */
  nextBefore: z.string().nullable(),
});
export type MessagesResponse = z.infer<typeof messagesResponse>;

/**
 * A dashboard send's own key, made by the browser for each message it sends
 * (and each category, column, tag or panel it creates): sending again with
 * the same key (the first answer was lost) stores nothing new and answers
 * with what the first send stored.
 */
export const sendKey = z
  .string()
  .regex(/^[\w-]{16,64}$/, 'A send key is 16 to 64 letters, digits, - or _');
export const replyBody = z.object({ content: messageText, sendKey: sendKey.optional() });
/** The longest staff note, in characters. */
export const NOTE_MAX = 4000;
const noteText = z.string().trim().min(1).max(NOTE_MAX);
export const noteBody = z.object({ content: noteText, sendKey: sendKey.optional() });
/** A note's edit: its text only. */
export const noteEditBody = z.object({ content: noteText });

export const ticketPatch = z
  .object({
    /** The version the change was made on: a stale one answers 409. */
    version: z.number().int().min(1),
    move: z
      .object({
        columnId: uuidId,
        /** The card that will be just above (null: top) and just below (null: bottom). */
        afterId: uuidId.nullable(),
        beforeId: uuidId.nullable(),
      })
      .optional(),
    assigneeId: z
      .union([snowflakeId, z.literal('me')])
      .nullable()
      .optional(),
    priority: priority.optional(),
    labels: z.array(label).max(20).optional(),
    topic: z.string().trim().max(100).nullable().optional(),
    /** A new channel name; Discord's rules apply (lower case, dashes). */
    name: z.string().trim().min(1).max(100).optional(),
    /** Transfer to another category: its Discord category and its staff. */
    categoryId: uuidId.optional(),
  })
  .refine((b) => Object.keys(b).length > 1, { message: 'nothing to change' });
export type TicketPatch = z.infer<typeof ticketPatch>;

/** Someone to let into a ticket's channel (or take out of it). */
export const memberBody = z.object({ userId: snowflakeId });
export const peopleQuery = z.object({ q: z.string().trim().min(1).max(32) });
export const peopleResponse = z.object({
  people: z.array(
    userRef.extend({
      /** Staff of the ticket's category (or an admin): may be assigned. */
      staff: z.boolean(),
    }),
  ),
});
export type People = z.infer<typeof peopleResponse>;

export const closeBody = z.object({ reason: z.string().trim().max(500).optional() });

export const activityEntry = z.object({
  seq: z.number(),
  kind: z.string(),
  actorId: z.string().nullable(),
  actor: userRef.nullable(),
  data: z.record(z.string(), z.unknown()),
  at: isoDate,
});
export const activityResponse = z.object({ activity: z.array(activityEntry) });
export type Activity = z.infer<typeof activityResponse>;

// ---- Events (resume) ------------------------------------------------------------

export const eventsQuery = z.object({
  after: z.coerce.number().int().min(0),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
});

/**
 * One change, as the socket pushes it and the events route replays it. `card`
 * and `message` are their state now (null when hidden, gone, or not about one).
 */
export const liveEvent = z.object({
  guildId: z.string(),
  seq: z.number(),
  kind: z.string(),
  ticketId: z.string().nullable(),
  card: card.nullable(),
  message: messageSchema.nullable(),
});
export type LiveEvent = z.infer<typeof liveEvent>;

export const eventsResponse = z.object({
  events: z.array(liveEvent),
  /** The newest seq covered: events the caller may not see are skipped, not gaps. */
  seq: z.number(),
  hasMore: z.boolean(),
});

// ---- Settings (admin) -------------------------------------------------------------

export const guildSettingsSchema = z.object({
  adminRoleIds: z.array(snowflakeId).max(50).default([]),
  transcriptDm: z.boolean().default(false),
  closeDelaySeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600)
    .default(10),
  closeRequestHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(24),
  closedTicketRetentionDays: z.number().int().min(1).max(3650).nullable().default(null),
});
export type GuildSettingsInput = z.infer<typeof guildSettingsSchema>;
export const settingsPatch = guildSettingsSchema.partial();

const categoryFields = {
  name: z.string().trim().min(1).max(50),
  emoji: z.string().max(64).nullable().optional(),
  description: z.string().max(100).nullable().optional(),
  color: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #5865f2')
    .nullable()
    .optional(),
  discordCategoryId: snowflakeId.nullable().optional(),
  staffRoleIds: z.array(snowflakeId).max(25).optional(),
  blockedRoleIds: z.array(snowflakeId).max(25).optional(),
  questions: z.array(questionSchema).max(5, 'at most 5 questions (a Discord modal)').optional(),
  openTicketLimit: z.number().int().min(0).max(50).optional(),
  cooldownSeconds: z
    .number()
    .int()
    .min(0)
    .max(30 * 24 * 3600)
    .optional(),
  channelNamePattern: z.string().trim().min(1).max(90).optional(),
  threadMode: z.boolean().optional(),
  autoCloseHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .nullable()
    .optional(),
};
export const categoryCreate = z.object({ ...categoryFields, sendKey: sendKey.optional() });
export const categoryPatch = z
  .object({ ...categoryFields, name: categoryFields.name.optional() })
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to change' });

export const columnCreate = z.object({
  name: z.string().trim().min(1).max(40),
  lifecycle: z.enum(['open', 'closed']).default('open'),
  /** Put it after this column (null: first). Default: last. */
  afterId: uuidId.nullable().optional(),
  sendKey: sendKey.optional(),
});
export const columnPatch = z
  .object({
    name: z.string().trim().min(1).max(40).optional(),
    lifecycle: z.enum(['open', 'closed']).optional(),
    afterId: uuidId.nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to change' });

export const tagSchema = z.object({
  id: z.string(),
  name: z.string(),
  content: z.string(),
  updatedAt: isoDate,
});
export type Tag = z.infer<typeof tagSchema>;
const tagFields = {
  name: z
    .string()
    .trim()
    .min(1)
    .max(32)
    .regex(/^[\w-]+$/, 'letters, digits, - and _ only'),
  content: z.string().trim().min(1).max(2000),
};
export const tagCreate = z.object({ ...tagFields, sendKey: sendKey.optional() });
export const tagPatch = z
  .object(tagFields)
  .partial()
  .refine((b) => Object.keys(b).length > 0, {
    message: 'nothing to change',
  });

export const panelSchema = z.object({
  id: z.string(),
  channelId: z.string(),
  messageId: z.string().nullable(),
  title: z.string(),
  description: z.string().nullable(),
  style: z.enum(['buttons', 'select']),
  categoryIds: z.array(z.string()),
});
export type Panel = z.infer<typeof panelSchema>;
export const panelCreate = z.object({
  channelId: snowflakeId,
  title: z.string().trim().min(1).max(256),
  description: z.string().trim().max(2000).nullable().optional(),
  style: z.enum(['buttons', 'select']).default('buttons'),
  categoryIds: z.array(uuidId).min(1).max(25),
  sendKey: sendKey.optional(),
});

/** The guild's roles and channels, for the settings pickers (from the bot's view of Discord). */
export const discordInfoResponse = z.object({
  roles: z.array(z.object({ id: z.string(), name: z.string(), color: z.number() })),
  channels: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      type: z.number(),
      parentId: z.string().nullable(),
    }),
  ),
});

export type DiscordInfo = z.infer<typeof discordInfoResponse>;

// ---- Stats ----------------------------------------------------------------------

export const statsQuery = z.object({ days: z.coerce.number().int().min(1).max(365).default(30) });
export const statsResponse = z.object({
  perDay: z.array(z.object({ day: z.string(), opened: z.number(), closed: z.number() })),
  perStaff: z.array(
    z.object({ user: userRef.nullable(), userId: z.string(), handled: z.number() }),
  ),
  medianFirstResponseSeconds: z.number().nullable(),
  medianResolutionSeconds: z.number().nullable(),
  feedback: z.object({
    count: z.number(),
    average: z.number().nullable(),
    /** How many of each rating, 1 to 5. */
    distribution: z.array(z.number()).length(5),
  }),
});
export type Stats = z.infer<typeof statsResponse>;

// ---- Socket.IO --------------------------------------------------------------------

/** A guild's room (its board), or with `ticketId` one ticket's room (its view). */
export const joinRequest = z.object({ guildId: snowflakeId, ticketId: uuidId.optional() });
export type JoinRequest = z.infer<typeof joinRequest>;
export type JoinAck = { ok: true; seq: number } | { ok: false; error: string };

export interface ServerToClientEvents {
  /** A change the socket may see, in a room it joined. */
  event: (event: LiveEvent) => void;
  /** Several changes of one guild, in seq order (a socket that sees the whole guild, under load). */
  events: (events: LiveEvent[]) => void;
  /**
   * A change it may not see: only the seq moves, so the client finds no gap.
   * With `resync`, events up to `seq` may have been missed (the server could
   * not load them, or lost its notifications for a while): the client reads
   * what it has not seen.
   */
  tick: (tick: { guildId: string; seq: number; resync?: true }) => void;
  /** Access to a joined room was lost (role removed); the room is left. */
  revoked: (info: { guildId: string; ticketId?: string }) => void;
  /**
   * What the socket may see in a joined guild changed (a role, or a category's
   * staff roles): its rooms follow from now on, and the client reads the board again.
   */
  access: (info: { guildId: string }) => void;
}

export interface ClientToServerEvents {
  join: (room: JoinRequest, ack: (result: JoinAck) => void) => void;
  leave: (room: JoinRequest) => void;
}

// ---- Data rights (admin) -----------------------------------------------------------

export const dataRequestSchema = z.object({
  id: z.string(),
  kind: z.enum(['export', 'erase_guild', 'erase_user']),
  status: z.enum(['pending', 'running', 'done', 'failed', 'cancelled']),
  /** 0–100. */
  progress: z.number(),
  requestedBy: z.string(),
  targetUserId: z.string().nullable(),
  /** Why it failed (status failed). */
  error: z.string().nullable(),
  /** Why it is being built again, while it waits or runs (a person erased meanwhile, its process stopped). */
  note: z.string().nullable(),
  createdAt: isoDate,
  completedAt: isoDate.nullable(),
  expiresAt: isoDate.nullable(),
  /** The archive's size in bytes while it is stored (an export built and not withdrawn or purged). */
  archiveBytes: z.number().nullable(),
  /** The archive can be downloaded now by the caller (their own export, not expired). */
  downloadable: z.boolean(),
  /** Why the caller cannot download this export (not theirs, expired, withdrawn…); null when they can. */
  refusal: z.string().nullable(),
});
export type DataRequest = z.infer<typeof dataRequestSchema>;

export const dataOverview = z.object({
  /** Rows stored for this server, by table: exactly what erasing it deletes. */
  counts: z.record(z.string(), z.number()),
  requests: z.array(dataRequestSchema),
  /** Only the server's owner may erase the whole server. */
  canEraseServer: z.boolean(),
});
export type DataOverview = z.infer<typeof dataOverview>;

export const exportParams = guildParams.extend({ requestId: uuidId });

export const eraseGuildBody = z.object({
  /** The server's name, typed to confirm. */
  confirmName: z.string().max(200),
  /** Also make the bot leave the server. */
  leave: z.boolean().default(false),
});
export const eraseResult = z.object({ counts: z.record(z.string(), z.number()) });

export const eraseUserBody = z.object({ userId: snowflakeId });
/** Typed to confirm a person's erasure of their own data. */
export const ERASE_SELF_CONFIRMATION = 'erase my data';
export const eraseSelfBody = z.object({ confirm: z.string().max(100) });

export const auditQuery = z.object({
  actorId: snowflakeId.optional(),
  /** An action, or its prefix ending in a dot (`ticket.`). */
  action: z
    .string()
    .regex(/^[a-z_.]{1,40}$/, 'letters, dots and underscores')
    .optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  /** Older than this entry id (paging). */
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const auditEntry = z.object({
  id: z.number(),
  action: z.string(),
  actor: userRef.nullable(),
  actorId: z.string().nullable(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  ip: z.string().nullable(),
  at: isoDate,
});
export type AuditEntry = z.infer<typeof auditEntry>;
export const auditResponse = z.object({
  entries: z.array(auditEntry),
  /** Pass as `before` for the next (older) page; null at the end. */
  nextBefore: z.number().nullable(),
});
export type AuditResponse = z.infer<typeof auditResponse>;
