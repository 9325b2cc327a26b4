import fs from 'node:fs';
import path from 'node:path';
import { createJobs } from '../src/platform/jobs/jobs.ts';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig, publicUrlOf } from '../src/config.ts';
import { CATALOGUE, MODULES } from '../src/modules.ts';
import type { AuthService } from '../src/modules/identity/auth.service.ts';
import { UNAUDITED, type IdentityUseCase } from '../src/modules/identity/identity.context.ts';
import { createOrgWithAdmin, identityModule, syncCatalogue } from '../src/modules/identity/index.ts';
import type { OrgsService } from '../src/modules/identity/orgs.service.ts';
import type { UsersService } from '../src/modules/identity/users.service.ts';
import { resources } from '../src/modules/operations/operations.schema.ts';
import type { Actor } from '../src/platform/access/actor.ts';
import { loadKeys } from '../src/platform/auth/keys.ts';
import { createTokenService } from '../src/platform/auth/tokens.ts';
import { localBus } from '../src/platform/bus/bus.ts';
import { queryRows, type Tx } from '../src/platform/db/client.ts';
import { trackingOf } from '../src/platform/db/tracking.ts';
import { defineEvents, EventContractError } from '../src/platform/events/catalogue.ts';
import type { DeliveredEvent } from '../src/platform/events/dispatcher.ts';
import { createModules, ModuleWiringError, orderModules, PLATFORM_PERMISSIONS, type AnyModule } from '../src/platform/module/kernel.ts';
import { defineModule } from '../src/platform/module/module.ts';
import { defineJob } from '../src/platform/jobs/jobs.ts';
import { createUseCase, UseCaseContractError } from '../src/platform/module/use-case.ts';
import { bearer, createTestApp, freshDatabase, GOOD_PASSWORD, type TestApp, type TestDatabase } from './helpers.ts';
import { loadDocument, operationsOf, type ApiOperation } from './proof/openapi.ts';
import { proofTables, unfilledParams, type ProofTables } from './proof/seeds.ts';

const SRC = path.resolve(import.meta.dirname, '../src/modules');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

/** Every literal error code a module's code throws, with the status it throws it with. */
function thrownCodes(dir: string): [string, number, string][] {
  const found: [string, number, string][] = [];
  const helpers: Record<string, number> = { badRequest: 400, conflict: 409, unprocessable: 422 };
  for (const file of sources(dir)) {
    const text = fs.readFileSync(file, 'utf8');
    const where = path.relative(SRC, file);
    for (const m of text.matchAll(/\b(badRequest|conflict|unprocessable)\(\s*'([a-z_]+)'/g)) found.push([m[2]!, helpers[m[1]!]!, where]);
    for (const m of text.matchAll(/\b(forbidden|unauthorized)\(\s*(?:'[^']*'|`[^`]*`)\s*,\s*'([a-z_]+)'/g)) found.push([m[2]!, m[1] === 'forbidden' ? 403 : 401, where]);
    for (const m of text.matchAll(/new (?:AppError|SlaError)\(\s*(\d{3})\s*,\s*'([a-z_]+)'/g)) found.push([m[2]!, Number(m[1]), where]);
    for (const m of text.matchAll(/fromIssues\(\s*'([a-z_]+)'/g)) found.push([m[1]!, 400, where]);
    // `errors.raise(code)` takes its status from the catalogue itself: the code only has to be there.
    for (const m of text.matchAll(/\.raise\(\s*'([a-z_]+)'/g)) found.push([m[1]!, 0, where]);
  }
  return found;
}

describe('the module list', () => {
  it('gives every module a folder, a permission set, an error catalogue and OpenAPI tags', () => {
    for (const m of MODULES) {
      expect(fs.existsSync(path.join(SRC, m.name, 'index.ts')), m.name).toBe(true);
      expect(Object.keys(m.permissions).length, m.name).toBeGreaterThan(0);
      expect(m.errors, m.name).not.toBeNull();
      expect(m.tags.length, m.name).toBeGreaterThan(0);
    }
  });

  it('lists, in each module’s error catalogue, every code its code throws, with the status it is thrown with', () => {
    const wrong: string[] = [];
    for (const m of MODULES) {
      const codes = m.errors!.codes as Record<string, number>;
      const thrown = thrownCodes(path.join(SRC, m.name));
      expect(thrown.length, m.name).toBeGreaterThan(0);
      for (const [code, status, where] of thrown) {
        if (status === 0 ? !(code in codes) : codes[code] !== status) wrong.push(`${m.name}: ${code} thrown with ${status} in ${where}, catalogue says ${codes[code] ?? 'nothing'}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('merges the permissions of every module and the platform’s own, each held by admin', () => {
    const declared = [...PLATFORM_PERMISSIONS, ...MODULES.map((m) => m.permissions)].flatMap((set) => Object.keys(set)).sort();
    expect([...CATALOGUE.keys].sort()).toEqual(declared);
    const admin = CATALOGUE.systemRoles.find((r) => r.name === 'admin')!;
    expect(admin.grants.map(([p]) => p).sort()).toEqual(declared);
  });
});

describe('the proof seeds', () => {
  let tables: ProofTables;
  let ops: ApiOperation[];

  beforeAll(async () => {
    tables = await proofTables();
    const t = await createTestApp();
    try {
      ops = operationsOf(await loadDocument(t));
    } finally {
      await t.close();
    }
  });

  it('every module declares a proof seed, and the seeds fit together', () => {
    expect(tables.problems).toEqual([]);
    expect(tables.seeds.map((s) => s.module).sort()).toEqual([...MODULES.map((m) => m.name), 'platform'].sort());
    for (const { module, seed } of tables.seeds) expect(seed.kinds.length, module).toBeGreaterThan(0);
  });

  it('fills every path parameter of the OpenAPI document from a seed: each `{id}` by its route family, the others by name', () => {
    expect(unfilledParams(tables, ops)).toEqual([]);
    const idRoutes = ops.filter((o) => o.pathParams.some((p) => p.name === 'id'));
    expect(idRoutes.length).toBeGreaterThan(30);
    // Each `{id}` names a kind that a seed creates.
    for (const op of idRoutes) expect(tables.kinds.has(tables.families.find((f) => f.re.test(op.path))!.kind), op.key).toBe(true);
  });

  it('names a module without a seed, seeds that contradict each other, and a route no seed covers', async () => {
    const fake = (name: string, proof?: () => Promise<unknown>) => ({ name, provides: [], requires: [], ...(proof ? { proof } : {}) }) as never;
    const seed = (s: object) => async () => ({ default: { kinds: [], values: [], create: async () => ({}), ...s } });
    const broken = await proofTables([
      ...MODULES,
      fake('widgets'),
      fake('gadgets', seed({ kinds: ['user'], families: [[/^\/api\/gadgets\//, 'gadget']], params: { userId: 'operation' }, headers: { 'x-gadget': 'user' } })),
    ]);
    expect(broken.problems).toEqual([
      "Module \"widgets\" declares no proof seed: add `proof: () => import('./widgets.proof.ts')` to its defineModule (see platform/module/proof.ts).",
      'Kind "user" is created by the seeds of both "identity" and "gadgets".',
      'Parameter "userId" is "user" in the seed of "identity" and "operation" in the seed of "gadgets".',
      'Header "x-gadget" takes "user", which is a kind; a header takes a value.',
      'The seed of "gadgets" maps the family /^\\/api\\/gadgets\\// to "gadget", which no seed creates.',
    ]);
    const param = (name: string) => ({ name, in: 'path' as const, required: true, schema: {} });
    expect(
      unfilledParams(tables, [
        { path: '/api/widgets/{id}', pathParams: [param('id')] },
        { path: '/api/operations/{id}/widgets/{widgetId}', pathParams: [param('id'), param('widgetId')] },
      ]),
    ).toEqual([
      '{id} of /api/widgets/{id} (declare it in the proof seed of the module that owns the route: families)',
      '{widgetId} of /api/operations/{id}/widgets/{widgetId} (declare it in the proof seed of the module that owns the route: params)',
    ]);
  });
});

describe('orderModules', () => {
  const mod = (name: string, provides: string[], requires: string[]) => ({ name, provides, requires }) as never;

  it('puts providers before the modules that require their ports, whatever the listed order', () => {
    const order = orderModules([mod('desk', [], ['users', 'ops']), mod('ops', ['ops'], ['users']), mod('people', ['users'], [])]);
    expect(order.map((m: { name: string }) => m.name)).toEqual(['people', 'ops', 'desk']);
  });

  it('names a missing port, a port provided twice, a repeated name and a cycle', () => {
    expect(() => orderModules([mod('desk', [], ['users'])])).toThrow(new ModuleWiringError('Module "desk" requires port "users", which no module provides.'));
    expect(() => orderModules([mod('a', ['x'], []), mod('b', ['x'], [])])).toThrow('Port "x" is provided by both "a" and "b".');
    expect(() => orderModules([mod('a', [], []), mod('a', [], [])])).toThrow('Two modules are named "a".');
    expect(() => orderModules([mod('a', ['x'], ['y']), mod('b', ['y'], ['x'])])).toThrow(/in a cycle: a → b → a/);
    expect(() => orderModules([mod('a', [], [])], ['authenticator'] as never)).toThrow('The platform requires port "authenticator", which no module provides.');
  });

  it('wires the app’s own modules without an error', () => {
    expect(() => orderModules(MODULES, ['authenticator', 'accessChanges'])).not.toThrow();
  });
});

describe('createModules', () => {
  it('hands each module its ports, registers its schedules and subscriptions, starts in order and stops in reverse', async () => {
    const log: string[] = [];
    const job = defineJob({ name: 'test.tick', payload: z.object({}), handler: async () => undefined });
    const people = defineModule({
      name: 'people',
      tags: [{ name: 'people', description: 'x' }],
      permissions: {},
      provides: ['authenticator', 'accessChanges'],
      create: () => ({
        provides: { authenticator: { fromAccessToken: async () => null, fromApiKey: async () => null }, accessChanges: () => undefined },
        start: async () => void log.push('start people'),
        stop: async () => void log.push('stop people'),
      }),
    });
    const desk = defineModule({
      name: 'desk',
      tags: [{ name: 'desk', description: 'y' }],
      permissions: {},
      requires: ['authenticator'],
      create: (p) => {
        log.push(`desk got ${typeof p.ports.authenticator.fromApiKey}`);
        return {
          schedules: [{ name: 'test.tick', job, spec: { every: 1000 } }],
          subscriptions: [{ name: 'desk.on-breach', types: ['ticket.sla_breached'], handler: async () => undefined }],
          start: async () => void log.push('start desk'),
          stop: async () => void log.push('stop desk'),
        };
      },
    });
    const platform = {
      jobs: { schedule: (name: string) => void log.push(`schedule ${name}`) },
      subscriptions: { register: (d: { name: string; types: string[] }) => void log.push(`subscribe ${d.name} to ${d.types.join()}`) },
    };
    const running = await createModules([desk, people], platform as never);
    await running.start();
    await running.stop();
    expect(log).toEqual([
      'desk got function',
      'schedule test.tick',
      'subscribe desk.on-breach to ticket.sla_breached',
      'start people',
      'start desk',
      'stop desk',
      'stop people',
    ]);
    expect(running.tags.map((t) => t.name)).toEqual(['people', 'desk']);
  });

  it('opens the modules’ listeners in module order, closes them in reverse, and closes the open ones when one fails', async () => {
    const log: string[] = [];
    let refuse = false;
    const listener = (name: string) => ({
      name,
      open: async () => {
        if (refuse && name === 'b') throw new Error('port 1884 in use');
        log.push(`open ${name}`);
        return { state: () => `${name} up`, banner: `${name} on`, close: async () => void log.push(`close ${name}`) };
      },
    });
    const first = defineModule({
      name: 'first',
      tags: [],
      permissions: {},
      provides: ['authenticator', 'accessChanges'],
      create: () => ({
        provides: { authenticator: { fromAccessToken: async () => null, fromApiKey: async () => null }, accessChanges: () => undefined },
        listeners: [listener('a')],
      }),
    });
    const second = defineModule({ name: 'second', tags: [], permissions: {}, requires: ['authenticator'], create: () => ({ listeners: [listener('b')] }) });
    const platform = { jobs: { schedule: () => undefined }, subscriptions: { register: () => undefined } };
    const running = await createModules([second, first], platform as never);
    const open = await running.openListeners();
    expect(open.map((o) => [o.name, o.listener.state()])).toEqual([
      ['a', 'a up'],
      ['b', 'b up'],
    ]);
    await running.closeListeners();
    expect(log).toEqual(['open a', 'open b', 'close b', 'close a']);

    log.length = 0;
    refuse = true;
    await expect(running.openListeners()).rejects.toThrow('port 1884 in use');
    expect(log).toEqual(['open a', 'close a']);
  });
});

describe('useCase', () => {
  let t: TestDatabase;
  let orgId: string;
  const events = defineEvents({
    'thing.done': { version: 2, description: 'A thing was done.', payload: z.object({ thing: z.object({ id: z.string(), n: z.number() }) }) },
  });
  let notified = 0;
  const dispatcher = { notify: () => void notified++ };

  beforeAll(async () => {
    t = await freshDatabase();
    await t.database.migrate();
    await syncCatalogue(t.database.db, CATALOGUE);
    const out = await createOrgWithAdmin(t.database.db, CATALOGUE, {
      name: 'Contract',
      slug: 'contract',
      admin: { email: 'admin@contract.test', name: 'Admin', password: GOOD_PASSWORD },
    });
    orgId = out.org.id;
  });
  afterAll(async () => t?.drop());

  const system = () => ({ audit: { orgId, actorType: 'system' as const, actorId: null } });
  const eventRows = () => queryRows<{ type: string; version: number; topic: string; copy: boolean; payload: unknown }>(t.database.db, sql`select type, version, topic, copy, payload from events where org_id = ${orgId} order by id`);
  const auditCount = async () => (await queryRows<{ n: number }>(t.database.db, sql`select count(*)::int as n from audit_logs where org_id = ${orgId}`))[0]!.n;
  const insertResource = (tx: Tx, name: string) => tx.insert(resources).values({ orgId, name, kind: 'equipment' });

  it('commits the change, its audit record and its events together, with the event’s version, then wakes the dispatcher', async () => {
    const useCase = createUseCase({ db: t.database.db, dispatcher, strict: true }, events);
    const audits = await auditCount();
    const before = notified;
    await useCase(system(), async ({ tx, audit, emit }) => {
      await insertResource(tx, 'crane');
      await audit({ action: 'resource.create', entityType: 'resource' });
      emit('thing.done', { thing: { id: 'a', n: 1 } }, { topics: ['things', 'thing:a'] });
    });
    expect(await auditCount()).toBe(audits + 1);
    expect((await eventRows()).slice(-2)).toEqual([
      { type: 'thing.done', version: 2, topic: 'things', copy: false, payload: { thing: { id: 'a', n: 1 } } },
      { type: 'thing.done', version: 2, topic: 'thing:a', copy: true, payload: { thing: { id: 'a', n: 1 } } },
    ]);
    expect(notified).toBe(before + 1);
  });

  it('fails, and keeps nothing, when a use case changes data without an audit record', async () => {
    const useCase = createUseCase({ db: t.database.db, dispatcher, strict: true }, events);
    const rows = (await eventRows()).length;
    await expect(
      useCase(system(), async ({ tx, emit }) => {
        await insertResource(tx, 'forgotten');
        emit('thing.done', { thing: { id: 'b', n: 2 } }, { topics: ['things'] });
      }),
    ).rejects.toThrow(new UseCaseContractError('The use case changed data but recorded no audit entry.'));
    const [left] = await queryRows<{ n: number }>(t.database.db, sql`select count(*)::int as n from resources where name = 'forgotten'`);
    expect(left!.n).toBe(0);
    expect((await eventRows()).length).toBe(rows);
  });

  it('lets a read, or a change that says why it is not audited, through without an audit record', async () => {
    const useCase = createUseCase({ db: t.database.db, dispatcher, strict: true }, events);
    await expect(useCase(system(), async ({ tx }) => (await queryRows<{ n: number }>(tx, sql`select 1 as n`))[0]!.n)).resolves.toBe(1);
    await expect(useCase(system(), async ({ tx }) => void (await insertResource(tx, 'counter')), { unaudited: 'a test counter' })).resolves.toBeUndefined();
  });

  it('refuses an event whose payload does not match its schema, and an event not in the catalogue', async () => {
    const useCase = createUseCase({ db: t.database.db, dispatcher, strict: true }, events);
    await expect(
      useCase(system(), async ({ emit }) => emit('thing.done', { thing: { id: 'c', n: 'three' } } as never, { topics: ['things'] })),
    ).rejects.toThrow(EventContractError);
    await expect(
      useCase(system(), async ({ emit }) => emit('thing.done', { thing: { id: 'c', n: 'three' } } as never, { topics: ['things'] })),
    ).rejects.toThrow(/Event "thing.done" does not match its schema/);
    await expect(useCase(system(), async ({ emit }) => emit('thing.undone' as never, {} as never, { topics: ['things'] }))).rejects.toThrow(
      'Event "thing.undone" is not in the module\'s event catalogue.',
    );
  });

  it('skips the schema and audit checks when strict checks are off (production)', async () => {
    const useCase = createUseCase({ db: t.database.db, dispatcher, strict: false }, events);
    await useCase(system(), async ({ tx, emit }) => {
      await insertResource(tx, 'loose');
      emit('thing.done', { thing: { id: 'd', n: 'four' } } as never, { topics: ['things'] });
    });
    expect((await eventRows()).at(-1)).toMatchObject({ type: 'thing.done', payload: { thing: { id: 'd', n: 'four' } } });
  });

  it('runs after-commit work only after a commit', async () => {
    const useCase = createUseCase({ db: t.database.db, dispatcher, strict: true }, events);
    const ran: string[] = [];
    await useCase(system(), async ({ afterCommit }) => afterCommit(() => ran.push('committed')));
    await expect(
      useCase(system(), async ({ afterCommit }) => {
        afterCommit(() => ran.push('rolled back'));
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(ran).toEqual(['committed']);
  });
});

describe('a durable subscriber of a module’s events', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => app?.close());

  it('is handed each fact once, though the event goes to several topics, with its version', async () => {
    const seen: { type: string; topic: string; id: string }[] = [];
    app.app.platform.subscriptions.register({
      name: 'contract.operations',
      types: ['operation.created', 'ticket.created'],
      handler: async (e: DeliveredEvent) => void seen.push({ type: e.type, topic: e.topic, id: String((e.payload.operation ?? e.payload.ticket) && ((e.payload.operation ?? e.payload.ticket) as { id: string }).id) }),
    });
    await app.app.platform.subscriptions.flush();
    const op = (await app.inject({ method: 'POST', url: '/api/operations', headers: bearer(app.adminToken), payload: { name: 'Once' } })).json();
    const ticket = (await app.inject({ method: 'POST', url: '/api/tickets', headers: bearer(app.adminToken), payload: { subject: 'Once', description: 'x', requester: { name: 'R', email: 'r@example.test' } } })).json();
    await app.app.platform.subscriptions.flush();
    expect(seen).toEqual([
      { type: 'operation.created', topic: 'operations', id: op.id },
      { type: 'ticket.created', topic: 'tickets', id: ticket.id },
    ]);
  });
});

describe('identity’s changes', () => {
  let t: TestDatabase;
  let orgId: string;
  let adminId: string;
  let useCase: IdentityUseCase;
  let services: { auth: AuthService; users: UsersService; orgs: OrgsService };
  let fromAccessToken: (token: string, meta: Actor['meta']) => Actor | null | Promise<Actor | null>;
  /** Each use case identity ran: whether it recorded an audit entry, and the reason it gave for not having to. */
  const ran: { audited: boolean; unaudited: string | undefined }[] = [];
  const meta = { ip: '203.0.113.7', userAgent: 'contract-test/1.0', requestId: 'req-identity-1' };
  const email = 'admin@identity.test';

  beforeAll(async () => {
    t = await freshDatabase();
    await t.database.migrate();
    await syncCatalogue(t.database.db, CATALOGUE);
    const out = await createOrgWithAdmin(t.database.db, CATALOGUE, { name: 'Identity', slug: 'identity', admin: { email, name: 'Admin', password: GOOD_PASSWORD } });
    orgId = out.org.id;
    adminId = out.adminId;
    // Identity as the app creates it, with strict checks on; its use-case helper notes each run.
    const recording: AnyModule = {
      ...identityModule,
      create: (p: Parameters<typeof identityModule.create>[0]) => {
        useCase = p.useCase;
        return identityModule.create({
          ...p,
          useCase: (who, fn, options) =>
            p.useCase(who, async (scope) => {
              const result = await fn(scope);
              ran.push({ audited: trackingOf(scope.tx)!.audited, unaudited: options?.unaudited });
              return result;
            }, options),
        });
      },
    };
    const config = loadConfig({ LOG_LEVEL: 'silent' });
    const keys = await loadKeys(t.database.db);
    const bus = localBus();
    const running = await createModules([recording], {
      config,
      database: t.database,
      db: t.database.db,
      bus,
      // Identity registers its password-reset job on the facility (not started here).
      jobs: createJobs({ database: t.database, bus, log: { info: () => undefined, warn: () => undefined } }),
      dispatcher: { notify: () => undefined },
      keys,
      tokens: createTokenService(keys.jwt, config.ACCESS_TOKEN_TTL),
      log: { warn: () => undefined },
      catalogue: CATALOGUE,
      publicUrl: publicUrlOf(config),
      strict: true,
    } as never);
    services = running.services('identity') as typeof services;
    fromAccessToken = running.port('authenticator').fromAccessToken;
  });
  afterAll(async () => t?.drop());

  /** What `run` made identity's use cases do. */
  async function runs(run: () => Promise<unknown>) {
    const from = ran.length;
    await run();
    return ran.slice(from);
  }

  it('runs each change through the strict use case: audited as the actor (same request facts), or unaudited for a declared reason', async () => {
    const refused = (err: unknown) => expect((err as { code?: string }).code).toBe('invalid_credentials');
    expect(await runs(() => services.auth.login({ email, password: 'Not-The-Password-1' }, meta).then(() => expect.unreachable(), refused))).toEqual([
      { audited: false, unaudited: UNAUDITED.failedCheck },
    ]);
    let tokens!: { accessToken: string; refreshToken: string };
    expect(await runs(async () => (tokens = (await services.auth.login({ email, password: GOOD_PASSWORD }, meta)) as typeof tokens))).toEqual([
      { audited: false, unaudited: UNAUDITED.signIn },
    ]);
    const actor = (await fromAccessToken(tokens.accessToken, meta))!;
    let created!: { id: string };
    expect(await runs(async () => (created = await services.users.create(actor, { email: 'new@identity.test', name: 'New', password: GOOD_PASSWORD })))).toEqual([
      { audited: true, unaudited: undefined },
    ]);
    expect(await runs(() => services.orgs.update(actor, { name: 'Identity Ltd' }))).toEqual([{ audited: true, unaudited: undefined }]);
    expect(await runs(() => services.auth.refresh(tokens.refreshToken, meta))).toEqual([{ audited: false, unaudited: UNAUDITED.refreshRotation }]);
    expect(await runs(() => services.auth.logout(actor))).toEqual([{ audited: false, unaudited: UNAUDITED.logout }]);

    // The entry is the one recordAudit wrote before: the actor, and the request's address, agent and id.
    const [row] = await queryRows<Record<string, unknown>>(
      t.database.db,
      sql`select actor_type, actor_id, ip, user_agent, request_id from audit_logs where org_id = ${orgId} and action = 'user.create' and entity_id = ${created.id}`,
    );
    expect(row).toEqual({ actor_type: 'user', actor_id: adminId, ip: meta.ip, user_agent: meta.userAgent, request_id: meta.requestId });
  });

  it('fails a change of identity that records no audit entry and gives no reason', async () => {
    await expect(useCase({ orgId }, async ({ tx }) => void (await tx.execute(sql`update users set name = 'Sneaky' where id = ${adminId}`)))).rejects.toThrow(UseCaseContractError);
    const [admin] = await queryRows<{ name: string }>(t.database.db, sql`select name from users where id = ${adminId}`);
    expect(admin!.name).toBe('Admin');
  });

  it('records audit entries itself only where no use case fits: creating an org, and the CLI’s create-admin', () => {
    const callers = sources(path.join(SRC, 'identity')).filter((f) => /recordAudit\(/.test(fs.readFileSync(f, 'utf8')));
    expect(callers.map((f) => path.relative(SRC, f))).toEqual(['identity/orgs.service.ts']);
  });
});
