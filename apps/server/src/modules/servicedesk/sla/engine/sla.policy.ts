/**
 * SLA policies: which tickets a policy applies to (its conditions), its targets per priority in
 * business minutes, its warning thresholds and the business calendar it counts on.
 */
import { z } from 'zod';
import { fromIssues } from './sla.errors.ts';
import { CHANNELS, PRIORITIES, type Channel, type Priority } from './sla.vocabulary.ts';

export { CHANNELS, PRIORITIES, type Channel, type Priority };
export const TARGET_KINDS = ['firstResponse', 'nextResponse', 'resolution'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** One year of business minutes at most: beyond that a target is a typo, not a promise. */
const Minutes = z.int().min(1).max(525_600);
const Word = z.string().trim().min(1).max(200);
const nonEmpty = <T extends z.ZodType>(item: T) => z.array(item).min(1).max(200);

export const TargetsSchema = z.strictObject({
  firstResponse: Minutes.optional(),
  nextResponse: Minutes.optional(),
  resolution: Minutes.optional(),
});
export type Targets = z.infer<typeof TargetsSchema>;

export const ConditionsSchema = z.strictObject({
  priority: nonEmpty(z.enum(PRIORITIES)).optional(),
  category: nonEmpty(Word).optional(),
  channel: nonEmpty(z.enum(CHANNELS)).optional(),
  requesterOrgId: nonEmpty(Word).optional(),
  /** Email domains of the requester, e.g. "example.com" (exact match, case-insensitive). */
  requesterDomain: nonEmpty(
    z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'must be a domain such as "example.com"'),
  ).optional(),
  /** Matches when the ticket carries at least one of these tags. */
  tagsAny: nonEmpty(Word).optional(),
});
export type Conditions = z.infer<typeof ConditionsSchema>;

export const PolicySchema = z.strictObject({
  id: Word,
  name: Word,
  /** All the conditions given must hold (an absent condition matches anything). */
  conditions: ConditionsSchema.default({}),
  targets: z.strictObject(Object.fromEntries(PRIORITIES.map((p) => [p, TargetsSchema.optional()])) as Record<Priority, z.ZodOptional<typeof TargetsSchema>>),
  /** Fractions of a target's time at which a warning is due, e.g. [0.75, 0.9]. */
  warningThresholds: z
    .array(z.number().gt(0).lt(1))
    .max(10)
    .refine((a) => a.every((v, i) => i === 0 || v > a[i - 1]!), { message: 'thresholds must be strictly increasing' })
    .default([0.75, 0.9]),
  calendarId: Word,
});
export type Policy = z.infer<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicySchema>;

/** Validates a policy; throws SlaError 400 `invalid_policy` listing every problem. */
export function parsePolicy(input: unknown): Policy {
  const r = PolicySchema.safeParse(input);
  if (!r.success) throw fromIssues('invalid_policy', 'policy', r.error.issues);
  return r.data;
}

/** What a policy's conditions look at. */
export interface TicketFacts {
  priority: Priority;
  category?: string | null;
  channel?: Channel | null;
  requesterOrgId?: string | null;
  requesterEmail?: string | null;
  tags?: readonly string[];
}

export interface PolicyMatch {
  policy: Policy;
  /** 'conditions' when an ordered policy matched, 'fallback' when none did. */
  matchedBy: 'conditions' | 'fallback';
  /** Position of the matching policy in the ordered list; -1 for the fallback. */
  index: number;
}

const domainOf = (email: string | null | undefined) => {
  const at = email?.lastIndexOf('@') ?? -1;
  return at < 0 ? undefined : email!.slice(at + 1).trim().toLowerCase();
};

export function policyMatches(conditions: Conditions, facts: TicketFacts): boolean {
  const c = conditions;
  if (c.priority && !c.priority.includes(facts.priority)) return false;
  if (c.category && !(facts.category != null && c.category.includes(facts.category))) return false;
  if (c.channel && !(facts.channel != null && c.channel.includes(facts.channel))) return false;
  if (c.requesterOrgId && !(facts.requesterOrgId != null && c.requesterOrgId.includes(facts.requesterOrgId))) return false;
  if (c.requesterDomain) {
    const domain = domainOf(facts.requesterEmail);
    if (!domain || !c.requesterDomain.includes(domain)) return false;
  }
  if (c.tagsAny && !(facts.tags ?? []).some((t) => c.tagsAny!.includes(t))) return false;
  return true;
}

/** The first policy (in order) whose conditions all hold, else the fallback. */
export function matchPolicy(facts: TicketFacts, policies: readonly Policy[], fallback: Policy): PolicyMatch {
  const index = policies.findIndex((p) => policyMatches(p.conditions, facts));
  return index >= 0 ? { policy: policies[index]!, matchedBy: 'conditions', index } : { policy: fallback, matchedBy: 'fallback', index: -1 };
}

/** A target's goal in business milliseconds for a priority, or undefined when the policy sets none. */
export function goalMs(policy: Policy, priority: Priority, kind: TargetKind): number | undefined {
  const minutes = policy.targets[priority]?.[kind];
  return minutes === undefined ? undefined : minutes * 60_000;
}
