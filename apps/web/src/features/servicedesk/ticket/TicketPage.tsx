import { useCallback, useState } from 'react';
import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ChevronRight, Eye, GitMerge, PenLine } from 'lucide-react';
import { api, call } from '../../../lib/api';
import { cn } from '../../../lib/cn';
import { formatDateTime, formatFull } from '../../../lib/format';
import { nextPages, pageRequest, rowsOf } from '../../../lib/pages';
import { can } from '../../../lib/permissions';
import { useMe, useUserNames } from '../../../lib/queries';
import { toast } from '../../../lib/toast';
import { usePresence, useTopic } from '../../../app/realtime';
import { Button } from '../../../components/ui/button';
import { Card, CardHeader } from '../../../components/ui/card';
import { LoadMore } from '../../../components/ui/data-table';
import { Dialog } from '../../../components/ui/dialog';
import { Field, Input } from '../../../components/ui/input';
import { Page, PageHeader, useDocumentTitle } from '../../../components/ui/page';
import { Banner, EmptyState, errorMessage, ErrorState, Skeleton, SkeletonRows } from '../../../components/ui/states';
import { SlaDueBadge, useNow } from '../components';
import { TicketPriorityLabel, TicketStatusBadge } from '../labels';
import { presenceLabel, someoneReplying } from '../presence';
import { sdKeys, ticketQuery, useAgents, useTeams } from '../queries';
import type { Ticket } from '../types';
import { Properties } from './Properties';
import { RequesterTickets } from './RequesterTickets';
import { SlaPanel } from './SlaPanel';
import { Thread } from './Thread';
import { isAlarming, timelineText } from './timeline';

const ticketRoute = getRouteApi('/app/tickets/$ticketId');

function Crumbs({ number }: { number?: number }) {
  return (
    <nav aria-label="Breadcrumb" className="flex items-center gap-1">
      <Link to="/tickets" className="hover:text-fg">
        Tickets
      </Link>
      <ChevronRight className="size-3.5" aria-hidden="true" />
      <span>{number ? `#${number}` : '…'}</span>
    </nav>
  );
}

/** "Ada is viewing" / "Bob is replying": the others on this ticket right now (names where this user may see them). */
function Presence({ ticketId, replying, names }: { ticketId: string; replying: boolean; names: Map<string, string> }) {
  const me = useMe();
  const users = usePresence(`ticket:${ticketId}`, replying ? 'replying' : 'viewing');
  const label = presenceLabel(users, me.id, (id) => names.get(id));
  if (!label) return null;
  const typing = someoneReplying(users, me.id);
  return (
    <p
      role="status"
      className={cn(
        'inline-flex h-7 items-center gap-1.5 rounded-full border px-2.5 text-xs font-medium',
        typing ? 'border-amber-500/40 bg-amber-500/10 text-amber-800 dark:text-amber-300' : 'border-line bg-surface text-fg-muted',
      )}
      data-testid="presence"
    >
      {typing ? <PenLine className="size-3.5" aria-hidden="true" /> : <Eye className="size-3.5" aria-hidden="true" />}
      {label}
    </p>
  );
}

/** Merge this ticket into another one, found by its number: this one closes, its thread continues there. */
function MergeDialog({ ticket, open, onOpenChange }: { ticket: Ticket; open: boolean; onOpenChange: (open: boolean) => void }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [number, setNumber] = useState('');
  const n = Number(number.replace(/^#/, ''));
  const valid = Number.isInteger(n) && n > 0 && n !== ticket.number;
  const found = useQuery({
    queryKey: [...sdKeys.tickets, 'by-number', n],
    queryFn: () => call(api.GET('/api/tickets', { params: { query: { q: `#${n}`, limit: 1 } } })),
    enabled: open && valid,
  });
  const target = found.data?.data.find((t) => t.number === n) ?? null;
  const merge = useMutation({
    mutationFn: (intoId: string) => call(api.POST('/api/tickets/{id}/merge', { params: { path: { id: ticket.id } }, body: { intoId } })),
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: sdKeys.tickets });
      qc.setQueryData(sdKeys.ticket(r.source.id), r.source);
      qc.setQueryData(sdKeys.ticket(r.target.id), r.target);
      toast(`Merged into #${r.target.number}`, { tone: 'success', description: r.target.subject });
      onOpenChange(false);
      void navigate({ to: '/tickets/$ticketId', params: { ticketId: r.target.id } });
    },
  });
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title={`Merge #${ticket.number} into another ticket`}
      description="This ticket closes; its replies and requester follow the ticket you choose."
      footer={
        <>
          <Button onClick={() => onOpenChange(false)}>Cancel</Button>
          <Button variant="primary" disabled={!target || merge.isPending} loading={merge.isPending} onClick={() => target && merge.mutate(target.id)}>
            <GitMerge aria-hidden="true" /> Merge
          </Button>
        </>
      }
    >
      <div className="flex flex-col gap-3">
        <Field label="Ticket number" hint="The ticket to keep, e.g. 42">
          <Input value={number} onChange={(e) => setNumber(e.target.value)} inputMode="numeric" placeholder="#" autoFocus />
        </Field>
        {valid && found.isFetching ? <Skeleton className="h-12 w-full" /> : null}
        {valid && !found.isFetching && found.data ? (
          target ? (
            <div className="rounded-md border border-line bg-app px-3 py-2 text-[13px]" data-testid="merge-target">
              <p className="font-medium">
                #{target.number} {target.subject}
              </p>
              <p className="mt-0.5 flex items-center gap-2 text-xs text-fg-muted">
                <TicketStatusBadge status={target.status} /> {target.requester.name} · {formatDateTime(target.createdAt)}
              </p>
            </div>
          ) : (
            <p className="text-[13px] text-fg-muted">No ticket #{n} that you can see.</p>
          )
        ) : null}
        {merge.error ? <Banner>{errorMessage(merge.error)}</Banner> : null}
      </div>
    </Dialog>
  );
}

function Timeline({ ticketId, names }: { ticketId: string; names: Map<string, string> }) {
  const teams = useTeams();
  const q = useInfiniteQuery({
    queryKey: sdKeys.timeline(ticketId),
    queryFn: ({ pageParam }) => call(api.GET('/api/tickets/{id}/timeline', { params: { path: { id: ticketId }, query: pageRequest(pageParam) } })),
    ...nextPages,
  });
  const entries = rowsOf(q.data);
  const look = { user: (id: string) => names.get(id), team: (id: string) => teams.find((t) => t.id === id)?.name };
  return (
    <Card aria-labelledby="timeline-title">
      <CardHeader id="timeline-title" title="Timeline" />
      {q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : q.isLoading ? (
        <SkeletonRows rows={3} />
      ) : !entries.length ? (
        <EmptyState title="Nothing yet" />
      ) : (
        <ol className="flex flex-col gap-2.5 px-4 py-3" data-testid="ticket-timeline">
          {/* In order, as the thread reads: later entries come a page at a time. */}
          {entries.map((e) => (
            <li key={e.id} className="flex gap-2.5 text-[13px]">
              <span className={cn('mt-1.5 size-2 shrink-0 rounded-full', isAlarming(e.kind) ? 'bg-red-500' : e.kind.startsWith('sla_') ? 'bg-amber-500' : 'bg-line-strong')} aria-hidden="true" />
              <div className="min-w-0">
                <p>{timelineText(e, look)}</p>
                <time className="text-xs text-fg-subtle" dateTime={e.at} title={formatFull(e.at)}>
                  {formatDateTime(e.at)}
                </time>
              </div>
            </li>
          ))}
        </ol>
      )}
      <div className="px-4 pb-3">
        <LoadMore count={entries.length} noun={['entry', 'entries']} hasMore={q.hasNextPage} loading={q.isFetchingNextPage} onMore={() => void q.fetchNextPage()} />
      </div>
    </Card>
  );
}

export function TicketPage() {
  const { ticketId } = ticketRoute.useParams();
  const me = useMe();
  const names = useUserNames();
  const agents = useAgents(names);
  const now = useNow(15_000);
  useTopic(`ticket:${ticketId}`);
  const q = useQuery(ticketQuery(ticketId));
  const t = q.data;
  useDocumentTitle(t ? `#${t.number} ${t.subject}` : 'Ticket');
  const [replying, setReplying] = useState(false);
  const onReplying = useCallback((on: boolean) => setReplying(on), []);
  const [merging, setMerging] = useState(false);
  const editable = can(me, 'tickets:update');

  if (q.error) {
    return (
      <Page>
        <PageHeader title="Ticket" breadcrumb={<Crumbs />} />
        <Card as="div">
          <ErrorState error={q.error} onRetry={() => void q.refetch()} />
        </Card>
      </Page>
    );
  }
  if (!t) {
    return (
      <Page>
        <div className="mb-6 h-7 w-72 skeleton" />
        <div className="grid gap-4 lg:grid-cols-[minmax(0,1fr)_19rem] xl:grid-cols-[minmax(0,1fr)_22rem]">
          <Card as="div">
            <SkeletonRows rows={6} />
          </Card>
          <Card as="div">
            <SkeletonRows rows={6} />
          </Card>
        </div>
      </Page>
    );
  }

  return (
    <Page>
      <PageHeader
        breadcrumb={<Crumbs number={t.number} />}
        title={
          <span>
            <span className="mr-2 font-normal text-fg-subtle tabular">#{t.number}</span>
            {t.subject}
          </span>
        }
        description={
          <span className="flex flex-wrap items-center gap-2">
            <TicketStatusBadge status={t.status} />
            <TicketPriorityLabel priority={t.priority} />
            <SlaDueBadge dueAt={t.slaNextDueAt} breached={t.slaBreached} now={now} hideEmpty />
          </span>
        }
        actions={
          <>
            <Presence ticketId={t.id} replying={replying} names={names} />
            {can(me, 'tickets:merge') && !t.mergedIntoId && t.status !== 'closed' ? (
              <Button onClick={() => setMerging(true)}>
                <GitMerge aria-hidden="true" /> Merge…
              </Button>
            ) : null}
          </>
        }
      />
      {t.mergedIntoId ? (
        <Banner tone="info" className="mb-4">
          This ticket was merged.{' '}
          <Link to="/tickets/$ticketId" params={{ ticketId: t.mergedIntoId }} className="font-medium underline">
            Go to the ticket it continues on
          </Link>
          .
        </Banner>
      ) : null}
      <div className="grid items-start gap-4 lg:grid-cols-[minmax(0,1fr)_19rem] xl:grid-cols-[minmax(0,1fr)_22rem]">
        <div className="flex min-w-0 flex-col gap-4">
          <Thread ticket={t} names={names} canReply={editable && !t.mergedIntoId} onReplying={onReplying} />
          <Timeline ticketId={t.id} names={names} />
        </div>
        <div className="flex flex-col gap-4">
          <SlaPanel ticketId={t.id} now={now} />
          <Properties key={t.id} ticket={t} editable={editable && !t.mergedIntoId} agents={agents} />
          <RequesterTickets ticket={t} />
        </div>
      </div>
      {merging ? <MergeDialog ticket={t} open={merging} onOpenChange={setMerging} /> : null}
    </Page>
  );
}
