import { z } from 'zod';
import { actorOf, type ApiInstance } from '../../platform/http/api.ts';
import { pageQuerystring } from '../../platform/db/pagination.ts';
import { emailField, errorResponses, jsonObject, pageOfSchema, timeZoneField } from '../../platform/http/schemas.ts';
import type { OrgsService } from './orgs.service.ts';

const orgSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  slug: z.string(),
  settings: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
}).meta({ id: 'Organization', description: 'An organization (a tenant)' });

const retentionDays = z.number().int().min(1).max(36_500);
/**
 * The settings the platform reads are checked; any other key stays free-form. `timeZone` is the
 * org's reference zone; `telemetry` is the retention the telemetry module applies (days kept of raw
 * points, minute and hour rollups; a missing key keeps its default). null removes a setting.
 */
const settingsPatch = jsonObject.pipe(
  z.looseObject({
    timeZone: timeZoneField.nullable().optional(),
    telemetry: z.strictObject({ rawDays: retentionDays.optional(), minuteDays: retentionDays.optional(), hourDays: retentionDays.optional() }).nullable().optional(),
  }),
);

export function orgsRoutes(api: ApiInstance, orgs: OrgsService) {
  const tags = ['organizations'];
  api.get(
    '/organizations/current',
    { config: { auth: 'org:read' }, schema: { tags, operationId: 'getCurrentOrganization', summary: 'The current organization and its settings', response: { 200: orgSchema, ...errorResponses } } },
    async (req) => orgs.current(actorOf(req)),
  );
  api.patch(
    '/organizations/current',
    {
      config: { auth: 'org:update' },
      schema: {
        tags,
        operationId: 'updateCurrentOrganization',
        summary: 'Rename the organization or change settings (merged into the existing settings; null removes a key)',
        body: z
          .strictObject({ name: z.string().trim().min(1).max(200).optional(), settings: settingsPatch.optional() })
          .refine((b) => Object.keys(b).length > 0, 'Send at least one field to change'),
        response: { 200: orgSchema, ...errorResponses },
      },
    },
    async (req) => orgs.update(actorOf(req), req.body),
  );
  api.get(
    '/organizations',
    {
      config: { auth: 'platform_admin' },
      schema: { tags, operationId: 'listOrganizations', summary: 'All organizations, by name (platform administrators; cursor pagination)', querystring: pageQuerystring, response: { 200: pageOfSchema(orgSchema), ...errorResponses } },
    },
    async (req) => orgs.list(actorOf(req), req.query),
  );
  api.post(
    '/organizations',
    {
      config: { auth: 'platform_admin' },
      schema: {
        tags,
        operationId: 'createOrganization',
        summary: 'Create an organization with its first administrator (platform administrators)',
        body: z.strictObject({
          name: z.string().trim().min(1).max(200),
          slug: z.string().trim().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'Lowercase letters, digits and -; 2 to 63 characters'),
          settings: jsonObject.optional(),
          admin: z.strictObject({ email: emailField, name: z.string().trim().min(1).max(200), password: z.string().min(1).max(1024) }),
        }),
        response: { 201: z.object({ org: orgSchema, adminId: z.uuid() }), ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await orgs.create(actorOf(req), req.body)),
  );
}
