import { sql } from 'drizzle-orm';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMqttIngest } from '../src/modules/telemetry/index.ts';
import { bearer, createTestApp, type TestApp } from './helpers.ts';
import { telemetryModule } from '../src/modules/telemetry/index.ts';

/**
 * Repeats are idempotent: a point that carries its own timestamp is identified by (series,
 * timestamp), so an MQTT QoS 1 redelivery or a client retrying after a lost answer is acknowledged
 * but stored once, and the rollups, latest values and alarms count it once.
 */
let t: TestApp;
let device: { id: string; key: string };
beforeAll(async () => {
  t = await createTestApp();
  device = (await t.inject({ method: 'POST', url: '/api/devices', headers: bearer(t.adminToken), payload: { name: 'Repeating meter' } })).json();
});
afterAll(async () => t?.close());

const post = (body: unknown) =>
  t.inject({ method: 'POST', url: '/api/telemetry/batch', headers: { 'x-device-key': device.key }, payload: body as object });

async function stored(metric: string) {
  const r = (await t.database.db.execute(sql`
    select count(*)::int as n, count(distinct p.ts)::int as instants, coalesce(sum(p.value), 0)::float8 as total,
      (select coalesce(sum(r.count), 0)::int from telemetry_rollup_1m r join telemetry_series s2 on s2.id = r.series_id where s2.metric = ${metric} and s2.device_id = ${device.id}) as rolled_1m,
      (select coalesce(sum(r.count), 0)::int from telemetry_rollup_1h r join telemetry_series s2 on s2.id = r.series_id where s2.metric = ${metric} and s2.device_id = ${device.id}) as rolled_1h
    from telemetry_points p join telemetry_series s on s.id = p.series_id
    where s.metric = ${metric} and s.device_id = ${device.id}`)) as unknown as {
    rows: { n: number; instants: number; total: number; rolled_1m: number; rolled_1h: number }[];
  };
  return r.rows[0]!;
}

const series = (metric: string, from: number, count: number, value = (i: number) => i) =>
  Array.from({ length: count }, (_, i) => ({ ts: from + i * 1000, values: { [metric]: value(i) } }));

describe('telemetry repeats', () => {
  it('stores a retried batch once, rollups included', async () => {
    const from = Date.now() - 3_600_000;
    const body = series('retried', from, 50);
    expect((await post(body)).statusCode).toBe(201);
    const again = await post(body);
    expect(again.statusCode).toBe(201); // acknowledged: the sender may stop retrying
    expect(await stored('retried')).toEqual({ n: 50, instants: 50, total: 1225, rolled_1m: 50, rolled_1h: 50 });
  });

  it('stores concurrent copies of a batch once (they may share a transaction or race in two)', async () => {
    const from = Date.now() - 2 * 3_600_000;
    const body = series('raced', from, 200);
    const answers = await Promise.all(Array.from({ length: 6 }, () => post(body)));
    expect(answers.map((a) => a.statusCode)).toEqual([201, 201, 201, 201, 201, 201]);
    expect(await stored('raced')).toMatchObject({ n: 200, instants: 200, rolled_1m: 200 });
  });

  it('keeps the new points of a batch that partly repeats an earlier one, out of order too', async () => {
    const from = Date.now() - 3 * 3_600_000;
    expect((await post(series('overlap', from + 100_000, 100))).statusCode).toBe(201);
    // 0..199 s: the first 100 s are new and older than what is stored, the next 100 s are repeats.
    expect((await post(series('overlap', from, 200))).statusCode).toBe(201);
    expect(await stored('overlap')).toMatchObject({ n: 200, instants: 200, rolled_1m: 200, rolled_1h: 200 });
  });

  it('keeps the first value when one request repeats an instant', async () => {
    const ts = Date.now() - 4 * 3_600_000;
    expect((await post([{ deviceId: device.id, metricName: 'twice', value: 1, timestamp: ts }, { deviceId: device.id, metricName: 'twice', value: 2, timestamp: ts }])).statusCode).toBe(201);
    expect(await stored('twice')).toMatchObject({ n: 1, total: 1, rolled_1m: 1 });
  });

  it('never takes points stamped on arrival for repeats', async () => {
    const body = [{ deviceId: device.id, metricName: 'unstamped', value: 5 }];
    for (let i = 0; i < 3; i++) expect((await post(body)).statusCode).toBe(201);
    expect(await stored('unstamped')).toMatchObject({ n: 3, rolled_1m: 3 });
  });

  it('stores an MQTT message published twice (a QoS 1 retry) once', async () => {
    const broker = await startMqttIngest({
      port: 0,
      host: '127.0.0.1',
      devices: t.app.platform.module(telemetryModule).services.devices,
      telemetry: t.app.platform.module(telemetryModule).services.telemetry,
      log: { info: () => undefined, warn: () => undefined },
    });
    try {
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { username: device.id, password: device.key, reconnectPeriod: 0 });
      const payload = JSON.stringify(series('mqtt_retry', Date.now() - 5 * 3_600_000, 20));
      await c.publishAsync(`imsop/devices/${device.id}/telemetry`, payload, { qos: 1 });
      await c.publishAsync(`imsop/devices/${device.id}/telemetry`, payload, { qos: 1, dup: true });
      await c.endAsync();
    } finally {
      await broker.close();
    }
    expect(await stored('mqtt_retry')).toMatchObject({ n: 20, rolled_1m: 20 });
  });
});
