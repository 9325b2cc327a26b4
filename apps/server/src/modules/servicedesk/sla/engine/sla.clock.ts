/**
 * Ticket clocks: from a ticket's timeline (creation, status changes, replies, priority and policy
 * changes) and the business calendars, the state of each SLA target at an instant `now`.
 *
 * Rules (docs/servicedesk.md explains them with examples):
 * - first response: from creation to the first public agent reply;
 * - next response: from a customer reply that follows an agent response to the next public agent
 *   reply (further customer replies while it runs do not restart it);
 * - resolution: from creation to `resolved` or `closed`; a reopening (a customer reply, or a status
 *   change out of `resolved`) starts a new resolution cycle with the full target;
 * - `resolved`/`closed` also settle any response clock still running; `closed` ends the timeline;
 * - internal notes never count as a response;
 * - pause statuses (pending_customer, on_hold) stop every running clock; the business time they
 *   cover pushes the due time later. A customer reply ends `pending_customer` (it is what the
 *   ticket was waiting for);
 * - a priority or policy change applies the new target to each running cycle measured from the
 *   cycle's own start (elapsed business time and pauses are kept). An outcome already reached
 *   (achieved, or breached) stays; a cycle whose new due time has already passed breaches at the
 *   instant of the change.
 */
import type { BusinessCalendar } from './sla.calendar.ts';
import { assertInstant } from './sla.calendar.ts';
import { SlaError } from './sla.errors.ts';
import { goalMs, PRIORITIES, TARGET_KINDS, type Policy, type Priority, type TargetKind } from './sla.policy.ts';
import { STATUSES, type Status } from './sla.vocabulary.ts';

export { STATUSES, type Status };
export const PAUSE_STATUSES: readonly Status[] = ['pending_customer', 'on_hold'];

/** An instant: epoch milliseconds, a Date, or an ISO 8601 string with an offset. */
export type InstantInput = number | Date | string;

export type TimelineEvent =
  | { type: 'status'; at: InstantInput; status: Status }
  | { type: 'reply'; at: InstantInput; author: 'agent' | 'customer'; isInternal?: boolean }
  | { type: 'priority'; at: InstantInput; priority: Priority }
  | { type: 'policy'; at: InstantInput; policy: Policy };

export interface TicketTimeline {
  createdAt: InstantInput;
  /** Status at creation; default 'new'. */
  status?: Status;
  /** Priority and policy at creation (the policy from matchPolicy). */
  priority: Priority;
  policy: Policy;
  /** In any order; events at the same instant keep their order. Events after `now` are ignored. */
  events: readonly TimelineEvent[];
}

export type CalendarLookup = ReadonlyMap<string, BusinessCalendar> | ((calendarId: string) => BusinessCalendar | undefined);

export interface ClockOptions {
  calendars: CalendarLookup;
  now: InstantInput;
}

export type TargetState = 'active' | 'paused' | 'achieved' | 'breached';
export type StopReason = 'agent_reply' | 'resolved' | 'closed';

export interface TargetClock {
  target: TargetKind;
  /** 0 for a target's first cycle; next response and reopened resolutions have more. */
  cycle: number;
  state: TargetState;
  policyId: string;
  priority: Priority;
  calendarId: string;
  goalMinutes: number;
  startedAt: number;
  /** Due time; for a running clock, assuming it keeps running from `now` on. */
  dueAt: number;
  /** Business ms the clock ran (pauses excluded) from its start to its stop or `now`. */
  elapsedBusinessMs: number;
  /** Business ms the clock was paused. */
  pausedBusinessMs: number;
  achievedAt: number | null;
  stopReason: StopReason | null;
  /** When it breached: dueAt, or the instant of a target change that found dueAt already past. */
  breachedAt: number | null;
  warningThresholds: number[];
  /** Instant each warning threshold is (or was) reached, in threshold order. */
  warningsDueAt: number[];
}

export interface TargetChange {
  at: number;
  policy: Policy;
  priority: Priority;
}

export interface Pause {
  status: Status;
  start: number;
  /** null while the ticket is still paused. */
  end: number | null;
}

/** How a cycle's figures were derived (served by the explanation). */
export interface CycleDerivation {
  /** First open instant at or after startedAt, where business time starts counting. */
  clockStartedAt: number;
  /** Paused business ms before the due time: dueAt = addBusinessTime(startedAt, goal + this). */
  pausedBeforeDueMs: number;
  /** Target changes that re-measured this cycle from its start. */
  remeasuredAt: number[];
  /** Set when a target change found the due time already past. */
  breachedByChangeAt: number | null;
}

export interface TicketSla {
  evaluatedAt: number;
  status: Status;
  priority: Priority;
  policyId: string;
  /** The current (latest) cycle of each target, or null when the target does not apply (yet). */
  targets: Record<TargetKind, TargetClock | null>;
  /** Every cycle, current ones included, in target then cycle order. */
  cycles: TargetClock[];
  /** Internal detail for the explanation. */
  detail: { changes: TargetChange[]; pauses: Pause[]; derivations: CycleDerivation[]; createdAt: number };
}

// ── input normalisation ──────────────────────────────────────────────────────────────────────────

function toMs(v: InstantInput, what: string): number {
  let t: number;
  if (typeof v === 'number') t = v;
  else if (v instanceof Date) t = v.getTime();
  else if (typeof v === 'string' && /[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(v)) t = Date.parse(v);
  else throw new SlaError(400, 'invalid_timeline', `${what} must be an instant (epoch ms, Date or ISO 8601 with an offset).`);
  if (Number.isNaN(t)) throw new SlaError(400, 'invalid_timeline', `${what} is not a valid instant.`);
  return assertInstant(t, what);
}

const STATUS_SET = new Set<string>(STATUSES);
const PRIORITY_SET = new Set<string>(PRIORITIES);

interface NormalEvent {
  at: number;
  e: TimelineEvent;
}

function normalise(timeline: TicketTimeline, now: number): { createdAt: number; events: NormalEvent[] } {
  const createdAt = toMs(timeline.createdAt, 'createdAt');
  if (!PRIORITY_SET.has(timeline.priority)) throw new SlaError(400, 'invalid_timeline', `Unknown priority "${String(timeline.priority)}".`);
  if (timeline.status !== undefined && !STATUS_SET.has(timeline.status)) {
    throw new SlaError(400, 'invalid_timeline', `Unknown status "${String(timeline.status)}".`);
  }
  const events: NormalEvent[] = [];
  timeline.events.forEach((e, i) => {
    const at = Math.max(createdAt, toMs(e.at, `events.${i}.at`));
    if (e.type === 'status' && !STATUS_SET.has(e.status)) throw new SlaError(400, 'invalid_timeline', `events.${i}: unknown status "${String(e.status)}".`);
    if (e.type === 'priority' && !PRIORITY_SET.has(e.priority)) {
      throw new SlaError(400, 'invalid_timeline', `events.${i}: unknown priority "${String(e.priority)}".`);
    }
    if (e.type === 'reply' && e.author !== 'agent' && e.author !== 'customer') {
      throw new SlaError(400, 'invalid_timeline', `events.${i}: a reply's author is "agent" or "customer".`);
    }
    if (e.type === 'policy' && !e.policy?.id) throw new SlaError(400, 'invalid_timeline', `events.${i}: a policy change needs the policy.`);
    if (!['status', 'reply', 'priority', 'policy'].includes(e.type)) {
      throw new SlaError(400, 'invalid_timeline', `events.${i}: unknown event type "${String((e as { type: unknown }).type)}".`);
    }
    if (at <= now) events.push({ at, e });
  });
  // Array.prototype.sort is stable: same-instant events keep their order.
  events.sort((a, b) => a.at - b.at);
  return { createdAt, events };
}

// ── the timeline walk ────────────────────────────────────────────────────────────────────────────

interface Cycle {
  kind: TargetKind;
  index: number;
  start: number;
  stop: number | null;
  stopReason: StopReason | null;
}

interface Walk {
  status: Status;
  changes: TargetChange[];
  pauses: Pause[];
  cycles: Record<TargetKind, Cycle[]>;
}

function walk(timeline: TicketTimeline, createdAt: number, events: NormalEvent[]): Walk {
  let status: Status = timeline.status ?? 'new';
  let setting: TargetChange = { at: createdAt, policy: timeline.policy, priority: timeline.priority };
  const changes: TargetChange[] = [setting];
  const pauses: Pause[] = [];
  const cycles: Record<TargetKind, Cycle[]> = { firstResponse: [], nextResponse: [], resolution: [] };
  const open = (kind: TargetKind, at: number) => cycles[kind].push({ kind, index: cycles[kind].length, start: at, stop: null, stopReason: null });
  const running = (kind: TargetKind) => {
    const list = cycles[kind];
    const last = list[list.length - 1];
    return last && last.stop === null ? last : undefined;
  };
  const stop = (kind: TargetKind, at: number, reason: StopReason) => {
    const c = running(kind);
    if (c) {
      c.stop = at;
      c.stopReason = reason;
    }
  };
  let agentResponded = false;
  let closed = status === 'closed';

  const setStatus = (next: Status, at: number) => {
    if (next === status) return;
    const wasPaused = PAUSE_STATUSES.includes(status);
    const isPaused = PAUSE_STATUSES.includes(next);
    if (wasPaused) pauses[pauses.length - 1]!.end = at;
    if (isPaused) pauses.push({ status: next, start: at, end: null });
    if (next === 'resolved' || next === 'closed') {
      for (const k of TARGET_KINDS) stop(k, at, next);
      if (next === 'closed') closed = true;
    } else if (status === 'resolved') {
      open('resolution', at); // reopened
    }
    status = next;
  };

  if (!closed) {
    open('firstResponse', createdAt);
    open('resolution', createdAt);
    if (status === 'resolved') for (const k of TARGET_KINDS) stop(k, createdAt, 'resolved');
    if (PAUSE_STATUSES.includes(status)) pauses.push({ status, start: createdAt, end: null });
  }

  for (const { at, e } of events) {
    if (closed) break;
    switch (e.type) {
      case 'status':
        setStatus(e.status, at);
        break;
      case 'reply':
        if (e.author === 'agent') {
          if (e.isInternal) break;
          agentResponded = true;
          stop('firstResponse', at, 'agent_reply');
          stop('nextResponse', at, 'agent_reply');
        } else {
          if (status === 'resolved' || status === 'pending_customer') setStatus('open', at);
          if (agentResponded && !running('nextResponse')) open('nextResponse', at);
        }
        break;
      case 'priority':
        if (e.priority === setting.priority) break;
        setting = { at, policy: setting.policy, priority: e.priority };
        changes.push(setting);
        break;
      case 'policy':
        if (e.policy === setting.policy || JSON.stringify(e.policy) === JSON.stringify(setting.policy)) break;
        setting = { at, policy: e.policy, priority: setting.priority };
        changes.push(setting);
        break;
    }
  }
  return { status, changes, pauses, cycles };
}

// ── measuring one cycle under one setting ───────────────────────────────────────────────────────

interface Measured {
  clock: TargetClock;
  derivation: CycleDerivation;
}

export function calendarFor(lookup: CalendarLookup, id: string): BusinessCalendar {
  const cal = typeof lookup === 'function' ? lookup(id) : lookup.get(id);
  if (!cal) throw new SlaError(422, 'calendar_missing', `The policy refers to calendar "${id}", which does not exist.`);
  return cal;
}

/** `minutes` business minutes after `base` on a calendar of the lookup. */
export function addBusinessMinutesOn(lookup: CalendarLookup | undefined, calendarId: string, base: number, minutes: number): number {
  if (!lookup) throw new SlaError(422, 'calendar_missing', `Business-time offsets need the calendars (calendar "${calendarId}").`);
  return calendarFor(lookup, calendarId).addBusinessTime(base, minutes * 60_000);
}

function measure(cycle: Cycle, setting: TargetChange, pauses: Pause[], now: number, status: Status, lookup: CalendarLookup): Measured | null {
  const goal = goalMs(setting.policy, setting.priority, cycle.kind);
  if (goal === undefined) return null;
  const cal = calendarFor(lookup, setting.policy.calendarId);
  const end = cycle.stop ?? now;
  const thresholds = setting.policy.warningThresholds;
  const levels = [...thresholds.map((f) => Math.round(f * goal)), goal];
  const reached: (number | undefined)[] = levels.map(() => undefined);

  let elapsed = 0;
  let paused = 0;
  let cursor = cycle.start;
  let cursorPos = cal.position(cursor);
  const run = (to: number) => {
    if (to <= cursor) return;
    const toPos = cal.position(to);
    const d = toPos - cursorPos;
    for (let k = 0; k < levels.length; k++) {
      if (reached[k] === undefined && elapsed + d >= levels[k]!) reached[k] = cal.instantAt(cursorPos + levels[k]! - elapsed);
    }
    elapsed += d;
    cursor = to;
    cursorPos = toPos;
  };
  // Pauses are sequential (sorted by start and by end): skip those over before the cycle starts.
  let lo = 0;
  let hi = pauses.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((pauses[mid]!.end ?? Infinity) <= cycle.start) lo = mid + 1;
    else hi = mid;
  }
  for (let k = lo; k < pauses.length && pauses[k]!.start < end; k++) {
    const p = pauses[k]!;
    const from = Math.max(p.start, cycle.start);
    const to = Math.min(p.end ?? end, end);
    if (to <= from) continue;
    run(from);
    const toPos = cal.position(to);
    paused += toPos - cursorPos;
    cursor = to;
    cursorPos = toPos;
  }
  run(end);

  // Levels not reached yet: projected as if the clock runs from `end` on.
  const at = reached.map((r, k) => r ?? cal.instantAt(cursorPos + levels[k]! - elapsed));
  const dueAt = at[levels.length - 1]!;
  let state: TargetState;
  let breachedAt: number | null = null;
  if (cycle.stop !== null) {
    state = dueAt < cycle.stop ? 'breached' : 'achieved';
  } else if (dueAt <= now) {
    state = 'breached';
  } else {
    const last = pauses[pauses.length - 1];
    state = last && last.end === null && PAUSE_STATUSES.includes(status) ? 'paused' : 'active';
  }
  if (state === 'breached') breachedAt = dueAt;
  const startPos = cal.position(cycle.start);
  return {
    clock: {
      target: cycle.kind,
      cycle: cycle.index,
      state,
      policyId: setting.policy.id,
      priority: setting.priority,
      calendarId: setting.policy.calendarId,
      goalMinutes: goal / 60_000,
      startedAt: cycle.start,
      dueAt,
      elapsedBusinessMs: elapsed,
      pausedBusinessMs: paused,
      achievedAt: cycle.stop,
      stopReason: cycle.stopReason,
      breachedAt,
      warningThresholds: [...thresholds],
      warningsDueAt: at.slice(0, thresholds.length),
    },
    derivation: {
      clockStartedAt: cal.nextOpening(cycle.start),
      pausedBeforeDueMs: cal.position(dueAt) - startPos - goal,
      remeasuredAt: [],
      breachedByChangeAt: null,
    },
  };
}

/** One cycle, with the target changes that happened while it ran. */
function evaluateCycle(cycle: Cycle, w: Walk, now: number, lookup: CalendarLookup): Measured | null {
  const end = cycle.stop ?? now;
  let i = 0;
  while (i + 1 < w.changes.length && w.changes[i + 1]!.at <= cycle.start) i++;
  let result = measure(cycle, w.changes[i]!, w.pauses, now, w.status, lookup);
  const remeasured: number[] = [];
  // A running cycle takes a change made at the evaluation instant itself (the change that stores the
  // clocks computes them at its own instant); a stopped cycle only the changes before its stop.
  const applies = (at: number) => (cycle.stop === null ? at <= now : at < end);
  for (let j = i + 1; j < w.changes.length && applies(w.changes[j]!.at); j++) {
    const change = w.changes[j]!;
    if (result && result.clock.breachedAt !== null && result.clock.breachedAt <= change.at) break; // settled
    const next = measure(cycle, change, w.pauses, now, w.status, lookup);
    remeasured.push(change.at);
    if (next && next.clock.dueAt < change.at) {
      next.clock.state = 'breached';
      next.clock.breachedAt = change.at;
      next.derivation.breachedByChangeAt = change.at;
    }
    result = next;
  }
  if (result) result.derivation.remeasuredAt = remeasured;
  return result;
}

/** The SLA clocks of one ticket at `now`. Pure: same inputs, same result. */
export function computeTicketSla(timeline: TicketTimeline, options: ClockOptions): TicketSla {
  const now = toMs(options.now, 'now');
  const { createdAt, events } = normalise(timeline, now);
  if (createdAt > now) throw new SlaError(400, 'invalid_timeline', 'The ticket is created after the evaluation instant.');
  const w = walk(timeline, createdAt, events);
  const targets: Record<TargetKind, TargetClock | null> = { firstResponse: null, nextResponse: null, resolution: null };
  const cycles: TargetClock[] = [];
  const derivations: CycleDerivation[] = [];
  for (const kind of TARGET_KINDS) {
    const list = w.cycles[kind];
    list.forEach((cycle, k) => {
      const m = evaluateCycle(cycle, w, now, options.calendars);
      if (!m) return;
      cycles.push(m.clock);
      derivations.push(m.derivation);
      if (k === list.length - 1) targets[kind] = m.clock;
    });
  }
  const setting = w.changes[w.changes.length - 1]!;
  return {
    evaluatedAt: now,
    status: w.status,
    priority: setting.priority,
    policyId: setting.policy.id,
    targets,
    cycles,
    detail: { changes: w.changes, pauses: w.pauses, derivations, createdAt },
  };
}
