/**
 * Fault: the external MQTT broker (a private Mosquitto with persistence, MQTT_URL pointing at it)
 * restarts while a device publishes at QoS 1.
 *
 * - The device keeps publishing through the restart (its client resends what was not acknowledged).
 * - Ingestion resumes by itself: every message the broker acknowledged to the device is stored.
 * - Nothing is stored twice, although the restart makes the broker redeliver what the server had
 *   not acknowledged yet and the device resend what the broker had not acknowledged, and the device
 *   also repeats some messages on purpose. Rows are counted in the database after the run.
 */
import { sql } from 'drizzle-orm';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/platform/db/client.ts';
import { startMosquitto, sleep, type PrivateMosquitto } from './services.ts';
import { call, eventually, login, metric, startServer, type ServerProcess } from './server.ts';

const MESSAGES = 400;
const POINTS_PER_MESSAGE = 5;
let broker: PrivateMosquitto;
let server: ServerProcess;

beforeAll(async () => {
  broker = await startMosquitto();
  server = await startServer({ MQTT_ENABLED: 'true', MQTT_URL: broker.url });
});

afterAll(async () => {
  if (server?.crashed()) console.error(`the server died; its last output:\n${server.output().slice(-6000)}`);
  await server?.dispose();
  await broker?.destroy();
});

describe('MQTT broker restarted', () => {
  it('says in /api/ready that this instance consumes the broker', async () => {
    const ready = await call(server.base, 'GET', '/api/ready');
    expect(ready.status).toBe(200);
    expect((ready.body as { checks: Record<string, string> }).checks.mqtt).toMatch(/^consuming mqtt:\/\/127\.0\.0\.1:\d+ \(this instance leads\)$/);
  });

  it('resumes ingestion with nothing lost and nothing stored twice', async () => {
    const token = await login(server.base);
    const device = (await call(server.base, 'POST', '/api/devices', { token, body: { name: 'restarting meter' } })).body as { id: string; key: string };
    const topic = `imsop/devices/${device.id}/telemetry`;
    const client = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      clientId: `device-${device.id.slice(0, 8)}`,
      reconnectPeriod: 200,
      connectTimeout: 2_000,
    });
    const t0 = Date.now() - 3_600_000;
    const message = (i: number) =>
      JSON.stringify(Array.from({ length: POINTS_PER_MESSAGE }, (_, k) => ({ ts: t0 + i * 1000 + k, values: { seq: i * POINTS_PER_MESSAGE + k } })));
    const publish = (i: number, dup = false) =>
      client.publishAsync(topic, message(i), { qos: 1, dup, properties: { userProperties: { 'device-key': device.key } } });

    let acked = 0;
    let repeatedOnPurpose = 0;
    let restarted = false;
    // Four messages in flight at a time, as a device with a small window would.
    let next = 0;
    const sender = async () => {
      while (next < MESSAGES) {
        const i = next++;
        await publish(i);
        acked++;
        // Every 25th message is sent again, as a device does when it missed the PUBACK.
        if (i % 25 === 0) {
          await publish(i, true);
          repeatedOnPurpose++;
        }
        await sleep(5);
      }
    };
    const senders = Array.from({ length: 4 }, () => sender());
    await eventually('a quarter acknowledged', async () => acked, (n) => n >= MESSAGES / 4, 30_000);
    await broker.stop();
    await sleep(1_500); // the broker is down; the device queues, the server reconnects in a loop
    await broker.start();
    restarted = true;
    await Promise.all(senders);
    expect(restarted).toBe(true);
    expect(acked).toBe(MESSAGES);
    await client.endAsync();

    // Every acknowledged point arrives, once (the API reads the raw points).
    const from = new Date(t0 - 1000).toISOString();
    const to = new Date(t0 + MESSAGES * 1000 + 1000).toISOString();
    const expected = MESSAGES * POINTS_PER_MESSAGE;
    const url = `/api/telemetry?deviceId=${device.id}&metric=seq&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&agg=none`;
    const raw = await eventually(
      'all points ingested',
      async () => ((await call(server.base, 'GET', url, { token })).body as { buckets: { value: number }[] }).buckets,
      (b) => b.length >= expected,
      30_000,
    );
    expect(raw.length).toBe(expected);
    expect(new Set(raw.map((b) => b.value)).size).toBe(expected);
    // Let any late redelivery land before counting rows.
    await sleep(1_500);
    // The server saw repeats (at least the ones sent on purpose) and stored none of them.
    const repeated = await metric(server.base, 'imsop_telemetry_points_repeated_total');
    expect(repeated).toBeGreaterThanOrEqual(repeatedOnPurpose * POINTS_PER_MESSAGE);
    expect(await metric(server.base, 'imsop_telemetry_points_stored_total')).toBe(expected);
    expect(server.alive()).toBe(true);
    const records = server.records();
    expect(records.filter((r) => r.level >= 50)).toEqual([]);
    await server.kill('SIGTERM');

    const db = await openDatabase({ dataDir: server.dataDir });
    try {
      const r = (await db.db.execute(sql`
        select count(*)::int as n, count(distinct p.value)::int as values, count(distinct p.ts)::int as instants,
          (select coalesce(sum(count), 0)::int from telemetry_rollup_1m r where r.series_id = s.id) as rolled
        from telemetry_points p join telemetry_series s on s.id = p.series_id
        where s.device_id = ${device.id} and s.metric = 'seq' group by s.id`)) as unknown as {
        rows: { n: number; values: number; instants: number; rolled: number }[];
      };
      expect(r.rows[0]).toEqual({ n: expected, values: expected, instants: expected, rolled: expected });
    } finally {
      await db.close();
    }
    console.log(
      `MQTT restart: ${acked} messages (${expected} points) acknowledged by the broker, ${repeatedOnPurpose} sent twice on purpose; ` +
        `${repeated / POINTS_PER_MESSAGE} messages arrived twice at the server (repeats and redeliveries); ${expected} rows stored, 0 duplicates`,
    );
  });
});

