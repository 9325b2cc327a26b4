import { useMemo, useSyncExternalStore, type ReactNode } from 'react';
import { Link } from '@tanstack/react-router';
import { useQuery } from '@tanstack/react-query';
import { Activity, AlertTriangle, ArrowRight, CheckCircle2, CircleDot, Clock, Gauge, Radio, Siren } from 'lucide-react';
import { api, call } from '../../lib/api';
import { cn } from '../../lib/cn';
import { formatDuration, formatFull, formatNumber, formatPercent, formatRelative } from '../../lib/format';
import { liveSeries, subscribeLive } from '../../lib/live-telemetry';
import { can } from '../../lib/permissions';
import { keys, useMe, useUserNames } from '../../lib/queries';
import type { Kpis, OperationStatus, SeriesInfo } from '../../lib/types';
import { useTopic } from '../../app/realtime';
import { useIsNew } from '../../app/fresh';
import { SeverityBadge, STATUS_COLOR, STATUS_LABEL } from '../../components/ui/badge';
import { Card, CardHeader } from '../../components/ui/card';
import { Page, PageHeader, useDocumentTitle } from '../../components/ui/page';
import { Sparkline } from '../../components/ui/sparkline';
import { EmptyState, ErrorState, Skeleton, SkeletonRows } from '../../components/ui/states';
import { activeAlarmsQuery } from '../alarms/queries';
import { AlarmSource } from '../alarms/source';
import { ServiceDeskSummary } from './ServiceDeskSummary';
import { Timeline } from '../activity';
import { kpisQuery, latestTelemetryQuery, recentActivityQuery } from './queries';

function greeting(d = new Date()) {
  const h = d.getHours();
  return h < 5 ? 'Good evening' : h < 12 ? 'Good morning' : h < 18 ? 'Good afternoon' : 'Good evening';
}

function KpiCard({ label, value, sub, icon, tone, loading }: { label: string; value: ReactNode; sub?: ReactNode; icon: ReactNode; tone?: 'red' | 'green'; loading?: boolean }) {
  return (
    <Card as="div" className="p-4">
      <div className="flex items-center gap-2 text-[13px] font-medium text-fg-muted">
        <span className="text-fg-subtle [&_svg]:size-4" aria-hidden="true">
          {icon}
        </span>
        {label}
      </div>
      {loading ? (
        <Skeleton className="mt-3 h-7 w-20" />
      ) : (
        <p className={cn('mt-2 text-[26px] leading-8 font-semibold tracking-[-0.02em] tabular', tone === 'red' && 'text-red-600 dark:text-red-400', tone === 'green' && 'text-emerald-600 dark:text-emerald-400')}>
          {value}
        </p>
      )}
      <p className="mt-1 truncate text-xs text-fg-subtle">{loading ? '\u00a0' : sub}</p>
    </Card>
  );
}

function Kpis({ kpis, loading }: { kpis: Kpis | undefined; loading: boolean }) {
  const active = kpis ? kpis.byStatus.pending + kpis.byStatus.in_progress : 0;
  return (
    <div className="grid grid-cols-2 gap-3 lg:grid-cols-4" data-testid="kpis">
      <KpiCard label="Active operations" icon={<Activity />} loading={loading} value={formatNumber(active)} sub={kpis ? `${formatNumber(kpis.byStatus.in_progress)} in progress · ${formatNumber(kpis.byStatus.pending)} pending` : null} />
      <KpiCard
        label="Completed, 30 days"
        icon={<CheckCircle2 />}
        loading={loading}
        value={formatNumber(kpis?.completedInWindow)}
        sub={kpis?.meanTimeToCompleteSeconds != null ? `Mean time to complete ${formatDuration(kpis.meanTimeToCompleteSeconds)}` : 'No completions yet'}
      />
      <KpiCard label="On-time rate" icon={<Clock />} loading={loading} value={formatPercent(kpis?.onTimeRate)} sub="Completed before their end date" tone={kpis?.onTimeRate != null && kpis.onTimeRate >= 0.9 ? 'green' : undefined} />
      <KpiCard label="Overdue" icon={<AlertTriangle />} loading={loading} value={formatNumber(kpis?.overdue)} sub="Open past their end date" tone={kpis && kpis.overdue > 0 ? 'red' : undefined} />
    </div>
  );
}

const ORDER: OperationStatus[] = ['in_progress', 'pending', 'completed', 'failed'];

function StatusBreakdown({ kpis, loading, error, retry }: { kpis: Kpis | undefined; loading: boolean; error: unknown; retry: () => void }) {
  const total = kpis ? ORDER.reduce((n, s) => n + kpis.byStatus[s], 0) : 0;
  return (
    <Card className="lg:col-span-5" aria-labelledby="by-status">
      <CardHeader
        id="by-status"
        title="Operations by status"
        description={kpis ? `${formatNumber(total)} operation${total === 1 ? '' : 's'}` : undefined}
        actions={
          <Link to="/operations" className="text-xs font-medium text-accent hover:underline">
            View all
          </Link>
        }
      />
      <div className="p-4">
        {error ? (
          <ErrorState error={error} onRetry={retry} />
        ) : loading || !kpis ? (
          <div className="space-y-3">
            <Skeleton className="h-2.5 w-full" />
            {ORDER.map((s) => (
              <Skeleton key={s} className="h-4 w-3/4" />
            ))}
          </div>
        ) : total === 0 ? (
          <EmptyState icon={<CircleDot />} title="No operations yet" description="Operations you create appear here by status." className="py-6" />
        ) : (
          <>
            <div className="flex h-2.5 w-full overflow-hidden rounded-full bg-hover" role="img" aria-label={ORDER.map((s) => `${STATUS_LABEL[s]} ${kpis.byStatus[s]}`).join(', ')}>
              {ORDER.map((s) =>
                kpis.byStatus[s] ? <div key={s} className={cn('h-full', STATUS_COLOR[s])} style={{ width: `${(kpis.byStatus[s] / total) * 100}%` }} /> : null,
              )}
            </div>
            <ul className="mt-4 divide-y divide-line">
              {ORDER.map((s) => (
                <li key={s}>
                  <Link to="/operations" search={{ status: [s] }} className="-mx-2 flex items-center gap-2.5 rounded-md px-2 py-2 text-[13px] hover:bg-hover">
                    <span className={cn('size-2 rounded-full', STATUS_COLOR[s])} aria-hidden="true" />
                    <span className="text-fg-muted">{STATUS_LABEL[s]}</span>
                    <span className="ml-auto font-medium tabular">{formatNumber(kpis.byStatus[s])}</span>
                    <span className="w-10 text-right text-xs text-fg-subtle tabular">{formatPercent(kpis.byStatus[s] / total)}</span>
                  </Link>
                </li>
              ))}
            </ul>
            {kpis.resourceUtilisation != null ? (
              <p className="mt-3 flex items-center gap-1.5 border-t border-line pt-3 text-xs text-fg-subtle">
                <Gauge className="size-3.5" aria-hidden="true" /> Resource utilisation {formatPercent(kpis.resourceUtilisation)} over 30 days
              </p>
            ) : null}
          </>
        )}
      </div>
    </Card>
  );
}

function AlarmRow({ alarm }: { alarm: import('../../lib/types').Alarm }) {
  const fresh = useIsNew(alarm.id);
  return (
    <li className={cn('flex items-center gap-3 px-4 py-2.5', fresh && 'row-new')}>
      <SeverityBadge severity={alarm.severity} />
      <div className="min-w-0 flex-1">
        <p className="truncate text-[13px] font-medium">{alarm.message}</p>
        <p className="truncate text-xs text-fg-subtle">
          <AlarmSource source={alarm.source} /> · {alarm.metric}
          {alarm.value != null ? ` · ${formatNumber(alarm.value)}` : ''}
        </p>
      </div>
      <div className="shrink-0 text-right">
        <time dateTime={alarm.startedAt} title={formatFull(alarm.startedAt)} className="block text-xs text-fg-subtle">
          {formatRelative(alarm.startedAt)}
        </time>
        {alarm.acknowledged ? <span className="text-[11px] text-fg-subtle">Acknowledged</span> : null}
      </div>
    </li>
  );
}

function ActiveAlarms({ wide }: { wide: boolean }) {
  const { data, isLoading, error, refetch } = useQuery(activeAlarmsQuery);
  const alarms = data?.data ?? [];
  const open = alarms.filter((a) => !a.acknowledged).length;
  return (
    <Card className={wide ? 'lg:col-span-12' : 'lg:col-span-7'} aria-labelledby="active-alarms">
      <CardHeader
        id="active-alarms"
        title="Active alarms"
        description={data ? (alarms.length ? `${alarms.length}${data.nextCursor ? '+' : ''} active · ${open}${data.nextCursor ? '+' : ''} unacknowledged` : 'All clear') : undefined}
        actions={
          <Link to="/alarms" className="text-xs font-medium text-accent hover:underline">
            Open alarms
          </Link>
        }
      />
      {error ? (
        <ErrorState error={error} onRetry={() => void refetch()} />
      ) : isLoading ? (
        <SkeletonRows rows={4} />
      ) : alarms.length === 0 ? (
        <EmptyState icon={<CheckCircle2 />} title="No active alarms" description="Alarms raised by alert rules show up here the moment they fire." />
      ) : (
        <ul className="divide-y divide-line" data-testid="dashboard-alarms">
          {alarms.slice(0, 6).map((a) => (
            <AlarmRow key={a.id} alarm={a} />
          ))}
          {alarms.length > 6 ? (
            <li className="px-4 py-2 text-xs">
              <Link to="/alarms" className="inline-flex items-center gap-1 font-medium text-accent hover:underline">
                {alarms.length - 6} more <ArrowRight className="size-3" aria-hidden="true" />
              </Link>
            </li>
          ) : null}
        </ul>
      )}
    </Card>
  );
}

function SeriesTile({ s }: { s: SeriesInfo }) {
  const since = useMemo(() => new Date(Date.now() - 30 * 60_000).toISOString(), []);
  const scope = s.deviceId ? { deviceId: s.deviceId } : s.operationId ? { operationId: s.operationId } : null;
  const { data } = useQuery({
    queryKey: [...keys.telemetry, 'spark', s.id],
    queryFn: () => call(api.GET('/api/telemetry', { params: { query: { ...scope!, metric: s.metric, from: since, interval: '1m', agg: 'avg' } } })),
    enabled: !!scope,
    staleTime: 5 * 60_000,
  });
  const live = useSyncExternalStore(subscribeLive, () => liveSeries(s.id));
  const points = useMemo(() => {
    const base = (data?.buckets ?? []).filter((b) => b.seriesId === s.id && b.value != null).map((b) => ({ t: Date.parse(b.t), v: b.value! }));
    const lastBase = base.length ? base[base.length - 1]!.t : -Infinity;
    return [...base, ...live.filter((p) => p.t > lastBase)];
  }, [data, live, s.id]);
  const latest = live.length ? live[live.length - 1]! : s.lastTs && s.lastValue != null ? { t: Date.parse(s.lastTs), v: s.lastValue } : null;
  return (
    <div className="flex min-w-0 flex-col rounded-md border border-line bg-surface p-3" data-testid="spark-tile">
      <div className="flex items-baseline justify-between gap-2">
        <p className="truncate text-xs font-medium text-fg-muted" title={s.metric}>
          {s.metric}
        </p>
        {latest && Date.now() - latest.t < 120_000 ? (
          <span className="flex items-center gap-1 text-[10.5px] font-medium text-emerald-600 dark:text-emerald-400">
            <span className="size-1.5 rounded-full bg-emerald-500 pulse" aria-hidden="true" /> live
          </span>
        ) : null}
      </div>
      <p className="mt-1 text-lg leading-6 font-semibold tabular">
        {latest ? formatNumber(latest.v) : '—'}
        {s.unit ? <span className="ml-1 text-xs font-normal text-fg-subtle">{s.unit}</span> : null}
      </p>
      {s.deviceId || s.operationId ? (
        <p className="truncate text-[11px] text-fg-subtle" data-testid="spark-source">
          <AlarmSource source={s.deviceId ? `device:${s.deviceId}` : `operation:${s.operationId}`} />
        </p>
      ) : null}
      <Sparkline points={points} label={s.metric} height={36} className="mt-2" />
      <p className="mt-1 truncate text-[11px] text-fg-subtle">{latest ? `Updated ${formatRelative(latest.t)}` : 'No data yet'}</p>
    </div>
  );
}

function LiveTelemetry({ wide }: { wide: boolean }) {
  useTopic('telemetry');
  const { data, isLoading, error, refetch } = useQuery(latestTelemetryQuery);
  const series = useMemo(
    () =>
      [...(data?.data ?? [])]
        .sort((a, b) => (b.lastTs ? Date.parse(b.lastTs) : 0) - (a.lastTs ? Date.parse(a.lastTs) : 0))
        .slice(0, 6),
    [data],
  );
  return (
    <Card className={wide ? 'lg:col-span-12' : 'lg:col-span-8'} aria-labelledby="live-telemetry">
      <CardHeader id="live-telemetry" title="Live telemetry" description={data ? `${data.data.length} series · most recent first` : undefined} />
      <div className="p-4">
        {error ? (
          <ErrorState error={error} onRetry={() => void refetch()} />
        ) : isLoading ? (
          <div className="grid grid-cols-2 gap-3 xl:grid-cols-3">
            {Array.from({ length: 3 }, (_, i) => (
              <Skeleton key={i} className="h-[118px]" />
            ))}
          </div>
        ) : series.length === 0 ? (
          <EmptyState icon={<Radio />} title="No telemetry yet" description="Devices and integrations send points to POST /api/telemetry or over MQTT; they stream in here live." />
        ) : (
          <div className="grid grid-cols-2 gap-3 xl:grid-cols-3">
            {series.map((s) => (
              <SeriesTile key={s.id} s={s} />
            ))}
          </div>
        )}
      </div>
    </Card>
  );
}

function RecentActivity() {
  const names = useUserNames();
  const { data, isLoading, error, refetch } = useQuery(recentActivityQuery);
  return (
    <Card className="lg:col-span-4" aria-labelledby="recent-activity">
      <CardHeader id="recent-activity" title="Recent activity" description="From the audit log" />
      <div className="p-4">
        {error ? (
          <ErrorState error={error} onRetry={() => void refetch()} />
        ) : isLoading ? (
          <div className="space-y-4">
            {Array.from({ length: 5 }, (_, i) => (
              <Skeleton key={i} className="h-8 w-full" />
            ))}
          </div>
        ) : (
          <Timeline entries={data?.data ?? []} names={names} compact empty={<EmptyState icon={<Activity />} title="Nothing yet" description="Changes across the organization appear here." />} />
        )}
      </div>
    </Card>
  );
}

export function DashboardPage() {
  useDocumentTitle('Dashboard');
  const me = useMe();
  const canOps = can(me, 'operations:read');
  const kpis = useQuery({ ...kpisQuery, enabled: canOps });
  const firstName = me.name.split(/\s+/)[0] ?? me.name;
  return (
    <Page>
      <PageHeader
        title={`${greeting()}, ${firstName}`}
        description={`Here is what is happening in ${me.org.name} right now.`}
        actions={
          can(me, 'alarms:read') ? (
            <Link to="/alarms" className="inline-flex h-8 items-center gap-1.5 rounded-md border border-line bg-surface px-3 text-[13px] font-medium shadow-card hover:bg-hover">
              <Siren className="size-4 text-fg-subtle" aria-hidden="true" /> Alarms
            </Link>
          ) : undefined
        }
      />
      <div className="flex flex-col gap-4">
        {canOps ? <Kpis kpis={kpis.data} loading={kpis.isLoading} /> : null}
        <div className="grid grid-cols-1 gap-4 lg:grid-cols-12">
          {canOps ? <StatusBreakdown kpis={kpis.data} loading={kpis.isLoading} error={kpis.error} retry={() => void kpis.refetch()} /> : null}
          {can(me, 'alarms:read') ? <ActiveAlarms wide={!canOps} /> : null}
          {me.permissions['servicedesk:analytics'] === 'any' ? <ServiceDeskSummary /> : null}
        </div>
        <div className="grid grid-cols-1 items-start gap-4 lg:grid-cols-12">
          {can(me, 'telemetry:read') ? <LiveTelemetry wide={!can(me, 'audit:read')} /> : null}
          {can(me, 'audit:read') ? <RecentActivity /> : null}
        </div>
      </div>
    </Page>
  );
}
