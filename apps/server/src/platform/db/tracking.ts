import type { Executor } from './client.ts';

/**
 * What a use case's transaction did, noted by the platform functions that write on its behalf
 * (recordAudit, publishEvents, enqueueNotification), so that the use-case helper can check the
 * contract (a change has an audit record, an event is in the module's catalogue) and wake the
 * right workers after the commit, however deep in the use case those calls are made.
 */
export interface TxTracking {
  audited: boolean;
  /**
   * Why this run records no audit entry, stated as it ran (see `unchanged`): a use case that found
   * nothing to change but locked rows on the way has a transaction id without having written.
   */
  unaudited?: string;
  events: number;
  notifications: number;
  /** Checks an event against the running module's catalogue and returns its schema version. */
  checkEvent?(type: string, payload: Record<string, unknown>): number;
  /** "Now" on the platform's clock (ms): when work queued in this transaction falls due. */
  now?(): number;
}

const tracked = new WeakMap<object, TxTracking>();

export function trackTransaction(tx: Executor, tracking: TxTracking): void {
  tracked.set(tx, tracking);
}

/** The tracking of a use case's transaction, or undefined outside one (system work, tests). */
export const trackingOf = (tx: Executor): TxTracking | undefined => tracked.get(tx);

/**
 * States, inside a use case, that this run changed nothing: it only read and locked rows (a
 * `FOR UPDATE` gives the transaction an id, which the strict check would take for a write).
 */
export function unchanged(tx: Executor, reason: string): void {
  const tracking = tracked.get(tx);
  if (tracking) tracking.unaudited = reason;
}
