import { describe, expect, it } from 'vitest';
import { effectiveRetention, RETENTION_DEFAULTS } from './retention.ts';

describe('effectiveRetention', () => {
  it('takes the org’s whole days and the defaults for the rest', () => {
    expect(effectiveRetention({ rawDays: 7 })).toEqual({ ...RETENTION_DEFAULTS, rawDays: 7 });
    expect(effectiveRetention({ rawDays: 1, minuteDays: 2, hourDays: 3 })).toEqual({ rawDays: 1, minuteDays: 2, hourDays: 3 });
  });

  it.each([null, undefined, 'x', [], { rawDays: 0 }, { rawDays: -3 }, { rawDays: 1.5 }, { rawDays: '10' }, { minuteDays: null }])(
    'falls back to the defaults for %j',
    (stored) => expect(effectiveRetention(stored)).toEqual(RETENTION_DEFAULTS),
  );
});
