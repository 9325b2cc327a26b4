import { definePermissions } from '../../platform/access/catalogue.ts';

/** The operations module's permissions and what each system role holds of them (admin holds all). */
export const operationsPermissions = definePermissions({
  'operations:read': { description: 'View operations, their tasks and allocations', scoped: true, grants: { manager: 'any', agent: 'any', executive: 'any', viewer: 'any' } },
  'operations:create': { description: 'Create operations', grants: { manager: 'any', agent: 'any' } },
  'operations:update': { description: 'Edit operations, move their status, manage their tasks and allocations', scoped: true, grants: { manager: 'any', agent: 'own' } },
  'operations:delete': { description: 'Delete operations', scoped: true, grants: { manager: 'any' } },
  'operations:reopen': { description: 'Reopen completed or failed operations', grants: { manager: 'any' } },
  'resources:read': { description: 'View resources (people, vehicles, equipment)', grants: { manager: 'any', agent: 'any', viewer: 'any' } },
  'resources:manage': { description: 'Create, edit and delete resources', grants: { manager: 'any' } },
});

declare module '../../platform/access/catalogue.ts' {
  interface PermissionRegistry extends Record<keyof typeof operationsPermissions, true> {}
}
