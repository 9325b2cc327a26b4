import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { ArrowDown, ArrowUp, Pencil, Plus, Timer, Trash2, X } from 'lucide-react';
import { api, call } from '../../../lib/api';
import { cn } from '../../../lib/cn';
import { fieldErrors } from '../../../lib/problem';
import { Badge } from '../../../components/ui/badge';
import { Button } from '../../../components/ui/button';
import { Card, CardHeader } from '../../../components/ui/card';
import { ConfirmDialog, Dialog } from '../../../components/ui/dialog';
import { Field, Input, Select } from '../../../components/ui/input';
import { Banner, EmptyState, errorMessage, ErrorState, SkeletonRows } from '../../../components/ui/states';
import { CHANNEL_LABEL, CHANNELS, TICKET_PRIORITY_LABEL } from '../labels';
import { calendarsQuery, policiesQuery, sdKeys } from '../queries';
import { formatTimeLeft, TARGET_LABEL } from '../sla';
import type { Policy, PolicyInput } from '../types';
import {
  ACTION_LABEL,
  ACTIONS,
  fromForm,
  moveInOrder,
  newEscalation,
  POLICY_PRIORITIES,
  TARGET_KINDS,
  targetsSummary,
  toForm,
  type EscalationDraft,
  type PolicyForm,
} from './policy-form';
import { useSaving } from './saving';

const minutes = (m: number) => formatTimeLeft(m * 60_000);

function Checks<T extends string>({ legend, options, value, onChange }: { legend: string; options: { value: T; label: string }[]; value: T[]; onChange: (v: T[]) => void }) {
  return (
    <fieldset>
      <legend className="mb-1.5 text-[13px] font-medium">{legend}</legend>
      <div className="flex flex-wrap gap-x-4 gap-y-1.5">
        {options.map((o) => (
          <label key={o.value} className="flex items-center gap-1.5 text-[13px]">
            <input type="checkbox" checked={value.includes(o.value)} onChange={(e) => onChange(e.target.checked ? [...value, o.value] : value.filter((v) => v !== o.value))} />
            {o.label}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function EscalationRow({ e, i, onChange, onRemove, errors }: { e: EscalationDraft; i: number; onChange: (e: EscalationDraft) => void; onRemove: () => void; errors: Record<string, string> }) {
  const err = (k: string) => errors[`escalations.${i}.${k}`];
  return (
    <li className="rounded-md border border-line bg-app p-3" data-testid="escalation-level">
      <div className="flex flex-wrap items-end gap-3">
        <Field label="When" className="w-36">
          <Select value={e.at} onChange={(x) => onChange({ ...e, at: x.target.value as EscalationDraft['at'] })}>
            <option value="breach">At breach</option>
            <option value="warning">At a warning</option>
          </Select>
        </Field>
        {e.at === 'warning' ? (
          <Field label="Warning %" error={err('threshold')} className="w-28">
            <Input value={e.threshold} onChange={(x) => onChange({ ...e, threshold: x.target.value })} inputMode="decimal" placeholder="75" />
          </Field>
        ) : null}
        <Field label="Target" className="w-44">
          <Select value={e.target} onChange={(x) => onChange({ ...e, target: x.target.value as EscalationDraft['target'] })}>
            <option value="">Any target</option>
            {TARGET_KINDS.map((k) => (
              <option key={k} value={k}>
                {TARGET_LABEL[k]}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Then wait (min)" error={err('offsetMinutes')} className="w-32">
          <Input value={e.offsetMinutes} onChange={(x) => onChange({ ...e, offsetMinutes: x.target.value })} inputMode="numeric" placeholder="0" />
        </Field>
        <Field label="Counted in" className="w-40">
          <Select value={e.offsetClock} onChange={(x) => onChange({ ...e, offsetClock: x.target.value as EscalationDraft['offsetClock'] })}>
            <option value="calendar">Clock minutes</option>
            <option value="business">Business minutes</option>
          </Select>
        </Field>
        <Button variant="ghost" size="icon-sm" className="ml-auto" aria-label={`Remove escalation level ${i + 1}`} onClick={onRemove}>
          <X aria-hidden="true" />
        </Button>
      </div>
      <div className="mt-3">
        <Checks legend="Actions" options={ACTIONS.map((a) => ({ value: a, label: ACTION_LABEL[a] }))} value={e.actions} onChange={(actions) => onChange({ ...e, actions })} />
        {err('actions') ? <p className="mt-1 text-xs text-red-600 dark:text-red-400">{err('actions')}</p> : null}
      </div>
    </li>
  );
}

function PolicyEditor({ policy, onClose }: { policy: Policy | null; onClose: () => void }) {
  const calendars = useQuery(calendarsQuery).data ?? [];
  const [form, setForm] = useState<PolicyForm>(() => toForm(policy));
  const [local, setLocal] = useState<Record<string, string>>({});
  const save = useSaving(
    (body: PolicyInput) =>
      policy ? call(api.PATCH('/api/servicedesk/sla-policies/{id}', { params: { path: { id: policy.id } }, body })) : call(api.POST('/api/servicedesk/sla-policies', { body })),
    [sdKeys.policies],
    (p) => `Policy ${p.name} saved${p.recalculated ? `; ${p.recalculated} open tickets re-evaluated` : ''}`,
    { inlineErrors: true },
  );
  const errors = { ...fieldErrors(save.error), ...local };
  const set = (patch: Partial<PolicyForm>) => setForm((f) => ({ ...f, ...patch }));
  const submit = () => {
    const { input, errors: e } = fromForm(form);
    setLocal(e);
    if (input) save.mutate(input, { onSuccess: onClose });
  };
  const unplaced = save.error && !Object.keys(fieldErrors(save.error)).some((k) => k !== '_form') ? errorMessage(save.error) : null;
  return (
    <Dialog
      open
      onOpenChange={(o) => !o && onClose()}
      size="lg"
      title={policy ? `Edit ${policy.name}` : 'New SLA policy'}
      description="The first policy whose conditions all hold applies; the default policy catches the rest."
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" onClick={submit} loading={save.isPending}>
            Save policy
          </Button>
        </>
      }
    >
      <div className="flex flex-col gap-5">
        <div className="grid gap-3 sm:grid-cols-2">
          <Field label="Name" error={errors.name} required>
            <Input value={form.name} onChange={(e) => set({ name: e.target.value })} maxLength={200} />
          </Field>
          <Field label="Business calendar" error={errors.calendarId}>
            <Select value={form.calendarId} onChange={(e) => set({ calendarId: e.target.value })}>
              <option value="">Always open (24/7, UTC)</option>
              {calendars.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name} ({c.timeZone})
                </option>
              ))}
            </Select>
          </Field>
        </div>
        <label className="flex items-center gap-2 text-[13px]">
          <input type="checkbox" checked={form.isDefault} onChange={(e) => set({ isDefault: e.target.checked })} /> Default policy: applies when no other policy matches
        </label>

        <section aria-labelledby="cond-title" className="flex flex-col gap-3">
          <h3 id="cond-title" className="text-[13px] font-semibold">
            Conditions <span className="font-normal text-fg-subtle">(all that are set must hold; leave empty to match anything)</span>
          </h3>
          <Checks legend="Priority" options={POLICY_PRIORITIES.map((p) => ({ value: p, label: TICKET_PRIORITY_LABEL[p] }))} value={form.priority} onChange={(priority) => set({ priority })} />
          <Checks legend="Channel" options={CHANNELS.map((c) => ({ value: c, label: CHANNEL_LABEL[c] }))} value={form.channel} onChange={(channel) => set({ channel })} />
          <div className="grid gap-3 sm:grid-cols-3">
            <Field label="Categories" hint="Comma-separated" error={errors['conditions.category']}>
              <Input value={form.category} onChange={(e) => set({ category: e.target.value })} />
            </Field>
            <Field label="Any of these tags" hint="Comma-separated" error={errors['conditions.tagsAny']}>
              <Input value={form.tagsAny} onChange={(e) => set({ tagsAny: e.target.value })} />
            </Field>
            <Field label="Requester email domains" hint="e.g. bigcorp.example" error={errors['conditions.requesterDomain']}>
              <Input value={form.requesterDomain} onChange={(e) => set({ requesterDomain: e.target.value })} />
            </Field>
          </div>
        </section>

        <section aria-labelledby="targets-title">
          <h3 id="targets-title" className="mb-2 text-[13px] font-semibold">
            Targets <span className="font-normal text-fg-subtle">(business minutes; empty: no clock)</span>
          </h3>
          <table className="w-full text-[13px]">
            <thead className="text-xs text-fg-muted">
              <tr>
                <th scope="col" className="py-1 text-left font-medium">
                  Priority
                </th>
                {TARGET_KINDS.map((k) => (
                  <th key={k} scope="col" className="px-1 py-1 text-left font-medium">
                    {TARGET_LABEL[k]}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {POLICY_PRIORITIES.map((p) => (
                <tr key={p}>
                  <th scope="row" className="py-1 pr-2 text-left font-medium">
                    {TICKET_PRIORITY_LABEL[p]}
                  </th>
                  {TARGET_KINDS.map((k) => {
                    const v = form.targets[p][k];
                    const err = errors[`targets.${p}.${k}`];
                    const n = Number(v);
                    return (
                      <td key={k} className="px-1 py-1 align-top">
                        <Input
                          value={v}
                          onChange={(e) => set({ targets: { ...form.targets, [p]: { ...form.targets[p], [k]: e.target.value } } })}
                          aria-label={`${TICKET_PRIORITY_LABEL[p]} ${TARGET_LABEL[k]} (minutes)`}
                          aria-invalid={err ? true : undefined}
                          inputMode="numeric"
                          placeholder="—"
                          className="tabular"
                        />
                        <p className={cn('mt-0.5 text-[11px]', err ? 'text-red-600 dark:text-red-400' : 'text-fg-subtle')}>{err ?? (v && Number.isInteger(n) && n > 0 ? minutes(n) : '\u00a0')}</p>
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
          {errors.targets ? <p className="text-xs text-red-600 dark:text-red-400">{errors.targets}</p> : null}
        </section>

        <Field label="Warnings at" hint="Percentages of each target at which a warning fires, e.g. 75, 90" error={errors.warningThresholds}>
          <Input value={form.thresholds} onChange={(e) => set({ thresholds: e.target.value })} className="max-w-60" />
        </Field>

        <section aria-labelledby="esc-title">
          <h3 id="esc-title" className="mb-2 text-[13px] font-semibold">
            Escalation levels
          </h3>
          <ol className="mb-2 flex flex-col gap-2">
            {form.escalations.map((e, i) => (
              <EscalationRow
                key={i}
                e={e}
                i={i}
                errors={errors}
                onChange={(x) => set({ escalations: form.escalations.map((y, j) => (j === i ? x : y)) })}
                onRemove={() => set({ escalations: form.escalations.filter((_, j) => j !== i) })}
              />
            ))}
          </ol>
          <Button variant="ghost" size="sm" onClick={() => set({ escalations: [...form.escalations, newEscalation()] })}>
            <Plus aria-hidden="true" /> Escalation level
          </Button>
        </section>
        {unplaced ? <Banner>{unplaced}</Banner> : null}
      </div>
    </Dialog>
  );
}

export function PoliciesTab() {
  const q = useQuery(policiesQuery);
  const calendars = useQuery(calendarsQuery).data ?? [];
  const [editing, setEditing] = useState<Policy | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Policy | null>(null);
  const order = useSaving((ids: string[]) => call(api.PUT('/api/servicedesk/sla-policies/order', { body: { ids } })), [sdKeys.policies], 'Order saved');
  const remove = useSaving((id: string) => call(api.DELETE('/api/servicedesk/sla-policies/{id}', { params: { path: { id } } })), [sdKeys.policies], 'Policy deleted');
  const list = q.data ?? [];
  const ids = list.map((p) => p.id);
  return (
    <Card aria-labelledby="policies-title">
      <CardHeader
        id="policies-title"
        title="SLA policies"
        description="Evaluated in this order: the first match wins. Saving re-evaluates open tickets."
        actions={
          <Button variant="primary" onClick={() => setEditing('new')}>
            <Plus aria-hidden="true" /> New policy
          </Button>
        }
      />
      {q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : q.isLoading ? (
        <SkeletonRows rows={3} />
      ) : !list.length ? (
        <EmptyState icon={<Timer />} title="No SLA policies" description="Without a policy no SLA clock runs. Start with a default policy with targets per priority." />
      ) : (
        <ol className="divide-y divide-line" data-testid="policies">
          {list.map((p, i) => {
            const c = p.conditions as Record<string, string[] | undefined>;
            const conds = [
              c.priority?.length ? `priority ${c.priority.join('/')}` : null,
              c.channel?.length ? `channel ${c.channel.join('/')}` : null,
              c.category?.length ? `category ${c.category.join('/')}` : null,
              c.tagsAny?.length ? `tag ${c.tagsAny.join('/')}` : null,
              c.requesterDomain?.length ? `domain ${c.requesterDomain.join('/')}` : null,
            ].filter(Boolean);
            return (
              <li key={p.id} className="flex items-center gap-3 px-4 py-3" data-testid="policy">
                <span className="w-6 text-right text-[13px] text-fg-subtle tabular">{i + 1}.</span>
                <div className="min-w-0 flex-1">
                  <p className="flex items-center gap-2 text-[13px] font-medium">
                    {p.name}
                    {p.isDefault ? <Badge tone="accent">Default</Badge> : null}
                    <span className="text-xs font-normal text-fg-subtle">{p.calendarId ? (calendars.find((x) => x.id === p.calendarId)?.name ?? 'Calendar') : '24/7'}</span>
                  </p>
                  <p className="truncate text-xs text-fg-muted">{conds.length ? `When ${conds.join(', ')}` : 'Matches every ticket'}</p>
                  <p className="truncate text-xs text-fg-subtle">
                    {targetsSummary(p.targets, minutes)}
                    {p.escalations.length ? ` · ${p.escalations.length} escalation level${p.escalations.length === 1 ? '' : 's'}` : ''}
                  </p>
                </div>
                <Button variant="ghost" size="icon-sm" aria-label={`Move ${p.name} up`} disabled={i === 0 || order.isPending} onClick={() => order.mutate(moveInOrder(ids, p.id, -1))}>
                  <ArrowUp aria-hidden="true" />
                </Button>
                <Button variant="ghost" size="icon-sm" aria-label={`Move ${p.name} down`} disabled={i === list.length - 1 || order.isPending} onClick={() => order.mutate(moveInOrder(ids, p.id, 1))}>
                  <ArrowDown aria-hidden="true" />
                </Button>
                <Button variant="ghost" size="icon-sm" aria-label={`Edit ${p.name}`} onClick={() => setEditing(p)}>
                  <Pencil aria-hidden="true" />
                </Button>
                <Button variant="ghost" size="icon-sm" aria-label={`Delete ${p.name}`} onClick={() => setDeleting(p)}>
                  <Trash2 aria-hidden="true" />
                </Button>
              </li>
            );
          })}
        </ol>
      )}
      {editing ? <PolicyEditor policy={editing === 'new' ? null : editing} onClose={() => setEditing(null)} /> : null}
      <ConfirmDialog
        open={!!deleting}
        onOpenChange={(o) => !o && setDeleting(null)}
        title={`Delete the policy ${deleting?.name ?? ''}?`}
        description="Open tickets it covered are re-evaluated against the remaining policies."
        confirmLabel="Delete"
        pending={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting.id, { onSuccess: () => setDeleting(null) })}
      />
    </Card>
  );
}
