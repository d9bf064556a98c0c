/** What a shutdown step needs of a logger (pino's `warn`). */
export interface StepLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * Awaits one step of a shutdown, and says in the log which step it is when it
 * is still running after `afterMs`: a process that the watchdog then ends
 * (app/src/start.ts) leaves a line naming what it was waiting for. Without
 * a log (a server built without a logger) the step is simply awaited.
 */
export async function stopStep<T>(
  log: StepLog | undefined,
  step: string,
  work: () => Promise<T>,
  afterMs = 2_000,
): Promise<T> {
  if (!log) return work();
  const started = Date.now();
  const slow = setTimeout(
    () => log.warn({ step, ms: Date.now() - started }, 'still stopping'),
    afterMs,
  );
  slow.unref();
  try {
    return await work();
  } finally {
    clearTimeout(slow);
  }
}
