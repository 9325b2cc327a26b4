import { useState } from 'react';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ChevronDown, ChevronRight, Inbox, RotateCcw, Workflow } from 'lucide-react';
import { api, call } from '../../lib/api';
import { can } from '../../lib/permissions';
import { useMe } from '../../lib/queries';
import { toast } from '../../lib/toast';
import type { Ok } from '../../lib/types';
import { Ago } from '../../components/ui/ago';
import { Badge } from '../../components/ui/badge';
import { Button } from '../../components/ui/button';
import { Card, CardHeader } from '../../components/ui/card';
import { DataTable, LoadMore, TableCard, type Column } from '../../components/ui/data-table';
import { Select } from '../../components/ui/input';
import { Page, PageHeader, useDocumentTitle } from '../../components/ui/page';
import { EmptyState, errorMessage, NoAccess } from '../../components/ui/states';
import { lagText, retryText } from './subscriptions';

type Subscription = Ok<'/api/event-subscriptions', 'get'>['data'][number];
type DeadLetter = Ok<'/api/event-subscriptions/dead-letters', 'get'>['data'][number];
type Status = DeadLetter['status'];

const subscriptionsKey = ['event-subscriptions'] as const;
const deadLettersKey = (status: Status | 'all') => ['event-subscriptions', 'dead-letters', status] as const;

const STATUS: Record<Status, { label: string; tone: 'red' | 'amber' | 'green' }> = {
  dead: { label: 'Dead', tone: 'red' },
  queued: { label: 'Replay queued', tone: 'amber' },
  replayed: { label: 'Replayed', tone: 'green' },
};

function SubscriptionsTable({ rows, loading, error, onRetry }: { rows: Subscription[]; loading: boolean; error: unknown; onRetry: () => void }) {
  const columns: Column<Subscription>[] = [
    {
      id: 'name',
      header: 'Subscription',
      className: 'max-w-0',
      cell: (s) => (
        <>
          <p className="truncate font-mono text-[13px] font-medium">{s.name}</p>
          <p className="truncate text-xs text-fg-subtle" title={s.types.join('\n')}>
            {s.types.join(', ')}
          </p>
        </>
      ),
    },
    {
      id: 'lag',
      header: 'Waiting',
      width: 'w-36',
      cell: (s) =>
        s.pending ? (
          <span className="flex flex-col">
            <span className="tabular">
              {s.pending} event{s.pending === 1 ? '' : 's'}
            </span>
            <span className="text-[11px] text-fg-subtle">oldest {lagText(s.lagSeconds)}</span>
          </span>
        ) : (
          <span className="text-fg-subtle">Up to date</span>
        ),
    },
    {
      id: 'retry',
      header: 'Retries',
      className: 'max-w-0',
      cell: (s) =>
        s.retrying ? (
          <span className="flex flex-col">
            <span className="flex items-center gap-2">
              <Badge tone="amber" dot>
                Attempt {s.attempts} failed
              </Badge>
              {s.retryAt ? (
                <span className="text-[11px] text-fg-subtle">
                  next <Ago value={s.retryAt} />
                </span>
              ) : null}
            </span>
            <span className="mt-0.5 truncate text-xs text-fg-muted" title={s.lastError ?? undefined}>
              {retryText(s)}
            </span>
          </span>
        ) : (
          <span className="text-fg-subtle">None</span>
        ),
    },
    {
      id: 'dead',
      header: 'Dead letters',
      width: 'w-28',
      className: 'text-right',
      cell: (s) => (s.deadLetters ? <Badge tone="red">{s.deadLetters}</Badge> : <span className="text-fg-subtle">0</span>),
    },
  ];
  return (
    <TableCard
      error={error}
      onRetry={onRetry}
      loading={loading}
      skeletonRows={3}
      empty={rows.length ? null : <EmptyState icon={<Workflow />} title="No subscriptions" description="No module reacts to events in the background on this server yet." />}
    >
      <DataTable caption="Event subscriptions" testId="subscriptions-table" rowTestId="subscription-row" columns={columns} rows={rows} rowKey={(s) => s.name} />
    </TableCard>
  );
}

export function SubscriptionsPage() {
  useDocumentTitle('Event subscriptions');
  const me = useMe();
  const qc = useQueryClient();
  const allowed = can(me, 'subscriptions:manage');
  const [status, setStatus] = useState<Status | 'all'>('all');
  const [open, setOpen] = useState<Set<string>>(new Set());
  const subscriptions = useQuery({
    queryKey: subscriptionsKey,
    queryFn: () => call(api.GET('/api/event-subscriptions')),
    enabled: allowed,
    refetchInterval: 10_000,
  });
  const deadLetters = useInfiniteQuery({
    queryKey: deadLettersKey(status),
    queryFn: ({ pageParam }) =>
      call(api.GET('/api/event-subscriptions/dead-letters', { params: { query: { limit: 50, ...(status === 'all' ? {} : { status }), ...(pageParam ? { cursor: pageParam } : {}) } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    enabled: allowed,
    // A queued replay settles within seconds: look again until it has.
    refetchInterval: (q) => (q.state.data?.pages.some((p) => p.data.some((d) => d.status === 'queued')) ? 2_000 : false),
  });
  const replay = useMutation({
    mutationFn: (d: DeadLetter) => call(api.POST('/api/event-subscriptions/dead-letters/{id}/replay', { params: { path: { id: d.id } } })),
    onSuccess: (_r, d) => {
      void qc.invalidateQueries({ queryKey: subscriptionsKey });
      toast('Replay queued', { tone: 'success', description: `Event #${d.eventId} goes to ${d.subscription} again.` });
    },
    onError: (err) => toast('The replay was not queued', { tone: 'error', description: errorMessage(err) }),
  });

  if (!allowed) return <NoAccess what="event subscriptions" />;
  const rows = deadLetters.data?.pages.flatMap((p) => p.data) ?? [];
  const toggle = (id: string) =>
    setOpen((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const columns: Column<DeadLetter>[] = [
    {
      id: 'open',
      header: 'Details',
      headerHidden: true,
      width: 'w-10',
      className: 'px-2',
      cell: (d) => (
        <Button size="sm" variant="ghost" onClick={() => toggle(d.id)} aria-expanded={open.has(d.id)} aria-label={`Details of event #${d.eventId}`}>
          {open.has(d.id) ? <ChevronDown aria-hidden="true" /> : <ChevronRight aria-hidden="true" />}
        </Button>
      ),
    },
    {
      id: 'event',
      header: 'Event',
      className: 'max-w-0',
      cell: (d) => (
        <>
          <p className="truncate font-mono text-[13px]">{d.eventType}</p>
          <p className="truncate text-xs text-fg-subtle">
            #{d.eventId} to {d.subscription}
          </p>
        </>
      ),
    },
    {
      id: 'error',
      header: 'Last error',
      className: 'max-w-0',
      hideBelow: 'md',
      cell: (d) => (
        <span className="block truncate text-xs text-fg-muted" title={d.lastError}>
          {d.lastError}
        </span>
      ),
    },
    { id: 'attempts', header: 'Attempts', width: 'w-24', className: 'tabular text-right', cell: (d) => d.attempts },
    { id: 'when', header: 'Given up', width: 'w-28', hideBelow: 'lg', className: 'whitespace-nowrap text-fg-muted', cell: (d) => <Ago value={d.deadAt} /> },
    {
      id: 'status',
      header: 'Status',
      width: 'w-32',
      cell: (d) => (
        <Badge tone={STATUS[d.status].tone} dot>
          {STATUS[d.status].label}
        </Badge>
      ),
    },
    {
      id: 'actions',
      header: 'Actions',
      headerHidden: true,
      width: 'w-24',
      className: 'px-2 text-right',
      cell: (d) =>
        d.status === 'dead' ? (
          <Button size="sm" onClick={() => replay.mutate(d)} loading={replay.isPending && replay.variables?.id === d.id} aria-label={`Replay event #${d.eventId}`}>
            <RotateCcw aria-hidden="true" /> Replay
          </Button>
        ) : null,
    },
  ];

  return (
    <Page>
      <PageHeader
        title="Event subscriptions"
        description="Background reactions to events (a breached ticket notifies a manager, …): what waits for each, retries, and the events they gave up on."
      />
      <SubscriptionsTable rows={subscriptions.data?.data ?? []} loading={subscriptions.isLoading} error={subscriptions.error && !subscriptions.data ? subscriptions.error : null} onRetry={() => void subscriptions.refetch()} />
      <Card className="mt-6 overflow-hidden" aria-labelledby="dead-letters">
        <CardHeader
          id="dead-letters"
          title="Dead letters"
          description="Events of this organization a subscription failed to handle after its attempts. Fix the cause, then replay them."
          actions={
            <Select aria-label="Status" value={status} onChange={(e) => setStatus(e.target.value as Status | 'all')} className="w-40">
              <option value="all">Every status</option>
              <option value="dead">Dead</option>
              <option value="queued">Replay queued</option>
              <option value="replayed">Replayed</option>
            </Select>
          }
        />
        <TableCard
          className="rounded-none border-0 border-t"
          error={deadLetters.error && !deadLetters.data ? deadLetters.error : null}
          onRetry={() => void deadLetters.refetch()}
          loading={deadLetters.isLoading}
          empty={rows.length ? null : <EmptyState icon={<Inbox />} title="No dead letters" description="Every event was handled." />}
        >
          <DataTable
            caption="Dead letters"
            testId="dead-letters-table"
            rowTestId="dead-letter-row"
            columns={columns}
            rows={rows}
            rowKey={(d) => d.id}
            expanded={(d) =>
              open.has(d.id) ? (
                <div className="flex flex-col gap-2 py-1 text-xs">
                  <p className="break-words text-fg-muted">{d.lastError}</p>
                  {d.payloadHidden ? (
                    <p className="text-fg-subtle" data-testid="dead-letter-payload-hidden">
                      The event’s content is not shown: you may not read the record it is about.
                    </p>
                  ) : (
                    <pre className="max-h-64 overflow-auto rounded-md bg-hover p-2 font-mono text-[11.5px]">{JSON.stringify(d.payload, null, 2)}</pre>
                  )}
                  <p className="flex flex-wrap gap-x-4 text-fg-subtle">
                    <span>topic {d.topic}</span>
                    <span>
                      event of <Ago value={d.eventCreatedAt} />
                    </span>
                    {d.replayRequestedAt ? (
                      <span>
                        replay asked <Ago value={d.replayRequestedAt} />
                      </span>
                    ) : null}
                    {d.replayedAt ? (
                      <span>
                        replayed <Ago value={d.replayedAt} />
                      </span>
                    ) : null}
                  </p>
                </div>
              ) : null
            }
          />
        </TableCard>
      </Card>
      <LoadMore count={rows.length} noun={['dead letter', 'dead letters']} hasMore={!!deadLetters.hasNextPage} loading={deadLetters.isFetchingNextPage} onMore={() => void deadLetters.fetchNextPage()} />
    </Page>
  );
}
