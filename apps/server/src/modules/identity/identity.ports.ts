import type { AbilityHolder } from '../../platform/access/ability.ts';
import type { Executor } from '../../platform/db/client.ts';

/**
 * What the identity module provides other modules. Each runs in its own org-scoped transaction, or
 * in the caller's (`tx`, already scoped to the same org), so a use case never waits on itself.
 */

/** Which of these user ids are live users of the org. */
export type UserDirectory = (orgId: string, userIds: string[], tx?: Executor) => Promise<Set<string>>;
/** Names, emails and departments of live users of the org, for messages, placeholders and scopes. */
export type UserProfiles = (orgId: string, userIds: string[], tx?: Executor) => Promise<Map<string, { name: string; email: string; department: string | null }>>;
/** Live, active users holding a role (by name), for escalations that notify "the executives". */
export type RoleMembers = (orgId: string, role: string, tx?: Executor) => Promise<{ id: string; name: string; email: string }[]>;
/** An org's display name (reports, messages). */
export type OrgName = (orgId: string) => Promise<string>;
/** The org behind a public slug, for routes used without an account. */
export type OrgBySlug = (slug: string) => Promise<{ id: string; name: string } | null>;
/** The read rule for people: what other modules show of a person (ratings) follows it. */
export type CanReadUser = (actor: AbilityHolder, user: { id: string; department: string | null }) => boolean;

/**
 * Orgs' telemetry settings as stored (`organizations.settings.telemetry`, unchecked: the telemetry
 * module reads its retention from them and applies its own defaults).
 */
export interface OrgTelemetrySettings {
  /** One org's (null when it set none), read in its own scope or in the caller's `tx` (scoped to the same org). */
  of(orgId: string, tx?: Executor): Promise<unknown>;
  /** Every org's, read across orgs for scheduled work: in a system transaction, or in the caller's `tx` (a system one). */
  all(tx?: Executor): Promise<{ orgId: string; telemetry: unknown }[]>;
}

declare module '../../platform/module/module.ts' {
  interface Ports {
    userDirectory: UserDirectory;
    userProfiles: UserProfiles;
    roleMembers: RoleMembers;
    orgName: OrgName;
    orgBySlug: OrgBySlug;
    canReadUser: CanReadUser;
    orgTelemetrySettings: OrgTelemetrySettings;
  }
}
