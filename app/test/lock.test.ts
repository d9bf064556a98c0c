import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockDataDir } from '../src/product.ts';

describe('the embedded database folder is one process’s', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tf-lock-'));
  const lockFile = join(dir, 'ticketflow.lock');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A process that lives until killed, and one that has already exited. */
  const live = () => spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
  const dead = async () => {
    const child = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => child.on('exit', resolve));
    return child.pid ?? 0;
  };

  it('is taken when free, refused while a live process holds it, taken over from a gone one', async () => {
    const release = lockDataDir(dir);
    expect(typeof release).toBe('function');
    expect(readFileSync(lockFile, 'utf8')).toBe(String(process.pid));
    (release as () => void)();
    expect(existsSync(lockFile)).toBe(false);

    const other = live();
    try {
      writeFileSync(lockFile, String(other.pid));
      expect(lockDataDir(dir)).toBe(other.pid);
      expect(readFileSync(lockFile, 'utf8')).toBe(String(other.pid));
    } finally {
      other.kill();
    }

    writeFileSync(lockFile, String(await dead()));
    const taken = lockDataDir(dir);
    expect(typeof taken).toBe('function');
    expect(readFileSync(lockFile, 'utf8')).toBe(String(process.pid));
    (taken as () => void)();
  });
});
