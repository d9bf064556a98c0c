import { randomBytes } from 'node:crypto';

import { mintSnowflake } from '@ticketflow/shared/snowflake';

/** A snowflake minted now (worker 2: the emulator's ids never collide with TicketFlow's own). */
export const snowflake = (at?: number): string => mintSnowflake(at, 2n);

export function randomToken(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

/** A bot token shaped like Discord's: base64(user id).timestamp.hmac. */
export function botToken(userId: string): string {
  return `${Buffer.from(userId).toString('base64url')}.${randomToken(4)}.${randomToken(27)}`;
}
