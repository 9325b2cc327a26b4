import { AppError } from '../../../../platform/errors/app-error.ts';

/**
 * Errors of the SLA engine. They are `AppError`s, so a route that lets one escape answers a clear
 * 4xx problem+json: 400 for input that does not parse (a calendar, a policy, an .ics file), 422 for
 * input that parses but cannot be used (a calendar that never opens within the search horizon).
 */
export type SlaErrorCode =
  | 'invalid_calendar'
  | 'invalid_policy'
  | 'invalid_timeline'
  | 'invalid_instant'
  | 'invalid_ics'
  | 'unknown_calendar'
  | 'calendar_missing'
  | 'calendar_never_opens';

export class SlaError extends AppError {
  declare readonly code: SlaErrorCode;
  constructor(status: 400 | 422, code: SlaErrorCode, message: string, extra: Record<string, unknown> = {}) {
    super(status, code, message, extra);
    this.name = 'SlaError';
  }
}

export interface IssueLike {
  path: PropertyKey[];
  message: string;
}

/** A Zod failure as an SlaError, with the problem+json `errors[{path, message}]` list. */
export function fromIssues(code: SlaErrorCode, what: string, issues: readonly IssueLike[]): SlaError {
  const errors = issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
  const detail = `Invalid ${what}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`.slice(0, 1000);
  return new SlaError(400, code, detail, { errors });
}
