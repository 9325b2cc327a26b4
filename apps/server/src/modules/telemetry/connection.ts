import type { Config } from '../../config.ts';

/** Placeholders the console fills with a device's id and key (the API never holds a key to show). */
export const DEVICE_ID = '{deviceId}';
export const DEVICE_KEY = '{deviceKey}';
export const MQTT_TOPIC = `imsop/devices/${DEVICE_ID}/telemetry`;

const examplePoint = { metricName: 'temperature', value: 21.5 };

export interface DeviceConnection {
  http: { url: string; batchUrl: string; keyHeader: string; example: string };
  mqtt: {
    host: string;
    port: number;
    tls: boolean;
    topic: string;
    /** `device`: user name = device id, password = key (embedded broker); `payload`: the key goes in the message (external broker). */
    credentials: 'device' | 'payload';
    example: string;
  } | null;
}

/** One shell word in single quotes. */
const sq = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * Where and how a device sends telemetry, with ready-to-paste examples (placeholders for its id and
 * key). The HTTP base is PUBLIC_URL, else the origin the console was reached at. MQTT: MQTT_PUBLIC_URL,
 * else the embedded broker's port on the same host, else the external broker's address (MQTT_URL
 * without credentials); null when MQTT is off or the embedded broker is not running.
 */
export function deviceConnection(
  config: Pick<Config, 'PUBLIC_URL' | 'MQTT_ENABLED' | 'MQTT_URL' | 'MQTT_PUBLIC_URL'>,
  request: { origin: string },
  embeddedPort: number | null,
): DeviceConnection {
  const base = (config.PUBLIC_URL ?? request.origin).replace(/\/+$/, '');
  const url = `${base}/api/telemetry`;
  const http = {
    url,
    batchUrl: `${url}/batch`,
    keyHeader: 'X-Device-Key',
    example: `curl -X POST ${sq(url)} -H ${sq(`X-Device-Key: ${DEVICE_KEY}`)} -H 'Content-Type: application/json' -d ${sq(JSON.stringify(examplePoint))}`,
  };
  if (!config.MQTT_ENABLED) return { http, mqtt: null };
  const external = !!config.MQTT_URL;
  let address: URL;
  if (config.MQTT_PUBLIC_URL) address = new URL(config.MQTT_PUBLIC_URL);
  else if (external) address = new URL(config.MQTT_URL!);
  else if (embeddedPort != null) {
    address = new URL(`mqtt://${new URL(base).host}`);
    address.port = String(embeddedPort);
  } else return { http, mqtt: null };
  const tls = address.protocol === 'mqtts:';
  const host = address.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.port || (tls ? 8883 : 1883));
  const credentials = external ? 'payload' : 'device';
  const message = credentials === 'device' ? examplePoint : { deviceKey: DEVICE_KEY, ...examplePoint };
  const example = [
    'mosquitto_pub',
    `-h ${sq(host)} -p ${port}`,
    ...(tls ? ['--capath /etc/ssl/certs'] : []),
    ...(credentials === 'device' ? [`-u ${sq(DEVICE_ID)} -P ${sq(DEVICE_KEY)}`] : []),
    `-t ${sq(MQTT_TOPIC)} -q 1`,
    `-m ${sq(JSON.stringify(message))}`,
  ].join(' ');
  return { http, mqtt: { host, port, tls, topic: MQTT_TOPIC, credentials, example } };
}
