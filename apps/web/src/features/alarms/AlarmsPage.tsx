import { useEffect, useMemo, useRef, useState } from 'react';
import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { BellOff, Check, CheckCheck, CheckCircle2, SlidersHorizontal, X } from 'lucide-react';
import { api, call } from '../../lib/api';
import { cn } from '../../lib/cn';
import { formatFull, formatNumber, formatRelative } from '../../lib/format';
import { replaceRows, rowsOf, type CachedList } from '../../lib/pages';
import { can } from '../../lib/permissions';
import { keys, useMe, useUserNames } from '../../lib/queries';
import { toast } from '../../lib/toast';
import type { Alarm, Severity } from '../../lib/types';
import type { AlarmsSearch } from '../../app/search';
import { useIsNew } from '../../app/fresh';
import { Badge, SEVERITY_LABEL, SeverityBadge } from '../../components/ui/badge';
import { Button, buttonClass } from '../../components/ui/button';
import { Card } from '../../components/ui/card';
import { LoadMore } from '../../components/ui/data-table';
import { Select } from '../../components/ui/input';
import { Page, PageHeader, useDocumentTitle } from '../../components/ui/page';
import { EmptyState, errorMessage, ErrorState, SkeletonRows } from '../../components/ui/states';
import { alarmPages, type AlarmFilter } from './queries';
import { AlarmSource } from './source';

const alarmsRoute = getRouteApi('/app/alarms');

const VIEWS = [
  { key: 'active', label: 'Active' },
  { key: 'unacknowledged', label: 'Unacknowledged' },
  { key: 'all', label: 'All' },
] as const;
const SEVERITY_RANK: Record<Severity, number> = { critical: 0, major: 1, minor: 2, warning: 3 };

function filterOf(search: AlarmsSearch): AlarmFilter {
  const view = search.view ?? 'active';
  const f: AlarmFilter = view === 'active' ? { active: 'true' } : view === 'unacknowledged' ? { active: 'true', acknowledged: 'false' } : {};
  if (search.severity) f.severity = search.severity;
  return f;
}

function useAlarmAction() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ ids, action }: { ids: string[]; action: 'ack' | 'clear' }) =>
      ids.length === 1
        ? call(action === 'ack' ? api.POST('/api/alarms/{id}/ack', { params: { path: { id: ids[0]! } } }) : api.POST('/api/alarms/{id}/clear', { params: { path: { id: ids[0]! } } })).then((a) => [a])
        : call(api.POST('/api/alarms/bulk', { body: { ids, action } })).then((r) => r.data),
    onSuccess: (updated, { action }) => {
      qc.setQueriesData<CachedList<Alarm>>({ queryKey: keys.alarms }, (old) => replaceRows(old, updated));
      void qc.invalidateQueries({ queryKey: keys.alarms });
      toast(`${updated.length === 1 ? 'Alarm' : `${updated.length} alarms`} ${action === 'ack' ? 'acknowledged' : 'cleared'}`, { tone: 'success' });
    },
    onError: (err) => toast('The action failed', { tone: 'error', description: errorMessage(err) }),
  });
}

function AlarmItem({
  alarm,
  selected,
  onSelect,
  canAct,
  act,
  busy,
  names,
}: {
  alarm: Alarm;
  selected: boolean;
  onSelect: (on: boolean) => void;
  canAct: boolean;
  act: (action: 'ack' | 'clear') => void;
  busy: boolean;
  names: Map<string, string>;
}) {
  const fresh = useIsNew(alarm.id);
  return (
    <li
      className={cn('flex flex-col gap-2 px-3 py-3 sm:flex-row sm:items-center sm:gap-3 sm:px-4', selected && 'bg-accent-soft/50', fresh && 'row-new', !alarm.active && 'opacity-75')}
      data-testid="alarm-row"
      data-alarm-id={alarm.id}
    >
      <div className="flex min-w-0 flex-1 items-start gap-3">
        {canAct ? (
          <input type="checkbox" className="mt-0.5 shrink-0" checked={selected} onChange={(e) => onSelect(e.target.checked)} aria-label={`Select alarm: ${alarm.message}`} />
        ) : null}
        <div className="min-w-0 flex-1">
          <div className="flex flex-wrap items-center gap-2">
            <SeverityBadge severity={alarm.severity} />
            {alarm.acknowledged ? (
              <Badge tone="neutral">
                <Check className="size-3" aria-hidden="true" /> Acknowledged
              </Badge>
            ) : null}
            {!alarm.active ? <Badge tone="green">Cleared</Badge> : null}
          </div>
          <p className="mt-1 text-[13px] font-medium break-words">{alarm.message}</p>
          <p className="mt-0.5 text-xs break-words text-fg-subtle">
            <AlarmSource source={alarm.source} /> · {alarm.metric}
            {alarm.value != null ? ` · last value ${formatNumber(alarm.value)}` : ''} · started{' '}
            <time dateTime={alarm.startedAt} title={formatFull(alarm.startedAt)}>
              {formatRelative(alarm.startedAt)}
            </time>
            {alarm.acknowledgedAt ? ` · acknowledged ${formatRelative(alarm.acknowledgedAt)}${alarm.acknowledgedBy ? ` by ${names.get(alarm.acknowledgedBy) ?? 'someone'}` : ''}` : ''}
            {alarm.clearedAt ? ` · cleared ${formatRelative(alarm.clearedAt)}` : ''}
          </p>
        </div>
      </div>
      {canAct && alarm.active ? (
        <div className="flex shrink-0 gap-2 pl-7 sm:pl-0">
          {!alarm.acknowledged ? (
            <Button size="sm" onClick={() => act('ack')} disabled={busy} className="min-h-9 sm:min-h-0">
              <Check aria-hidden="true" /> Acknowledge
            </Button>
          ) : null}
          <Button size="sm" variant="ghost" onClick={() => act('clear')} disabled={busy} className="min-h-9 sm:min-h-0">
            <X aria-hidden="true" /> Clear
          </Button>
        </div>
      ) : null}
    </li>
  );
}

export function AlarmsPage() {
  useDocumentTitle('Alarms');
  const me = useMe();
  const names = useUserNames();
  const canAct = can(me, 'alarms:ack');
  const canManage = can(me, 'alarms:manage');
  const search = alarmsRoute.useSearch();
  const navigate = useNavigate({ from: '/alarms' });
  const view = search.view ?? 'active';
  const filter = filterOf(search);
  const alarms = useInfiniteQuery(alarmPages(filter));
  const loaded = useMemo(() => rowsOf(alarms.data), [alarms.data]);
  const action = useAlarmAction();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const selectAllRef = useRef<HTMLInputElement>(null);

  const rows = useMemo(
    () =>
      [...loaded].sort(
        (a, b) => Number(b.active) - Number(a.active) || Number(a.acknowledged) - Number(b.acknowledged) || SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || b.startedAt.localeCompare(a.startedAt),
      ),
    [loaded],
  );
  const actionable = rows.filter((a) => a.active);
  // Selection only holds alarms still listed and active.
  const sel = actionable.filter((a) => selected.has(a.id));
  const allOn = actionable.length > 0 && sel.length === actionable.length;
  useEffect(() => {
    if (selectAllRef.current) selectAllRef.current.indeterminate = sel.length > 0 && !allOn;
  }, [sel.length, allOn]);
  useEffect(() => setSelected(new Set()), [view, search.severity]);

  const setSearch = (patch: Partial<AlarmsSearch>) =>
    void navigate({ search: (prev: AlarmsSearch) => Object.fromEntries(Object.entries({ ...prev, ...patch }).filter(([, v]) => v !== undefined)) as AlarmsSearch, replace: true });

  const run = (ids: string[], a: 'ack' | 'clear') =>
    action.mutate(
      { ids, action: a },
      {
        onSuccess: () => setSelected((s) => new Set([...s].filter((id) => !ids.includes(id)))),
      },
    );

  const unacked = loaded.filter((a) => a.active && !a.acknowledged).length;

  return (
    <Page>
      <PageHeader
        title="Alarms"
        description={alarms.data ? `${unacked} unacknowledged · raised by alert rules on incoming telemetry` : 'Raised by alert rules on incoming telemetry'}
        actions={
          <Link to="/alarms/rules" className={buttonClass('secondary')}>
            <SlidersHorizontal aria-hidden="true" /> Alert rules
          </Link>
        }
      />

      <div className="mb-3 flex flex-wrap items-center gap-2">
        <div className="flex rounded-md border border-line bg-surface p-0.5 shadow-card" role="group" aria-label="View">
          {VIEWS.map((v) => (
            <button
              key={v.key}
              type="button"
              aria-pressed={view === v.key}
              onClick={() => setSearch({ view: v.key === 'active' ? undefined : v.key })}
              className={cn('h-7 rounded px-2.5 text-[13px] font-medium', view === v.key ? 'bg-active text-fg' : 'text-fg-muted hover:text-fg')}
            >
              {v.label}
            </button>
          ))}
        </div>
        <Select aria-label="Severity" value={search.severity ?? ''} onChange={(e) => setSearch({ severity: (e.target.value || undefined) as Severity | undefined })} className="w-40">
          <option value="">Any severity</option>
          {(['critical', 'major', 'minor', 'warning'] as Severity[]).map((s) => (
            <option key={s} value={s}>
              {SEVERITY_LABEL[s]}
            </option>
          ))}
        </Select>
      </div>

      <Card as="div" className="overflow-hidden">
        {canAct && actionable.length > 0 ? (
          <div className={cn('flex min-h-11 flex-wrap items-center gap-2 border-b border-line px-3 py-1.5 sm:px-4', sel.length > 0 ? 'bg-accent-soft/60' : 'bg-app/60')}>
            <label className="flex items-center gap-3 text-[13px] text-fg-muted">
              <input
                ref={selectAllRef}
                type="checkbox"
                checked={allOn}
                onChange={(e) => setSelected(e.target.checked ? new Set(actionable.map((a) => a.id)) : new Set())}
                aria-label="Select all active alarms"
              />
              {sel.length > 0 ? <span className="font-medium text-fg">{sel.length} selected</span> : <span>Select all</span>}
            </label>
            {sel.length > 0 ? (
              <div className="ml-auto flex gap-2" role="toolbar" aria-label="Bulk actions">
                <Button size="sm" variant="primary" loading={action.isPending} onClick={() => run(sel.filter((a) => !a.acknowledged).map((a) => a.id), 'ack')} disabled={sel.every((a) => a.acknowledged)}>
                  <CheckCheck aria-hidden="true" /> Acknowledge
                </Button>
                <Button size="sm" onClick={() => run(sel.map((a) => a.id), 'clear')} disabled={action.isPending}>
                  <X aria-hidden="true" /> Clear
                </Button>
              </div>
            ) : null}
          </div>
        ) : null}
        {alarms.error ? (
          <ErrorState error={alarms.error} onRetry={() => void alarms.refetch()} />
        ) : alarms.isLoading ? (
          <SkeletonRows rows={5} />
        ) : rows.length === 0 ? (
          view === 'all' && !search.severity ? (
            <EmptyState
              icon={<BellOff />}
              title="No alarms, ever"
              description="Alarms appear here when incoming telemetry meets an alert rule."
              action={
                <Link to="/alarms/rules" className={buttonClass(canManage ? 'primary' : 'secondary')}>
                  {canManage ? 'Create an alert rule' : 'See the alert rules'}
                </Link>
              }
            />
          ) : (
            <EmptyState icon={<CheckCircle2 />} title="All clear" description={search.severity ? `No ${SEVERITY_LABEL[search.severity].toLowerCase()} alarms in this view.` : 'No alarm needs attention.'} />
          )
        ) : (
          <ul className="divide-y divide-line" data-testid="alarm-list">
            {rows.map((a) => (
              <AlarmItem
                key={a.id}
                alarm={a}
                names={names}
                selected={selected.has(a.id)}
                onSelect={(on) =>
                  setSelected((s) => {
                    const n = new Set(s);
                    if (on) n.add(a.id);
                    else n.delete(a.id);
                    return n;
                  })
                }
                canAct={canAct}
                busy={action.isPending}
                act={(x) => run([a.id], x)}
              />
            ))}
          </ul>
        )}
      </Card>
      <LoadMore count={loaded.length} noun={['alarm', 'alarms']} hasMore={alarms.hasNextPage} loading={alarms.isFetchingNextPage} onMore={() => void alarms.fetchNextPage()} />
    </Page>
  );
}
