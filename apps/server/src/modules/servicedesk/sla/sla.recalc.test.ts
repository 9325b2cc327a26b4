import { describe, expect, it } from 'vitest';
import { serialLane } from './sla.recalc.ts';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('serialLane', () => {
  it('runs operations one at a time, in the order given', async () => {
    const lane = serialLane();
    const log: string[] = [];
    let running = 0;
    const op = (name: string) => async () => {
      running++;
      expect(running).toBe(1);
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
      running--;
      return name;
    };
    const results = await Promise.all([lane.run(op('a')), lane.run(op('b')), lane.run(op('c'))]);
    await lane.drain();
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('refuses what is queued after a failure with that first failure, and drain reports it', async () => {
    const lane = serialLane();
    const ran: string[] = [];
    const first = new Error('write failed');
    const a = lane.run(async () => {
      ran.push('a');
      await tick();
      throw first;
    });
    const b = lane.run(async () => {
      ran.push('b');
      throw new Error('never');
    });
    await expect(a).rejects.toBe(first);
    await expect(b).rejects.toBe(first);
    await expect(lane.drain()).rejects.toBe(first);
    expect(ran).toEqual(['a']);
  });

  it('a failure nobody awaits yet is not an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const lane = serialLane();
      void lane.run(() => Promise.reject(new Error('boom')));
      await tick();
      await tick();
      await expect(lane.drain()).rejects.toThrow('boom');
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
