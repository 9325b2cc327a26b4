import { describe, expect, it } from 'vitest';
import { checkSchemaText, fieldsOf, fromInputs, toInputs } from './custom-fields';

const schema = {
  type: 'object',
  required: ['contract'],
  properties: {
    contract: { type: 'string', title: 'Contract number' },
    seats: { type: 'integer', description: 'Licensed seats' },
    weight_kg: { type: 'number' },
    vip: { type: 'boolean' },
    tier: { type: 'string', enum: ['gold', 'silver'] },
    site: { type: 'object', properties: { city: { type: 'string' } } },
  },
};

describe('custom fields', () => {
  const fields = fieldsOf(schema);

  it('one field per property, typed by its schema', () => {
    expect(fields.map((f) => [f.name, f.kind, f.title, f.required])).toEqual([
      ['contract', 'string', 'Contract number', true],
      ['seats', 'integer', 'Seats', false],
      ['weight_kg', 'number', 'Weight kg', false],
      ['vip', 'boolean', 'Vip', false],
      ['tier', 'enum', 'Tier', false],
      ['site', 'json', 'Site', false],
    ]);
    expect(fields[1]!.description).toBe('Licensed seats');
    expect(fields[4]!.options).toEqual(['gold', 'silver']);
    expect(fieldsOf(null)).toEqual([]);
    expect(fieldsOf({ type: 'object' })).toEqual([]);
  });

  it('round-trips values through the inputs, keeping fields the schema no longer lists', () => {
    const current = { contract: 'C-1', seats: 12, vip: false, site: { city: 'Lyon' }, legacy: 'kept' };
    const inputs = toInputs(fields, current);
    expect(inputs).toMatchObject({ contract: 'C-1', seats: '12', vip: 'false', tier: '', weight_kg: '' });
    expect(fromInputs(fields, inputs, current)).toEqual({ value: current, errors: {} });
  });

  it('an empty input removes the field; bad numbers and JSON are refused at the field', () => {
    const { value, errors } = fromInputs(fields, { contract: '', seats: '2.5', weight_kg: 'heavy', site: '{city:', vip: 'true', tier: 'gold' }, { contract: 'C-1' });
    expect(value).toEqual({ vip: true, tier: 'gold' });
    expect(errors).toEqual({ seats: 'A whole number', weight_kg: 'A number', site: 'Not valid JSON' });
  });
});

describe('checkSchemaText', () => {
  it.each([
    ['', { value: null, error: null }],
    ['  ', { value: null, error: null }],
    ['{"type":"object"}', { value: { type: 'object' }, error: null }],
    ['[1]', { value: null, error: 'The schema must be a JSON object.' }],
    ['{"type":"string"}', { value: null, error: 'The schema must describe an object: "type": "object".' }],
  ])('%j', (text, want) => expect(checkSchemaText(text)).toEqual(want));
  it('names the JSON syntax error', () => {
    expect(checkSchemaText('{"type": "object",}').error).toMatch(/^Not valid JSON: /);
  });
});
