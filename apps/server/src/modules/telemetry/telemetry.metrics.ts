import { sql } from 'drizzle-orm';
import type { Registry } from 'prom-client';
import type { Clock } from '../../platform/clock.ts';
import { queryRows, type AppDb } from '../../platform/db/client.ts';
import { everyLabel, gaugeFrom, scrapedMetrics } from '../../platform/metrics/metrics.ts';
import { ONLINE_WINDOW_MS } from './devices.service.ts';
import { ALARM_SEVERITIES, alarms, devices } from './telemetry.schema.ts';

export const ACTIVE_ALARMS_SQL = sql`select severity, count(*)::int as n from ${alarms} where active group by severity`;

/**
 * On /metrics, over every org (no org label: the operator's view of the instance), each read with
 * one aggregate per scrape:
 * - active alarms by severity (through the partial index `alarms_one_active`, `where active`:
 *   cleared alarms, which pile up, are never read);
 * - devices registered, and online: seen within ONLINE_WINDOW_MS (5 minutes) of the clock, as the
 *   console's `online` says. A device's `last_seen_at` is written at most once a minute while it
 *   sends. The registry of devices is read whole: it is one narrow row per device, and an index on
 *   `last_seen_at` would make each of those writes update an index (no HOT update);
 * - MQTT clients connected now (`mqttClients`: the embedded broker's devices, or 1 while this
 *   instance holds the external broker's session).
 */
export function registerTelemetryMetrics(registry: Registry, o: { db: AppDb; clock: Clock; mqttClients: () => number }) {
  scrapedMetrics(
    registry,
    async () => new Map((await queryRows<{ severity: string; n: number }>(o.db, ACTIVE_ALARMS_SQL)).map((r) => [r.severity, r.n])),
    [{ name: 'imsop_alarms_active', help: 'Active alarms by severity, over every organization', labelNames: ['severity'], series: (bySeverity) => everyLabel('severity', ALARM_SEVERITIES, bySeverity) }],
  );
  const readDevices = async () => {
    const since = new Date(o.clock() - ONLINE_WINDOW_MS);
    const [r] = await queryRows<{ registered: number; online: number }>(
      o.db,
      sql`select count(*)::int as registered, count(*) filter (where ${devices.lastSeenAt} > ${since})::int as online from ${devices}`,
    );
    return r ?? { registered: 0, online: 0 };
  };
  scrapedMetrics(registry, readDevices, [
    { name: 'imsop_devices_registered', help: 'Devices registered, over every organization', series: (r) => [[{}, r.registered]] },
    { name: 'imsop_devices_online', help: `Devices seen within the last ${ONLINE_WINDOW_MS / 60_000} minutes, over every organization`, series: (r) => [[{}, r.online]] },
  ]);
  gaugeFrom(registry, 'imsop_mqtt_clients', 'MQTT clients connected to this instance: devices on the embedded broker, or 1 while it holds the external broker session', o.mqttClients);
}
