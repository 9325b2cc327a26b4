/**
 * The one permission catalogue: `resource:action` strings. Modules add theirs here as they land,
 * and the catalogue is synced into the `permissions` table at start.
 */
export const PERMISSIONS = {
  'users:read': 'List and view users',
  'users:create': 'Create users',
  'users:update': 'Edit users, deactivate and reactivate them',
  'users:delete': 'Soft-delete and restore users',
  'users:export': 'Export a user’s personal data (GDPR access)',
  'users:erase': 'Erase a user’s personal data (GDPR erasure)',
  'roles:read': 'View roles and their permissions',
  'roles:manage': 'Create, edit and delete custom roles',
  'roles:assign': 'Assign roles to users and remove them',
  'permissions:read': 'View the permission catalogue',
  'permissions:grant': 'Grant and revoke direct permissions',
  'api_keys:read': 'List API keys',
  'api_keys:manage': 'Create and revoke API keys',
  'audit:read': 'Read the audit log',
  'activity:read': 'Read the activity log',
  'org:read': 'View the organization’s settings',
  'org:update': 'Change the organization’s settings',
  'operations:read': 'View operations, their tasks and allocations',
  'operations:create': 'Create operations',
  'operations:update': 'Edit operations, move their status, manage their tasks and allocations',
  'operations:delete': 'Delete operations',
  'operations:reopen': 'Reopen completed or failed operations',
  'resources:read': 'View resources (people, vehicles, equipment)',
  'resources:manage': 'Create, edit and delete resources',
  'devices:read': 'View devices',
  'devices:manage': 'Register devices, rotate and revoke their keys',
  'telemetry:read': 'Query telemetry',
  'telemetry:ingest': 'Send telemetry',
  'alarms:read': 'View alarms and alert rules',
  'alarms:ack': 'Acknowledge and clear alarms',
  'alarms:manage': 'Create, edit and delete alert rules and retention',
  'tickets:read': 'View tickets, their replies, timeline and SLA (department: the teams the holder belongs to)',
  'tickets:create': 'Open tickets on behalf of requesters',
  'tickets:update': 'Edit, assign and reply to tickets and move their status',
  'tickets:delete': 'Delete tickets',
  'tickets:merge': 'Merge a ticket into another',
  'files:upload': 'Upload files (attachments)',
  'servicedesk:manage': 'Manage teams, canned responses, custom fields, business calendars and SLA policies',
  'servicedesk:analytics': 'View service desk dashboards and export reports',
  'ratings:manage': 'Rate agents’ performance',
  'subscriptions:manage': 'View the durable event subscriptions and their dead letters, and replay dead letters',
} as const satisfies Record<string, string>;

export type Permission = keyof typeof PERMISSIONS;
export const PERMISSION_KEYS = Object.keys(PERMISSIONS) as Permission[];
export const isPermission = (p: string): p is Permission => Object.hasOwn(PERMISSIONS, p);

/** How far a grant reaches: every record, records of the holder's department, or the holder's own. */
export const CONDITIONS = ['any', 'department', 'own'] as const;
export type Condition = (typeof CONDITIONS)[number];
export const conditionRank: Record<Condition, number> = { any: 3, department: 2, own: 1 };

/**
 * Permissions whose condition narrows what they reach (the service checks it against the record:
 * the user's department, the operation's owner or assignees). For the others any condition means
 * the same as `any`; the console offers a scope only for these.
 */
export const SCOPED_PERMISSIONS: ReadonlySet<Permission> = new Set<Permission>([
  'users:read',
  'users:create',
  'users:update',
  'users:delete',
  'users:export',
  'users:erase',
  'activity:read',
  'operations:read',
  'operations:update',
  'operations:delete',
  'tickets:read',
  'tickets:update',
  'tickets:merge',
  'servicedesk:analytics',
  'ratings:manage',
]);

export interface SystemRole {
  name: string;
  displayName: string;
  description: string;
  grants: [Permission, Condition][];
}

const all = (c: Condition = 'any'): [Permission, Condition][] => PERMISSION_KEYS.map((p) => [p, c]);

/** Seeded into every org; documented in docs/roles.md. */
export const SYSTEM_ROLES: SystemRole[] = [
  { name: 'admin', displayName: 'Administrator', description: 'Everything in the organization.', grants: all() },
  {
    name: 'manager',
    displayName: 'Manager',
    description: 'Runs a department: sees all users, manages those of their department, reads the logs.',
    grants: [
      ['users:read', 'any'],
      ['users:create', 'department'],
      ['users:update', 'department'],
      ['roles:read', 'any'],
      ['permissions:read', 'any'],
      ['api_keys:read', 'any'],
      ['audit:read', 'any'],
      ['activity:read', 'any'],
      ['org:read', 'any'],
      ['operations:read', 'any'],
      ['operations:create', 'any'],
      ['operations:update', 'any'],
      ['operations:delete', 'any'],
      ['operations:reopen', 'any'],
      ['resources:read', 'any'],
      ['resources:manage', 'any'],
      ['devices:read', 'any'],
      ['devices:manage', 'any'],
      ['telemetry:read', 'any'],
      ['telemetry:ingest', 'any'],
      ['alarms:read', 'any'],
      ['alarms:ack', 'any'],
      ['alarms:manage', 'any'],
      ['tickets:read', 'department'],
      ['tickets:create', 'any'],
      ['tickets:update', 'department'],
      ['tickets:merge', 'department'],
      ['files:upload', 'any'],
      ['servicedesk:analytics', 'department'],
      ['ratings:manage', 'department'],
    ],
  },
  {
    name: 'agent',
    displayName: 'Agent',
    description: 'Works a queue: sees colleagues of their department and their own activity.',
    grants: [
      ['users:read', 'department'],
      ['roles:read', 'any'],
      ['permissions:read', 'any'],
      ['activity:read', 'own'],
      ['org:read', 'any'],
      ['operations:read', 'any'],
      ['operations:create', 'any'],
      ['operations:update', 'own'],
      ['resources:read', 'any'],
      ['devices:read', 'any'],
      ['telemetry:read', 'any'],
      ['telemetry:ingest', 'any'],
      ['alarms:read', 'any'],
      ['alarms:ack', 'any'],
      ['tickets:read', 'department'],
      ['tickets:create', 'any'],
      ['tickets:update', 'department'],
      ['files:upload', 'any'],
      ['servicedesk:analytics', 'own'],
    ],
  },
  {
    name: 'executive',
    displayName: 'Executive',
    description: 'Oversees the whole service desk: reads every ticket and the analytics, changes nothing.',
    grants: [
      ['users:read', 'any'],
      ['permissions:read', 'any'],
      ['org:read', 'any'],
      ['operations:read', 'any'],
      ['tickets:read', 'any'],
      ['servicedesk:analytics', 'any'],
    ],
  },
  {
    name: 'viewer',
    displayName: 'Viewer',
    description: 'Read-only: their own profile and the organization’s settings.',
    grants: [
      ['users:read', 'own'],
      ['permissions:read', 'any'],
      ['org:read', 'any'],
      ['operations:read', 'any'],
      ['resources:read', 'any'],
      ['devices:read', 'any'],
      ['telemetry:read', 'any'],
      ['alarms:read', 'any'],
    ],
  },
];
