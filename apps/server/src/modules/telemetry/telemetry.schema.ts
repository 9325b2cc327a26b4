import { sql } from 'drizzle-orm';
import { bigint, boolean, doublePrecision, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, orgId, orgIsolation, ts, updatedAt } from '../../platform/db/columns.ts';

export const devices = pgTable(
  'devices',
  {
    id: id(),
    orgId: orgId(),
    name: text('name').notNull(),
    type: text('type').notNull().default('generic'),
    operationId: uuid('operation_id'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    keyPrefix: text('key_prefix').notNull(),
    keyHash: text('key_hash').notNull(),
    lastSeenAt: ts('last_seen_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  // (org, name, id): the list's keyset order.
  (t) => [uniqueIndex('devices_key_prefix').on(t.keyPrefix), index('devices_org_name').on(t.orgId, t.name, t.id), orgIsolation()],
).enableRLS();

/**
 * One row per (source, metric): the source is a device, an operation, or both. Holds the latest
 * value and the streaming anomaly detector's state, so both survive restarts.
 */
export const telemetrySeries = pgTable(
  'telemetry_series',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    orgId: orgId(),
    deviceId: uuid('device_id'),
    operationId: uuid('operation_id'),
    metric: text('metric').notNull(),
    unit: text('unit'),
    lastTs: ts('last_ts'),
    lastValue: doublePrecision('last_value'),
    anomalyState: jsonb('anomaly_state'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('telemetry_series_key').on(
      t.orgId,
      sql`coalesce(${t.deviceId}, '00000000-0000-0000-0000-000000000000'::uuid)`,
      sql`coalesce(${t.operationId}, '00000000-0000-0000-0000-000000000000'::uuid)`,
      t.metric,
    ),
    index('telemetry_series_device').on(t.deviceId),
    index('telemetry_series_operation').on(t.operationId),
    orgIsolation(),
  ],
).enableRLS();

const rollupColumns = () => ({
  seriesId: bigint('series_id', { mode: 'number' }).notNull(),
  orgId: orgId(),
  bucket: ts('bucket').notNull(),
  count: bigint('count', { mode: 'number' }).notNull(),
  sum: doublePrecision('sum').notNull(),
  min: doublePrecision('min').notNull(),
  max: doublePrecision('max').notNull(),
  sumSq: doublePrecision('sum_sq').notNull(),
});

export const rollup1m = pgTable('telemetry_rollup_1m', rollupColumns(), (t) => [
  uniqueIndex('telemetry_rollup_1m_key').on(t.seriesId, t.bucket),
  index('telemetry_rollup_1m_bucket').on(t.bucket),
  orgIsolation(),
]).enableRLS();

export const rollup1h = pgTable('telemetry_rollup_1h', rollupColumns(), (t) => [
  uniqueIndex('telemetry_rollup_1h_key').on(t.seriesId, t.bucket),
  index('telemetry_rollup_1h_bucket').on(t.bucket),
  orgIsolation(),
]).enableRLS();

export const ALARM_SEVERITIES = ['critical', 'major', 'minor', 'warning'] as const;
export const RULE_KINDS = ['threshold', 'rate_of_change', 'no_data', 'anomaly'] as const;

export const alertRules = pgTable(
  'alert_rules',
  {
    id: id(),
    orgId: orgId(),
    name: text('name').notNull(),
    metric: text('metric').notNull(),
    deviceId: uuid('device_id'),
    operationId: uuid('operation_id'),
    kind: text('kind', { enum: RULE_KINDS }).notNull(),
    /** threshold: above|below; rate_of_change: per-second change magnitude (≥ 0, never `below`; see checkRule). */
    direction: text('direction', { enum: ['above', 'below'] }),
    threshold: doublePrecision('threshold'),
    /** Seconds the condition must hold (threshold) or the silence that raises (no_data). */
    durationSeconds: integer('duration_seconds').notNull().default(0),
    severity: text('severity', { enum: ALARM_SEVERITIES }).notNull().default('major'),
    enabled: boolean('enabled').notNull().default(true),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('alert_rules_org_metric').on(t.orgId, t.metric), index('alert_rules_org_name').on(t.orgId, t.name, t.id), orgIsolation()],
).enableRLS();

export const alarms = pgTable(
  'alarms',
  {
    id: id(),
    orgId: orgId(),
    ruleId: uuid('rule_id').references(() => alertRules.id, { onDelete: 'set null' }),
    seriesId: bigint('series_id', { mode: 'number' }),
    /** `device:<id>` or `operation:<id>`: what the alarm is about. */
    source: text('source').notNull(),
    metric: text('metric').notNull(),
    severity: text('severity', { enum: ALARM_SEVERITIES }).notNull(),
    active: boolean('active').notNull().default(true),
    acknowledged: boolean('acknowledged').notNull().default(false),
    message: text('message').notNull(),
    value: doublePrecision('value'),
    startedAt: ts('started_at').notNull(),
    lastSeenAt: ts('last_seen_at').notNull(),
    clearedAt: ts('cleared_at'),
    acknowledgedAt: ts('acknowledged_at'),
    acknowledgedBy: uuid('acknowledged_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // At most one active alarm per source and rule, whatever the concurrency of ingestion.
    uniqueIndex('alarms_one_active').on(t.orgId, t.ruleId, t.source).where(sql`active`),
    // The list, newest first: all alarms, or active (or cleared) ones.
    index('alarms_org_started').on(t.orgId, t.startedAt, t.id),
    index('alarms_org_active_started').on(t.orgId, t.active, t.startedAt, t.id),
    orgIsolation(),
  ],
).enableRLS();
