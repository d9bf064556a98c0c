import { UpstreamError } from '@ticketflow/shared/errors';
import { BOT_PERMISSIONS } from '@ticketflow/shared/permissions';
import { z } from 'zod';

/** Where the server reaches Discord (or the emulator) and who it is there. */
export interface DiscordOptions {
  /** REST base, e.g. https://discord.com/api (the version is added here). */
  apiUrl: string;
  /** Where people authorise, e.g. https://discord.com. */
  oauthUrl: string;
  clientId: string;
  clientSecret: string;
  botToken: string;
}

/** Discord answered with an error; the API answers 503 unless a route handles it. */
export class DiscordRequestError extends UpstreamError {
  /** Discord's status (the API's own is 503). */
  readonly discordStatus: number;
  constructor(discordStatus: number, path: string) {
    super();
    this.discordStatus = discordStatus;
    this.cause = `Discord answered ${discordStatus} for ${path}`;
  }
}

const user = z.object({
  id: z.string(),
  username: z.string(),
  global_name: z.string().nullable().optional(),
  avatar: z.string().nullable().optional(),
});
const member = z.object({ roles: z.array(z.string()), user: user.optional() });
const role = z.object({
  id: z.string(),
  name: z.string(),
  color: z.number(),
  permissions: z.string(),
  position: z.number(),
});
const userGuild = z.object({
  id: z.string(),
  name: z.string(),
  icon: z.string().nullable(),
  owner: z.boolean(),
  permissions: z.string(),
});
const channel = z.object({
  id: z.string(),
  name: z.string().nullable().optional(),
  type: z.number(),
  parent_id: z.string().nullable().optional(),
});

export type DiscordUser = z.infer<typeof user>;
export type DiscordRole = z.infer<typeof role>;
export type UserGuild = z.infer<typeof userGuild>;

/**
 * The few Discord REST calls the server makes: the bot's view of members,
 * roles and channels (for access checks and settings pickers) and the user's
 * own identity and guild list with their OAuth token. Answers are validated;
 * a 429 is waited out once.
 */
export class DiscordClient {
  readonly options: DiscordOptions;
  constructor(options: DiscordOptions) {
    this.options = options;
  }

  private async request<T extends z.ZodType>(
    path: string,
    auth: string,
    schema: T,
    attempt = 0,
    method = 'GET',
  ): Promise<z.output<T> | undefined> {
    const res = await fetch(`${this.options.apiUrl}/v10${path}`, {
      method,
      headers: { authorization: auth, 'user-agent': 'DiscordBot (ticketflow, 0.1)' },
      signal: AbortSignal.timeout(10_000),
    }).catch(() => {
      throw new DiscordRequestError(0, path);
    });
    if (res.status === 404) return undefined;
    if (res.status === 429 && attempt === 0) {
      const body = (await res.json().catch(() => ({}))) as { retry_after?: number };
      await new Promise((r) => setTimeout(r, Math.min(5, body.retry_after ?? 1) * 1000));
      return this.request(path, auth, schema, 1, method);
    }
    if (!res.ok) {
      throw new DiscordRequestError(res.status, path);
    }
    if (res.status === 204) return schema.parse(undefined);
    return schema.parse(await res.json());
  }

  private bot<T extends z.ZodType>(path: string, schema: T) {
    return this.request(path, `Bot ${this.options.botToken}`, schema);
  }

  /** Makes the bot leave a guild (after its data was erased, when the owner asks); not being in it is fine. */
  async leaveGuild(guildId: string): Promise<void> {
    await this.request(
      `/users/@me/guilds/${guildId}`,
      `Bot ${this.options.botToken}`,
      z.undefined(),
      0,
      'DELETE',
    );
  }

  /** Members whose username or nickname starts with `query` (Discord's member search), at most `limit`. */
  async searchMembers(guildId: string, query: string, limit = 25) {
    const q = new URLSearchParams({ query, limit: String(limit) });
    const list = (await this.bot(`/guilds/${guildId}/members/search?${q}`, z.array(member))) ?? [];
    return list.flatMap((m) =>
      m.user
        ? [
            {
              id: m.user.id,
              username: m.user.username,
              globalName: m.user.global_name ?? null,
              avatar: m.user.avatar ?? null,
            },
          ]
        : [],
    );
  }

  /** A guild member's role ids, or undefined when they are not a member. */
  async memberRoles(guildId: string, userId: string): Promise<string[] | undefined> {
    const m = await this.bot(`/guilds/${guildId}/members/${userId}`, member);
    return m?.roles;
  }

  async roles(guildId: string): Promise<DiscordRole[]> {
    return (await this.bot(`/guilds/${guildId}/roles`, z.array(role))) ?? [];
  }

  async channels(guildId: string) {
    const list = (await this.bot(`/guilds/${guildId}/channels`, z.array(channel))) ?? [];
    return list.map((c) => ({
      id: c.id,
      name: c.name ?? '',
      type: c.type,
      parentId: c.parent_id ?? null,
    }));
  }

  async currentUser(accessToken: string): Promise<DiscordUser> {
    const me = await this.request('/users/@me', `Bearer ${accessToken}`, user);
    if (!me) throw new DiscordRequestError(404, '/users/@me');
    return me;
  }

  async currentUserGuilds(accessToken: string): Promise<UserGuild[]> {
    return (
      (await this.request('/users/@me/guilds', `Bearer ${accessToken}`, z.array(userGuild))) ?? []
    );
  }

  /** The link that adds the bot to a guild with the permissions it needs. */
  inviteUrl(guildId?: string): string {
    const url = new URL('/oauth2/authorize', this.options.oauthUrl);
    url.search = new URLSearchParams({
      client_id: this.options.clientId,
      scope: 'bot applications.commands',
      permissions: BOT_PERMISSIONS.toString(),
      ...(guildId ? { guild_id: guildId, disable_guild_select: 'true' } : {}),
    }).toString();
    return url.toString();
  }
}
