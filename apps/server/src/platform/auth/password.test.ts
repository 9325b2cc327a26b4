import { describe, expect, it } from 'vitest';
import { breachedPasswords, hashPassword, PASSWORD_MIN, passwordProblem, verifyPassword } from './password.ts';

describe('passwordProblem', () => {
  it.each([
    ['short', /at least 12/],
    ['x'.repeat(129), /at most 128/],
    ['Unbelievable', /common password/],
    ['zyxzyxzyxzyxzyx', /too few different/],
  ])('refuses %s', (pw, why) => {
    expect(passwordProblem(pw)).toMatch(why);
  });
  it('refuses a password containing the email name', () => {
    expect(passwordProblem('my-jsmith-password', { email: 'jsmith@example.com' })).toMatch(/email/);
  });
  it('accepts a long, unusual password and counts characters, not bytes', () => {
    expect(passwordProblem('Sturdy-Password-42')).toBeNull();
    expect(passwordProblem('ÄÖÜßéèêëîïôœ')).toBeNull();
  });
});

describe('breached passwords (issue 11)', () => {
  // Known breached passwords of 12 characters or more (the minimum): each appears in public breach corpora.
  const breached = ['password1234', 'qwertyuiop123', 'iloveyou1234', '123456789012', 'qwerty123456', '1q2w3e4r5t6y', 'passwordpassword', 'qazwsxedcrfv'];
  it.each(breached)('refuses %s, in any case', (pw) => {
    expect(passwordProblem(pw)).toMatch(/breach/);
    expect(passwordProblem(pw.toUpperCase())).toMatch(/breach/);
  });

  it('holds a real list with long entries, not a handful', () => {
    const list = breachedPasswords();
    expect(list.size).toBeGreaterThan(10_000);
    const short = [...list].filter((p) => [...p].length < PASSWORD_MIN);
    expect(short, 'entries shorter than the minimum are refused by length already; the list keeps only the others').toEqual([]);
  });

  it('the minimum stays at least 12: the list holds only entries that long (regenerate it before lowering the minimum)', () => {
    expect(PASSWORD_MIN).toBeGreaterThanOrEqual(12);
  });

  it('is loaded once and checked by a set lookup: 20,000 checks take well under a second', () => {
    breachedPasswords();
    const started = performance.now();
    for (let i = 0; i < 20_000; i++) passwordProblem(`Sturdy-Password-${i}`);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('argon2id', () => {
  it('hashes with argon2id and verifies only the right password', async () => {
    const h = await hashPassword('Sturdy-Password-42');
    expect(h).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(h, 'Sturdy-Password-42')).toBe(true);
    expect(await verifyPassword(h, 'Sturdy-Password-43')).toBe(false);
    expect(await verifyPassword(null, 'anything')).toBe(false);
    expect(await verifyPassword('not-a-hash', 'anything')).toBe(false);
  });
});
