import { useEffect, useState, type ReactNode } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { X } from 'lucide-react';
import { api, call } from '../../../lib/api';
import { formatDateTime, formatFull } from '../../../lib/format';
import { errorFor, fieldErrors } from '../../../lib/problem';
import { toast } from '../../../lib/toast';
import { Button } from '../../../components/ui/button';
import { Card, CardHeader } from '../../../components/ui/card';
import { Field, Input, Select, Textarea } from '../../../components/ui/input';
import { errorMessage } from '../../../components/ui/states';
import { CHANNEL_LABEL, TICKET_PRIORITIES, TICKET_PRIORITY_LABEL, TICKET_STATUS_LABEL } from '../labels';
import { sdKeys, settingsQuery, useTeams } from '../queries';
import { fieldsOf, fromInputs, toInputs, type CustomField } from './custom-fields';
import type { Ticket, TicketPatch } from '../types';

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="grid grid-cols-[7rem_1fr] items-center gap-2">
      <dt className="text-xs text-fg-muted">{label}</dt>
      <dd className="min-w-0 text-[13px]">{children}</dd>
    </div>
  );
}

function usePatch(ticket: Ticket) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (patch: TicketPatch) => call(api.PATCH('/api/tickets/{id}', { params: { path: { id: ticket.id } }, body: patch })),
    onSuccess: (t) => {
      qc.setQueryData(sdKeys.ticket(t.id), t);
      void qc.invalidateQueries({ queryKey: sdKeys.tickets });
      void qc.invalidateQueries({ queryKey: sdKeys.timeline(t.id) });
      void qc.invalidateQueries({ queryKey: sdKeys.sla(t.id) });
    },
  });
}

/** Tags as removable chips, plus a box to add one (Enter). */
function Tags({ tags, onChange, disabled }: { tags: string[]; onChange: (tags: string[]) => void; disabled: boolean }) {
  const [draft, setDraft] = useState('');
  const add = () => {
    const t = draft.trim();
    if (t && !tags.includes(t)) onChange([...tags, t]);
    setDraft('');
  };
  return (
    <div className="flex flex-wrap items-center gap-1">
      {tags.map((t) => (
        <span key={t} className="inline-flex h-6 items-center gap-0.5 rounded-full bg-hover pr-0.5 pl-2 text-xs">
          {t}
          {disabled ? null : (
            <button type="button" className="flex size-5 items-center justify-center rounded-full hover:bg-active" aria-label={`Remove tag ${t}`} onClick={() => onChange(tags.filter((x) => x !== t))}>
              <X className="size-3" aria-hidden="true" />
            </button>
          )}
        </span>
      ))}
      {disabled ? (
        tags.length ? null : <span className="text-fg-subtle">—</span>
      ) : (
        <Input
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' || e.key === ',') {
              e.preventDefault();
              add();
            }
          }}
          onBlur={add}
          placeholder="Add tag"
          aria-label="Add tag"
          className="h-7 w-24 flex-1"
          maxLength={50}
        />
      )}
    </div>
  );
}

/** The org's custom ticket fields (a JSON Schema), edited with inputs that match each field's type. */
function CustomFields({ ticket, editable }: { ticket: Ticket; editable: boolean }) {
  const settings = useQuery(settingsQuery);
  const fields = fieldsOf(settings.data?.customFieldsSchema ?? null);
  const [values, setValues] = useState<Record<string, string>>(() => toInputs(fields, ticket.customFields));
  const [local, setLocal] = useState<Record<string, string>>({});
  const key = JSON.stringify(ticket.customFields) + fields.map((f) => f.name).join();
  useEffect(() => {
    setValues(toInputs(fields, ticket.customFields));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  const patch = usePatch(ticket);
  if (!fields.length) return null;
  const server = fieldErrors(patch.error);
  const save = () => {
    const { value, errors } = fromInputs(fields, values, ticket.customFields);
    setLocal(errors);
    if (Object.keys(errors).length) return;
    patch.mutate({ customFields: value }, { onSuccess: () => toast('Fields saved', { tone: 'success' }) });
  };
  const input = (f: CustomField) => {
    const v = values[f.name] ?? '';
    const change = (x: string) => setValues((cur) => ({ ...cur, [f.name]: x }));
    if (f.kind === 'boolean') {
      return (
        <Select value={v} onChange={(e) => change(e.target.value)} disabled={!editable}>
          <option value="">—</option>
          <option value="true">Yes</option>
          <option value="false">No</option>
        </Select>
      );
    }
    if (f.kind === 'enum') {
      return (
        <Select value={v} onChange={(e) => change(e.target.value)} disabled={!editable}>
          <option value="">—</option>
          {f.options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </Select>
      );
    }
    if (f.kind === 'json') return <Textarea value={v} onChange={(e) => change(e.target.value)} rows={3} className="font-mono text-xs" disabled={!editable} />;
    return <Input type={f.kind === 'number' || f.kind === 'integer' ? 'number' : 'text'} step={f.kind === 'integer' ? 1 : 'any'} value={v} onChange={(e) => change(e.target.value)} disabled={!editable} />;
  };
  return (
    <div className="flex flex-col gap-3 border-t border-line px-4 py-3" data-testid="custom-fields">
      <h3 className="text-xs font-semibold text-fg-muted">Custom fields</h3>
      {fields.map((f) => (
        <Field key={f.name} label={f.title} {...(f.description ? { hint: f.description } : {})} error={local[f.name] ?? errorFor(server, `customFields.${f.name}`)} required={f.required}>
          {input(f)}
        </Field>
      ))}
      {server.customFields ? <p className="text-xs text-red-600 dark:text-red-400">{server.customFields}</p> : null}
      {editable ? (
        <Button onClick={save} loading={patch.isPending} className="self-start">
          Save fields
        </Button>
      ) : null}
    </div>
  );
}

/** Status, priority, team, assignee, category and tags, each saved as soon as it changes. */
export function Properties({ ticket, editable, agents }: { ticket: Ticket; editable: boolean; agents: { id: string; name: string }[] }) {
  const teams = useTeams();
  const patch = usePatch(ticket);
  const [category, setCategory] = useState(ticket.category ?? '');
  useEffect(() => setCategory(ticket.category ?? ''), [ticket.category]);
  const apply = (p: TicketPatch, what: string) =>
    patch.mutate(p, {
      onSuccess: () => toast(`${what} saved`, { tone: 'success' }),
      onError: (err) => toast(`${what} not saved`, { tone: 'error', description: errorMessage(err) }),
    });
  const saveCategory = () => {
    const c = category.trim();
    if (c !== (ticket.category ?? '')) apply({ category: c || null }, 'Category');
  };
  const assigneeKnown = !ticket.assigneeId || agents.some((a) => a.id === ticket.assigneeId);
  return (
    <Card aria-labelledby="props-title">
      <CardHeader id="props-title" title="Properties" />
      <dl className="flex flex-col gap-2.5 px-4 py-3">
        <Row label="Status">
          <Select aria-label="Status" value={ticket.status} onChange={(e) => apply({ status: e.target.value as Ticket['status'] }, 'Status')} disabled={!editable || patch.isPending}>
            {[ticket.status, ...ticket.allowedStatuses].map((s) => (
              <option key={s} value={s}>
                {TICKET_STATUS_LABEL[s]}
              </option>
            ))}
          </Select>
        </Row>
        <Row label="Priority">
          <Select aria-label="Priority" value={ticket.priority} onChange={(e) => apply({ priority: e.target.value as Ticket['priority'] }, 'Priority')} disabled={!editable || patch.isPending}>
            {TICKET_PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {TICKET_PRIORITY_LABEL[p]}
              </option>
            ))}
          </Select>
        </Row>
        <Row label="Team">
          <Select aria-label="Team" value={ticket.teamId ?? ''} onChange={(e) => apply({ teamId: e.target.value || null }, 'Team')} disabled={!editable || patch.isPending}>
            <option value="">No team</option>
            {teams.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </Select>
        </Row>
        <Row label="Assignee">
          <Select aria-label="Assignee" value={ticket.assigneeId ?? ''} onChange={(e) => apply({ assigneeId: e.target.value || null }, 'Assignee')} disabled={!editable || patch.isPending}>
            <option value="">Unassigned</option>
            {assigneeKnown ? null : <option value={ticket.assigneeId!}>Another agent</option>}
            {agents.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </Select>
        </Row>
        <Row label="Category">
          <Input
            aria-label="Category"
            value={category}
            onChange={(e) => setCategory(e.target.value)}
            onBlur={saveCategory}
            onKeyDown={(e) => e.key === 'Enter' && saveCategory()}
            placeholder="—"
            disabled={!editable}
            maxLength={100}
          />
        </Row>
        <Row label="Tags">
          <Tags tags={ticket.tags} onChange={(tags) => apply({ tags }, 'Tags')} disabled={!editable} />
        </Row>
      </dl>
      <CustomFields ticket={ticket} editable={editable} />
      <dl className="flex flex-col gap-2 border-t border-line px-4 py-3 text-[13px]">
        <Row label="Requester">
          <span className="block truncate font-medium">{ticket.requester.name}</span>
          {ticket.requester.email ? <span className="block truncate text-xs text-fg-muted">{ticket.requester.email}</span> : null}
          {ticket.requester.mobile ? <span className="block truncate text-xs text-fg-muted tabular">{ticket.requester.mobile}</span> : null}
        </Row>
        <Row label="Channel">{CHANNEL_LABEL[ticket.channel]}</Row>
        <Row label="Created">
          <time dateTime={ticket.createdAt} title={formatFull(ticket.createdAt)}>
            {formatDateTime(ticket.createdAt)}
          </time>
        </Row>
        <Row label="First response">{ticket.firstRespondedAt ? formatDateTime(ticket.firstRespondedAt) : <span className="text-fg-subtle">Not yet</span>}</Row>
        {ticket.resolvedAt ? <Row label="Resolved">{formatDateTime(ticket.resolvedAt)}</Row> : null}
      </dl>
    </Card>
  );
}
