import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { auditContextOf, type Actor } from '../../platform/access/actor.ts';
import type { AuditContext } from '../../platform/audit/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import type { AppDb, Executor, Tx } from '../../platform/db/client.ts';
import type { NewEvent } from '../../platform/events/outbox.ts';
import { files } from '../../platform/files/files.schema.ts';
import type { FileScanner } from '../../platform/files/scan.ts';
import type { FileStore } from '../../platform/files/store.ts';
import { badRequest } from '../../platform/errors/app-error.ts';
import type { MessagingProvider } from '../../platform/messaging/provider.ts';
import type { WhatsAppCloud } from '../../platform/messaging/whatsapp.ts';
import type { Notifier } from '../../platform/notify/notify.ts';
import type { UseCase, UseCaseOptions } from '../../platform/module/use-case.ts';
import type { ServicedeskEvents } from './servicedesk.events.ts';
import type { CanReadUser, OrgBySlug, OrgName, RoleMembers, UserDirectory, UserProfiles } from '../identity/index.ts';

import { servicedeskSettings } from './servicedesk.schema.ts';
import { readableFiles } from './tickets/file-access.ts';
import { ticketVisibility, type TicketFacts, type TicketView } from './tickets/tickets.repository.ts';


export interface ServicedeskDeps {
  db: AppDb;
  /** The platform's use-case helper, bound to the service desk's event catalogue. */
  useCase: UseCase<ServicedeskEvents>;
  users: UserDirectory;
  profiles: UserProfiles;
  canReadUser: CanReadUser;
  orgBySlug: OrgBySlug;
  roleMembers: RoleMembers;
  orgName: OrgName;
  linkKey: Buffer;
  fileStore: FileStore;
  scanner: FileScanner;
  notifier: Notifier;
  publicUrl: string;
  uploadMaxBytes: number;
  /** The chat channels' providers: they verify and read inbound webhooks (sending goes through the notifier). */
  chat: { whatsapp: WhatsAppCloud; sms: MessagingProvider };
  /** The org (slug) that owns the WhatsApp number: the only one whose webhook URL takes WhatsApp deliveries. */
  whatsappOrg?: string | undefined;
  /**
   * "Now" for everything the desk stamps or measures: when a ticket opened, replies, status changes,
   * the SLA clocks and the dashboards' periods (the platform's clock; tests and `imsop demo` move it).
   */
  clock: Clock;
}

/** Who acts in an audit record: a person or key, or an anonymous requester (public form, signed link). */
export type Author = { kind: 'actor'; actor: Actor } | { kind: 'requester'; orgId: string; meta: Actor['meta'] };

export const auditOf = (a: Author): AuditContext =>
  a.kind === 'actor'
    ? auditContextOf(a.actor)
    : { orgId: a.orgId, actorType: 'anonymous', actorId: null, ip: a.meta.ip, userAgent: a.meta.userAgent, requestId: a.meta.requestId };

/** A ticket's events: `row` is the ticket as stored now, whose facts decide who may see them. */
export function ticketEvents(orgId: string, type: string, view: TicketView, row: TicketFacts, extra: Record<string, unknown> = {}): NewEvent[] {
  const payload = { ticket: view, ...extra };
  const visibility = ticketVisibility(row);
  return [
    { orgId, topic: 'tickets', type, payload, visibility },
    { orgId, topic: `ticket:${view.id}`, type, payload, visibility, copy: true },
  ];
}

/** Ticket fields kept in the audit log: the requester's contact details stay out of it. */
export const auditableTicket = (v: TicketView) => ({
  number: v.number,
  subject: v.subject,
  status: v.status,
  priority: v.priority,
  category: v.category,
  tags: v.tags,
  teamId: v.teamId,
  assigneeId: v.assigneeId,
  channel: v.channel,
  customFields: v.customFields,
  attachmentIds: v.attachmentIds,
  mergedIntoId: v.mergedIntoId,
});

/**
 * Runs a use case of the service desk through the platform's useCase (org transaction, events checked
 * against servicedesk.events.ts, an audit record required for every change, wake-ups after the
 * commit). Its bodies record their audit entries themselves, because a requester, a signed link or
 * the SLA scheduler acts as often as an actor.
 */
export function inUseCase(deps: ServicedeskDeps) {
  return <T>(orgId: string, fn: (tx: Tx) => Promise<T>, options?: UseCaseOptions): Promise<T> => deps.useCase({ orgId }, ({ tx }) => fn(tx), options);
}

export async function customFieldsSchemaOf(tx: Executor, orgId: string): Promise<Record<string, unknown> | null> {
  const [row] = await tx.select().from(servicedeskSettings).where(eq(servicedeskSettings.orgId, orgId));
  return row?.customFieldsSchema ?? null;
}

/**
 * Attaches uploaded files: they must be this org's. An agent (or key) may attach only files it
 * could read (the file rule: its own uploads, or files of tickets in its reach); a requester only
 * anonymous uploads that nothing has claimed yet. Ids alone grant nothing: any other file is
 * answered as unknown.
 */
export async function claimFiles(tx: Executor, orgId: string, ids: string[], by: Actor | 'requester'): Promise<string[]> {
  const wanted = [...new Set(ids)];
  if (wanted.length === 0) return [];
  const rows = await tx
    .select({ id: files.id, uploadedBy: files.uploadedBy, claimedAt: files.claimedAt })
    .from(files)
    .where(and(eq(files.orgId, orgId), inArray(files.id, wanted)))
    .for('update');
  const usable =
    by === 'requester'
      ? new Set(rows.filter((r) => r.uploadedBy === null && r.claimedAt === null).map((r) => r.id))
      : await readableFiles(tx, by, rows.map((r) => r.id));
  const missing = wanted.filter((id) => !usable.has(id));
  if (missing.length) {
    throw badRequest('unknown_attachment', `No such uploaded file: ${missing.join(', ')}.`, {
      errors: missing.map((m) => ({ path: 'attachmentIds', message: `Unknown file ${m}` })),
    });
  }
  await tx
    .update(files)
    .set({ claimedAt: new Date() })
    .where(and(eq(files.orgId, orgId), inArray(files.id, wanted), isNull(files.claimedAt)));
  return wanted;
}

export const sqlList = (values: readonly string[]) => sql.join(values.map((v) => sql`${v}`), sql`, `);
