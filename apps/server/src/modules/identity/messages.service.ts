import { and, eq } from 'drizzle-orm';
import { can } from '../../platform/access/ability.ts';
import type { Actor } from '../../platform/access/actor.ts';
import { keyset, mapPage, type PageRequest } from '../../platform/db/pagination.ts';
import type { AppDb } from '../../platform/db/client.ts';
import { inOrg } from '../../platform/db/scope.ts';
import { forbidden } from '../../platform/errors/app-error.ts';
import type { Notifier } from '../../platform/notify/notify.ts';
import { notifications, type NotifyChannel } from '../../platform/notify/notify.schema.ts';

type Row = typeof notifications.$inferSelect;

/**
 * One outgoing message as the log shows it. The body is left out: it can carry what only its
 * recipient may see (a password-reset or invitation link), and the log's readers are not them.
 */
const toMessageView = (r: Row) => ({
  id: r.id,
  channel: r.channel,
  to: r.to,
  subject: r.subject,
  status: r.status,
  /** `log`: no provider was configured for the channel, so it was only written here. */
  transport: typeof r.meta.transport === 'string' ? r.meta.transport : null,
  template: typeof r.meta.template === 'string' ? r.meta.template : null,
  attempts: r.attempts,
  lastError: r.lastError,
  nextAttemptAt: r.status === 'pending' ? r.nextAttemptAt.toISOString() : null,
  sentAt: r.sentAt?.toISOString() ?? null,
  createdAt: r.createdAt.toISOString(),
});

/** The outgoing messages log: the org's email, SMS and WhatsApp messages with their delivery state. */
export function createMessagesService(db: AppDb, notifier: Pick<Notifier, 'delivery'>) {
  return {
    async list(actor: Actor, q: PageRequest & { status?: Row['status'] | undefined; channel?: NotifyChannel | undefined }) {
      if (!can(actor, 'messages:read')) throw forbidden();
      const page = keyset(q, { column: notifications.createdAt, id: notifications.id, value: 'timestamp', desc: true, of: (r: Row) => r.createdAt });
      const rows = await inOrg(db, actor.orgId, (tx) =>
        tx
          .select()
          .from(notifications)
          .where(and(eq(notifications.orgId, actor.orgId), q.status ? eq(notifications.status, q.status) : undefined, q.channel ? eq(notifications.channel, q.channel) : undefined, page.after))
          .orderBy(...page.orderBy)
          .limit(page.limit),
      );
      return mapPage(page.page(rows), toMessageView);
    },

    /** Which channels reach their recipients, and which only write to this log (no provider configured). */
    delivery(actor: Actor) {
      if (!can(actor, 'messages:read')) throw forbidden();
      return notifier.delivery();
    },
  };
}
