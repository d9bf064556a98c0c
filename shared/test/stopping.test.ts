import { describe, expect, it } from 'vitest';
import { stopStep } from '../src/stopping.ts';
import { eventually } from '../src/testing.ts';

describe('stopStep', () => {
  it('names in the log a step still running after its time, and says nothing of a quick one', async () => {
    const lines: { fields: Record<string, unknown>; message: string }[] = [];
    const log = {
      warn: (fields: Record<string, unknown>, message: string) => lines.push({ fields, message }),
    };

    expect(await stopStep(log, 'quick', async () => 'done', 20)).toBe('done');

    let finish!: () => void;
    const stuck = stopStep(
      log,
      'bot: outbox items being carried out',
      () =>
        new Promise<void>((resolve) => {
          finish = resolve;
        }),
      20,
    );
    await eventually(() => lines.length > 0);
    finish();
    await stuck;
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      fields: { step: 'bot: outbox items being carried out' },
      message: 'still stopping',
    });
    expect(lines[0]?.fields.ms).toBeGreaterThanOrEqual(20);
  });

  it('passes a failing step on', async () => {
    const log = { warn: () => {} };
    await expect(
      stopStep(log, 'database', async () => {
        throw new Error('already closed');
      }),
    ).rejects.toThrow('already closed');
  });
});
