import * as OTPAuth from 'otpauth';

/** RFC 6238 as authenticator apps use it: SHA-1, six digits, 30-second steps. */
export const TOTP_PERIOD = 30;

export function totpFor(secretBase32: string, label: string) {
  return new OTPAuth.TOTP({
    issuer: 'IMSOP',
    label,
    algorithm: 'SHA1',
    digits: 6,
    period: TOTP_PERIOD,
    secret: OTPAuth.Secret.fromBase32(secretBase32),
  });
}

/** The 30-second time-step that `nowMs` falls in. */
export const totpStep = (nowMs: number) => Math.floor(nowMs / 1000 / TOTP_PERIOD);

/**
 * The time-step whose code `code` is, within one step either side of `nowMs` (clock drift), or
 * null. Only six digits can match (the library throws on a code whose length differs). The caller
 * accepts the code only if the step is later than the last one it accepted for the user
 * (RFC 6238 §5.2: a code is good once).
 */
export function matchedStep(secretBase32: string, code: string, nowMs: number): number | null {
  const token = code.replace(/\s/g, '');
  if (!/^\d{6}$/.test(token)) return null;
  const delta = totpFor(secretBase32, 'check').validate({ token, window: 1, timestamp: nowMs });
  return delta === null ? null : totpStep(nowMs) + delta;
}
