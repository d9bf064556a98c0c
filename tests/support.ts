import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { repositoryRoot, scriptArgs } from '@ticketflow/app/bench/scripts';
import { approveAs } from '@ticketflow/emulator/test/oauth-client';
import { eventually } from '@ticketflow/shared/testing';

export interface Run {
  child: ChildProcess;
  /** Resolves with the first match of `pattern` in stdout; rejects if the process exits first. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  exited: Promise<number | null>;
  output(): { stdout: string; stderr: string };
  /** SIGTERM, then the exit code and how long it took (ms). */
  terminate(): Promise<{ code: number | null; ms: number }>;
}

/**
 * Starts a root script (`pnpm start` and friends) as a child process, with
 * only PATH and the given environment, in the repository's root. Not through
 * pnpm itself: pnpm exits on SIGTERM without waiting for its child, and the
 * tests are about how TicketFlow stops.
 */
export function startScript(
  script: 'start' | 'start:bot' | 'start:server',
  env: Record<string, string>,
  extraArgs: string[] = [],
): Run {
  const child = spawn(process.execPath, [...scriptArgs(script), ...extraArgs], {
    cwd: repositoryRoot,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waiters: (() => void)[] = [];
  child.stdout?.on('data', (d) => {
    stdout += d;
    for (const w of waiters) w();
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  return {
    child,
    exited,
    output: () => ({ stdout, stderr }),
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(stdout);
          if (m) resolve(m);
        };
        waiters.push(check);
        check();
        void exited.then((code) =>
          reject(new Error(`exited ${code} before printing ${pattern}:\n${stdout}\n${stderr}`)),
        );
      });
    },
    async terminate() {
      const started = Date.now();
      child.kill('SIGTERM');
      const code = await exited;
      return { code, ms: Date.now() - started };
    },
  };
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const cookiesOf = (res: Response) =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');

/**
 * The dashboard as a browser uses it, over HTTP: logs in through the
 * (emulated) Discord's authorise page, then calls the API with the session
 * cookie and the dashboard's Origin.
 */
export async function dashboardSession(url: string, userId: string) {
  const start = await fetch(`${url}/auth/login`, { redirect: 'manual' });
  if (start.status !== 302) throw new Error(`/auth/login answered ${start.status}`);
  const authorize = new URL(start.headers.get('location') ?? '');
  const back = (await approveAs(authorize, userId)).toString();
  if (!back.startsWith(`${url}/auth/callback`)) throw new Error(`authorise sent us to ${back}`);
  const callback = await fetch(back, {
    redirect: 'manual',
    headers: { cookie: cookiesOf(start) },
  });
  const cookie = cookiesOf(callback)
    .split('; ')
    .find((c) => c.startsWith('tf_session='));
  if (!cookie) throw new Error(`the callback answered ${callback.status} without a session`);
  return {
    async call<T = unknown>(method: string, path: string, body?: unknown) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          cookie,
          origin: url,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
    },
  };
}
export type DashboardSession = Awaited<ReturnType<typeof dashboardSession>>;

/** The emulator's control API over HTTP: acting as people in the local Discord. */
export function emulatorControl(emulatorUrl: string) {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${emulatorUrl}/_emulator${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  };
  type Message = {
    id: string;
    content: string;
    components?: { components: { custom_id?: string; label?: string }[] }[];
  };
  return {
    call,
    messages: (userId: string, channelId: string) =>
      call<Message[]>('GET', `/users/${userId}/channels/${channelId}/messages`),
    send: (userId: string, channelId: string, content: string) =>
      call<Message>('POST', `/users/${userId}/channels/${channelId}/messages`, { content }),
    /** Presses the panel's button for `label` and fills its form the way a member does. */
    async openTicket(userId: string, panelChannelId: string, label: string, answer: string) {
      const panel = await eventually(async () => {
        const all = await this.messages(userId, panelChannelId);
        return all.find((m) =>
          m.components?.some((row) => row.components.some((c) => c.label === label)),
        );
      }, 20_000);
      const button = panel.components
        ?.flatMap((row) => row.components)
        .find((c) => c.label === label);
      const clicked = await call<{
        interactionId: string;
        modal?: { components: { components: { custom_id: string }[] }[] };
      }>('POST', `/users/${userId}/interactions/button`, {
        channelId: panelChannelId,
        messageId: panel.id,
        customId: button?.custom_id,
      });
      if (!clicked.modal)
        throw new Error(`the panel answered without a form: ${JSON.stringify(clicked)}`);
      const values = Object.fromEntries(
        clicked.modal.components.flatMap((row) => row.components.map((c) => [c.custom_id, answer])),
      );
      return call<{ message?: Message }>('POST', `/users/${userId}/interactions/modal`, {
        interactionId: clicked.interactionId,
        values,
      });
    },
  };
}
