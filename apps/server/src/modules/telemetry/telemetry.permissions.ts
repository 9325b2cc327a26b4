import { definePermissions } from '../../platform/access/catalogue.ts';

/** The telemetry module's permissions and what each system role holds of them (admin holds all). */
export const telemetryPermissions = definePermissions({
  'devices:read': { description: 'View devices', grants: { manager: 'any', agent: 'any', viewer: 'any' } },
  'devices:manage': { description: 'Register devices, rotate and revoke their keys', grants: { manager: 'any' } },
  'telemetry:read': { description: 'Query telemetry', grants: { manager: 'any', agent: 'any', viewer: 'any' } },
  'telemetry:ingest': { description: 'Send telemetry', grants: { manager: 'any', agent: 'any' } },
  'alarms:read': { description: 'View alarms and alert rules', grants: { manager: 'any', agent: 'any', viewer: 'any' } },
  'alarms:ack': { description: 'Acknowledge and clear alarms', grants: { manager: 'any', agent: 'any' } },
  'alarms:manage': { description: 'Create, edit and delete alert rules and retention', grants: { manager: 'any' } },
});

declare module '../../platform/access/catalogue.ts' {
  interface PermissionRegistry extends Record<keyof typeof telemetryPermissions, true> {}
}
