import { describe, expect, it } from 'vitest';
import { loggerOptions } from './logger.ts';

describe('request log serializer', () => {
  it('redacts credentials in query strings, whatever the parameter prefix', () => {
    const req = loggerOptions('info').serializers!.req as (r: { method: string; url: string; id: string }) => { url: string };
    expect(req({ method: 'GET', url: '/api/realtime?access_token=eyJabc&since=5', id: '1' }).url).toBe('/api/realtime?access_token=[redacted]&since=5');
    expect(req({ method: 'GET', url: '/x?api_key=k1&code=123456&q=ok', id: '1' }).url).toBe('/x?api_key=[redacted]&code=[redacted]&q=ok');
    expect(req({ method: 'GET', url: '/api/users?q=token', id: '1' }).url).toBe('/api/users?q=token');
    // The WhatsApp webhook handshake's dotted parameter names.
    expect(req({ method: 'GET', url: '/api/webhooks/whatsapp/acme?hub.mode=subscribe&hub.verify_token=s3cret&hub.challenge=42', id: '1' }).url).toBe(
      '/api/webhooks/whatsapp/acme?hub.mode=subscribe&hub.verify_token=[redacted]&hub.challenge=42',
    );
  });
});
