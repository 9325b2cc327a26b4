/**
 * Permissions are `resource:action` strings. Each module declares its own in `<domain>.permissions.ts`
 * (with `definePermissions`, and their grants to the system roles) and adds them to the
 * `PermissionRegistry` type; the app's catalogue is built from the module list (`buildCatalogue`)
 * and synced into the `permissions` table at start. This file lists no domain's permissions.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by the modules' declaration merging
export interface PermissionRegistry {}

export type Permission = Extract<keyof PermissionRegistry, string>;

/** How far a grant reaches: every record, records of the holder's department, or the holder's own. */
export const CONDITIONS = ['any', 'department', 'own'] as const;
export type Condition = (typeof CONDITIONS)[number];
export const conditionRank: Record<Condition, number> = { any: 3, department: 2, own: 1 };

/** The roles every org is seeded with (documented in docs/roles.md); admin holds every permission. */
export const SYSTEM_ROLE_NAMES = ['admin', 'manager', 'agent', 'executive', 'viewer'] as const;
export type SystemRoleName = (typeof SYSTEM_ROLE_NAMES)[number];

const SYSTEM_ROLE_TEXT: Record<SystemRoleName, { displayName: string; description: string }> = {
  admin: { displayName: 'Administrator', description: 'Everything in the organization.' },
  manager: { displayName: 'Manager', description: 'Runs a department: sees all users, manages those of their department, reads the logs.' },
  agent: { displayName: 'Agent', description: 'Works a queue: sees colleagues of their department and their own activity.' },
  executive: { displayName: 'Executive', description: 'Oversees the whole service desk: reads every ticket and the analytics, changes nothing.' },
  viewer: { displayName: 'Viewer', description: 'Read-only: their own profile and the organization’s settings.' },
};

/** One permission as a module declares it. */
export interface PermissionSpec {
  description: string;
  /**
   * Whether a condition narrows what the permission reaches (the service checks it against the
   * record: the user's department, the operation's owner or assignees). For the others any
   * condition means the same as `any`; the console offers a scope only for these.
   */
  scoped?: boolean;
  /** What each system role other than admin holds (admin holds everything, with `any`). */
  grants?: Partial<Record<Exclude<SystemRoleName, 'admin'>, Condition>>;
}

export type PermissionSet = Readonly<Record<string, PermissionSpec>>;

/** A module's permissions, in `<domain>.permissions.ts`. */
export const definePermissions = <const T extends PermissionSet>(set: T): T => set;

export interface SystemRole {
  name: SystemRoleName;
  displayName: string;
  description: string;
  grants: [Permission, Condition][];
}

/** The app's permissions: the union of its modules' declarations. */
export interface Catalogue {
  /** key → description */
  permissions: Readonly<Record<Permission, string>>;
  keys: readonly Permission[];
  isPermission(p: string): p is Permission;
  scoped: ReadonlySet<Permission>;
  systemRoles: readonly SystemRole[];
}

/** Merges the modules' permission sets; a permission declared twice stops the app at build time. */
export function buildCatalogue(sets: readonly PermissionSet[]): Catalogue {
  const specs = new Map<Permission, PermissionSpec>();
  for (const set of sets) {
    for (const [key, spec] of Object.entries(set)) {
      if (!/^[a-z_]+:[a-z_]+$/.test(key)) throw new Error(`Permission "${key}" is not of the form resource:action.`);
      if (specs.has(key as Permission)) throw new Error(`Permission "${key}" is declared by two modules.`);
      specs.set(key as Permission, spec);
    }
  }
  const keys = [...specs.keys()];
  const systemRoles = SYSTEM_ROLE_NAMES.map((name): SystemRole => ({
    name,
    ...SYSTEM_ROLE_TEXT[name],
    grants:
      name === 'admin'
        ? keys.map((k): [Permission, Condition] => [k, 'any'])
        : keys.flatMap((k): [Permission, Condition][] => {
            const c = specs.get(k)!.grants?.[name];
            return c ? [[k, c]] : [];
          }),
  }));
  return {
    permissions: Object.fromEntries(keys.map((k) => [k, specs.get(k)!.description])) as Record<Permission, string>,
    keys,
    isPermission: (p: string): p is Permission => specs.has(p as Permission),
    scoped: new Set(keys.filter((k) => specs.get(k)!.scoped)),
    systemRoles,
  };
}
