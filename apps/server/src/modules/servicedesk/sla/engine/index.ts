/**
 * The SLA engine of the service desk: pure business-time arithmetic, policies, ticket clocks,
 * explanations and escalation plans. No database access; the servicedesk module stores calendars,
 * policies and timelines and calls these functions. See docs/servicedesk.md.
 */
export {
  assertInstant,
  BusinessCalendar,
  CalendarSchema,
  compileCalendar,
  HolidaySchema,
  MAX_INSTANT,
  MIN_INSTANT,
  parseCalendar,
  twentyFourSeven,
  WEEKDAYS,
  type CalendarDefinition,
  type Holiday,
  type OpenInterval,
  type Weekday,
} from './sla.calendar.ts';
export { importHolidaysFromIcs, ICS_MAX_BYTES, ICS_MAX_HOLIDAYS, type IcsImportOptions } from './sla.ics.ts';
export {
  CHANNELS,
  ConditionsSchema,
  goalMs,
  matchPolicy,
  parsePolicy,
  PolicySchema,
  policyMatches,
  PRIORITIES,
  TARGET_KINDS,
  type Channel,
  type Policy,
  type PolicyInput,
  type PolicyMatch,
  type Priority,
  type TargetKind,
  type Targets,
  type TicketFacts,
} from './sla.policy.ts';
export {
  computeTicketSla,
  PAUSE_STATUSES,
  STATUSES,
  type CalendarLookup,
  type ClockOptions,
  type InstantInput,
  type Status,
  type TargetClock,
  type TargetState,
  type TicketSla,
  type TicketTimeline,
  type TimelineEvent,
} from './sla.clock.ts';
export { explainTicketSla, type ExplainOptions, type SlaExplanation } from './sla.explain.ts';
export {
  EscalationLevelSchema,
  EscalationPlanSchema,
  evaluateEscalations,
  parseEscalationPlan,
  type DueEscalation,
  type EscalationEvaluation,
  type EscalationLevel,
} from './sla.escalation.ts';
export { SlaError, type SlaErrorCode } from './sla.errors.ts';
