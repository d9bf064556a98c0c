import { scheduleJob } from '@ticketflow/db/repositories/jobs';
import {
  listAutoCloseCandidates,
  recordAutoCloseWarning,
} from '@ticketflow/db/repositories/tickets';
import { tickets } from '@ticketflow/db/schema';
import { DiscordAPIError, RESTJSONErrorCodes, Routes } from 'discord.js';
import { eq } from 'drizzle-orm';
import type { BotContext } from '../context.ts';
import type { JobHandler } from '../jobs-worker.ts';
import { closeInDiscord, describeDuration } from './closing.ts';

export const AUTO_CLOSE_SWEEP = { kind: 'auto-close-sweep', key: 'auto-close-sweep' } as const;

/** How long after the warning a silent ticket closes: half the inactivity window, at most a day. */
export function graceHours(autoCloseHours: number): number {
  return Math.min(24, autoCloseHours / 2);
}

/** Runs the sweep now (and from then on every interval); any bot process may. */
export function scheduleAutoCloseSweep(ctx: BotContext, at: Date = new Date()) {
  return scheduleJob(ctx.db, { ...AUTO_CLOSE_SWEEP, runAt: at });
}

/**
 * Auto-close, per category: a ticket whose opener has not written for the
 * category's hours gets a warning in its channel; if the opener still says
 * nothing for the grace period, it closes. State lives in the database (the
 * opener's last message, the warning event), so restarts change nothing.
 */
export function autoCloseSweep(ctx: BotContext, intervalMs: number): JobHandler {
  return async () => {
    const now = Date.now();
    for (const c of await listAutoCloseCandidates(ctx.db)) {
      const quietMs = now - c.lastActive.getTime();
      if (quietMs < c.autoCloseHours * 3_600_000) continue;
      try {
        if (c.warnedAt && c.warnedAt > c.lastActive) {
          if (now - c.warnedAt.getTime() < graceHours(c.autoCloseHours) * 3_600_000) continue;
          const [ticket] = await ctx.db.select().from(tickets).where(eq(tickets.id, c.id));
          if (!ticket) continue;
          await closeInDiscord(ctx, ticket, {
            actorId: null,
            reason: `No reply from the opener for ${describeDuration(quietMs / 1000)}`,
          });
        } else {
          await ctx.client.rest.post(Routes.channelMessages(c.channelId), {
            body: {
              content: `<@${c.openerId}>, we have not heard from you for ${describeDuration(quietMs / 1000)}. This ticket will close in ${describeDuration(graceHours(c.autoCloseHours) * 3600)} unless you reply.`,
              allowed_mentions: { users: [c.openerId] },
            },
          });
          await recordAutoCloseWarning(ctx.db, c);
        }
      } catch (error) {
        // A channel deleted by hand is closed by the mirror or the next backfill.
        if (error instanceof DiscordAPIError && error.code === RESTJSONErrorCodes.UnknownChannel)
          continue;
        ctx.log.error({ err: error, ticketId: c.id }, 'auto-close failed for a ticket');
      }
    }
    return { next: new Date(now + intervalMs) };
  };
}
