import type { ApiError } from '@ticketflow/shared/api';

/** An answer other than 2xx, with the server's readable message. */
export class RequestError extends Error {
  readonly status: number;
  readonly body: ApiError | undefined;
  constructor(status: number, body: ApiError | undefined) {
    super(body?.message ?? `The server answered ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** JSON in, JSON out, same-origin cookies; a non-2xx answer throws RequestError. */
export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? 'GET',
      credentials: 'same-origin',
      headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      ...(init.signal ? { signal: init.signal } : {}),
    });
  } catch {
    throw new RequestError(0, {
      error: 'offline',
      message: 'The server cannot be reached. Check your connection.',
    });
  }
  if (res.status === 204) return undefined as T;
  const body = await res.json().catch(() => undefined);
  if (!res.ok) throw new RequestError(res.status, body as ApiError | undefined);
  return body as T;
}

/**
 * A send's key (shared/api.ts `sendKey`): 128 random bits, base64url
 * (crypto.randomUUID needs HTTPS or localhost).
 */
export function newSendKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replaceAll('=', '');
}

export const guildPath = (guildId: string) => `/api/guilds/${guildId}`;

/** Discord's CDN address of a user's avatar, or null when they have none. */
export function avatarUrl(user: { id: string; avatar: string | null } | null): string | null {
  if (!user?.avatar) return null;
  return `https://cdn.discordapp.com/avatars/${user.id}/${user.avatar}.png?size=64`;
}

export const displayName = (user: { username: string; globalName: string | null } | null) =>
  user ? (user.globalName ?? user.username) : 'Unknown';

const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];
const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
/** "3 minutes ago", "just now". */
export function timeAgo(iso: string, now = Date.now()): string {
  const diff = new Date(iso).getTime() - now;
  for (const [unit, size] of units) {
    if (Math.abs(diff) >= size) return relative.format(Math.round(diff / size), unit);
  }
  return 'just now';
}
