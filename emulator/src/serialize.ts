import {
  type APIChannel,
  type APIGuildMember,
  type APIMessage,
  type APIRole,
  type APIUser,
  type APIWebhook,
  ChannelType,
} from 'discord-api-types/v10';
import type {
  ChannelRecord,
  GuildRecord,
  InteractionRecord,
  MemberRecord,
  MessageRecord,
  RoleRecord,
  UserRecord,
  WebhookRecord,
} from './model.ts';
import { channelPermissions, isThread } from './permissions.ts';
import type { DiscordState } from './state.ts';

/** Turns emulator records into the JSON Discord sends, field for field. */
export class Serializer {
  private readonly state: DiscordState;
  private readonly baseUrl: () => string;

  constructor(state: DiscordState, baseUrl: () => string) {
    this.state = state;
    this.baseUrl = baseUrl;
  }

  user(u: UserRecord): APIUser {
    return {
      id: u.id,
      username: u.username,
      discriminator: '0',
      global_name: u.globalName,
      avatar: u.avatar,
      ...(u.bot ? { bot: true } : {}),
      public_flags: 0,
      flags: 0,
      banner: null,
      accent_color: null,
      avatar_decoration_data: null,
      collectibles: null,
      primary_guild: null,
    } as unknown as APIUser;
  }

  role(r: RoleRecord): APIRole {
    return {
      id: r.id,
      name: r.name,
      description: null,
      color: r.color,
      colors: { primary_color: r.color, secondary_color: null, tertiary_color: null },
      hoist: r.hoist,
      icon: null,
      unicode_emoji: null,
      position: r.position,
      permissions: r.permissions.toString(),
      managed: r.managed,
      mentionable: r.mentionable,
      flags: 0,
      ...(r.managed ? { tags: { bot_id: this.botIdForRole(r) } } : {}),
    } as unknown as APIRole;
  }

  private botIdForRole(r: RoleRecord): string | undefined {
    const guild = this.state.guilds.get(r.guildId);
    for (const m of guild?.members.values() ?? []) {
      if (m.roles.includes(r.id) && this.state.users.get(m.userId)?.bot) return m.userId;
    }
    return undefined;
  }

  member(m: MemberRecord, withUser = true): APIGuildMember {
    return {
      ...(withUser ? { user: this.user(this.state.user(m.userId)) } : {}),
      nick: m.nick,
      avatar: null,
      banner: null,
      roles: m.roles,
      joined_at: m.joinedAt,
      premium_since: null,
      deaf: false,
      mute: false,
      pending: false,
      flags: 0,
      communication_disabled_until: null,
      collectibles: null,
    } as unknown as APIGuildMember;
  }

  channel(c: ChannelRecord): APIChannel {
    if (c.type === ChannelType.DM) {
      return {
        id: c.id,
        type: c.type,
        name: null,
        last_message_id: c.lastMessageId,
        flags: 0,
        recipients: c.recipients.map((id) => this.user(this.state.user(id))),
      } as unknown as APIChannel;
    }
    if (isThread(c)) {
      return {
        id: c.id,
        type: c.type,
        guild_id: c.guildId,
        parent_id: c.parentId,
        owner_id: c.ownerId,
        name: c.name,
        last_message_id: c.lastMessageId,
        rate_limit_per_user: c.rateLimitPerUser,
        flags: 0,
        message_count: this.state.messages.get(c.id)?.length ?? 0,
        total_message_sent: this.state.messages.get(c.id)?.length ?? 0,
        member_count: c.threadMembers.size,
        thread_metadata: {
          archived: c.archived,
          auto_archive_duration: 10080,
          archive_timestamp: c.createdAt,
          locked: c.locked,
          create_timestamp: c.createdAt,
          ...(c.type === ChannelType.PrivateThread ? { invitable: c.invitable } : {}),
        },
      } as unknown as APIChannel;
    }
    return {
      id: c.id,
      type: c.type,
      guild_id: c.guildId,
      name: c.name,
      position: c.position,
      permission_overwrites: [...c.overwrites.values()].map((o) => ({
        id: o.id,
        type: o.type,
        allow: o.allow.toString(),
        deny: o.deny.toString(),
      })),
      parent_id: c.parentId,
      nsfw: c.nsfw,
      flags: 0,
      ...(c.type === ChannelType.GuildCategory
        ? {}
        : {
            topic: c.topic,
            last_message_id: c.lastMessageId,
            rate_limit_per_user: c.rateLimitPerUser,
          }),
    } as unknown as APIChannel;
  }

  /** A message; without content (no MESSAGE_CONTENT intent) its text, embeds, files and components are empty. */
  message(
    m: MessageRecord,
    options: { withContent?: boolean; gateway?: boolean } = {},
  ): APIMessage {
    const withContent = options.withContent ?? true;
    const author = m.webhook
      ? {
          ...this.user({ ...m.webhook, globalName: null, bot: true }),
          discriminator: '0000',
        }
      : this.user(this.state.user(m.authorId));
    const guild = m.guildId ? this.state.guilds.get(m.guildId) : undefined;
    const member = guild?.members.get(m.authorId);
    return {
      id: m.id,
      channel_id: m.channelId,
      author,
      content: withContent ? m.content : '',
      timestamp: m.timestamp,
      edited_timestamp: m.editedTimestamp,
      tts: false,
      mention_everyone: false,
      mentions: m.mentions
        .map((id) => this.state.users.get(id))
        .filter((u): u is UserRecord => Boolean(u))
        .map((u) => this.user(u)),
      mention_roles: [],
      mention_channels: [],
      attachments: withContent
        ? m.attachments.map((a) => ({
            id: a.id,
            filename: a.filename,
            size: a.size,
            url: `${this.baseUrl()}/attachments/${m.channelId}/${a.id}/${encodeURIComponent(a.filename)}`,
            proxy_url: `${this.baseUrl()}/attachments/${m.channelId}/${a.id}/${encodeURIComponent(a.filename)}`,
            ...(a.contentType ? { content_type: a.contentType } : {}),
          }))
        : [],
      embeds: withContent ? m.embeds : [],
      components: withContent ? m.components : [],
      pinned: false,
      type: m.type,
      flags: m.flags,
      ...(m.nonce ? { nonce: m.nonce } : {}),
      ...(m.webhook ? { webhook_id: m.webhook.id } : {}),
      ...(m.applicationId ? { application_id: m.applicationId } : {}),
      ...(m.interaction
        ? {
            interaction_metadata: {
              id: m.interaction.id,
              type: m.interaction.type,
              user: this.user(this.state.user(m.interaction.userId)),
              authorizing_integration_owners: m.guildId
                ? { '0': m.guildId }
                : { '1': m.interaction.userId },
            },
          }
        : {}),
      ...(options.gateway && m.guildId ? { guild_id: m.guildId } : {}),
      ...(options.gateway && member && !m.webhook ? { member: this.member(member, false) } : {}),
    } as unknown as APIMessage;
  }

  /** The REST guild object. */
  guild(g: GuildRecord) {
    return {
      id: g.id,
      name: g.name,
      icon: g.icon,
      icon_hash: g.icon,
      splash: null,
      discovery_splash: null,
      banner: null,
      description: null,
      home_header: null,
      owner_id: g.ownerId,
      afk_channel_id: null,
      afk_timeout: 300,
      widget_enabled: false,
      widget_channel_id: null,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      roles: [...g.roles.values()].map((r) => this.role(r)),
      emojis: [],
      stickers: [],
      features: [],
      mfa_level: 0,
      application_id: null,
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      public_updates_channel_id: null,
      safety_alerts_channel_id: null,
      max_presences: null,
      max_members: 500000,
      max_video_channel_users: 25,
      max_stage_video_channel_users: 50,
      vanity_url_code: null,
      premium_tier: 0,
      premium_subscription_count: 0,
      preferred_locale: 'en-US',
      nsfw: false,
      nsfw_level: 0,
      premium_progress_bar_enabled: false,
      region: 'deprecated',
      incidents_data: null,
    };
  }

  webhook(w: WebhookRecord, withToken = true): APIWebhook {
    return {
      id: w.id,
      type: w.type,
      guild_id: w.guildId,
      channel_id: w.channelId,
      name: w.name,
      avatar: w.avatar,
      application_id: w.applicationId,
      ...(withToken ? { token: w.token } : {}),
      ...(w.creatorId ? { user: this.user(this.state.user(w.creatorId)) } : {}),
    } as unknown as APIWebhook;
  }

  /** An interaction as the bot receives it in INTERACTION_CREATE. */
  interaction(i: InteractionRecord) {
    const guild = i.guildId ? this.state.guilds.get(i.guildId) : undefined;
    const channel = this.state.channel(i.channelId);
    const member = guild?.members.get(i.userId);
    const app = this.state.applications.get(i.applicationId);
    const message = i.messageId ? this.state.message(i.channelId, i.messageId) : undefined;
    return {
      id: i.id,
      application_id: i.applicationId,
      type: i.type,
      data: i.data,
      token: i.token,
      version: 1,
      locale: 'en-US',
      channel_id: i.channelId,
      channel: this.channel(channel),
      entitlements: [],
      context: guild ? 0 : 1,
      authorizing_integration_owners: guild ? { '0': guild.id } : { '1': i.userId },
      attachment_size_limit: 10 * 1024 * 1024,
      app_permissions: (guild && app
        ? channelPermissions(guild, channel, app.botUserId)
        : 0n
      ).toString(),
      ...(guild && member
        ? {
            guild_id: guild.id,
            guild_locale: 'en-US',
            guild: { id: guild.id, features: [], locale: 'en-US' },
            member: {
              ...this.member(member),
              permissions: channelPermissions(guild, channel, i.userId).toString(),
            },
          }
        : { user: this.user(this.state.user(i.userId)) }),
      ...(message ? { message: this.message(message) } : {}),
    };
  }
}
