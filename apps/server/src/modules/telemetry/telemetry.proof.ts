import { defineProofSeed } from '../../platform/module/proof.ts';

const kinds = ['device', 'rule', 'alarm'] as const;
const values = ['deviceKey'] as const;

declare module '../../platform/module/proof.ts' {
  interface ProofKinds extends Record<(typeof kinds)[number], true> {}
  interface ProofValues extends Record<(typeof values)[number], true> {}
}

/**
 * The telemetry module's proof seed: a device of the operations seed's operation, a threshold rule
 * on it, and the alarm the rule raises when the device reports a reading over the threshold.
 */
export default defineProofSeed({
  kinds,
  values,
  families: [
    [/^\/api\/devices\//, 'device'],
    [/^\/api\/alert-rules\//, 'rule'],
    [/^\/api\/alarms\//, 'alarm'],
  ],
  params: { deviceId: 'device', ruleId: 'rule', alarmId: 'alarm' },
  async create(api, earlier) {
    const device = await api.call<{ id: string; key: string }>('POST', '/api/devices', { body: { name: 'World sensor', operationId: earlier.id('operation') } });
    const rule = await api.call<{ id: string }>('POST', '/api/alert-rules', {
      body: { name: 'World hot', metric: 'world_temp', kind: 'threshold', direction: 'above', threshold: 50, deviceId: device.id },
    });
    await api.call('POST', '/api/telemetry', { body: { metricName: 'world_temp', value: 99 }, headers: { 'x-device-key': device.key } });
    const alarms = await api.call<{ data: { id: string; ruleId: string | null }[] }>('GET', '/api/alarms?limit=200');
    const alarm = alarms.data.find((a) => a.ruleId === rule.id);
    if (!alarm) throw new Error('telemetry seed: the threshold rule raised no alarm');
    return { ids: { device: device.id, rule: rule.id, alarm: alarm.id }, values: { deviceKey: device.key }, secrets: [device.key] };
  },
});
