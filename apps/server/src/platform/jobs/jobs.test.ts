import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJob, nextFiring } from './jobs.ts';

const at = (s: string) => Date.parse(s);
const show = (ms: number) => new Date(ms).toISOString();

describe('nextFiring', () => {
  it('every: the first slot after now, on the grid of the previous firing (downtime skips slots, keeps the rhythm)', () => {
    const anchor = at('2030-03-01T10:00:00Z');
    expect(show(nextFiring({ every: 60_000 }, anchor, anchor))).toBe('2030-03-01T10:01:00.000Z');
    expect(show(nextFiring({ every: 60_000 }, at('2030-03-01T10:00:59.999Z'), anchor))).toBe('2030-03-01T10:01:00.000Z');
    expect(show(nextFiring({ every: 60_000 }, at('2030-03-01T13:27:10Z'), anchor))).toBe('2030-03-01T13:28:00.000Z');
    // A first firing (no anchor): one interval from now.
    expect(show(nextFiring({ every: 15_000 }, at('2030-03-01T10:00:07Z')))).toBe('2030-03-01T10:00:22.000Z');
  });

  it('daily: the next wall-clock time in its zone, across DST changes', () => {
    expect(show(nextFiring({ daily: '03:30' }, at('2030-03-01T03:29:00Z')))).toBe('2030-03-01T03:30:00.000Z');
    expect(show(nextFiring({ daily: '03:30' }, at('2030-03-01T03:30:00Z')))).toBe('2030-03-02T03:30:00.000Z');
    // Paris: 02:30 does not exist on 31 March 2030 (02:00 → 03:00); it fires at the jump.
    expect(show(nextFiring({ daily: '02:30', timeZone: 'Europe/Paris' }, at('2030-03-30T12:00:00Z')))).toBe('2030-03-31T01:30:00.000Z');
    // Paris summer time: 06:00 local is 04:00 UTC; winter: 05:00 UTC.
    expect(show(nextFiring({ daily: '06:00', timeZone: 'Europe/Paris' }, at('2030-07-01T00:00:00Z')))).toBe('2030-07-01T04:00:00.000Z');
    expect(show(nextFiring({ daily: '06:00', timeZone: 'Europe/Paris' }, at('2030-12-01T00:00:00Z')))).toBe('2030-12-01T05:00:00.000Z');
    // 02:30 happens twice on 27 October 2030: the first pass (summer time, 00:30 UTC).
    expect(show(nextFiring({ daily: '02:30', timeZone: 'Europe/Paris' }, at('2030-10-26T12:00:00Z')))).toBe('2030-10-27T00:30:00.000Z');
  });
});

describe('defineJob', () => {
  it('refuses a bad name or attempt count', () => {
    const handler = async () => undefined;
    expect(() => defineJob({ name: 'Bad Name', payload: z.object({}), handler })).toThrow(/must match/);
    expect(() => defineJob({ name: 'ok.name', payload: z.object({}), handler, maxAttempts: 0 })).toThrow(/positive integer/);
    expect(defineJob({ name: 'ok.name', payload: z.object({}), handler })).toMatchObject({ name: 'ok.name', maxAttempts: 3, leaseMs: 60_000 });
  });
});
