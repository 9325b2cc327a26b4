import { Badge, PriorityBars, type Tone } from '../../components/ui/badge';
import type { TicketChannel, TicketPriority, TicketStatus } from './types';

export const TICKET_STATUSES: TicketStatus[] = ['new', 'open', 'pending_customer', 'on_hold', 'resolved', 'closed'];
export const TICKET_PRIORITIES: TicketPriority[] = ['urgent', 'high', 'medium', 'low'];

export const TICKET_STATUS_LABEL: Record<TicketStatus, string> = {
  new: 'New',
  open: 'Open',
  pending_customer: 'Waiting on customer',
  on_hold: 'On hold',
  resolved: 'Resolved',
  closed: 'Closed',
};
const STATUS_TONE: Record<TicketStatus, Tone> = { new: 'violet', open: 'blue', pending_customer: 'amber', on_hold: 'neutral', resolved: 'green', closed: 'neutral' };

export function TicketStatusBadge({ status }: { status: TicketStatus }) {
  return (
    <Badge tone={STATUS_TONE[status]} dot>
      {TICKET_STATUS_LABEL[status]}
    </Badge>
  );
}

export const TICKET_PRIORITY_LABEL: Record<TicketPriority, string> = { low: 'Low', medium: 'Medium', high: 'High', urgent: 'Urgent' };
const BARS: Record<TicketPriority, number> = { low: 1, medium: 2, high: 3, urgent: 4 };

export function TicketPriorityLabel({ priority }: { priority: TicketPriority }) {
  return <PriorityBars level={BARS[priority]} colour={priority === 'urgent' ? 'red' : priority === 'high' ? 'orange' : 'muted'} label={TICKET_PRIORITY_LABEL[priority]} />;
}

export const CHANNEL_LABEL: Record<TicketChannel, string> = { web: 'Web form', email: 'Email', whatsapp: 'WhatsApp', sms: 'SMS', api: 'API', phone: 'Phone' };
/** Every channel, from the labels (the Record's type makes the compiler insist on each one the API has). */
export const CHANNELS = Object.keys(CHANNEL_LABEL) as TicketChannel[];

/** Statuses that are still work to do. */
export const OPEN_STATUSES: TicketStatus[] = ['new', 'open', 'pending_customer', 'on_hold'];

