import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import type { ChannelRecord, GuildRecord } from './model.ts';
import type { OAuthStore } from './oauth-store.ts';
import type { DiscordState } from './state.ts';

// The emulator's world in a JSON file, so the offline demo's Discord keeps its
// channels, messages and people across restarts the way the database does.

const VERSION = 1;

/** A saved file that cannot be read back. */
export class StateFileError extends Error {
  constructor(file: string, reason: string) {
    super(`${file} cannot be read (${reason})`);
    this.name = 'StateFileError';
  }
}

// JSON has no Map, Set, bigint or bytes: they are written as tagged objects.
function encode(value: unknown): unknown {
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (Buffer.isBuffer(value)) return { $bytes: value.toString('base64') };
  if (value instanceof Map) return { $map: [...value].map(([k, v]) => [k, encode(v)]) };
  if (value instanceof Set) return { $set: [...value].map(encode) };
  if (Array.isArray(value)) return value.map(encode);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v)]));
  }
  return value;
}

function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode);
  if (!value || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1) {
    if (typeof o.$bigint === 'string') return BigInt(o.$bigint);
    if (typeof o.$bytes === 'string') return Buffer.from(o.$bytes, 'base64');
    if (Array.isArray(o.$map)) {
      return new Map((o.$map as [string, unknown][]).map(([k, v]) => [k, decode(v)]));
    }
    if (Array.isArray(o.$set)) return new Set(o.$set.map(decode));
  }
  return Object.fromEntries(keys.map((k) => [k, decode(o[k])]));
}

const record = z.looseObject({ id: z.string() });
const fileSchema = z.object({
  version: z.literal(VERSION),
  users: z.array(record),
  applications: z.array(record),
  // A guild's channels are the same objects as the world's; the file names them by id.
  guilds: z.array(record.extend({ channels: z.array(z.string()) })),
  channels: z.array(record),
  messages: z.array(z.tuple([z.string(), z.array(record)])),
  webhooks: z.array(record),
  commands: z.array(record),
  interactions: z.array(record),
  oauth: z.object({
    codes: z.array(z.tuple([z.string(), z.looseObject({ userId: z.string() })])),
    tokens: z.array(z.looseObject({ accessToken: z.string(), refreshToken: z.string() })),
  }),
});

/** The whole world as one JSON text. */
export function snapshot(state: DiscordState, oauth: OAuthStore): string {
  return JSON.stringify(
    encode({
      version: VERSION,
      users: [...state.users.values()],
      applications: [...state.applications.values()],
      guilds: [...state.guilds.values()].map((g) => ({ ...g, channels: [...g.channels.keys()] })),
      channels: [...state.channels.values()],
      messages: [...state.messages],
      webhooks: [...state.webhooks.values()],
      commands: [...state.commands.values()],
      interactions: [...state.interactions.values()],
      oauth: oauth.dump(),
    }),
  );
}

/** Replaces the world with a snapshot's; throws StateFileError naming what is wrong. */
export function restore(state: DiscordState, oauth: OAuthStore, text: string, file: string): void {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new StateFileError(file, error instanceof Error ? error.message : String(error));
  }
  const checked = fileSchema.safeParse(raw);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new StateFileError(file, `${issue?.path.join('.') || 'file'}: ${issue?.message}`);
  }
  const saved = decode(checked.data) as z.output<typeof fileSchema>;
  const fill = <T>(map: Map<string, T>, rows: { id: string }[]) => {
    map.clear();
    for (const row of rows) map.set(row.id, row as T);
  };
  fill(state.users, saved.users);
  fill(state.applications, saved.applications);
  fill(state.channels, saved.channels);
  fill(state.webhooks, saved.webhooks);
  fill(state.commands, saved.commands);
  fill(state.interactions, saved.interactions);
  state.messages.clear();
  for (const [channelId, rows] of saved.messages) {
    state.messages.set(channelId, rows as never);
  }
  state.guilds.clear();
  for (const g of saved.guilds) {
    const channels = new Map<string, ChannelRecord>();
    for (const id of g.channels) {
      const channel = state.channels.get(id);
      if (!channel) throw new StateFileError(file, `guild ${g.id} names unknown channel ${id}`);
      channels.set(id, channel);
    }
    state.guilds.set(g.id, { ...(g as unknown as GuildRecord), channels });
  }
  oauth.load(saved.oauth as unknown as Parameters<OAuthStore['load']>[0]);
}

/**
 * Keeps `file` up to date: a save shortly after each change, a safety save
 * every few seconds for changes nothing announced, and one at `close`. Writes
 * go to a temporary file renamed over the old one, so a crash mid-write
 * leaves the previous save whole.
 */
export class StatePersister {
  private timer: NodeJS.Timeout | undefined;
  private readonly interval: NodeJS.Timeout;
  private last = '';
  private readonly trySave: () => void;
  private readonly state: DiscordState;
  private readonly oauth: OAuthStore;
  readonly file: string;

  constructor(
    state: DiscordState,
    oauth: OAuthStore,
    file: string,
    options: { debounceMs?: number; intervalMs?: number; onError?: (error: unknown) => void } = {},
  ) {
    this.state = state;
    this.oauth = oauth;
    this.file = file;
    const onError =
      options.onError ??
      ((error: unknown) =>
        process.stderr.write(
          `Emulator: could not save ${file}: ${error instanceof Error ? error.message : String(error)}\n`,
        ));
    this.trySave = () => {
      try {
        this.save();
      } catch (error) {
        onError(error);
      }
    };
    const debounce = options.debounceMs ?? 200;
    const schedule = () => {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.trySave();
      }, debounce);
    };
    state.on('changed', schedule);
    oauth.onChange = schedule;
    this.interval = setInterval(this.trySave, options.intervalMs ?? 5000);
    this.interval.unref();
  }

  /** Reads the file into the world; false when there is none yet. */
  load(): boolean {
    if (!existsSync(this.file)) return false;
    const text = readFileSync(this.file, 'utf8');
    restore(this.state, this.oauth, text, this.file);
    this.last = text;
    return true;
  }

  /** Writes the world now if it differs from the last save. */
  save(): void {
    const text = snapshot(this.state, this.oauth);
    if (text === this.last) return;
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, this.file);
    this.last = text;
  }

  close(): void {
    clearTimeout(this.timer);
    clearInterval(this.interval);
    this.save();
  }
}
