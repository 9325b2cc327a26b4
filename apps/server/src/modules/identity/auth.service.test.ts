import { describe, expect, it } from 'vitest';
import { lockoutSeconds } from './auth.service.ts';

describe('lockoutSeconds', () => {
  it('is zero below the threshold, then doubles from 30 s and caps at 15 minutes', () => {
    expect([1, 4].map((f) => lockoutSeconds(f, 5))).toEqual([0, 0]);
    expect([5, 6, 7, 8].map((f) => lockoutSeconds(f, 5))).toEqual([30, 60, 120, 240]);
    expect(lockoutSeconds(50, 5)).toBe(900);
    expect(lockoutSeconds(10_000, 5)).toBe(900);
  });
});
