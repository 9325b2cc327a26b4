/**
 * Fault: kill -9 of the server during a write-heavy use case other than ingestion: operations with
 * tasks (create an operation, add two tasks, tick one off, start the operation), six writers at once
 * on a private PostgreSQL. After the crash:
 * - no acknowledged write is lost;
 * - no use case is half-applied: every state change has exactly its audit record and its outbox
 *   events, and every audit record and event has its state change (the transaction that was in
 *   flight left nothing behind);
 * - `imsop audit verify` passes and the server starts again on the same database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashDuringWrites, type Api, type CrashWorkload } from './crash.ts';
import { startPostgres, type PrivatePostgres } from './services.ts';
import type { Answer } from './server.ts';

let pgServer: PrivatePostgres;
beforeAll(async () => {
  pgServer = await startPostgres();
});
afterAll(async () => pgServer?.destroy());

type Write =
  | { kind: 'operation'; id: string }
  | { kind: 'task'; id: string; operationId: string }
  | { kind: 'task.done'; id: string }
  | { kind: 'operation.started'; id: string };

function ok(r: Answer, status: number, what: string): Answer {
  if (r.status !== status) throw new Error(`${what} answered ${r.status}: ${r.text.slice(0, 300)}`);
  return r;
}

const operationsWithTasks: CrashWorkload<Write> = {
  name: 'operations with tasks',
  async round(api: Api, ack, writer, round) {
    const op = ok(await api('POST', '/api/operations', { name: `crash ${writer}-${round}`, tags: ['crash'], priority: 'high' }), 201, 'create operation').body as { id: string };
    ack({ kind: 'operation', id: op.id });
    const tasks: string[] = [];
    for (const title of ['inspect', 'report']) {
      const t = ok(await api('POST', `/api/operations/${op.id}/tasks`, { title, checklist: [{ text: 'step', done: false }] }), 201, 'create task').body as { id: string };
      ack({ kind: 'task', id: t.id, operationId: op.id });
      tasks.push(t.id);
    }
    ok(await api('PATCH', `/api/operations/${op.id}/tasks/${tasks[0]}`, { status: 'done', checklist: [{ text: 'step', done: true }] }), 200, 'tick task');
    ack({ kind: 'task.done', id: tasks[0]! });
    ok(await api('PATCH', `/api/operations/${op.id}`, { status: 'in_progress' }), 200, 'start operation');
    ack({ kind: 'operation.started', id: op.id });
  },

  async verify(db, acked) {
    const rows = async <T>(text: string, values: unknown[] = []) => (await db.query(text, values)).rows as T[];
    /**
     * Each row of `table` with its state, its audit records of the two actions and its outbox
     * events of the two types (found by the id inside the payload's `payloadKey` object).
     */
    const sideBySide = (table: string, payloadKey: string, actions: [string, string], types: [string, string]) =>
      rows<{ id: string; status: string; creates: number; changes: number; created_events: number; changed_events: number }>(
        `select r.id, r.status,
          (select count(*)::int from audit_logs a where a.entity_id = r.id::text and a.action = $1) as creates,
          (select count(*)::int from audit_logs a where a.entity_id = r.id::text and a.action = $2) as changes,
          (select count(*)::int from events e where e.type = $3 and e.payload -> '${payloadKey}' ->> 'id' = r.id::text) as created_events,
          (select count(*)::int from events e where e.type = $4 and e.payload -> '${payloadKey}' ->> 'id' = r.id::text) as changed_events
        from ${table} r`,
        [...actions, ...types],
      );
    const ops = await sideBySide('operations', 'operation', ['operation.create', 'operation.status_change'], ['operation.created', 'operation.status_changed']);
    const tasks = await sideBySide('operation_tasks', 'task', ['task.create', 'task.update'], ['task.created', 'task.updated']);

    // 1. No acknowledged write is lost.
    const opById = new Map(ops.map((o) => [o.id, o]));
    const taskById = new Map(tasks.map((t) => [t.id, t]));
    const lost = acked.filter((w) => {
      if (w.kind === 'operation') return !opById.has(w.id);
      if (w.kind === 'task') return !taskById.has(w.id);
      if (w.kind === 'task.done') return taskById.get(w.id)?.status !== 'done';
      return opById.get(w.id)?.status !== 'in_progress';
    });
    expect(lost).toEqual([]);

    // 2. Nothing half-applied: each state change comes with exactly its audit record and events.
    const halfOps = ops.filter((o) => {
      const started = o.status === 'in_progress' ? 1 : 0;
      return o.creates !== 1 || o.created_events !== 2 || o.changes !== started || o.changed_events !== 2 * started;
    });
    expect(halfOps).toEqual([]);
    const halfTasks = tasks.filter((t) => {
      const done = t.status === 'done' ? 1 : 0;
      return t.creates !== 1 || t.created_events !== 1 || t.changes !== done || t.changed_events !== done;
    });
    expect(halfTasks).toEqual([]);
    // …and no audit record or event describes a change that is not there.
    const orphans = await rows<{ n: number }>(`
      select count(*)::int as n from audit_logs a
      where (a.entity_type = 'operation' and not exists (select 1 from operations o where o.id::text = a.entity_id))
         or (a.entity_type = 'task' and not exists (select 1 from operation_tasks t where t.id::text = a.entity_id))`);
    expect(orphans[0]!.n).toBe(0);
    const orphanEvents = await rows<{ n: number }>(`
      select count(*)::int as n from events e
      where (e.type like 'operation.%' and not exists (select 1 from operations o where o.id::text = e.payload -> 'operation' ->> 'id'))
         or (e.type like 'task.%' and not exists (select 1 from operation_tasks t where t.id::text = e.payload -> 'task' ->> 'id'))`);
    expect(orphanEvents[0]!.n).toBe(0);

    const ackedOps = acked.filter((w) => w.kind === 'operation').length;
    const ackedTasks = acked.filter((w) => w.kind === 'task').length;
    return (
      `${acked.length} acknowledged writes (${ackedOps} operations, ${ackedTasks} tasks) all present; ` +
      `${ops.length - ackedOps} operation(s) and ${tasks.length - ackedTasks} task(s) committed but unanswered at the kill; ` +
      `${ops.length + tasks.length} rows with their audit records and events, none half-applied`
    );
  },
};

describe('kill -9 during a write-heavy use case', () => {
  it(`loses no acknowledged write and half-applies nothing (${operationsWithTasks.name})`, async () => {
    const r = await crashDuringWrites(operationsWithTasks, pgServer, { writers: 6, killAfterAcks: 300 });
    expect(r.acked.length).toBeGreaterThanOrEqual(300);
    console.log(`kill -9 (${operationsWithTasks.name}): ${r.summary}; audit verify: ${r.auditVerify}`);
  });
});
