import { z } from 'zod';
import { defineEvents } from '../../platform/events/catalogue.ts';

/** The ticket as events carry it (the API's ticket view; the fields subscribers key on are checked). */
const ticket = z.looseObject({ id: z.uuid(), number: z.number().int(), status: z.string(), subject: z.string(), teamId: z.uuid().nullable(), assigneeId: z.uuid().nullable() });
const about = z.looseObject({ ticket });
/** A clock target that fell due: which target, its cycle and when it was due. */
const due = { target: z.string(), cycle: z.number().int(), at: z.string() };

/** Published on `tickets` and `ticket:<id>` (settings changes and ratings on `tickets` only). */
export const servicedeskEvents = defineEvents({
  'ticket.created': { version: 1, description: 'A ticket was opened (by an agent, the public form, an email or a chat message).', payload: about },
  'ticket.updated': { version: 1, description: 'A ticket’s fields, status, team or assignee changed (`changes` names the fields).', payload: about.extend({ changes: z.array(z.string()).optional() }) },
  'ticket.deleted': { version: 1, description: 'A ticket was deleted (the payload is the ticket as it was).', payload: about },
  'ticket.merged': { version: 1, description: 'A ticket was merged into another (`into`).', payload: about.extend({ into: z.uuid() }) },
  'ticket.replied': { version: 1, description: 'A reply or an internal note was added.', payload: about.extend({ reply: z.looseObject({ id: z.uuid() }) }) },
  'ticket.rated': { version: 1, description: 'The requester rated the resolution (`score`).', payload: about.extend({ score: z.number().int() }) },
  'ticket.sla_warning': { version: 1, description: 'A share (`threshold`) of an SLA target’s time has elapsed.', payload: about.extend({ ...due, threshold: z.number().optional() }) },
  'ticket.sla_breached': { version: 1, description: 'An SLA target was missed.', payload: about.extend(due) },
  'ticket.escalated': { version: 1, description: 'An escalation level fired and carried out its actions.', payload: about.extend({ ...due, level: z.number().int().optional(), actions: z.array(z.unknown()) }) },
  'servicedesk.sla_changed': {
    version: 1,
    description: 'A business calendar or SLA policy changed, and the open tickets’ clocks were recalculated (`recalculated`).',
    payload: z.looseObject({ what: z.string(), recalculated: z.number().int() }),
  },
  'agent.rated': { version: 1, description: 'A manager rated an agent for a period.', payload: z.object({ agentId: z.uuid(), period: z.string(), score: z.number().int() }) },
});

export type ServicedeskEvents = typeof servicedeskEvents;
