import { definePermissions } from '../../platform/access/catalogue.ts';

/** The servicedesk module's permissions and what each system role holds of them (admin holds all). */
export const servicedeskPermissions = definePermissions({
  'tickets:read': { description: 'View tickets, their replies, timeline and SLA (department: the teams the holder belongs to)', scoped: true, grants: { manager: 'department', agent: 'department', executive: 'any' } },
  'tickets:create': { description: 'Open tickets on behalf of requesters', grants: { manager: 'any', agent: 'any' } },
  'tickets:update': { description: 'Edit, assign and reply to tickets and move their status', scoped: true, grants: { manager: 'department', agent: 'department' } },
  'tickets:delete': { description: 'Delete tickets', grants: {} },
  'tickets:merge': { description: 'Merge a ticket into another', scoped: true, grants: { manager: 'department' } },
  'files:upload': { description: 'Upload files (attachments)', grants: { manager: 'any', agent: 'any' } },
  'servicedesk:manage': { description: 'Manage teams, canned responses, custom fields, business calendars and SLA policies', grants: {} },
  'servicedesk:analytics': { description: 'View service desk dashboards and export reports', scoped: true, grants: { manager: 'department', agent: 'own', executive: 'any' } },
  'ratings:manage': { description: 'Rate agents’ performance', scoped: true, grants: { manager: 'department' } },
});

declare module '../../platform/access/catalogue.ts' {
  interface PermissionRegistry extends Record<keyof typeof servicedeskPermissions, true> {}
}
