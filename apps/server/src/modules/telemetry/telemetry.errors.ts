import { defineErrors } from '../../platform/errors/app-error.ts';

/**
 * The telemetry module's error codes and their HTTP statuses. Every code its services throw is listed
 * here (test/module-contract.test.ts checks the source against it); platform codes (not_found,
 * forbidden, unauthorized, invalid_cursor, invalid_sort, rate_limited) are the platform's.
 */
export const telemetryErrors = defineErrors({
  batch_too_large: 413,
  empty_batch: 400,
  invalid_body: 400,
  invalid_device_key: 401,
  invalid_points: 400,
  invalid_range: 400,
  invalid_rule: 400,
  invalid_time_zone: 400,
  unknown_operation: 400,
});
