/**
 * What the SLA use cases share: an org's setup (policies, calendars, escalation plans), the policy a
 * ticket falls under, a ticket's timeline as the engine's events, the state stored on ticket_sla,
 * and what is (or will become) due for the scheduler.
 */
import { asc, eq } from 'drizzle-orm';
import type { Executor } from '../../../platform/db/client.ts';
import { slaCalendars, slaPolicies, type TicketPriority } from '../servicedesk.schema.ts';
import type { TicketRow } from '../tickets/tickets.repository.ts';
import {
  compileCalendar,
  computeTicketSla,
  evaluateEscalations,
  matchPolicy,
  twentyFourSeven,
  TARGET_KINDS,
  type BusinessCalendar,
  type EscalationLevel,
  type Policy,
  type TicketSla,
  type TicketTimeline,
  type TimelineEvent,
} from './engine/index.ts';

/** The calendar of policies that name none: always open, UTC. */
export const ALWAYS_OPEN = '24x7';

/** What an org's SLA needs, loaded once per use case. */
export interface SlaSetup {
  ordered: Policy[];
  fallback: Policy | null;
  byId: Map<string, Policy>;
  levels: Map<string, EscalationLevel[]>;
  calendars: Map<string, BusinessCalendar>;
}

/**
 * Per-target state kept on ticket_sla (lists, dashboards, compliance). Lean on purpose: every open
 * ticket's row is rewritten when a calendar or policy changes. `breachedAt` and `achievedAt` are
 * present only once they happened (readers test `->> 'breachedAt' is null`, which holds for both).
 * The full clocks (goal, pauses, warnings) come from GET /api/tickets/:id/sla.
 */
export interface StoredTarget {
  state: string;
  cycle: number;
  dueAt: string;
  breachedAt?: string;
  achievedAt?: string;
  elapsedBusinessMs: number;
}
export interface StoredSla {
  targets: Partial<Record<(typeof TARGET_KINDS)[number], StoredTarget>>;
}


export function policyFromRow(r: typeof slaPolicies.$inferSelect): Policy {
  return {
    id: r.id,
    name: r.name,
    conditions: r.conditions as Policy['conditions'],
    targets: r.targets as Policy['targets'],
    warningThresholds: r.warnings,
    calendarId: r.calendarId ?? ALWAYS_OPEN,
  };
}

export async function loadSetup(tx: Executor, orgId: string): Promise<SlaSetup | null> {
  const rows = await tx.select().from(slaPolicies).where(eq(slaPolicies.orgId, orgId)).orderBy(asc(slaPolicies.position), asc(slaPolicies.id));
  if (rows.length === 0) return null;
  const cals = await tx.select().from(slaCalendars).where(eq(slaCalendars.orgId, orgId));
  const calendars = new Map<string, BusinessCalendar>([[ALWAYS_OPEN, compileCalendar(twentyFourSeven())]]);
  for (const c of cals) calendars.set(c.id, compileCalendar({ timeZone: c.timeZone, weeklyHours: c.weekly, holidays: c.holidays }));
  const policies = rows.map(policyFromRow);
  const fallbackRow = rows.find((r) => r.isDefault);
  return {
    ordered: policies.filter((p) => p.id !== fallbackRow?.id),
    fallback: fallbackRow ? policyFromRow(fallbackRow) : null,
    byId: new Map(policies.map((p) => [p.id, p])),
    levels: new Map(rows.map((r) => [r.id, r.escalations as EscalationLevel[]])),
    calendars,
  };
}

/** What policy matching and the clocks read of a ticket (instants as Dates or epoch ms). */
export type ClockTicket = Pick<TicketRow, 'id' | 'priority' | 'category' | 'channel' | 'requesterEmail' | 'tags'> & { createdAt: Date | number };

/** A timeline row as the clocks read it. */
export interface ClockRow {
  at: Date | number;
  kind: string;
  data: Record<string, unknown>;
}

const ms = (t: Date | number) => (typeof t === 'number' ? t : t.getTime());

/** The policy whose conditions the ticket meets (first in order), else the default; null without one. */
export function policyFor(setup: SlaSetup, t: ClockTicket): Policy | null {
  const facts = { priority: t.priority, category: t.category, channel: t.channel, requesterEmail: t.requesterEmail, tags: t.tags };
  const idx = setup.ordered.findIndex((p) => matchPolicy(facts, [p], p).matchedBy === 'conditions');
  if (idx >= 0) return setup.ordered[idx]!;
  return setup.fallback;
}

/** The engine's view of a ticket: its timeline rows turned into clock events. */
export function timelineFor(t: ClockTicket, rows: readonly ClockRow[], setup: SlaSetup, current: Policy, storedPolicyId: string | null = null): TicketTimeline {
  const created = rows.find((r) => r.kind === 'created');
  const firstChange = rows.find((r) => r.kind === 'policy');
  // The policy at creation: the one the first change moved away from, else the ticket's own.
  const initialId = (created?.data.policyId as string | undefined) ?? (firstChange?.data.from as string | undefined) ?? storedPolicyId ?? current.id;
  const events: TimelineEvent[] = [];
  for (const r of rows) {
    const at = ms(r.at);
    if (r.kind === 'status') events.push({ type: 'status', at, status: r.data.to as TicketRow['status'] });
    else if (r.kind === 'priority') events.push({ type: 'priority', at, priority: r.data.to as TicketPriority });
    else if (r.kind === 'agent_reply') events.push({ type: 'reply', at, author: 'agent' });
    else if (r.kind === 'internal_note') events.push({ type: 'reply', at, author: 'agent', isInternal: true });
    else if (r.kind === 'customer_reply') events.push({ type: 'reply', at, author: 'customer' });
    else if (r.kind === 'policy') {
      const p = setup.byId.get(r.data.policyId as string);
      if (p) events.push({ type: 'policy', at, policy: p });
    }
  }
  return {
    createdAt: ms(t.createdAt),
    status: ((created?.data.status as TicketRow['status'] | undefined) ?? 'new'),
    priority: ((created?.data.priority as TicketPriority | undefined) ?? t.priority),
    policy: setup.byId.get(initialId) ?? current,
    events,
  };
}

const iso = (t: number) => new Date(t).toISOString();

export function stored(sla: TicketSla): StoredSla {
  const targets: StoredSla['targets'] = {};
  for (const k of TARGET_KINDS) {
    const c = sla.targets[k];
    if (!c) continue;
    const s: StoredTarget = { state: c.state, cycle: c.cycle, dueAt: iso(c.dueAt), elapsedBusinessMs: Math.round(c.elapsedBusinessMs) };
    if (c.breachedAt !== null) s.breachedAt = iso(c.breachedAt);
    if (c.achievedAt !== null) s.achievedAt = iso(c.achievedAt);
    targets[k] = s;
  }
  return { targets };
}

export type Firing = { kind: 'warning' | 'breach' | 'escalation'; target: string; level: number; cycle: number };
export type DueItem = Firing & { at: number; actions?: string[]; threshold?: number };
export const firingKey = (f: Firing) => `${f.kind}:${f.target}:${f.level}:${f.cycle}`;
const warnLevel = (threshold: number) => Math.round(threshold * 1000);
const NOTHING_DONE: ReadonlySet<string> = new Set();
/** The earlier of a wake time and a future instant (past or present ones are due, not waited for). */
const soonest = (wake: number | null, at: number, now: number) => (at > now && (wake === null || at < wake) ? at : wake);

/**
 * Everything that is or will become due for a ticket: warnings, breaches, escalation levels; and
 * when to look again (now while anything is due). Runs for every open ticket on a recalculation, so
 * it allocates only what it returns.
 */
export function dueItems(sla: TicketSla, levels: EscalationLevel[], fired: ReadonlySet<string>, calendars: SlaSetup['calendars'], now: number) {
  const due: DueItem[] = [];
  let wake: number | null = null;
  const anyFired = fired.size > 0;
  for (const target of TARGET_KINDS) {
    const c = sla.targets[target];
    if (!c || c.achievedAt !== null || c.state === 'paused') continue;
    for (let i = 0; i < c.warningThresholds.length; i++) {
      const threshold = c.warningThresholds[i]!;
      const level = warnLevel(threshold);
      if (anyFired && fired.has(`warning:${target}:${level}:${c.cycle}`)) continue;
      const at = c.warningsDueAt[i]!;
      if (at <= now) due.push({ kind: 'warning', target, level, cycle: c.cycle, at, threshold });
      else wake = soonest(wake, at, now);
    }
    const breachAt = c.breachedAt ?? c.dueAt;
    if (!anyFired || !fired.has(`breach:${target}:0:${c.cycle}`)) {
      if (breachAt <= now) due.push({ kind: 'breach', target, level: 0, cycle: c.cycle, at: breachAt });
      else wake = soonest(wake, breachAt, now);
    }
  }
  // A breach that happened and was then achieved late still counts (and is announced) once.
  for (const target of TARGET_KINDS) {
    const c = sla.targets[target];
    if (c && c.achievedAt !== null && c.breachedAt !== null && c.breachedAt <= now) {
      const key = `breach:${target}:0:${c.cycle}`;
      if ((!anyFired || !fired.has(key)) && !due.some((d) => firingKey(d) === key)) due.push({ kind: 'breach', target, level: 0, cycle: c.cycle, at: c.breachedAt });
    }
  }
  const done = !anyFired
    ? NOTHING_DONE
    : new Set(
        [...fired]
          .filter((k) => k.startsWith('escalation:'))
          .map((k) => {
            const [, target, level, cycle] = k.split(':');
            return `${target}:${cycle}:${levels[Number(level)]?.id ?? `#${level}`}`;
          }),
      );
  if (levels.length) {
    const esc = evaluateEscalations(levels, sla, now, { done, calendars });
    for (const d of esc.due) due.push({ kind: 'escalation', target: d.target, level: d.levelIndex, cycle: d.cycle, at: d.dueAt, actions: d.actions });
    if (esc.nextAt !== null) wake = soonest(wake, esc.nextAt, now);
  }
  due.sort((a, b) => a.at - b.at);
  return { due, wake: due.length ? now : wake };
}

/**
 * A ticket's clocks under `policy` and what is stored and scheduled from them: the one computation
 * a ticket change (sync) and a recalculation share.
 */
export function clocksOf(
  setup: SlaSetup,
  t: ClockTicket,
  policy: Policy,
  rows: readonly ClockRow[],
  fired: ReadonlySet<string>,
  storedPolicyId: string | null,
  now: number,
) {
  const sla = computeTicketSla(timelineFor(t, rows, setup, policy, storedPolicyId), { calendars: setup.calendars, now });
  const { wake } = dueItems(sla, setup.levels.get(sla.policyId) ?? [], fired, setup.calendars, now);
  return { sla, state: stored(sla), next: nextDue(sla), wake };
}

/** The earliest due time of a running target (for "breaching soon" and sorting). */
export function nextDue(sla: TicketSla): number | null {
  let min: number | null = null;
  for (const k of TARGET_KINDS) {
    const c = sla.targets[k];
    if (!c || c.achievedAt !== null || c.state === 'paused' || c.state === 'breached') continue;
    if (min === null || c.dueAt < min) min = c.dueAt;
  }
  return min;
}

