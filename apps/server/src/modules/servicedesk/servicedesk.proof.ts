import { defineProofSeed } from '../../platform/module/proof.ts';

const kinds = ['ticket', 'team', 'canned', 'file', 'calendar', 'policy'] as const;
const values = ['ticketToken'] as const;

declare module '../../platform/module/proof.ts' {
  interface ProofKinds extends Record<(typeof kinds)[number], true> {}
  interface ProofValues extends Record<(typeof values)[number], true> {}
}

/**
 * The service desk's proof seed: a team (with the identity seed's user in it), a canned response,
 * a ticket from the public form with an anonymous attachment (and the requester's link token), a
 * business calendar and the default SLA policy on it.
 */
export default defineProofSeed({
  kinds,
  values,
  families: [
    [/^\/api\/tickets\//, 'ticket'],
    [/^\/api\/portal\/tickets\//, 'ticket'],
    [/^\/api\/servicedesk\/teams\//, 'team'],
    [/^\/api\/servicedesk\/canned-responses\//, 'canned'],
    [/^\/api\/servicedesk\/agents\//, 'user'],
    [/^\/api\/files\//, 'file'],
    [/^\/api\/servicedesk\/calendars\//, 'calendar'],
    [/^\/api\/servicedesk\/sla-policies\//, 'policy'],
  ],
  params: { cannedId: 'canned', fileId: 'file', teamId: 'team', intoId: 'ticket', attachmentIds: 'file', calendarId: 'calendar' },
  queryIds: { assigneeId: 'user' },
  // The requester's signed link: a requester's own token is what opens their ticket in the portal.
  headers: { 'x-ticket-token': 'ticketToken' },
  async create(api, earlier) {
    const team = await api.call<{ id: string }>('POST', '/api/servicedesk/teams', { body: { name: 'World desk', assignment: 'round_robin' } });
    await api.call('PUT', `/api/servicedesk/teams/${team.id}/members`, { body: { userIds: [earlier.id('user')] } });
    const canned = await api.call<{ id: string }>('POST', '/api/servicedesk/canned-responses', { body: { title: 'World hello', body: 'Hello {{requester.name}}' } });
    const boundary = 'worldboundary';
    const file = await api.call<{ id: string }>('POST', `/api/upload?org=${api.org.slug}`, {
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="world.txt"\r\nContent-Type: text/plain\r\n\r\nworld file ${api.org.slug}\r\n--${boundary}--\r\n`,
    });
    const requesterEmail = `req.${api.org.slug}@example.test`;
    const ticket = await api.call<{ id: string; token: string }>('POST', `/api/tickets/public?org=${api.org.slug}`, {
      headers: {},
      body: { name: 'World Requester', email: requesterEmail, subject: 'World ticket', description: 'It is broken', attachmentIds: [file.id] },
    });
    const calendar = await api.call<{ id: string }>('POST', '/api/servicedesk/calendars', {
      body: { name: 'World hours', timeZone: 'Europe/London', weeklyHours: { monday: [['09:00', '17:00']], friday: [['09:00', '12:00']] } },
    });
    const policy = await api.call<{ id: string }>('POST', '/api/servicedesk/sla-policies', {
      body: { name: 'World SLA', isDefault: true, calendarId: calendar.id, targets: { medium: { firstResponse: 60, resolution: 480 } } },
    });
    return {
      ids: { ticket: ticket.id, team: team.id, canned: canned.id, file: file.id, calendar: calendar.id, policy: policy.id },
      values: { ticketToken: ticket.token },
      secrets: [ticket.token, requesterEmail],
    };
  },
});
