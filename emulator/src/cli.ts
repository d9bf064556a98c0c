import { z } from 'zod';
import { Emulator } from './emulator.ts';
import { findDemo, seedDemo } from './seed.ts';

// `pnpm --filter @ticketflow/emulator start`: the demo guild on a local Discord.
const env = z
  .object({
    EMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(4100),
    EMULATOR_HOST: z.string().default('127.0.0.1'),
    /** Keep the world in this JSON file across restarts. */
    EMULATOR_STATE_FILE: z.string().min(1).optional(),
  })
  .safeParse(process.env);
if (!env.success) {
  for (const issue of env.error.issues)
    process.stderr.write(`Configuration error: ${String(issue.path[0])} ${issue.message}\n`);
  process.exit(1);
}

const emulator = await Emulator.start({
  port: env.data.EMULATOR_PORT,
  host: env.data.EMULATOR_HOST,
  ...(env.data.EMULATOR_STATE_FILE ? { stateFile: env.data.EMULATOR_STATE_FILE } : {}),
}).catch((error: unknown) => {
  process.stderr.write(
    `Cannot start the emulator: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
const world = emulator.restored ? findDemo(emulator) : seedDemo(emulator);
const users = emulator.state.users;
process.stdout.write(
  [
    `Discord emulator running: ${emulator.url}`,
    `  web client (play a member):  ${emulator.clientUrl}`,
    `  REST for discord.js:         ${emulator.apiUrl}   (rest: { api: '${emulator.apiUrl}' })`,
    `  gateway:                     ${emulator.gateway.url}`,
    `  OAuth authorize:             ${emulator.url}/oauth2/authorize`,
    `  control API:                 ${emulator.url}/_emulator/world`,
    '',
    `Application "TicketFlow" id ${world.application.id}`,
    `  DISCORD_CLIENT_ID=${world.application.id}`,
    `  DISCORD_CLIENT_SECRET=${world.application.clientSecret}`,
    `  DISCORD_TOKEN=${world.application.botToken}`,
    '',
    `Demo server "TicketFlow Demo" (${world.guildId}):`,
    ...Object.entries(world.users).map(
      ([role, id]) => `  ${role.padEnd(8)} ${users.get(id)?.globalName} — ${id}`,
    ),
    '',
  ].join('\n'),
);

const stop = async () => {
  await emulator.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
