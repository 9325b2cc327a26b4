import { describe, expect, it } from 'vitest';
import { errorSummary, outageReporter } from './outage.ts';

function fakeLog() {
  const lines: { level: 'warn' | 'info'; msg: string; obj: Record<string, unknown> }[] = [];
  return {
    lines,
    warn: (obj: unknown, msg?: string) => lines.push({ level: 'warn', msg: msg ?? '', obj: obj as Record<string, unknown> }),
    info: (obj: unknown, msg?: string) => lines.push({ level: 'info', msg: msg ?? '', obj: obj as Record<string, unknown> }),
  };
}

describe('outageReporter', () => {
  it('warns once when failing starts, reminds at most every remindMs, and reports the recovery once', () => {
    const log = fakeLog();
    let t = 0;
    const r = outageReporter(log, 'Thing', 60_000, () => t);
    for (let i = 0; i < 100; i++) {
      r.failed(new Error('connect ECONNREFUSED'));
      t += 500; // a retry every half second for 50 s
    }
    expect(log.lines.map((l) => l.msg)).toEqual(['Thing unavailable; retrying in the background']);
    expect(r.down).toBe(true);
    t = 61_000;
    r.failed(new Error('still'));
    r.failed(new Error('still'));
    expect(log.lines.map((l) => l.msg)).toEqual(['Thing unavailable; retrying in the background', 'Thing still unavailable']);
    r.ok();
    r.ok();
    expect(log.lines.at(-1)).toMatchObject({ level: 'info', msg: 'Thing recovered', obj: { failures: 102, downSeconds: 61 } });
    expect(log.lines).toHaveLength(3);
    expect(r.down).toBe(false);
    // A second outage is reported again.
    r.failed(new Error('again'));
    expect(log.lines).toHaveLength(4);
  });

  it('stays down while any keyed part fails, and recovers when all are back', () => {
    const log = fakeLog();
    const r = outageReporter(log, 'Redis');
    r.failed(new Error('a'), 'publisher');
    r.failed(new Error('b'), 'subscriber');
    r.ok('publisher');
    expect(r.down).toBe(true);
    expect(log.lines.filter((l) => l.level === 'info')).toHaveLength(0);
    r.ok('subscriber');
    expect(r.down).toBe(false);
    expect(log.lines.map((l) => l.msg)).toEqual(['Redis unavailable; retrying in the background', 'Redis recovered']);
    // ok() for a part that never failed says nothing.
    r.ok('other');
    expect(log.lines).toHaveLength(2);
  });

  it('summarises errors without stacks, through a cause', () => {
    const err = Object.assign(new Error('Failed query: select 1'), { cause: Object.assign(new Error('terminating connection'), { code: '57P01' }) });
    expect(errorSummary(err)).toEqual({ message: 'terminating connection', code: '57P01' });
    expect(errorSummary('plain')).toEqual({ message: 'plain' });
  });
});
