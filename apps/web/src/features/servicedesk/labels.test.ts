import { describe, expect, it } from 'vitest';
import openapi from '../../../../../packages/sdk/openapi.json';
import { CHANNEL_LABEL, CHANNELS, TICKET_PRIORITIES, TICKET_PRIORITY_LABEL, TICKET_STATUSES, TICKET_STATUS_LABEL } from './labels';

type Schema = { $ref?: string; properties?: Record<string, { enum?: string[] }> };

/** The enum of a ticket field in the committed OpenAPI document (what the API really accepts). */
function ticketEnum(field: string): string[] {
  const doc = openapi as unknown as {
    paths: Record<string, { get: { responses: { 200: { content: { 'application/json': { schema: Schema } } } } } }>;
    components: { schemas: Record<string, Schema> };
  };
  const answer = doc.paths['/api/tickets/{id}']!.get.responses[200].content['application/json'].schema;
  // The ticket is a shared component (#/components/schemas/Ticket) or, before, an inline copy.
  const ticket = answer.$ref ? doc.components.schemas[answer.$ref.replace('#/components/schemas/', '')]! : answer;
  const values = ticket.properties?.[field]?.enum;
  if (!values) throw new Error(`no enum for ticket.${field} in the OpenAPI document`);
  return values;
}

describe('the console’s ticket vocabulary matches the API', () => {
  it('offers every channel, status and priority the API has, each with a label', () => {
    expect([...CHANNELS].sort()).toEqual(ticketEnum('channel').sort());
    expect(CHANNELS).toContain('sms');
    expect([...TICKET_STATUSES].sort()).toEqual(ticketEnum('status').sort());
    expect([...TICKET_PRIORITIES].sort()).toEqual(ticketEnum('priority').sort());
    for (const c of CHANNELS) expect(CHANNEL_LABEL[c]).toMatch(/\S/);
    for (const s of TICKET_STATUSES) expect(TICKET_STATUS_LABEL[s]).toMatch(/\S/);
    for (const p of TICKET_PRIORITIES) expect(TICKET_PRIORITY_LABEL[p]).toMatch(/\S/);
  });
});
