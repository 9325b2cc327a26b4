import { z } from 'zod';
import { can } from '../../platform/access/ability.ts';
import { defineJob } from '../../platform/jobs/jobs.ts';
import { counterFrom } from '../../platform/metrics/metrics.ts';
import { defineModule } from '../../platform/module/module.ts';
import type { TopicRule } from '../../platform/realtime/topic-access.ts';
import { createAlarmsService } from './alarms.service.ts';
import { createDevicesService } from './devices.service.ts';
import { createIngestPipeline } from './ingest/pipeline.ts';
import { createIngestWriter } from './ingest/writer.ts';
import { deviceConnection } from './connection.ts';
import { mqttListener } from './mqtt.listener.ts';
import { createTelemetryService } from './telemetry.service.ts';
import { telemetryRoutes } from './telemetry.routes.ts';
import { applyRetention, ensurePartitions } from './retention.ts';
import { eventChecker } from '../../platform/events/catalogue.ts';
import { telemetryErrors } from './telemetry.errors.ts';
import { telemetryEvents } from './telemetry.events.ts';
import { telemetryPermissions } from './telemetry.permissions.ts';
import { registerTelemetryMetrics } from './telemetry.metrics.ts';

export { DEFAULT_CLIENT_ID, startMqttIngest, type MqttIngest } from './mqtt.ts';

export { scoreCsv } from './anomaly/csv.ts';

/** Devices, telemetry ingestion and queries, alert rules and alarms. */
export const telemetryModule = defineModule({
  name: 'telemetry',
  tags: [
    { name: 'devices', description: 'Devices and their keys' },
    { name: 'telemetry', description: 'Ingestion and queries of time series' },
    { name: 'alarms', description: 'Alert rules and the alarms they raise' },
  ],
  permissions: telemetryPermissions,
  events: telemetryEvents,
  errors: telemetryErrors,
  requires: ['operationExists', 'orgTelemetrySettings'],
  proof: () => import('./telemetry.proof.ts'),
  create(p) {
    const deps = { db: p.db, dispatcher: p.dispatcher, operationExists: p.ports.operationExists, orgSettings: p.ports.orgTelemetrySettings, maxPendingPoints: p.config.INGEST_MAX_PENDING };
    const report = p.outage('Telemetry maintenance (database)');
    const checkEvent = eventChecker(telemetryEvents, p.strict);
    const alarms = createAlarmsService({ db: deps.db, dispatcher: deps.dispatcher, useCase: p.useCase, checkEvent, operationExists: deps.operationExists });
    const devices = createDevicesService(deps.db, deps.operationExists);
    const writer = createIngestWriter(deps.db, {
      ...(deps.maxPendingPoints ? { maxPending: deps.maxPendingPoints } : {}),
      inTransaction: createIngestPipeline(alarms, checkEvent),
      afterCommit: () => deps.dispatcher.notify(),
    });
    const telemetry = createTelemetryService({ db: deps.db, devices, operationExists: deps.operationExists, writer, orgSettings: deps.orgSettings });
    counterFrom(p.metrics, 'imsop_telemetry_points_stored_total', 'Telemetry points committed since start', () => writer.written);
    counterFrom(p.metrics, 'imsop_telemetry_points_repeated_total', 'Telemetry points acknowledged as repeats (same series and timestamp) and not stored again', () => writer.repeated);
    const mqtt = mqttListener({ config: p.config, database: p.database, devices, telemetry, log: p.log });
    registerTelemetryMetrics(p.metrics, { db: deps.db, clock: p.clock, mqttClients: mqtt.clients });
    // Scheduled maintenance: partitions ahead and retention (hourly), no-data alarms (every 15 s). Each
    // is idempotent; a failed run is retried by the next firing (the no-data check) or with back-off.
    const none = z.object({});
    const maintenance = {
      partitions: defineJob({ name: 'telemetry.partitions', payload: none, handler: (_p, ctx) => ensurePartitions(deps.db, new Date(ctx.now)) }),
      retention: defineJob({ name: 'telemetry.retention', payload: none, handler: (_p, ctx) => applyRetention(deps.db, deps.orgSettings, ctx.now) }),
      noData: defineJob({ name: 'telemetry.no-data', payload: none, maxAttempts: 1, handler: async (_p, ctx) => void (await alarms.checkSilence(ctx.now)) }),
    };

    const topics: TopicRule[] = [
      { pattern: /^alarms$/, authorize: (actor) => (can(actor, 'alarms:read') ? 'ok' : 'forbidden') },
      { pattern: /^telemetry$/, authorize: (actor) => (can(actor, 'telemetry:read') ? 'ok' : 'forbidden') },
      {
        pattern: /^device:([0-9a-f-]{36})$/,
        authorize: async (actor, m) => {
          if (!can(actor, 'telemetry:read')) return 'forbidden';
          return (await devices.exists(actor.orgId, m[1]!)) ? 'ok' : 'not_found';
        },
      },
    ];

    return {
      services: { devices, telemetry, alarms, writer },
      jobs: maintenance,
      schedules: [
        { name: 'telemetry.partitions', job: maintenance.partitions, spec: { every: 3_600_000 } },
        { name: 'telemetry.retention', job: maintenance.retention, spec: { every: 3_600_000 } },
        { name: 'telemetry.no-data', job: maintenance.noData, spec: { every: 15_000 } },
      ],
      topics,
      listeners: [mqtt],
      routes(api) {
        telemetryRoutes(api, telemetry, devices, alarms, (origin) => deviceConnection(p.config, { origin }, mqtt.port()));
      },
      /**
       * This month's and the next two months' partitions before the first point arrives (the scheduled
       * job keeps them ahead). A failure (the database is down) is reported, throttled.
       */
      async start() {
        await ensurePartitions(deps.db).then(
          () => report.ok(),
          (err: unknown) => report.failed(err),
        );
      },
      async stop() {
        await writer.drain();
      },
    };
  },
});
