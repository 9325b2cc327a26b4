import { sql } from 'drizzle-orm';
import type { Tx } from '../../../platform/db/client.ts';
import { publishEvents, type NewEvent } from '../../../platform/events/outbox.ts';
import { restoreState, score, type DetectorState } from '../anomaly/detector.ts';
import type { AlarmsService, PointSignal } from '../alarms.service.ts';
import type { SeriesPoint } from './writer.ts';

/** At most one live telemetry event per series per this interval (the UI's sampling). */
export const EVENT_SAMPLE_MS = 1_000;

/**
 * What runs inside each ingest transaction after the raw rows: streaming anomaly scores (the
 * detector state is read FOR UPDATE and written back, so it survives restarts and is consistent
 * across instances), alert rule evaluation, and sampled telemetry events.
 */
export function createIngestPipeline(alarms: AlarmsService) {
  const lastEvent = new Map<number, number>();

  return async function inTransaction(tx: Tx, points: SeriesPoint[]): Promise<void> {
    const ids = [...new Set(points.map((p) => p.seriesId))];
    const idList = sql.join(ids.map((id) => sql`${id}`), sql`, `);
    const meta = (await tx.execute(
      sql`select id, org_id, device_id, operation_id, metric, anomaly_state from telemetry_series where id in (${idList}) order by id for update`,
    )) as unknown as {
      rows: { id: string | number; org_id: string; device_id: string | null; operation_id: string | null; metric: string; anomaly_state: unknown }[];
    };
    const states = new Map<number, DetectorState>();
    const info = new Map<number, (typeof meta.rows)[number]>();
    for (const r of meta.rows) {
      states.set(Number(r.id), restoreState(r.anomaly_state));
      info.set(Number(r.id), r);
    }
    const signals: PointSignal[] = [];
    const ordered = points.map((p, i) => ({ p, i })).sort((a, b) => a.p.tsMs - b.p.tsMs || a.i - b.i);
    for (const { p } of ordered) {
      const st = states.get(p.seriesId);
      signals.push({ ...p, anomaly: st ? score(st, p.tsMs, p.value) : 0 });
    }
    const payload = JSON.stringify([...states].map(([id, state]) => ({ id, state })));
    await tx.execute(sql`
      update telemetry_series s set anomaly_state = v.state
      from jsonb_to_recordset(${payload}::jsonb) as v(id bigint, state jsonb) where s.id = v.id`);
    await alarms.evaluate(tx, signals);

    const now = Date.now();
    const latest = new Map<number, PointSignal>();
    for (const s of signals) {
      const cur = latest.get(s.seriesId);
      if (!cur || s.tsMs >= cur.tsMs) latest.set(s.seriesId, s);
    }
    const events: NewEvent[] = [];
    for (const [id, s] of latest) {
      if (now - (lastEvent.get(id) ?? 0) < EVENT_SAMPLE_MS) continue;
      lastEvent.set(id, now);
      const m = info.get(id);
      if (!m) continue;
      const payload = {
        seriesId: id,
        deviceId: m.device_id,
        operationId: m.operation_id,
        metric: m.metric,
        t: new Date(s.tsMs).toISOString(),
        value: s.value,
        anomaly: Math.round(s.anomaly * 1000) / 1000,
      };
      if (m.device_id) events.push({ orgId: m.org_id, topic: `device:${m.device_id}`, type: 'telemetry', payload });
      if (m.operation_id) events.push({ orgId: m.org_id, topic: `operation:${m.operation_id}`, type: 'telemetry', payload });
      events.push({ orgId: m.org_id, topic: 'telemetry', type: 'telemetry', payload });
    }
    await publishEvents(tx, events);
  };
}
