import { buildCatalogue, type Catalogue, type PermissionSet } from '../access/catalogue.ts';
import { subscriptionsPermissions } from '../events/subscriptions.permissions.ts';
import type { ApiInstance } from '../http/api.ts';
import type { TopicRule } from '../realtime/topic-access.ts';
import type { ModuleDefinition, ModuleInstance, OpenListener, PlatformContext, PortName, Ports } from './module.ts';
import { createUseCase } from './use-case.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- modules differ in their ports and events; each is checked where it is defined
export type AnyModule = ModuleDefinition<string, any, any, any, any>;

export class ModuleWiringError extends Error {
  override name = 'ModuleWiringError';
}

/**
 * The modules in an order where every module comes after the providers of the ports it requires
 * (their listed order otherwise). A required port that no module provides, a port provided twice,
 * two modules of one name or a cycle stop the app, naming what is wrong.
 */
export function orderModules<M extends Pick<AnyModule, 'name' | 'provides' | 'requires'>>(modules: readonly M[], platformNeeds: readonly PortName[] = []): M[] {
  const provider = new Map<string, M>();
  const names = new Set<string>();
  for (const m of modules) {
    if (names.has(m.name)) throw new ModuleWiringError(`Two modules are named "${m.name}".`);
    names.add(m.name);
    for (const p of m.provides) {
      const other = provider.get(p);
      if (other) throw new ModuleWiringError(`Port "${p}" is provided by both "${other.name}" and "${m.name}".`);
      provider.set(p, m);
    }
  }
  for (const m of modules) {
    for (const p of m.requires) {
      if (!provider.has(p)) throw new ModuleWiringError(`Module "${m.name}" requires port "${p}", which no module provides.`);
    }
  }
  for (const p of platformNeeds) {
    if (!provider.has(p)) throw new ModuleWiringError(`The platform requires port "${p}", which no module provides.`);
  }
  const ordered: M[] = [];
  const state = new Map<M, 'visiting' | 'done'>();
  const visit = (m: M, path: string[]) => {
    if (state.get(m) === 'done') return;
    if (state.get(m) === 'visiting') throw new ModuleWiringError(`Modules require each other's ports in a cycle: ${[...path, m.name].join(' → ')}.`);
    state.set(m, 'visiting');
    for (const p of m.requires) visit(provider.get(p)!, [...path, m.name]);
    state.set(m, 'done');
    ordered.push(m);
  };
  for (const m of modules) visit(m, []);
  return ordered;
}

/** The platform's own permissions (its admin pages), beside the modules'. */
export const PLATFORM_PERMISSIONS: readonly PermissionSet[] = [subscriptionsPermissions];

/** The permission catalogue of a list of modules, with the platform's own. */
export const catalogueOf = (modules: readonly Pick<AnyModule, 'permissions'>[]): Catalogue =>
  buildCatalogue([...PLATFORM_PERMISSIONS, ...modules.map((m) => m.permissions)]);

/** The platform ports buildApp needs from the modules. */
const PLATFORM_NEEDS: readonly PortName[] = ['authenticator', 'accessChanges'];

export interface RunningModules {
  /** In start order. */
  readonly instances: readonly { name: string; instance: ModuleInstance<PortName> }[];
  port<P extends PortName>(name: P): Ports[P];
  topics: readonly TopicRule[];
  tags: readonly { name: string; description: string }[];
  routes(api: ApiInstance): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Opens every module's listeners in module order (the server process does, once the app is
   * ready); one that fails closes those already open and throws. Answers them open, by name.
   */
  openListeners(): Promise<readonly { name: string; listener: OpenListener }[]>;
  /** Closes the open listeners, in reverse order. */
  closeListeners(): Promise<void>;
  /** A module's services by module name (tests, scripts). */
  services(name: string): Record<string, unknown>;
}

/**
 * Creates the modules in port order, each with the ports it asked for (and nothing else), the
 * platform context and a use-case helper bound to its event catalogue.
 */
export async function createModules(list: readonly AnyModule[], platform: Omit<PlatformContext, 'catalogue'> & { catalogue?: Catalogue }): Promise<RunningModules> {
  const modules = orderModules(list as readonly AnyModule[], PLATFORM_NEEDS);
  const catalogue = platform.catalogue ?? catalogueOf(modules);
  const provided = new Map<string, unknown>();
  const instances: { name: string; instance: ModuleInstance<PortName> }[] = [];
  for (const m of modules) {
    const ports = Object.fromEntries(m.requires.map((p) => [p, provided.get(p)])) as Pick<Ports, PortName>;
    const useCase = createUseCase({ db: platform.db, dispatcher: platform.dispatcher, notifier: platform.notifier, strict: platform.strict, clock: platform.clock }, m.events);
    const instance = await m.create({ ...platform, catalogue, ports, useCase } as Parameters<AnyModule['create']>[0]);
    for (const s of instance.schedules ?? []) platform.jobs.schedule(s.name, s.job, s.spec);
    for (const s of instance.subscriptions ?? []) platform.subscriptions.register(s);
    for (const p of m.provides) {
      if (!instance.provides || !(p in instance.provides)) throw new ModuleWiringError(`Module "${m.name}" declares port "${p}" but did not provide it.`);
      provided.set(p, instance.provides[p]);
    }
    instances.push({ name: m.name, instance });
  }
  const started: ModuleInstance<PortName>[] = [];
  const open: { name: string; listener: OpenListener }[] = [];
  const closeListeners = async () => {
    while (open.length) await open.pop()!.listener.close();
  };
  return {
    instances,
    port: <P extends PortName>(name: P) => provided.get(name) as Ports[P],
    topics: instances.flatMap((i) => i.instance.topics ?? []),
    tags: modules.flatMap((m) => m.tags),
    routes(api) {
      for (const { instance } of instances) instance.routes?.(api);
    },
    async start() {
      for (const { instance } of instances) {
        await instance.start?.();
        started.push(instance);
      }
    },
    async stop() {
      // Reverse order: a module stops before the modules whose ports it uses.
      for (const instance of started.reverse()) await instance.stop?.();
      started.length = 0;
    },
    async openListeners() {
      try {
        for (const { instance } of instances) for (const l of instance.listeners ?? []) open.push({ name: l.name, listener: await l.open() });
      } catch (err) {
        await closeListeners();
        throw err;
      }
      return [...open];
    },
    closeListeners,
    services(name) {
      const found = instances.find((i) => i.name === name);
      if (!found) throw new ModuleWiringError(`No module named "${name}".`);
      return found.instance.services ?? {};
    },
  };
}
