import { z } from 'zod';
import { can } from '../../platform/access/ability.ts';
import type { AppDb } from '../../platform/db/client.ts';
import type { Dispatcher } from '../../platform/events/dispatcher.ts';
import type { ApiInstance } from '../../platform/http/api.ts';
import { defineJob, type Jobs } from '../../platform/jobs/jobs.ts';
import type { TopicRule } from '../../platform/realtime/gateway.ts';
import { createAlarmsService } from './alarms.service.ts';
import { createDevicesService, type OperationExists } from './devices.service.ts';
import { createIngestPipeline } from './ingest/pipeline.ts';
import { createIngestWriter } from './ingest/writer.ts';
import { createTelemetryService } from './telemetry.service.ts';
import { telemetryRoutes } from './telemetry.routes.ts';
import { applyRetention, ensurePartitions } from './retention.ts';

export { DEFAULT_CLIENT_ID, startMqttIngest, type MqttIngest } from './mqtt.ts';

export { scoreCsv } from './anomaly/csv.ts';

export interface TelemetryDeps {
  db: AppDb;
  dispatcher: Dispatcher;
  /** Maintenance runs as scheduled jobs: once per time across instances. */
  jobs: Jobs;
  operationExists: OperationExists;
  /** Points waiting to be written before ingestion answers 503. */
  maxPendingPoints?: number;
}

/** Devices, telemetry ingestion and queries, alert rules and alarms. */
export function createTelemetryModule(deps: TelemetryDeps) {
  const alarms = createAlarmsService({ db: deps.db, dispatcher: deps.dispatcher, operationExists: deps.operationExists });
  const devices = createDevicesService(deps.db, deps.operationExists);
  const writer = createIngestWriter(deps.db, {
    ...(deps.maxPendingPoints ? { maxPending: deps.maxPendingPoints } : {}),
    inTransaction: createIngestPipeline(alarms),
    afterCommit: () => deps.dispatcher.notify(),
  });
  const telemetry = createTelemetryService({ db: deps.db, devices, operationExists: deps.operationExists, writer });

  // Scheduled maintenance: partitions ahead and retention (hourly), no-data alarms (every 15 s). Each
  // is idempotent; a failed run is retried by the next firing (the no-data check) or with back-off.
  const none = z.object({});
  const maintenance = {
    partitions: defineJob({ name: 'telemetry.partitions', payload: none, handler: (_p, ctx) => ensurePartitions(deps.db, new Date(ctx.now)) }),
    retention: defineJob({ name: 'telemetry.retention', payload: none, handler: (_p, ctx) => applyRetention(deps.db, ctx.now) }),
    noData: defineJob({ name: 'telemetry.no-data', payload: none, maxAttempts: 1, handler: async (_p, ctx) => void (await alarms.checkSilence(ctx.now)) }),
  };
  deps.jobs.schedule('telemetry.partitions', maintenance.partitions, { every: 3_600_000 });
  deps.jobs.schedule('telemetry.retention', maintenance.retention, { every: 3_600_000 });
  deps.jobs.schedule('telemetry.no-data', maintenance.noData, { every: 15_000 });

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
    topics,
    routes(api: ApiInstance) {
      telemetryRoutes(api, telemetry, devices, alarms);
    },
    /**
     * This month's and the next two months' partitions before the first point arrives (the scheduled
     * job keeps them ahead). A failure (the database is down) is reported to `report`, which throttles it.
     */
    async start(report: { failed(err: unknown): void; ok(): void }) {
      await ensurePartitions(deps.db).then(
        () => report.ok(),
        (err: unknown) => report.failed(err),
      );
    },
    async stop() {
      await writer.drain();
    },
  };
}

export type TelemetryModule = ReturnType<typeof createTelemetryModule>;
