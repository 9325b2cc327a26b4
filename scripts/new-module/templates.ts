/**
 * The files of a new module: one example resource ("items") with the standard anatomy. `N` is the
 * module's name (lowercase, e.g. `inventory`); `P` its PascalCase form.
 */
export interface Names {
  /** `inventory` */
  n: string;
  /** `Inventory` */
  P: string;
}

export const moduleFiles = ({ n, P }: Names): Record<string, string> => ({
  'README.md': `# The ${n} module

${P} items: a name and a note per item, listed, read, created, changed and deleted by people with the
module's permissions. (Written by \`npm run new:module\`; describe the domain here as it grows.)
`,

  [`${n}.schema.ts`]: `import { index, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, orgId, orgIsolation, updatedAt } from '../../platform/db/columns.ts';

/** The ${n} module's items; every row belongs to an org, and row-level security keeps it there. */
export const ${n}Items = pgTable(
  '${n}_items',
  {
    id: id(),
    orgId: orgId(),
    name: text('name').notNull(),
    note: text('note').notNull().default(''),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('${n}_items_org_name').on(t.orgId, t.name), index('${n}_items_org_created').on(t.orgId, t.createdAt, t.id), orgIsolation()],
).enableRLS();

export type ${P}ItemRow = typeof ${n}Items.$inferSelect;
`,

  [`${n}.permissions.ts`]: `import { definePermissions } from '../../platform/access/catalogue.ts';

/** The ${n} module's permissions and what each system role holds of them (admin holds all). */
export const ${n}Permissions = definePermissions({
  '${n}:read': { description: 'View ${n} items', grants: { manager: 'any', agent: 'any', executive: 'any', viewer: 'any' } },
  '${n}:manage': { description: 'Create, edit and delete ${n} items', grants: { manager: 'any' } },
});

declare module '../../platform/access/catalogue.ts' {
  interface PermissionRegistry extends Record<keyof typeof ${n}Permissions, true> {}
}
`,

  [`${n}.errors.ts`]: `import { defineErrors } from '../../platform/errors/app-error.ts';

/** The ${n} module's error codes and their HTTP statuses (test/module-contract.test.ts checks the source against it). */
export const ${n}Errors = defineErrors({
  item_name_taken: 409,
});
`,

  [`${n}.views.ts`]: `import { z } from 'zod';
import type { ${P}ItemRow } from './${n}.schema.ts';

/** What the API and the events show of an item. */
export const itemSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  note: z.string(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export type ItemView = z.infer<typeof itemSchema>;

export const toItemView = (r: ${P}ItemRow): ItemView => ({
  id: r.id,
  name: r.name,
  note: r.note,
  createdBy: r.createdBy,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});
`,

  [`${n}.events.ts`]: `import { z } from 'zod';
import { defineEvents } from '../../platform/events/catalogue.ts';
import { itemSchema } from './${n}.views.ts';

const item = z.object({ item: itemSchema });

/** Published on \`${n}\`. */
export const ${n}Events = defineEvents({
  '${n}.item_created': { version: 1, description: 'An item was created.', payload: item },
  '${n}.item_updated': { version: 1, description: 'An item changed.', payload: item },
  '${n}.item_deleted': { version: 1, description: 'An item was deleted (the payload is the item as it was).', payload: item },
});

export type ${P}Events = typeof ${n}Events;
`,

  [`${n}.repository.ts`]: `import { and, desc, eq, lt, or } from 'drizzle-orm';
import type { Executor } from '../../platform/db/client.ts';
import { decodeCursor, encodeCursor, pageOf, type Page } from '../../platform/db/pagination.ts';
import { ${n}Items, type ${P}ItemRow } from './${n}.schema.ts';

/** The only code that touches the module's tables. Every query names the org (row-level security is the second wall). */
export async function listItems(tx: Executor, orgId: string, q: { limit: number; cursor?: string | undefined }): Promise<Page<${P}ItemRow>> {
  const after = decodeCursor(q.cursor, { value: 'timestamp' });
  const rows = await tx
    .select()
    .from(${n}Items)
    .where(
      and(
        eq(${n}Items.orgId, orgId),
        after ? or(lt(${n}Items.createdAt, new Date(after.value as string)), and(eq(${n}Items.createdAt, new Date(after.value as string)), lt(${n}Items.id, after.id))) : undefined,
      ),
    )
    .orderBy(desc(${n}Items.createdAt), desc(${n}Items.id))
    .limit(q.limit + 1);
  return pageOf(rows, q.limit, (r) => encodeCursor(r.createdAt.toISOString(), r.id));
}

export async function findItem(tx: Executor, orgId: string, id: string): Promise<${P}ItemRow | undefined> {
  const [row] = await tx.select().from(${n}Items).where(and(eq(${n}Items.orgId, orgId), eq(${n}Items.id, id)));
  return row;
}
`,

  [`${n}.service.ts`]: `import { and, eq } from 'drizzle-orm';
import { can } from '../../platform/access/ability.ts';
import type { Actor } from '../../platform/access/actor.ts';
import type { AppDb } from '../../platform/db/client.ts';
import { inOrg } from '../../platform/db/scope.ts';
import { forbidden, notFound } from '../../platform/errors/app-error.ts';
import type { UseCase } from '../../platform/module/use-case.ts';
import { ${n}Errors } from './${n}.errors.ts';
import type { ${P}Events } from './${n}.events.ts';
import { findItem, listItems } from './${n}.repository.ts';
import { ${n}Items } from './${n}.schema.ts';
import { toItemView, type ItemView } from './${n}.views.ts';

export interface ItemInput {
  name: string;
  note?: string | undefined;
}

const isUniqueViolation = (err: unknown) => ((err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code) === '23505';
const nameTaken = (name: string) => ${n}Errors.raise('item_name_taken', \`An item named "\${name}" already exists.\`, { errors: [{ path: 'name', message: 'Taken' }] });
const route = { topics: ['${n}'] };

/** Use cases: the access check first, then the work, its audit record and its events in one transaction (useCase). */
export function create${P}Service(deps: { db: AppDb; useCase: UseCase<${P}Events> }) {
  const { db, useCase } = deps;
  const readable = (actor: Actor) => {
    if (!can(actor, '${n}:read')) throw forbidden();
  };
  const manageable = (actor: Actor) => {
    if (!can(actor, '${n}:manage')) throw forbidden();
  };

  return {
    async list(actor: Actor, q: { limit: number; cursor?: string | undefined }) {
      readable(actor);
      const page = await inOrg(db, actor.orgId, (tx) => listItems(tx, actor.orgId, q));
      return { data: page.data.map(toItemView), nextCursor: page.nextCursor };
    },

    async get(actor: Actor, id: string): Promise<ItemView> {
      readable(actor);
      const row = await inOrg(db, actor.orgId, (tx) => findItem(tx, actor.orgId, id));
      if (!row) throw notFound('Item');
      return toItemView(row);
    },

    async create(actor: Actor, input: ItemInput): Promise<ItemView> {
      manageable(actor);
      try {
        return await useCase(actor, async ({ tx, audit, emit }) => {
          const [row] = await tx.insert(${n}Items).values({ orgId: actor.orgId, name: input.name, note: input.note ?? '', createdBy: actor.userId }).returning();
          const view = toItemView(row!);
          await audit({ action: '${n}_item.create', entityType: '${n}_item', entityId: view.id, after: { name: view.name, note: view.note } });
          emit('${n}.item_created', { item: view }, route);
          return view;
        });
      } catch (err) {
        throw isUniqueViolation(err) ? nameTaken(input.name) : err;
      }
    },

    async update(actor: Actor, id: string, patch: Partial<ItemInput>): Promise<ItemView> {
      manageable(actor);
      try {
        return await useCase(actor, async ({ tx, audit, emit }) => {
          const before = await findItem(tx, actor.orgId, id);
          if (!before) throw notFound('Item');
          const [row] = await tx
            .update(${n}Items)
            .set({ ...(patch.name !== undefined ? { name: patch.name } : {}), ...(patch.note !== undefined ? { note: patch.note } : {}) })
            .where(and(eq(${n}Items.orgId, actor.orgId), eq(${n}Items.id, id)))
            .returning();
          const view = toItemView(row!);
          await audit({ action: '${n}_item.update', entityType: '${n}_item', entityId: id, before: { name: before.name, note: before.note }, after: { name: view.name, note: view.note } });
          emit('${n}.item_updated', { item: view }, route);
          return view;
        });
      } catch (err) {
        throw isUniqueViolation(err) ? nameTaken(patch.name ?? '') : err;
      }
    },

    async remove(actor: Actor, id: string): Promise<void> {
      manageable(actor);
      await useCase(actor, async ({ tx, audit, emit }) => {
        const [gone] = await tx.delete(${n}Items).where(and(eq(${n}Items.orgId, actor.orgId), eq(${n}Items.id, id))).returning();
        if (!gone) throw notFound('Item');
        const view = toItemView(gone);
        await audit({ action: '${n}_item.delete', entityType: '${n}_item', entityId: id, before: { name: view.name, note: view.note } });
        emit('${n}.item_deleted', { item: view }, route);
      });
    },
  };
}

export type ${P}Service = ReturnType<typeof create${P}Service>;
`,

  [`${n}.routes.ts`]: `import { z } from 'zod';
import { pageQuery } from '../../platform/db/pagination.ts';
import { actorOf, type ApiInstance } from '../../platform/http/api.ts';
import { errorResponses, idParams, pageOfSchema } from '../../platform/http/schemas.ts';
import type { ${P}Service } from './${n}.service.ts';
import { itemSchema } from './${n}.views.ts';

const tags = ['${n}'];
const itemFields = {
  name: z.string().trim().min(1).max(200),
  note: z.string().max(10_000).optional(),
};

/** HTTP: Zod request and response schemas, one-line handlers that call the service. */
export function ${n}Routes(api: ApiInstance, items: ${P}Service) {
  api.get(
    '/${n}/items',
    { config: { auth: '${n}:read' }, schema: { tags, operationId: 'list${P}Items', summary: 'List ${n} items, newest first (cursor pagination)', querystring: z.strictObject(pageQuery), response: { 200: pageOfSchema(itemSchema), ...errorResponses } } },
    async (req) => items.list(actorOf(req), req.query),
  );
  api.get(
    '/${n}/items/:id',
    { config: { auth: '${n}:read' }, schema: { tags, operationId: 'get${P}Item', summary: 'Get a ${n} item', params: idParams, response: { 200: itemSchema, ...errorResponses } } },
    async (req) => items.get(actorOf(req), req.params.id),
  );
  api.post(
    '/${n}/items',
    { config: { auth: '${n}:manage' }, schema: { tags, operationId: 'create${P}Item', summary: 'Create a ${n} item', body: z.strictObject(itemFields), response: { 201: itemSchema, ...errorResponses } } },
    async (req, reply) => reply.code(201).send(await items.create(actorOf(req), req.body)),
  );
  api.patch(
    '/${n}/items/:id',
    {
      config: { auth: '${n}:manage' },
      schema: {
        tags,
        operationId: 'update${P}Item',
        summary: 'Change a ${n} item',
        params: idParams,
        body: z.strictObject({ ...itemFields, name: itemFields.name.optional() }).refine((b) => Object.keys(b).length > 0, 'Send at least one field to change'),
        response: { 200: itemSchema, ...errorResponses },
      },
    },
    async (req) => items.update(actorOf(req), req.params.id, req.body),
  );
  api.delete(
    '/${n}/items/:id',
    { config: { auth: '${n}:manage' }, schema: { tags, operationId: 'delete${P}Item', summary: 'Delete a ${n} item', params: idParams, response: { 204: z.null(), ...errorResponses } } },
    async (req, reply) => {
      await items.remove(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
}
`,

  [`${n}.proof.ts`]: `import { defineProofSeed } from '../../platform/module/proof.ts';

const kinds = ['${n}Item'] as const;

declare module '../../platform/module/proof.ts' {
  interface ProofKinds extends Record<(typeof kinds)[number], true> {}
}

/** The ${n} module's proof seed: one item per org, which the proof suite's walkers and fuzzers use. */
export default defineProofSeed({
  kinds,
  values: [],
  families: [[/^\\/api\\/${n}\\/items\\//, '${n}Item']],
  params: {},
  queryIds: {},
  async create(api) {
    const item = await api.call<{ id: string }>('POST', '/api/${n}/items', { body: { name: 'World item', note: 'proof' } });
    return { ids: { ${n}Item: item.id }, values: {}, secrets: [] };
  },
});
`,

  'index.ts': `import { can } from '../../platform/access/ability.ts';
import { defineModule } from '../../platform/module/module.ts';
import { ${n}Errors } from './${n}.errors.ts';
import { ${n}Events } from './${n}.events.ts';
import { ${n}Permissions } from './${n}.permissions.ts';
import { ${n}Routes } from './${n}.routes.ts';
import { create${P}Service } from './${n}.service.ts';

/** The ${n} module: its declaration is everything the app needs to know about it. */
export const ${n}Module = defineModule({
  name: '${n}',
  tags: [{ name: '${n}', description: '${P} items' }],
  permissions: ${n}Permissions,
  events: ${n}Events,
  errors: ${n}Errors,
  proof: () => import('./${n}.proof.ts'),
  create(p) {
    const items = create${P}Service({ db: p.db, useCase: p.useCase });
    return {
      services: { items },
      topics: [{ pattern: /^${n}$/, authorize: (actor) => (can(actor, '${n}:read') ? 'ok' : 'forbidden') }],
      routes(api) {
        ${n}Routes(api, items);
      },
    };
  },
});
`,
});

/** The module's integration test, in apps/server/test/. */
export const moduleTest = ({ n }: Names) => `import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createOrg, createTestApp, createUser, expectProblem, type TestApp } from './helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, token: string, payload?: object) =>
  t.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });

describe('${n} items', () => {
  it('are created, listed, read, changed and deleted, each change audited and published', async () => {
    const created = await call('POST', '/api/${n}/items', t.adminToken, { name: 'First', note: 'hello' });
    expect(created.statusCode, created.body).toBe(201);
    const item = created.json();
    expect(item).toMatchObject({ name: 'First', note: 'hello' });

    const list = (await call('GET', '/api/${n}/items?limit=10', t.adminToken)).json();
    expect(list.data.map((i: { id: string }) => i.id)).toContain(item.id);
    expect((await call('GET', \`/api/${n}/items/\${item.id}\`, t.adminToken)).json()).toEqual(item);

    const changed = await call('PATCH', \`/api/${n}/items/\${item.id}\`, t.adminToken, { note: 'changed' });
    expect(changed.json()).toMatchObject({ id: item.id, name: 'First', note: 'changed' });
    expectProblem(await call('POST', '/api/${n}/items', t.adminToken, { name: 'First' }), 409, 'item_name_taken');

    expect((await call('DELETE', \`/api/${n}/items/\${item.id}\`, t.adminToken)).statusCode).toBe(204);
    expectProblem(await call('GET', \`/api/${n}/items/\${item.id}\`, t.adminToken), 404);

    const audit = (await call('GET', \`/api/audit-logs?entityId=\${item.id}\`, t.adminToken)).json();
    expect(audit.data.map((a: { action: string }) => a.action).sort()).toEqual(['${n}_item.create', '${n}_item.delete', '${n}_item.update']);
  });

  it('answers 404 for another org’s item, 403 to a viewer who changes one, 400 to bad input', async () => {
    const other = await createOrg(t);
    const theirs = (await call('POST', '/api/${n}/items', other.token, { name: 'Theirs' })).json();
    expectProblem(await call('GET', \`/api/${n}/items/\${theirs.id}\`, t.adminToken), 404);
    expectProblem(await call('PATCH', \`/api/${n}/items/\${theirs.id}\`, t.adminToken, { note: 'x' }), 404);

    const viewer = await createUser(t, { roles: ['viewer'] });
    expect((await call('GET', '/api/${n}/items', viewer.token)).statusCode).toBe(200);
    expectProblem(await call('POST', '/api/${n}/items', viewer.token, { name: 'Nope' }), 403);
    expectProblem(await call('POST', '/api/${n}/items', t.adminToken, { name: '' }), 400);
    expectProblem(await call('GET', '/api/${n}/items?cursor=forged', t.adminToken), 400, 'invalid_cursor');
  });
});
`;
