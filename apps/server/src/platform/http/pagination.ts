// Moved to platform/db/pagination.ts; kept until the service desk's files import it from there.
export * from '../db/pagination.ts';
