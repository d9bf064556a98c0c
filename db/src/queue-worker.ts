import type { EventBus } from './bus.ts';
import { isTransientDatabaseError } from './errors.ts';

/** The part of a pino logger the loop uses. */
export interface QueueLog {
  error(detail: object, message: string): void;
  warn?(detail: object, message: string): void;
}

export interface QueueItem {
  id: number;
  kind: string;
  attempts: number;
}

export interface QueueWorkerOptions<T extends QueueItem> {
  name: string;
  bus: EventBus;
  /** The bus channel that announces new items. */
  channel: string;
  log: QueueLog;
  concurrency: number;
  /** Safety net when a notification is missed. */
  pollMs: number;
  claim(limit: number): Promise<T[]>;
  /** Does the work; throwing hands the error to `settle`. */
  perform(item: T): Promise<void>;
  /** Records the outcome: done when `error` is undefined. */
  settle(item: T, error: unknown): Promise<void>;
  /** Called as `stop()` begins, before it waits for the current items (to ask them to stop). */
  onStop?(): void;
}

/**
 * The loop shared by the outbox and the jobs: woken by a notification (and a
 * slow poll), claims a batch, works on it, and claims again until nothing is
 * due. Rows are claimed with SKIP LOCKED, so any number of processes share it.
 */
export class QueueWorker<T extends QueueItem> {
  private readonly o: QueueWorkerOptions<T>;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;
  /** The database could not be reached at the last claim (said once, not at every poll). */
  private unreachable = false;

  constructor(options: QueueWorkerOptions<T>) {
    this.o = options;
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.o.bus.subscribe(this.o.channel, () => this.wake());
    this.o.bus.onReconnect(() => this.wake());
    this.timer = setInterval(() => this.wake(), this.o.pollMs);
    this.timer.unref();
    this.wake();
  }

  /** Runs a pass now (or once more after the current one). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.again && !this.stopped) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** Resolves when no pass is running. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    while (!this.stopped) {
      let items: T[];
      try {
        items = await this.o.claim(this.o.concurrency);
        this.unreachable = false;
      } catch (error) {
        if (!isTransientDatabaseError(error))
          this.o.log.error({ err: error, queue: this.o.name }, 'claiming failed; will try again');
        else if (!this.unreachable) {
          // An outage: said once; the poll (and the bus reconnecting) claims again.
          this.unreachable = true;
          (this.o.log.warn ?? this.o.log.error).call(
            this.o.log,
            { err: error, queue: this.o.name },
            'the database cannot be reached: claiming again once it answers',
          );
        }
        return;
      }
      if (items.length === 0) return;
      await Promise.all(
        items.map(async (item) => {
          let failure: unknown;
          try {
            await this.o.perform(item);
          } catch (error) {
            failure = error ?? new Error('failed');
          }
          await this.o.settle(item, failure).catch((error: unknown) => {
            // The lease runs out and the item is claimed again: nothing is lost.
            this.o.log.error(
              { err: error, queue: this.o.name, id: item.id },
              'could not record an outcome',
            );
          });
        }),
      );
    }
  }

  /** Stops claiming, lets the current items finish (or stop: `onStop`), and stops listening. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.o.onStop?.();
    await this.idle();
    await this.unsubscribe?.();
  }
}
