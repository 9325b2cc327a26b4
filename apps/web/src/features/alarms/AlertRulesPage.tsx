import { useState, type FormEvent } from 'react';
import { Link } from '@tanstack/react-router';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ChevronRight, MoreHorizontal, Plus, SlidersHorizontal } from 'lucide-react';
import { api, call } from '../../lib/api';
import { nextPages, pageRequest, rowsOf } from '../../lib/pages';
import { can } from '../../lib/permissions';
import { errorFor, fieldErrors } from '../../lib/problem';
import { devicesQuery, keys, useMe } from '../../lib/queries';
import { toast } from '../../lib/toast';
import type { AlertRule, Severity } from '../../lib/types';
import { Badge, SEVERITY_LABEL, SeverityBadge } from '../../components/ui/badge';
import { Button } from '../../components/ui/button';
import { DataTable, LoadMore, TableCard, type Column } from '../../components/ui/data-table';
import { ConfirmDialog, Dialog } from '../../components/ui/dialog';
import { Field, Input, Select } from '../../components/ui/input';
import { Menu, MenuContent, MenuItem, MenuTrigger } from '../../components/ui/menu';
import { Page, PageHeader, useDocumentTitle } from '../../components/ui/page';
import { Banner, EmptyState, errorMessage, NoAccess } from '../../components/ui/states';
import { operationNamesQuery } from '../operations/queries';
import { describeRule, emptyRule, KIND_HELP, KIND_LABEL, numberErrors, ruleBody, ruleToForm, type RuleForm, type RuleKind } from './rules';

/** The fields the form shows for a kind: an error on any other goes to the banner above the form. */
const fieldsOf = (kind: RuleKind) =>
  ['name', 'metric', 'kind', 'durationSeconds', 'severity', 'deviceId', 'operationId', ...(kind === 'threshold' ? ['direction'] : []), ...(kind === 'no_data' ? [] : ['threshold'])];

/** Create or edit a rule. Validation is the API's: its problem+json errors land on their fields. */
function RuleEditor({ rule, onDone, onCancel }: { rule: AlertRule | null; onDone: (r: AlertRule) => void; onCancel: () => void }) {
  const me = useMe();
  const qc = useQueryClient();
  const ops = useQuery({ ...operationNamesQuery, enabled: can(me, 'operations:read') });
  const devices = useQuery({ ...devicesQuery, enabled: can(me, 'devices:read') });
  const [f, setF] = useState<RuleForm>(rule ? ruleToForm(rule) : emptyRule);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const set = <K extends keyof RuleForm>(k: K, v: RuleForm[K]) => setF((prev) => ({ ...prev, [k]: v }));
  const save = useMutation({
    mutationFn: () => {
      const body = ruleBody(f);
      return rule ? call(api.PATCH('/api/alert-rules/{id}', { params: { path: { id: rule.id } }, body })) : call(api.POST('/api/alert-rules', { body }));
    },
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: keys.alertRules });
      toast(rule ? 'Alert rule saved' : 'Alert rule created', { tone: 'success', description: r.name });
      onDone(r);
    },
    onError: (err) => {
      const fe = fieldErrors(err);
      setErrors(fe);
      const shown = fieldsOf(f.kind);
      const placed = Object.keys(fe).length > 0 && Object.keys(fe).every((k) => shown.some((p) => k === p || k.startsWith(p + '.')));
      setFormError(placed ? null : errorMessage(err));
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFormError(null);
    const local = numberErrors(f);
    setErrors(local);
    if (Object.keys(local).length === 0) save.mutate();
  };
  const showThreshold = f.kind !== 'no_data';
  return (
    <form onSubmit={submit} noValidate className="flex flex-col gap-4" data-testid="alert-rule-form">
      {formError ? <Banner>{formError}</Banner> : null}
      <Field label="Name" required error={errorFor(errors, 'name')}>
        <Input name="name" value={f.name} onChange={(e) => set('name', e.target.value)} autoFocus autoComplete="off" placeholder="Boiler too hot" maxLength={200} />
      </Field>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Metric" required hint="As the devices send it, e.g. temperature_c" error={errorFor(errors, 'metric')}>
          <Input name="metric" value={f.metric} onChange={(e) => set('metric', e.target.value)} autoComplete="off" placeholder="temperature_c" />
        </Field>
        <Field label="Kind" error={errorFor(errors, 'kind')} hint={KIND_HELP[f.kind]}>
          <Select name="kind" value={f.kind} onChange={(e) => set('kind', e.target.value as RuleKind)}>
            {(Object.keys(KIND_LABEL) as RuleKind[]).map((k) => (
              <option key={k} value={k}>
                {KIND_LABEL[k]}
              </option>
            ))}
          </Select>
        </Field>
        {f.kind === 'threshold' ? (
          <Field label="Direction" required error={errorFor(errors, 'direction')}>
            <Select name="direction" value={f.direction} onChange={(e) => set('direction', e.target.value as RuleForm['direction'])}>
              <option value="" disabled>
                Choose a direction
              </option>
              <option value="above">Above the threshold</option>
              <option value="below">Below the threshold</option>
            </Select>
          </Field>
        ) : null}
        {showThreshold ? (
          <Field
            label={f.kind === 'rate_of_change' ? 'Change per second' : f.kind === 'anomaly' ? 'Score threshold' : 'Threshold'}
            required
            hint={f.kind === 'anomaly' ? 'Above 0, at most 1' : f.kind === 'rate_of_change' ? '0 or more, up or down' : undefined}
            error={errorFor(errors, 'threshold')}
          >
            <Input name="threshold" inputMode="decimal" value={f.threshold} onChange={(e) => set('threshold', e.target.value)} placeholder={f.kind === 'anomaly' ? '0.6' : '90'} />
          </Field>
        ) : null}
        <Field label={f.kind === 'no_data' ? 'Silent for (seconds)' : 'Holds for (seconds)'} required={f.kind === 'no_data'} hint={f.kind === 'no_data' ? 'More than 0' : '0 raises at once'} error={errorFor(errors, 'durationSeconds')}>
          <Input name="durationSeconds" inputMode="numeric" value={f.durationSeconds} onChange={(e) => set('durationSeconds', e.target.value)} />
        </Field>
        <Field label="Severity" error={errorFor(errors, 'severity')}>
          <Select name="severity" value={f.severity} onChange={(e) => set('severity', e.target.value as Severity)}>
            {(['critical', 'major', 'minor', 'warning'] as Severity[]).map((s) => (
              <option key={s} value={s}>
                {SEVERITY_LABEL[s]}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Device" hint="Empty: every device" error={errorFor(errors, 'deviceId')}>
          <Select name="deviceId" value={f.deviceId} onChange={(e) => set('deviceId', e.target.value)}>
            <option value="">Any device</option>
            {(devices.data?.data ?? []).map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Operation" hint="Empty: every operation" error={errorFor(errors, 'operationId')}>
          <Select name="operationId" value={f.operationId} onChange={(e) => set('operationId', e.target.value)}>
            <option value="">Any operation</option>
            {(ops.data?.data ?? []).map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </Select>
        </Field>
      </div>
      <label className="flex items-center gap-2 text-[13px]">
        <input type="checkbox" name="enabled" checked={f.enabled} onChange={(e) => set('enabled', e.target.checked)} />
        Enabled: evaluated on incoming telemetry
      </label>
      <div className="flex justify-end gap-2 border-t border-line pt-3">
        <Button onClick={onCancel}>Cancel</Button>
        <Button variant="primary" type="submit" loading={save.isPending}>
          {rule ? 'Save changes' : 'Create rule'}
        </Button>
      </div>
    </form>
  );
}

export function AlertRulesPage() {
  useDocumentTitle('Alert rules');
  const me = useMe();
  const qc = useQueryClient();
  const allowed = can(me, 'alarms:read');
  const manage = can(me, 'alarms:manage');
  const rules = useInfiniteQuery({
    queryKey: [...keys.alertRules, 'pages'],
    queryFn: ({ pageParam }) => call(api.GET('/api/alert-rules', { params: { query: pageRequest(pageParam) } })),
    ...nextPages,
    enabled: allowed,
  });
  const devices = useQuery({ ...devicesQuery, enabled: allowed && can(me, 'devices:read') });
  const ops = useQuery({ ...operationNamesQuery, enabled: allowed && can(me, 'operations:read') });
  const [editing, setEditing] = useState<AlertRule | 'new' | null>(null);
  const [deleting, setDeleting] = useState<AlertRule | null>(null);
  const remove = useMutation({
    mutationFn: (r: AlertRule) => call(api.DELETE('/api/alert-rules/{id}', { params: { path: { id: r.id } } })),
    onSuccess: (_x, r) => {
      void qc.invalidateQueries({ queryKey: keys.alertRules });
      setDeleting(null);
      toast('Alert rule deleted', { tone: 'success', description: `${r.name}: its alarms stay in the list.` });
    },
    onError: (err) => {
      setDeleting(null);
      toast('The rule was not deleted', { tone: 'error', description: errorMessage(err) });
    },
  });

  if (!allowed) return <NoAccess what="alert rules" />;
  const rows = rowsOf(rules.data);
  const deviceName = new Map((devices.data?.data ?? []).map((d) => [d.id, d.name]));
  const opName = new Map((ops.data?.data ?? []).map((o) => [o.id, o.name]));

  const columns: Column<AlertRule>[] = [
    {
      id: 'name',
      header: 'Rule',
      className: 'max-w-0',
      cell: (r) => (
        <>
          <p className="truncate font-medium">{r.name}</p>
          <p className="truncate text-xs text-fg-subtle">
            <code className="font-mono">{r.metric}</code> · {KIND_LABEL[r.kind]}
          </p>
        </>
      ),
    },
    { id: 'condition', header: 'Condition', width: 'w-56', className: 'text-fg-muted', cell: (r) => describeRule(r) },
    {
      id: 'scope',
      header: 'Applies to',
      width: 'w-48',
      hideBelow: 'lg',
      className: 'max-w-0 truncate text-fg-muted',
      cell: (r) =>
        [r.deviceId ? (deviceName.get(r.deviceId) ?? 'A device') : null, r.operationId ? (opName.get(r.operationId) ?? 'An operation') : null].filter(Boolean).join(' · ') || 'Every source',
    },
    { id: 'severity', header: 'Severity', width: 'w-28', cell: (r) => <SeverityBadge severity={r.severity} /> },
    { id: 'enabled', header: 'State', width: 'w-24', cell: (r) => (r.enabled ? <Badge tone="green">Enabled</Badge> : <Badge>Disabled</Badge>) },
    {
      id: 'actions',
      header: 'Actions',
      headerHidden: true,
      width: 'w-14',
      className: 'px-2 text-right',
      cell: (r) =>
        manage ? (
          <Menu>
            <MenuTrigger asChild>
              <Button variant="ghost" size="icon-sm" aria-label={`Actions for ${r.name}`}>
                <MoreHorizontal aria-hidden="true" />
              </Button>
            </MenuTrigger>
            <MenuContent>
              <MenuItem onSelect={() => setEditing(r)}>Edit rule</MenuItem>
              <MenuItem danger onSelect={() => setDeleting(r)}>
                Delete rule
              </MenuItem>
            </MenuContent>
          </Menu>
        ) : null,
    },
  ];

  return (
    <Page>
      <PageHeader
        breadcrumb={
          <nav aria-label="Breadcrumb" className="flex items-center gap-1">
            <Link to="/alarms" className="hover:text-fg">
              Alarms
            </Link>
            <ChevronRight className="size-3.5" aria-hidden="true" />
            Alert rules
          </nav>
        }
        title="Alert rules"
        description="Each rule watches one metric on incoming telemetry and raises an alarm when its condition holds."
        actions={
          manage ? (
            <Button variant="primary" onClick={() => setEditing('new')}>
              <Plus aria-hidden="true" /> New rule
            </Button>
          ) : undefined
        }
      />
      <TableCard
        error={rules.error && !rules.data ? rules.error : null}
        onRetry={() => void rules.refetch()}
        loading={rules.isLoading}
        empty={
          rows.length ? null : (
            <EmptyState
              icon={<SlidersHorizontal />}
              title="No alert rules yet"
              description={manage ? 'Create a rule: a threshold, a rate of change, an anomaly score or silence on a metric raises an alarm.' : 'Those who manage alarms create rules here.'}
              action={
                manage ? (
                  <Button variant="primary" onClick={() => setEditing('new')}>
                    <Plus aria-hidden="true" /> New rule
                  </Button>
                ) : undefined
              }
            />
          )
        }
      >
        <DataTable caption="Alert rules" testId="alert-rules-table" rowTestId="alert-rule-row" columns={columns} rows={rows} rowKey={(r) => r.id} />
      </TableCard>
      <LoadMore count={rows.length} noun={['rule', 'rules']} hasMore={rules.hasNextPage} loading={rules.isFetchingNextPage} onMore={() => void rules.fetchNextPage()} />
      {editing ? (
        <Dialog open onOpenChange={(o) => !o && setEditing(null)} title={editing === 'new' ? 'New alert rule' : `Edit ${editing.name}`} size="lg">
          <RuleEditor rule={editing === 'new' ? null : editing} onDone={() => setEditing(null)} onCancel={() => setEditing(null)} />
        </Dialog>
      ) : null}
      <ConfirmDialog
        open={!!deleting}
        onOpenChange={(o) => !o && setDeleting(null)}
        title={`Delete ${deleting?.name ?? ''}?`}
        description="The rule stops raising alarms at once. Alarms it raised stay in the list."
        confirmLabel="Delete rule"
        pending={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting)}
      />
    </Page>
  );
}
