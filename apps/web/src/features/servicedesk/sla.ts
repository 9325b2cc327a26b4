import type { Tone } from '../../components/ui/badge';

/**
 * How an SLA due time reads in the console: the time left (or overdue), and a colour that gets
 * warmer as the due time nears. Pure, so it is unit-tested (sla.test.ts).
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** Thresholds of time left: under an hour is urgent, under four hours is close. */
export const SLA_URGENT_MS = HOUR;
export const SLA_SOON_MS = 4 * HOUR;

/** 42 s → "42 s", 90 min → "1 h 30 min", 50 h → "2 d 2 h". The sign is ignored. */
export function formatTimeLeft(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < MIN) return `${Math.floor(abs / 1000)} s`;
  if (abs < HOUR) return `${Math.floor(abs / MIN)} min`;
  if (abs < DAY) {
    const h = Math.floor(abs / HOUR);
    const m = Math.floor((abs % HOUR) / MIN);
    return m ? `${h} h ${m} min` : `${h} h`;
  }
  const d = Math.floor(abs / DAY);
  const h = Math.floor((abs % DAY) / HOUR);
  return h ? `${d} d ${h} h` : `${d} d`;
}

export interface SlaBadgeView {
  tone: Tone;
  /** Short text for the badge: "3 h 20 min left", "Overdue 12 min". */
  label: string;
  /** Whether the due time has passed (breached if the clock is still running). */
  overdue: boolean;
}

/** The badge for a running clock's due time; null when there is no running clock. */
export function slaBadge(dueAt: string | number | Date | null | undefined, now: number): SlaBadgeView | null {
  if (dueAt === null || dueAt === undefined) return null;
  const due = dueAt instanceof Date ? dueAt.getTime() : typeof dueAt === 'number' ? dueAt : Date.parse(dueAt);
  if (!Number.isFinite(due)) return null;
  const left = due - now;
  if (left <= 0) return { tone: 'red', label: `Overdue ${formatTimeLeft(left)}`, overdue: true };
  const tone: Tone = left < SLA_URGENT_MS ? 'orange' : left < SLA_SOON_MS ? 'amber' : 'green';
  return { tone, label: `${formatTimeLeft(left)} left`, overdue: false };
}

export type TargetState = 'active' | 'paused' | 'achieved' | 'breached';

/** The badge for one target of the SLA panel: its state first, then the time left while it runs. */
export function targetBadge(t: { state: TargetState; dueAt: string | null; breachedAt?: string | null; achievedAt?: string | null }, now: number): SlaBadgeView {
  if (t.state === 'breached') {
    const late = t.breachedAt && t.achievedAt ? Date.parse(t.achievedAt) - Date.parse(t.dueAt ?? t.breachedAt) : null;
    return { tone: 'red', label: late !== null && late > 0 ? `Breached, met ${formatTimeLeft(late)} late` : 'Breached', overdue: true };
  }
  if (t.state === 'achieved') return { tone: 'green', label: 'Achieved', overdue: false };
  if (t.state === 'paused') return { tone: 'neutral', label: 'Paused', overdue: false };
  return slaBadge(t.dueAt, now) ?? { tone: 'neutral', label: 'Running', overdue: false };
}

export const TARGET_LABEL: Record<string, string> = { firstResponse: 'First response', nextResponse: 'Next response', resolution: 'Resolution' };

/** 4_200_000 business ms → "1 h 10 min" (0 → "0 min"). */
export function formatBusinessMs(ms: number): string {
  return ms < MIN ? '0 min' : formatTimeLeft(ms);
}

const INSTANT = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/g;

/** The engine's explanations name instants in ISO 8601; shown to people, they read in the user's zone. */
export function localizeInstants(text: string, format: (iso: string) => string): string {
  return text.replace(INSTANT, (iso) => (Number.isFinite(Date.parse(iso)) ? format(iso) : iso));
}
