import { describe, expect, it } from 'vitest';
import { lagText, retryText } from './subscriptions';

describe('event subscriptions page texts', () => {
  it('says how far behind a subscription is in the largest fitting unit', () => {
    expect([0, 4, 59, 60, 89, 3599, 3600, 5400, 86_399, 86_400, 200_000].map(lagText)).toEqual([
      '0 s',
      '4 s',
      '59 s',
      '1 min',
      '1 min',
      '60 min',
      '1 h',
      '1.5 h',
      '24 h',
      '1 d',
      '2.3 d',
    ]);
  });

  it('names the failing event only when it is this organization’s', () => {
    expect(retryText({ retrying: false, headEventId: null, lastError: null })).toBeNull();
    expect(retryText({ retrying: true, headEventId: 42, lastError: 'SMTP refused' })).toBe('Event #42: SMTP refused');
    expect(retryText({ retrying: true, headEventId: null, lastError: null })).toMatch(/Another organization’s event/);
  });
});
