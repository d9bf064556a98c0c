import { eventually } from '@ticketflow/shared/testing';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Executor } from '../src/client.ts';
import { createJobWorker } from '../src/job-worker.ts';
import { markGuildLeft, upsertGuild } from '../src/repositories/guilds.ts';
import { cancelJob, jobQueue, scheduleJob } from '../src/repositories/jobs.ts';
import { enqueueOutbox, outboxQueue } from '../src/repositories/outbox.ts';
import { createTicket } from '../src/repositories/tickets.ts';
import { jobs, outbox } from '../src/schema.ts';
import { useTestDatabase } from '../src/testing.ts';
import { seedGuild } from './support.ts';

/** Polls `claim` until it returns something or the deadline passes. */
async function claimWithin<T>(claim: () => Promise<T[]>, ms = 10_000): Promise<T[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await claim();
    if (got.length > 0 || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('outbox', () => {
  const t = useTestDatabase();
  let guildId: string;
  beforeAll(async () => {
    guildId = await seedGuild(t.handle.db);
  });

  const enqueue = (db: Executor, n: number) =>
    db.transaction(async (tx) => {
      const ids: number[] = [];
      for (let i = 0; i < n; i++) {
        ids.push((await enqueueOutbox(tx, { guildId, kind: 'reply', payload: { i } })).id);
      }
      return ids;
    });

  it('never hands the same item to two workers claiming at the same time', async () => {
    const ids = await enqueue(t.handle.db, 60);
    const [a, b] = [await t.connect(1), await t.connect(1)];
    const seen: number[] = [];
    const work = async (db: Executor, workerId: string) => {
      for (;;) {
        const batch = await outboxQueue.claim(db, { workerId, limit: 3 });
        if (batch.length === 0) return;
        for (const item of batch) {
          seen.push(item.id);
          expect(await outboxQueue.complete(db, { id: item.id, workerId })).toBe(true);
        }
      }
    };
    await Promise.all([work(a.db, 'worker-a'), work(b.db, 'worker-b')]);
    expect([...seen].sort((x, y) => x - y)).toEqual(ids);
  });

  it('makes an item claimable again when its lease runs out, and refuses the late worker', async () => {
    const [id] = await enqueue(t.handle.db, 1);
    const [first] = await outboxQueue.claim(t.handle.db, { workerId: 'slow', leaseMs: 200 });
    expect(first?.id).toBe(id);
    expect(await outboxQueue.claim(t.handle.db, { workerId: 'other' })).toEqual([]);
    const [again] = await claimWithin(() => outboxQueue.claim(t.handle.db, { workerId: 'other' }));
    expect(again?.id).toBe(id);
    expect(again?.attempts).toBe(2);
    expect(await outboxQueue.complete(t.handle.db, { id: id as number, workerId: 'slow' })).toBe(
      false,
    );
    expect(await outboxQueue.complete(t.handle.db, { id: id as number, workerId: 'other' })).toBe(
      true,
    );
  });

  it('holds a retried item back until its delay has passed, and keeps a failure reason', async () => {
    const [id] = (await enqueue(t.handle.db, 1)) as [number];
    await outboxQueue.claim(t.handle.db, { workerId: 'w' });
    await outboxQueue.retry(t.handle.db, { id, workerId: 'w' }, 60_000, {
      message: 'rate limited',
      status: 429,
    });
    expect(await outboxQueue.claim(t.handle.db, { workerId: 'w' })).toEqual([]);

    const [id2] = (await enqueue(t.handle.db, 1)) as [number];
    await outboxQueue.claim(t.handle.db, { workerId: 'w' });
    await outboxQueue.fail(
      t.handle.db,
      { id: id2, workerId: 'w' },
      { message: 'Missing Permissions', status: 403, code: 50013 },
    );
    const [row] = await t.handle.db.select().from(outbox).where(eq(outbox.id, id2));
    expect(row).toMatchObject({ status: 'failed', lastError: { code: 50013 } });
  });

  it('does not exist when the transaction that queued it rolls back', async () => {
    const before = (await t.handle.db.select().from(outbox)).length;
    await expect(
      t.handle.db.transaction(async (tx) => {
        await enqueueOutbox(tx, { guildId, kind: 'reply' });
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect((await t.handle.db.select().from(outbox)).length).toBe(before);
  });
});

describe('jobs', () => {
  const t = useTestDatabase();

  it('runs a job only once it is due', async () => {
    await scheduleJob(t.handle.db, { kind: 'later', runAt: new Date(Date.now() + 3_600_000) });
    const due = await scheduleJob(t.handle.db, { kind: 'now', runAt: new Date(Date.now() - 1000) });
    const claimed = await jobQueue.claim(t.handle.db, { workerId: 'w' });
    expect(claimed.map((j) => j.id)).toEqual([due.id]);
    expect(await jobQueue.complete(t.handle.db, { id: due.id, workerId: 'w' })).toBe(true);
  });

  it('keeps one pending job per key: scheduling again moves it, cancelling removes it', async () => {
    const guildId = await seedGuild(t.handle.db);
    const key = `purge-guild:${guildId}`;
    const first = await scheduleJob(t.handle.db, {
      kind: 'purge',
      key,
      guildId,
      runAt: new Date(Date.now() + 1000),
    });
    const later = new Date(Date.now() + 30 * 86_400_000);
    const second = await scheduleJob(t.handle.db, { kind: 'purge', key, guildId, runAt: later });
    expect(second.id).toBe(first.id);
    expect(second.runAt.getTime()).toBe(later.getTime());
    expect(await cancelJob(t.handle.db, key)).toBe(true);
    expect(await cancelJob(t.handle.db, key)).toBe(false);
    const [row] = await t.handle.db.select().from(jobs).where(eq(jobs.id, first.id));
    expect(row?.status).toBe('cancelled');
  });

  it('gives two workers claiming at once disjoint jobs', async () => {
    const past = new Date(Date.now() - 1000);
    for (let i = 0; i < 20; i++) await scheduleJob(t.handle.db, { kind: 'batch', runAt: past });
    const [a, b] = [await t.connect(1), await t.connect(1)];
    const [x, y] = await Promise.all([
      jobQueue.claim(a.db, { workerId: 'a', limit: 20, kinds: ['batch'] }),
      jobQueue.claim(b.db, { workerId: 'b', limit: 20, kinds: ['batch'] }),
    ]);
    const ids = [...x, ...y].map((j) => j.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(20);
  });

  it('lets a job that runs longer than its lease keep it: a second worker does not run it too', async () => {
    const runs: string[] = [];
    const errors: object[] = [];
    const worker = (workerId: string) =>
      createJobWorker({
        name: 'long-jobs',
        db: t.handle.db,
        bus: t.handle.bus,
        log: { error: (detail) => errors.push(detail) },
        workerId,
        handlers: {
          // Four leases long.
          long: async () => {
            runs.push(workerId);
            await new Promise((resolve) => setTimeout(resolve, 1_200));
          },
        },
        context: {},
        onFailure: () => ({ retryInMs: null, detail: { message: 'failed' } }),
        pollMs: 50,
        leaseMs: 300,
      });
    const job = await scheduleJob(t.handle.db, { kind: 'long', runAt: new Date() });
    const workers = [worker('first'), worker('second')];
    await workers[0]?.start();
    await eventually(() => runs.length === 1);
    await workers[1]?.start();
    const status = async () =>
      (await t.handle.db.select().from(jobs).where(eq(jobs.id, job.id)))[0]?.status;
    await eventually(async () => (await status()) === 'done');
    for (const w of workers) await w.stop();
    expect(runs).toEqual(['first']);
    expect(errors).toEqual([]);
  });

  /** A worker of one job kind whose handler the test writes; failures and errors are recorded. */
  function oneKindWorker(kind: string, run: (signal: AbortSignal) => Promise<void>) {
    const failures: unknown[] = [];
    const errors: string[] = [];
    const worker = createJobWorker({
      name: kind,
      db: t.handle.db,
      bus: t.handle.bus,
      log: { error: (_detail, message) => errors.push(message) },
      workerId: 'stalled',
      handlers: { [kind]: (_job, _ctx, signal) => run(signal) },
      context: {},
      onFailure: (_job, error) => {
        failures.push(error);
        return { retryInMs: null, detail: { message: 'failed' } };
      },
      pollMs: 50,
      leaseMs: 300,
    });
    return { worker, failures, errors };
  }
  /** As if the worker had stalled past its lease and another had claimed the job. */
  const steal = (id: number) =>
    t.handle.db
      .update(jobs)
      .set({ lockedBy: 'thief', lockedUntil: new Date(Date.now() + 3_600_000) })
      .where(eq(jobs.id, id));
  const row = async (id: number) =>
    (await t.handle.db.select().from(jobs).where(eq(jobs.id, id)))[0];

  it('stops a job whose lease was lost, and leaves its outcome to the worker that has it', async () => {
    let started = () => {};
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    let stopped = false;
    const { worker, failures, errors } = oneKindWorker('stolen', async (signal) => {
      started();
      // A long job that looks at its signal between steps.
      while (!signal.aborted) await new Promise((resolve) => setTimeout(resolve, 20));
      stopped = true;
      signal.throwIfAborted();
    });
    const job = await scheduleJob(t.handle.db, { kind: 'stolen', runAt: new Date() });
    await worker.start();
    await running;
    await steal(job.id);
    await eventually(() => stopped);
    await worker.idle();
    await worker.stop();
    expect(errors).toEqual(['lost a job lease: stopping it (another worker may have it)']);
    // The thief's claim stands: not failed, not done, not released.
    expect(failures).toEqual([]);
    expect(await row(job.id)).toMatchObject({ status: 'running', lockedBy: 'thief' });
  });

  it('hands a running job back when its worker stops, due at once, and another worker finishes it', async () => {
    let started = () => {};
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const steps: string[] = [];
    const { worker, failures } = oneKindWorker('long-export', async (signal) => {
      started();
      steps.push('started');
      // Far longer than the test: only its signal ends it early.
      await new Promise<void>((resolve) => {
        const end = setTimeout(resolve, 60_000);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(end);
            resolve();
          },
          { once: true },
        );
      });
      signal.throwIfAborted();
      steps.push('ran to the end');
    });
    const job = await scheduleJob(t.handle.db, { kind: 'long-export', runAt: new Date() });
    await worker.start();
    await running;
    // The process shuts down: stop does not wait out the job.
    await worker.stop();
    expect(steps).toEqual(['started']);
    expect(failures).toEqual([]);
    const back = await row(job.id);
    expect(back).toMatchObject({ status: 'pending', lockedBy: null, attempts: 1 });
    expect(back?.runAt.getTime()).toBeLessThanOrEqual(Date.now());
    expect(back?.lastError?.message).toMatch(/shutting down/);
    // The next worker (another replica, or the next start) takes it up.
    const next = oneKindWorker('long-export', async () => {
      steps.push('finished by the next');
    });
    await next.worker.start();
    await eventually(async () => (await row(job.id))?.status === 'done');
    await next.worker.stop();
    expect(steps).toEqual(['started', 'finished by the next']);
  });

  it('does not record the failure of a job it no longer holds', async () => {
    let fail = () => {};
    const failing = new Promise<void>((resolve) => {
      fail = resolve;
    });
    let started = () => {};
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const { worker, failures } = oneKindWorker('stolen-then-failed', async () => {
      started();
      await failing;
      throw new Error('a piece could not be stored');
    });
    const job = await scheduleJob(t.handle.db, { kind: 'stolen-then-failed', runAt: new Date() });
    await worker.start();
    await running;
    // Stolen, and the job fails before the lease's next extension would notice.
    await steal(job.id);
    fail();
    await worker.idle();
    await worker.stop();
    expect(failures).toEqual([]);
    expect(await row(job.id)).toMatchObject({ status: 'running', lockedBy: 'thief' });
  });
});

describe('outbox order per ticket', () => {
  const t = useTestDatabase();

  it("hands out one ticket's items one at a time, oldest first, and other tickets' in parallel", async () => {
    const guildId = await seedGuild(t.handle.db);
    const a = (await createTicket(t.handle.db, { guildId, openerId: '1' })).ticket.id;
    const b = (await createTicket(t.handle.db, { guildId, openerId: '2' })).ticket.id;
    const ids = await t.handle.db.transaction(async (tx) => {
      const out: number[] = [];
      for (const ticketId of [a, a, b, a])
        out.push((await enqueueOutbox(tx, { guildId, ticketId, kind: 'reply' })).id);
      return out;
    });
    const first = await outboxQueue.claim(t.handle.db, { workerId: 'w', limit: 10 });
    expect(first.map((i) => i.id)).toEqual([ids[0], ids[2]]);
    // The first of ticket A fails and is retried later: A's next item waits behind it.
    await outboxQueue.retry(t.handle.db, { id: ids[0] as number, workerId: 'w' }, 0, {
      message: '500',
    });
    await outboxQueue.complete(t.handle.db, { id: ids[2] as number, workerId: 'w' });
    expect((await outboxQueue.claim(t.handle.db, { workerId: 'w' })).map((i) => i.id)).toEqual([
      ids[0],
    ]);
    await outboxQueue.complete(t.handle.db, { id: ids[0] as number, workerId: 'w' });
    expect((await outboxQueue.claim(t.handle.db, { workerId: 'w' })).map((i) => i.id)).toEqual([
      ids[1],
    ]);
  });
});

describe('a guild the bot leaves', () => {
  const t = useTestDatabase();

  it('schedules the erasure 30 days out, and coming back calls it off', async () => {
    const guildId = await seedGuild(t.handle.db);
    const at = new Date('2026-11-01T00:00:00Z');
    const left = await markGuildLeft(t.handle.db, guildId, at);
    expect(left?.guild.leftAt?.toISOString()).toBe(at.toISOString());
    expect(left?.job).toMatchObject({ kind: 'purge-guild', status: 'pending', guildId });
    expect(left?.job.runAt.toISOString()).toBe('2026-12-01T00:00:00.000Z');

    await upsertGuild(t.handle.db, { id: guildId, name: 'Back again', ownerId: '1' });
    const [job] = await t.handle.db
      .select()
      .from(jobs)
      .where(eq(jobs.id, left?.job.id as number));
    expect(job?.status).toBe('cancelled');
    const [guild] = await t.handle.query<{ left_at: Date | null }>(
      'select left_at from guilds where id = $1',
      [guildId],
    );
    expect(guild?.left_at).toBeNull();
  });
});
