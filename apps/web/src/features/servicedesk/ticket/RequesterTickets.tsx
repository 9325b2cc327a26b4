import { Link } from '@tanstack/react-router';
import { useQuery } from '@tanstack/react-query';
import { api, call } from '../../../lib/api';
import { formatDateTime } from '../../../lib/format';
import { Card, CardHeader } from '../../../components/ui/card';
import { EmptyState, ErrorState, SkeletonRows } from '../../../components/ui/states';
import { TicketStatusBadge } from '../labels';
import { sdKeys } from '../queries';
import type { Ticket } from '../types';

const SHOWN = 10;

/** How the requester's tickets are found: their account, else their address, else their mobile. */
export function requesterFilter(r: Ticket['requester']): { requesterUserId: string } | { requesterEmail: string } | { requesterMobile: string } | null {
  if (r.userId) return { requesterUserId: r.userId };
  if (r.email) return { requesterEmail: r.email };
  if (r.mobile) return { requesterMobile: r.mobile };
  return null;
}

/** The requester's other tickets (those the agent may read), newest first. */
export function RequesterTickets({ ticket }: { ticket: Ticket }) {
  const filter = requesterFilter(ticket.requester);
  const q = useQuery({
    queryKey: [...sdKeys.tickets, 'requester', filter],
    queryFn: () => call(api.GET('/api/tickets', { params: { query: { ...filter!, limit: SHOWN + 1 } } })),
    enabled: !!filter,
    staleTime: 30_000,
  });
  const others = (q.data?.data ?? []).filter((t) => t.id !== ticket.id).slice(0, SHOWN);
  return (
    <Card aria-labelledby="requester-tickets-title">
      <CardHeader id="requester-tickets-title" title={`Other tickets from ${ticket.requester.name}`} />
      {q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : q.isLoading ? (
        <SkeletonRows rows={2} />
      ) : others.length === 0 ? (
        <EmptyState title="No other tickets" className="py-6" />
      ) : (
        <ul className="divide-y divide-line" data-testid="requester-tickets">
          {others.map((t) => (
            <li key={t.id} className="px-4 py-2">
              <Link to="/tickets/$ticketId" params={{ ticketId: t.id }} className="block truncate text-[13px] font-medium hover:underline">
                #{t.number} {t.subject}
              </Link>
              <p className="mt-0.5 flex items-center gap-2 text-xs text-fg-subtle">
                <TicketStatusBadge status={t.status} /> {formatDateTime(t.createdAt)}
              </p>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
