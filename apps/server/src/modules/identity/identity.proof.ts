import { defineProofSeed } from '../../platform/module/proof.ts';

const kinds = ['user', 'role', 'apiKey', 'session', 'invitation', 'ssoProvider'] as const;
const values = ['permission', 'userEmail', 'apiKeySecret', 'orgSlug'] as const;

declare module '../../platform/module/proof.ts' {
  interface ProofKinds extends Record<(typeof kinds)[number], true> {}
  interface ProofValues extends Record<(typeof values)[number], true> {}
}

/**
 * The identity module's proof seed: a user of the org with a permission granted directly, a
 * custom role, an API key, a pending invitation, an SSO provider and the admin's own session (the one the proof suite calls with).
 */
export default defineProofSeed({
  kinds,
  values,
  families: [
    [/^\/api\/auth\/sessions\//, 'session'],
    [/^\/api\/users\//, 'user'],
    [/^\/api\/roles\//, 'role'],
    [/^\/api\/api-keys\//, 'apiKey'],
    [/^\/api\/invitations\//, 'invitation'],
    [/^\/api\/organizations\/current\/sso-providers\//, 'ssoProvider'],
  ],
  params: {
    userId: 'user',
    roleId: 'role',
    permission: 'permission',
    // Routes that name an org by its slug (provider webhooks) name the seed's org.
    orgSlug: 'orgSlug',
  },
  // The audit trail's filter names any record; the user is the one every org has.
  queryIds: { entityId: 'user' },
  async create(api) {
    const userEmail = api.email('world');
    const user = await api.call<{ id: string }>('POST', '/api/users', { body: { email: userEmail, name: 'World User', password: api.password, roles: ['agent'] } });
    const permission = 'audit:read';
    await api.call('POST', `/api/users/${user.id}/permissions`, { body: { permission }, status: 200 });
    const role = await api.call<{ id: string }>('POST', '/api/roles', { body: { name: 'world-role', displayName: 'World role', permissions: ['users:read'] } });
    const key = await api.call<{ id: string; key: string }>('POST', '/api/api-keys', { body: { name: 'world-key', permissions: ['users:read'] } });
    const invitation = await api.call<{ id: string }>('POST', '/api/invitations', { body: { email: api.email('invited'), roles: ['viewer'] } });
    const sso = await api.call<{ id: string }>('POST', '/api/organizations/current/sso-providers', {
      body: { name: 'World IdP', issuer: 'https://idp.example.com', clientId: 'world-client', clientSecret: 'world-client-secret', allowedDomains: ['example.test'] },
    });
    const sessions = await api.call<{ data: { id: string; current: boolean }[] }>('GET', '/api/auth/sessions');
    const session = sessions.data.find((s) => s.current);
    if (!session) throw new Error('identity seed: the admin’s current session is not among GET /api/auth/sessions');
    return {
      ids: { user: user.id, role: role.id, apiKey: key.id, session: session.id, invitation: invitation.id, ssoProvider: sso.id },
      values: { permission, userEmail, apiKeySecret: key.key, orgSlug: api.org.slug },
      // (The org's own id, admin id and admin email are the proof suite's: it made the org.)
      secrets: [userEmail, key.key, 'world-client-secret'],
    };
  },
});
