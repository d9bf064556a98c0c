import { randomBytes } from 'node:crypto';
import { useTestDatabase } from '@ticketflow/db/testing';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.ts';

describe('logs', () => {
  const t = useTestDatabase();

  it("keep a failed query's statement, stack and cause, but not its values", async () => {
    const lines: string[] = [];
    const log = createLogger('info', false, { write: (line: string) => lines.push(line) });
    // A random value in the shape of a bot token (nothing real is committed), and one a person wrote (Postgres' own
    // message does not repeat them: division by zero).
    const random = (bytes: number) => randomBytes(bytes).toString('base64url');
    const secret = `${random(18)}.${random(4)}.${random(27)}`;
    const words = 'my card number is 4111 1111 1111 1111';
    const failed = await t.handle.db
      .execute(sql`select ${secret}::text, ${words}::text, 1 / 0`)
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failed).toBeInstanceOf(Error);
    log.error({ err: failed }, 'a query failed');

    const text = lines.join('');
    expect(text).not.toContain(secret);
    expect(text).not.toContain('4111');
    const { err } = JSON.parse(lines[0] as string) as {
      err: { message: string; stack: string; query: string };
    };
    expect(err.message).toBe('Failed query: select $1::text, $2::text, 1 / 0');
    expect(err.query).toBe('select $1::text, $2::text, 1 / 0');
    expect(err.stack).toMatch(/\n\s+at /);
    // The driver's own error, as pino appends it to the stack.
    expect(err.stack).toMatch(/caused by: error: division by zero\n\s+at /);
  });
});
