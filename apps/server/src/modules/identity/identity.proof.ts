import { defineProofSeed, type ProofApi } from '../../platform/module/proof.ts';

const kinds = ['user', 'role', 'apiKey', 'session', 'invitation', 'passkey', 'ssoProvider'] as const;
const values = ['permission', 'userEmail', 'apiKeySecret', 'orgSlug'] as const;

declare module '../../platform/module/proof.ts' {
  interface ProofKinds extends Record<(typeof kinds)[number], true> {}
  interface ProofValues extends Record<(typeof values)[number], true> {}
}

/** CBOR of integers, byte and text strings and maps: what an attestation "none" is made of. */
function cbor(v: number | string | Uint8Array | Map<number | string, unknown>): Buffer {
  const head = (major: number, n: number) =>
    n < 24 ? Buffer.from([(major << 5) | n]) : n < 256 ? Buffer.from([(major << 5) | 24, n]) : Buffer.from([(major << 5) | 25, n >> 8, n & 255]);
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === 'string') return Buffer.concat([head(3, Buffer.byteLength(v)), Buffer.from(v)]);
  if (v instanceof Uint8Array) return Buffer.concat([head(2, v.length), v]);
  return Buffer.concat([head(5, v.size), ...[...v].flatMap(([k, x]) => [cbor(k), cbor(x as never)])]);
}

/**
 * The admin's passkey, registered as a browser would with a software authenticator (WebCrypto
 * P-256, attestation "none", user verified). The proof suite's app answers at the default public
 * URL (PUBLIC_URL unset: http://127.0.0.1:3000), the origin a passkey is bound to.
 */
async function registerPasskey(api: ProofApi) {
  const options = await api.call<{ challenge: string; rp: { id: string } }>('POST', '/api/auth/passkeys/registration-options', { status: 200 });
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
  const b = (s: string) => Buffer.from(s, 'base64url');
  const cose = cbor(new Map<number, unknown>([[1, 2], [3, -7], [-1, 1], [-2, b(jwk.x!)], [-3, b(jwk.y!)]]));
  const credentialId = Buffer.from(crypto.getRandomValues(new Uint8Array(32)));
  const rpIdHash = Buffer.from(await crypto.subtle.digest('SHA-256', Buffer.from(options.rp.id)));
  // Flags: user present, user verified, attested credential data; counter 0; AAGUID of zeros.
  const authData = Buffer.concat([rpIdHash, Buffer.from([0x45, 0, 0, 0, 0]), Buffer.alloc(16), Buffer.from([0, credentialId.length]), credentialId, cose]);
  const clientData = { type: 'webauthn.create', challenge: options.challenge, origin: 'http://127.0.0.1:3000', crossOrigin: false };
  const id = credentialId.toString('base64url');
  return api.call<{ id: string }>('POST', '/api/auth/passkeys', {
    body: {
      name: 'World passkey',
      response: {
        id,
        rawId: id,
        type: 'public-key',
        response: {
          clientDataJSON: Buffer.from(JSON.stringify(clientData)).toString('base64url'),
          attestationObject: cbor(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]])).toString('base64url'),
        },
        clientExtensionResults: {},
      },
    },
  });
}

/**
 * The identity module's proof seed: a user of the org with a permission granted directly, a
 * custom role, an API key, a pending invitation, an SSO provider, the admin's own session and passkey (the one the proof suite calls with).
 */
export default defineProofSeed({
  kinds,
  values,
  families: [
    [/^\/api\/auth\/sessions\//, 'session'],
    [/^\/api\/auth\/passkeys\//, 'passkey'],
    [/^\/api\/users\//, 'user'],
    [/^\/api\/roles\//, 'role'],
    [/^\/api\/api-keys\//, 'apiKey'],
    [/^\/api\/invitations\//, 'invitation'],
    [/^\/api\/organizations\/current\/sso-providers\//, 'ssoProvider'],
  ],
  params: {
    userId: 'user',
    roleId: 'role',
    // A user's session (another user's session routes): the seed's session, which is the admin's.
    sessionId: 'session',
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
    const passkey = await registerPasskey(api);
    return {
      ids: { user: user.id, role: role.id, apiKey: key.id, session: session.id, invitation: invitation.id, passkey: passkey.id, ssoProvider: sso.id },
      values: { permission, userEmail, apiKeySecret: key.key, orgSlug: api.org.slug },
      // (The org's own id, admin id and admin email are the proof suite's: it made the org.)
      secrets: [userEmail, key.key, 'world-client-secret'],
    };
  },
});
