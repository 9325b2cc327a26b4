import { describe, expect, it } from 'vitest';
import { scrapeReader } from './metrics.ts';

describe('scrapeReader', () => {
  it('never waits long for a slow read, serves the last reading meanwhile, and runs one read at a time', async () => {
    let reads = 0;
    let finish: ((v: number) => void) | null = null;
    const read = scrapeReader(
      () =>
        new Promise<number>((resolve) => {
          reads++;
          finish = resolve;
        }),
      20,
    );
    const t0 = performance.now();
    expect(await read()).toBeNull(); // nothing read yet, and the read is still out
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(await read()).toBeNull();
    expect(reads).toBe(1); // the second scrape joined the read in flight
    finish!(7);
    await new Promise((r) => setTimeout(r, 0));
    // The next scrape starts a new read; while it is out, the last reading (7) serves.
    expect(await read()).toBe(7);
    expect(reads).toBe(2);
    finish!(8);
    await new Promise((r) => setTimeout(r, 0));
    const fast = scrapeReader(async () => 1, 10_000);
    expect(await fast()).toBe(1); // a quick read is waited for
  });

  it('keeps the last reading when a read fails', async () => {
    let fail = false;
    const read = scrapeReader(async () => {
      if (fail) throw new Error('database down');
      return 3;
    }, 1_000);
    expect(await read()).toBe(3);
    fail = true;
    expect(await read()).toBe(3);
  });
});
