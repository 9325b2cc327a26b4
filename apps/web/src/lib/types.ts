import type { paths } from '@imsop/sdk';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
/** The 200/201 JSON body of an operation in the OpenAPI document. */
export type Ok<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { responses: infer R }
  ? R extends { 200: infer A }
    ? Json<A>
    : R extends { 201: infer B }
      ? Json<B>
      : never
  : never;
export type Body<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;

export type Me = Extract<Ok<'/api/auth/me', 'get'>, { permissions: Record<string, string> }>;
export type Session = Ok<'/api/auth/sessions', 'get'>['data'][number];
export type Passkey = Ok<'/api/auth/passkeys', 'get'>['data'][number];
export type Operation = Ok<'/api/operations/{id}', 'get'>;
export type OperationStatus = Operation['status'];
export type Priority = Operation['priority'];
export type OperationInput = Body<'/api/operations', 'post'>;
export type OperationPatch = Body<'/api/operations/{id}', 'patch'>;
export type Kpis = Ok<'/api/operations/kpis', 'get'>;
export type Task = Ok<'/api/operations/{id}/tasks', 'get'>['data'][number];
export type Allocation = Ok<'/api/operations/{id}/allocations', 'get'>['data'][number];
export type Resource = Ok<'/api/resources', 'get'>['data'][number];
export type Alarm = Ok<'/api/alarms', 'get'>['data'][number];
export type Severity = Alarm['severity'];
export type AlertRule = Ok<'/api/alert-rules', 'get'>['data'][number];
export type AlertRuleInput = Body<'/api/alert-rules', 'post'>;
export type SeriesInfo = Ok<'/api/telemetry/latest', 'get'>['data'][number];
export type TelemetryResult = Ok<'/api/telemetry', 'get'>;
export type AuditEntry = Ok<'/api/audit-logs', 'get'>['data'][number];
export type User = Ok<'/api/users/{id}', 'get'>;
export type Role = Ok<'/api/roles', 'get'>['data'][number];
export type Condition = 'any' | 'department' | 'own';
