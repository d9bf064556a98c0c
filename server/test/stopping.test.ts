import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useServer } from './support.ts';

describe('stopping the server', () => {
  const t = useServer({ dataJobs: false });

  it('does not wait for a connection a browser opened and sent nothing on, and lets a request under way finish', async () => {
    const app = await t.build({ dataJobs: false });
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let begin!: () => void;
    const begun = new Promise<void>((resolve) => {
      begin = resolve;
    });
    app.get('/slow', async () => {
      begin();
      await released;
      return { ok: true };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    // A spare connection, as Chromium opens ahead of need: nothing is ever sent on it.
    const spare = connect(port, '127.0.0.1');
    await once(spare, 'connect');
    const slow = fetch(`http://127.0.0.1:${port}/slow`).then((res) => res.json());
    await begun;

    const closing = app.close();
    // The spare connection is closed at once (Node's close waited for it for ever) ...
    await once(spare, 'close');
    // ... and the request under way still gets its answer.
    release();
    expect(await slow).toEqual({ ok: true });
    await closing;
  });
});
