/**
 * The SLA policy editor's model: text inputs ↔ the API's policy (docs/servicedesk.md, "Policies"
 * and "Escalation plans"). Checked here first so mistakes show at the field; the server checks
 * again with the same rules. Pure; tested in policy-form.test.ts.
 */
import type { Policy, PolicyInput, TicketChannel, TicketPriority } from '../types';

export const POLICY_PRIORITIES: TicketPriority[] = ['urgent', 'high', 'medium', 'low'];
export const TARGET_KINDS = ['firstResponse', 'nextResponse', 'resolution'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];
export const ACTIONS = ['notify_manager', 'notify_executive', 'raise_priority', 'reassign'] as const;
export type EscalationAction = (typeof ACTIONS)[number];
export const ACTION_LABEL: Record<EscalationAction, string> = {
  notify_manager: 'Notify the team manager',
  notify_executive: 'Notify executives',
  raise_priority: 'Raise the priority',
  reassign: 'Reassign',
};
const MAX_MINUTES = 525_600;

export interface EscalationDraft {
  at: 'breach' | 'warning';
  /** A percentage of the target, one of the policy's warning thresholds (warning levels only). */
  threshold: string;
  target: TargetKind | '';
  offsetMinutes: string;
  offsetClock: 'calendar' | 'business';
  actions: EscalationAction[];
}

export interface PolicyForm {
  name: string;
  isDefault: boolean;
  /** '' = no calendar: always open, 24/7 UTC. */
  calendarId: string;
  priority: TicketPriority[];
  channel: TicketChannel[];
  /** Comma-separated lists. */
  category: string;
  tagsAny: string;
  requesterDomain: string;
  /** Business minutes as typed, per priority and target. */
  targets: Record<TicketPriority, Record<TargetKind, string>>;
  /** Percentages, comma-separated: "75, 90". */
  thresholds: string;
  escalations: EscalationDraft[];
}

const words = (s: string) => [...new Set(s.split(',').map((x) => x.trim()).filter(Boolean))];
const pct = (f: number) => String(Math.round(f * 1000) / 10);

export function emptyTargets(): PolicyForm['targets'] {
  return Object.fromEntries(POLICY_PRIORITIES.map((p) => [p, { firstResponse: '', nextResponse: '', resolution: '' }])) as PolicyForm['targets'];
}

export function toForm(p: Policy | null): PolicyForm {
  const c = (p?.conditions ?? {}) as Record<string, string[] | undefined>;
  const targets = emptyTargets();
  for (const pr of POLICY_PRIORITIES) {
    const t = (p?.targets as Record<string, Record<string, number> | undefined> | undefined)?.[pr];
    for (const k of TARGET_KINDS) targets[pr][k] = t?.[k] !== undefined ? String(t[k]) : '';
  }
  const esc = (p?.escalations ?? []) as { at: 'breach' | 'warning'; threshold?: number; target?: TargetKind; offsetMinutes?: number; offsetClock?: 'calendar' | 'business'; actions: EscalationAction[] }[];
  return {
    name: p?.name ?? '',
    isDefault: p?.isDefault ?? false,
    calendarId: p?.calendarId ?? '',
    priority: (c.priority ?? []) as TicketPriority[],
    channel: (c.channel ?? []) as TicketChannel[],
    category: (c.category ?? []).join(', '),
    tagsAny: (c.tagsAny ?? []).join(', '),
    requesterDomain: (c.requesterDomain ?? []).join(', '),
    targets,
    thresholds: (p?.warningThresholds ?? [0.75, 0.9]).map(pct).join(', '),
    escalations: esc.map((e) => ({
      at: e.at,
      threshold: e.threshold !== undefined ? pct(e.threshold) : '',
      target: e.target ?? '',
      offsetMinutes: e.offsetMinutes ? String(e.offsetMinutes) : '',
      offsetClock: e.offsetClock ?? 'calendar',
      actions: e.actions,
    })),
  };
}

export function newEscalation(): EscalationDraft {
  return { at: 'breach', threshold: '', target: '', offsetMinutes: '', offsetClock: 'calendar', actions: ['notify_manager'] };
}

/** The policy to send, or the problems by field (keys like the API's error paths). */
export function fromForm(f: PolicyForm): { input: PolicyInput | null; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  if (!f.name.trim()) errors.name = 'Give the policy a name';

  const targets: Record<string, Record<string, number>> = {};
  let any = false;
  for (const pr of POLICY_PRIORITIES) {
    for (const k of TARGET_KINDS) {
      const raw = f.targets[pr][k].trim();
      if (!raw) continue;
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1 || n > MAX_MINUTES) {
        errors[`targets.${pr}.${k}`] = `Whole minutes, 1 to ${MAX_MINUTES.toLocaleString('en')}`;
        continue;
      }
      (targets[pr] ??= {})[k] = n;
      any = true;
    }
  }
  if (!any && !Object.keys(errors).some((k) => k.startsWith('targets.'))) errors.targets = 'Set at least one target';

  const fractions: number[] = [];
  for (const part of words(f.thresholds)) {
    const n = Number(part.replace(/%$/, ''));
    if (!Number.isFinite(n) || n <= 0 || n >= 100) {
      errors.warningThresholds = 'Percentages between 0 and 100, e.g. 75, 90';
      break;
    }
    fractions.push(Math.round(n * 10) / 1000);
  }
  if (!errors.warningThresholds && fractions.some((x, i) => i > 0 && x <= fractions[i - 1]!)) errors.warningThresholds = 'List the percentages in increasing order';

  const escalations: NonNullable<PolicyInput['escalations']> = [];
  f.escalations.forEach((e, i) => {
    const level: NonNullable<PolicyInput['escalations']>[number] = { at: e.at, actions: e.actions };
    if (!e.actions.length) errors[`escalations.${i}.actions`] = 'Choose at least one action';
    if (e.at === 'warning') {
      const n = Number(e.threshold);
      const fr = Math.round(n * 10) / 1000;
      if (!e.threshold || !fractions.includes(fr)) errors[`escalations.${i}.threshold`] = 'One of the warning percentages above';
      else level.threshold = fr;
    }
    if (e.target) level.target = e.target;
    if (e.offsetMinutes.trim()) {
      const n = Number(e.offsetMinutes);
      if (!Number.isInteger(n) || n < 0 || n > MAX_MINUTES) errors[`escalations.${i}.offsetMinutes`] = 'Whole minutes, 0 or more';
      else if (n > 0) {
        level.offsetMinutes = n;
        level.offsetClock = e.offsetClock;
      }
    }
    escalations.push(level);
  });

  if (Object.keys(errors).length) return { input: null, errors };
  const conditions: NonNullable<PolicyInput['conditions']> = {};
  if (f.priority.length) conditions.priority = f.priority;
  if (f.channel.length) conditions.channel = f.channel;
  if (words(f.category).length) conditions.category = words(f.category);
  if (words(f.tagsAny).length) conditions.tagsAny = words(f.tagsAny);
  if (words(f.requesterDomain).length) conditions.requesterDomain = words(f.requesterDomain).map((d) => d.toLowerCase());
  return {
    input: {
      name: f.name.trim(),
      isDefault: f.isDefault,
      calendarId: f.calendarId || null,
      conditions,
      targets: targets as PolicyInput['targets'],
      warningThresholds: fractions,
      escalations,
    },
    errors,
  };
}

/** "urgent: 15 min first response · 4 h resolution" for the list. */
export function targetsSummary(targets: Record<string, unknown>, format: (minutes: number) => string): string {
  const parts: string[] = [];
  for (const pr of POLICY_PRIORITIES) {
    const t = targets[pr] as Record<string, number> | undefined;
    if (!t) continue;
    const bits = TARGET_KINDS.filter((k) => t[k] !== undefined).map((k) => `${format(t[k]!)} ${k === 'firstResponse' ? 'first' : k === 'nextResponse' ? 'next' : 'resolve'}`);
    if (bits.length) parts.push(`${pr}: ${bits.join(', ')}`);
  }
  return parts.join(' · ') || 'No targets';
}

/** Moves one id up or down in the evaluation order; the same list when it cannot move. */
export function moveInOrder(ids: string[], id: string, by: -1 | 1): string[] {
  const i = ids.indexOf(id);
  const j = i + by;
  if (i < 0 || j < 0 || j >= ids.length) return ids;
  const next = [...ids];
  [next[i], next[j]] = [next[j]!, next[i]!];
  return next;
}
