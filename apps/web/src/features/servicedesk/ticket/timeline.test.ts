import { describe, expect, it } from 'vitest';
import { timelineText } from './timeline';

const look = { user: (id: string) => ({ u1: 'Ada Lovelace' })[id], team: (id: string) => ({ t1: 'Billing' })[id] };
const line = (kind: string, data: Record<string, unknown> = {}) => timelineText({ kind, data }, look);

describe('timelineText', () => {
  it.each([
    [line('created', { channel: 'web', priority: 'high' }), 'Created via Web form, high priority'],
    [line('status', { from: 'new', to: 'pending_customer' }), 'Status: New → Waiting on customer'],
    [line('status', { from: 'resolved', to: 'open', by: 'customer_reply' }), 'Status: Resolved → Open (the requester replied)'],
    [line('priority', { from: 'medium', to: 'urgent', by: 'escalation' }), 'Priority: Medium → Urgent (escalation)'],
    [line('assigned', { assigneeId: 'u1', auto: true }), 'Assigned to Ada Lovelace (automatic)'],
    [line('assigned', { assigneeId: 'u9' }), 'Assigned to another agent'],
    [line('assigned', { assigneeId: null }), 'Unassigned'],
    [line('team', { to: 't1' }), 'Team: Billing'],
    [line('agent_reply', { by: 'u1' }), 'Ada Lovelace replied'],
    [line('internal_note', { by: 'u1' }), 'Ada Lovelace added an internal note'],
    [line('sla_warning', { target: 'firstResponse', threshold: 0.75 }), 'SLA warning: first response at 75% of its target'],
    [line('sla_breach', { target: 'resolution' }), 'SLA breached: resolution'],
    [line('escalation', { target: 'firstResponse', actions: ['notify_manager', 'raise_priority'] }), 'Escalated (first response): notified the manager, raised the priority'],
    [line('merged', { number: 7 }), 'Ticket #7 was merged into this one'],
    [line('something_new'), 'Something new'],
  ])('%s', (got, want) => expect(got).toBe(want));
});
