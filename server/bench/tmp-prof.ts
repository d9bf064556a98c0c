import { fork } from 'node:child_process';
import { seedBoard } from './board.ts';
import { startStack } from './stack.ts';

await using stack = await startStack({ bot: false });
await seedBoard(stack);
const url = `${stack.url}/api/guilds/${stack.world.guildId}/board?status=open`;
await fetch(url, { headers: { cookie: stack.cookie } });
const child = fork(new URL('./load.ts', import.meta.url), [
  JSON.stringify({
    url,
    seconds: 8,
    connections: 10,
    headers: { cookie: stack.cookie, 'accept-encoding': 'gzip' },
  }),
]);
console.log(await new Promise((r) => child.once('message', r)));
