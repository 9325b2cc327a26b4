/**
 * The modules' proof seeds (`proof: () => import('./<name>.proof.ts')` in each module's definition,
 * see src/platform/module/proof.ts), loaded in the kernel's module order and merged into the tables
 * the walkers fill routes from: which kind a route family's `{id}` names, which record or value a
 * named parameter takes, which headers a route's caller brings. Nothing here names a domain.
 */
import type { ApiOperation } from './openapi.ts';
import { MODULES } from '../../src/modules.ts';
import { orderModules, type AnyModule } from '../../src/platform/module/kernel.ts';
import type { ProofKind, ProofSeed, ProofValue } from '../../src/platform/module/proof.ts';

export interface ModuleSeed {
  module: string;
  seed: ProofSeed;
  /**
   * The modules whose records the seed may build on: the providers of the ports the module
   * requires, and theirs (the kernel orders those first, whatever the order of the list).
   */
  builds: ReadonlySet<string>;
}

export interface ProofTables {
  /** In the kernel's start order. */
  seeds: ModuleSeed[];
  /** Kind → the module whose seed creates it. */
  kinds: ReadonlyMap<string, string>;
  /** Value name → the module whose seed returns it. */
  values: ReadonlyMap<string, string>;
  families: { re: RegExp; kind: ProofKind; module: string }[];
  params: ReadonlyMap<string, ProofKind | ProofValue>;
  queryIds: ReadonlyMap<string, ProofKind>;
  headers: ReadonlyMap<string, ProofValue>;
  /** Modules without a seed, and declarations that contradict each other or name what no seed creates. */
  problems: string[];
}

/** The seeds of `modules`, merged; what is wrong with them is in `problems` (the module contract test asserts there is nothing). */
export async function proofTables(modules: readonly AnyModule[] = MODULES): Promise<ProofTables> {
  const ordered = orderModules(modules);
  const problems: string[] = [];
  const provider = new Map(ordered.flatMap((m) => m.provides.map((p: string) => [p, m] as const)));
  const buildsOn = (m: AnyModule, out = new Set<string>()): Set<string> => {
    for (const p of m.requires as string[]) {
      const by = provider.get(p);
      if (by && !out.has(by.name)) buildsOn(by, out.add(by.name));
    }
    return out;
  };

  const seeds: ModuleSeed[] = [];
  for (const m of ordered) {
    if (!m.proof) {
      problems.push(`Module "${m.name}" declares no proof seed: add \`proof: () => import('./${m.name}.proof.ts')\` to its defineModule (see platform/module/proof.ts).`);
      continue;
    }
    const seed = (await m.proof()).default as ProofSeed | undefined;
    if (!seed?.create) {
      problems.push(`Module "${m.name}": its proof loader's module has no default export made with defineProofSeed.`);
      continue;
    }
    seeds.push({ module: m.name, seed, builds: buildsOn(m) });
  }
  // The platform's own routes (its admin pages) have a seed too; it runs last, on every module's records.
  if (modules === MODULES) seeds.push({ module: 'platform', seed: (await import('./platform.proof.ts')).default, builds: new Set(ordered.map((m) => m.name)) });

  const kinds = new Map<string, string>();
  const values = new Map<string, string>();
  for (const { module, seed } of seeds) {
    for (const k of seed.kinds) {
      if (kinds.has(k)) problems.push(`Kind "${k}" is created by the seeds of both "${kinds.get(k)}" and "${module}".`);
      else kinds.set(k, module);
    }
    for (const v of seed.values) {
      if (values.has(v)) problems.push(`Value "${v}" is returned by the seeds of both "${values.get(v)}" and "${module}".`);
      else if (kinds.has(v)) problems.push(`"${v}" (seed of "${module}") is both a kind and a value.`);
      else values.set(v, module);
    }
  }
  const known = (what: string, module: string, name: string, allowValues: boolean) => {
    if (kinds.has(name) || (allowValues && values.has(name))) return true;
    problems.push(`The seed of "${module}" maps ${what} to "${name}", which no seed ${allowValues ? 'creates or returns' : 'creates'}.`);
    return false;
  };
  /** Merges a name → target table; two seeds may declare the same entry, not different ones. */
  const merge = <T extends string>(what: string, pick: (s: ProofSeed) => Readonly<Record<string, T>> | undefined, allowValues: boolean) => {
    const out = new Map<string, T>();
    const by = new Map<string, string>();
    for (const { module, seed } of seeds) {
      for (const [name, target] of Object.entries(pick(seed) ?? {})) {
        if (!known(`${what} "${name}"`, module, target, allowValues)) continue;
        const before = out.get(name);
        if (before !== undefined && before !== target) problems.push(`${what} "${name}" is "${before}" in the seed of "${by.get(name)}" and "${target}" in the seed of "${module}".`);
        else {
          out.set(name, target);
          by.set(name, module);
        }
      }
    }
    return out;
  };
  const params = merge<ProofKind | ProofValue>('Parameter', (s) => s.params, true);
  const queryIds = merge<ProofKind>('Query field', (s) => s.queryIds, false);
  const headers = merge<ProofValue>('Header', (s) => s.headers, true);
  for (const [h, v] of headers) if (!values.has(v)) problems.push(`Header "${h}" takes "${v}", which is a kind; a header takes a value.`);
  const families = seeds.flatMap(({ module, seed }) =>
    (seed.families ?? []).filter(([re, kind]) => known(`the family ${re}`, module, kind, false)).map(([re, kind]) => ({ re, kind, module })),
  );
  return { seeds, kinds, values, families, params, queryIds, headers, problems };
}

/** The table entry that fills an operation's path parameter: a kind or a value, or what is missing. */
export function paramTarget(tables: ProofTables, op: Pick<ApiOperation, 'path'>, name: string): { target: ProofKind | ProofValue } | { missing: string } {
  const named = tables.params.get(name);
  if (named) return { target: named };
  if (name !== 'id') return { missing: `{${name}} of ${op.path}` };
  const families = tables.families.filter((f) => f.re.test(op.path));
  const kinds = [...new Set(families.map((f) => f.kind))];
  if (kinds.length === 1) return { target: kinds[0]! };
  if (!kinds.length) return { missing: `{id} of ${op.path}` };
  return { missing: `{id} of ${op.path}: the families of ${families.map((f) => `"${f.module}" (${f.re} → ${f.kind})`).join(' and ')} both match it` };
}

/**
 * Every path parameter of the document that no seed fills, each with what to declare: a `{id}`
 * needs a route family (`families`), any other name an entry of `params`.
 */
export function unfilledParams(tables: ProofTables, ops: readonly Pick<ApiOperation, 'path' | 'pathParams'>[]): string[] {
  const out = new Set<string>();
  for (const op of ops) {
    for (const p of op.pathParams) {
      const t = paramTarget(tables, op, p.name);
      if ('missing' in t) out.add(`${t.missing} (declare it in the proof seed of the module that owns the route: ${p.name === 'id' ? 'families' : 'params'})`);
    }
  }
  return [...out];
}
