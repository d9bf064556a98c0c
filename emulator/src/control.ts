import {
  ApplicationCommandOptionType,
  ChannelType,
  ComponentType,
  InteractionType,
  MessageType,
} from 'discord-api-types/v10';
import type { EmulatorContext } from './context.ts';
import { DiscordError, missingAccess, missingPermissions, unknownInteraction } from './errors.ts';
import type { FaultInput } from './http/faults.ts';
import { snowflake } from './ids.ts';
import type {
  ChannelRecord,
  CommandRecord,
  InteractionRecord,
  MessageRecord,
  Overwrite,
} from './model.ts';
import { channelPermissions, has, isThread, P } from './permissions.ts';
import type { ChannelInput, StateEvent } from './state.ts';

/** What the bot answered an interaction with. */
export interface InteractionOutcome {
  interactionId: string;
  type: number;
  message?: ReturnType<EmulatorContext['serializer']['message']>;
  modal?: InteractionRecord['modal'];
}

type CommandOptionValue = string | number | boolean;
export interface CommandOptions {
  subcommand?: string;
  options?: Record<string, CommandOptionValue>;
}

/**
 * Drives the emulator from a test or the web client: build the world, act as
 * a person (send, edit, delete, click, choose, submit, run a command), break
 * things (delete a channel by hand, drop the gateway, inject faults), and read
 * what the bot did.
 */
export class Control {
  private readonly ctx: EmulatorContext;
  constructor(ctx: EmulatorContext) {
    this.ctx = ctx;
  }

  private get state() {
    return this.ctx.state;
  }

  // --- the world ------------------------------------------------------------------

  createUser(input: Parameters<EmulatorContext['state']['createUser']>[0]) {
    return this.state.createUser(input);
  }

  createGuild(input: { name: string; ownerId: string; icon?: string | null }) {
    return this.state.createGuild(input);
  }

  createRole(
    guildId: string,
    input: { name: string; permissions?: bigint; color?: number; hoist?: boolean },
  ) {
    return this.state.createRole(guildId, input);
  }

  updateRole(
    guildId: string,
    roleId: string,
    patch: { name?: string; permissions?: bigint; color?: number; hoist?: boolean },
  ) {
    return this.state.updateRole(guildId, roleId, patch);
  }

  /** Deletes a role; its members lose it. */
  deleteRole(guildId: string, roleId: string) {
    this.state.deleteRole(guildId, roleId);
  }

  addMember(guildId: string, userId: string, roleIds: string[] = []) {
    return this.state.addMember(guildId, userId, roleIds);
  }

  /** Renames a guild, changes its icon or transfers its ownership (to a member). */
  updateGuild(guildId: string, input: { name?: string; icon?: string | null; ownerId?: string }) {
    return this.state.updateGuild(guildId, input);
  }

  /** The member leaves the guild (or is kicked). */
  removeMember(guildId: string, userId: string) {
    this.state.removeMember(guildId, userId);
  }

  setMemberRoles(guildId: string, userId: string, roleIds: string[]) {
    return this.state.setMemberRoles(guildId, userId, roleIds);
  }

  createChannel(guildId: string, input: ChannelInput) {
    return this.state.createChannel(guildId, input);
  }

  /** Adds an application's bot to a guild, as the invite link would, with these permissions. */
  addBot(guildId: string, applicationId: string, permissions: bigint) {
    return this.state.addBot(guildId, applicationId, permissions);
  }

  removeBot(guildId: string, applicationId: string) {
    this.state.removeBot(guildId, applicationId);
  }

  // --- acting as a person ------------------------------------------------------------

  private visibleChannel(
    userId: string,
    channelId: string,
    needed: bigint = P.ViewChannel,
  ): ChannelRecord {
    const channel = this.state.channel(channelId);
    if (channel.type === ChannelType.DM) {
      if (!channel.recipients.includes(userId)) throw missingAccess();
      return channel;
    }
    const guild = this.state.guild(channel.guildId as string);
    const perms = channelPermissions(guild, channel, userId);
    if (!has(perms, P.ViewChannel)) throw missingAccess();
    if (!has(perms, needed)) throw missingPermissions();
    return channel;
  }

  /** A user sends a message, as they would in the Discord client. */
  sendMessage(
    userId: string,
    channelId: string,
    content: string,
    attachments: { filename: string; data: Buffer; contentType?: string }[] = [],
  ) {
    const channel = this.state.channel(channelId);
    const needed = isThread(channel) ? P.SendMessagesInThreads : P.SendMessages;
    this.visibleChannel(userId, channelId, needed);
    if (isThread(channel) && channel.locked) throw missingPermissions();
    if (!content && attachments.length === 0) {
      throw new DiscordError(400, 50006, 'Cannot send an empty message');
    }
    const message = this.state.createMessage(channelId, {
      authorId: userId,
      content,
      // Discord's own clients send a nonce with every message, and MESSAGE_CREATE carries it.
      nonce: snowflake(),
      attachments: attachments.map((a, i) => ({
        id: `${Date.now()}${i}`,
        filename: a.filename,
        size: a.data.length,
        contentType: a.contentType ?? null,
        data: a.data,
      })),
    });
    return this.ctx.serializer.message(message);
  }

  editMessage(userId: string, channelId: string, messageId: string, content: string) {
    this.visibleChannel(userId, channelId);
    const message = this.state.message(channelId, messageId);
    if (message.authorId !== userId) throw missingPermissions();
    return this.ctx.serializer.message(this.state.editMessage(channelId, messageId, { content }));
  }

  deleteMessage(userId: string, channelId: string, messageId: string) {
    const message = this.state.message(channelId, messageId);
    this.visibleChannel(
      userId,
      channelId,
      message.authorId === userId ? P.ViewChannel : P.ManageMessages,
    );
    this.state.deleteMessage(channelId, messageId);
  }

  /** What a user sees of a channel's history (their own ephemeral replies included). */
  readMessages(
    userId: string,
    channelId: string,
    query: { before?: string; after?: string; limit?: number } = {},
  ) {
    this.visibleChannel(userId, channelId, P.ReadMessageHistory);
    return this.state
      .listMessages(channelId, query, userId)
      .map((m) => this.ctx.serializer.message(m));
  }

  /** The channels of a guild a user can see, in order, plus their DMs with bots. */
  visibleChannels(userId: string, guildId: string) {
    const guild = this.state.guild(guildId);
    return [...guild.channels.values()]
      .filter((c) => has(channelPermissions(guild, c, userId), P.ViewChannel))
      .sort((a, b) => a.position - b.position || (BigInt(a.id) < BigInt(b.id) ? -1 : 1))
      .map((c) => this.ctx.serializer.channel(c));
  }

  dmChannels(userId: string) {
    return [...this.state.channels.values()]
      .filter((c) => c.type === ChannelType.DM && c.recipients.includes(userId))
      .map((c) => this.ctx.serializer.channel(c));
  }

  /** Deletes a channel the way an admin does in the Discord client. */
  deleteChannelByHand(channelId: string) {
    return this.ctx.serializer.channel(this.state.deleteChannel(channelId));
  }

  setOverwrite(channelId: string, overwrite: Overwrite) {
    this.state.setOverwrite(channelId, overwrite);
  }

  // --- interactions ---------------------------------------------------------------

  private component(message: MessageRecord, customId: string) {
    for (const row of message.components as unknown as {
      components?: { type: number; custom_id?: string }[];
    }[]) {
      for (const c of row.components ?? []) {
        if (c.custom_id === customId)
          return c as {
            type: number;
            custom_id: string;
            disabled?: boolean;
            options?: { value: string }[];
          };
      }
    }
    throw new DiscordError(400, 50035, `No component with custom_id ${customId} on that message`);
  }

  private interact(
    userId: string,
    channelId: string,
    type: InteractionType,
    data: Record<string, unknown>,
    applicationId: string,
    messageId: string | null = null,
  ): InteractionRecord {
    const channel = this.visibleChannel(userId, channelId);
    if (channel.guildId) {
      const guild = this.state.guild(channel.guildId);
      if (!guild.members.has(userId)) throw missingAccess();
    }
    return this.state.createInteraction({
      type,
      data,
      applicationId,
      guildId: channel.guildId,
      channelId,
      userId,
      messageId,
    });
  }

  private appOfMessage(message: MessageRecord): string {
    const appId =
      message.applicationId ??
      (this.state.applications.has(message.authorId) ? message.authorId : null);
    if (!appId) throw new DiscordError(400, 50035, 'That message was not sent by an application');
    return appId;
  }

  /** Presses a button on a message; resolves with what the bot answered. */
  clickButton(userId: string, channelId: string, messageId: string, customId: string) {
    const message = this.state.message(channelId, messageId);
    const button = this.component(message, customId);
    if (button.type !== ComponentType.Button)
      throw new DiscordError(400, 50035, 'That component is not a button');
    if (button.disabled) throw new DiscordError(400, 50035, 'That button is disabled');
    const interaction = this.interact(
      userId,
      channelId,
      InteractionType.MessageComponent,
      { custom_id: customId, component_type: ComponentType.Button },
      this.appOfMessage(message),
      messageId,
    );
    return this.outcome(interaction);
  }

  /** Chooses values in a string select menu on a message. */
  chooseOptions(
    userId: string,
    channelId: string,
    messageId: string,
    customId: string,
    values: string[],
  ) {
    const message = this.state.message(channelId, messageId);
    const menu = this.component(message, customId);
    if (menu.type !== ComponentType.StringSelect)
      throw new DiscordError(400, 50035, 'That component is not a select menu');
    const allowed = new Set((menu.options ?? []).map((o) => o.value));
    if (values.some((v) => !allowed.has(v)))
      throw new DiscordError(400, 50035, 'Not an option of that menu');
    const interaction = this.interact(
      userId,
      channelId,
      InteractionType.MessageComponent,
      { custom_id: customId, component_type: ComponentType.StringSelect, values },
      this.appOfMessage(message),
      messageId,
    );
    return this.outcome(interaction);
  }

  /** Fills in and submits the modal the bot showed in answer to `interactionId`. */
  submitModal(userId: string, interactionId: string, values: Record<string, string>) {
    const shown = this.state.interactions.get(interactionId);
    if (!shown?.modal || shown.userId !== userId) throw unknownInteraction();
    const modal = shown.modal as unknown as {
      custom_id: string;
      components: { type: number; components?: TextInput[]; component?: TextInput }[];
    };
    type TextInput = {
      type: number;
      custom_id: string;
      required?: boolean;
      max_length?: number;
      min_length?: number;
    };
    const answer = (input: TextInput) => {
      const value = values[input.custom_id] ?? '';
      if ((input.required ?? true) && !value) {
        throw new DiscordError(400, 50035, `The field ${input.custom_id} is required`);
      }
      if (input.max_length !== undefined && value.length > input.max_length) {
        throw new DiscordError(400, 50035, `The field ${input.custom_id} is too long`);
      }
      return { type: input.type, id: 0, custom_id: input.custom_id, value };
    };
    const components = modal.components.map((row) =>
      row.component
        ? { type: row.type, id: 0, component: answer(row.component) }
        : { type: row.type, id: 0, components: (row.components ?? []).map(answer) },
    );
    const interaction = this.interact(
      userId,
      shown.channelId,
      InteractionType.ModalSubmit,
      { custom_id: modal.custom_id, components },
      shown.applicationId,
      shown.messageId,
    );
    return this.outcome(interaction);
  }

  /** Runs a slash command, e.g. `runCommand(u, c, 'ticket', { subcommand: 'close', options: { reason: 'done' } })`. */
  runCommand(userId: string, channelId: string, name: string, input: CommandOptions = {}) {
    const channel = this.state.channel(channelId);
    const command = [...this.state.commands.values()].find(
      (c) =>
        c.name === name && c.type === 1 && (c.guildId === null || c.guildId === channel.guildId),
    );
    if (!command) throw new DiscordError(404, 10063, `Unknown application command: /${name}`);
    const resolved: Record<string, Record<string, unknown>> = {};
    const optionDefs = (defs: CommandRecord['options']) =>
      defs as { name: string; type: number; required?: boolean; options?: unknown[] }[];
    let defs = optionDefs(command.options);
    let wrap = (options: unknown[]) => options;
    if (input.subcommand) {
      const sub = defs.find(
        (d) => d.name === input.subcommand && d.type === ApplicationCommandOptionType.Subcommand,
      );
      if (!sub) throw new DiscordError(400, 50035, `Unknown subcommand ${input.subcommand}`);
      defs = optionDefs(sub.options ?? []);
      wrap = (options) => [{ name: sub.name, type: sub.type, options }];
    }
    const given = input.options ?? {};
    for (const d of defs) {
      if (d.required && given[d.name] === undefined)
        throw new DiscordError(400, 50035, `Option ${d.name} is required`);
    }
    const options = Object.entries(given).map(([key, value]) => {
      const def = defs.find((d) => d.name === key);
      if (!def) throw new DiscordError(400, 50035, `Unknown option ${key}`);
      this.resolve(def.type, String(value), channel.guildId, resolved);
      return { name: key, type: def.type, value };
    });
    const interaction = this.interact(
      userId,
      channelId,
      InteractionType.ApplicationCommand,
      {
        id: command.id,
        name: command.name,
        type: 1,
        options: wrap(options),
        ...(command.guildId ? { guild_id: command.guildId } : {}),
        ...(Object.keys(resolved).length > 0 ? { resolved } : {}),
      },
      command.applicationId,
    );
    return this.outcome(interaction);
  }

  private resolve(
    type: number,
    id: string,
    guildId: string | null,
    resolved: Record<string, Record<string, unknown>>,
  ) {
    const s = this.ctx.serializer;
    const guild = guildId ? this.state.guild(guildId) : undefined;
    const put = (kind: string, key: string, value: unknown) => {
      resolved[kind] = { ...resolved[kind], [key]: value };
    };
    if (
      type === ApplicationCommandOptionType.User ||
      type === ApplicationCommandOptionType.Mentionable
    ) {
      const user = this.state.users.get(id);
      if (user) {
        put('users', id, s.user(user));
        const member = guild?.members.get(id);
        if (member) put('members', id, { ...s.member(member, false), permissions: '0' });
        return;
      }
    }
    if (
      (type === ApplicationCommandOptionType.Role ||
        type === ApplicationCommandOptionType.Mentionable) &&
      guild
    ) {
      const role = guild.roles.get(id);
      if (role) put('roles', id, s.role(role));
      else throw new DiscordError(400, 50035, `Unknown role ${id}`);
    }
    if (type === ApplicationCommandOptionType.Channel) {
      const c = this.state.channel(id);
      put('channels', id, { id: c.id, name: c.name, type: c.type, permissions: '0' });
    }
  }

  /** Resolves when the bot has answered the interaction (or rejects after `timeoutMs`). */
  waitForResponse(interactionId: string, timeoutMs = 10_000): Promise<InteractionOutcome> {
    const interaction = this.state.interactions.get(interactionId);
    if (!interaction) return Promise.reject(unknownInteraction());
    const done = (i: InteractionRecord): InteractionOutcome => {
      const messageId = i.response?.messageId;
      const message = messageId
        ? this.state.messages.get(i.channelId)?.find((m) => m.id === messageId)
        : undefined;
      return {
        interactionId: i.id,
        type: i.response?.type ?? 0,
        ...(message ? { message: this.ctx.serializer.message(message) } : {}),
        ...(i.modal ? { modal: i.modal } : {}),
      };
    };
    if (interaction.response) return Promise.resolve(done(interaction));
    return new Promise((resolve, reject) => {
      const onEvent = (event: StateEvent) => {
        if (event.t === 'INTERACTION_RESPONSE' && event.interaction.id === interactionId) {
          cleanup();
          resolve(done(event.interaction));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(`the bot did not answer interaction ${interactionId} within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.state.off('event', onEvent);
      };
      this.state.on('event', onEvent);
    });
  }

  private outcome(interaction: InteractionRecord) {
    return {
      interaction,
      response: (timeoutMs?: number) => this.waitForResponse(interaction.id, timeoutMs),
    };
  }

  // --- breaking things and reading the log -----------------------------------------

  dropGateway(options: { resumable?: boolean } = {}) {
    return this.ctx.gateway.drop(options);
  }

  addFault(input: FaultInput) {
    return this.ctx.faults.add(input);
  }

  clearFaults(id?: number) {
    this.ctx.faults.clear(id);
  }

  setRateLimit(limit: number, windowMs = 1000) {
    this.ctx.limiter.configure({ limit, windowMs });
  }

  requests(filter: { method?: string; route?: string; since?: number } = {}) {
    return this.ctx.requestLog.filter(
      (r) =>
        (!filter.method || r.method === filter.method.toUpperCase()) &&
        (!filter.route || r.route === filter.route) &&
        (!filter.since || r.at >= filter.since),
    );
  }

  /** The next OAuth authorize request approves at once as this user (null: show the picker). */
  preselectOAuthUser(userId: string | null) {
    this.ctx.oauth.preselectedUserId = userId;
  }

  /** The user's OAuth access tokens expire now, as Discord's do after a week; refresh tokens still work. */
  expireOAuthTokens(userId: string) {
    this.ctx.oauth.expireFor(userId);
  }

  /** Messages in a channel regardless of who may see them (for assertions). */
  channelMessages(channelId: string): MessageRecord[] {
    return [...(this.state.messages.get(channelId) ?? [])].filter(
      (m) => m.type !== MessageType.ThreadCreated,
    );
  }
}
