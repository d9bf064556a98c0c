import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Where `pnpm build` puts the dashboard. */
export const dashboardDist = fileURLToPath(new URL('../../../dashboard/dist', import.meta.url));

const placeholder = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>TicketFlow</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;background:#313338;color:#dbdee1;display:grid;place-items:center;min-height:100vh;margin:0}
main{max-width:32rem;padding:2rem}h1{color:#fff}code{background:#1e1f22;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><main><h1>TicketFlow is running</h1>
<p>The server and its database are up. The dashboard has not been built yet: run <code>pnpm build</code>, then restart.</p>
<p>Health: <a href="/healthz" style="color:#00a8fc">/healthz</a></p></main></body></html>`;

/**
 * Serves the dashboard's production build, with index.html for client-side
 * routes; a placeholder page when there is no build.
 */
export async function registerDashboard(app: FastifyInstance, root = dashboardDist): Promise<void> {
  const built = existsSync(`${root}/index.html`);
  if (built) {
    await app.register(fastifyStatic, { root, wildcard: false });
  }
  app.get('/*', async (request, reply) => {
    if (request.url.startsWith('/api/')) {
      return reply.status(404).send({ error: 'not_found', message: 'No such API route' });
    }
    if (built) return reply.sendFile('index.html');
    return reply.type('text/html; charset=utf-8').send(placeholder);
  });
}
