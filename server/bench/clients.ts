// A child process holding many Socket.IO clients, so their CPU is not the
// server's event loop. Started by the latency benchmark: it connects, joins,
// reports `ready`, records when each event arrives (epoch ms, high resolution:
// comparable across processes on one machine), and sends the times back on
// `collect` once they are all in.
import { io, type Socket } from 'socket.io-client';
import { z } from 'zod';

const setup = z.object({
  url: z.string(),
  count: z.number().int().positive(),
  cookie: z.string().optional(),
  /** TicketFlow: `join` with { guildId } and an ack; raw: `join` with a room name. */
  mode: z.enum(['ticketflow', 'raw']),
  guildId: z.string(),
});
const options = setup.parse(JSON.parse(process.argv[2] ?? '{}'));

const now = () => performance.timeOrigin + performance.now();
/** Arrival times per message id, over all clients. */
const arrivals = new Map<string, number[]>();
let received = 0;
/** The first event received: what each client parses per message (the raw floor sends copies). */
let sample: unknown;
const record = (id: string | undefined, event: unknown) => {
  if (!id) return;
  sample ??= event;
  received++;
  const t = now();
  const list = arrivals.get(id);
  if (list) list.push(t);
  else arrivals.set(id, [t]);
};

const sockets: Socket[] = [];
async function connectOne(): Promise<void> {
  const socket = io(options.url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    extraHeaders: options.cookie ? { cookie: options.cookie } : {},
  });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  type Event = { id?: string; message?: { id?: string } | null };
  const onEvent = (e: Event) => record(options.mode === 'raw' ? e.id : e.message?.id, e);
  socket.on('event', onEvent);
  // TicketFlow sends a socket that sees the whole guild several events in one packet under load.
  socket.on('events', (list: Event[]) => {
    for (const e of list) onEvent(e);
  });
  await new Promise<void>((resolve, reject) => {
    if (options.mode === 'raw') socket.emit('join', `guild:${options.guildId}`, () => resolve());
    else
      socket.emit('join', { guildId: options.guildId }, (ack: { ok: boolean; error?: string }) =>
        ack.ok ? resolve() : reject(new Error(ack.error)),
      );
  });
}

// A few at a time: 500 handshakes at once would time out on 2 cores.
for (let i = 0; i < options.count; i += 25) {
  await Promise.all(Array.from({ length: Math.min(25, options.count - i) }, () => connectOne()));
}
process.send?.({ type: 'ready' });

// `collect`: once `expected` arrivals are in (or `timeoutMs` has passed, and
// what is missing counts as lost), the times go back and the process ends.
const collect = z.object({
  type: z.literal('collect'),
  expected: z.number(),
  timeoutMs: z.number(),
});
process.on('message', async (raw) => {
  const message = collect.safeParse(raw);
  if (!message.success) return;
  const deadline = Date.now() + message.data.timeoutMs;
  while (received < message.data.expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const s of sockets) s.close();
  process.send?.({ type: 'arrivals', arrivals: [...arrivals], sample }, () => process.exit(0));
});
