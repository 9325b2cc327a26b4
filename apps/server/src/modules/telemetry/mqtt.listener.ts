import type { Config } from '../../config.ts';
import type { Database } from '../../platform/db/client.ts';
import { runAsLeader, type FirstAttempt } from '../../platform/db/leader.ts';
import type { ModuleListener } from '../../platform/module/module.ts';
import type { DevicesService } from './devices.service.ts';
import { DEFAULT_CLIENT_ID, startMqttIngest, type MqttIngest, type MqttIngestOptions } from './mqtt.ts';
import type { TelemetryService } from './telemetry.service.ts';

const ROLE_TEXT: Record<FirstAttempt, string> = {
  leading: 'this instance consumes',
  standby: 'standby: another instance consumes',
  retrying: 'waiting for the database to elect a consumer',
};

/** A URL fit to print: its password masked. */
function withoutPassword(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/**
 * Telemetry over MQTT, opened by the server process: an embedded broker on MQTT_PORT, or the
 * session on an external broker (MQTT_URL), which one instance of the cluster holds at a time
 * (the holder of a database lock; the others stand by and take over when it goes).
 */
export function mqttListener(o: {
  config: Config;
  database: Database;
  devices: DevicesService;
  telemetry: TelemetryService;
  log: MqttIngestOptions['log'];
}): ModuleListener & { clients(): number; port(): number | null } {
  const { config } = o;
  const options: MqttIngestOptions = {
    url: config.MQTT_URL,
    clientId: config.MQTT_CLIENT_ID,
    port: config.MQTT_PORT,
    host: config.HOST,
    devices: o.devices,
    telemetry: o.telemetry,
    log: o.log,
  };
  /** The broker or session running now (none while closed, disabled, or standing by). */
  let running: MqttIngest | null = null;
  const start = async () => {
    const ingest = await startMqttIngest(options);
    running = ingest;
    const close = async () => {
      if (running === ingest) running = null;
      await ingest.close();
    };
    return { ingest, close };
  };
  return {
    name: 'mqtt',
    /** MQTT clients connected to this instance now (/metrics). */
    clients: () => running?.clients() ?? 0,
    /** The embedded broker's port while it runs (null with an external broker, or closed). */
    port: () => running?.port ?? null,
    async open() {
      if (!config.MQTT_ENABLED) return { state: () => 'disabled (MQTT_ENABLED=false)', close: async () => undefined };
      if (config.MQTT_URL) {
        const url = withoutPassword(config.MQTT_URL);
        const leader = runAsLeader(o.database, `mqtt-ingest:${config.MQTT_CLIENT_ID ?? DEFAULT_CLIENT_ID}`, async () => (await start()).close, { log: o.log });
        const role = await leader.started;
        return {
          state: () => (leader.leading() ? `consuming ${url} (this instance leads)` : 'standby (another instance consumes, or none can reach the broker)'),
          banner: `MQTT via ${url} (${ROLE_TEXT[role]})`,
          close: () => leader.close(),
        };
      }
      const { ingest: broker, close } = await start();
      return {
        state: () => (broker.connected() ? `embedded broker on port ${broker.port}` : 'embedded broker stopped'),
        banner: `MQTT on port ${broker.port}`,
        close,
      };
    },
  };
}
