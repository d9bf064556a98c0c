import { spawn } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dashboardDist } from '@ticketflow/server/plugins/dashboard';

const dashboard = fileURLToPath(new URL('../../dashboard/', import.meta.url));
const shared = fileURLToPath(new URL('../../shared/src/', import.meta.url));

function newestChange(path: string): number {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestChange(join(path, entry)));
  return newest;
}

/** Why the build in dashboard/dist cannot be served as it is, or null when it is current. */
export function dashboardBuildNeeded(dist = dashboardDist): string | null {
  const index = statSync(join(dist, 'index.html'), { throwIfNoEntry: false });
  if (!index) return 'there is no build yet';
  const sources = Math.max(
    ...[join(dashboard, 'src'), join(dashboard, 'index.html'), join(dashboard, 'vite.config.ts')]
      .concat(shared)
      .map(newestChange),
  );
  return sources > index.mtimeMs ? 'its sources changed since the last build' : null;
}

/**
 * Builds the dashboard with Vite in a child process into a fresh folder, then
 * puts it in place of dist/ (so a server already serving the old build never
 * sees half a new one). Rejects with Vite's output when the build fails.
 */
export async function buildDashboard(dist = dashboardDist): Promise<void> {
  let vite: string;
  try {
    const fromDashboard = createRequire(join(dashboard, 'package.json'));
    vite = join(dirname(fromDashboard.resolve('vite/package.json')), 'bin', 'vite.js');
  } catch {
    throw new Error(
      'Vite is not installed (run `pnpm install` without --prod, or `pnpm build` where it is)',
    );
  }
  const next = `${dist}.next-${process.pid}`;
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [vite, 'build', '--logLevel', 'warn', '--outDir', next, '--emptyOutDir'],
      { cwd: dashboard, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout.on('data', (d) => output.push(String(d)));
    child.stderr.on('data', (d) => output.push(String(d)));
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (code !== 0) {
    rmSync(next, { recursive: true, force: true });
    throw new Error(`the dashboard build failed:\n${output.join('').trim()}`);
  }
  const old = `${dist}.old-${process.pid}`;
  if (existsSync(dist)) renameSync(dist, old);
  try {
    renameSync(next, dist);
  } catch (error) {
    // Another start built it at the same moment: theirs is as new as ours.
    if (!existsSync(join(dist, 'index.html'))) throw error;
    rmSync(next, { recursive: true, force: true });
  }
  rmSync(old, { recursive: true, force: true });
}
