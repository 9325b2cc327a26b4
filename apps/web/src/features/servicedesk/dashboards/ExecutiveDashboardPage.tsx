import { lazy, Suspense, useMemo, useState } from 'react';
import { getRouteApi, useNavigate } from '@tanstack/react-router';
import { useQuery } from '@tanstack/react-query';
import { FileDown, FileSpreadsheet, Inbox } from 'lucide-react';
import { api } from '../../../lib/api';
import { formatDate, formatNumber } from '../../../lib/format';
import { toApiError } from '../../../lib/problem';
import { toast } from '../../../lib/toast';
import { useTopic } from '../../../app/realtime';
import { Button } from '../../../components/ui/button';
import { Card, CardHeader } from '../../../components/ui/card';
import { Page, PageHeader, useDocumentTitle } from '../../../components/ui/page';
import { EmptyState, errorMessage, ErrorState, Skeleton, SkeletonRows } from '../../../components/ui/states';
import { Stat } from '../components';
import { fileNameOf, saveBlob } from '../files';
import { executiveQuery, sinceDays } from '../queries';
import type { PeriodDays } from '../search';
import { BarList, ComplianceList, PeriodSelect } from './common';
import { dailySeries } from './series';

const executiveDeskRoute = getRouteApi('/app/servicedesk/executive');

const TimeChart = lazy(() => import('../../../components/ui/time-chart').then((m) => ({ default: m.TimeChart })));

const BACKLOG: [string, string][] = [
  ['under1d', 'Under a day'],
  ['from1to3d', '1 to 3 days'],
  ['from3to7d', '3 to 7 days'],
  ['over7d', 'Over a week'],
];

/** Downloads the report as CSV or PDF (the API sets the file name). */
async function exportReport(format: 'csv' | 'pdf', from: string) {
  const res = await api.GET('/api/servicedesk/dashboards/executive', { params: { query: { format, from } }, parseAs: 'blob' });
  if (!res.response.ok) throw toApiError(res.error, res.response);
  saveBlob(res.data as unknown as Blob, fileNameOf(res.response.headers.get('content-disposition')) ?? `servicedesk-report.${format}`);
}

export function ExecutiveDashboardPage() {
  useDocumentTitle('Executive');
  useTopic('tickets');
  const search = executiveDeskRoute.useSearch();
  const navigate = useNavigate({ from: '/servicedesk/executive' });
  const days: PeriodDays = search.days ?? 30;
  const [exporting, setExporting] = useState<'csv' | 'pdf' | null>(null);
  const q = useQuery({ ...executiveQuery(days), placeholderData: (prev) => prev });
  const d = q.data;
  const series = useMemo(() => (d ? dailySeries(d.volume, d.period.from, d.period.to) : []), [d]);

  const run = (format: 'csv' | 'pdf') => {
    setExporting(format);
    exportReport(format, sinceDays(days))
      .then(() => toast(`Report downloaded (${format.toUpperCase()})`, { tone: 'success' }))
      .catch((err: unknown) => toast('Export failed', { tone: 'error', description: errorMessage(err) }))
      .finally(() => setExporting(null));
  };

  return (
    <Page>
      <PageHeader
        title="Service desk overview"
        description={d ? `${formatDate(d.period.from)} – ${formatDate(d.period.to)}, read-only analytics for the whole organization.` : 'Read-only analytics for the whole organization.'}
        actions={
          <>
            <PeriodSelect days={days} onChange={(v) => void navigate({ search: v === 30 ? {} : { days: v }, replace: true })} />
            <Button onClick={() => run('csv')} loading={exporting === 'csv'} disabled={!!exporting}>
              <FileSpreadsheet aria-hidden="true" /> Export CSV
            </Button>
            <Button onClick={() => run('pdf')} loading={exporting === 'pdf'} disabled={!!exporting}>
              <FileDown aria-hidden="true" /> Export PDF
            </Button>
          </>
        }
      />
      {q.error && !d ? (
        <Card as="div">
          <ErrorState error={q.error} onRetry={() => void q.refetch()} />
        </Card>
      ) : (
        <div className="flex flex-col gap-4">
          <div className="grid grid-cols-2 gap-3 lg:grid-cols-4">
            <Stat label="Tickets created" value={d ? formatNumber(d.totals.created) : <Skeleton className="h-8 w-16" />} />
            <Stat label="Resolved" value={d ? formatNumber(d.totals.resolved) : <Skeleton className="h-8 w-16" />} hint={d && d.totals.created ? `${Math.round((100 * d.totals.resolved) / d.totals.created)}% of those created` : undefined} />
            <Stat
              label="CSAT"
              value={d ? (d.csat.average === null ? '—' : `${d.csat.average.toFixed(1)} / 5`) : <Skeleton className="h-8 w-16" />}
              hint={d ? `${d.csat.responses} survey response${d.csat.responses === 1 ? '' : 's'}` : undefined}
            />
            <Stat label="Backlog, average age" value={d ? `${formatNumber(d.backlog.averageAgeHours ?? 0)} h` : <Skeleton className="h-8 w-16" />} hint="Open tickets now" />
          </div>
          <Card aria-labelledby="volume-title">
            <CardHeader id="volume-title" title="Volume" description="Tickets created and resolved per day (UTC days)" />
            <div className="px-4 py-4">
              {!d ? (
                <Skeleton className="h-60 w-full" />
              ) : d.totals.created === 0 ? (
                <EmptyState icon={<Inbox />} title="No tickets in the period" />
              ) : (
                <Suspense fallback={<Skeleton className="h-60 w-full" />}>
                  <TimeChart series={series} height={240} ariaLabel={`Tickets created and resolved per day: ${d.totals.created} created and ${d.totals.resolved} resolved over ${days} days`} />
                </Suspense>
              )}
            </div>
          </Card>
          <div className="grid gap-4 lg:grid-cols-3">
            <Card aria-labelledby="exec-compliance-title">
              <CardHeader id="exec-compliance-title" title="SLA compliance" />
              {d ? <ComplianceList compliance={d.compliance} /> : <SkeletonRows rows={3} />}
            </Card>
            <Card aria-labelledby="backlog-title">
              <CardHeader id="backlog-title" title="Backlog by age" description="Open tickets now" />
              {d ? <BarList label="Open tickets by age" rows={BACKLOG.map(([k, label]) => ({ label, value: d.backlog[k] ?? 0 }))} /> : <SkeletonRows rows={4} />}
            </Card>
            <Card aria-labelledby="categories-title">
              <CardHeader id="categories-title" title="Top categories" />
              {!d ? (
                <SkeletonRows rows={4} />
              ) : d.topCategories.length === 0 ? (
                <EmptyState title="No tickets in the period" />
              ) : (
                <BarList label="Tickets by category" rows={d.topCategories.map((c) => ({ label: c.category === '(none)' ? 'No category' : c.category, value: c.tickets }))} />
              )}
            </Card>
          </div>
        </div>
      )}
    </Page>
  );
}
