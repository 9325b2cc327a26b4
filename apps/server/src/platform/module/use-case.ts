import { sql } from 'drizzle-orm';
import { auditContextOf, type Actor } from '../access/actor.ts';
import { recordAudit, type AuditContext, type AuditEntry } from '../audit/audit.ts';
import { queryRows, type AppDb, type Tx } from '../db/client.ts';
import type { Clock } from '../clock.ts';
import { trackTransaction, type TxTracking } from '../db/tracking.ts';
import { inOrg } from '../db/scope.ts';
import { eventChecker, type EventCatalogue, type EventPayload, type EventType } from '../events/catalogue.ts';
import type { Dispatcher } from '../events/dispatcher.ts';
import { publishEvents, type EventVisibility, type NewEvent } from '../events/outbox.ts';

/** Where an event goes: the topics it is published on, and the read facts that decide who sees it. */
export interface EventRoute {
  topics: readonly string[];
  visibility?: EventVisibility | undefined;
}

/** What a use case's body works with: the org-scoped transaction, the audit chain and the typed events. */
export interface UseCaseScope<C extends EventCatalogue> {
  tx: Tx;
  /** Appends to the org's audit chain, in this transaction, as whoever runs the use case. */
  audit(entry: AuditEntry): Promise<void>;
  /** Publishes one of the module's events; it commits with the change or not at all. */
  emit<T extends EventType<C>>(type: T, payload: EventPayload<C, T>, route: EventRoute): void;
  /** Runs after the commit (a wake-up for a worker that should act now); never after a rollback. */
  afterCommit(fn: () => void): void;
}

/**
 * Who runs a use case: an actor (person or key), a context of its own (a requester, the system), or
 * just the org when the body records its audit entries itself with recordAudit (then `audit` is not
 * available, and the checks still apply).
 */
export type UseCaseAuthor = Actor | { audit: AuditContext } | { orgId: string };

export interface UseCaseOptions {
  /**
   * Why this use case changes data without an audit record (e.g. telemetry points, counters).
   * Without it, a use case whose transaction wrote anything must record an audit entry: with strict
   * checks on (tests, development) forgetting to fails the use case.
   */
  unaudited?: string;
}

export type UseCase<C extends EventCatalogue> = <T>(
  who: UseCaseAuthor,
  fn: (uc: UseCaseScope<C>) => Promise<T>,
  options?: UseCaseOptions,
) => Promise<T>;

export interface UseCaseDeps {
  db: AppDb;
  dispatcher: Pick<Dispatcher, 'notify'>;
  /** Woken after a commit that queued notifications. */
  notifier?: { wake(): void };
  /** Validate event payloads against their schemas and require an audit record for every change. */
  strict: boolean;
  /** The platform's clock: when work queued by the use case (a notification) falls due. */
  clock?: Clock;
}

const contextOf = (who: UseCaseAuthor): AuditContext | null => ('audit' in who ? who.audit : 'meta' in who ? auditContextOf(who) : null);

export class UseCaseContractError extends Error {
  override name = 'UseCaseContractError';
}

/**
 * One helper owns a use case's transaction: scoped to the org (row-level security), the audit
 * record, the events (checked against the module's catalogue, written in one statement just before
 * the commit) and the wake-ups after the commit (the event dispatcher, then the caller's own).
 */
export function createUseCase<C extends EventCatalogue>(deps: UseCaseDeps, catalogue: C | null): UseCase<C> {
  const check = eventChecker(catalogue, deps.strict);

  return async (who, fn, options = {}) => {
    const ctx = contextOf(who);
    const orgId = ctx?.orgId ?? (who as { orgId: string }).orgId;
    const events: NewEvent[] = [];
    const after: (() => void)[] = [];
    const tracking: TxTracking = { audited: false, events: 0, notifications: 0, checkEvent: check, now: deps.clock };
    const out = await inOrg(deps.db, orgId, async (tx) => {
      trackTransaction(tx, tracking);
      const scope: UseCaseScope<C> = {
        tx,
        async audit(entry) {
          if (!ctx) throw new UseCaseContractError('This use case runs for an org only: record its audit entries with recordAudit and their own context.');
          await recordAudit(tx, ctx, entry);
        },
        emit(type, payload, route) {
          const version = check(type, payload);
          route.topics.forEach((topic, i) => events.push({ orgId, topic, type, version, copy: i > 0, payload: payload as Record<string, unknown>, visibility: route.visibility }));
        },
        afterCommit(f) {
          after.push(f);
        },
      };
      const result = await fn(scope);
      if (deps.strict && !tracking.audited && options.unaudited === undefined && tracking.unaudited === undefined) {
        // A transaction gets an id on its first write: one that has an id changed something.
        const [row] = await queryRows<{ wrote: boolean }>(tx, sql`select pg_current_xact_id_if_assigned() is not null as wrote`);
        if (row?.wrote) throw new UseCaseContractError('The use case changed data but recorded no audit entry.');
      }
      await publishEvents(tx, events);
      return result;
    });
    if (tracking.events) deps.dispatcher.notify();
    if (tracking.notifications) deps.notifier?.wake();
    for (const f of after) f();
    return out;
  };
}
