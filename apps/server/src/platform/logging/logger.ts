import type { LoggerOptions } from 'pino';

/** Credentials and personal data never reach the logs. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.refreshToken',
  '*.accessToken',
  '*.mfaToken',
  '*.token',
  '*.secret',
  '*.key',
  '*.email',
  '*.phone',
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      req: (req: { method: string; url: string; id: string }) => ({
        method: req.method,
        url: req.url.replace(/([?&][a-z_.]*(token|key|code)=)[^&]*/gi, '$1[redacted]'),
        id: req.id,
      }),
    },
  };
}
