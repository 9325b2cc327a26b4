import type { QueryClient, QueryKey } from '@tanstack/react-query';
import type { RealtimeEvent } from '../../lib/realtime';
import { keys } from '../../lib/queries';
import { toast } from '../../lib/toast';
import type { Me } from '../../lib/types';
import { markNew } from '../../app/fresh';
import { sdKeys } from './queries';
import type { Ticket } from './types';

/** Whether an event belongs to the service desk (topics `tickets` and `ticket:<id>`). */
export const isTicketEvent = (e: RealtimeEvent) => e.topic === 'tickets' || e.topic.startsWith('ticket:');

/**
 * Applies a service desk event to the caches. Events carry the ticket as it now is, so the open
 * ticket updates in place; lists, dashboards, the thread, timeline and SLA are refetched (merged
 * by `invalidate` into one refetch per key every 300 ms).
 */
export function applyTicketEvent(qc: QueryClient, invalidate: (k: QueryKey) => void, e: RealtimeEvent) {
  const data = (e.data ?? {}) as { ticket?: Ticket; target?: string };
  const ticket = data.ticket && typeof data.ticket.id === 'string' ? data.ticket : null;
  if (ticket) qc.setQueryData(sdKeys.ticket(ticket.id), ticket);
  if (e.topic === 'tickets') {
    invalidate(sdKeys.tickets);
    invalidate(sdKeys.dashboards);
    if (e.event === 'agent.rated') invalidate(sdKeys.ratings);
    if (!ticket) return;
    if (e.event === 'ticket.created') markNew(ticket.id);
    const me = qc.getQueryData<Me>(keys.me);
    if ((e.event === 'ticket.sla_breached' || e.event === 'ticket.escalated') && me && ticket.assigneeId === me.id) {
      toast(e.event === 'ticket.sla_breached' ? `SLA breached: #${ticket.number}` : `Escalated: #${ticket.number}`, { tone: 'error', description: ticket.subject });
    }
    return;
  }
  const id = e.topic.slice('ticket:'.length);
  invalidate(sdKeys.timeline(id));
  invalidate(sdKeys.sla(id));
  if (e.event === 'ticket.replied' || e.event === 'ticket.merged' || e.event === 'ticket.updated') invalidate(sdKeys.replies(id));
}
