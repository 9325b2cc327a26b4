import type { Executor } from '../db/client.ts';
import { events } from './events.schema.ts';

export interface NewEvent {
  orgId: string;
  /** Where subscribers find it, e.g. `operations`, `operation:<id>`, `alarms`. */
  topic: string;
  /** What happened, e.g. `operation.created`. */
  type: string;
  payload: Record<string, unknown>;
}

/** Writes events in the caller's transaction: they commit with the state change or not at all. */
export async function publishEvents(tx: Executor, list: NewEvent[]): Promise<void> {
  if (list.length === 0) return;
  await tx.insert(events).values(list);
}
