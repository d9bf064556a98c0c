import { z } from 'zod';

/** A fault to inject on matching REST calls, by rate or by count. */
export const faultSchema = z.object({
  /** HTTP method, or any. */
  method: z.string().toUpperCase().optional(),
  /** Route pattern as Discord documents it (`/channels/:channelId/messages`), or a path prefix. */
  route: z.string().optional(),
  kind: z.enum(['rate_limit', 'server_error', 'slow', 'reset']),
  /** Fraction of matching calls that fail (default all). */
  rate: z.number().min(0).max(1).default(1),
  /** Stop after this many injected faults (default: until cleared). */
  count: z.number().int().positive().optional(),
  /** rate_limit: seconds to wait; global makes it a global limit. */
  retryAfter: z.number().nonnegative().default(0.05),
  global: z.boolean().default(false),
  /** server_error: which status. */
  status: z.number().int().min(500).max(599).default(500),
  /** slow: delay before the real answer. */
  delayMs: z.number().int().nonnegative().default(1000),
});
export type FaultInput = z.input<typeof faultSchema>;
type Fault = z.output<typeof faultSchema> & { id: number; injected: number };

export type FaultAction =
  | { kind: 'rate_limit'; retryAfter: number; global: boolean }
  | { kind: 'server_error'; status: number }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'reset' };

export class Faults {
  private rules: Fault[] = [];
  private nextId = 1;

  add(input: FaultInput): number {
    const rule = { ...faultSchema.parse(input), id: this.nextId++, injected: 0 };
    this.rules.push(rule);
    return rule.id;
  }

  clear(id?: number): void {
    this.rules = id === undefined ? [] : this.rules.filter((r) => r.id !== id);
  }

  list() {
    return this.rules.map((r) => ({ ...r }));
  }

  /** The fault to apply to this call, if a rule matches and its dice say so. */
  match(method: string, route: string, path: string): FaultAction | null {
    for (const rule of this.rules) {
      if (rule.method && rule.method !== method.toUpperCase()) continue;
      if (rule.route && rule.route !== route && !path.startsWith(rule.route)) continue;
      if (rule.count !== undefined && rule.injected >= rule.count) continue;
      if (Math.random() >= rule.rate) continue;
      rule.injected += 1;
      switch (rule.kind) {
        case 'rate_limit':
          return { kind: 'rate_limit', retryAfter: rule.retryAfter, global: rule.global };
        case 'server_error':
          return { kind: 'server_error', status: rule.status };
        case 'slow':
          return { kind: 'slow', delayMs: rule.delayMs };
        case 'reset':
          return { kind: 'reset' };
      }
    }
    return null;
  }
}
