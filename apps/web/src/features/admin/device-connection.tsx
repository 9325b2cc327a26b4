import { useQuery } from '@tanstack/react-query';
import { api, call } from '../../lib/api';
import { keys } from '../../lib/queries';
import { CopyBlock } from '../../components/ui/copy';
import { Banner, errorMessage, Skeleton } from '../../components/ui/states';

/** The API's examples name the device and its key as placeholders: fill them in. */
export const fillDevice = (text: string, id: string, key: string) => text.replaceAll('{deviceId}', id).replaceAll('{deviceKey}', key);

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <>
      <dt className="text-fg-muted">{label}</dt>
      <dd className="min-w-0 font-mono text-[12.5px] break-all">{children}</dd>
    </>
  );
}

/** Where a device sends telemetry (HTTP and MQTT), ready to paste: shown with a new or rotated key. */
export function DeviceConnectionDetails({ deviceId, deviceKey }: { deviceId: string; deviceKey: string }) {
  const conn = useQuery({ queryKey: [...keys.devices, 'connection'], queryFn: () => call(api.GET('/api/devices/connection')), staleTime: 5 * 60_000 });
  if (conn.error) return <Banner>The connection details did not load: {errorMessage(conn.error)}</Banner>;
  if (!conn.data) return <Skeleton className="h-40" />;
  const { http, mqtt } = conn.data;
  return (
    <div className="flex flex-col gap-4" data-testid="device-connection">
      <section aria-labelledby="conn-http" className="flex flex-col gap-2">
        <h3 id="conn-http" className="text-[13px] font-semibold">
          HTTP
        </h3>
        <dl className="grid grid-cols-[8rem_1fr] gap-x-3 gap-y-1 text-[13px]">
          <Row label="URL">POST {http.url}</Row>
          <Row label="Header">
            {http.keyHeader}: {deviceKey}
          </Row>
        </dl>
        <CopyBlock label="curl example" value={fillDevice(http.example, deviceId, deviceKey)} testId="curl-example" />
      </section>
      <section aria-labelledby="conn-mqtt" className="flex flex-col gap-2">
        <h3 id="conn-mqtt" className="text-[13px] font-semibold">
          MQTT
        </h3>
        {mqtt ? (
          <>
            <dl className="grid grid-cols-[8rem_1fr] gap-x-3 gap-y-1 text-[13px]">
              <Row label="Host">{mqtt.host}</Row>
              <Row label="Port">
                {mqtt.port}
                {mqtt.tls ? ' (TLS)' : ''}
              </Row>
              <Row label="Topic">{fillDevice(mqtt.topic, deviceId, deviceKey)}</Row>
              {mqtt.credentials === 'device' ? (
                <>
                  <Row label="User name">{deviceId}</Row>
                  <Row label="Password">{deviceKey}</Row>
                </>
              ) : (
                <Row label="Key">in the message as deviceKey (or the MQTT 5 user property device-key); the broker’s own credentials as its operator set them</Row>
              )}
              <Row label="QoS">1 (acknowledged once stored)</Row>
            </dl>
            <CopyBlock label="mosquitto_pub example" value={fillDevice(mqtt.example, deviceId, deviceKey)} testId="mqtt-example" />
          </>
        ) : (
          <p className="text-[13px] text-fg-muted">MQTT is not available on this server (MQTT_ENABLED=false, or the broker is not running).</p>
        )}
      </section>
    </div>
  );
}
