import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMqttIngest, type MqttIngest } from '../src/modules/telemetry/index.ts';
import { runAsLeader, type Leadership } from '../src/platform/db/leader.ts';
import { bearer, createTestApp, PG_URL, type TestApp } from './helpers.ts';
import { telemetryModule } from '../src/modules/telemetry/index.ts';

const MOSQUITTO_URL = process.env.IMSOP_TEST_MQTT_URL;

let t: TestApp;
let device: { id: string; key: string };
let opId: string;
beforeAll(async () => {
  t = await createTestApp();
  opId = (await t.inject({ method: 'POST', url: '/api/operations', headers: bearer(t.adminToken), payload: { name: 'MQTT site' } })).json().id;
  device = (await t.inject({ method: 'POST', url: '/api/devices', headers: bearer(t.adminToken), payload: { name: 'MQTT meter', operationId: opId } })).json();
});
afterAll(async () => t?.close());

const services = () => ({ devices: t.app.platform.module(telemetryModule).services.devices, telemetry: t.app.platform.module(telemetryModule).services.telemetry });
const silent = { info: () => undefined, warn: () => undefined };
const latest = async (metric: string) =>
  (await t.inject({ method: 'GET', url: `/api/telemetry/latest?deviceId=${device.id}&metric=${metric}`, headers: bearer(t.adminToken) })).json().data[0] as
    | { lastValue: number }
    | undefined;

describe('MQTT ingestion, embedded broker', () => {
  let broker: MqttIngest;
  beforeAll(async () => {
    broker = await startMqttIngest({ port: 0, host: '127.0.0.1', ...services(), log: silent });
  });
  afterAll(async () => broker?.close());

  it('stores a QoS 1 publish before acknowledging it', async () => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { username: device.id, password: device.key, reconnectPeriod: 0 });
    await c.publishAsync(`imsop/devices/${device.id}/telemetry`, JSON.stringify({ ts: Date.now(), values: { kwh: 42.5 } }), { qos: 1 });
    // PUBACK has arrived: the point must already be committed.
    expect((await latest('kwh'))?.lastValue).toBe(42.5);
    await c.endAsync();
  });

  it('refuses bad credentials and publishing for another device', async () => {
    await expect(
      mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { username: device.id, password: 'dev_aaaaaaaaaaaa_wrongwrongwrongwrongwrong', reconnectPeriod: 0 }),
    ).rejects.toThrow(/Not authorized|Bad user name or password|bad/i);
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { username: device.id, password: device.key, reconnectPeriod: 0 });
    const other = '00000000-0000-4000-8000-000000000009';
    // The broker drops the client on an unauthorised publish.
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.publish(`imsop/devices/${other}/telemetry`, JSON.stringify({ values: { kwh: 1 } }), { qos: 1 });
    await closed;
    c.end(true);
  });

  it('a port already in use gives a clear error', async () => {
    await expect(startMqttIngest({ port: broker.port!, host: '127.0.0.1', ...services(), log: silent })).rejects.toThrow(
      new RegExp(`MQTT port ${broker.port} on 127.0.0.1 is already in use`),
    );
  });
});

describe.skipIf(!MOSQUITTO_URL)('MQTT ingestion through the machine’s Mosquitto', () => {
  let ingest: MqttIngest;
  beforeAll(async () => {
    ingest = await startMqttIngest({ url: MOSQUITTO_URL, port: 0, host: '127.0.0.1', ...services(), log: silent });
  });
  afterAll(async () => ingest?.close());

  it('ingests messages carrying the device key, and ignores ones without', async () => {
    // Its own session is the one client it reports (imsop_mqtt_clients).
    expect(ingest.clients()).toBe(1);
    const c = await mqtt.connectAsync(MOSQUITTO_URL!, { protocolVersion: 5, reconnectPeriod: 0 });
    await c.publishAsync(`imsop/devices/${device.id}/telemetry`, JSON.stringify({ values: { volts: 1 } }), { qos: 1 });
    await c.publishAsync(`imsop/devices/${device.id}/telemetry`, JSON.stringify({ values: { volts: 230.5 } }), {
      qos: 1,
      properties: { userProperties: { 'device-key': device.key } },
    });
    await c.publishAsync(`imsop/devices/${device.id}/telemetry`, JSON.stringify({ deviceKey: device.key, values: { amps: 3 } }), { qos: 1 });
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && (!(await latest('volts')) || !(await latest('amps')))) await new Promise((r) => setTimeout(r, 100));
    expect((await latest('volts'))?.lastValue).toBe(230.5);
    expect((await latest('amps'))?.lastValue).toBe(3);
    // The message without a key was dropped: exactly one volts point is stored.
    const raw = await t.inject({
      method: 'GET',
      url: `/api/telemetry?deviceId=${device.id}&metric=volts&agg=none&from=${new Date(Date.now() - 60_000).toISOString()}`,
      headers: bearer(t.adminToken),
    });
    expect(raw.json().buckets.map((b: { value: number }) => b.value)).toEqual([230.5]);
    await c.endAsync();
  });
});

describe.skipIf(!MOSQUITTO_URL || !PG_URL)('two instances on one PostgreSQL and the machine’s Mosquitto', () => {
  // One session per cluster: its own client id here, so the test leaves the real one alone.
  const clientId = `imsop-test-${process.pid}-${Date.now()}`;
  const instances: Leadership[] = [];
  const start = () =>
    runAsLeader(
      t.database,
      `mqtt-ingest:${clientId}`,
      async () => {
        const ingest = await startMqttIngest({ url: MOSQUITTO_URL, clientId, port: 0, host: '127.0.0.1', ...services(), log: silent });
        return () => ingest.close();
      },
      { log: silent, retryMs: 100 },
    );
  afterAll(async () => {
    for (const i of instances) await i.close();
    // End the test session on the broker (it would be kept for a day).
    const c = await mqtt.connectAsync(MOSQUITTO_URL!, { clientId, clean: true, protocolVersion: 5, properties: { sessionExpiryInterval: 0 }, reconnectPeriod: 0 });
    await c.endAsync();
  });

  it('only the leader consumes: each message is stored once, and the standby resumes the session when the leader stops', async () => {
    instances.push(start());
    expect(await instances[0]!.started).toBe('leading');
    instances.push(start());
    expect(await instances[1]!.started).toBe('standby');
    const metric = `cluster_${Date.now()}`;
    const publisher = await mqtt.connectAsync(MOSQUITTO_URL!, { protocolVersion: 5, reconnectPeriod: 0 });
    // Points without timestamps: a message consumed by both instances would be stored twice.
    const publish = async (from: number, to: number) => {
      for (let i = from; i <= to; i++) {
        await publisher.publishAsync(`imsop/devices/${device.id}/telemetry`, JSON.stringify({ deviceKey: device.key, values: { [metric]: i } }), { qos: 1 });
      }
    };
    const since = new Date(Date.now() - 60_000).toISOString();
    const stored = async (): Promise<number[]> =>
      (
        await t.inject({ method: 'GET', url: `/api/telemetry?deviceId=${device.id}&metric=${metric}&agg=none&from=${since}`, headers: bearer(t.adminToken) })
      )
        .json()
        .buckets.map((x: { value: number }) => x.value);
    const waitFor = async (n: number) => {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && (await stored()).length < n) await new Promise((r) => setTimeout(r, 100));
    };
    await publish(1, 30);
    await waitFor(30);
    // The leader stops (a restart, a scale-down); what is published meanwhile waits in the session.
    await instances[0]!.close();
    await publish(31, 60);
    await waitFor(60);
    await new Promise((r) => setTimeout(r, 500)); // a duplicate would have arrived by now
    const values = await stored();
    expect(values.length).toBe(60);
    expect(new Set(values).size).toBe(60);
    expect(instances[1]!.leading()).toBe(true);
    await publisher.endAsync();
  });
});
