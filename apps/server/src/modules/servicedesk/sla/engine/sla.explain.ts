/**
 * The explanation of a ticket's SLA computation (served at GET /api/tickets/:id/sla): the target
 * changes, the pauses, each target cycle with how its due time was derived, and the calendar's open
 * intervals and holidays over the period. Instants are ISO 8601 with the calendar's offset.
 */
import { calendarFor, computeTicketSla, type ClockOptions, type CycleDerivation, type TargetClock, type TicketTimeline } from './sla.clock.ts';
import type { Holiday } from './sla.calendar.ts';
import { TARGET_KINDS, type Priority, type TargetKind, type Targets } from './sla.policy.ts';
import { formatInstant } from './sla.zone.ts';

export interface ExplainedTarget {
  target: TargetKind;
  cycle: number;
  state: TargetClock['state'];
  policyId: string;
  priority: Priority;
  goalMinutes: number;
  startedAt: string;
  clockStartedAt: string;
  dueAt: string;
  pausedBeforeDueMs: number;
  elapsedBusinessMs: number;
  pausedBusinessMs: number;
  achievedAt: string | null;
  stopReason: TargetClock['stopReason'];
  breachedAt: string | null;
  /** reached: the warning's instant came before the clock stopped (or before evaluatedAt). */
  warnings: { threshold: number; at: string; reached: boolean }[];
  remeasuredAt: string[];
  /** The derivation in words. */
  derivation: string;
}

export interface SlaExplanation {
  evaluatedAt: string;
  timeZone: string;
  ticket: { createdAt: string; status: string; priority: Priority; policyId: string; policyName: string; calendarId: string };
  /** The policy and priority in force over time; the first entry is the ticket's creation. */
  targetChanges: { at: string; policyId: string; policyName: string; priority: Priority; targetsMinutes: Targets }[];
  pauses: { status: string; start: string; end: string | null; businessMs: number }[];
  targets: ExplainedTarget[];
  calendar: {
    id: string;
    timeZone: string;
    from: string;
    to: string;
    intervals: { start: string; end: string; businessMs: number }[];
    holidays: Holiday[];
    /** True when more than `maxIntervals` open intervals fall in the period (the first ones are listed). */
    truncated: boolean;
  };
}

const minutes = (ms: number) => {
  const m = ms / 60_000;
  return Number.isInteger(m) ? String(m) : m.toFixed(2);
};

/** Paused business time in words: minutes, or seconds when under a minute (not "0.01 minutes"). */
function pausedAmount(ms: number): string {
  if (ms >= 60_000) return `${minutes(ms)} paused business minutes`;
  const s = Math.max(1, Math.round(ms / 1000));
  return `${s} second${s === 1 ? '' : 's'} of paused business time`;
}

function derivationText(c: TargetClock, d: CycleDerivation, policyName: string, iso: (t: number) => string): string {
  const parts: string[] = [];
  parts.push(
    d.clockStartedAt > c.startedAt
      ? `Started ${iso(c.startedAt)}, outside business hours, so the clock starts at the next opening ${iso(d.clockStartedAt)}.`
      : `Started ${iso(c.startedAt)}, within business hours.`,
  );
  const paused = d.pausedBeforeDueMs > 0 ? ` plus ${pausedAmount(d.pausedBeforeDueMs)} before the due time` : '';
  parts.push(
    `Target ${c.goalMinutes} business minutes (${c.priority} priority, policy "${policyName}")${paused}: due ${iso(c.dueAt)}` +
      (c.achievedAt === null && c.state !== 'breached' ? ' if the clock keeps running.' : '.'),
  );
  if (d.remeasuredAt.length) parts.push(`Re-measured from its start after the target changed at ${d.remeasuredAt.map(iso).join(', ')}.`);
  if (d.breachedByChangeAt !== null) parts.push(`That due time had already passed when the target changed at ${iso(d.breachedByChangeAt)}: breached then.`);
  if (c.achievedAt !== null) {
    const how = c.stopReason === 'agent_reply' ? 'a public agent reply' : `the ticket being ${c.stopReason}`;
    parts.push(`${c.state === 'breached' ? 'Achieved late' : 'Achieved'} ${iso(c.achievedAt)} by ${how}.`);
  } else if (c.state === 'breached') {
    parts.push(`Breached ${iso(c.breachedAt!)}.`);
  } else if (c.state === 'paused') {
    parts.push('Paused now: the due time moves later for as long as the pause lasts.');
  }
  return parts.join(' ');
}

export interface ExplainOptions extends ClockOptions {
  /** Open intervals listed at most (default 500). */
  maxIntervals?: number;
}

export function explainTicketSla(timeline: TicketTimeline, options: ExplainOptions): SlaExplanation {
  const sla = computeTicketSla(timeline, options);
  const { changes, pauses, derivations, createdAt } = sla.detail;
  const current = changes[changes.length - 1]!;
  const cal = calendarFor(options.calendars, current.policy.calendarId);
  const iso = (t: number) => formatInstant(t, cal.timeZone);
  const policyNames = new Map(changes.map((c) => [c.policy.id, c.policy.name]));

  const to = Math.max(sla.evaluatedAt, ...sla.cycles.map((c) => c.dueAt));
  const max = options.maxIntervals ?? 500;
  const intervals: SlaExplanation['calendar']['intervals'] = [];
  let truncated = false;
  for (const i of cal.openIntervals(createdAt, to)) {
    if (intervals.length >= max) {
      truncated = true;
      break;
    }
    intervals.push({ start: iso(i.start), end: iso(i.end), businessMs: i.end - i.start });
  }

  return {
    evaluatedAt: iso(sla.evaluatedAt),
    timeZone: cal.timeZone,
    ticket: {
      createdAt: iso(createdAt),
      status: sla.status,
      priority: sla.priority,
      policyId: current.policy.id,
      policyName: current.policy.name,
      calendarId: current.policy.calendarId,
    },
    targetChanges: changes.map((c) => ({
      at: iso(c.at),
      policyId: c.policy.id,
      policyName: c.policy.name,
      priority: c.priority,
      targetsMinutes: { ...c.policy.targets[c.priority] },
    })),
    pauses: pauses.map((p) => ({
      status: p.status,
      start: iso(p.start),
      end: p.end === null ? null : iso(p.end),
      businessMs: cal.businessTimeBetween(p.start, p.end ?? sla.evaluatedAt),
    })),
    targets: sla.cycles
      .map((c, k) => ({ c, d: derivations[k]! }))
      .sort((a, b) => TARGET_KINDS.indexOf(a.c.target) - TARGET_KINDS.indexOf(b.c.target) || a.c.cycle - b.c.cycle)
      .map(({ c, d }) => ({
        target: c.target,
        cycle: c.cycle,
        state: c.state,
        policyId: c.policyId,
        priority: c.priority,
        goalMinutes: c.goalMinutes,
        startedAt: iso(c.startedAt),
        clockStartedAt: iso(d.clockStartedAt),
        dueAt: iso(c.dueAt),
        pausedBeforeDueMs: d.pausedBeforeDueMs,
        elapsedBusinessMs: c.elapsedBusinessMs,
        pausedBusinessMs: c.pausedBusinessMs,
        achievedAt: c.achievedAt === null ? null : iso(c.achievedAt),
        stopReason: c.stopReason,
        breachedAt: c.breachedAt === null ? null : iso(c.breachedAt),
        warnings: c.warningThresholds.map((threshold, k) => ({
          threshold,
          at: iso(c.warningsDueAt[k]!),
          reached: c.warningsDueAt[k]! <= (c.achievedAt ?? sla.evaluatedAt),
        })),
        remeasuredAt: d.remeasuredAt.map(iso),
        derivation: derivationText(c, d, policyNames.get(c.policyId) ?? c.policyId, iso),
      })),
    calendar: {
      id: current.policy.calendarId,
      timeZone: cal.timeZone,
      from: iso(createdAt),
      to: iso(to),
      intervals,
      holidays: cal.holidaysBetween(createdAt, to),
      truncated,
    },
  };
}
