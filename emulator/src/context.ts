import type { Gateway } from './gateway.ts';
import type { Faults } from './http/faults.ts';
import type { RateLimiter } from './http/ratelimit.ts';
import type { OAuthStore } from './oauth-store.ts';
import type { Serializer } from './serialize.ts';
import type { DiscordState } from './state.ts';

export interface RequestLogEntry {
  at: number;
  method: string;
  path: string;
  /** The route as Discord documents it, e.g. `/channels/:channelId/messages`. */
  route: string;
  status: number;
  auth: 'bot' | 'bearer' | 'none';
  body?: unknown;
  /** Set when a fault was injected instead of the real answer. */
  fault?: string;
}

/** Everything the HTTP side of the emulator works with. */
export interface EmulatorContext {
  state: DiscordState;
  serializer: Serializer;
  gateway: Gateway;
  oauth: OAuthStore;
  faults: Faults;
  limiter: RateLimiter;
  requestLog: RequestLogEntry[];
  baseUrl(): string;
}
