import { can } from '../../platform/access/ability.ts';
import type { AppDb } from '../../platform/db/client.ts';
import type { Dispatcher } from '../../platform/events/dispatcher.ts';
import type { ApiInstance } from '../../platform/http/api.ts';
import type { TopicRule } from '../../platform/realtime/gateway.ts';
import { createAlarmsService } from './alarms.service.ts';
import { createDevicesService, type OperationExists } from './devices.service.ts';
import { createIngestPipeline } from './ingest/pipeline.ts';
import { createIngestWriter } from './ingest/writer.ts';
import { createTelemetryService } from './telemetry.service.ts';
import { telemetryRoutes } from './telemetry.routes.ts';
import { applyRetention, ensurePartitions } from './retention.ts';
import type { OrgTelemetrySettings } from '../identity/index.ts';

export { DEFAULT_CLIENT_ID, startMqttIngest, type MqttIngest } from './mqtt.ts';

export { scoreCsv } from './anomaly/csv.ts';

export interface TelemetryDeps {
  db: AppDb;
  dispatcher: Dispatcher;
  operationExists: OperationExists;
  /** Each org's telemetry settings, for retention (identity's port). */
  orgSettings: OrgTelemetrySettings;
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
  const telemetry = createTelemetryService({ db: deps.db, devices, operationExists: deps.operationExists, writer, orgSettings: deps.orgSettings });
  let silenceTimer: NodeJS.Timeout | null = null;
  let maintenanceTimer: NodeJS.Timeout | null = null;

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
    topics,
    routes(api: ApiInstance) {
      telemetryRoutes(api, telemetry, devices, alarms);
    },
    /**
     * Scheduled work: partitions ahead and retention (hourly), no-data alarms (every 15 s). A failure
     * (the database is down) is reported to `report`, which throttles it; the next tick retries.
     */
    async start(report: { failed(err: unknown): void; ok(): void }) {
      const tick = (work: Promise<unknown>) =>
        work.then(
          () => report.ok(),
          (err: unknown) => report.failed(err),
        );
      await tick(ensurePartitions(deps.db));
      silenceTimer = setInterval(() => void tick(alarms.checkSilence()), 15_000);
      silenceTimer.unref();
      maintenanceTimer = setInterval(() => {
        void tick(ensurePartitions(deps.db));
        void tick(applyRetention(deps.db, deps.orgSettings));
      }, 3_600_000);
      maintenanceTimer.unref();
    },
    async stop() {
      if (silenceTimer) clearInterval(silenceTimer);
      if (maintenanceTimer) clearInterval(maintenanceTimer);
      await writer.drain();
    },
  };
}

export type TelemetryModule = ReturnType<typeof createTelemetryModule>;
