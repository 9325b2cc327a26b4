import type { TicketStatus } from '../servicedesk.schema.ts';

/** Allowed status moves. `closed` is final; a resolved ticket may be reopened. */
const MOVES: Record<TicketStatus, readonly TicketStatus[]> = {
  new: ['open', 'pending_customer', 'on_hold', 'resolved', 'closed'],
  open: ['pending_customer', 'on_hold', 'resolved', 'closed'],
  pending_customer: ['open', 'on_hold', 'resolved', 'closed'],
  on_hold: ['open', 'pending_customer', 'resolved', 'closed'],
  resolved: ['open', 'closed'],
  closed: [],
};

export const allowedMoves = (from: TicketStatus) => MOVES[from];
export const canMove = (from: TicketStatus, to: TicketStatus) => from === to || MOVES[from].includes(to);

/** Statuses that count as open work (queues, load-based assignment, backlog). */
export const OPEN_STATUSES: readonly TicketStatus[] = ['new', 'open', 'pending_customer', 'on_hold'];

/** Where a customer's reply takes the ticket: waiting on them or resolved → open; otherwise unchanged. */
export function statusAfterCustomerReply(s: TicketStatus): TicketStatus {
  return s === 'pending_customer' || s === 'resolved' ? 'open' : s;
}

/** A public agent reply on a new ticket opens it. */
export function statusAfterAgentReply(s: TicketStatus): TicketStatus {
  return s === 'new' ? 'open' : s;
}
