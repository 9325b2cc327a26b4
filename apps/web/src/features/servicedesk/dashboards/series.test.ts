import { describe, expect, it } from 'vitest';
import { dailySeries } from './series';

const day = (d: string) => Date.parse(`${d}T00:00:00Z`) / 1000;

describe('dailySeries', () => {
  it('one point per UTC day of the period, zero where the API lists nothing', () => {
    const [created, resolved] = dailySeries([{ day: '2026-03-02', created: 4, resolved: 1 }], '2026-03-01T10:00:00.000Z', '2026-03-03T09:00:00.000Z');
    expect(created).toEqual({ label: 'Created', points: [[day('2026-03-01'), 0], [day('2026-03-02'), 4], [day('2026-03-03'), 0]] });
    expect(resolved!.points.map((p) => p[1])).toEqual([0, 1, 0]);
  });
  it('an unreadable period gives empty series', () => {
    expect(dailySeries([], 'x', 'y').map((s) => s.points)).toEqual([[], []]);
  });
});
