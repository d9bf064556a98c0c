// A child process that loads one URL with autocannon, so the load generator
// does not share the server's event loop, and reports requests/s and p95.
import autocannon from 'autocannon';
import { z } from 'zod';
import { quantile } from './stack.ts';

const options = z
  .object({
    url: z.string(),
    seconds: z.number(),
    connections: z.number(),
    headers: z.record(z.string(), z.string()),
  })
  .parse(JSON.parse(process.argv[2] ?? '{}'));
const latencies: number[] = [];
const result = await new Promise<autocannon.Result>((resolve, reject) => {
  const instance = autocannon(
    {
      url: options.url,
      connections: options.connections,
      duration: options.seconds,
      headers: options.headers,
    },
    (error, r) => (error ? reject(error) : resolve(r)),
  );
  instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
});
process.send?.(
  {
    perSecond: result.requests.average,
    p95: quantile(latencies, 0.95),
    failed: result.non2xx + result.errors,
  },
  () => process.exit(0),
);
