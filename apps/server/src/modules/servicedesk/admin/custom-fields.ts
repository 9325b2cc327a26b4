import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { badRequest } from '../../../platform/errors/app-error.ts';

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const compiled = new Map<string, ValidateFunction>();

/**
 * Checks an org's custom-field definition: a JSON Schema for an object. Compiling refuses unknown
 * keywords (strict mode), so a typo in the schema is an error when it is saved, not a silent no-op.
 */
export function compileCustomFieldsSchema(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  const hit = compiled.get(key);
  if (hit) return hit;
  if (schema.type !== 'object') {
    throw badRequest('invalid_custom_fields_schema', 'The custom fields schema must describe an object ("type": "object").', {
      errors: [{ path: 'customFieldsSchema.type', message: 'Must be "object"' }],
    });
  }
  let fn: ValidateFunction;
  try {
    fn = ajv.compile(schema);
  } catch (err) {
    throw badRequest('invalid_custom_fields_schema', `The custom fields schema is not a valid JSON Schema: ${(err as Error).message}`, {
      errors: [{ path: 'customFieldsSchema', message: (err as Error).message }],
    });
  }
  if (compiled.size > 500) compiled.clear();
  compiled.set(key, fn);
  return fn;
}

const pathOf = (e: ErrorObject) => {
  const base = e.instancePath.split('/').filter(Boolean).join('.');
  const extra = e.keyword === 'required' ? (e.params as { missingProperty: string }).missingProperty : '';
  return ['customFields', base, extra].filter(Boolean).join('.');
};

/** Validates a ticket's custom fields against the org's schema (none defined: only an empty object is accepted). */
export function checkCustomFields(schema: Record<string, unknown> | null | undefined, value: Record<string, unknown>) {
  if (!schema) {
    if (Object.keys(value).length === 0) return;
    throw badRequest('custom_fields_not_defined', 'This organization defines no custom ticket fields.', {
      errors: [{ path: 'customFields', message: 'No custom fields are defined' }],
    });
  }
  const validate = compileCustomFieldsSchema(schema);
  if (validate(value)) return;
  throw badRequest('invalid_custom_fields', 'Some custom fields are not valid.', {
    errors: (validate.errors ?? []).map((e) => ({ path: pathOf(e), message: e.message ?? 'invalid' })),
  });
}
