import { isTransientDatabaseError } from '@ticketflow/db/errors';
import type { Logger } from 'pino';

/**
 * Runs tasks one after another per key (a channel), and different keys in
 * parallel, so a channel's messages are stored in the order Discord sent them.
 */
export class SerialQueue {
  private readonly tails = new Map<string, Promise<void>>();

  run(key: string, task: () => Promise<void>): Promise<void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    const tail = next.catch(() => {});
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }

  /** Resolves when everything queued so far has finished. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all(this.tails.values());
  }
}

/**
 * A SerialQueue for work on the database: while the database cannot be
 * reached, a task is tried again in place (after a pause growing to 5 s) until
 * it can, and the key's later tasks wait behind it, so none is lost and none
 * overtakes an earlier one. Any other error rejects the task's promise and
 * the key goes on. Once stopped, a key whose task fails for want of the
 * database is given up on, with its later tasks, instead of waiting.
 */
export class PatientQueue {
  private readonly queue = new SerialQueue();
  private stopping = false;
  /** Keys given up on while stopping: their later tasks do not run either. */
  private readonly abandoned = new Set<string>();
  private readonly pauses = new Set<() => void>();

  private readonly log: Logger;
  /** What a key is, in the log lines (`channelId`, `guildId`). */
  private readonly keyName: string;

  constructor(log: Logger, keyName: string) {
    this.log = log;
    this.keyName = keyName;
  }

  run(key: string, task: () => Promise<void>): Promise<void> {
    return this.queue.run(key, () => this.untilDone(key, task));
  }

  /** Resolves when everything queued so far has finished. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** From now on a task that cannot reach the database is given up on (for a process stopping). */
  stop(): void {
    this.stopping = true;
    for (const wake of this.pauses) wake();
  }

  private async untilDone(key: string, task: () => Promise<void>): Promise<void> {
    const where = { [this.keyName]: key };
    for (let attempt = 1; ; attempt++) {
      if (this.abandoned.has(key)) return;
      try {
        await task();
        if (attempt > 1)
          this.log.info({ ...where, attempt }, 'stored what waited for the database');
        return;
      } catch (error) {
        if (!isTransientDatabaseError(error)) throw error;
        if (this.stopping) {
          this.abandoned.add(key);
          this.log.warn(where, 'stopped before the database answered: not stored');
          return;
        }
        if (attempt === 1)
          this.log.warn(
            { ...where, err: error },
            'the database cannot be reached: stored once it answers',
          );
        await this.pause(Math.min(5_000, 100 * 2 ** (attempt - 1)));
      }
    }
  }

  /** Waits about `ms`, or less if the queue stops meanwhile. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.pauses.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms * (0.75 + Math.random() / 2));
      this.pauses.add(done);
    });
  }
}
