/** Discord's epoch (2015-01-01T00:00:00Z), the zero of every snowflake's timestamp. */
export const DISCORD_EPOCH = 1_420_070_400_000n;

let lastMs = 0n;
let increment = 0n;

/**
 * A snowflake minted now, the way Discord mints them (milliseconds since its
 * epoch << 22, then worker, process, increment), so ours sort among real ones.
 */
export function mintSnowflake(at: number = Date.now(), worker = 1n): string {
  let ms = BigInt(at) - DISCORD_EPOCH;
  if (ms < lastMs) ms = lastMs;
  if (ms === lastMs) {
    increment = (increment + 1n) & 0xfffn;
    // 4096 ids in one millisecond: borrow the next millisecond so ids stay unique and increasing.
    if (increment === 0n) ms += 1n;
  } else {
    increment = 0n;
  }
  lastMs = ms;
  return ((ms << 22n) | ((worker & 0x1fn) << 17n) | (1n << 12n) | increment).toString();
}

/** When a snowflake was minted. */
export function snowflakeTime(id: string): Date {
  return new Date(Number((BigInt(id) >> 22n) + DISCORD_EPOCH));
}
