import { Link } from '@tanstack/react-router';
import { useQuery } from '@tanstack/react-query';
import { formatNumber } from '../../lib/format';
import { useTopic } from '../../app/realtime';
import { Card, CardHeader } from '../../components/ui/card';
import { ErrorState, SkeletonRows } from '../../components/ui/states';
import { ComplianceList } from '../servicedesk/dashboards/common';
import { executiveQuery } from '../servicedesk/queries';

/**
 * The service desk on the home page of whoever reads its analytics for the whole organization
 * (executives, administrators): the last 30 days in figures and SLA compliance, with a link to the
 * executive dashboard.
 */
export function ServiceDeskSummary() {
  useTopic('tickets');
  const { data, isLoading, error, refetch } = useQuery({ ...executiveQuery(30), staleTime: 60_000 });
  // The backlog's age buckets (the report also carries their average age).
  const backlog = data ? (['under1d', 'from1to3d', 'from3to7d', 'over7d'] as const).reduce((n, k) => n + (data.backlog[k] ?? 0), 0) : 0;
  const figures = data
    ? [
        { label: 'Tickets created', value: formatNumber(data.totals.created) },
        { label: 'Resolved', value: formatNumber(data.totals.resolved) },
        { label: 'CSAT', value: data.csat.average === null ? '—' : `${data.csat.average.toFixed(1)} / 5` },
      ]
    : [];
  return (
    <Card className="lg:col-span-12" aria-labelledby="service-desk-summary" data-testid="service-desk-summary">
      <CardHeader
        id="service-desk-summary"
        title="Service desk"
        description="Last 30 days"
        actions={
          <Link to="/servicedesk/executive" className="text-xs font-medium text-accent hover:underline">
            Open overview
          </Link>
        }
      />
      {error ? (
        <ErrorState error={error} onRetry={() => void refetch()} />
      ) : isLoading || !data ? (
        <SkeletonRows rows={3} />
      ) : (
        <div className="grid grid-cols-1 md:grid-cols-[minmax(0,1fr)_minmax(0,1.4fr)]">
          <dl className="grid grid-cols-2 content-start gap-x-4 gap-y-4 px-4 py-4">
            {figures.map((f) => (
              <div key={f.label}>
                <dt className="text-xs text-fg-muted">{f.label}</dt>
                <dd className="text-lg font-semibold tabular">{f.value}</dd>
              </div>
            ))}
            <div>
              <dt className="text-xs text-fg-muted">Open now</dt>
              <dd className="text-lg font-semibold tabular">{formatNumber(backlog)}</dd>
            </div>
          </dl>
          <ComplianceList compliance={data.compliance} />
        </div>
      )}
    </Card>
  );
}
