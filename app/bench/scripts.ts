import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository's root folder, where `pnpm <script>` runs. */
export const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The arguments of a root package.json script that runs `node …`, so a test
 * or benchmark starts exactly what `pnpm <script>` does (from the root).
 */
export function scriptArgs(script: 'start' | 'start:bot' | 'start:server'): string[] {
  const scripts = JSON.parse(readFileSync(`${repositoryRoot}package.json`, 'utf8'))
    .scripts as Record<string, string>;
  const [node, ...args] = (scripts[script] ?? '').split(' ');
  if (node !== 'node') throw new Error(`package.json script ${script} does not start with node`);
  return args;
}
