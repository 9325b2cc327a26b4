import { and, eq, inArray, sql } from 'drizzle-orm';
import { can } from '../../platform/access/ability.ts';
import { auditContextOf, type Actor } from '../../platform/access/actor.ts';
import { recordAudit } from '../../platform/audit/audit.ts';
import type { AppDb, Executor, Tx } from '../../platform/db/client.ts';
import { keyset, mapPage, type PageRequest } from '../../platform/db/pagination.ts';
import { inOrg, inSystem } from '../../platform/db/scope.ts';
import type { EventCheck } from '../../platform/events/catalogue.ts';
import type { Dispatcher } from '../../platform/events/dispatcher.ts';
import { publishEvents, type NewEvent } from '../../platform/events/outbox.ts';
import type { UseCase } from '../../platform/module/use-case.ts';
import type { TelemetryEvents } from './telemetry.events.ts';
import { badRequest, forbidden, notFound } from '../../platform/errors/app-error.ts';
import type { SeriesPoint } from './ingest/writer.ts';
import type { OperationExists } from '../operations/index.ts';
import { alarms, alertRules, devices, telemetrySeries, type ALARM_SEVERITIES, type RULE_KINDS } from './telemetry.schema.ts';

type RuleRow = typeof alertRules.$inferSelect;
type AlarmRow = typeof alarms.$inferSelect;

export interface RuleInput {
  name: string;
  metric: string;
  deviceId?: string | null | undefined;
  operationId?: string | null | undefined;
  kind: (typeof RULE_KINDS)[number];
  direction?: 'above' | 'below' | null | undefined;
  threshold?: number | null | undefined;
  durationSeconds?: number | undefined;
  severity?: (typeof ALARM_SEVERITIES)[number] | undefined;
  enabled?: boolean | undefined;
}

export const toRuleView = (r: RuleRow) => ({
  id: r.id,
  name: r.name,
  metric: r.metric,
  deviceId: r.deviceId,
  operationId: r.operationId,
  kind: r.kind,
  direction: r.direction,
  threshold: r.threshold,
  durationSeconds: r.durationSeconds,
  severity: r.severity,
  enabled: r.enabled,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

export const toAlarmView = (a: AlarmRow) => ({
  id: a.id,
  ruleId: a.ruleId,
  seriesId: a.seriesId,
  source: a.source,
  metric: a.metric,
  severity: a.severity,
  state: `${a.active ? 'active' : 'cleared'}_${a.acknowledged ? 'acknowledged' : 'unacknowledged'}`,
  active: a.active,
  acknowledged: a.acknowledged,
  message: a.message,
  value: a.value,
  startedAt: a.startedAt.toISOString(),
  lastSeenAt: a.lastSeenAt.toISOString(),
  clearedAt: a.clearedAt?.toISOString() ?? null,
  acknowledgedAt: a.acknowledgedAt?.toISOString() ?? null,
  acknowledgedBy: a.acknowledgedBy,
});
export type AlarmView = ReturnType<typeof toAlarmView>;


/**
 * Refuses rules that are incomplete or could never behave: each kind reads only some fields, and
 * some values make the condition hold always (an alarm that never clears) or never.
 *
 * - threshold: `value > threshold` (above) or `value < threshold` (below); any finite threshold works.
 * - rate_of_change: `|Δvalue| / Δseconds > threshold`. The change is a magnitude, up or down, so a
 *   negative threshold always holds (never clears); direction `below` is not evaluated (the rule
 *   would still raise on fast change) and is refused rather than silently ignored.
 * - anomaly: `score >= threshold` with scores in [0, 1]; a threshold of 0 holds for every point.
 * - no_data: silent for longer than durationSeconds, which must be positive.
 */
export function checkRule(r: RuleInput) {
  const problem = (path: string, message: string) => badRequest('invalid_rule', message, { errors: [{ path, message }] });
  if (r.kind === 'threshold') {
    if (!r.direction) throw problem('direction', 'A threshold rule needs a direction (above or below).');
    if (r.threshold == null) throw problem('threshold', 'A threshold rule needs a threshold.');
  }
  if (r.kind === 'rate_of_change') {
    if (r.threshold == null) throw problem('threshold', 'A rate-of-change rule needs a threshold (change per second).');
    if (r.threshold < 0) throw problem('threshold', 'The change per second is measured up or down and is never negative: a negative threshold would always hold and the alarm could never clear.');
    if (r.direction === 'below') throw problem('direction', 'A rate-of-change rule raises when the value changes faster than the threshold, up or down; direction “below” does not apply (leave it empty).');
  }
  if (r.kind === 'no_data' && !(r.durationSeconds && r.durationSeconds > 0)) throw problem('durationSeconds', 'A no-data rule needs durationSeconds > 0.');
  if (r.kind === 'anomaly') {
    if (r.threshold == null || r.threshold <= 0 || r.threshold > 1) throw problem('threshold', 'An anomaly rule needs a score threshold above 0 and at most 1 (every point scores 0 or more).');
    if (r.direction === 'below') throw problem('direction', 'An anomaly rule raises when the score reaches the threshold; direction “below” does not apply (leave it empty).');
  }
}

interface SeriesMeta {
  id: number;
  orgId: string;
  deviceId: string | null;
  operationId: string | null;
  metric: string;
}

export interface PointSignal extends SeriesPoint {
  /** Streaming anomaly score of the point, in [0, 1]. */
  anomaly: number;
}

/**
 * Alert rules and alarms. Rules are evaluated inside the ingest transaction, so an alarm and the
 * points that raised it commit together; the partial unique index keeps one active alarm per rule
 * and source even when several batches race.
 */
export interface AlarmsDeps {
  db: AppDb;
  dispatcher: Dispatcher;
  useCase: UseCase<TelemetryEvents>;
  /** The telemetry event catalogue's check (alarms raised by ingestion and the no-data checks run outside a use case). */
  checkEvent: EventCheck;
  operationExists: OperationExists;
}

export function createAlarmsService(deps: AlarmsDeps) {
  const { db, dispatcher } = deps;
  const alarmEvents = (orgId: string, type: 'alarm.raised' | 'alarm.cleared', a: AlarmView): NewEvent[] => {
    const payload = { alarm: a };
    return [{ orgId, topic: 'alarms', type, version: deps.checkEvent(type, payload), payload }];
  };

  const unknown = (code: string, path: string, what: string) =>
    badRequest(code, `No such ${what} in this organization.`, { errors: [{ path, message: `Unknown ${what}` }] });
  type References = { deviceId?: string | null | undefined; operationId?: string | null | undefined };

  /**
   * A rule may name only a device and an operation of the actor's own org; another org's ids are
   * unknown, exactly as ids that exist nowhere. The operation is asked of its module before the
   * rule's transaction, the device (this module's) inside it.
   */
  async function checkOperation(actor: Actor, r: References) {
    if (r.operationId && !(await deps.operationExists(actor.orgId, r.operationId))) throw unknown('unknown_operation', 'operationId', 'operation');
  }
  async function checkDevice(tx: Tx, actor: Actor, r: References) {
    if (!r.deviceId) return;
    const [d] = await tx.select({ id: devices.id }).from(devices).where(and(eq(devices.orgId, actor.orgId), eq(devices.id, r.deviceId)));
    if (!d) throw unknown('unknown_device', 'deviceId', 'device');
  }
  const rulesCache = new Map<string, RuleRow[]>();
  /** When each (rule, series) condition started holding, for duration rules. */
  const since = new Map<string, number>();
  const lastPoint = new Map<number, { tsMs: number; value: number }>();

  async function rulesOf(tx: Executor, orgId: string) {
    let r = rulesCache.get(orgId);
    if (!r) {
      r = await tx.select().from(alertRules).where(and(eq(alertRules.orgId, orgId), eq(alertRules.enabled, true)));
      rulesCache.set(orgId, r);
    }
    return r;
  }

  const sourceOf = (s: SeriesMeta) => (s.deviceId ? `device:${s.deviceId}` : `operation:${s.operationId}`);
  const matches = (r: RuleRow, s: SeriesMeta) =>
    r.metric === s.metric && (!r.deviceId || r.deviceId === s.deviceId) && (!r.operationId || r.operationId === s.operationId);

  async function raise(tx: Executor, r: RuleRow, s: SeriesMeta, value: number, atMs: number, message: string): Promise<NewEvent[]> {
    const at = new Date(atMs);
    const res = (await tx.execute(sql`
      insert into alarms (id, org_id, rule_id, series_id, source, metric, severity, message, value, started_at, last_seen_at)
      values (${crypto.randomUUID()}, ${s.orgId}, ${r.id}, ${s.id}, ${sourceOf(s)}, ${s.metric}, ${r.severity}, ${message}, ${value}, ${at}, ${at})
      on conflict (org_id, rule_id, source) where active
      do update set last_seen_at = greatest(alarms.last_seen_at, excluded.last_seen_at), value = excluded.value, updated_at = now()
      returning *, (xmax = 0) as inserted`)) as unknown as { rows: (Record<string, unknown> & { inserted: boolean; id: string })[] };
    const row = res.rows[0]!;
    if (!row.inserted) return [];
    const [a] = await tx.select().from(alarms).where(eq(alarms.id, row.id));
    const view = toAlarmView(a!);
    await recordAudit(tx, { orgId: s.orgId, actorType: 'system', actorId: null }, { action: 'alarm.raise', entityType: 'alarm', entityId: a!.id, after: view });
    return alarmEvents(s.orgId, 'alarm.raised', view);
  }

  async function autoClear(tx: Executor, r: RuleRow, s: SeriesMeta, atMs: number): Promise<NewEvent[]> {
    const cleared = await tx
      .update(alarms)
      .set({ active: false, clearedAt: new Date(atMs) })
      .where(and(eq(alarms.orgId, s.orgId), eq(alarms.ruleId, r.id), eq(alarms.source, sourceOf(s)), eq(alarms.active, true)))
      .returning();
    const out: NewEvent[] = [];
    for (const a of cleared) {
      const view = toAlarmView(a);
      await recordAudit(tx, { orgId: s.orgId, actorType: 'system', actorId: null }, { action: 'alarm.clear', entityType: 'alarm', entityId: a.id, after: { active: false }, details: { reason: 'condition no longer holds' } });
      out.push(...alarmEvents(s.orgId, 'alarm.cleared', view));
    }
    return out;
  }

  return {
    /** Evaluates the rules over a committed-to-be batch (called inside the ingest transaction). */
    async evaluate(tx: Tx, points: PointSignal[]): Promise<boolean> {
      const byOrg = new Map<string, PointSignal[]>();
      for (const p of points) {
        const list = byOrg.get(p.orgId);
        if (list) list.push(p);
        else byOrg.set(p.orgId, [p]);
      }
      const events: NewEvent[] = [];
      /**
       * (rule, source) pairs with no active alarm as of this transaction's last clear: a clear on
       * them changes nothing until this batch raises one again, so it is not sent (one statement
       * per point of every series under a threshold rule made ingestion several times slower).
       */
      const clear = new Set<string>();
      for (const [orgId, list] of byOrg) {
        const rules = (await rulesOf(tx, orgId)).filter((r) => r.kind !== 'no_data');
        if (rules.length === 0) continue;
        const ids = [...new Set(list.map((p) => p.seriesId))];
        const metas = (await tx
          .select({ id: telemetrySeries.id, orgId: telemetrySeries.orgId, deviceId: telemetrySeries.deviceId, operationId: telemetrySeries.operationId, metric: telemetrySeries.metric })
          .from(telemetrySeries)
          .where(inArray(telemetrySeries.id, ids))) as SeriesMeta[];
        const meta = new Map(metas.map((m) => [m.id, m]));
        const sorted = [...list].sort((a, b) => a.tsMs - b.tsMs);
        for (const p of sorted) {
          const s = meta.get(p.seriesId);
          if (!s) continue;
          const prev = lastPoint.get(p.seriesId);
          lastPoint.set(p.seriesId, { tsMs: p.tsMs, value: p.value });
          for (const r of rules) {
            if (!matches(r, s)) continue;
            let holds = false;
            let message = '';
            if (r.kind === 'threshold') {
              holds = r.direction === 'above' ? p.value > r.threshold! : p.value < r.threshold!;
              message = `${s.metric} is ${r.direction} ${r.threshold}: ${p.value}`;
            } else if (r.kind === 'rate_of_change' && prev && p.tsMs > prev.tsMs) {
              const rate = Math.abs(p.value - prev.value) / ((p.tsMs - prev.tsMs) / 1000);
              holds = rate > r.threshold!;
              message = `${s.metric} changes by ${rate.toFixed(3)}/s (limit ${r.threshold}/s)`;
            } else if (r.kind === 'anomaly') {
              holds = p.anomaly >= r.threshold!;
              message = `${s.metric} is anomalous (score ${p.anomaly.toFixed(2)}): ${p.value}`;
            }
            const key = `${r.id}:${s.id}`;
            const alarmKey = `${r.id}:${sourceOf(s)}`;
            if (holds) {
              const start = since.get(key) ?? p.tsMs;
              since.set(key, start);
              if ((p.tsMs - start) / 1000 >= r.durationSeconds) {
                events.push(...(await raise(tx, r, s, p.value, p.tsMs, message)));
                clear.delete(alarmKey);
              }
            } else {
              since.delete(key);
              if (r.kind !== 'anomaly' && !clear.has(alarmKey)) {
                events.push(...(await autoClear(tx, r, s, p.tsMs)));
                clear.add(alarmKey);
              }
            }
          }
        }
      }
      await publishEvents(tx, events);
      return events.length > 0;
    },

    /** No-data rules: a source silent for longer than the rule's duration raises; data clears it (scheduled). */
    async checkSilence(now = Date.now()) {
      const raised = await inSystem(db, async (tx) => {
        const rules = await tx.select().from(alertRules).where(and(eq(alertRules.kind, 'no_data'), eq(alertRules.enabled, true)));
        const events: NewEvent[] = [];
        for (const r of rules) {
          const series = (await tx
            .select({ id: telemetrySeries.id, orgId: telemetrySeries.orgId, deviceId: telemetrySeries.deviceId, operationId: telemetrySeries.operationId, metric: telemetrySeries.metric, lastTs: telemetrySeries.lastTs })
            .from(telemetrySeries)
            .where(and(eq(telemetrySeries.orgId, r.orgId), eq(telemetrySeries.metric, r.metric)))) as (SeriesMeta & { lastTs: Date | null })[];
          for (const s of series) {
            if (!matches(r, s)) continue;
            const silentFor = (now - (s.lastTs?.getTime() ?? 0)) / 1000;
            if (silentFor > r.durationSeconds) events.push(...(await raise(tx, r, s, 0, now, `no ${s.metric} data for ${Math.round(silentFor)} s`)));
            else events.push(...(await autoClear(tx, r, s, now)));
          }
        }
        await publishEvents(tx, events);
        return events.length;
      });
      if (raised) dispatcher.notify();
    },

    invalidate(orgId: string) {
      rulesCache.delete(orgId);
    },

    /** Alert rules by name, a page at a time. */
    async listRules(actor: Actor, q: PageRequest) {
      if (!can(actor, 'alarms:read')) throw forbidden();
      const page = keyset(q, { column: alertRules.name, id: alertRules.id, value: 'string', of: (r: RuleRow) => r.name });
      const rows = await inOrg(db, actor.orgId, (tx) =>
        tx.select().from(alertRules).where(and(eq(alertRules.orgId, actor.orgId), page.after)).orderBy(...page.orderBy).limit(page.limit),
      );
      return mapPage(page.page(rows), toRuleView);
    },

    async createRule(actor: Actor, input: RuleInput) {
      if (!can(actor, 'alarms:manage')) throw forbidden();
      checkRule(input);
      await checkOperation(actor, input);
      const out = await inOrg(db, actor.orgId, async (tx) => {
        await checkDevice(tx, actor, input);
        const [r] = await tx
          .insert(alertRules)
          .values({ ...input, orgId: actor.orgId, createdBy: actor.userId, durationSeconds: input.durationSeconds ?? 0 })
          .returning();
        await recordAudit(tx, auditContextOf(actor), { action: 'alert_rule.create', entityType: 'alert_rule', entityId: r!.id, after: toRuleView(r!) });
        return toRuleView(r!);
      });
      this.invalidate(actor.orgId);
      return out;
    },

    async updateRule(actor: Actor, id: string, patch: Partial<RuleInput>) {
      if (!can(actor, 'alarms:manage')) throw forbidden();
      await checkOperation(actor, patch);
      const out = await inOrg(db, actor.orgId, async (tx) => {
        const [before] = await tx.select().from(alertRules).where(and(eq(alertRules.orgId, actor.orgId), eq(alertRules.id, id)));
        if (!before) throw notFound('Alert rule');
        checkRule({ ...toRuleView(before), ...patch } as RuleInput);
        await checkDevice(tx, actor, patch);
        const [after] = await tx.update(alertRules).set(patch).where(eq(alertRules.id, id)).returning();
        await recordAudit(tx, auditContextOf(actor), { action: 'alert_rule.update', entityType: 'alert_rule', entityId: id, before: toRuleView(before), after: toRuleView(after!) });
        return toRuleView(after!);
      });
      this.invalidate(actor.orgId);
      return out;
    },

    async deleteRule(actor: Actor, id: string) {
      if (!can(actor, 'alarms:manage')) throw forbidden();
      await inOrg(db, actor.orgId, async (tx) => {
        const [gone] = await tx.delete(alertRules).where(and(eq(alertRules.orgId, actor.orgId), eq(alertRules.id, id))).returning();
        if (!gone) throw notFound('Alert rule');
        await recordAudit(tx, auditContextOf(actor), { action: 'alert_rule.delete', entityType: 'alert_rule', entityId: id, before: toRuleView(gone) });
      });
      this.invalidate(actor.orgId);
    },

    /** Alarms, newest first (by when they started), a page at a time. */
    async list(actor: Actor, q: PageRequest & { active?: boolean | undefined; acknowledged?: boolean | undefined; severity?: string | undefined }) {
      if (!can(actor, 'alarms:read')) throw forbidden();
      const page = keyset(q, { column: alarms.startedAt, id: alarms.id, value: 'timestamp', desc: true, of: (a: AlarmRow) => a.startedAt });
      const rows = await inOrg(db, actor.orgId, (tx) =>
        tx
          .select()
          .from(alarms)
          .where(
            and(
              eq(alarms.orgId, actor.orgId),
              q.active !== undefined ? eq(alarms.active, q.active) : undefined,
              q.acknowledged !== undefined ? eq(alarms.acknowledged, q.acknowledged) : undefined,
              q.severity ? eq(alarms.severity, q.severity as AlarmRow['severity']) : undefined,
              page.after,
            ),
          )
          .orderBy(...page.orderBy)
          .limit(page.limit),
      );
      return mapPage(page.page(rows), toAlarmView);
    },

    /** Acknowledge or clear one or many alarms; each change is audited and published. */
    async transition(actor: Actor, ids: string[], action: 'ack' | 'clear') {
      if (!can(actor, 'alarms:ack')) throw forbidden();
      return deps.useCase(actor, async ({ tx, audit, emit }) => {
        const found = await tx.select().from(alarms).where(and(eq(alarms.orgId, actor.orgId), inArray(alarms.id, ids)));
        if (found.length !== new Set(ids).size) throw notFound('Alarm');
        const views: AlarmView[] = [];
        for (const a of found) {
          const set = action === 'ack' ? { acknowledged: true, acknowledgedAt: new Date(), acknowledgedBy: actor.userId } : { active: false, clearedAt: new Date() };
          const unchanged = action === 'ack' ? a.acknowledged : !a.active;
          if (unchanged) {
            views.push(toAlarmView(a));
            continue;
          }
          const [after] = await tx.update(alarms).set(set).where(eq(alarms.id, a.id)).returning();
          const view = toAlarmView(after!);
          views.push(view);
          await audit({ action: action === 'ack' ? 'alarm.acknowledge' : 'alarm.clear', entityType: 'alarm', entityId: a.id, before: { state: toAlarmView(a).state }, after: { state: view.state } });
          emit(action === 'ack' ? 'alarm.acknowledged' : 'alarm.cleared', { alarm: view }, { topics: ['alarms'] });
        }
        return views;
      });
    },
  };
}

export type AlarmsService = ReturnType<typeof createAlarmsService>;
