import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { useTestDatabase } from '@ticketflow/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { flushSentry, initSentry } from '../src/sentry.ts';

/**
 * Sentry for real: the SDK sends its envelopes to a local collector, and the
 * event must hold none of the token, cookie, authorization header or message
 * content that the failing request and its error carried.
 */
describe('Sentry reporting', () => {
  const t = useTestDatabase();
  const envelopes: string[] = [];
  const collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      envelopes.push(
        (req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString(),
      );
      res.writeHead(200).end('{}');
    });
  });
  beforeAll(async () => {
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  });
  afterAll(() => new Promise<void>((r) => collector.close(() => r())));

  // Random values in the shapes of a bot token and a session id: nothing real is committed.
  const random = (bytes: number) => randomBytes(bytes).toString('base64url');
  const botToken = `${random(18)}.${random(4)}.${random(27)}`;
  const sessionId = random(32);
  const content = 'my card number is 4111 1111 1111 1111';

  it('reports a 500 with its id, scrubbed of tokens, cookies, authorization and content', async () => {
    const address = collector.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const report = initSentry(`http://publickey@127.0.0.1:${port}/1`, 'test');
    const app = await buildApp({ database: t.handle, reportError: report });
    app.post('/boom', async () => {
      throw new Error(
        `Failed query: insert into "messages" Bot ${botToken} Bearer abcdef123456 tf_session=${sessionId} params: 123,${content}`,
      );
    });
    const res = await app.inject({
      method: 'POST',
      url: `/boom?code=oauthcode123`,
      headers: {
        authorization: `Bot ${botToken}`,
        cookie: `tf_session=${sessionId}`,
        'content-type': 'application/json',
      },
      payload: { content },
    });
    expect(res.statusCode).toBe(500);
    const { id } = res.json();
    await flushSentry(5000);
    await app.close();

    const envelope = envelopes.find((e) => e.includes(id));
    expect(envelope, 'the event reached the collector').toBeDefined();
    expect(envelope).toContain('Failed query');
    // The content's parts, not a bare '4111' (which a memory figure in the event may contain).
    for (const secret of [
      botToken,
      sessionId,
      'abcdef123456',
      content,
      '4111 1111',
      'oauthcode123',
    ]) {
      expect(envelope).not.toContain(secret);
    }
    expect(envelope?.toLowerCase()).not.toMatch(/"authorization"|"cookie"/);
  });
});
