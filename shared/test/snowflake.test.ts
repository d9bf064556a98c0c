import { describe, expect, it } from 'vitest';
import { mintSnowflake, snowflakeTime } from '../src/snowflake.ts';

describe('snowflakes', () => {
  it('encodes the time it was minted', () => {
    const at = Date.parse('2026-11-23T10:00:00.123Z');
    expect(snowflakeTime(mintSnowflake(at)).toISOString()).toBe('2026-11-23T10:00:00.123Z');
  });

  it('reads a real Discord id', () => {
    // Discord's documented example: 175928847299117063 → 2016-04-30T11:18:25.796Z
    expect(snowflakeTime('175928847299117063').toISOString()).toBe('2016-04-30T11:18:25.796Z');
  });

  it('mints strictly increasing ids, even thousands in one millisecond', () => {
    const at = Date.now();
    const ids = Array.from({ length: 5000 }, () => BigInt(mintSnowflake(at)));
    for (let i = 1; i < ids.length; i++)
      expect((ids[i] as bigint) > (ids[i - 1] as bigint)).toBe(true);
  });
});
