import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, publicUrlOf, startupWarnings } from './config.ts';

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

  it('takes a METRICS_TOKEN only long enough and fit for a header, and never prints it back', () => {
    expect(loadConfig({}).METRICS_TOKEN).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: 'scrape-Token_0123456789' }).METRICS_TOKEN).toBe('scrape-Token_0123456789');
    for (const bad of ['too-short', 'has a space in it, sixteen+', 'tab\there-sixteen-chars']) {
      try {
        loadConfig({ METRICS_TOKEN: bad });
        expect.unreachable();
      } catch (err) {
        expect((err as Error).message).toMatch(/^Invalid configuration: METRICS_TOKEN:/);
        expect((err as Error).message).not.toContain(bad);
      }
    }
  });

  describe('chat channels', () => {
    const sid = `AC${'0123456789abcdef'.repeat(2)}`;
    it('are optional, with the public API bases as defaults', () => {
      const c = loadConfig({});
      expect(c.WHATSAPP_API_URL).toBe('https://graph.facebook.com');
      expect(c.WHATSAPP_API_VERSION).toBe('v21.0');
      expect(c.TWILIO_API_URL).toBe('https://api.twilio.com');
      expect([c.WHATSAPP_TOKEN, c.WHATSAPP_APP_SECRET, c.TWILIO_AUTH_TOKEN, c.TWILIO_FROM]).toEqual([undefined, undefined, undefined, undefined]);
    });

    it('accept a complete configuration (a sender number or a Messaging Service SID)', () => {
      const c = loadConfig({ WHATSAPP_TOKEN: 'wa-token-123', WHATSAPP_PHONE_NUMBER_ID: '106540352242922', TWILIO_ACCOUNT_SID: sid, TWILIO_AUTH_TOKEN: 'tw-token-123', TWILIO_FROM: '+15005550006' });
      expect(c.WHATSAPP_PHONE_NUMBER_ID).toBe('106540352242922');
      expect(loadConfig({ TWILIO_ACCOUNT_SID: sid, TWILIO_AUTH_TOKEN: 'tw-token-123', TWILIO_FROM: `MG${'a'.repeat(32)}` }).TWILIO_FROM).toMatch(/^MG/);
      // Inbound only: a secret to verify webhooks, nothing to send with.
      expect(loadConfig({ WHATSAPP_APP_SECRET: 'app-secret-123', WHATSAPP_ORG: 'default', TWILIO_AUTH_TOKEN: 'tw-token-123' }).WHATSAPP_APP_SECRET).toBe('app-secret-123');
    });

    it.each([
      [{ WHATSAPP_TOKEN: 'wa-token-123' }, 'WHATSAPP_PHONE_NUMBER_ID'],
      [{ WHATSAPP_PHONE_NUMBER_ID: '123' }, 'WHATSAPP_TOKEN'],
      [{ WHATSAPP_PHONE_NUMBER_ID: 'abc', WHATSAPP_TOKEN: 'wa-token-123' }, 'WHATSAPP_PHONE_NUMBER_ID'],
      [{ WHATSAPP_API_VERSION: '21' }, 'WHATSAPP_API_VERSION'],
      [{ WHATSAPP_API_URL: 'graph' }, 'WHATSAPP_API_URL'],
      [{ WHATSAPP_APP_SECRET: 'short' }, 'WHATSAPP_APP_SECRET'],
      // Inbound WhatsApp needs the org that owns the number: the signature does not cover the URL.
      [{ WHATSAPP_APP_SECRET: 'app-secret-123' }, 'WHATSAPP_ORG'],
      [{ WHATSAPP_APP_SECRET: 'app-secret-123', WHATSAPP_ORG: 'Not A Slug' }, 'WHATSAPP_ORG'],
      [{ TWILIO_FROM: '+15005550006' }, 'TWILIO_ACCOUNT_SID'],
      [{ TWILIO_ACCOUNT_SID: sid }, 'TWILIO_AUTH_TOKEN'],
      [{ TWILIO_ACCOUNT_SID: 'AC123', TWILIO_AUTH_TOKEN: 'tw-token-123' }, 'TWILIO_ACCOUNT_SID'],
      [{ TWILIO_ACCOUNT_SID: sid, TWILIO_AUTH_TOKEN: 'tw-token-123', TWILIO_FROM: '0207 946 0958' }, 'TWILIO_FROM'],
    ])('refuse half or malformed settings: %o names %s', (env, name) => {
      expect(() => loadConfig(env as Record<string, string>)).toThrow(new RegExp(`^Invalid configuration: ${name}:`));
    });

    it('never print a secret back', () => {
      const token = 'x'.repeat(2000);
      expect(() => loadConfig({ TWILIO_AUTH_TOKEN: token })).toThrow(/TWILIO_AUTH_TOKEN/);
      try {
        loadConfig({ TWILIO_AUTH_TOKEN: token });
      } catch (err) {
        expect((err as Error).message).not.toContain(token);
      }
    });
  });
});

describe('publicUrlOf', () => {
  it('is PUBLIC_URL when set, else the listening address people can reach (IPv6 in brackets)', () => {
    expect(publicUrlOf({ PUBLIC_URL: 'https://ops.example.com/imsop', HOST: '0.0.0.0', PORT: 3000 })).toBe('https://ops.example.com/imsop');
    expect(publicUrlOf({ PUBLIC_URL: undefined, HOST: '0.0.0.0', PORT: 3000 })).toBe('http://127.0.0.1:3000');
    expect(publicUrlOf({ PUBLIC_URL: undefined, HOST: '::', PORT: 3000 })).toBe('http://[::1]:3000');
    expect(publicUrlOf({ PUBLIC_URL: undefined, HOST: '::1', PORT: 8080 })).toBe('http://[::1]:8080');
    expect(new URL(publicUrlOf({ PUBLIC_URL: undefined, HOST: 'fd00::5', PORT: 80 })).hostname).toBe('[fd00::5]');
  });
});

describe('startupWarnings', () => {
  it('says mail is only being logged when no mail server is configured, and nothing once SMTP_URL is set', () => {
    const local = { HOST: '127.0.0.1', METRICS_TOKEN: undefined };
    expect(startupWarnings({ ...local, SMTP_URL: undefined })).toEqual([expect.stringMatching(/mail is only being logged/)]);
    expect(startupWarnings({ ...local, SMTP_URL: 'smtp://relay.example:587' })).toEqual([]);
  });

  it('says /metrics is open when the server listens beyond loopback without METRICS_TOKEN, and only then', () => {
    const mail = { SMTP_URL: 'smtp://relay.example:587' };
    for (const HOST of ['0.0.0.0', '::', '10.0.0.5', 'imsop.example.org']) {
      expect(startupWarnings({ ...mail, HOST, METRICS_TOKEN: undefined })).toEqual([expect.stringContaining(`reach ${HOST}`)]);
      expect(startupWarnings({ ...mail, HOST, METRICS_TOKEN: 'scrape-Token_0123456789' })).toEqual([]);
    }
    for (const HOST of ['127.0.0.1', '127.0.1.1', 'localhost', '::1', '[::1]']) expect(startupWarnings({ ...mail, HOST, METRICS_TOKEN: undefined })).toEqual([]);
  });
});

describe('MQTT_PUBLIC_URL', () => {
  it('takes mqtt:// and mqtts:// URLs only', () => {
    expect(loadConfig({ MQTT_PUBLIC_URL: 'mqtts://mqtt.example.com:8883' }).MQTT_PUBLIC_URL).toBe('mqtts://mqtt.example.com:8883');
    expect(() => loadConfig({ MQTT_PUBLIC_URL: 'https://mqtt.example.com' })).toThrow(/MQTT_PUBLIC_URL: must be an mqtt/);
  });
});
