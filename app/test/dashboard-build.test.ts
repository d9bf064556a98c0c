import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDashboard, dashboardBuildNeeded } from '../src/dashboard-build.ts';

describe('the dashboard build pnpm start makes when it has to', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tf-dist-'));
  const dist = join(dir, 'dist');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds when there is no build, not when it is current, again when sources are newer', async () => {
    expect(dashboardBuildNeeded(dist)).toBe('there is no build yet');
    await buildDashboard(dist);
    expect(readFileSync(join(dist, 'index.html'), 'utf8')).toContain('<div id="root">');
    expect(dashboardBuildNeeded(dist)).toBeNull();
    // No half-built folder is left beside it.
    expect(existsSync(`${dist}.next-${process.pid}`)).toBe(false);
    const longAgo = new Date('2020-01-01');
    utimesSync(join(dist, 'index.html'), longAgo, longAgo);
    expect(dashboardBuildNeeded(dist)).toBe('its sources changed since the last build');
    // A second build replaces the first in place.
    await buildDashboard(dist);
    expect(dashboardBuildNeeded(dist)).toBeNull();
  });
});
