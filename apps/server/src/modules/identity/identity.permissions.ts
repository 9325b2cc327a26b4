import { definePermissions } from '../../platform/access/catalogue.ts';

/** The identity module's permissions and what each system role holds of them (admin holds all). */
export const identityPermissions = definePermissions({
  'users:read': { description: 'List and view users', scoped: true, grants: { manager: 'any', agent: 'department', executive: 'any', viewer: 'own' } },
  'users:create': { description: 'Create users', scoped: true, grants: { manager: 'department' } },
  'users:update': { description: 'Edit users, deactivate and reactivate them', scoped: true, grants: { manager: 'department' } },
  'users:delete': { description: 'Soft-delete and restore users', scoped: true, grants: {} },
  'users:export': { description: 'Export a user’s personal data (GDPR access)', scoped: true, grants: {} },
  'users:erase': { description: 'Erase a user’s personal data (GDPR erasure)', scoped: true, grants: {} },
  'roles:read': { description: 'View roles and their permissions', grants: { manager: 'any', agent: 'any' } },
  'roles:manage': { description: 'Create, edit and delete custom roles', grants: {} },
  'roles:assign': { description: 'Assign roles to users and remove them', grants: {} },
  'permissions:read': { description: 'View the permission catalogue', grants: { manager: 'any', agent: 'any', executive: 'any', viewer: 'any' } },
  'permissions:grant': { description: 'Grant and revoke direct permissions', grants: {} },
  'api_keys:read': { description: 'List API keys', grants: { manager: 'any' } },
  'api_keys:manage': { description: 'Create and revoke API keys', grants: {} },
  'audit:read': { description: 'Read the audit log', grants: { manager: 'any' } },
  // Admins only: the log names every recipient and subject, whatever department the ticket, the
  // invitation or the reset belongs to (a department manager must not read the other departments').
  'messages:read': { description: 'Read the outgoing messages log (email, SMS, WhatsApp): recipients, status and errors', grants: {} },
  'activity:read': { description: 'Read the activity log', scoped: true, grants: { manager: 'any', agent: 'own' } },
  'org:read': { description: 'View the organization’s settings', grants: { manager: 'any', agent: 'any', executive: 'any', viewer: 'any' } },
  'org:update': { description: 'Change the organization’s settings', grants: {} },
});

declare module '../../platform/access/catalogue.ts' {
  interface PermissionRegistry extends Record<keyof typeof identityPermissions, true> {}
}
