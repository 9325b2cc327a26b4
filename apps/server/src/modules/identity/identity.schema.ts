import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgPolicy,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { appRole, createdAt, id, orgId, orgIsolation, ts, updatedAt } from '../../platform/db/columns.ts';

export const organizations = pgTable(
  'organizations',
  {
    id: id(),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('organizations_slug').on(t.slug), index('organizations_name').on(t.name, t.id), orgIsolation(sql`id`)],
).enableRLS();

export const users = pgTable(
  'users',
  {
    id: id(),
    orgId: orgId().references(() => organizations.id),
    email: text('email').notNull(),
    name: text('name').notNull(),
    passwordHash: text('password_hash'),
    department: text('department'),
    phone: text('phone'),
    isActive: boolean('is_active').notNull().default(true),
    isPlatformAdmin: boolean('is_platform_admin').notNull().default(false),
    twoFactorEnabled: boolean('two_factor_enabled').notNull().default(false),
    mfaSecret: text('mfa_secret'),
    mfaPendingSecret: text('mfa_pending_secret'),
    /** The 30-second time-step of the last TOTP code accepted: a code is accepted once, and only a later one after it. */
    mfaLastStep: integer('mfa_last_step'),
    failedLogins: integer('failed_logins').notNull().default(0),
    lockedUntil: ts('locked_until'),
    lastLogin: ts('last_login'),
    passwordChangedAt: ts('password_changed_at'),
    deletedAt: ts('deleted_at'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('users_org_email').on(t.orgId, sql`lower(${t.email})`),
    index('users_email').on(sql`lower(${t.email})`),
    // The list's default order (newest first, id as the tie-break): its first page and every cursor read 51 index entries.
    index('users_org_created').on(t.orgId, t.createdAt, t.id),
    orgIsolation(),
  ],
).enableRLS();

export const mfaRecoveryCodes = pgTable(
  'mfa_recovery_codes',
  {
    id: id(),
    orgId: orgId(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    usedAt: ts('used_at'),
    createdAt: createdAt(),
  },
  (t) => [index('mfa_recovery_codes_user').on(t.userId), orgIsolation()],
).enableRLS();

/**
 * MFA-step tokens (the `jti` of the token a password sign-in answers with) that completed a sign-in:
 * each completes one. Kept until the token would have expired anyway.
 */
export const mfaTokensSpent = pgTable(
  'mfa_tokens_spent',
  {
    jti: uuid('jti').primaryKey(),
    orgId: orgId(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: ts('expires_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('mfa_tokens_spent_user').on(t.userId, t.expiresAt), orgIsolation()],
).enableRLS();

export const roles = pgTable(
  'roles',
  {
    id: id(),
    orgId: orgId().references(() => organizations.id),
    name: text('name').notNull(),
    displayName: text('display_name').notNull(),
    description: text('description').notNull().default(''),
    isSystem: boolean('is_system').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('roles_org_name').on(t.orgId, t.name), orgIsolation()],
).enableRLS();

/** The permission catalogue: global, read-only for the app role. */
export const permissions = pgTable(
  'permissions',
  {
    key: text('key').primaryKey(),
    resource: text('resource').notNull(),
    action: text('action').notNull(),
    description: text('description').notNull(),
  },
  () => [pgPolicy('catalogue_read', { as: 'permissive', for: 'select', to: appRole, using: sql`true` })],
).enableRLS();

export const rolePermissions = pgTable(
  'role_permissions',
  {
    orgId: orgId(),
    roleId: uuid('role_id')
      .notNull()
      .references(() => roles.id, { onDelete: 'cascade' }),
    permission: text('permission')
      .notNull()
      .references(() => permissions.key),
    condition: text('condition').notNull().default('any'),
  },
  (t) => [primaryKey({ columns: [t.roleId, t.permission] }), orgIsolation()],
).enableRLS();

export const userRoles = pgTable(
  'user_roles',
  {
    orgId: orgId(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    roleId: uuid('role_id')
      .notNull()
      .references(() => roles.id, { onDelete: 'cascade' }),
    assignedBy: uuid('assigned_by'),
    assignedAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.roleId] }), index('user_roles_role').on(t.roleId), orgIsolation()],
).enableRLS();

export const userPermissions = pgTable(
  'user_permissions',
  {
    orgId: orgId(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    permission: text('permission')
      .notNull()
      .references(() => permissions.key),
    condition: text('condition').notNull().default('any'),
    grantedBy: uuid('granted_by'),
    grantedAt: timestamp('granted_at', { withTimezone: true })
      .notNull()
      .defaultNow()
      .$defaultFn(() => new Date()),
  },
  (t) => [primaryKey({ columns: [t.userId, t.permission] }), orgIsolation()],
).enableRLS();

export const userSessions = pgTable(
  'user_sessions',
  {
    id: id(),
    orgId: orgId(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    ip: text('ip'),
    userAgent: text('user_agent'),
    createdAt: createdAt(),
    lastActivityAt: ts('last_activity_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
    revokedAt: ts('revoked_at'),
    revokedReason: text('revoked_reason'),
  },
  // A user's sessions, newest first.
  (t) => [index('user_sessions_user').on(t.userId, t.createdAt, t.id), orgIsolation()],
).enableRLS();

export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: id(),
    orgId: orgId(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => userSessions.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    createdAt: createdAt(),
    expiresAt: ts('expires_at').notNull(),
    usedAt: ts('used_at'),
  },
  (t) => [uniqueIndex('refresh_tokens_hash').on(t.tokenHash), index('refresh_tokens_session').on(t.sessionId), orgIsolation()],
).enableRLS();

export const apiKeys = pgTable(
  'api_keys',
  {
    id: id(),
    orgId: orgId(),
    name: text('name').notNull(),
    prefix: text('prefix').notNull(),
    keyHash: text('key_hash').notNull(),
    permissions: text('permissions').array().notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    lastUsedAt: ts('last_used_at'),
    expiresAt: ts('expires_at'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [uniqueIndex('api_keys_prefix').on(t.prefix), index('api_keys_org').on(t.orgId, t.createdAt, t.id), orgIsolation()],
).enableRLS();

export const activityLogs = pgTable(
  'activity_logs',
  {
    id: id(),
    orgId: orgId(),
    userId: uuid('user_id'),
    action: text('action').notNull(),
    ip: text('ip'),
    userAgent: text('user_agent'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [index('activity_logs_org_created').on(t.orgId, t.createdAt), index('activity_logs_user').on(t.userId), orgIsolation()],
).enableRLS();

/** A password-reset link: only the SHA-256 of its token is kept; spent once (`usedAt`), or dead at `expiresAt`. */
export const passwordResetTokens = pgTable(
  'password_reset_tokens',
  {
    id: id(),
    orgId: orgId(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    createdAt: createdAt(),
    expiresAt: ts('expires_at').notNull(),
    usedAt: ts('used_at'),
  },
  (t) => [uniqueIndex('password_reset_tokens_hash').on(t.tokenHash), index('password_reset_tokens_user').on(t.userId), orgIsolation()],
).enableRLS();

/**
 * An invitation to join the org by email, with the roles and department the new user will get. Only
 * the SHA-256 of its token is kept; a resend replaces it (the replaced hashes are kept, so an old link
 * answers "outdated" rather than "unknown"). Pending while not accepted or revoked (an expired one is
 * still pending: a resend revives it); at most one pending invitation per address in an org.
 */
export const invitations = pgTable(
  'invitations',
  {
    id: id(),
    orgId: orgId().references(() => organizations.id),
    email: text('email').notNull(),
    roles: text('roles').array().notNull().default(sql`'{}'::text[]`),
    department: text('department'),
    invitedBy: uuid('invited_by').references(() => users.id, { onDelete: 'set null' }),
    tokenHash: text('token_hash').notNull(),
    /** Hashes of the links a resend replaced. */
    supersededTokenHashes: text('superseded_token_hashes').array().notNull().default(sql`'{}'::text[]`),
    expiresAt: ts('expires_at').notNull(),
    acceptedAt: ts('accepted_at'),
    acceptedUserId: uuid('accepted_user_id').references(() => users.id, { onDelete: 'set null' }),
    revokedAt: ts('revoked_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('invitations_token_hash').on(t.tokenHash),
    index('invitations_org_created').on(t.orgId, t.createdAt),
    uniqueIndex('invitations_pending_email')
      .on(t.orgId, sql`lower(${t.email})`)
      .where(sql`${t.acceptedAt} is null and ${t.revokedAt} is null`),
    index('invitations_superseded').using('gin', t.supersededTokenHashes),
    orgIsolation(),
  ],
).enableRLS();

/**
 * A user's passkey (a WebAuthn credential): its id and COSE public key as the authenticator gave
 * them, the signature counter last seen and the backup flags. A credential id is unique across
 * orgs, so a usernameless sign-in finds its account from the credential alone.
 */
export const passkeys = pgTable(
  'passkeys',
  {
    id: id(),
    orgId: orgId().references(() => organizations.id),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** base64url, as in the WebAuthn JSON. */
    credentialId: text('credential_id').notNull(),
    /** base64url of the COSE public key. */
    publicKey: text('public_key').notNull(),
    signCount: bigint('sign_count', { mode: 'number' }).notNull().default(0),
    transports: text('transports').array().notNull().default(sql`'{}'::text[]`),
    /** 'singleDevice' or 'multiDevice' (backup eligible: a synced passkey). */
    deviceType: text('device_type').notNull(),
    backedUp: boolean('backed_up').notNull(),
    aaguid: text('aaguid'),
    lastUsedAt: ts('last_used_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('passkeys_credential_id').on(t.credentialId), index('passkeys_user').on(t.userId, t.createdAt, t.id), orgIsolation()],
).enableRLS();

/**
 * Outstanding WebAuthn challenges: each is spent once (deleted by the statement that checks it) and
 * dies at `expiresAt`. A usernameless sign-in's challenge belongs to no org and no user yet, so
 * this table is the server's own: the app role has no rights on it (see the migration) and only
 * system transactions touch it.
 */
export const webauthnChallenges = pgTable(
  'webauthn_challenges',
  {
    challenge: text('challenge').primaryKey(),
    /** registration | sign_in | mfa */
    purpose: text('purpose').notNull(),
    orgId: uuid('org_id'),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: ts('expires_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('webauthn_challenges_expires').on(t.expiresAt)],
).enableRLS();

/**
 * An OpenID Connect identity provider an org signs in with (several per org). The client secret is
 * sealed (AES-256-GCM under the platform's `sso` key) and never leaves the server.
 */
export const ssoProviders = pgTable(
  'sso_providers',
  {
    id: id(),
    orgId: orgId().references(() => organizations.id),
    /** The label of the console's button ("Sign in with Acme Google"). */
    name: text('name').notNull(),
    issuer: text('issuer').notNull(),
    clientId: text('client_id').notNull(),
    clientSecretSealed: text('client_secret_sealed').notNull(),
    /** Lowercase email domains whose verified addresses may sign in (at least one). */
    allowedDomains: text('allowed_domains').array().notNull(),
    /** Just-in-time creation of an unknown, verified address, with `defaultRole` (a role name of the org). */
    jitEnabled: boolean('jit_enabled').notNull().default(false),
    defaultRole: text('default_role'),
    /** A first sign-in whose verified address is an existing user's links the identity to that user. */
    linkByEmail: boolean('link_by_email').notNull().default(true),
    enabled: boolean('enabled').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('sso_providers_org').on(t.orgId, t.createdAt, t.id), orgIsolation()],
).enableRLS();

/** A user's identity at a provider (its `sub`), linked once; later sign-ins find the user by it. */
export const ssoIdentities = pgTable(
  'sso_identities',
  {
    id: id(),
    orgId: orgId(),
    providerId: uuid('provider_id')
      .notNull()
      .references(() => ssoProviders.id, { onDelete: 'cascade' }),
    subject: text('subject').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    createdAt: createdAt(),
    lastSignInAt: ts('last_sign_in_at'),
  },
  (t) => [uniqueIndex('sso_identities_provider_subject').on(t.providerId, t.subject), index('sso_identities_user').on(t.userId), orgIsolation()],
).enableRLS();
