import { Link } from '@tanstack/react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Switch } from 'radix-ui';
import { ArrowRight, CheckCircle2 } from 'lucide-react';
import { api, call } from '../../../lib/api';
import { formatNumber } from '../../../lib/format';
import { useMe } from '../../../lib/queries';
import { toast } from '../../../lib/toast';
import { useTopic } from '../../../app/realtime';
import { buttonClass } from '../../../components/ui/button';
import { Card, CardHeader } from '../../../components/ui/card';
import { Page, PageHeader, useDocumentTitle } from '../../../components/ui/page';
import { EmptyState, errorMessage, ErrorState, Skeleton, SkeletonRows } from '../../../components/ui/states';
import { SlaDueBadge, Stat, useNow } from '../components';
import { OPEN_STATUSES, TICKET_STATUS_LABEL, TicketPriorityLabel } from '../labels';
import { sdKeys, useTeams } from '../queries';

/** Away: automatic assignment skips this agent (in every team). Agents may set their own. */
function AwaySwitch() {
  const me = useMe();
  const qc = useQueryClient();
  const teams = useTeams();
  const memberships = teams.flatMap((t) => t.members.filter((m) => m.userId === me.id));
  const away = memberships.some((m) => m.away);
  const set = useMutation({
    mutationFn: (on: boolean) => call(api.PUT('/api/servicedesk/agents/{id}/away', { params: { path: { id: me.id } }, body: { away: on } })),
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: sdKeys.teams });
      toast(r.away ? 'You are away: new tickets go to others' : 'You are back: new tickets may come to you', { tone: 'success' });
    },
    onError: (err) => toast('Not changed', { tone: 'error', description: errorMessage(err) }),
  });
  if (!memberships.length) return null;
  return (
    <label className="flex items-center gap-2 text-[13px] font-medium">
      <Switch.Root
        checked={away}
        onCheckedChange={(on) => set.mutate(on)}
        disabled={set.isPending}
        className="relative h-5 w-9 rounded-full bg-line-strong transition-colors data-[state=checked]:bg-amber-500"
      >
        <Switch.Thumb className="block size-4 translate-x-0.5 rounded-full bg-white shadow transition-transform data-[state=checked]:translate-x-[18px]" />
      </Switch.Root>
      Away
    </label>
  );
}

export function AgentDashboardPage() {
  useDocumentTitle('My desk');
  const me = useMe();
  useTopic('tickets');
  const now = useNow();
  const q = useQuery({ queryKey: sdKeys.dashboard('agent'), queryFn: () => call(api.GET('/api/servicedesk/dashboards/agent')) });
  const d = q.data;
  return (
    <Page>
      <PageHeader
        title="My desk"
        description={`${me.name}: your open tickets, what is due soon, and what requesters thought.`}
        actions={
          <>
            <AwaySwitch />
            <Link to="/tickets" search={{ view: 'my_open' }} className={buttonClass('secondary')}>
              My queue <ArrowRight aria-hidden="true" />
            </Link>
          </>
        }
      />
      {q.error ? (
        <Card as="div">
          <ErrorState error={q.error} onRetry={() => void q.refetch()} />
        </Card>
      ) : (
        <>
          <div className="mb-4 grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-6">
            <Stat label="Open, assigned to me" value={d ? formatNumber(d.openTotal) : <Skeleton className="h-8 w-12" />} />
            {OPEN_STATUSES.map((s) => (
              <Stat key={s} label={TICKET_STATUS_LABEL[s]} value={d ? formatNumber(d.queue[s] ?? 0) : <Skeleton className="h-8 w-12" />} />
            ))}
            <Stat
              label="My CSAT"
              value={d ? (d.csat.average === null ? '—' : `${d.csat.average.toFixed(1)} / 5`) : <Skeleton className="h-8 w-16" />}
              hint={d ? `${d.csat.responses} response${d.csat.responses === 1 ? '' : 's'}, last ${d.csat.days} days` : undefined}
              {...(d?.csat.average != null ? { tone: d.csat.average >= 4 ? ('green' as const) : d.csat.average < 3 ? ('red' as const) : ('amber' as const) } : {})}
            />
          </div>
          <Card aria-labelledby="due-title">
            <CardHeader id="due-title" title="Due within 4 hours" description="Your open tickets whose next SLA target falls due soonest" />
            {q.isLoading ? (
              <SkeletonRows rows={3} />
            ) : !d?.dueSoon.length ? (
              <EmptyState icon={<CheckCircle2 />} title="Nothing due soon" description="No ticket of yours reaches an SLA target in the next four hours." />
            ) : (
              <ul className="divide-y divide-line" data-testid="due-soon">
                {d.dueSoon.map((t) => (
                  <li key={t.id} className="flex items-center gap-3 px-4 py-2.5">
                    <span className="w-12 text-[13px] text-fg-subtle tabular">#{t.number}</span>
                    <Link to="/tickets/$ticketId" params={{ ticketId: t.id }} className="min-w-0 flex-1 truncate text-[13px] font-medium hover:underline">
                      {t.subject}
                    </Link>
                    <TicketPriorityLabel priority={t.priority} />
                    <SlaDueBadge dueAt={t.slaNextDueAt} breached={t.slaBreached} now={now} />
                  </li>
                ))}
              </ul>
            )}
          </Card>
        </>
      )}
    </Page>
  );
}
