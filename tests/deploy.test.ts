// railway.json must start what `pnpm start` starts (directly with node, so SIGTERM
// reaches TicketFlow and not a package manager) and check a route that exists.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scriptArgs } from '@ticketflow/app/bench/scripts';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const railway = z
  .object({
    build: z.object({ buildCommand: z.string() }),
    deploy: z.object({
      startCommand: z.string(),
      healthcheckPath: z.string(),
      drainingSeconds: z.number(),
      restartPolicyType: z.enum(['ON_FAILURE', 'ALWAYS', 'NEVER']),
    }),
  })
  .parse(
    JSON.parse(readFileSync(fileURLToPath(new URL('../railway.json', import.meta.url)), 'utf8')),
  );

describe('railway.json', () => {
  it('starts `pnpm start` with node itself, checks /healthz, restarts on failure', () => {
    expect(railway.deploy.startCommand).toBe(`node ${scriptArgs('start').join(' ')}`);
    expect(railway.deploy.healthcheckPath).toBe('/healthz');
    expect(railway.deploy.restartPolicyType).toBe('ON_FAILURE');
    // Longer than the 8 s TicketFlow gives itself to stop before it gives up.
    expect(railway.deploy.drainingSeconds).toBeGreaterThan(8);
    // The build installs Vite (a dev dependency) and builds the dashboard.
    expect(railway.build.buildCommand).toMatch(
      /install --frozen-lockfile --prod=false && .* build$/,
    );
  });
});
