/**
 * Polls `check` until it returns something truthy and returns that; throws
 * when the deadline passes. For effects in tests that have no event to await.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 20_000,
  intervalMs = 25,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await check();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
