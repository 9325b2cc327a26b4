import { AppError, conflict, forbidden, unauthorized } from '../../platform/http/errors.ts';

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
