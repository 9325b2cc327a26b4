import { sql } from 'drizzle-orm';
import type { Executor } from '../db/client.ts';

export interface NewEvent {
  orgId: string;
  /** Where subscribers find it, e.g. `operations`, `operation:<id>`, `alarms`. */
  topic: string;
  /** What happened, e.g. `operation.created`. */
  type: string;
  payload: Record<string, unknown>;
}

/**
 * Writes events in the caller's transaction: they commit with the state change or not at all.
 * The list travels as one JSON document (ids are taken in list order): telemetry batches publish
 * hundreds of events at a time, and with a bound parameter per column and row 1,600 events took
 * about three times as long, on PGlite and on PostgreSQL.
 */
export async function publishEvents(tx: Executor, list: NewEvent[]): Promise<void> {
  if (list.length === 0) return;
  const rows = JSON.stringify(list.map((e) => ({ org_id: e.orgId, topic: e.topic, type: e.type, payload: e.payload })));
  await tx.execute(sql`
    insert into events (org_id, topic, type, payload)
    select org_id, topic, type, payload from jsonb_to_recordset(${rows}::jsonb) as e(org_id uuid, topic text, type text, payload jsonb)`);
}
