import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { login, seedTicket, useServer } from './support.ts';

/**
 * Generated bad input on every API route: whatever the body, query and path
 * hold, the answer is a 4xx (400 with field errors for validation), never a 500.
 */
describe('bad input on every route', () => {
  const t = useServer();
  let cookie = '';
  let ticketId = '';
  beforeAll(async () => {
    cookie = await login(t, t.world.users.admin);
    ticketId = (await seedTicket(t, t.world.categories.support)).id;
  });

  const segment = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.constantFrom('0', '-1', '99999999999999999999999', '%00', '..', 'null', '1e9'),
    fc.uuid(),
    fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String),
  );
  const junk = fc.oneof(
    fc.anything({ maxDepth: 3 }),
    fc.dictionary(
      fc.constantFrom(
        'content',
        'version',
        'move',
        'name',
        'labels',
        'priority',
        'assigneeId',
        'columnId',
        'categoryIds',
        'channelId',
        'questions',
        'afterId',
        'lifecycle',
        'reason',
        'title',
        'color',
        'closeDelaySeconds',
        'adminRoleIds',
      ),
      fc.anything({ maxDepth: 2 }),
    ),
  );
  const query = fc.dictionary(
    fc.constantFrom(
      'after',
      'limit',
      'before',
      'q',
      'status',
      'priority',
      'assignee',
      'category',
      'column',
      'label',
      'days',
      'download',
    ),
    fc.string({ maxLength: 40 }),
  );

  it('never answers 500', async () => {
    const routes = t.app.routeList.filter((r) => r.url.startsWith('/api/guilds/'));
    expect(routes.length).toBeGreaterThan(20);
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(
          segment,
          segment,
          junk,
          query,
          fc.boolean(),
          async (a, b, body, q, realIds) => {
            const url = route.url
              .replace(':guildId', realIds ? t.world.guildId : encodeURIComponent(a))
              .replace(':ticketId', realIds ? ticketId : encodeURIComponent(b))
              .replace(':messageId', encodeURIComponent(b))
              .replace(':userId', encodeURIComponent(a))
              .replace(':id', encodeURIComponent(a));
            const res = await t.app.inject({
              method: route.method as 'GET',
              url,
              query: q,
              headers: { cookie, 'content-type': 'application/json' },
              ...(route.method === 'GET' || route.method === 'DELETE'
                ? {}
                : { payload: JSON.stringify(body) ?? 'null' }),
            });
            if (res.statusCode >= 500) {
              throw new Error(
                `${route.method} ${url} → ${res.statusCode}: ${res.body.slice(0, 300)}`,
              );
            }
            if (res.statusCode === 400) {
              const err = res.json();
              expect(err.error).toBe('bad_request');
              expect(typeof err.message).toBe('string');
            }
          },
        ),
        { numRuns: 25 },
      );
    }
  });
});
