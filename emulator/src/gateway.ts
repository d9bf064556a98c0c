import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  ChannelType,
  GatewayCloseCodes,
  GatewayIntentBits,
  GatewayOpcodes,
} from 'discord-api-types/v10';
import { type WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import { randomToken } from './ids.ts';
import type { ApplicationRecord, ChannelRecord, GuildRecord, MessageRecord } from './model.ts';
import { channelPermissions, has, isThread, P } from './permissions.ts';
import type { Serializer } from './serialize.ts';
import type { DiscordState, StateEvent } from './state.ts';

const I = GatewayIntentBits;
const PRIVILEGED = I.GuildMembers | I.GuildPresences | I.MessageContent;
const ALL_INTENTS = Object.values(GatewayIntentBits)
  .filter((v): v is number => typeof v === 'number')
  .reduce((a, b) => a | b, 0);

interface Dispatch {
  op: 0;
  s: number;
  t: string;
  d: unknown;
}

interface Session {
  id: string;
  app: ApplicationRecord;
  intents: number;
  shard: [number, number];
  seq: number;
  /** Dispatches kept for RESUME. */
  sent: Dispatch[];
  socket: WebSocket | null;
  invalid: boolean;
}

const identifySchema = z.object({
  token: z.string(),
  intents: z.number().int().nonnegative(),
  properties: z.record(z.string(), z.unknown()).optional(),
  shard: z.tuple([z.number().int().nonnegative(), z.number().int().positive()]).optional(),
});
const resumeSchema = z.object({ token: z.string(), session_id: z.string(), seq: z.number().int() });
const requestMembersSchema = z.object({
  guild_id: z.union([z.string(), z.array(z.string())]),
  query: z.string().optional(),
  limit: z.number().int().nonnegative().optional(),
  user_ids: z.union([z.string(), z.array(z.string())]).optional(),
  nonce: z.string().optional(),
});
const frameSchema = z.object({ op: z.number().int(), d: z.unknown() });

export interface GatewayOptions {
  heartbeatIntervalMs?: number;
  /** How many dispatches a session keeps for RESUME. */
  replayLimit?: number;
}

/** Which shard a guild belongs to, by Discord's formula. */
export function shardOf(guildId: string, shardCount: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(shardCount));
}

/**
 * Discord's gateway over WebSocket with JSON text frames: HELLO, IDENTIFY,
 * READY and GUILD_CREATEs, heartbeats, RESUME with replay, INVALID_SESSION,
 * intents (and MESSAGE_CONTENT), shards, and permission-filtered dispatches.
 */
export class Gateway {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sessions = new Map<string, Session>();
  private readonly heartbeatInterval: number;
  private readonly replayLimit: number;
  /** Every frame sent or received, newest last (for tests that count dispatches). */
  readonly log: { direction: 'in' | 'out'; op: number; t?: string | null; s?: number | null }[] =
    [];

  private readonly state: DiscordState;
  private readonly serializer: Serializer;
  private readonly publicUrl: () => string;

  constructor(
    state: DiscordState,
    serializer: Serializer,
    publicUrl: () => string,
    options: GatewayOptions = {},
  ) {
    this.state = state;
    this.serializer = serializer;
    this.publicUrl = publicUrl;
    this.heartbeatInterval = options.heartbeatIntervalMs ?? 41_250;
    this.replayLimit = options.replayLimit ?? 10_000;
    state.on('event', (event) => this.broadcast(event));
    this.wss.on('connection', (socket) => this.accept(socket));
  }

  get url(): string {
    return `${this.publicUrl().replace(/^http/, 'ws')}/gateway`;
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://x');
    if (url.searchParams.get('encoding') === 'etf' || url.searchParams.has('compress')) {
      // Only JSON text frames are emulated.
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => this.wss.emit('connection', ws, request));
  }

  /** Connected sessions (for tests and the control API). */
  connectedSessions(): { id: string; appId: string; shard: [number, number] }[] {
    return [...this.sessions.values()]
      .filter((s) => s.socket)
      .map((s) => ({ id: s.id, appId: s.app.id, shard: s.shard }));
  }

  /**
   * Drops every connection without a close frame. `resumable: false` also
   * forgets the sessions, so a RESUME gets INVALID_SESSION and the client must identify again.
   */
  drop(options: { resumable?: boolean } = {}): number {
    let dropped = 0;
    for (const session of this.sessions.values()) {
      if (options.resumable === false) session.invalid = true;
      if (session.socket) {
        session.socket.terminate();
        session.socket = null;
        dropped += 1;
      }
    }
    return dropped;
  }

  close(): void {
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }

  private send(
    socket: WebSocket,
    payload: { op: number; d: unknown; s?: number | null; t?: string | null },
  ) {
    this.log.push({ direction: 'out', op: payload.op, t: payload.t ?? null, s: payload.s ?? null });
    if (this.log.length > 50_000) this.log.splice(0, 10_000);
    socket.send(JSON.stringify({ s: null, t: null, ...payload }));
  }

  private accept(socket: WebSocket) {
    let session: Session | null = null;
    this.send(socket, {
      op: GatewayOpcodes.Hello,
      d: { heartbeat_interval: this.heartbeatInterval },
    });
    socket.on('message', (raw, isBinary) => {
      if (isBinary)
        return socket.close(GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
      let frame: z.infer<typeof frameSchema>;
      try {
        frame = frameSchema.parse(JSON.parse(raw.toString()));
      } catch {
        return socket.close(GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
      }
      this.log.push({ direction: 'in', op: frame.op });
      switch (frame.op) {
        case GatewayOpcodes.Heartbeat:
          return this.send(socket, { op: GatewayOpcodes.HeartbeatAck, d: null });
        case GatewayOpcodes.Identify:
          if (session)
            return socket.close(GatewayCloseCodes.AlreadyAuthenticated, 'Already authenticated.');
          session = this.identify(socket, frame.d);
          return;
        case GatewayOpcodes.Resume:
          if (session)
            return socket.close(GatewayCloseCodes.AlreadyAuthenticated, 'Already authenticated.');
          session = this.resume(socket, frame.d);
          return;
        case GatewayOpcodes.RequestGuildMembers:
          if (!session)
            return socket.close(GatewayCloseCodes.NotAuthenticated, 'Not authenticated.');
          return this.requestMembers(session, socket, frame.d);
        case GatewayOpcodes.PresenceUpdate:
        case GatewayOpcodes.VoiceStateUpdate:
          return;
        default:
          return socket.close(GatewayCloseCodes.UnknownOpcode, 'Unknown opcode.');
      }
    });
    socket.on('close', () => {
      if (session && session.socket === socket) session.socket = null;
    });
    socket.on('error', () => {});
  }

  private identify(socket: WebSocket, data: unknown): Session | null {
    const parsed = identifySchema.safeParse(data);
    if (!parsed.success) {
      socket.close(GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
      return null;
    }
    const app = this.state.applicationByToken(parsed.data.token.replace(/^Bot /, ''));
    if (!app) {
      socket.close(GatewayCloseCodes.AuthenticationFailed, 'Authentication failed.');
      return null;
    }
    const intents = parsed.data.intents;
    if ((intents & ~ALL_INTENTS) !== 0) {
      socket.close(GatewayCloseCodes.InvalidIntents, 'Invalid intent(s).');
      return null;
    }
    if ((intents & PRIVILEGED & ~app.privilegedIntents) !== 0) {
      socket.close(GatewayCloseCodes.DisallowedIntents, 'Disallowed intent(s).');
      return null;
    }
    const shard = parsed.data.shard ?? [0, 1];
    if (shard[0] >= shard[1]) {
      socket.close(GatewayCloseCodes.InvalidShard, 'Invalid shard.');
      return null;
    }
    const session: Session = {
      id: randomToken(16),
      app,
      intents,
      shard,
      seq: 0,
      sent: [],
      socket,
      invalid: false,
    };
    this.sessions.set(session.id, session);
    const guilds = this.guildsOf(session);
    const bot = this.state.user(app.botUserId);
    this.dispatch(session, 'READY', {
      v: 10,
      user: { ...this.serializer.user(bot), verified: true, mfa_enabled: false, email: null },
      guilds: guilds.map((g) => ({ id: g.id, unavailable: true })),
      session_id: session.id,
      session_type: 'normal',
      resume_gateway_url: this.url,
      shard,
      application: { id: app.id, flags: 0 },
      user_settings: {},
      relationships: [],
      private_channels: [],
      presences: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: ['local'],
      auth: {},
    });
    for (const guild of guilds)
      this.dispatch(session, 'GUILD_CREATE', this.guildCreate(session, guild));
    return session;
  }

  private resume(socket: WebSocket, data: unknown): Session | null {
    const parsed = resumeSchema.safeParse(data);
    const session = parsed.success ? this.sessions.get(parsed.data.session_id) : undefined;
    if (
      !parsed.success ||
      !session ||
      session.invalid ||
      session.app.botToken !== parsed.data.token.replace(/^Bot /, '') ||
      parsed.data.seq > session.seq ||
      (session.sent[0] && parsed.data.seq < session.sent[0].s - 1)
    ) {
      if (session?.invalid) this.sessions.delete(session.id);
      this.send(socket, { op: GatewayOpcodes.InvalidSession, d: false });
      return null;
    }
    session.socket?.terminate();
    session.socket = socket;
    for (const dispatch of session.sent) {
      if (dispatch.s > parsed.data.seq) this.send(socket, dispatch);
    }
    this.dispatch(session, 'RESUMED', null);
    return session;
  }

  private requestMembers(session: Session, socket: WebSocket, data: unknown) {
    const parsed = requestMembersSchema.safeParse(data);
    if (!parsed.success)
      return socket.close(GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
    if (!(session.intents & I.GuildMembers) && !parsed.data.user_ids) {
      return socket.close(GatewayCloseCodes.DisallowedIntents, 'Disallowed intent(s).');
    }
    const ids = ([] as string[]).concat(parsed.data.guild_id);
    const wanted = parsed.data.user_ids
      ? new Set(([] as string[]).concat(parsed.data.user_ids))
      : null;
    for (const guildId of ids) {
      const guild = this.state.guilds.get(guildId);
      if (!guild) continue;
      const query = (parsed.data.query ?? '').toLowerCase();
      let members = [...guild.members.values()].filter((m) => {
        if (wanted) return wanted.has(m.userId);
        return this.state.user(m.userId).username.toLowerCase().startsWith(query);
      });
      if (parsed.data.limit) members = members.slice(0, parsed.data.limit);
      this.dispatch(session, 'GUILD_MEMBERS_CHUNK', {
        guild_id: guildId,
        members: members.map((m) => this.serializer.member(m)),
        chunk_index: 0,
        chunk_count: 1,
        not_found: wanted ? [...wanted].filter((id) => !guild.members.has(id)) : [],
        ...(parsed.data.nonce ? { nonce: parsed.data.nonce } : {}),
      });
    }
  }

  private dispatch(session: Session, t: string, d: unknown) {
    session.seq += 1;
    const payload: Dispatch = { op: 0, s: session.seq, t, d };
    session.sent.push(payload);
    if (session.sent.length > this.replayLimit) session.sent.shift();
    if (session.socket) this.send(session.socket, payload);
  }

  private guildsOf(session: Session): GuildRecord[] {
    return [...this.state.guilds.values()].filter(
      (g) => g.members.has(session.app.botUserId) && this.ownsGuild(session, g.id),
    );
  }

  private ownsGuild(session: Session, guildId: string | null): boolean {
    return shardOf(guildId ?? '0', session.shard[1]) === session.shard[0];
  }

  private guildCreate(session: Session, guild: GuildRecord) {
    const botId = session.app.botUserId;
    const members = [...guild.members.values()];
    const channels = [...guild.channels.values()];
    return {
      ...this.serializer.guild(guild),
      joined_at: guild.members.get(botId)?.joinedAt,
      large: members.length > 250,
      unavailable: false,
      member_count: members.length,
      voice_states: [],
      // Without GUILD_MEMBERS only the bot itself is sent, as Discord does.
      members: (session.intents & I.GuildMembers
        ? members
        : members.filter((m) => m.userId === botId)
      ).map((m) => this.serializer.member(m)),
      channels: channels.filter((c) => !isThread(c)).map((c) => this.serializer.channel(c)),
      threads: channels
        .filter((c) => isThread(c) && has(channelPermissions(guild, c, botId), P.ViewChannel))
        .map((c) => this.serializer.channel(c)),
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
      lazy: true,
    };
  }

  private canView(session: Session, channel: ChannelRecord): boolean {
    if (channel.type === ChannelType.DM) return channel.recipients.includes(session.app.botUserId);
    const guild = channel.guildId ? this.state.guilds.get(channel.guildId) : undefined;
    return Boolean(
      guild && has(channelPermissions(guild, channel, session.app.botUserId), P.ViewChannel),
    );
  }

  private inGuild(session: Session, guildId: string | null): boolean {
    if (!guildId) return false;
    const guild = this.state.guilds.get(guildId);
    return Boolean(guild?.members.has(session.app.botUserId)) && this.ownsGuild(session, guildId);
  }

  private messageIntent(session: Session, guildId: string | null): boolean {
    return Boolean(session.intents & (guildId ? I.GuildMessages : I.DirectMessages));
  }

  private withContent(session: Session, message: MessageRecord): boolean {
    const bot = session.app.botUserId;
    return (
      Boolean(session.intents & I.MessageContent) ||
      message.guildId === null ||
      message.authorId === bot ||
      message.mentions.includes(bot)
    );
  }

  /** Turns one change into a dispatch for one session, or nothing when it may not see it. */
  private payloadFor(session: Session, event: StateEvent): { t: string; d: unknown } | null {
    const guilds = Boolean(session.intents & I.Guilds);
    switch (event.t) {
      case 'MESSAGE_CREATE':
      case 'MESSAGE_UPDATE': {
        const m = event.message;
        const channel = this.state.channels.get(m.channelId);
        if (m.visibleTo !== null || !channel || !this.messageIntent(session, m.guildId))
          return null;
        if (m.guildId ? !this.inGuild(session, m.guildId) : !this.ownsGuild(session, null))
          return null;
        if (!this.canView(session, channel)) return null;
        return {
          t: event.t,
          d: this.serializer.message(m, {
            withContent: this.withContent(session, m),
            gateway: true,
          }),
        };
      }
      case 'MESSAGE_DELETE':
      case 'MESSAGE_DELETE_BULK': {
        const channel = this.state.channels.get(event.channelId);
        if (!this.messageIntent(session, event.guildId)) return null;
        if (event.guildId && !this.inGuild(session, event.guildId)) return null;
        if (channel && !this.canView(session, channel)) return null;
        const ids = event.t === 'MESSAGE_DELETE' ? { id: event.id } : { ids: event.ids };
        return {
          t: event.t,
          d: {
            ...ids,
            channel_id: event.channelId,
            ...(event.guildId ? { guild_id: event.guildId } : {}),
          },
        };
      }
      case 'CHANNEL_CREATE':
      case 'CHANNEL_UPDATE':
      case 'CHANNEL_DELETE':
        if (!guilds || !this.inGuild(session, event.channel.guildId)) return null;
        return { t: event.t, d: this.serializer.channel(event.channel) };
      case 'THREAD_CREATE':
      case 'THREAD_UPDATE':
        if (!guilds || !this.inGuild(session, event.channel.guildId)) return null;
        if (!this.canView(session, event.channel)) return null;
        return {
          t: event.t,
          d: {
            ...this.serializer.channel(event.channel),
            ...(event.t === 'THREAD_CREATE' ? { newly_created: true } : {}),
          },
        };
      case 'THREAD_DELETE':
        if (!guilds || !this.inGuild(session, event.channel.guildId)) return null;
        return {
          t: event.t,
          d: {
            id: event.channel.id,
            guild_id: event.channel.guildId,
            parent_id: event.channel.parentId,
            type: event.channel.type,
          },
        };
      case 'THREAD_MEMBERS_UPDATE': {
        const c = event.channel;
        if (!guilds || !this.inGuild(session, c.guildId)) return null;
        const botRemoved = event.removed.includes(session.app.botUserId);
        if (!botRemoved && !this.canView(session, c)) return null;
        return {
          t: event.t,
          d: {
            id: c.id,
            guild_id: c.guildId,
            member_count: c.threadMembers.size,
            added_members: event.added.map((userId) => ({
              id: c.id,
              user_id: userId,
              join_timestamp: new Date().toISOString(),
              flags: 0,
            })),
            removed_member_ids: event.removed,
          },
        };
      }
      case 'GUILD_MEMBER_ADD':
      case 'GUILD_MEMBER_UPDATE': {
        const isSelf = event.userId === session.app.botUserId;
        if (!this.inGuild(session, event.guildId)) return null;
        if (!(session.intents & I.GuildMembers) && !isSelf) return null;
        const member = this.state.guilds.get(event.guildId)?.members.get(event.userId);
        if (!member) return null;
        return { t: event.t, d: { ...this.serializer.member(member), guild_id: event.guildId } };
      }
      case 'GUILD_MEMBER_REMOVE':
        if (!(session.intents & I.GuildMembers) || !this.inGuild(session, event.guildId))
          return null;
        return {
          t: event.t,
          d: { guild_id: event.guildId, user: this.serializer.user(event.user) },
        };
      case 'GUILD_ROLE_CREATE':
      case 'GUILD_ROLE_UPDATE':
        if (!guilds || !this.inGuild(session, event.guildId)) return null;
        return {
          t: event.t,
          d: { guild_id: event.guildId, role: this.serializer.role(event.role) },
        };
      case 'GUILD_ROLE_DELETE':
        if (!guilds || !this.inGuild(session, event.guildId)) return null;
        return { t: event.t, d: { guild_id: event.guildId, role_id: event.roleId } };
      case 'GUILD_CREATE': {
        if (event.userId !== session.app.botUserId || !this.inGuild(session, event.guildId))
          return null;
        const guild = this.state.guilds.get(event.guildId);
        return guild ? { t: event.t, d: this.guildCreate(session, guild) } : null;
      }
      case 'GUILD_UPDATE': {
        if (!guilds || !this.inGuild(session, event.guildId)) return null;
        const guild = this.state.guilds.get(event.guildId);
        return guild ? { t: event.t, d: this.serializer.guild(guild) } : null;
      }
      case 'GUILD_DELETE':
        if (event.userId !== session.app.botUserId || !this.ownsGuild(session, event.guildId))
          return null;
        return { t: event.t, d: { id: event.guildId } };
      case 'INTERACTION_CREATE': {
        const i = event.interaction;
        if (i.applicationId !== session.app.id || !this.ownsGuild(session, i.guildId)) return null;
        return { t: event.t, d: this.serializer.interaction(i) };
      }
      case 'INTERACTION_RESPONSE':
        return null;
    }
  }

  private broadcast(event: StateEvent) {
    for (const session of this.sessions.values()) {
      if (session.invalid) continue;
      const payload = this.payloadFor(session, event);
      if (payload) this.dispatch(session, payload.t, payload.d);
    }
  }
}
