import { describe, expect, it } from 'vitest';
import { SlaError } from './sla.errors.ts';
import { goalMs, matchPolicy, parsePolicy, type Policy, type TicketFacts } from './sla.policy.ts';
import { policy } from './sla.testkit.ts';

const vip = policy({ id: 'vip', name: 'VIP customers', conditions: { requesterDomain: ['BigCorp.example'] } });
const urgentWeb = policy({ id: 'urgent-web', name: 'Urgent web', conditions: { priority: ['urgent', 'high'], channel: ['web'] } });
const billing = policy({ id: 'billing', name: 'Billing', conditions: { category: ['billing'], tagsAny: ['invoice', 'refund'] } });
const partner = policy({ id: 'partner', name: 'Partner orgs', conditions: { requesterOrgId: ['org-7'] } });
const fallback = policy({ id: 'default', name: 'Default' });
const ordered: Policy[] = [vip, urgentWeb, billing, partner];

describe('matchPolicy', () => {
  it.each<[string, TicketFacts, string]>([
    ['requester domain, case-insensitive', { priority: 'low', requesterEmail: 'Ann@bigcorp.EXAMPLE' }, 'vip'],
    ['first match wins (vip listed before urgent-web)', { priority: 'urgent', channel: 'web', requesterEmail: 'a@bigcorp.example' }, 'vip'],
    ['priority and channel both hold', { priority: 'high', channel: 'web' }, 'urgent-web'],
    ['priority holds, channel does not', { priority: 'high', channel: 'email' }, 'default'],
    ['category and any one tag', { priority: 'low', category: 'billing', tags: ['refund', 'x'] }, 'billing'],
    ['category without a listed tag', { priority: 'low', category: 'billing', tags: ['other'] }, 'default'],
    ['tags without the category', { priority: 'low', tags: ['invoice'] }, 'default'],
    ['requester org', { priority: 'medium', requesterOrgId: 'org-7' }, 'partner'],
    ['a sub-domain is not the domain', { priority: 'low', requesterEmail: 'a@eu.bigcorp.example' }, 'default'],
    ['missing facts never match a condition', { priority: 'low', requesterEmail: null, channel: null }, 'default'],
  ])('%s → %s', (_why, facts, expected) => {
    const m = matchPolicy(facts, ordered, fallback);
    expect(m.policy.id).toBe(expected);
    expect(m.matchedBy).toBe(expected === 'default' ? 'fallback' : 'conditions');
    expect(m.index).toBe(ordered.findIndex((p) => p.id === expected));
  });

  it('a policy without conditions matches everything', () => {
    expect(matchPolicy({ priority: 'low' }, [fallback, vip], vip).policy.id).toBe('default');
  });
});

describe('policies', () => {
  it('gives targets per priority in business ms, undefined where none is set', () => {
    expect(goalMs(fallback, 'high', 'firstResponse')).toBe(60 * 60_000);
    expect(goalMs(fallback, 'low', 'resolution')).toBeUndefined();
    expect(goalMs(fallback, 'urgent', 'nextResponse')).toBeUndefined();
  });

  it('defaults warnings to 75% and 90%', () => {
    expect(fallback.warningThresholds).toEqual([0.75, 0.9]);
  });

  it.each([
    ['warningThresholds', { warningThresholds: [0.9, 0.75] }, 'strictly increasing'],
    ['warningThresholds.0', { warningThresholds: [1.5] }, ''],
    ['targets.high.firstResponse', { targets: { high: { firstResponse: 0 } } }, ''],
    ['targets.high.firstResponse', { targets: { high: { firstResponse: 1.5 } } }, ''],
    ['targets', { targets: { critical: { firstResponse: 5 } } }, 'critical'],
    ['conditions.channel.0', { conditions: { channel: ['fax'] } }, ''],
    ['conditions.requesterDomain.0', { conditions: { requesterDomain: ['not a domain'] } }, 'must be a domain'],
    ['conditions.priority', { conditions: { priority: [] } }, ''],
    ['calendarId', { calendarId: '' }, ''],
  ])('refuses %s', (path, change, message) => {
    const input = { id: 'p', name: 'P', calendarId: 'office', targets: { high: { firstResponse: 60 } }, ...change };
    let err: unknown;
    try {
      parsePolicy(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SlaError);
    expect(err).toMatchObject({ status: 400, code: 'invalid_policy' });
    const errors = (err as SlaError).extra.errors as { path: string; message: string }[];
    expect(errors.map((e) => e.path)).toContain(path);
    expect((err as Error).message).toContain(message);
  });
});
