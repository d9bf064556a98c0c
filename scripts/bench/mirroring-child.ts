// The mirroring benchmark in a process started with given V8 flags and
// environment (those of `pnpm start:bot`), so their cost in CPU is measured:
// the bot, the emulator and the raw loop all run under them.
import { mirroringBench } from './mirroring.ts';

const how = process.argv[2] ?? '';
process.send?.({ rows: await mirroringBench(3000, how) }, () => process.exit(0));
