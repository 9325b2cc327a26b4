import { describe, expect, it } from 'vitest';
import { deviceConnection } from './connection.ts';

const base = { PUBLIC_URL: undefined, MQTT_ENABLED: true, MQTT_URL: undefined, MQTT_PUBLIC_URL: undefined };
const origin = { origin: 'http://console.example:3000' };

describe('device connection details', () => {
  it('embedded broker: the console’s host and the broker’s port; the device id and key are the MQTT credentials', () => {
    const c = deviceConnection(base, origin, 1884);
    expect(c.http).toMatchObject({ url: 'http://console.example:3000/api/telemetry', batchUrl: 'http://console.example:3000/api/telemetry/batch', keyHeader: 'X-Device-Key' });
    expect(c.http.example).toBe(`curl -X POST 'http://console.example:3000/api/telemetry' -H 'X-Device-Key: {deviceKey}' -H 'Content-Type: application/json' -d '{"metricName":"temperature","value":21.5}'`);
    expect(c.mqtt).toEqual({
      host: 'console.example',
      port: 1884,
      tls: false,
      topic: 'imsop/devices/{deviceId}/telemetry',
      credentials: 'device',
      example: `mosquitto_pub -h 'console.example' -p 1884 -u '{deviceId}' -P '{deviceKey}' -t 'imsop/devices/{deviceId}/telemetry' -q 1 -m '{"metricName":"temperature","value":21.5}'`,
    });
  });

  it('PUBLIC_URL (with a path) and MQTT_PUBLIC_URL win over the request', () => {
    const c = deviceConnection({ ...base, PUBLIC_URL: 'https://ops.example.com/imsop/', MQTT_PUBLIC_URL: 'mqtts://mqtt.example.com' }, origin, 1884);
    expect(c.http.url).toBe('https://ops.example.com/imsop/api/telemetry');
    expect(c.mqtt).toMatchObject({ host: 'mqtt.example.com', port: 8883, tls: true });
    expect(c.mqtt!.example).toContain('--capath /etc/ssl/certs');
    expect(deviceConnection({ ...base, PUBLIC_URL: 'https://ops.example.com' }, origin, 1999).mqtt).toMatchObject({ host: 'ops.example.com', port: 1999 });
  });

  it('an external broker: its address without its credentials, the key in the message', () => {
    const c = deviceConnection({ ...base, MQTT_URL: 'mqtt://ingest:s3cret-pass@broker.internal:1883' }, origin, null);
    expect(c.mqtt).toMatchObject({ host: 'broker.internal', port: 1883, credentials: 'payload' });
    expect(JSON.stringify(c)).not.toMatch(/s3cret|ingest:/);
    expect(c.mqtt!.example).not.toContain(' -u ');
    expect(c.mqtt!.example).toContain(`-m '{"deviceKey":"{deviceKey}","metricName":"temperature","value":21.5}'`);
  });

  it('no MQTT when it is off or the embedded broker is not running; IPv6 hosts unbracketed for -h', () => {
    expect(deviceConnection({ ...base, MQTT_ENABLED: false }, origin, 1884).mqtt).toBeNull();
    expect(deviceConnection(base, origin, null).mqtt).toBeNull();
    expect(deviceConnection(base, { origin: 'http://[::1]:3000' }, 1884).mqtt).toMatchObject({ host: '::1', port: 1884 });
  });

  it('quotes what it puts in the shell', () => {
    const c = deviceConnection({ ...base, PUBLIC_URL: "https://o'brien.example" }, origin, 1);
    expect(c.http.example).toContain(`'https://o'\\''brien.example/api/telemetry'`);
  });
});
