/**
 * The OpenAPI document linted with the OWASP API Security Top 10 (2023) ruleset (Spectral, with the
 * committed .spectral.yaml): the committed document (packages/sdk/openapi.json, which
 * platform.test.ts keeps equal to the server's) passes with no warning or error, and a document
 * with known faults fails with exactly those faults, so the gate is shown to close.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SPECTRAL = path.join(ROOT, 'node_modules/@stoplight/spectral-cli/dist/index.js');
const RULESET = path.join(ROOT, '.spectral.yaml');
const DOC = path.join(ROOT, 'packages/sdk/openapi.json');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'imsop-lint-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Finding {
  code: string;
  path: string[];
  message: string;
  severity: number;
}

/** Runs the Spectral CLI as `npm run lint:openapi` does, failing on warnings too; JSON findings. */
function lint(file: string): Promise<{ code: number; findings: Finding[]; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [SPECTRAL, 'lint', file, '--ruleset', RULESET, '--fail-severity', 'warn', '--format', 'json', '--quiet'],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? Number((err as { code?: number }).code ?? 1) : 0;
        resolve({ code, findings: stdout.trim() ? (JSON.parse(stdout) as Finding[]) : [], stderr });
      },
    );
  });
}

const show = (fs: Finding[]) => fs.map((f) => `${f.code} at ${f.path.join('.')}: ${f.message}`).join('\n');

describe('OpenAPI lint (OWASP ruleset)', () => {
  it('the committed document has no warning or error', { timeout: 120_000 }, async () => {
    const { code, findings, stderr } = await lint(DOC);
    expect(show(findings.filter((f) => f.severity <= 1)), stderr).toBe('');
    expect(code, stderr).toBe(0);
  });

  it('fails on a document with unbounded inputs, an unprotected write, missing error responses, no operationId and an undeclared tag', { timeout: 120_000 }, async () => {
    const doc = JSON.parse(fs.readFileSync(DOC, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
    const string = (extra: object) => ({ type: 'string', ...extra });
    doc.paths['/api/lint-probe'] = {
      post: {
        summary: 'A probe with known faults',
        tags: ['probe'],
        security: [],
        parameters: [
          { name: 'q', in: 'query', required: false, schema: string({}) },
          { name: 'day', in: 'query', required: false, schema: string({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }) },
        ],
        requestBody: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  free: string({}),
                  unboundedPattern: string({ pattern: '^[a-z]+$' }),
                  unanchored: string({ pattern: '[a-z]{1,5}' }),
                  boundedPattern: string({ pattern: '^[a-z]{1,5}$' }),
                  time: string({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$|^24:00$' }),
                  escapedPlus: string({ pattern: '^\\+?[0-9 ()-]{5,20}$' }),
                  id: string({ format: 'uuid' }),
                  capped: string({ maxLength: 10 }),
                  list: { type: 'array', items: string({ maxLength: 5 }) },
                  nested: { type: 'object', properties: { deep: { type: 'array', maxItems: 3, items: string({}) } } },
                },
              },
            },
          },
        },
        // Only a success: no 400, 401, 429 or 500 declared.
        responses: { 200: { description: 'OK', content: { 'application/json': { schema: { type: 'object', properties: { text: string({}) } } } } } },
      },
    };
    const file = path.join(tmp, 'faulty.json');
    fs.writeFileSync(file, JSON.stringify(doc));
    const { code, findings, stderr } = await lint(file);
    expect(code, stderr).not.toBe(0);

    const at = (f: Finding) => f.path.slice(f.path.indexOf('/api/lint-probe') + 2).join('.');
    const probe = findings.filter((f) => f.path.includes('/api/lint-probe'));
    const bounded = probe.filter((f) => f.code === 'imsop-request-bounded').map(at).sort();
    expect(bounded).toEqual(
      [
        'parameters.0.schema',
        'requestBody.content.application/json.schema.properties.free',
        'requestBody.content.application/json.schema.properties.list',
        'requestBody.content.application/json.schema.properties.nested.properties.deep.items',
        'requestBody.content.application/json.schema.properties.unanchored',
        'requestBody.content.application/json.schema.properties.unboundedPattern',
      ].sort(),
    );
    const codes = new Set(probe.map((f) => f.code));
    for (const c of [
      'owasp:api2:2023-write-restricted',
      'owasp:api8:2023-define-error-responses-401',
      'owasp:api8:2023-define-error-responses-500',
      'owasp:api8:2023-define-error-validation',
      'owasp:api4:2023-rate-limit-responses-429',
      // No operationId, and a tag the document does not declare.
      'operation-operationId',
      'operation-tag-defined',
    ]) {
      expect(codes, show(probe)).toContain(c);
    }
    // A response string needs no limit: nothing is reported about the 200 body.
    expect(probe.filter((f) => f.path.includes('responses') && f.path.includes('text'))).toEqual([]);
    // The exceptions of .spectral.yaml name pointers of packages/sdk/openapi.json only: nothing else of the copy is excused.
    expect(findings.filter((f) => !f.path.includes('/api/lint-probe')).length).toBeGreaterThan(0);
  });
});
