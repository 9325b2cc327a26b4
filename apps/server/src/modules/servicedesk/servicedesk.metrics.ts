import { sql } from 'drizzle-orm';
import type { Registry } from 'prom-client';
import { queryRows, type AppDb } from '../../platform/db/client.ts';
import { everyLabel, scrapedMetrics } from '../../platform/metrics/metrics.ts';
import { tickets, ticketSla } from './servicedesk.schema.ts';
import { ticketSelection } from './tickets/tickets.repository.ts';
import { OPEN_STATUSES } from './tickets/tickets.transitions.ts';

/**
 * The open statuses as literals, not parameters: the partial index `tickets_open_status` has the
 * same predicate, and the planner uses a partial index only when it can prove the query's condition
 * implies the index's (it cannot with parameters under a generic plan).
 */
const OPEN_STATUS_LIST = sql.raw(OPEN_STATUSES.map((s) => `'${s}'`).join(', '));

/**
 * One aggregate per scrape over the open tickets of every org (through `tickets_open_status`, so
 * resolved and closed tickets, which pile up, are never read): the count by status, and those with
 * an SLA target in breach now (missed and not achieved since: the console's `slaBreached`).
 */
export const OPEN_TICKETS_SQL = sql`select ${tickets.status} as status, count(*)::int as n, count(*) filter (where ${ticketSelection.slaBreached})::int as breached
  from ${tickets} left join ${ticketSla} on ${ticketSla.ticketId} = ${tickets.id}
  where ${tickets.status} in (${OPEN_STATUS_LIST}) group by ${tickets.status}`;

async function openTickets(db: AppDb) {
  const rows = await queryRows<{ status: string; n: number; breached: number }>(db, OPEN_TICKETS_SQL);
  return { byStatus: new Map(rows.map((r) => [r.status, r.n])), breached: rows.reduce((sum, r) => sum + r.breached, 0) };
}

/**
 * On /metrics, over every org (no org label: the operator's view of the instance; an org's own
 * figures are its dashboards): open tickets by status, and open tickets in breach of their SLA.
 */
export function registerServicedeskMetrics(registry: Registry, db: AppDb) {
  scrapedMetrics(registry, () => openTickets(db), [
    {
      name: 'imsop_tickets_open',
      help: 'Open tickets (not resolved or closed) by status, over every organization',
      labelNames: ['status'],
      series: (r) => everyLabel('status', OPEN_STATUSES, r.byStatus),
    },
    {
      name: 'imsop_tickets_sla_breached',
      help: 'Open tickets with an SLA target in breach now (missed and not achieved since)',
      series: (r) => [[{}, r.breached]],
    },
  ]);
}
