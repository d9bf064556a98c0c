import { EventEmitter } from 'node:events';
import { ChannelType, MessageType } from 'discord-api-types/v10';
import {
  unknownChannel,
  unknownGuild,
  unknownMember,
  unknownMessage,
  unknownRole,
  unknownUser,
  unknownWebhook,
} from './errors.ts';
import { botToken, randomToken, snowflake } from './ids.ts';
import type {
  ApplicationRecord,
  ChannelRecord,
  CommandRecord,
  GuildRecord,
  InteractionRecord,
  MemberRecord,
  MessageRecord,
  Overwrite,
  RoleRecord,
  UserRecord,
  WebhookRecord,
} from './model.ts';
import { isThread, P } from './permissions.ts';

/** What changed, for the gateway and the web client to turn into their own payloads. */
export type StateEvent =
  | { t: 'MESSAGE_CREATE' | 'MESSAGE_UPDATE'; message: MessageRecord }
  | { t: 'MESSAGE_DELETE'; id: string; channelId: string; guildId: string | null }
  | { t: 'MESSAGE_DELETE_BULK'; ids: string[]; channelId: string; guildId: string | null }
  | {
      t: 'CHANNEL_CREATE' | 'CHANNEL_UPDATE' | 'CHANNEL_DELETE';
      channel: ChannelRecord;
    }
  | { t: 'THREAD_CREATE' | 'THREAD_UPDATE' | 'THREAD_DELETE'; channel: ChannelRecord }
  | { t: 'THREAD_MEMBERS_UPDATE'; channel: ChannelRecord; added: string[]; removed: string[] }
  | { t: 'GUILD_MEMBER_ADD' | 'GUILD_MEMBER_UPDATE'; guildId: string; userId: string }
  | { t: 'GUILD_MEMBER_REMOVE'; guildId: string; user: UserRecord }
  | { t: 'GUILD_ROLE_CREATE' | 'GUILD_ROLE_UPDATE'; guildId: string; role: RoleRecord }
  | { t: 'GUILD_ROLE_DELETE'; guildId: string; roleId: string }
  | { t: 'GUILD_CREATE'; guildId: string; userId: string }
  | { t: 'GUILD_UPDATE'; guildId: string }
  | { t: 'GUILD_DELETE'; guildId: string; userId: string }
  | { t: 'INTERACTION_CREATE'; interaction: InteractionRecord }
  | { t: 'INTERACTION_RESPONSE'; interaction: InteractionRecord };

/** What @everyone may do in a new guild (Discord's defaults, roughly). */
export const DEFAULT_EVERYONE =
  P.ViewChannel |
  P.SendMessages |
  P.ReadMessageHistory |
  P.AddReactions |
  P.EmbedLinks |
  P.AttachFiles |
  P.UseApplicationCommands |
  P.CreatePublicThreads |
  P.SendMessagesInThreads |
  P.ChangeNickname |
  P.CreateInstantInvite;

const now = () => new Date().toISOString();

export interface MessageInput {
  authorId: string;
  content?: string;
  embeds?: MessageRecord['embeds'];
  components?: MessageRecord['components'];
  attachments?: MessageRecord['attachments'];
  nonce?: string | null;
  type?: number;
  flags?: number;
  visibleTo?: string | null;
  webhook?: MessageRecord['webhook'];
  interaction?: MessageRecord['interaction'];
  applicationId?: string | null;
}

export interface ChannelInput {
  name: string;
  type?: ChannelType;
  parentId?: string | null;
  topic?: string | null;
  position?: number;
  overwrites?: Overwrite[];
}

/**
 * The in-memory Discord: users, guilds, channels, messages, webhooks,
 * commands and interactions. Every change emits a StateEvent.
 */
export class DiscordState extends EventEmitter<{ event: [StateEvent]; changed: [] }> {
  readonly users = new Map<string, UserRecord>();
  readonly guilds = new Map<string, GuildRecord>();
  readonly channels = new Map<string, ChannelRecord>();
  readonly messages = new Map<string, MessageRecord[]>();
  readonly webhooks = new Map<string, WebhookRecord>();
  readonly commands = new Map<string, CommandRecord>();
  readonly interactions = new Map<string, InteractionRecord>();
  readonly applications = new Map<string, ApplicationRecord>();

  private emitEvent(event: StateEvent) {
    this.emit('event', event);
    this.touch();
  }

  /** Tells a persister (persist.ts) that something changed, including changes no gateway event reports. */
  touch() {
    this.emit('changed');
  }

  // --- users and applications -------------------------------------------------

  createUser(input: {
    username: string;
    globalName?: string | null;
    avatar?: string | null;
    bot?: boolean;
    id?: string;
  }): UserRecord {
    const user: UserRecord = {
      id: input.id ?? snowflake(),
      username: input.username,
      globalName: input.globalName ?? null,
      avatar: input.avatar ?? null,
      bot: input.bot ?? false,
    };
    this.users.set(user.id, user);
    this.touch();
    return user;
  }

  user(id: string): UserRecord {
    const user = this.users.get(id);
    if (!user) throw unknownUser();
    return user;
  }

  createApplication(input: {
    name: string;
    redirectUris?: string[];
    privilegedIntents?: number;
    clientSecret?: string;
  }): ApplicationRecord {
    const bot = this.createUser({ username: input.name, bot: true });
    const app: ApplicationRecord = {
      // Discord's bot user id equals its application id.
      id: bot.id,
      name: input.name,
      botUserId: bot.id,
      botToken: botToken(bot.id),
      clientSecret: input.clientSecret ?? randomToken(24),
      redirectUris: input.redirectUris ?? [],
      // Guild members, presences, message content: all granted unless a test says otherwise.
      privilegedIntents: input.privilegedIntents ?? (1 << 1) | (1 << 8) | (1 << 15),
    };
    this.applications.set(app.id, app);
    this.touch();
    return app;
  }

  applicationByToken(token: string): ApplicationRecord | undefined {
    for (const app of this.applications.values()) if (app.botToken === token) return app;
    return undefined;
  }

  // --- guilds, roles, members ----------------------------------------------------

  createGuild(input: { name: string; ownerId: string; icon?: string | null; id?: string }) {
    const id = input.id ?? snowflake();
    const guild: GuildRecord = {
      id,
      name: input.name,
      icon: input.icon ?? null,
      ownerId: input.ownerId,
      roles: new Map(),
      members: new Map(),
      channels: new Map(),
      createdAt: now(),
    };
    guild.roles.set(id, {
      id,
      guildId: id,
      name: '@everyone',
      color: 0,
      hoist: false,
      position: 0,
      permissions: DEFAULT_EVERYONE,
      managed: false,
      mentionable: false,
    });
    this.guilds.set(id, guild);
    guild.members.set(input.ownerId, {
      userId: input.ownerId,
      roles: [],
      nick: null,
      joinedAt: now(),
    });
    return guild;
  }

  guild(id: string): GuildRecord {
    const guild = this.guilds.get(id);
    if (!guild) throw unknownGuild();
    return guild;
  }

  member(guildId: string, userId: string): MemberRecord {
    const member = this.guild(guildId).members.get(userId);
    if (!member) throw unknownMember();
    return member;
  }

  /** Adds an application's bot to a guild with a managed role holding `permissions`. */
  addBot(guildId: string, appId: string, permissions: bigint) {
    const guild = this.guild(guildId);
    const app = this.applications.get(appId);
    if (!app) throw unknownUser();
    const role = this.createRole(guildId, { name: app.name, permissions, managed: true }, false);
    guild.members.set(app.botUserId, {
      userId: app.botUserId,
      roles: [role.id],
      nick: null,
      joinedAt: now(),
    });
    this.emitEvent({ t: 'GUILD_CREATE', guildId, userId: app.botUserId });
    return role;
  }

  /** The bot leaves (or is kicked from) a guild. */
  removeBot(guildId: string, appId: string) {
    const guild = this.guild(guildId);
    const app = this.applications.get(appId);
    if (!app) throw unknownUser();
    guild.members.delete(app.botUserId);
    for (const role of guild.roles.values()) {
      if (role.managed && role.name === app.name) guild.roles.delete(role.id);
    }
    this.emitEvent({ t: 'GUILD_DELETE', guildId, userId: app.botUserId });
  }

  createRole(
    guildId: string,
    input: {
      name: string;
      permissions?: bigint;
      color?: number;
      hoist?: boolean;
      mentionable?: boolean;
      managed?: boolean;
    },
    announce = true,
  ): RoleRecord {
    const guild = this.guild(guildId);
    const role: RoleRecord = {
      id: snowflake(),
      guildId,
      name: input.name,
      color: input.color ?? 0,
      hoist: input.hoist ?? false,
      position: guild.roles.size,
      permissions: input.permissions ?? 0n,
      managed: input.managed ?? false,
      mentionable: input.mentionable ?? false,
    };
    guild.roles.set(role.id, role);
    if (announce) this.emitEvent({ t: 'GUILD_ROLE_CREATE', guildId, role });
    return role;
  }

  updateRole(guildId: string, roleId: string, patch: Partial<Omit<RoleRecord, 'id' | 'guildId'>>) {
    const role = this.guild(guildId).roles.get(roleId);
    if (!role) throw unknownRole();
    Object.assign(role, patch);
    this.emitEvent({ t: 'GUILD_ROLE_UPDATE', guildId, role });
    return role;
  }

  deleteRole(guildId: string, roleId: string) {
    const guild = this.guild(guildId);
    if (!guild.roles.delete(roleId)) throw unknownRole();
    for (const member of guild.members.values()) {
      member.roles = member.roles.filter((r) => r !== roleId);
    }
    this.emitEvent({ t: 'GUILD_ROLE_DELETE', guildId, roleId });
  }

  addMember(guildId: string, userId: string, roles: string[] = []): MemberRecord {
    const guild = this.guild(guildId);
    this.user(userId);
    for (const r of roles) if (!guild.roles.has(r)) throw unknownRole();
    const member: MemberRecord = { userId, roles: [...roles], nick: null, joinedAt: now() };
    guild.members.set(userId, member);
    this.emitEvent({ t: 'GUILD_MEMBER_ADD', guildId, userId });
    return member;
  }

  /** A guild's name, icon or owner changed (the owner must be a member), as GUILD_UPDATE tells bots. */
  updateGuild(guildId: string, input: { name?: string; icon?: string | null; ownerId?: string }) {
    const guild = this.guild(guildId);
    if (input.ownerId !== undefined) this.member(guildId, input.ownerId);
    if (input.name !== undefined) guild.name = input.name;
    if (input.icon !== undefined) guild.icon = input.icon;
    if (input.ownerId !== undefined) guild.ownerId = input.ownerId;
    this.emitEvent({ t: 'GUILD_UPDATE', guildId });
    return guild;
  }

  setMemberRoles(guildId: string, userId: string, roles: string[]) {
    const guild = this.guild(guildId);
    const member = this.member(guildId, userId);
    for (const r of roles) if (!guild.roles.has(r)) throw unknownRole();
    member.roles = [...new Set(roles)];
    this.emitEvent({ t: 'GUILD_MEMBER_UPDATE', guildId, userId });
    return member;
  }

  removeMember(guildId: string, userId: string) {
    const guild = this.guild(guildId);
    if (!guild.members.delete(userId)) throw unknownMember();
    this.emitEvent({ t: 'GUILD_MEMBER_REMOVE', guildId, user: this.user(userId) });
  }

  // --- channels and threads ------------------------------------------------------------

  private newChannel(fields: Partial<ChannelRecord> & Pick<ChannelRecord, 'type'>): ChannelRecord {
    return {
      id: snowflake(),
      guildId: null,
      name: null,
      topic: null,
      parentId: null,
      position: 0,
      overwrites: new Map(),
      lastMessageId: null,
      rateLimitPerUser: 0,
      nsfw: false,
      recipients: [],
      ownerId: null,
      threadMembers: new Set(),
      archived: false,
      locked: false,
      invitable: true,
      createdAt: now(),
      ...fields,
    };
  }

  createChannel(guildId: string, input: ChannelInput): ChannelRecord {
    const guild = this.guild(guildId);
    if (input.parentId) this.channel(input.parentId);
    const channel = this.newChannel({
      type: input.type ?? ChannelType.GuildText,
      guildId,
      name: input.name,
      topic: input.topic ?? null,
      parentId: input.parentId ?? null,
      position: input.position ?? guild.channels.size,
      overwrites: new Map((input.overwrites ?? []).map((o) => [o.id, { ...o }])),
    });
    guild.channels.set(channel.id, channel);
    this.channels.set(channel.id, channel);
    this.messages.set(channel.id, []);
    this.emitEvent({ t: 'CHANNEL_CREATE', channel });
    return channel;
  }

  channel(id: string): ChannelRecord {
    const channel = this.channels.get(id);
    if (!channel) throw unknownChannel();
    return channel;
  }

  updateChannel(
    id: string,
    patch: Partial<
      Pick<
        ChannelRecord,
        'name' | 'topic' | 'parentId' | 'position' | 'archived' | 'locked' | 'invitable'
      >
    > & { overwrites?: Overwrite[] },
  ) {
    const channel = this.channel(id);
    const { overwrites, ...rest } = patch;
    Object.assign(channel, rest);
    if (overwrites) channel.overwrites = new Map(overwrites.map((o) => [o.id, { ...o }]));
    this.emitEvent({ t: isThread(channel) ? 'THREAD_UPDATE' : 'CHANNEL_UPDATE', channel });
    return channel;
  }

  setOverwrite(channelId: string, overwrite: Overwrite) {
    const channel = this.channel(channelId);
    channel.overwrites.set(overwrite.id, { ...overwrite });
    this.emitEvent({ t: 'CHANNEL_UPDATE', channel });
  }

  deleteOverwrite(channelId: string, id: string) {
    const channel = this.channel(channelId);
    channel.overwrites.delete(id);
    this.emitEvent({ t: 'CHANNEL_UPDATE', channel });
  }

  /** Deletes a channel with its messages, and its threads with it. */
  deleteChannel(id: string): ChannelRecord {
    const channel = this.channel(id);
    for (const other of [...this.channels.values()]) {
      if (other.parentId === id && isThread(other)) this.deleteChannel(other.id);
    }
    this.channels.delete(id);
    this.messages.delete(id);
    if (channel.guildId) this.guild(channel.guildId).channels.delete(id);
    this.emitEvent({ t: isThread(channel) ? 'THREAD_DELETE' : 'CHANNEL_DELETE', channel });
    return channel;
  }

  createThread(
    parentId: string,
    input: { name: string; type: ChannelType; ownerId: string; invitable?: boolean; id?: string },
  ): ChannelRecord {
    const parent = this.channel(parentId);
    if (!parent.guildId) throw unknownChannel();
    const thread = this.newChannel({
      ...(input.id ? { id: input.id } : {}),
      type: input.type,
      guildId: parent.guildId,
      name: input.name,
      parentId,
      ownerId: input.ownerId,
      invitable: input.invitable ?? true,
      threadMembers: new Set([input.ownerId]),
    });
    this.guild(parent.guildId).channels.set(thread.id, thread);
    this.channels.set(thread.id, thread);
    this.messages.set(thread.id, []);
    this.emitEvent({ t: 'THREAD_CREATE', channel: thread });
    return thread;
  }

  addThreadMember(threadId: string, userId: string) {
    const thread = this.channel(threadId);
    this.user(userId);
    if (thread.threadMembers.has(userId)) return;
    thread.threadMembers.add(userId);
    this.emitEvent({ t: 'THREAD_MEMBERS_UPDATE', channel: thread, added: [userId], removed: [] });
  }

  removeThreadMember(threadId: string, userId: string) {
    const thread = this.channel(threadId);
    if (!thread.threadMembers.delete(userId)) return;
    this.emitEvent({ t: 'THREAD_MEMBERS_UPDATE', channel: thread, added: [], removed: [userId] });
  }

  /** The DM channel between two users, created on first use. */
  dmChannel(a: string, b: string): ChannelRecord {
    this.user(a);
    this.user(b);
    for (const c of this.channels.values()) {
      if (c.type === ChannelType.DM && c.recipients.includes(a) && c.recipients.includes(b)) {
        return c;
      }
    }
    const channel = this.newChannel({ type: ChannelType.DM, recipients: [a, b] });
    this.channels.set(channel.id, channel);
    this.messages.set(channel.id, []);
    return channel;
  }

  // --- messages -------------------------------------------------------------------------

  createMessage(channelId: string, input: MessageInput): MessageRecord {
    const channel = this.channel(channelId);
    const message: MessageRecord = {
      id: snowflake(),
      channelId,
      guildId: channel.guildId,
      authorId: input.authorId,
      webhook: input.webhook ?? null,
      content: input.content ?? '',
      embeds: input.embeds ?? [],
      components: input.components ?? [],
      attachments: input.attachments ?? [],
      timestamp: now(),
      editedTimestamp: null,
      nonce: input.nonce ?? null,
      type: input.type ?? MessageType.Default,
      flags: input.flags ?? 0,
      visibleTo: input.visibleTo ?? null,
      interaction: input.interaction ?? null,
      mentions: [...(input.content ?? '').matchAll(/<@!?(\d{17,20})>/g)].map((m) => m[1] as string),
      applicationId: input.applicationId ?? null,
    };
    this.messages.get(channelId)?.push(message);
    channel.lastMessageId = message.id;
    this.emitEvent({ t: 'MESSAGE_CREATE', message });
    return message;
  }

  message(channelId: string, messageId: string): MessageRecord {
    this.channel(channelId);
    const message = this.messages.get(channelId)?.find((m) => m.id === messageId);
    if (!message) throw unknownMessage();
    return message;
  }

  editMessage(
    channelId: string,
    messageId: string,
    patch: Partial<
      Pick<MessageRecord, 'content' | 'embeds' | 'components' | 'attachments' | 'flags'>
    >,
  ): MessageRecord {
    const message = this.message(channelId, messageId);
    Object.assign(message, patch);
    if (patch.content !== undefined) {
      message.mentions = [...message.content.matchAll(/<@!?(\d{17,20})>/g)].map(
        (m) => m[1] as string,
      );
    }
    message.editedTimestamp = now();
    this.emitEvent({ t: 'MESSAGE_UPDATE', message });
    return message;
  }

  deleteMessage(channelId: string, messageId: string) {
    const message = this.message(channelId, messageId);
    const list = this.messages.get(channelId) ?? [];
    list.splice(list.indexOf(message), 1);
    this.emitEvent({ t: 'MESSAGE_DELETE', id: messageId, channelId, guildId: message.guildId });
  }

  bulkDeleteMessages(channelId: string, ids: string[]) {
    const channel = this.channel(channelId);
    const wanted = new Set(ids);
    const list = this.messages.get(channelId) ?? [];
    const deleted = list.filter((m) => wanted.has(m.id)).map((m) => m.id);
    this.messages.set(
      channelId,
      list.filter((m) => !wanted.has(m.id)),
    );
    this.emitEvent({ t: 'MESSAGE_DELETE_BULK', ids: deleted, channelId, guildId: channel.guildId });
    return deleted;
  }

  /**
   * A page of history the way Discord pages it: up to `limit` messages before,
   * after or around an id (or the newest), always newest first.
   */
  listMessages(
    channelId: string,
    query: { before?: string; after?: string; around?: string; limit?: number },
    visibleTo?: string,
  ): MessageRecord[] {
    this.channel(channelId);
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 100);
    const all = (this.messages.get(channelId) ?? []).filter(
      (m) => m.visibleTo === null || m.visibleTo === visibleTo,
    );
    const id = (m: MessageRecord) => BigInt(m.id);
    let page: MessageRecord[];
    if (query.after) {
      const after = BigInt(query.after);
      page = all.filter((m) => id(m) > after).slice(0, limit);
    } else if (query.around) {
      const around = BigInt(query.around);
      const older = all.filter((m) => id(m) < around);
      const newer = all.filter((m) => id(m) >= around);
      const half = Math.floor(limit / 2);
      page = [...older.slice(-half), ...newer.slice(0, limit - Math.min(half, older.length))];
      page = page.slice(0, limit);
    } else if (query.before) {
      const before = BigInt(query.before);
      page = all.filter((m) => id(m) < before).slice(-limit);
    } else {
      page = all.slice(-limit);
    }
    return [...page].reverse();
  }

  // --- webhooks -----------------------------------------------------------------------

  createWebhook(input: {
    channelId: string | null;
    name: string;
    avatar?: string | null;
    creatorId?: string | null;
    applicationId?: string | null;
    type?: 1 | 3;
  }): WebhookRecord {
    const channel = input.channelId ? this.channel(input.channelId) : null;
    const webhook: WebhookRecord = {
      id: snowflake(),
      token: randomToken(48),
      type: input.type ?? 1,
      channelId: input.channelId,
      guildId: channel?.guildId ?? null,
      name: input.name,
      avatar: input.avatar ?? null,
      creatorId: input.creatorId ?? null,
      applicationId: input.applicationId ?? null,
    };
    this.webhooks.set(webhook.id, webhook);
    this.touch();
    return webhook;
  }

  webhook(id: string, token?: string): WebhookRecord {
    const webhook = this.webhooks.get(id);
    if (!webhook || (token !== undefined && webhook.token !== token)) throw unknownWebhook();
    return webhook;
  }

  // --- application commands and interactions -----------------------------------------------

  /** Replaces an application's commands (global, or one guild's), keeping ids of names that stay. */
  overwriteCommands(
    applicationId: string,
    guildId: string | null,
    commands: Omit<CommandRecord, 'id' | 'applicationId' | 'guildId' | 'version'>[],
  ): CommandRecord[] {
    const existing = [...this.commands.values()].filter(
      (c) => c.applicationId === applicationId && c.guildId === guildId,
    );
    for (const c of existing) this.commands.delete(c.id);
    return commands.map((input) => {
      const kept = existing.find((c) => c.name === input.name && c.type === input.type);
      const command: CommandRecord = {
        ...input,
        id: kept?.id ?? snowflake(),
        applicationId,
        guildId,
        version: snowflake(),
      };
      this.commands.set(command.id, command);
      this.touch();
      return command;
    });
  }

  listCommands(applicationId: string, guildId: string | null): CommandRecord[] {
    return [...this.commands.values()].filter(
      (c) => c.applicationId === applicationId && c.guildId === guildId,
    );
  }

  createInteraction(
    input: Pick<
      InteractionRecord,
      'type' | 'data' | 'guildId' | 'channelId' | 'userId' | 'applicationId'
    > & {
      messageId?: string | null;
    },
  ): InteractionRecord {
    const interaction: InteractionRecord = {
      id: snowflake(),
      token: `aW50ZXJhY3Rpb246${randomToken(60)}`,
      type: input.type,
      applicationId: input.applicationId,
      data: input.data,
      guildId: input.guildId,
      channelId: input.channelId,
      userId: input.userId,
      messageId: input.messageId ?? null,
      createdAt: Date.now(),
      response: null,
      modal: null,
      originalMessageId: null,
    };
    this.interactions.set(interaction.id, interaction);
    this.emitEvent({ t: 'INTERACTION_CREATE', interaction });
    return interaction;
  }

  interactionByToken(token: string): InteractionRecord | undefined {
    for (const i of this.interactions.values()) if (i.token === token) return i;
    return undefined;
  }

  /** Records the bot's answer to an interaction and tells whoever waits for it. */
  respondedTo(interaction: InteractionRecord) {
    this.emitEvent({ t: 'INTERACTION_RESPONSE', interaction });
  }
}
