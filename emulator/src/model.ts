import type {
  APIActionRowComponent,
  APIComponentInMessageActionRow,
  APIEmbed,
  APIModalInteractionResponseCallbackData,
  ChannelType,
  InteractionType,
} from 'discord-api-types/v10';

/** The emulator's own records; serialize.ts turns them into Discord's payload shapes. */

export interface UserRecord {
  id: string;
  username: string;
  globalName: string | null;
  avatar: string | null;
  bot: boolean;
}

export interface RoleRecord {
  id: string;
  guildId: string;
  name: string;
  color: number;
  hoist: boolean;
  position: number;
  permissions: bigint;
  managed: boolean;
  mentionable: boolean;
}

export interface MemberRecord {
  userId: string;
  roles: string[];
  nick: string | null;
  joinedAt: string;
}

export interface Overwrite {
  id: string;
  /** 0 role, 1 member */
  type: 0 | 1;
  allow: bigint;
  deny: bigint;
}

export interface ChannelRecord {
  id: string;
  type: ChannelType;
  guildId: string | null;
  name: string | null;
  topic: string | null;
  parentId: string | null;
  position: number;
  overwrites: Map<string, Overwrite>;
  lastMessageId: string | null;
  rateLimitPerUser: number;
  nsfw: boolean;
  /** DM channels */
  recipients: string[];
  /** threads */
  ownerId: string | null;
  threadMembers: Set<string>;
  archived: boolean;
  locked: boolean;
  invitable: boolean;
  createdAt: string;
}

export interface AttachmentRecord {
  id: string;
  filename: string;
  size: number;
  contentType: string | null;
  data: Buffer;
}

export interface MessageRecord {
  id: string;
  channelId: string;
  guildId: string | null;
  authorId: string;
  /** Set when a webhook posted it: the author shown is the webhook's name and avatar. */
  webhook: { id: string; username: string; avatar: string | null } | null;
  content: string;
  embeds: APIEmbed[];
  components: APIActionRowComponent<APIComponentInMessageActionRow>[];
  attachments: AttachmentRecord[];
  timestamp: string;
  editedTimestamp: string | null;
  nonce: string | null;
  type: number;
  flags: number;
  /** Ephemeral messages are seen only by this user. */
  visibleTo: string | null;
  interaction: { id: string; type: InteractionType; userId: string; name?: string } | null;
  mentions: string[];
  applicationId: string | null;
}

export interface WebhookRecord {
  id: string;
  token: string;
  type: 1 | 3;
  channelId: string | null;
  guildId: string | null;
  name: string;
  avatar: string | null;
  creatorId: string | null;
  applicationId: string | null;
}

export interface CommandRecord {
  id: string;
  applicationId: string;
  guildId: string | null;
  name: string;
  description: string;
  type: number;
  options: unknown[];
  defaultMemberPermissions: string | null;
  version: string;
}

export interface InteractionRecord {
  id: string;
  token: string;
  type: InteractionType;
  applicationId: string;
  data: Record<string, unknown>;
  guildId: string | null;
  channelId: string;
  userId: string;
  messageId: string | null;
  createdAt: number;
  /** The callback the bot answered with, once it has. */
  response: { type: number; messageId?: string } | null;
  modal: APIModalInteractionResponseCallbackData | null;
  originalMessageId: string | null;
}

export interface GuildRecord {
  id: string;
  name: string;
  icon: string | null;
  ownerId: string;
  roles: Map<string, RoleRecord>;
  members: Map<string, MemberRecord>;
  channels: Map<string, ChannelRecord>;
  createdAt: string;
}

export interface ApplicationRecord {
  id: string;
  name: string;
  botUserId: string;
  botToken: string;
  clientSecret: string;
  /** Empty: any redirect URI is accepted (convenient locally); otherwise only these. */
  redirectUris: string[];
  /** Privileged intents the application may use (bits of GatewayIntentBits). */
  privilegedIntents: number;
}
