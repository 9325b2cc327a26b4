/**
 * The ticket vocabulary the SLA engine reasons about, and the one place it is written down: the
 * engine and the service desk's tables (servicedesk.schema.ts) both take it from here. No
 * dependencies, so the schema can import it without loading the engine.
 */
export const STATUSES = ['new', 'open', 'pending_customer', 'on_hold', 'resolved', 'closed'] as const;
export type Status = (typeof STATUSES)[number];
export const PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const CHANNELS = ['web', 'email', 'whatsapp', 'sms', 'api', 'phone'] as const;
export type Channel = (typeof CHANNELS)[number];
