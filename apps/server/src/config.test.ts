import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('has working defaults', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.HOST).toBe('127.0.0.1');
    expect(c.ACCESS_TOKEN_TTL).toBe(900);
    expect(c.REFRESH_TOKEN_TTL).toBe(7 * 24 * 3600);
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.IMSOP_DATA_DIR).toMatch(/\/data$/);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ ACCESS_TOKEN_TTL: '7200' }, 'ACCESS_TOKEN_TTL'],
    [{ CORS_ORIGINS: 'https://ok.example, nope' }, 'CORS_ORIGINS'],
    [{ IMSOP_JWT_SECRET: 'short' }, 'IMSOP_JWT_SECRET'],
    [{ REFRESH_GRACE_SECONDS: '30' }, 'REFRESH_GRACE_SECONDS'],
  ])('names the variable in one line for %o', (env, name) => {
    try {
      loadConfig(env as Record<string, string>);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      expect(msg.startsWith(`Invalid configuration: ${name}:`)).toBe(true);
      expect(msg).not.toContain('\n');
    }
  });

  it('parses lists and URLs', () => {
    const c = loadConfig({ CORS_ORIGINS: 'https://a.example, https://b.example', DATABASE_URL: 'postgres://u@h:5432/db' });
    expect(c.CORS_ORIGINS).toEqual(['https://a.example', 'https://b.example']);
    expect(c.DATABASE_URL).toBe('postgres://u@h:5432/db');
  });
});
