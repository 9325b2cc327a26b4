import net from 'node:net';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import mqtt from 'mqtt';
import type { DevicesService, DeviceIdentity } from './devices.service.ts';
import type { TelemetryService } from './telemetry.service.ts';

export const TOPIC = /^imsop\/devices\/([0-9a-f-]{36})\/telemetry$/;

/** How long an external broker keeps our subscription and queues messages while we are away. */
export const SESSION_EXPIRY_SECONDS = 24 * 3600;

/** The external session's client id when MQTT_CLIENT_ID is unset: one per cluster. */
export const DEFAULT_CLIENT_ID = 'imsop-ingest';

export interface MqttIngestOptions {
  /** An external broker (mqtt://…); otherwise an embedded broker listens on `port`. */
  url?: string | undefined;
  port: number;
  host: string;
  devices: DevicesService;
  telemetry: TelemetryService;
  /**
   * External broker: the session's client id. One client per id at a time (the broker hands the
   * session to the newest connection), so with several instances only the leader connects.
   */
  clientId?: string | undefined;
  log: { info(obj: unknown, msg?: string): void; warn(obj: unknown, msg?: string): void };
}

export interface MqttIngest {
  readonly kind: 'embedded' | 'external';
  readonly port: number | null;
  connected(): boolean;
  /** Clients connected now: the embedded broker's devices, or 1 while the external session is connected. */
  clients(): number;
  close(): Promise<void>;
}

async function ingest(o: MqttIngestOptions, device: DeviceIdentity, payload: Buffer) {
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    o.log.warn({ deviceId: device.id }, 'mqtt: payload is not JSON; dropped');
    return;
  }
  // Invalid points are reported in the log; valid ones are kept (a device cannot read an HTTP answer).
  const r = await o.telemetry.ingest({ device }, body, { partial: true });
  if (r.rejected.length) o.log.warn({ deviceId: device.id, rejected: r.rejected.slice(0, 5), count: r.rejected.length }, 'mqtt: points rejected');
}

/**
 * Devices publish JSON (the HTTP shapes) to `imsop/devices/<deviceId>/telemetry`. Embedded: the
 * device authenticates with username = its id and password = its key, and the broker sends PUBACK
 * only after the points are committed. External: we subscribe with QoS 1 on a persistent session and
 * acknowledge each message after commit, so the broker redelivers whatever we had not stored; the
 * device key travels as the MQTT 5 user property `device-key` or the payload field `deviceKey`.
 */
export async function startMqttIngest(o: MqttIngestOptions): Promise<MqttIngest> {
  return o.url ? startExternal(o) : startEmbedded(o);
}

async function startEmbedded(o: MqttIngestOptions): Promise<MqttIngest> {
  const broker = await Aedes.createBroker();
  const identities = new WeakMap<Client, DeviceIdentity>();
  broker.authenticate = (client, username, password, done) => {
    const key = password?.toString('utf8') ?? '';
    o.devices
      .authenticate(key)
      .then((device) => {
        if (!device || (username && username !== device.id)) {
          const err = new Error('bad device credentials') as AuthenticateError;
          err.returnCode = 4;
          return done(err, false);
        }
        identities.set(client, device);
        done(null, true);
      })
      .catch(() => {
        const err = new Error('authentication failed') as AuthenticateError;
        err.returnCode = 3;
        done(err, false);
      });
  };
  broker.authorizePublish = (client, packet: PublishPacket, done) => {
    const device = client ? identities.get(client) : undefined;
    const m = TOPIC.exec(packet.topic);
    if (!device || !m || m[1] !== device.id) return done(new Error('devices publish only to imsop/devices/<their id>/telemetry'));
    // PUBACK waits for the commit: an acknowledged point is durable.
    ingest(o, device, packet.payload as Buffer).then(
      () => done(null),
      (err: unknown) => {
        o.log.warn({ err: (err as Error).message, deviceId: device.id }, 'mqtt: ingest failed; the device will retry');
        done(err as Error);
      },
    );
  };
  broker.authorizeSubscribe = (_client, sub, done) => done(new Error('subscriptions are not offered'), sub);
  const server = net.createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`MQTT port ${o.port} on ${o.host} is already in use; set MQTT_PORT to another port or MQTT_URL to use an external broker.`) : err),
    );
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  o.log.info({ port }, 'embedded MQTT broker listening');
  return {
    kind: 'embedded',
    port,
    connected: () => server.listening,
    clients: () => broker.connectedClients,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function startExternal(o: MqttIngestOptions): Promise<MqttIngest> {
  const client = mqtt.connect(o.url!, {
    clientId: o.clientId ?? DEFAULT_CLIENT_ID,
    clean: false,
    protocolVersion: 5,
    // MQTT 5 ends a session when its connection closes unless it says how long to keep it: without
    // this, a broker restart (or our own) drops the subscription and what is published meanwhile.
    properties: { sessionExpiryInterval: SESSION_EXPIRY_SECONDS },
    reconnectPeriod: 1_000,
    connectTimeout: 5_000,
    customHandleAcks: (topic, message, packet, done) => {
      const m = TOPIC.exec(topic);
      if (!m) return done(0);
      const props = packet.properties?.userProperties?.['device-key'];
      let key = Array.isArray(props) ? props[0] : props;
      let payload = message;
      if (!key) {
        try {
          const parsed = JSON.parse(message.toString('utf8')) as { deviceKey?: string };
          key = parsed.deviceKey;
        } catch {
          // not JSON: dropped below
        }
      }
      o.devices
        .authenticate(key ?? '')
        .then(async (device) => {
          if (!device || device.id !== m[1]) {
            o.log.warn({ topic }, 'mqtt: message without a valid device key for its topic; dropped');
            return;
          }
          await ingest(o, device, payload);
          payload = Buffer.alloc(0);
        })
        // Not acknowledged on failure: the broker keeps it and redelivers.
        .then(() => done(0), (err: unknown) => o.log.warn({ err: (err as Error).message }, 'mqtt: ingest failed; left for redelivery'));
    },
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`Cannot reach the MQTT broker at ${o.url}.`)), 10_000);
      client.once('connect', () => {
        clearTimeout(t);
        resolve();
      });
    });
    await client.subscribeAsync('imsop/devices/+/telemetry', { qos: 1 });
  } catch (err) {
    // A client left behind would keep reconnecting (and consuming) outside whoever owns the session.
    await client.endAsync(true).catch(() => undefined);
    throw err;
  }
  client.on('connect', () => void client.subscribeAsync('imsop/devices/+/telemetry', { qos: 1 }).catch(() => undefined));
  client.on('error', (err) => o.log.warn({ err: err.message }, 'mqtt client error'));
  return {
    kind: 'external',
    port: null,
    connected: () => client.connected,
    clients: () => (client.connected ? 1 : 0),
    close: async () => {
      await client.endAsync();
    },
  };
}
