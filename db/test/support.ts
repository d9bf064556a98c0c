import type { Executor } from '../src/client.ts';
import { upsertGuild } from '../src/repositories/guilds.ts';

let next = 100_000_000_000_000_000n;

/** A fresh snowflake-shaped id for test rows. */
export function snowflake(): string {
  next += 1n;
  return next.toString();
}

/** Stores a guild with a fresh id and returns the id. */
export async function seedGuild(db: Executor, name = 'Test guild'): Promise<string> {
  const id = snowflake();
  await upsertGuild(db, { id, name, ownerId: snowflake() });
  return id;
}
