import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** How long requests under way when the server starts to stop get to finish. */
export const CLOSE_GRACE_MS = 3_000;

/**
 * Keeps a stop from waiting for connections that will not end by themselves.
 * Node's `server.close()` waits for every connection, and closes only the
 * idle keep-alive ones: a connection a browser opened ahead of need and has
 * sent nothing on (Chromium keeps such spare connections) held a stop until
 * the 8 s watchdog ended the process (reproduced with one plain TCP
 * connection), and a websocket opened while the server stops would do the
 * same. When closing begins, connections with no request under way are
 * closed at once and new ones refused; the rest (requests under way, the
 * sockets' websockets, which the realtime close ends) get `CLOSE_GRACE_MS`,
 * then are closed too.
 */
export function registerConnectionTracking(app: FastifyInstance, graceMs = CLOSE_GRACE_MS): void {
  /** Each open connection and its requests under way (a websocket counts as one that lasts). */
  const inFlight = new Map<Socket, number>();
  let closing = false;
  app.server.on('connection', (socket: Socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    inFlight.set(socket, 0);
    socket.once('close', () => inFlight.delete(socket));
  });
  app.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    response.once('close', () => {
      const requests = inFlight.get(socket);
      if (requests !== undefined) inFlight.set(socket, requests - 1);
    });
  });
  app.server.on('upgrade', (request: IncomingMessage) => {
    inFlight.set(request.socket, 1);
  });
  let grace: NodeJS.Timeout | undefined;
  app.addHook('preClose', async () => {
    closing = true;
    for (const [socket, requests] of inFlight) {
      if (requests === 0) socket.destroy();
    }
    grace = setTimeout(() => {
      for (const socket of inFlight.keys()) socket.destroy();
    }, graceMs);
    grace.unref();
  });
  app.addHook('onClose', async () => {
    clearTimeout(grace);
  });
}
