import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { actorOf, type ApiInstance } from '../../platform/http/api.ts';
import { unauthorized } from '../../platform/http/errors.ts';
import { pageQuery, pageQuerystring } from '../../platform/db/pagination.ts';
import { booleanQuery, errorResponses, idParams, isoDate, jsonObject, pageOfSchema } from '../../platform/http/schemas.ts';
import type { AlarmsService } from './alarms.service.ts';
import type { DeviceConnection } from './connection.ts';
import type { DevicesService } from './devices.service.ts';
import { ALARM_SEVERITIES, RULE_KINDS } from './telemetry.schema.ts';
import { isSinglePoint } from './ingest/shapes.ts';
import type { IngestSource, TelemetryService } from './telemetry.service.ts';

const deviceSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  type: z.string(),
  operationId: z.uuid().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  keyPrefix: z.string(),
  lastSeenAt: z.string().nullable(),
  online: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
}).meta({ id: 'Device', description: 'A device that sends telemetry' });
const ruleSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  metric: z.string(),
  deviceId: z.uuid().nullable(),
  operationId: z.uuid().nullable(),
  kind: z.enum(RULE_KINDS),
  direction: z.enum(['above', 'below']).nullable(),
  threshold: z.number().nullable(),
  durationSeconds: z.number(),
  severity: z.enum(ALARM_SEVERITIES),
  enabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
}).meta({ id: 'AlertRule', description: 'An alert rule on a device metric' });
const alarmSchema = z.object({
  id: z.uuid(),
  ruleId: z.uuid().nullable(),
  seriesId: z.number().nullable(),
  source: z.string(),
  metric: z.string(),
  severity: z.enum(ALARM_SEVERITIES),
  state: z.string(),
  active: z.boolean(),
  acknowledged: z.boolean(),
  message: z.string(),
  value: z.number().nullable(),
  startedAt: z.string(),
  lastSeenAt: z.string(),
  clearedAt: z.string().nullable(),
  acknowledgedAt: z.string().nullable(),
  acknowledgedBy: z.uuid().nullable(),
}).meta({ id: 'Alarm', description: 'An alarm raised by an alert rule' });
const ingestResult = z.object({ accepted: z.number(), rejected: z.array(z.object({ index: z.number(), reason: z.string() })) });
const storedPoint = z.object({
  seriesId: z.number(),
  operationId: z.uuid().nullable(),
  deviceId: z.uuid().nullable(),
  metricName: z.string(),
  value: z.number(),
  unit: z.string().nullable(),
  timestamp: z.string(),
});
const metricName = z.string().regex(/^[A-Za-z][A-Za-z0-9_.:/-]{0,127}$/, 'Letters, digits and _ . : / -, starting with a letter');
const ruleFields = {
  name: z.string().trim().min(1).max(200),
  metric: metricName,
  deviceId: z.uuid().nullable().optional(),
  operationId: z.uuid().nullable().optional(),
  kind: z.enum(RULE_KINDS),
  direction: z.enum(['above', 'below']).nullable().optional(),
  threshold: z.number().finite().nullable().optional(),
  durationSeconds: z.number().int().min(0).max(30 * 86_400).optional(),
  severity: z.enum(ALARM_SEVERITIES).optional(),
  enabled: z.boolean().optional(),
};

export function telemetryRoutes(api: ApiInstance, telemetry: TelemetryService, devices: DevicesService, alarms: AlarmsService, connection: (origin: string) => DeviceConnection) {
  /** A user token or API key (with telemetry:ingest), or a device key in X-Device-Key. */
  async function ingestSource(req: FastifyRequest): Promise<IngestSource> {
    const key = req.headers['x-device-key'];
    if (typeof key === 'string' && key) {
      const device = await devices.authenticate(key);
      if (!device) throw unauthorized('The device key is not valid.', 'invalid_device_key');
      return { device };
    }
    if (!req.actor) throw unauthorized('Send a Bearer token, an API key or X-Device-Key.');
    return { actor: req.actor };
  }
  const tags = ['telemetry'];
  const ingestQuery = z.strictObject({
    partial: booleanQuery.optional(),
    deviceId: z.uuid().optional(),
    operationId: z.uuid().optional(),
  });

  const security: Record<string, string[]>[] = [{ bearer: [] }, { apiKey: [] }, { deviceKey: [] }];
  const pointExample = { operationId: '0195f3a0-0000-7000-8000-000000000001', metricName: 'temperature', value: 21.5, timestamp: '2026-01-01T12:00:00Z' };
  const thingsBoardExample = { ts: 1767225600000, values: { temperature: 21.5, humidity: 40 } };

  // Public at the edge, but every request must carry one of these credentials (see ingestSource).
  api.post(
    '/telemetry',
    {
      config: { auth: 'public' },
      bodyLimit: 1024 * 1024,
      schema: {
        tags,
        operationId: 'ingestTelemetryPoint',
        summary: 'Send one point (user token, API key or X-Device-Key); an operation or device the org does not have answers 404',
        description:
          'One point `{operationId|deviceId, metricName, value, unit?, timestamp?}` answers 201 with the point as stored. ' +
          'Any other body (an array, `{points: [...]}`, the ThingsBoard shapes) is a batch and answers as POST /telemetry/batch does.',
        security,
        querystring: ingestQuery,
        body: z.unknown().meta({ examples: [pointExample, thingsBoardExample] }),
        response: { 201: z.union([storedPoint, ingestResult]), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { partial, ...ids } = req.query;
      const source = await ingestSource(req);
      const body: unknown = req.body;
      const out = isSinglePoint(body) ? await telemetry.ingestPoint(source, body, ids) : await telemetry.ingest(source, body, { partial: partial ?? false, ...ids });
      return reply.code(201).send(out);
    },
  );
  api.post(
    '/telemetry/batch',
    {
      config: { auth: 'public' },
      bodyLimit: 16 * 1024 * 1024,
      schema: {
        tags,
        operationId: 'ingestTelemetryBatch',
        summary: 'Send up to 10,000 points: IMSOP shape, ThingsBoard {ts, values} shape, or arrays of them; ?partial=true keeps the valid ones',
        security,
        querystring: ingestQuery,
        body: z.unknown().meta({ examples: [[pointExample], thingsBoardExample] }),
        response: { 201: ingestResult, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { partial, ...ids } = req.query;
      return reply.code(201).send(await telemetry.ingest(await ingestSource(req), req.body, { partial: partial ?? false, ...ids }));
    },
  );

  api.get(
    '/telemetry',
    {
      config: { auth: 'telemetry:read' },
      schema: {
        tags,
        operationId: 'queryTelemetry',
        summary: 'Aggregated telemetry from the rollups (raw points with agg=none); day/week/month buckets follow tz',
        querystring: z
          .strictObject({
            operationId: z.uuid().optional(),
            deviceId: z.uuid().optional(),
            metric: metricName,
            from: isoDate,
            to: isoDate.optional(),
            interval: z.enum(['1m', '5m', '1h', '1d', '1w', '1mo']).default('1h'),
            agg: z.enum(['avg', 'min', 'max', 'sum', 'count', 'none']).default('avg'),
            tz: z.string().max(64).default('UTC'),
          })
          .refine((q) => q.operationId || q.deviceId, 'Give operationId or deviceId'),
        response: {
          200: z.object({
            series: z.array(z.object({ id: z.number(), deviceId: z.uuid().nullable(), operationId: z.uuid().nullable(), metric: z.string(), unit: z.string().nullable() })),
            buckets: z.array(z.object({ seriesId: z.number(), t: z.string(), value: z.number().nullable(), count: z.number() })),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const q = req.query;
      return telemetry.query(actorOf(req), { ...q, from: new Date(q.from), to: q.to ? new Date(q.to) : new Date() });
    },
  );

  api.get(
    '/telemetry/latest',
    {
      config: { auth: 'telemetry:read' },
      schema: {
        tags,
        operationId: 'getLatestTelemetry',
        summary: 'The latest value of every series of a device or operation',
        querystring: z.strictObject({ operationId: z.uuid().optional(), deviceId: z.uuid().optional(), metric: metricName.optional() }),
        response: {
          200: z.object({
            data: z.array(
              z.object({
                id: z.number(),
                deviceId: z.uuid().nullable(),
                operationId: z.uuid().nullable(),
                metric: z.string(),
                unit: z.string().nullable(),
                lastTs: z.string().nullable(),
                lastValue: z.number().nullable(),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => ({ data: await telemetry.series(actorOf(req), req.query) }),
  );

  api.get(
    '/telemetry/retention',
    {
      config: { auth: 'telemetry:read' },
      schema: {
        tags,
        operationId: 'getTelemetryRetention',
        summary: 'How long this organization keeps raw points and rollups (set in the organization settings, telemetry key)',
        response: {
          200: z.object({ rawDays: z.number(), minuteDays: z.number(), hourDays: z.number(), defaults: z.object({ rawDays: z.number(), minuteDays: z.number(), hourDays: z.number() }) }),
          ...errorResponses,
        },
      },
    },
    async (req) => telemetry.retention(actorOf(req)),
  );

  const dtags = ['devices'];
  const deviceFields = {
    name: z.string().trim().min(1).max(200),
    type: z.string().trim().min(1).max(64).optional(),
    operationId: z.uuid().nullable().optional(),
    metadata: jsonObject.optional(),
  };
  api.get(
    '/devices',
    {
      config: { auth: 'devices:read' },
      schema: { tags: dtags, operationId: 'listDevices', summary: 'Devices with online status, by name (cursor pagination)', querystring: pageQuerystring, response: { 200: pageOfSchema(deviceSchema), ...errorResponses } },
    },
    async (req) => devices.list(actorOf(req), req.query),
  );
  api.get(
    '/devices/connection',
    {
      config: { auth: 'devices:read' },
      schema: {
        tags: dtags,
        operationId: 'getDeviceConnection',
        summary: 'Where devices send telemetry: the HTTP ingest URL and the MQTT broker, with examples ({deviceId} and {deviceKey} to fill in)',
        response: {
          200: z.object({
            http: z.object({ url: z.string(), batchUrl: z.string(), keyHeader: z.string(), example: z.string() }),
            mqtt: z.object({ host: z.string(), port: z.number(), tls: z.boolean(), topic: z.string(), credentials: z.enum(['device', 'payload']), example: z.string() }).nullable(),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => connection(`${req.protocol}://${req.host}`),
  );
  api.post(
    '/devices',
    {
      config: { auth: 'devices:manage' },
      schema: { tags: dtags, operationId: 'createDevice', summary: 'Register a device; its key is shown once', body: z.strictObject(deviceFields), response: { 201: deviceSchema.extend({ key: z.string() }), ...errorResponses } },
    },
    async (req, reply) => reply.code(201).send(await devices.create(actorOf(req), req.body)),
  );
  api.get(
    '/devices/:id',
    { config: { auth: 'devices:read' }, schema: { tags: dtags, operationId: 'getDevice', summary: 'Get a device', params: idParams, response: { 200: deviceSchema, ...errorResponses } } },
    async (req) => devices.get(actorOf(req), req.params.id),
  );
  api.patch(
    '/devices/:id',
    {
      config: { auth: 'devices:manage' },
      schema: {
        tags: dtags,
        operationId: 'updateDevice',
        summary: 'Edit a device',
        params: idParams,
        body: z.strictObject({ ...deviceFields, name: deviceFields.name.optional() }).refine((b) => Object.keys(b).length > 0, 'Send at least one field to change'),
        response: { 200: deviceSchema, ...errorResponses },
      },
    },
    async (req) => devices.update(actorOf(req), req.params.id, req.body),
  );
  api.post(
    '/devices/:id/rotate-key',
    { config: { auth: 'devices:manage' }, schema: { tags: dtags, operationId: 'rotateDeviceKey', summary: 'Issue a new device key (the old one stops working)', params: idParams, response: { 200: deviceSchema.extend({ key: z.string() }), ...errorResponses } } },
    async (req) => devices.rotateKey(actorOf(req), req.params.id),
  );
  api.delete(
    '/devices/:id',
    { config: { auth: 'devices:manage' }, schema: { tags: dtags, operationId: 'deleteDevice', summary: 'Delete a device', params: idParams, response: { 204: z.null(), ...errorResponses } } },
    async (req, reply) => {
      await devices.remove(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  const atags = ['alarms'];
  api.get(
    '/alert-rules',
    {
      config: { auth: 'alarms:read' },
      schema: { tags: atags, operationId: 'listAlertRules', summary: 'Alert rules, by name (cursor pagination)', querystring: pageQuerystring, response: { 200: pageOfSchema(ruleSchema), ...errorResponses } },
    },
    async (req) => alarms.listRules(actorOf(req), req.query),
  );
  api.post(
    '/alert-rules',
    { config: { auth: 'alarms:manage' }, schema: { tags: atags, operationId: 'createAlertRule', summary: 'Create an alert rule (threshold, rate of change, no data, anomaly)', body: z.strictObject(ruleFields), response: { 201: ruleSchema, ...errorResponses } } },
    async (req, reply) => reply.code(201).send(await alarms.createRule(actorOf(req), req.body)),
  );
  api.patch(
    '/alert-rules/:id',
    {
      config: { auth: 'alarms:manage' },
      schema: {
        tags: atags,
        operationId: 'updateAlertRule',
        summary: 'Edit an alert rule',
        params: idParams,
        body: z
          .strictObject({ ...ruleFields, name: ruleFields.name.optional(), metric: ruleFields.metric.optional(), kind: ruleFields.kind.optional() })
          .refine((b) => Object.keys(b).length > 0, 'Send at least one field to change'),
        response: { 200: ruleSchema, ...errorResponses },
      },
    },
    async (req) => alarms.updateRule(actorOf(req), req.params.id, req.body),
  );
  api.delete(
    '/alert-rules/:id',
    { config: { auth: 'alarms:manage' }, schema: { tags: atags, operationId: 'deleteAlertRule', summary: 'Delete an alert rule', params: idParams, response: { 204: z.null(), ...errorResponses } } },
    async (req, reply) => {
      await alarms.deleteRule(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
  api.get(
    '/alarms',
    {
      config: { auth: 'alarms:read' },
      schema: {
        tags: atags,
        operationId: 'listAlarms',
        summary: 'Alarms, newest first (cursor pagination)',
        querystring: z.strictObject({
          ...pageQuery,
          active: booleanQuery.optional(),
          acknowledged: booleanQuery.optional(),
          severity: z.enum(ALARM_SEVERITIES).optional(),
        }),
        response: { 200: pageOfSchema(alarmSchema), ...errorResponses },
      },
    },
    async (req) => alarms.list(actorOf(req), req.query),
  );
  for (const action of ['ack', 'clear'] as const) {
    api.post(
      `/alarms/:id/${action}`,
      {
        config: { auth: 'alarms:ack' },
        schema: { tags: atags, operationId: action === 'ack' ? 'acknowledgeAlarm' : 'clearAlarm', summary: action === 'ack' ? 'Acknowledge an alarm' : 'Clear an alarm', params: idParams, response: { 200: alarmSchema, ...errorResponses } },
      },
      async (req) => (await alarms.transition(actorOf(req), [req.params.id], action))[0]!,
    );
  }
  api.post(
    '/alarms/bulk',
    {
      config: { auth: 'alarms:ack' },
      schema: {
        tags: atags,
        operationId: 'bulkUpdateAlarms',
        summary: 'Acknowledge or clear many alarms at once (all or none)',
        body: z.strictObject({ ids: z.array(z.uuid()).min(1).max(500), action: z.enum(['ack', 'clear']) }),
        response: { 200: z.object({ data: z.array(alarmSchema) }), ...errorResponses },
      },
    },
    async (req) => ({ data: await alarms.transition(actorOf(req), req.body.ids, req.body.action) }),
  );
}
