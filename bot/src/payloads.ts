import { z } from 'zod';

/**
 * The parts of Discord's gateway payloads the bot reads, validated at the
 * boundary: a malformed packet is logged and skipped, never half-stored.
 */
const snowflake = z.string().regex(/^\d{15,21}$/);

export const authorSchema = z.object({
  id: snowflake,
  username: z.string(),
  global_name: z.string().nullish(),
  avatar: z.string().nullish(),
  bot: z.boolean().optional(),
});

export const messagePayload = z.object({
  id: snowflake,
  channel_id: snowflake,
  guild_id: snowflake.optional(),
  author: authorSchema,
  content: z.string(),
  timestamp: z.string(),
  edited_timestamp: z.string().nullish(),
  attachments: z
    .array(
      z.object({
        id: snowflake,
        filename: z.string(),
        size: z.number(),
        url: z.string(),
        content_type: z.string().optional(),
      }),
    )
    .default([]),
  embeds: z
    .array(
      z.object({
        title: z.string().optional(),
        description: z.string().optional(),
        url: z.string().optional(),
        fields: z
          .array(z.object({ name: z.string(), value: z.string() }))
          .max(25)
          .optional(),
      }),
    )
    .default([]),
  nonce: z.union([z.string(), z.number()]).nullish(),
  webhook_id: snowflake.optional(),
  flags: z.number().optional(),
});
export type MessagePayload = z.output<typeof messagePayload>;

export const messageDeletePayload = z.object({
  id: snowflake,
  channel_id: snowflake,
  guild_id: snowflake.optional(),
});

export const messageBulkDeletePayload = z.object({
  ids: z.array(snowflake),
  channel_id: snowflake,
  guild_id: snowflake.optional(),
});

export const channelDeletePayload = z.object({
  id: snowflake,
  guild_id: snowflake.optional(),
});

export const guildCreatePayload = z.object({
  id: snowflake,
  name: z.string(),
  icon: z.string().nullish(),
  owner_id: snowflake,
  unavailable: z.boolean().optional(),
});

/** GUILD_MEMBER_UPDATE and GUILD_MEMBER_REMOVE: whose roles may have changed, where. */
export const guildMemberPayload = z.object({
  guild_id: snowflake,
  user: z.object({ id: snowflake }),
});

/** GUILD_ROLE_UPDATE and GUILD_ROLE_DELETE: only the guild matters here. */
export const guildRolePayload = z.object({ guild_id: snowflake });

export const guildDeletePayload = z.object({
  id: snowflake,
  /** true: an outage; absent: the bot was removed. */
  unavailable: z.boolean().optional(),
});
