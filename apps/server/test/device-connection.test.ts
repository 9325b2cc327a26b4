import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, createUser, expectProblem, until, type TestApp } from './helpers.ts';

const exec = promisify(execFile);
const has = (bin: string) => ['/usr/bin', '/usr/local/bin', '/bin'].some((d) => fs.existsSync(`${d}/${bin}`));

/**
 * The connection details the console shows after a device is registered, run as printed: the curl
 * and mosquitto_pub examples, with the device's id and key filled in, against a listening server
 * and the module's own embedded broker.
 */
let t: TestApp;
let base: string;
let device: { id: string; key: string };
type Connection = { http: { url: string; example: string }; mqtt: { host: string; port: number; topic: string; credentials: string; example: string } | null };
let connection: Connection;
beforeAll(async () => {
  t = await createTestApp({ MQTT_PORT: '0' });
  await t.app.platform.modules.openListeners();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  device = (await t.inject({ method: 'POST', url: '/api/devices', headers: bearer(t.adminToken), payload: { name: 'Paste-ready sensor' } })).json();
  const res = await fetch(`${base}/api/devices/connection`, { headers: bearer(t.adminToken) });
  expect(res.status).toBe(200);
  connection = (await res.json()) as Connection;
});
afterAll(async () => {
  await t?.app.platform.modules.closeListeners();
  await t?.close();
});

const fill = (example: string) => example.replaceAll('{deviceId}', device.id).replaceAll('{deviceKey}', device.key);
const latest = async (metric: string) =>
  (await t.inject({ method: 'GET', url: `/api/telemetry/latest?deviceId=${device.id}&metric=${metric}`, headers: bearer(t.adminToken) })).json().data[0] as { lastValue: number } | undefined;

describe('device connection details', () => {
  it('name the address the console was reached at and the running broker', () => {
    expect(connection.http.url).toBe(`${base}/api/telemetry`);
    expect(connection.mqtt).toMatchObject({ host: '127.0.0.1', credentials: 'device', topic: 'imsop/devices/{deviceId}/telemetry' });
    expect(connection.mqtt!.port).toBeGreaterThan(0);
  });

  it.skipIf(!has('curl'))('the curl example, as printed, stores a point for the device', async () => {
    const { stdout } = await exec('sh', ['-c', `${fill(connection.http.example)} -s -w '\\n%{http_code}'`]);
    const [body, status] = stdout.trim().split('\n');
    expect(status, body).toBe('201');
    expect(JSON.parse(body!)).toMatchObject({ deviceId: device.id, metricName: 'temperature', value: 21.5 });
    expect((await latest('temperature'))?.lastValue).toBe(21.5);
  });

  it.skipIf(!has('mosquitto_pub'))('the mosquitto_pub example, as printed, stores a point for the device', async () => {
    // A value of its own, so the point seen is this one.
    const example = fill(connection.mqtt!.example).replace('"metricName":"temperature","value":21.5', '"metricName":"humidity","value":47');
    await exec('sh', ['-c', example], { timeout: 10_000 });
    expect((await until(() => latest('humidity')))?.lastValue).toBe(47);
  });

  it.skipIf(!has('curl'))('the curl example with a wrong key answers 401', async () => {
    const { stdout } = await exec('sh', ['-c', `${connection.http.example.replaceAll('{deviceKey}', 'dev_aaaaaaaaaaaa_wrongwrongwrongwrongwrong')} -s -o /dev/null -w '%{http_code}'`]);
    expect(stdout).toBe('401');
  });

  it('need devices:read; anonymous callers get 401', async () => {
    expectProblem(await t.inject({ method: 'GET', url: '/api/devices/connection' }), 401);
    const executive = await createUser(t, { roles: ['executive'] });
    expectProblem(await t.inject({ method: 'GET', url: '/api/devices/connection', headers: bearer(executive.token) }), 403);
    const viewer = await createUser(t, { roles: ['viewer'] });
    expect((await t.inject({ method: 'GET', url: '/api/devices/connection', headers: bearer(viewer.token) })).statusCode).toBe(200);
  });
});

const MOSQUITTO_URL = process.env.IMSOP_TEST_MQTT_URL;
describe.skipIf(!MOSQUITTO_URL || !has('mosquitto_pub'))('device connection details, external broker', () => {
  let ext: TestApp;
  // Its own client id: the session is not another test's.
  beforeAll(async () => {
    ext = await createTestApp({ MQTT_URL: MOSQUITTO_URL!, MQTT_CLIENT_ID: `conn-${crypto.randomUUID().slice(0, 8)}` });
    await ext.app.platform.modules.openListeners();
  });
  afterAll(async () => {
    await ext?.app.platform.modules.closeListeners();
    await ext?.close();
  });

  it('the mosquitto_pub example (the key in the message) reaches the broker and is stored', async () => {
    const d = (await ext.inject({ method: 'POST', url: '/api/devices', headers: bearer(ext.adminToken), payload: { name: 'Behind the broker' } })).json() as { id: string; key: string };
    const c = (await ext.inject({ method: 'GET', url: '/api/devices/connection', headers: bearer(ext.adminToken) })).json() as Connection;
    const broker = new URL(MOSQUITTO_URL!);
    expect(c.mqtt).toMatchObject({ host: broker.hostname, port: Number(broker.port || 1883), credentials: 'payload' });
    const example = c.mqtt!.example.replaceAll('{deviceId}', d.id).replaceAll('{deviceKey}', d.key).replace('"value":21.5', '"value":19.75');
    await exec('sh', ['-c', example], { timeout: 10_000 });
    const stored = await until(async () => {
      const r = (await ext.inject({ method: 'GET', url: `/api/telemetry/latest?deviceId=${d.id}&metric=temperature`, headers: bearer(ext.adminToken) })).json().data[0] as { lastValue: number } | undefined;
      return r?.lastValue != null ? r : undefined;
    });
    expect(stored.lastValue).toBe(19.75);
  });
});
