import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '@ticketflow/server/logger';
import { type Config, loadConfigOrExit } from '@ticketflow/shared/config';
import { lockDataDir, type Part, type Product, StartError, startProduct } from './product.ts';

// `pnpm start`: everything in one process (the offline demo with no configuration).
// `pnpm start:bot` / `pnpm start:server`: one part, for deployments that split them.

const usage = `Usage: pnpm start [--reset] [--only bot|server]
  --reset        start the offline demo over: deletes the embedded database, the
                 demo's Discord and its key in DATA_DIR (default ./.data)
  --only bot     run only the bot (needs DATABASE_URL and the DISCORD_* variables)
  --only server  run only the server and dashboard (needs DATABASE_URL)
`;

const out = (line: string) => process.stdout.write(`${line}\n`);
const refuse = (line: string): never => {
  process.stderr.write(`${line}\n`);
  process.exit(1);
};

let args: { reset?: boolean; only?: string; help?: boolean };
try {
  args = parseArgs({
    options: {
      reset: { type: 'boolean' },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
} catch (error) {
  refuse(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
  throw error;
}
if (args.help) {
  out(usage);
  process.exit(0);
}
if (args.only !== undefined && args.only !== 'bot' && args.only !== 'server') {
  refuse(`--only must be bot or server, not "${args.only}"\n${usage}`);
}
const part: Part = (args.only as Part | undefined) ?? 'all';
const config = loadConfigOrExit();

/** Set (by the bundler's `define`) only in the bot's bundle. */
declare const TF_BUNDLE: boolean | undefined;

/**
 * The bot part runs from one bundled file with its memory settings
 * (app/src/bundle.ts): this process becomes that one (same pid, so signals
 * and supervisors see no difference). Where bundling or `process.execve`
 * (Node 22.15+) is not available, or with TF_BOT_BUNDLE=off, it goes on from
 * the TypeScript sources.
 */
async function becomeBundledBot() {
  if (typeof TF_BUNDLE === 'boolean' || !config.botBundle) return;
  if (typeof process.execve !== 'function') return;
  try {
    const { botRuntime, bundleStart } = await import('@ticketflow/app/bundle');
    const file = await bundleStart();
    process.execve(
      process.execPath,
      // Node options given to this process (e.g. --inspect) are kept.
      [process.execPath, ...process.execArgv, ...botRuntime.flags, file, ...process.argv.slice(2)],
      {
        ...process.env,
        ...botRuntime.env,
      },
    );
  } catch (error) {
    process.stderr.write(
      `Running the bot from its TypeScript sources: could not bundle it (${error instanceof Error ? error.message : String(error)})\n`,
    );
  }
}
if (part === 'bot') await becomeBundledBot();

if (args.reset) {
  if (config.database.kind === 'postgres') {
    refuse(
      '--reset only clears the embedded database; with DATABASE_URL set, drop that database yourself',
    );
  }
  const held = lockDataDir(config.dataDir);
  if (typeof held === 'number') {
    refuse(
      `${config.dataDir} is in use by another TicketFlow (process ${held}); stop it before starting over`,
    );
  } else held();
  for (const entry of ['db', 'emulator.json', 'emulator.json.tmp', 'exports', 'encryption.key']) {
    rmSync(join(config.dataDir, entry), { recursive: true, force: true });
  }
  out(`Starting over: removed the demo's database, Discord and key in ${config.dataDir}`);
}

/** Builds the dashboard when it has no build or an outdated one (not in production: the build step does). */
async function prepareDashboard() {
  const { buildDashboard, dashboardBuildNeeded } = await import('@ticketflow/app/dashboard-build');
  const why = dashboardBuildNeeded();
  if (!why) return;
  if (config.env === 'production') {
    process.stderr.write(
      `The dashboard is not built (${why}): run \`pnpm build\` in the build step\n`,
    );
    return;
  }
  out(`Building the dashboard (${why}); this takes about half a minute…`);
  await buildDashboard();
}

const log = createLogger(config.logLevel);
let product: Product;
try {
  product = await startProduct(config, log, { part, prepareDashboard });
} catch (error) {
  if (error instanceof StartError) refuse(error.message);
  throw error;
}
let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  // Claimed work gets a few seconds to finish; a stuck call must not keep the process alive.
  const watchdog = setTimeout(() => {
    process.stderr.write('Shutdown took longer than 8 seconds; exiting anyway\n');
    process.exit(1);
  }, 8000);
  watchdog.unref();
  try {
    await product.stop();
    process.exit(0);
  } catch (error) {
    log.error({ err: error }, 'error during shutdown');
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
// Only now: a test (or a supervisor) that stops the process as soon as it reads
// the welcome must find the handlers in place, not Node's default (killed at once).
printWelcome(product, config);

function printWelcome(p: Product, c: Config) {
  const lines: string[] = [];
  if (p.url) lines.push(`TicketFlow is running: ${p.url}`);
  if (p.bot) lines.push(`Bot online as ${p.bot.client.user.tag}`);
  if (p.demo) {
    const { emulator, world } = p.demo;
    const name = (id: string) => emulator.state.users.get(id)?.globalName ?? id;
    const accounts: [string, string][] = [
      [world.users.owner, 'owns the server: settings, data and erasure'],
      [world.users.admin, 'Admins role: settings and every ticket'],
      [world.users.support, 'Support role: staff once a category names it'],
      [world.users.billing, 'Billing role: staff once a category names it'],
      [world.users.member, 'member: opens tickets'],
      [world.users.member2, 'member'],
    ];
    lines.push(
      '',
      `Offline demo: a local Discord with the server "TicketFlow Demo"${p.demo.restored ? ' (as you left it)' : ''}.`,
      `  Dashboard:       ${p.url}  ("Log in with Discord", then pick an account)`,
      `  Discord client:  ${emulator.clientUrl}  (be a member: open a ticket, write)`,
      '  Accounts:',
      ...accounts.map(([id, what]) => `    ${name(id).padEnd(16)} ${what}`),
    );
  }
  if (p.inviteUrl) lines.push(`Invite the bot to your server: ${p.inviteUrl}`);
  if (p.app && c.discord.mode !== 'discord' && !p.demo) {
    lines.push(
      'Discord is not configured (DISCORD_TOKEN, DISCORD_CLIENT_ID, DISCORD_CLIENT_SECRET): login and the API are off',
    );
  }
  lines.push(
    '',
    `Database: ${p.databaseLabel}${c.database.kind === 'pglite' ? ' (pnpm start --reset starts over)' : ''}`,
    `Encryption at rest: ${p.keySource}`,
  );
  out(lines.join('\n'));
}
