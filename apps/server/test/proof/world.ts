/**
 * Fixtures for the proof suite: one record of each kind in an org, created through the API by the
 * org's admin. The records are the modules' proof seeds (`<module>/<module>.proof.ts`, declared by
 * each module's `proof`, see src/platform/module/proof.ts and seeds.ts): a new module's routes are
 * covered by declaring its seed, without a change here (the isolation walker and the module
 * contract test fail and say what to declare until then).
 */
import { bearer, createOrg, GOOD_PASSWORD, uniqueEmail, type TestApp } from '../helpers.ts';
import type { EarlierRecords, ProofApi, ProofKind, ProofValue } from '../../src/platform/module/proof.ts';
import type { ApiOperation } from './openapi.ts';
import { paramTarget, proofTables, type ProofTables } from './seeds.ts';

export type Org = Awaited<ReturnType<typeof createOrg>>;

/** Every id of the org's records, by kind. */
export type Ids = { [K in ProofKind]: string };
/** The org's named values (a permission, a requester link token, a device key…). */
export type Values = { [V in ProofValue]: string };

export interface World {
  org: Org;
  ids: Ids;
  values: Values;
  /** Strings of the org's records other than their ids (emails, keys, tokens), to look for in another org's answers. */
  secrets: string[];
}

const TABLES: ProofTables = await proofTables();

/** Creates an org (unless given) and one record of each kind in it: every module's seed, in module order. */
export async function createWorld(t: TestApp, org?: Org): Promise<World> {
  if (TABLES.problems.length) throw new Error(`The modules' proof seeds do not fit together:\n  ${TABLES.problems.join('\n  ')}`);
  org ??= await createOrg(t);
  const ids: Partial<Record<string, string>> = {};
  const values: Partial<Record<string, string>> = {};
  const secrets = [org.orgId, org.adminId, org.adminEmail];
  for (const { module, seed, builds } of TABLES.seeds) {
    const api: ProofApi = {
      org: { id: org.orgId, slug: org.slug, adminId: org.adminId, adminEmail: org.adminEmail },
      async call<T>(method: Parameters<ProofApi['call']>[0], url: string, o: { body?: unknown; status?: number; headers?: Record<string, string> } = {}) {
        const res = await t.inject({ method, url, headers: o.headers ?? bearer(org.token), ...(o.body === undefined ? {} : { payload: o.body as string | object }) });
        const status = o.status ?? (method === 'POST' ? 201 : 200);
        if (res.statusCode !== status) throw new Error(`The proof seed of "${module}": ${method} ${url} answered ${res.statusCode}, not ${status}: ${res.body.slice(0, 500)}`);
        return (res.body ? res.json() : undefined) as T;
      },
      email: (prefix) => uniqueEmail(prefix),
      password: GOOD_PASSWORD,
      now: () => Date.now(),
      subscriptions: t.app.platform.subscriptions,
    };
    const earlier = (what: 'kind' | 'value', name: string, table: Partial<Record<string, string>>, owners: ReadonlyMap<string, string>) => {
      const owner = owners.get(name);
      if (!owner) throw new Error(`The proof seed of "${module}" asks for the ${what} "${name}", which no seed makes.`);
      if (!builds.has(owner) || table[name] === undefined) {
        throw new Error(`The proof seed of "${module}" asks for the ${what} "${name}" of "${owner}", whose ports "${module}" does not require: its seed may run first.`);
      }
      return table[name];
    };
    const before: EarlierRecords = { id: (kind) => earlier('kind', kind, ids, TABLES.kinds), value: (name) => earlier('value', name, values, TABLES.values) };
    const made = await seed.create(api, before);
    const ownIds = made.ids as Record<string, string | undefined>;
    const ownValues = made.values as Record<string, string | undefined>;
    for (const k of seed.kinds) if (typeof ownIds[k] !== 'string') throw new Error(`The proof seed of "${module}" declares kind "${k}" and returned no id of it.`);
    for (const v of seed.values) if (typeof ownValues[v] !== 'string') throw new Error(`The proof seed of "${module}" declares value "${v}" and returned none.`);
    Object.assign(ids, made.ids);
    Object.assign(values, made.values);
    secrets.push(...made.secrets);
  }
  return { org, ids: ids as Ids, values: values as Values, secrets };
}

/** The world's id or value a table entry names. */
const resolve = (target: ProofKind | ProofValue, w: World): string => (target in w.ids ? w.ids[target as ProofKind] : w.values[target as ProofValue]);

/** Values of required headers, from the caller's own world (a requester link token is one's own). */
export function headerValues(op: ApiOperation, w: World): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of op.headerParams) {
    const value = TABLES.headers.get(p.name);
    if (value) out[p.name] = w.values[value];
  }
  return out;
}

/** The world's values for an operation's path parameters, or the name of a parameter nothing fills. */
export function pathValues(op: ApiOperation, w: World): { values: Record<string, string> } | { missing: string } {
  const values: Record<string, string> = {};
  for (const p of op.pathParams) {
    const filled = paramTarget(TABLES, op, p.name);
    if ('missing' in filled) return filled;
    values[p.name] = resolve(filled.target, w);
  }
  return { values };
}

/** A query-parameter value from the world, for uuid filters named after an entity (`userId`, `entityId`, …). */
export function queryIdValue(name: string, w: World): string | undefined {
  const named = TABLES.params.get(name);
  if (named) return resolve(named, w);
  const kind = TABLES.queryIds.get(name);
  return kind ? w.ids[kind] : undefined;
}

/** A named value (not an id) for a body field named after it (`permission`), or undefined. */
export function namedValue(name: string, w: World): string | undefined {
  const named = TABLES.params.get(name);
  return named && TABLES.values.has(named) ? w.values[named as ProofValue] : undefined;
}

/** Every id and secret of a world, to look for in another org's responses. */
export function secretsOf(w: World): string[] {
  return [...w.secrets, ...Object.values(w.ids)];
}
