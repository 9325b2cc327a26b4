/** What the operations module provides other modules. */

/** Whether an operation id is one of the org's operations (devices and alarms link to operations). */
export type OperationExists = (orgId: string, operationId: string) => Promise<boolean>;

declare module '../../platform/module/module.ts' {
  interface Ports {
    operationExists: OperationExists;
  }
}
