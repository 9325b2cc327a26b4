import { AppError, badRequest, conflict, defineErrors, forbidden, unauthorized } from '../../platform/errors/app-error.ts';

/**
 * The identity module's error codes and their HTTP statuses. Every code its services throw is listed
 * here (test/module-contract.test.ts checks the source against it); platform codes (not_found,
 * forbidden, unauthorized, invalid_cursor, invalid_sort, rate_limited) are the platform's.
 */
export const identityErrors = defineErrors({
  account_disabled: 403,
  cannot_deactivate_self: 400,
  cannot_delete_self: 400,
  cannot_erase_self: 400,
  email_taken: 409,
  invalid_credentials: 401,
  invalid_current_password: 400,
  invalid_expiry: 400,
  invalid_invitation: 400,
  invitation_accepted: 409,
  invitation_expired: 400,
  invitation_outdated: 400,
  invalid_reset_token: 400,
  invitation_not_pending: 409,
  invitation_pending: 409,
  invalid_mfa_code: 401,
  invalid_refresh_token: 401,
  mfa_already_enabled: 400,
  mfa_not_enabled: 400,
  mfa_not_started: 400,
  org_required: 400,
  passkey_challenge_invalid: 400,
  passkey_exists: 409,
  passkey_rejected: 400,
  invalid_passkey: 401,
  reauthentication_required: 403,
  privilege_escalation: 403,
  refresh_token_reused: 401,
  role_exists: 409,
  slug_taken: 409,
  sso_account_not_found: 403,
  sso_domain_not_allowed: 403,
  sso_email_unverified: 403,
  sso_failed: 401,
  sso_invalid_state: 400,
  sso_provider_unavailable: 422,
  system_role: 409,
  unknown_permission: 400,
  unknown_role: 400,
  user_required: 403,
  weak_password: 400,
});

export const invalidCredentials = () => unauthorized('The email or password is incorrect.', 'invalid_credentials');
export const invalidRefresh = () => unauthorized('The refresh token is invalid or expired.', 'invalid_refresh_token');
export const refreshReused = () =>
  unauthorized('This refresh token was already used; the session has been revoked for safety.', 'refresh_token_reused');
export const invalidMfa = () => unauthorized('The verification code is incorrect or expired.', 'invalid_mfa_code');
export const accountDisabled = () => new AppError(403, 'account_disabled', 'This account is deactivated.');
/** `field` is where the password sits in the request body (for the client's form). */
export const weakPassword = (reason: string, field = 'password') =>
  new AppError(400, 'weak_password', `The password ${reason}.`, {
    errors: [{ path: field, message: `The password ${reason}.` }],
  });
export const cannotGrant = (what: string) =>
  forbidden(`You cannot grant ${what} because you do not hold it yourself.`, 'privilege_escalation');
/** The target of `action` (a user, or a role being deleted) holds `what`, which the actor lacks. */
export const outranked = (action: 'change this user' | 'delete this role', what: string) =>
  forbidden(
    `You cannot ${action}: ${action.endsWith('user') ? 'they hold' : 'it holds'} ${what}, which you do not hold yourself.`,
    'privilege_escalation',
  );
export const emailTaken = () =>
  conflict('email_taken', 'A user with this email already exists in this organization.');
export const systemRoleImmutable = () =>
  conflict('system_role', 'System roles cannot be changed or deleted; create a custom role instead.');
export const invalidResetToken = () =>
  badRequest('invalid_reset_token', 'This password-reset link is invalid, expired or already used; ask for a new one.', {
    errors: [{ path: 'token', message: 'Invalid, expired or already used.' }],
  });
/** A link no invitation ever had (mistyped or cut short). */
export const invalidInvitation = () =>
  badRequest('invalid_invitation', 'This invitation link is not valid; check that you opened the whole link from the email.', {
    errors: [{ path: 'token', message: 'Unknown invitation link.' }],
  });
/** A link a resend replaced, or an invitation that was revoked. */
export const invitationOutdated = () =>
  badRequest('invitation_outdated', 'This invitation link is no longer valid: it was replaced by a newer email or withdrawn. Use the newest invitation email, or ask for a new one.', {
    errors: [{ path: 'token', message: 'Replaced or withdrawn.' }],
  });
export const invitationExpired = () =>
  badRequest('invitation_expired', 'This invitation has expired; ask whoever invited you to send it again.', {
    errors: [{ path: 'token', message: 'Expired.' }],
  });
export const invitationAccepted = () =>
  conflict('invitation_accepted', 'This invitation was already accepted; sign in with the password chosen then.');
/** Create refused: the address has a pending invitation (its id, for a resend). */
export const invitationPending = (invitationId: string) =>
  conflict('invitation_pending', 'This address already has a pending invitation; resend or revoke it.', { invitationId });
/** A WebAuthn challenge that is unknown, spent or expired (each is good for one ceremony, a few minutes). */
export const passkeyChallengeInvalid = () =>
  badRequest('passkey_challenge_invalid', 'This passkey request is unknown, expired or already used; start again.');
/** A registration the server could not accept; `why` is the verifier's reason (no secret in it). */
export const passkeyRejected = (why: string) =>
  badRequest('passkey_rejected', `The passkey could not be registered: ${why}`, { errors: [{ path: 'response', message: why }] });
/** Every failed passkey sign-in answers alike: unknown credential, bad signature, no user verification. */
export const invalidPasskey = () => unauthorized('The passkey was not accepted; try again or use another sign-in method.', 'invalid_passkey');
export const passkeyExists = () => conflict('passkey_exists', 'This passkey is already registered.');
export const reauthenticationRequired = () =>
  forbidden('Confirm with your current password (or sign in again) to remove a passkey.', 'reauthentication_required');
