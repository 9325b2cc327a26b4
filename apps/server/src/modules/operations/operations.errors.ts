import { defineErrors } from '../../platform/errors/app-error.ts';

/**
 * The operations module's error codes and their HTTP statuses. Every code its services throw is listed
 * here (test/module-contract.test.ts checks the source against it); platform codes (not_found,
 * forbidden, unauthorized, invalid_cursor, invalid_sort, rate_limited) are the platform's.
 */
export const operationsErrors = defineErrors({
  illegal_transition: 409,
  invalid_dates: 400,
  invalid_window: 400,
  resource_double_booked: 409,
  unknown_user: 400,
});
