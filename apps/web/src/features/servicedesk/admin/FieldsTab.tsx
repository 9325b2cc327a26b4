import { useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api, call } from '../../../lib/api';
import { ApiError } from '../../../lib/problem';
import { Button } from '../../../components/ui/button';
import { Card, CardHeader } from '../../../components/ui/card';
import { Textarea } from '../../../components/ui/input';
import { Banner, ErrorState, SkeletonRows } from '../../../components/ui/states';
import { sdKeys, settingsQuery } from '../queries';
import { checkSchemaText, fieldsOf } from '../ticket/custom-fields';
import { useSaving } from './saving';

const EXAMPLE = {
  type: 'object',
  properties: {
    contract: { type: 'string', title: 'Contract number', maxLength: 40 },
    seats: { type: 'integer', title: 'Licensed seats', minimum: 1 },
    tier: { type: 'string', title: 'Support tier', enum: ['gold', 'silver', 'bronze'] },
    onSite: { type: 'boolean', title: 'On-site visit needed' },
  },
  additionalProperties: false,
};

export function FieldsTab() {
  const q = useQuery(settingsQuery);
  const [text, setText] = useState('');
  useEffect(() => {
    if (q.data) setText(q.data.customFieldsSchema ? JSON.stringify(q.data.customFieldsSchema, null, 2) : '');
  }, [q.data]);
  const local = checkSchemaText(text);
  const save = useSaving(
    (schema: Record<string, unknown> | null) => call(api.PUT('/api/servicedesk/settings', { body: { customFieldsSchema: schema } })),
    [sdKeys.settings],
    (s) => (s.customFieldsSchema ? 'Custom fields saved' : 'Custom fields removed'),
    { inlineErrors: true },
  );
  const serverErrors = save.error instanceof ApiError ? (save.error.errors ?? []) : [];
  const fields = fieldsOf(local.value);
  if (q.error) return <ErrorState error={q.error} onRetry={() => void q.refetch()} />;
  return (
    <Card aria-labelledby="fields-title">
      <CardHeader
        id="fields-title"
        title="Custom ticket fields"
        description="A JSON Schema for an object; each property becomes a field on the ticket. Empty removes them."
        actions={
          <Button variant="ghost" onClick={() => setText(JSON.stringify(EXAMPLE, null, 2))}>
            Insert an example
          </Button>
        }
      />
      {q.isLoading ? (
        <SkeletonRows rows={4} />
      ) : (
        <div className="grid gap-4 px-4 py-4 lg:grid-cols-[minmax(0,1fr)_18rem]">
          <div className="flex flex-col gap-2">
            <label htmlFor="fields-schema" className="text-[13px] font-medium">
              Schema (JSON)
            </label>
            <Textarea
              id="fields-schema"
              value={text}
              onChange={(e) => setText(e.target.value)}
              rows={18}
              spellCheck={false}
              className="font-mono text-xs leading-5"
              aria-invalid={local.error || serverErrors.length ? true : undefined}
              aria-describedby="fields-errors"
            />
            <div id="fields-errors" aria-live="polite">
              {local.error ? <Banner>{local.error}</Banner> : null}
              {!local.error && save.error ? (
                <Banner>
                  <p>{(save.error as Error).message}</p>
                  {serverErrors.length ? (
                    <ul className="mt-1 list-disc pl-5 text-xs">
                      {serverErrors.map((e, i) => (
                        <li key={i}>
                          <code>{e.path.replace(/^body\./, '')}</code>: {e.message}
                        </li>
                      ))}
                    </ul>
                  ) : null}
                </Banner>
              ) : null}
            </div>
            <div className="flex justify-end">
              <Button variant="primary" disabled={!!local.error} loading={save.isPending} onClick={() => save.mutate(local.value)}>
                Save fields
              </Button>
            </div>
          </div>
          <aside aria-label="Preview" className="self-start rounded-md border border-line bg-app p-3 text-[13px]">
            <p className="mb-2 text-xs font-semibold text-fg-muted">Fields agents will see</p>
            {fields.length === 0 ? (
              <p className="text-xs text-fg-subtle">None.</p>
            ) : (
              <ul className="flex flex-col gap-1.5">
                {fields.map((f) => (
                  <li key={f.name} className="flex items-center justify-between gap-2">
                    <span className="truncate">
                      {f.title}
                      {f.required ? <span className="text-fg-subtle"> *</span> : null}
                    </span>
                    <span className="text-xs text-fg-subtle">{f.kind === 'enum' ? `one of ${f.options.length}` : f.kind}</span>
                  </li>
                ))}
              </ul>
            )}
          </aside>
        </div>
      )}
    </Card>
  );
}
