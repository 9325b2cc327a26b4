/**
 * SLA engine (issue 5): recalculating the due times of 100,000 open tickets after a calendar
 * change, in this process (the engine is pure: no database). Each round compiles the calendars
 * afresh, as after an edit, so the cost of building their open intervals is included.
 *
 * Rows:
 * 1. baseline: the same 100,000 due times as plain millisecond additions (start + target), which
 *    is what a due time costs when business hours are ignored;
 * 2. `addBusinessTime` for the same starts and targets on three calendars (London office hours
 *    with holidays, New York split day, 24/7);
 * 3. `computeTicketSla` for 100,000 whole timelines (policy match, pauses, replies, next-response
 *    and reopened cycles, priority changes): every target of every ticket, which is what the
 *    recalculation job does per ticket. Target: under 5 s, i.e. at least 20,000 tickets/s;
 * 4. diagnosis: a naive walk minute by minute (luxon for each minute's local time), on a sample,
 *    to show what skipping closed time saves.
 *
 * Settings: BENCH_SLA_TICKETS (100,000), BENCH_SLA_ROUNDS (5; the median round is reported),
 * BENCH_SLA_WALK_SAMPLE (300).
 */
import { DateTime } from 'luxon';
import {
  compileCalendar,
  computeTicketSla,
  matchPolicy,
  parsePolicy,
  WEEKDAYS,
  type BusinessCalendar,
  type CalendarDefinition,
  type Policy,
  type Priority,
  type TicketTimeline,
  type TimelineEvent,
} from '../apps/server/src/modules/servicedesk/sla/engine/index.ts';
import type { Row, Scenario } from './lib.ts';

const TICKETS = Number(process.env.BENCH_SLA_TICKETS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_SLA_ROUNDS ?? 5);
const WALK_SAMPLE = Number(process.env.BENCH_SLA_WALK_SAMPLE ?? 300);
/** Issue 5: 100,000 tickets in under 5 s. */
export const SLA_TARGET_PER_SEC = 20_000;

const MIN = 60_000;
const HOUR = 60 * MIN;
const NOW = Date.UTC(2025, 5, 2, 12, 0); // a Monday
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

const days = (intervals: [string, string][], which = WEEKDAYS.slice(0, 5)) =>
  Object.fromEntries(which.map((d) => [d, intervals])) as CalendarDefinition['weeklyHours'];
const DEFINITIONS: Record<string, CalendarDefinition> = {
  london: {
    timeZone: 'Europe/London',
    weeklyHours: days([['09:00', '17:30']]),
    holidays: ['2025-04-18', '2025-04-21', '2025-05-05', '2025-05-26', '2025-08-25', '2025-12-25', '2025-12-26'].map((date) => ({ date })),
  },
  newyork: {
    timeZone: 'America/New_York',
    weeklyHours: days([
      ['08:00', '12:00'],
      ['13:00', '18:00'],
    ]),
    holidays: [{ date: '2025-05-26', name: 'Memorial Day' }, { date: '2025-07-04' }],
  },
  always: { timeZone: 'UTC', weeklyHours: days([['00:00', '24:00']], [...WEEKDAYS]) },
};
const CALENDAR_IDS = Object.keys(DEFINITIONS);

const targets = (fr: number, nr: number, res: number) => ({ firstResponse: fr, nextResponse: nr, resolution: res });
const POLICY_TARGETS = {
  urgent: targets(15, 30, 240),
  high: targets(60, 120, 480),
  medium: targets(240, 480, 1440),
  low: targets(480, 960, 2880),
};
const POLICIES: Policy[] = [
  parsePolicy({ id: 'vip', name: 'VIP', conditions: { requesterDomain: ['vip.example'] }, targets: POLICY_TARGETS, calendarId: 'always' }),
  parsePolicy({ id: 'us', name: 'US', conditions: { channel: ['whatsapp', 'api'] }, targets: POLICY_TARGETS, calendarId: 'newyork' }),
];
const FALLBACK = parsePolicy({ id: 'default', name: 'Default', targets: POLICY_TARGETS, calendarId: 'london' });
const PRIORITY_LIST: Priority[] = ['low', 'medium', 'high', 'urgent'];
const CHANNEL_LIST = ['web', 'email', 'whatsapp', 'api'] as const;

/** Deterministic PRNG (mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Ticket {
  facts: { priority: Priority; channel: (typeof CHANNEL_LIST)[number]; requesterEmail: string };
  timeline: Omit<TicketTimeline, 'policy'>;
  /** For the due-time rows: one start and target per ticket. */
  start: number;
  targetMs: number;
  calendarId: string;
}

function makeTickets(n: number): Ticket[] {
  const r = rng(5);
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)]!;
  const out: Ticket[] = [];
  for (let i = 0; i < n; i++) {
    const created = NOW - Math.floor(r() * 30 * 24 * HOUR);
    const priority = pick(PRIORITY_LIST);
    const events: TimelineEvent[] = [];
    let at = created;
    const step = () => (at = Math.min(NOW, at + Math.floor(r() * 20 * HOUR)));
    if (r() < 0.75) events.push({ type: 'reply', at: step(), author: 'agent' });
    if (r() < 0.3) events.push({ type: 'reply', at: step(), author: 'agent', isInternal: true });
    if (r() < 0.3) {
      events.push({ type: 'status', at: step(), status: 'pending_customer' });
      events.push({ type: 'reply', at: step(), author: 'customer' });
    }
    if (r() < 0.1) events.push({ type: 'status', at: step(), status: 'on_hold' }, { type: 'status', at: step(), status: 'open' });
    if (r() < 0.05) events.push({ type: 'priority', at: step(), priority: pick(PRIORITY_LIST) });
    if (r() < 0.1) events.push({ type: 'status', at: step(), status: 'resolved' }, { type: 'reply', at: step(), author: 'customer' });
    const channel = pick(CHANNEL_LIST);
    const requesterEmail = r() < 0.1 ? 'ann@vip.example' : 'bob@example.com';
    out.push({
      facts: { priority, channel, requesterEmail },
      timeline: { createdAt: created, priority, events },
      start: created,
      targetMs: POLICY_TARGETS[priority][pick(['firstResponse', 'nextResponse', 'resolution'] as const)] * MIN,
      calendarId: pick(CALENDAR_IDS),
    });
  }
  return out;
}

const compileAll = () => new Map(CALENDAR_IDS.map((id) => [id, compileCalendar(DEFINITIONS[id])]));

/** Runs fn ROUNDS times and returns the median round in ms and the checksum of the last. */
function rounds(fn: () => number): { ms: number; all: number[]; checksum: number } {
  const all: number[] = [];
  let checksum = 0;
  for (let k = 0; k < ROUNDS; k++) {
    const t0 = performance.now();
    checksum = fn();
    all.push(performance.now() - t0);
  }
  const sorted = [...all].sort((a, b) => a - b);
  return { ms: sorted[Math.floor(sorted.length / 2)]!, all, checksum };
}

/** The naive way: step one minute at a time, asking luxon whether each minute is open. */
function minuteWalk(def: CalendarDefinition, start: number, ms: number): number {
  const holidays = new Set((def.holidays ?? []).map((h) => h.date));
  const toMin = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3));
  let t = Math.ceil(start / MIN) * MIN;
  for (let left = ms; left > 0; t += MIN) {
    const d = DateTime.fromMillis(t, { zone: def.timeZone });
    if (holidays.has(d.toISODate()!)) continue;
    const minute = d.hour * 60 + d.minute;
    if ((def.weeklyHours[WEEKDAYS[d.weekday - 1]!] ?? []).some(([a, b]) => toMin(a) <= minute && minute < toMin(b))) left -= MIN;
  }
  return t;
}

async function slaScenario(log: (line: string) => void) {
  log(`  generating ${fmt(TICKETS)} tickets`);
  const tickets = makeTickets(TICKETS);
  const notes: string[] = [];
  const rowOf = (endpoint: string, perSec: number, baseline: number, unit: string, extra: Partial<Row> = {}): Row => ({
    endpoint,
    reqPerSec: perSec,
    unit,
    p50: Number.NaN,
    p99: Number.NaN,
    ratio: perSec / baseline,
    ...extra,
  });

  log(`  baseline: plain ms addition, ${ROUNDS} rounds`);
  const plain = rounds(() => {
    let sum = 0;
    for (const t of tickets) sum += t.start + t.targetMs;
    return sum;
  });

  log(`  addBusinessTime on freshly compiled calendars, ${ROUNDS} rounds`);
  const business = rounds(() => {
    const cals = compileAll();
    let sum = 0;
    for (const t of tickets) sum += cals.get(t.calendarId)!.addBusinessTime(t.start, t.targetMs) - t.start;
    return sum;
  });

  log(`  computeTicketSla on whole timelines, ${ROUNDS} rounds`);
  let stateCounts: Record<string, number> = {};
  const clocks = rounds(() => {
    const cals: Map<string, BusinessCalendar> = compileAll();
    const counts: Record<string, number> = {};
    for (const t of tickets) {
      const { policy } = matchPolicy(t.facts, POLICIES, FALLBACK);
      const sla = computeTicketSla({ ...t.timeline, policy }, { calendars: cals, now: NOW });
      for (const c of [sla.targets.firstResponse, sla.targets.nextResponse, sla.targets.resolution]) {
        if (c) counts[c.state] = (counts[c.state] ?? 0) + 1;
      }
    }
    stateCounts = counts;
    return Object.values(counts).reduce((a, b) => a + b, 0);
  });

  const sample = tickets.slice(0, WALK_SAMPLE);
  log(`  diagnosis: minute-by-minute walk on ${fmt(sample.length)} tickets`);
  const cals = compileAll();
  const t0 = performance.now();
  for (const t of sample) {
    const due = minuteWalk(DEFINITIONS[t.calendarId]!, t.start, t.targetMs);
    if (t.start % MIN === 0 && due !== cals.get(t.calendarId)!.addBusinessTime(t.start, t.targetMs)) {
      throw new Error(`the minute walk and addBusinessTime disagree for a ticket created ${new Date(t.start).toISOString()}`);
    }
  }
  const walkMs = performance.now() - t0;

  const perSec = (ms: number) => (TICKETS / ms) * 1000;
  const basePerSec = perSec(plain.ms);
  notes.push(
    `${fmt(TICKETS)} tickets created over the 30 days before ${new Date(NOW).toISOString()}, 3 calendars (London with 7 holidays, New York split day, 24/7), 3 policies; median of ${ROUNDS} rounds, calendars recompiled every round`,
    `round times (ms): plain ${plain.all.map((v) => fmt(v, 1)).join(', ')}; addBusinessTime ${business.all.map((v) => fmt(v)).join(', ')}; computeTicketSla ${clocks.all.map((v) => fmt(v)).join(', ')}`,
    `computeTicketSla: ${fmt(TICKETS)} tickets in ${fmt(clocks.ms)} ms (target < 5,000 ms); target states ${JSON.stringify(stateCounts)}`,
  );
  log(`    plain ${fmt(plain.ms, 1)} ms, addBusinessTime ${fmt(business.ms)} ms, computeTicketSla ${fmt(clocks.ms)} ms, minute walk ${fmt(walkMs)} ms for ${sample.length}`);
  return {
    notes,
    rows: [
      rowOf(`plain ms addition start + target (baseline; ${fmt(TICKETS)} due times)`, basePerSec, basePerSec, 'due times/s'),
      rowOf(`addBusinessTime (${fmt(TICKETS)} due times, fresh calendars)`, perSec(business.ms), basePerSec, 'due times/s'),
      rowOf(`computeTicketSla (${fmt(TICKETS)} whole timelines, fresh calendars)`, perSec(clocks.ms), basePerSec, 'tickets/s', {
        goal: { on: 'rate', min: SLA_TARGET_PER_SEC },
      }),
      rowOf(`(diagnosis) minute-by-minute walk (${fmt(sample.length)} due times)`, (sample.length / walkMs) * 1000, basePerSec, 'due times/s'),
    ],
  };
}

export const scenarios: Scenario[] = [{ name: 'SLA due times (pure engine)', run: (log) => slaScenario(log) }];
