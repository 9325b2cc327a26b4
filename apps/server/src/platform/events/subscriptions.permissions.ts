import { definePermissions } from '../access/catalogue.ts';

/** The platform's own permission: the durable subscriptions' admin page and API (admin only). */
export const subscriptionsPermissions = definePermissions({
  'subscriptions:manage': { description: 'View the durable event subscriptions and their dead letters, and replay dead letters' },
});

declare module '../access/catalogue.ts' {
  interface PermissionRegistry extends Record<keyof typeof subscriptionsPermissions, true> {}
}
