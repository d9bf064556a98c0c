import { latencyBench } from './latency.ts';
for (const r of await latencyBench()) console.log(r);
process.exit(0);
