/**
 * Escalation plans: levels that become due at a target's breach (or one of its warnings) plus an
 * offset, e.g. "at breach, notify the manager; two hours after breach, notify an executive, raise
 * the priority and reassign". Evaluation is pure: given a ticket's clocks and an instant, which
 * levels are due, each with a stable key (so a scheduler running in several workers can make each
 * take effect exactly once, e.g. with a unique key in the database), and the next instant anything
 * becomes due, so the scheduler can sleep until then.
 *
 * Levels chase open targets: they apply to a target's current cycle while it is not achieved. A
 * paused clock has no due instant (it moves while paused), so it contributes nothing until resumed.
 */
import { z } from 'zod';
import { addBusinessMinutesOn, type CalendarLookup, type TargetClock, type TicketSla } from './sla.clock.ts';
import { fromIssues } from './sla.errors.ts';
import { TARGET_KINDS, type TargetKind } from './sla.policy.ts';

export const EscalationLevelSchema = z
  .strictObject({
    /** Stable id used in the exactly-once key; defaults to the level's position. */
    id: z.string().trim().min(1).max(100).optional(),
    at: z.enum(['breach', 'warning']),
    /** For `at: 'warning'`: which of the policy's warning thresholds, e.g. 0.75. */
    threshold: z.number().gt(0).lt(1).optional(),
    /** Only this target; every target when absent. */
    target: z.enum(TARGET_KINDS).optional(),
    offsetMinutes: z.int().min(0).max(525_600).default(0),
    /** 'calendar' (default): wall-clock minutes; 'business': business minutes of the target's calendar. */
    offsetClock: z.enum(['calendar', 'business']).default('calendar'),
    actions: z
      .array(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be an action name such as "notify_manager"'))
      .min(1)
      .max(10),
  })
  .refine((l) => (l.at === 'warning') === (l.threshold !== undefined), {
    path: ['threshold'],
    message: 'a warning level needs a threshold, and only a warning level has one',
  });
export type EscalationLevel = z.infer<typeof EscalationLevelSchema>;

export const EscalationPlanSchema = z
  .array(EscalationLevelSchema)
  .max(20)
  .refine((levels) => new Set(levels.map((l, i) => l.id ?? `#${i}`)).size === levels.length, { message: 'level ids must be unique' });

export function parseEscalationPlan(input: unknown): EscalationLevel[] {
  const r = EscalationPlanSchema.safeParse(input);
  if (!r.success) throw fromIssues('invalid_policy', 'escalation plan', r.error.issues);
  return r.data;
}

export interface DueEscalation {
  /** `${target}:${cycle}:${level id or #index}`: the same level of the same cycle always has the same key. */
  key: string;
  levelIndex: number;
  levelId: string | undefined;
  target: TargetKind;
  cycle: number;
  /** When the level became due. */
  dueAt: number;
  actions: string[];
}

export interface EscalationEvaluation {
  /** Levels due at the instant (and not in `done`), earliest first. */
  due: DueEscalation[];
  /** The next instant a level becomes due, assuming nothing else changes; null when none will. */
  nextAt: number | null;
}

export interface EscalationOptions {
  /** Keys already carried out; they are not returned again. */
  done?: ReadonlySet<string>;
  /** Needed only for levels with offsetClock 'business'. */
  calendars?: CalendarLookup;
}

function levelInstant(level: EscalationLevel, clock: TargetClock, calendars: CalendarLookup | undefined): number | null {
  let base: number;
  if (level.at === 'breach') {
    base = clock.breachedAt ?? clock.dueAt;
  } else {
    const k = clock.warningThresholds.findIndex((t) => Math.abs(t - level.threshold!) < 1e-9);
    if (k < 0) return null; // the policy has no such warning
    base = clock.warningsDueAt[k]!;
  }
  if (level.offsetMinutes === 0) return base;
  if (level.offsetClock === 'calendar') return base + level.offsetMinutes * 60_000;
  return addBusinessMinutesOn(calendars, clock.calendarId, base, level.offsetMinutes);
}

export function evaluateEscalations(
  levels: readonly EscalationLevel[],
  sla: Pick<TicketSla, 'targets'>,
  at: number,
  options: EscalationOptions = {},
): EscalationEvaluation {
  const due: DueEscalation[] = [];
  let nextAt: number | null = null;
  for (const target of TARGET_KINDS) {
    const clock = sla.targets[target];
    if (!clock || clock.achievedAt !== null || clock.state === 'paused') continue;
    levels.forEach((level, levelIndex) => {
      if (level.target && level.target !== target) return;
      const instant = levelInstant(level, clock, options.calendars);
      if (instant === null) return;
      const key = `${target}:${clock.cycle}:${level.id ?? `#${levelIndex}`}`;
      if (instant <= at) {
        if (!options.done?.has(key)) {
          due.push({ key, levelIndex, levelId: level.id, target, cycle: clock.cycle, dueAt: instant, actions: [...level.actions] });
        }
      } else if (nextAt === null || instant < nextAt) {
        nextAt = instant;
      }
    });
  }
  due.sort((a, b) => a.dueAt - b.dueAt || a.levelIndex - b.levelIndex);
  return { due, nextAt };
}
