import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { EmulatorContext } from '../context.ts';

const html = readFileSync(new URL('./client.html', import.meta.url), 'utf8');
const script = readFileSync(new URL('./client.js', import.meta.url), 'utf8');

/** The emulator's small Discord client: pick a user, read and write in their channels, press panel buttons. */
export function registerWebClient(app: FastifyInstance, _ctx: EmulatorContext) {
  app.get('/app', async (_request, reply) => reply.type('text/html; charset=utf-8').send(html));
  app.get('/app/client.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').send(script),
  );
  app.get('/', async (_request, reply) => reply.redirect('/app'));
}
