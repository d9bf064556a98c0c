import { and, eq, inArray } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { auditLog, dataRequests } from '../schema.ts';
import { scheduleJob } from './jobs.ts';

/**
 * An admin asks for an export of their server (on the web or with
 * `/ticketflow export`): a request row, the background job that builds the
 * archive, and the audit entry, in one transaction. One export at a time per
 * server: asking while one is under way returns that one.
 */
export async function requestExport(
  db: Executor,
  input: { guildId: string; userId: string; ip?: string | null; userAgent?: string | null },
) {
  return db.transaction(async (tx) => {
    const [running] = await tx
      .select()
      .from(dataRequests)
      .where(
        and(
          eq(dataRequests.guildId, input.guildId),
          eq(dataRequests.kind, 'export'),
          inArray(dataRequests.status, ['pending', 'running']),
        ),
      )
      .for('update');
    if (running) return { request: running, created: false };
    const [request] = await tx
      .insert(dataRequests)
      .values({ guildId: input.guildId, kind: 'export', requestedBy: input.userId })
      .returning();
    if (!request) throw new Error('data request insert returned nothing');
    await scheduleJob(tx, {
      kind: 'export',
      key: `export:${request.id}`,
      guildId: input.guildId,
      runAt: new Date(),
      payload: { requestId: request.id, guildId: input.guildId },
    });
    await tx.insert(auditLog).values({
      guildId: input.guildId,
      actorId: input.userId,
      action: 'export.requested',
      targetType: 'data_request',
      targetId: request.id,
      ip: input.ip ?? null,
      userAgent: input.userAgent ?? null,
    });
    return { request, created: true };
  });
}
