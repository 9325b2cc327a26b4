import { catalogueOf } from './platform/module/kernel.ts';
import { identityModule } from './modules/identity/index.ts';
import { operationsModule } from './modules/operations/index.ts';
import { servicedeskModule } from './modules/servicedesk/index.ts';
import { telemetryModule } from './modules/telemetry/index.ts';

/**
 * The app's modules. Adding a domain adds its module here (`npm run new:module -- <name>` does);
 * the kernel orders them by the ports they provide and require, so the order here does not matter.
 */
export const MODULES = [identityModule, operationsModule, telemetryModule, servicedeskModule] as const;

/** Every module's permissions: synced into the database at start, checked by roles, grants and keys. */
export const CATALOGUE = catalogueOf(MODULES);
