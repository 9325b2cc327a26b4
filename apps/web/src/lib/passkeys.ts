import {
  browserSupportsWebAuthn,
  startAuthentication,
  startRegistration,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/browser';
import { api, call } from './api';
import { auth, type PasskeyAssertion, type PasskeyRequestOptions } from './auth';
import { ApiError } from './problem';

/** Whether this browser can use passkeys at all (WebAuthn). */
export const passkeysSupported = () => typeof window !== 'undefined' && browserSupportsWebAuthn();

/** The browser's half of a passkey sign-in: the server's options to navigator.credentials.get(), its answer as JSON. */
const getAssertion = async (options: PasskeyRequestOptions) =>
  (await startAuthentication({ optionsJSON: options as PublicKeyCredentialRequestOptionsJSON })) as PasskeyAssertion;

/** Signs in with a passkey: without a password, or as the MFA step of a password sign-in (`mfaToken`). */
export const signInWithPasskey = (mfaToken?: string) => auth.loginWithPasskey(getAssertion, mfaToken);

/** Registers a new passkey on this device (or a phone, a security key) under `name`. */
export async function registerPasskey(name: string) {
  const options = await call(api.POST('/api/auth/passkeys/registration-options'));
  const response = await startRegistration({ optionsJSON: options as PublicKeyCredentialCreationOptionsJSON });
  return call(api.POST('/api/auth/passkeys', { body: { name, response: response as never } }));
}

/**
 * What to tell a person when a passkey ceremony fails: the browser's refusals (cancelled, timed out,
 * wrong address, already registered) and the server's problems, in words.
 */
export function passkeyErrorMessage(err: unknown, action: 'sign-in' | 'registration'): string {
  if (err instanceof ApiError) {
    if (err.code === 'passkey_challenge_invalid') return 'That took too long. Try again.';
    if (err.code === 'invalid_passkey') return 'That passkey was not accepted. Try another one, or sign in with your password.';
    if (err.code === 'invalid_mfa_code') return 'This sign-in has expired. Go back and sign in again.';
    return err.detail;
  }
  const name = err instanceof Error ? ((err as { cause?: { name?: string } }).cause?.name ?? err.name) : '';
  const code = (err as { code?: string } | null)?.code;
  if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' || name === 'InvalidStateError')
    return 'This device already holds a passkey for your account.';
  if (name === 'NotAllowedError' || name === 'AbortError')
    return action === 'sign-in' ? 'The passkey request was cancelled or timed out.' : 'Adding the passkey was cancelled or timed out.';
  if (name === 'SecurityError' || code === 'ERROR_INVALID_DOMAIN' || code === 'ERROR_INVALID_RP_ID')
    return 'Passkeys are not available at this address. Open IMSOP at its configured address (PUBLIC_URL).';
  if (code === 'ERROR_USER_VERIFICATION_UNSUPPORTED' || name === 'NotSupportedError') return 'This device cannot verify you (fingerprint, face or PIN), which passkeys here require.';
  return err instanceof Error && err.message ? err.message : 'The passkey could not be used. Try again.';
}
