// Bot memory with many guilds: the emulator (in this process) holds
// `guilds` × `channels` × `members`; each client runs in its own child
// process and reports its RSS once every GUILD_CREATE has arrived.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '@ticketflow/db/testing';
import { Emulator } from '@ticketflow/emulator/emulator';
import { seedDemo } from '@ticketflow/emulator/seed';
import { BOT_PERMISSIONS } from '@ticketflow/shared/permissions';

const MB = 2 ** 20;

function measure(
  mode: string,
  args: string[],
  v8Flags: string[] = [],
): Promise<{ rss: number; heapUsed: number }> {
  const child = fork(new URL('./memory-child.ts', import.meta.url), [mode, ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...process.execArgv, '--expose-gc', ...v8Flags],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${mode} client exited with ${code}`)));
    child.once('message', (m: { rss: number; heapUsed: number }) => {
      child.removeAllListeners('exit');
      child.once('exit', () => resolve(m));
      child.send({ type: 'stop' });
    });
  });
}

export async function memoryBench(
  options = { guilds: 1000, channels: 20, members: 50 },
): Promise<string[]> {
  const emulator = await Emulator.start();
  const world = seedDemo(emulator);
  const pgliteDir = mkdtempSync(join(tmpdir(), 'tf-memory-'));
  const database = await createTestDatabase();
  try {
    for (let g = 0; g < options.guilds; g++) {
      const owner = emulator.control.createUser({ username: `owner${g}` });
      const guild = emulator.control.createGuild({ name: `Guild ${g}`, ownerId: owner.id });
      emulator.control.addBot(guild.id, world.application.id, BOT_PERMISSIONS);
      for (let c = 0; c < options.channels; c++)
        emulator.control.createChannel(guild.id, { name: `channel-${c}` });
      // The owner, the bot and the rest up to `members` people.
      for (let m = 2; m < options.members; m++) {
        emulator.control.addMember(
          guild.id,
          emulator.control.createUser({ username: `m${g}-${m}` }).id,
        );
      }
    }
    const expected = options.guilds + 1; // and the demo guild
    const common = [
      emulator.apiUrl,
      world.application.botToken,
      String(expected),
      database.url ?? `pglite:${pgliteDir}`,
    ];
    const size = `${options.guilds.toLocaleString('en')} guilds × ${options.channels} channels × ${options.members} members`;
    const rows: string[] = [];
    // Node 24's V8 keeps a large young generation committed after start-up's
    // garbage; a small one shows what the caches themselves cost.
    for (const flags of [[], ['--max-semi-space-size=2']]) {
      const idle = await measure('idle', common, flags);
      const ours = await measure('ticketflow', common, flags);
      const plain = await measure('default', common, flags);
      const how = flags.length ? ` (\`${flags.join(' ')}\`)` : ' (default V8 flags)';
      const row = (what: string, m: { rss: number; heapUsed: number }, target: string) =>
        `| ${what}${how} | ${(m.rss / MB).toFixed(0)} MB | ${(m.heapUsed / MB).toFixed(0)} MB | ${target} |`;
      rows.push(
        row(
          `TicketFlow bot, ${size}`,
          ours,
          ours.rss <= 150 * MB ? '≤ 150 MB: **met**' : '≤ 150 MB: **missed**',
        ),
        row('discord.js, default caches + member intent, same guilds', plain, '–'),
        row('floor: the bot’s modules loaded, not connected', idle, '–'),
      );
    }
    return rows;
  } finally {
    await database[Symbol.asyncDispose]();
    rmSync(pgliteDir, { recursive: true, force: true });
    await emulator.close();
  }
}
