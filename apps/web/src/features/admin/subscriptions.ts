/** What the event subscriptions page says about a subscription (pure, tested). */

/** "4 s", "12 min", "1.5 h", "2 d": how far behind a subscription is. */
export function lagText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86_400) return `${Math.round(s / 360) / 10} h`;
  return `${Math.round(s / 8640) / 10} d`;
}

/**
 * The retry line: the failing event and its error when it is this organization's; otherwise the
 * server hides both (another organization's event), and this organization's events wait behind it.
 */
export function retryText(s: { retrying: boolean; headEventId: number | null; lastError: string | null }): string | null {
  if (!s.retrying) return null;
  if (s.headEventId === null) return 'Another organization’s event is being retried; yours wait behind it.';
  return `Event #${s.headEventId}: ${s.lastError ?? 'failed'}`;
}
