import { CHANNEL_LABEL, TICKET_PRIORITY_LABEL, TICKET_STATUS_LABEL } from '../labels';
import { TARGET_LABEL } from '../sla';
import type { TicketChannel, TicketPriority, TicketStatus, TimelineEntry } from '../types';

export interface TimelineLookups {
  user: (id: string) => string | undefined;
  team: (id: string) => string | undefined;
}

const status = (s: unknown) => TICKET_STATUS_LABEL[s as TicketStatus] ?? String(s);
const priority = (p: unknown) => TICKET_PRIORITY_LABEL[p as TicketPriority] ?? String(p);
const target = (t: unknown) => (TARGET_LABEL[String(t)] ?? String(t)).toLowerCase();
const ACTION: Record<string, string> = { notify_manager: 'notified the manager', notify_executive: 'notified an executive', raise_priority: 'raised the priority', reassign: 'reassigned' };

/** One line of the ticket's timeline, in words ("Status: Open → Resolved", "SLA breached: first response"). */
export function timelineText(e: Pick<TimelineEntry, 'kind' | 'data'>, look: TimelineLookups): string {
  const d = e.data;
  const who = (id: unknown) => (typeof id === 'string' ? (look.user(id) ?? 'another agent') : 'nobody');
  const byEscalation = d.by === 'escalation' ? ' (escalation)' : '';
  switch (e.kind) {
    case 'created':
      return `Created${d.channel ? ` via ${CHANNEL_LABEL[d.channel as TicketChannel] ?? String(d.channel)}` : ''}, ${priority(d.priority).toLowerCase()} priority`;
    case 'status':
      return `Status: ${status(d.from)} → ${status(d.to)}${d.by === 'customer_reply' ? ' (the requester replied)' : d.mergedInto ? ' (merged)' : ''}`;
    case 'priority':
      return `Priority: ${priority(d.from)} → ${priority(d.to)}${byEscalation}`;
    case 'assigned':
      return d.assigneeId ? `Assigned to ${who(d.assigneeId)}${d.auto ? ' (automatic)' : byEscalation}` : 'Unassigned';
    case 'team':
      return d.to ? `Team: ${look.team(String(d.to)) ?? 'another team'}` : 'Removed from its team';
    case 'agent_reply':
      return `${who(d.by)} replied`;
    case 'internal_note':
      return `${who(d.by)} added an internal note`;
    case 'customer_reply':
      return 'The requester replied';
    case 'policy':
      return 'Another SLA policy applies now';
    case 'sla_warning':
      return `SLA warning: ${target(d.target)} at ${Math.round(Number(d.threshold) * 100)}% of its target`;
    case 'sla_breach':
      return `SLA breached: ${target(d.target)}`;
    case 'escalation': {
      const actions = Array.isArray(d.actions) ? d.actions.map((a) => ACTION[String(a)] ?? String(a)) : [];
      return `Escalated (${target(d.target)})${actions.length ? `: ${actions.join(', ')}` : ''}`;
    }
    case 'merged':
      return `Ticket #${String(d.number)} was merged into this one`;
    default:
      return e.kind.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
  }
}

/** Entries that are bad news get a red dot. */
export const isAlarming = (kind: string) => kind === 'sla_breach' || kind === 'escalation';
