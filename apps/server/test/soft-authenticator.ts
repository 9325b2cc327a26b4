/**
 * A software WebAuthn authenticator for tests: an ES256 key pair (node:crypto), attestation "none"
 * in CBOR, authenticatorData with its flags and counter, and signed assertions. It answers with
 * the JSON that @simplewebauthn/browser sends, so tests drive the server's ceremonies end to end
 * and can break one thing at a time (no user verification, another origin, an old counter).
 */
import crypto from 'node:crypto';

type Cbor = number | string | Uint8Array | Cbor[] | Map<Cbor, Cbor> | { [k: string]: Cbor };

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}

/** The few CBOR types attestation needs: integers, byte and text strings, arrays and maps. */
export function cbor(v: Cbor): Buffer {
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === 'string') {
    const s = Buffer.from(v, 'utf8');
    return Buffer.concat([head(3, s.length), s]);
  }
  if (v instanceof Uint8Array) return Buffer.concat([head(2, v.length), v]);
  if (Array.isArray(v)) return Buffer.concat([head(4, v.length), ...v.map(cbor)]);
  const entries = v instanceof Map ? [...v.entries()] : Object.entries(v);
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, x]) => [cbor(k), cbor(x)])]);
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const sha256 = (b: Uint8Array | string) => crypto.createHash('sha256').update(b).digest();

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

export interface CeremonyOptions {
  /** User verification (biometric or PIN) performed: true unless a test says otherwise. */
  uv?: boolean;
  /** The page's origin the browser would write into clientDataJSON. */
  origin?: string;
  /** Sign with this counter instead of the next one. */
  counter?: number;
  /** Answer this challenge instead of the one in the options. */
  challenge?: string;
}

/** One passkey on one software authenticator. */
export function softAuthenticator(opts: { origin: string; rpId: string; backedUp?: boolean }) {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const credentialId = crypto.randomBytes(32);
  const cose = cbor(
    new Map<Cbor, Cbor>([
      [1, 2], // kty: EC2
      [3, -7], // alg: ES256
      [-1, 1], // crv: P-256
      [-2, Buffer.from(jwk.x!, 'base64url')],
      [-3, Buffer.from(jwk.y!, 'base64url')],
    ]),
  );
  let counter = 0;
  let userHandle: string | undefined;

  function authData(flags: number, count: number, attested?: Buffer) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(count);
    const backup = opts.backedUp ? FLAG_BE | FLAG_BS : 0;
    return Buffer.concat([sha256(opts.rpId), Buffer.from([flags | backup]), c, ...(attested ? [attested] : [])]);
  }
  const clientData = (type: string, challenge: string, origin: string) =>
    Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));

  return {
    id: b64url(credentialId),
    /** Signs with this counter from now on (a cloned authenticator, or one reset). */
    setCounter(n: number) {
      counter = n;
    },
    /** The answer to navigator.credentials.create(options). */
    register(options: { challenge: string; user: { id: string } }, o: CeremonyOptions = {}) {
      userHandle = options.user.id;
      const idLen = Buffer.alloc(2);
      idLen.writeUInt16BE(credentialId.length);
      const attested = Buffer.concat([Buffer.alloc(16), idLen, credentialId, cose]);
      const flags = FLAG_UP | FLAG_AT | (o.uv === false ? 0 : FLAG_UV);
      const attestationObject = cbor({ fmt: 'none', attStmt: {}, authData: authData(flags, counter, attested) });
      return {
        id: b64url(credentialId),
        rawId: b64url(credentialId),
        type: 'public-key' as const,
        response: {
          clientDataJSON: b64url(clientData('webauthn.create', o.challenge ?? options.challenge, o.origin ?? opts.origin)),
          attestationObject: b64url(attestationObject),
          transports: ['internal'],
        },
        authenticatorAttachment: 'platform' as const,
        clientExtensionResults: {},
      };
    },
    /** The answer to navigator.credentials.get(options). */
    assert(options: { challenge: string }, o: CeremonyOptions = {}) {
      counter = o.counter ?? counter + 1;
      const flags = FLAG_UP | (o.uv === false ? 0 : FLAG_UV);
      const data = authData(flags, counter);
      const cdj = clientData('webauthn.get', o.challenge ?? options.challenge, o.origin ?? opts.origin);
      const signature = crypto.sign('sha256', Buffer.concat([data, sha256(cdj)]), privateKey);
      return {
        id: b64url(credentialId),
        rawId: b64url(credentialId),
        type: 'public-key' as const,
        response: {
          clientDataJSON: b64url(cdj),
          authenticatorData: b64url(data),
          signature: b64url(signature),
          ...(userHandle ? { userHandle } : {}),
        },
        authenticatorAttachment: 'platform' as const,
        clientExtensionResults: {},
      };
    },
  };
}

export type SoftAuthenticator = ReturnType<typeof softAuthenticator>;
