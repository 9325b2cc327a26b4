import { sql } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import type { Tx } from '../../../platform/db/client.ts';
import type { EventCheck } from '../../../platform/events/catalogue.ts';
import { publishEvents, type NewEvent } from '../../../platform/events/outbox.ts';
import { restoreState, score, type DetectorState } from '../anomaly/detector.ts';
import type { AlarmsService, PointSignal } from '../alarms.service.ts';
import type { SeriesPoint } from './writer.ts';

/** At most one live telemetry event per series per this interval (the UI's sampling). */
export const EVENT_SAMPLE_MS = 1_000;

/**
 * Detector states are stored as one JSON string inside the jsonb column, not as a jsonb object:
 * PostgreSQL parses each of an object's ~1,650 numbers into a numeric (about 75 ms per 100 series
 * for every batch, on both databases), and a string in one piece (about 4 times faster to write
 * and 2 to 3 times to read). Shortest round-trip JSON numbers keep the state exact. States stored
 * as objects (before this format) are still read.
 */
function readState(stored: unknown): DetectorState {
  if (typeof stored !== 'string') return restoreState(stored);
  try {
    return restoreState(JSON.parse(stored));
  } catch {
    return restoreState(null);
  }
}

/**
 * Detector states kept in memory between batches, each with the `xmin` (the id of the transaction
 * that last wrote the series row) it belongs to. The row is locked FOR UPDATE before use; when its
 * xmin is still the one cached, no other transaction (another instance, a series upsert, a
 * rolled-back batch of ours) has written it since, so the cached state is exact and the database
 * does not send it again. Anything else reads it from the row, as without the cache. A state takes
 * about 13 KB in memory, so the cache is bounded.
 */
const STATE_CACHE_SIZE = 2_000;

/**
 * What runs inside each ingest transaction after the raw rows and before the rollups: streaming
 * anomaly scores (the detector state is read FOR UPDATE and written back, so it survives restarts
 * and is consistent across instances), alert rule evaluation, and sampled telemetry events.
 */
export function createIngestPipeline(alarms: AlarmsService, checkEvent: EventCheck) {
  const lastEvent = new Map<number, number>();
  const cache = new LRUCache<number, { xmin: string; state: DetectorState }>({ max: STATE_CACHE_SIZE });

  return async function inTransaction(tx: Tx, points: SeriesPoint[]): Promise<void> {
    const ids = [...new Set(points.map((p) => p.seriesId))];
    const idList = sql.join(ids.map((id) => sql`${id}`), sql`, `);
    const held = new Map<number, { xmin: string; state: DetectorState }>();
    for (const id of ids) {
      const c = cache.get(id);
      if (c) held.set(id, c);
    }
    const heldIds = `{${[...held.keys()].join(',')}}`;
    const heldXmins = `{${[...held.values()].map((c) => c.xmin).join(',')}}`;
    // Locks the series in id order (concurrent batches of the same series queue here), and returns
    // the stored state only where the cached one is not current.
    const meta = (await tx.execute(sql`
      select s.id, s.org_id, s.device_id, s.operation_id, s.metric, s.xmin::text as xmin,
        (pg_current_xact_id()::text::bigint % 4294967296)::text as txid,
        case when c.xmin = s.xmin::text then null else s.anomaly_state end as anomaly_state
      from telemetry_series s left join unnest(${heldIds}::bigint[], ${heldXmins}::text[]) as c(id, xmin) on c.id = s.id
      where s.id in (${idList}) order by s.id for update of s`)) as unknown as {
      rows: {
        id: string | number;
        org_id: string;
        device_id: string | null;
        operation_id: string | null;
        metric: string;
        xmin: string;
        txid: string;
        anomaly_state: unknown;
      }[];
    };
    const states = new Map<number, DetectorState>();
    const info = new Map<number, (typeof meta.rows)[number]>();
    for (const r of meta.rows) {
      const id = Number(r.id);
      const c = held.get(id);
      states.set(id, c && c.xmin === r.xmin ? c.state : readState(r.anomaly_state));
      info.set(id, r);
    }
    const signals: PointSignal[] = [];
    const ordered = points.map((p, i) => ({ p, i })).sort((a, b) => a.p.tsMs - b.p.tsMs || a.i - b.i);
    for (const { p } of ordered) {
      const st = states.get(p.seriesId);
      signals.push({ ...p, anomaly: st ? score(st, p.tsMs, p.value) : 0 });
    }
    const payload = JSON.stringify([...states].map(([id, state]) => ({ id, state: JSON.stringify(state) })));
    await tx.execute(sql`
      update telemetry_series s set anomaly_state = v.state
      from jsonb_to_recordset(${payload}::jsonb) as v(id bigint, state jsonb) where s.id = v.id`);
    // The rows now carry this transaction's id: current once it commits, stale if it rolls back.
    const txid = meta.rows[0]?.txid;
    if (txid) for (const [id, state] of states) cache.set(id, { xmin: txid, state });
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
      const version = checkEvent('telemetry', payload);
      // One reading, three topics: the `telemetry` row is the fact durable subscriptions are handed.
      if (m.device_id) events.push({ orgId: m.org_id, topic: `device:${m.device_id}`, type: 'telemetry', version, payload, copy: true });
      if (m.operation_id) events.push({ orgId: m.org_id, topic: `operation:${m.operation_id}`, type: 'telemetry', version, payload, copy: true });
      events.push({ orgId: m.org_id, topic: 'telemetry', type: 'telemetry', version, payload });
    }
    await publishEvents(tx, events);
  };
}
