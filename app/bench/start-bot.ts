// `pnpm start:bot` as a deployment runs it, started by a benchmark against
// the emulator and the benchmark's database.
import { spawn } from 'node:child_process';
import { testEncryptionKey } from '@ticketflow/db/test-key';
import type { Emulator } from '@ticketflow/emulator/emulator';
import type { DemoWorld } from '@ticketflow/emulator/seed';
import { repositoryRoot, scriptArgs } from './scripts.ts';

/**
 * A production bot's environment on the benchmark's Discord and database
 * (embedded in DATA_DIR when there is no database URL): what `pnpm start:bot`
 * is started with, and what the bot part from the sources is configured from.
 */
export function botEnv(
  emulator: Emulator,
  world: DemoWorld,
  databaseUrl: string | undefined,
  dataDir: string,
): Record<string, string> {
  return {
    NODE_ENV: 'production',
    DATA_DIR: dataDir,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    DISCORD_TOKEN: world.application.botToken,
    DISCORD_CLIENT_ID: world.application.id,
    DISCORD_CLIENT_SECRET: world.application.clientSecret,
    DISCORD_API_URL: emulator.apiUrl,
    // The key the benchmark's own database handle writes with, under its id.
    ENCRYPTION_KEYS: `${testEncryptionKey.id}:${testEncryptionKey.key.toString('base64')}`,
    SESSION_SECRET: 'memory-benchmark-session-secret-0123456789',
    PUBLIC_URL: 'https://tickets.example.com',
  };
}

export interface StartedBot {
  pid: number;
  /** Throws when the process has exited (it should run until stopped). */
  assertRunning(): void;
  stop(): Promise<void>;
}

/** Starts `pnpm start:bot`'s own command from package.json (from the root) with `env`. */
export function spawnStartBot(env: Record<string, string>): StartedBot {
  const child = spawn(process.execPath, scriptArgs('start:bot'), {
    cwd: repositoryRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    pid: child.pid ?? 0,
    assertRunning() {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`start:bot exited with ${child.exitCode ?? child.signalCode}`);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
