import * as OTPAuth from 'otpauth';
import { describe, expect, it } from 'vitest';
import { matchedStep, totpStep } from './totp.ts';

const secret = new OTPAuth.Secret({ size: 20 }).base32;
const gen = (ms: number) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate({ timestamp: ms });
// A fixed clock, in the middle of a step.
const now = Date.UTC(2030, 0, 1, 12, 0, 15);
const s = totpStep(now);

describe('matchedStep', () => {
  it('answers the step the code belongs to, one step either side of now', () => {
    expect(matchedStep(secret, gen(now), now)).toBe(s);
    expect(matchedStep(secret, gen(now - 30_000), now)).toBe(s - 1);
    expect(matchedStep(secret, gen(now + 30_000), now)).toBe(s + 1);
    expect(matchedStep(secret, ` ${gen(now).slice(0, 3)} ${gen(now).slice(3)} `, now)).toBe(s);
  });

  it('refuses codes two steps away, wrong codes and anything but six digits', () => {
    expect(matchedStep(secret, gen(now - 60_000), now)).toBeNull();
    expect(matchedStep(secret, gen(now + 60_000), now)).toBeNull();
    const wrong = String((Number(gen(now)) + 1) % 1_000_000).padStart(6, '0');
    expect(matchedStep(secret, wrong, now)).toBeNull();
    for (const code of ['', '12345', '1234567', 'abcdef', 'recovery-code']) expect(matchedStep(secret, code, now)).toBeNull();
  });

  it('follows the injected clock, not the machine’s', () => {
    const later = now + 3600_000;
    expect(matchedStep(secret, gen(now), later)).toBeNull();
    expect(matchedStep(secret, gen(later), later)).toBe(totpStep(later));
  });
});
