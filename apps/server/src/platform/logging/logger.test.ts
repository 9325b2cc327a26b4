import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { lazyChildLoggerFactory, loggedUrl, loggerOptions, serializeError } from './logger.ts';

describe('request log serializer', () => {
  const req = loggerOptions('info').serializers!.req as (r: { method: string; url: string; id: string }) => { url: string };

  it('redacts credentials in query strings, whatever the parameter prefix', () => {
    expect(req({ method: 'GET', url: '/api/realtime?access_token=eyJabc&since=5', id: '1' }).url).toBe('/api/realtime?access_token=[redacted]&since=5');
    expect(req({ method: 'GET', url: '/x?api_key=k1&code=123456&limit=3', id: '1' }).url).toBe('/x?api_key=[redacted]&code=[redacted]&limit=3');
    // The WhatsApp webhook handshake's dotted parameter names.
    expect(req({ method: 'GET', url: '/api/webhooks/whatsapp/acme?hub.mode=subscribe&hub.verify_token=s3cret&hub.challenge=42', id: '1' }).url).toBe(
      '/api/webhooks/whatsapp/acme?hub.mode=subscribe&hub.verify_token=[redacted]&hub.challenge=[redacted]',
    );
  });

  it('redacts personal data in search terms and cursors; keeps paging, windows, enums and ids', () => {
    expect(loggedUrl('/api/users?q=ada%40example.test&limit=20&cursor=eyJlbWFpbCI6ImFkYUBleGFtcGxlLnRlc3QifQ')).toBe('/api/users?q=[redacted]&limit=20&cursor=[redacted]');
    expect(loggedUrl('/api/tickets?status=open&priority=high&assigneeId=0190a0b0-0000-7000-8000-000000000001&tag=Jane+Doe')).toBe(
      '/api/tickets?status=open&priority=high&assigneeId=0190a0b0-0000-7000-8000-000000000001&tag=[redacted]',
    );
    // Unknown parameters, bare values, encoded names and malformed encodings: redacted unless listed.
    expect(loggedUrl('/api/x?mobile=%2B33612345678&jane@example.test&li%6Dit=5&%zz=1&=v&')).toBe('/api/x?mobile=[redacted]&[redacted]&li%6Dit=5&%zz=[redacted]&=[redacted]&');
    expect(loggedUrl('/api/health')).toBe('/api/health');
    // An invitation link's token, previewed by the console.
    expect(loggedUrl('/api/invitations/accept?token=s3cret')).toBe('/api/invitations/accept?token=[redacted]');
  });
});

describe('error log serializer', () => {
  /** What a real pino logger with these options writes for `log.error({ err })`. */
  function logged(err: unknown): string {
    let out = '';
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => ((out += chunk.toString()), done()) });
    pino(loggerOptions('info'), sink).error({ err }, 'failed');
    return out;
  }

  it('drops a failed query’s bound values (message, stack and params) and keeps the query and the cause', () => {
    // The shape of drizzle-orm's DrizzleQueryError around a node-postgres error.
    const cause = Object.assign(new Error('duplicate key value violates unique constraint "users_org_email"'), {
      code: '23505',
      detail: 'Key (org_id, lower(email))=(0190a0b0-0000-7000-8000-000000000001, ada.lovelace@example.test) already exists.',
    });
    const params = ['ada.lovelace@example.test', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g', '+44 20 7946 0000'];
    const err = Object.assign(new Error(`Failed query: insert into "users" ("email", "password_hash", "phone") values ($1, $2, $3)\nparams: ${params}`), { params, cause });
    const line = logged(err);
    for (const p of params) expect(line).not.toContain(p);
    expect(line).not.toContain('ada.lovelace');
    expect(line).toContain('insert into \\"users\\"');
    expect(line).toContain('params: [redacted]');
    expect(line).toContain('duplicate key value violates unique constraint');
    expect(JSON.parse(line).err.params).toBeUndefined();
  });

  it('masks email addresses and constraint key values in any error, and in error strings', () => {
    const pgErr = Object.assign(new Error('insert or update on table "tickets" violates foreign key constraint'), {
      detail: 'Key (requester_email)=(grace@example.test) is not present in table "people".',
    });
    const out = serializeError(pgErr) as { detail: string; message: string };
    expect(out.detail).toBe('Key (requester_email)=([redacted]) is not present in table "people".');
    expect(serializeError(new Error('All recipients were rejected: 550 <grace.hopper@navy.example>')) as { message: string }).toMatchObject({
      message: 'All recipients were rejected: 550 <[email]>',
    });
    expect(serializeError('mqtt: cannot deliver to grace@example.test')).toBe('mqtt: cannot deliver to [email]');
    // Anything else passes through as pino's own serializer leaves it.
    expect(serializeError({ issues: [{ path: ['x'] }] })).toEqual({ issues: [{ path: ['x'] }] });
    expect(logged(new Error('plain'))).toContain('"message":"plain"');
  });
});

describe('request child logger', () => {
  /** A pino logger at `level` writing to a string, with a count of the children made from it. */
  function sink(level: string) {
    const lines: string[] = [];
    const out = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) });
    const logger = pino({ ...loggerOptions(level), timestamp: false, base: null }, out);
    let children = 0;
    const child = logger.child.bind(logger);
    logger.child = ((...args: Parameters<typeof child>) => (children++, child(...args))) as typeof logger.child;
    return { logger, lines, children: () => children };
  }

  it('writes exactly what a real child writes, bindings and redaction included', () => {
    const eager = sink('info');
    const lazy = sink('info');
    const bindings = { reqId: 'r-1' };
    const real = eager.logger.child(bindings);
    const made = lazyChildLoggerFactory(lazy.logger, bindings, {}) as typeof real;
    for (const log of [real, made]) {
      log.info({ user: { email: 'grace@example.test', id: 7 } }, 'signed in');
      log.debug('not written at info');
      log.error({ err: new Error('failed for ada@example.test') }, 'failed');
    }
    expect(lazy.lines).toEqual(eager.lines);
    expect(lazy.lines).toHaveLength(2);
    expect(lazy.lines.join('')).not.toContain('example.test');
    expect(lazy.lines[0]).toContain('"reqId":"r-1"');
  });

  it('makes the child only for a line that will be written', () => {
    const s = sink('warn');
    const log = lazyChildLoggerFactory(s.logger, { reqId: 'r-2' }, {}) as ReturnType<typeof s.logger.child>;
    log.info('below the level');
    log.debug('below the level');
    expect(s.children()).toBe(0);
    expect(log.level).toBe('warn');
    log.warn('written');
    log.error('written too');
    expect(s.children()).toBe(1);
    expect(s.lines.map((l) => JSON.parse(l).msg)).toEqual(['written', 'written too']);
  });

  it('gives a route with its own log level a real child', () => {
    const s = sink('warn');
    const log = lazyChildLoggerFactory(s.logger, { reqId: 'r-3' }, { level: 'debug' }) as ReturnType<typeof s.logger.child>;
    expect(s.children()).toBe(1);
    log.debug('written at the route level');
    expect(s.lines).toHaveLength(1);
  });
});
