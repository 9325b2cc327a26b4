/**
 * The ticket's custom fields from the org's JSON Schema: one input per top-level property, typed
 * by the property's schema (text, number, yes/no, a list of choices; anything richer is edited as
 * JSON). The server validates the whole object with the same schema (Ajv). Pure; tested.
 */

export type FieldKind = 'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'json';
export interface CustomField {
  name: string;
  title: string;
  description?: string;
  kind: FieldKind;
  options: string[];
  required: boolean;
}

type Schema = Record<string, unknown> | null | undefined;

export function fieldsOf(schema: Schema): CustomField[] {
  const props = schema && typeof schema.properties === 'object' && schema.properties ? (schema.properties as Record<string, Record<string, unknown>>) : {};
  const required = new Set(Array.isArray(schema?.required) ? (schema.required as string[]) : []);
  return Object.entries(props).map(([name, p]) => {
    const prop = p && typeof p === 'object' ? p : {};
    const isEnum = Array.isArray(prop.enum) && prop.enum.every((x) => typeof x === 'string');
    const kind: FieldKind = isEnum ? 'enum' : prop.type === 'string' || prop.type === 'number' || prop.type === 'integer' || prop.type === 'boolean' ? prop.type : 'json';
    return {
      name,
      title: typeof prop.title === 'string' && prop.title ? prop.title : name.replace(/[_-]+/g, ' ').replace(/^./, (c) => c.toUpperCase()),
      ...(typeof prop.description === 'string' ? { description: prop.description } : {}),
      kind,
      options: isEnum ? (prop.enum as string[]) : [],
      required: required.has(name),
    };
  });
}

/** Current values as input strings. */
export function toInputs(fields: CustomField[], values: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const v = values[f.name];
    out[f.name] = v === undefined || v === null ? '' : f.kind === 'json' ? JSON.stringify(v, null, 2) : String(v);
  }
  return out;
}

/**
 * Inputs back into the object to save. An empty input removes the field; values of fields the
 * schema no longer lists are kept as they are. Errors: text that is not a number, or not JSON.
 */
export function fromInputs(fields: CustomField[], inputs: Record<string, string>, previous: Record<string, unknown>): { value: Record<string, unknown>; errors: Record<string, string> } {
  const value: Record<string, unknown> = { ...previous };
  const errors: Record<string, string> = {};
  for (const f of fields) {
    const raw = (inputs[f.name] ?? '').trim();
    delete value[f.name];
    if (raw === '') continue;
    if (f.kind === 'number' || f.kind === 'integer') {
      const n = Number(raw);
      if (!Number.isFinite(n) || (f.kind === 'integer' && !Number.isInteger(n))) errors[f.name] = f.kind === 'integer' ? 'A whole number' : 'A number';
      else value[f.name] = n;
    } else if (f.kind === 'boolean') value[f.name] = raw === 'true';
    else if (f.kind === 'json') {
      try {
        value[f.name] = JSON.parse(raw);
      } catch {
        errors[f.name] = 'Not valid JSON';
      }
    } else value[f.name] = raw;
  }
  return { value, errors };
}

/** What is wrong with the text, before it is sent: JSON syntax, then the shape the server expects. */
export function checkSchemaText(text: string): { value: Record<string, unknown> | null; error: string | null } {
  if (!text.trim()) return { value: null, error: null };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return { value: null, error: `Not valid JSON: ${(err as Error).message}` };
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { value: null, error: 'The schema must be a JSON object.' };
  if ((v as Record<string, unknown>).type !== 'object') return { value: null, error: 'The schema must describe an object: "type": "object".' };
  return { value: v as Record<string, unknown>, error: null };
}
