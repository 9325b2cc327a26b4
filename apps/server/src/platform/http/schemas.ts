import { z } from 'zod';
import { validTimeZone } from '../time/zone.ts';

export { validTimeZone };

export const idParams = z.object({ id: z.uuid() });
const EARLIEST = Date.parse('0001-01-01T00:00:00Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');
/** An ISO 8601 instant that PostgreSQL can store: years 0001 to 9999 in UTC (it has no year 0). */
export const isoDate = z.iso.datetime({ offset: true }).max(64).refine((v) => {
  const ms = Date.parse(v);
  return ms >= EARLIEST && ms <= LATEST;
}, 'Must fall between 0001-01-01 and 9999-12-31 (UTC)');
export const emailField = z.email().max(254).transform((v) => v.trim());

export const timeZoneField = z.string().max(64).refine(validTimeZone, 'Unknown time zone: use an IANA name such as Europe/Paris');
export const MAX_JSON_DEPTH = 16;

/** Whether a JSON value nests at most `max` levels, measured without recursion (a deep value must not blow the stack). */
export function jsonDepthWithin(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return false;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return true;
}

// The depth check comes first and aborts: the database cannot hold (and JSON.stringify cannot walk) arbitrarily deep values.
export const jsonObject = z
  .record(z.string().max(100), z.unknown())
  .refine((o) => jsonDepthWithin(o, MAX_JSON_DEPTH), { message: `At most ${MAX_JSON_DEPTH} levels of nesting`, abort: true })
  .refine((o) => Object.keys(o).length <= 100, 'At most 100 keys')
  .refine((o) => JSON.stringify(o).length <= 16_384, 'At most 16 KiB of JSON');
export const booleanQuery = z.enum(['true', 'false']).transform((v) => v === 'true');

export const problemSchema = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.number(),
    detail: z.string(),
    code: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'An RFC 9457 problem (application/problem+json)' });

export const pageOfSchema = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), nextCursor: z.string().nullable() });

/** Common error answers, documented on every route. */
export const errorResponses = {
  400: problemSchema,
  401: problemSchema,
  403: problemSchema,
  404: problemSchema,
  409: problemSchema,
  429: problemSchema,
  500: problemSchema,
};

/** A comma-separated query value of allowed words (`?status=open,new`), as a non-empty array. */
export const csvEnum = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .max(200)
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values)).min(1));
