import { useEffect, useMemo, useState } from 'react';
import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { ExternalLink, Inbox, Plus, Search, Tag, X } from 'lucide-react';
import { api, call } from '../../lib/api';
import { cn } from '../../lib/cn';
import { formatFull, formatRelative } from '../../lib/format';
import { can } from '../../lib/permissions';
import { useMe, useUserNames } from '../../lib/queries';
import { toast } from '../../lib/toast';
import { useTopic } from '../../app/realtime';
import { useIsNew } from '../../app/fresh';
import { Button, buttonClass } from '../../components/ui/button';
import { Card } from '../../components/ui/card';
import { Input, Select } from '../../components/ui/input';
import { Page, PageHeader, useDocumentTitle } from '../../components/ui/page';
import { EmptyState, errorMessage, ErrorState, SkeletonRows } from '../../components/ui/states';
import { useDebounced } from '../../lib/use-debounced';
import { MultiSelect, SlaDueBadge, useNow } from './components';
import { NewTicketDialog } from './NewTicketDialog';
import { TICKET_PRIORITIES, TICKET_PRIORITY_LABEL, TICKET_STATUSES, TICKET_STATUS_LABEL, TicketPriorityLabel, TicketStatusBadge } from './labels';
import { sdKeys, useAgents, useTeams } from './queries';
import { ticketsQuery, type TicketSort, type TicketsSearch, type TicketView } from './search';
import type { BulkPatch, Ticket, TicketPriority, TicketStatus } from './types';

const ticketsRoute = getRouteApi('/app/tickets');

const PAGE = 50;

const VIEWS: { view: TicketView; label: string }[] = [
  { view: 'all', label: 'All tickets' },
  { view: 'my_open', label: 'My open' },
  { view: 'unassigned', label: 'Unassigned' },
  { view: 'breaching_soon', label: 'Breaching soon' },
];

const SORT_LABEL: Record<TicketSort, string> = {
  '-createdAt': 'Newest first',
  createdAt: 'Oldest first',
  '-updatedAt': 'Recently updated',
  slaNextDueAt: 'SLA due soonest',
  '-priority': 'Highest priority',
  '-number': 'Number, high to low',
  number: 'Number, low to high',
};

function Row({ t, selected, onSelect, selectable, assignee, now }: { t: Ticket; selected: boolean; onSelect: (on: boolean) => void; selectable: boolean; assignee: string | null; now: number }) {
  const fresh = useIsNew(t.id);
  const navigate = useNavigate();
  const sub = [t.category, ...t.tags.map((x) => `#${x}`)].filter(Boolean).join(' · ');
  return (
    <tr
      className={cn('group cursor-pointer border-b border-line last:border-0 hover:bg-hover/60', selected && 'bg-accent-soft/50', fresh && 'row-new')}
      onClick={(e) => {
        if ((e.target as HTMLElement).closest('a,button,input,label')) return;
        void navigate({ to: '/tickets/$ticketId', params: { ticketId: t.id } });
      }}
      data-testid="ticket-row"
    >
      {selectable ? (
        <td className="w-10 py-2.5 pl-4">
          <input type="checkbox" checked={selected} onChange={(e) => onSelect(e.target.checked)} aria-label={`Select ticket #${t.number}`} />
        </td>
      ) : null}
      <td className="px-3 py-2.5 text-[13px] whitespace-nowrap text-fg-subtle tabular">#{t.number}</td>
      <td className="max-w-0 px-3 py-2.5">
        <Link to="/tickets/$ticketId" params={{ ticketId: t.id }} className="block truncate text-[13px] font-medium text-fg hover:underline">
          {t.subject}
        </Link>
        <p className="truncate text-xs text-fg-subtle">
          <span className="lg:hidden">{t.requester.name} · </span>
          {sub ? `${sub} · ` : ''}
          <span className="xl:hidden">{assignee ?? 'Unassigned'}</span>
        </p>
      </td>
      <td className="hidden max-w-0 px-3 py-2.5 lg:table-cell" data-testid="ticket-requester">
        <p className="truncate text-[13px]">{t.requester.name}</p>
        <p className="truncate text-xs text-fg-subtle">{t.requester.email ?? t.requester.mobile ?? '\u00a0'}</p>
      </td>
      <td className="px-3 py-2.5">
        <TicketStatusBadge status={t.status} />
      </td>
      <td className="px-3 py-2.5">
        <TicketPriorityLabel priority={t.priority} />
      </td>
      <td className="px-3 py-2.5">
        <SlaDueBadge dueAt={t.slaNextDueAt} breached={t.slaBreached} now={now} />
      </td>
      <td className="hidden max-w-0 truncate px-3 py-2.5 text-[13px] text-fg-muted xl:table-cell">{assignee ?? <span className="text-fg-subtle">Unassigned</span>}</td>
      <td className="hidden px-3 py-2.5 pr-4 text-[13px] whitespace-nowrap text-fg-muted xl:table-cell">
        <time dateTime={t.updatedAt} title={formatFull(t.updatedAt)}>
          {formatRelative(t.updatedAt, now)}
        </time>
      </td>
    </tr>
  );
}

/** One change applied to the selected tickets; each ticket is checked on its own by the server. */
function BulkBar({ ids, onDone, agents }: { ids: string[]; onDone: () => void; agents: { id: string; name: string }[] }) {
  const qc = useQueryClient();
  const [tag, setTag] = useState('');
  const bulk = useMutation({
    mutationFn: (patch: BulkPatch) => call(api.POST('/api/tickets/bulk', { body: { ids, patch } })),
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: sdKeys.tickets });
      if (r.failed.length) {
        toast(`${r.updated.length} updated, ${r.failed.length} refused`, { tone: 'warning', description: r.failed[0]!.detail });
      } else toast(`${r.updated.length} ticket${r.updated.length === 1 ? '' : 's'} updated`, { tone: 'success' });
      setTag('');
      onDone();
    },
    onError: (err) => toast('The change was not applied', { tone: 'error', description: errorMessage(err) }),
  });
  const apply = (patch: BulkPatch) => bulk.mutate(patch);
  return (
    <div className="mb-3 flex flex-wrap items-center gap-2 rounded-lg border border-accent/30 bg-accent-soft px-3 py-2" role="region" aria-label="Bulk actions" data-testid="bulk-bar">
      <span className="text-[13px] font-medium text-accent-soft-fg">{ids.length} selected</span>
      <Select aria-label="Set status" className="w-44" value="" onChange={(e) => e.target.value && apply({ status: e.target.value as TicketStatus })} disabled={bulk.isPending}>
        <option value="">Set status…</option>
        {TICKET_STATUSES.map((s) => (
          <option key={s} value={s}>
            {TICKET_STATUS_LABEL[s]}
          </option>
        ))}
      </Select>
      <Select aria-label="Set priority" className="w-36" value="" onChange={(e) => e.target.value && apply({ priority: e.target.value as TicketPriority })} disabled={bulk.isPending}>
        <option value="">Set priority…</option>
        {TICKET_PRIORITIES.map((p) => (
          <option key={p} value={p}>
            {TICKET_PRIORITY_LABEL[p]}
          </option>
        ))}
      </Select>
      <Select
        aria-label="Assign to"
        className="w-44"
        value=""
        onChange={(e) => e.target.value && apply({ assigneeId: e.target.value === 'none' ? null : e.target.value })}
        disabled={bulk.isPending}
      >
        <option value="">Assign to…</option>
        <option value="none">Nobody (unassign)</option>
        {agents.map((a) => (
          <option key={a.id} value={a.id}>
            {a.name}
          </option>
        ))}
      </Select>
      <form
        className="flex items-center gap-1"
        onSubmit={(e) => {
          e.preventDefault();
          if (tag.trim()) apply({ addTags: [tag.trim()] });
        }}
      >
        <div className="relative">
          <Tag className="pointer-events-none absolute top-1/2 left-2.5 size-3.5 -translate-y-1/2 text-fg-subtle" aria-hidden="true" />
          <Input value={tag} onChange={(e) => setTag(e.target.value)} placeholder="tag" aria-label="Tag" className="w-32 pl-7" maxLength={50} />
        </div>
        <Button type="submit" disabled={!tag.trim() || bulk.isPending}>
          Add tag
        </Button>
        <Button variant="ghost" disabled={!tag.trim() || bulk.isPending} onClick={() => apply({ removeTags: [tag.trim()] })}>
          Remove tag
        </Button>
      </form>
      <Button variant="ghost" className="ml-auto" onClick={onDone}>
        <X aria-hidden="true" /> Clear selection
      </Button>
    </div>
  );
}

export function TicketsPage() {
  useDocumentTitle('Tickets');
  const me = useMe();
  useTopic('tickets');
  const search = ticketsRoute.useSearch();
  const navigate = useNavigate({ from: '/tickets' });
  const names = useUserNames();
  const teams = useTeams();
  const agents = useAgents(names);
  const now = useNow();
  const selectable = can(me, 'tickets:update');

  const set = (patch: Partial<TicketsSearch>) =>
    void navigate({
      search: (prev: TicketsSearch) => Object.fromEntries(Object.entries({ ...prev, ...patch }).filter(([, v]) => v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0))) as TicketsSearch,
      replace: true,
    });

  const [creating, setCreating] = useState(false);
  const [text, setText] = useState(search.q ?? '');
  const [category, setCategory] = useState(search.category ?? '');
  const q = useDebounced(text.trim(), 300);
  const cat = useDebounced(category.trim(), 400);
  useEffect(() => {
    if ((search.q ?? '') !== q) set({ q: q || undefined });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q]);
  useEffect(() => {
    if ((search.category ?? '') !== cat) set({ category: cat || undefined });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [cat]);
  useEffect(() => {
    // Back/forward to another search: follow it.
    if ((search.q ?? '') !== text.trim()) setText(search.q ?? '');
    if ((search.category ?? '') !== category.trim()) setCategory(search.category ?? '');
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [search.q, search.category]);

  const list = useInfiniteQuery({
    queryKey: sdKeys.list(search),
    queryFn: ({ pageParam }) => call(api.GET('/api/tickets', { params: { query: ticketsQuery(search, pageParam, PAGE) } })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    placeholderData: (prev) => prev,
  });
  const rows = useMemo(() => list.data?.pages.flatMap((p) => p.data) ?? [], [list.data]);

  const [selected, setSelected] = useState<Set<string>>(new Set());
  useEffect(() => {
    // Rows that left the list (filters, live updates) leave the selection too.
    setSelected((cur) => {
      const keep = new Set([...cur].filter((id) => rows.some((r) => r.id === id)));
      return keep.size === cur.size ? cur : keep;
    });
  }, [rows]);
  const allSelected = rows.length > 0 && rows.every((r) => selected.has(r.id));

  const view = search.view ?? 'all';
  const filtered = !!(search.q || search.status || search.priority || search.teamId || search.assigneeId || search.category);
  const sort = search.sort ?? (view === 'breaching_soon' ? 'slaNextDueAt' : '-createdAt');

  return (
    <Page>
      <PageHeader
        title="Tickets"
        description="Requests from the web form, email, WhatsApp and the API, with their SLA clocks."
        actions={
          <>
            <a href={`/support/${me.org.slug}`} target="_blank" rel="noreferrer" className={buttonClass('secondary')}>
              <ExternalLink aria-hidden="true" /> Public form
            </a>
            {can(me, 'tickets:create') ? (
              <Button variant="primary" onClick={() => setCreating(true)}>
                <Plus aria-hidden="true" /> New ticket
              </Button>
            ) : null}
          </>
        }
      />
      {creating ? <NewTicketDialog onClose={() => setCreating(false)} /> : null}

      <nav aria-label="Saved views" className="mb-3 flex gap-1 border-b border-line">
        {VIEWS.map((v) => (
          <Link
            key={v.view}
            to="/tickets"
            search={v.view === 'all' ? {} : { view: v.view }}
            aria-current={view === v.view ? 'page' : undefined}
            className={cn(
              '-mb-px border-b-2 px-3 py-2 text-[13px] font-medium transition-colors',
              view === v.view ? 'border-accent text-fg' : 'border-transparent text-fg-muted hover:text-fg',
            )}
          >
            {v.label}
          </Link>
        ))}
      </nav>

      <div className="mb-3 flex flex-wrap items-center gap-2" role="search">
        <div className="relative w-full sm:w-64">
          <Search className="pointer-events-none absolute top-1/2 left-2.5 size-4 -translate-y-1/2 text-fg-subtle" aria-hidden="true" />
          <Input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="Search, or #number" aria-label="Search tickets" className="pl-8" />
        </div>
        <MultiSelect label="Status" options={TICKET_STATUSES.map((s) => ({ value: s, label: TICKET_STATUS_LABEL[s] }))} value={search.status ?? []} onChange={(v) => set({ status: v })} />
        <MultiSelect label="Priority" options={TICKET_PRIORITIES.map((p) => ({ value: p, label: TICKET_PRIORITY_LABEL[p] }))} value={search.priority ?? []} onChange={(v) => set({ priority: v })} />
        <Select aria-label="Team" className="w-36" value={search.teamId ?? ''} onChange={(e) => set({ teamId: e.target.value || undefined })}>
          <option value="">Any team</option>
          {teams.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </Select>
        <Select aria-label="Assignee" className="w-40" value={search.assigneeId ?? ''} onChange={(e) => set({ assigneeId: e.target.value || undefined })}>
          <option value="">Any assignee</option>
          <option value={me.id}>Me</option>
          {agents
            .filter((a) => a.id !== me.id)
            .map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
        </Select>
        <Input value={category} onChange={(e) => setCategory(e.target.value)} placeholder="Category" aria-label="Category" className="w-32" />
        <Select aria-label="Sort" className="w-44" value={sort} onChange={(e) => set({ sort: e.target.value as TicketSort })}>
          {(Object.keys(SORT_LABEL) as TicketSort[]).map((s) => (
            <option key={s} value={s}>
              {SORT_LABEL[s]}
            </option>
          ))}
        </Select>
        {filtered ? (
          <Button
            variant="ghost"
            onClick={() => {
              setText('');
              setCategory('');
              void navigate({ search: { ...(search.view ? { view: search.view } : {}), ...(search.sort ? { sort: search.sort } : {}) }, replace: true });
            }}
          >
            <X aria-hidden="true" /> Clear
          </Button>
        ) : null}
        {list.isFetching && !list.isLoading ? (
          <span className="ml-auto text-xs text-fg-subtle" role="status">
            Updating…
          </span>
        ) : null}
      </div>

      {selectable && selected.size > 0 ? <BulkBar ids={[...selected]} agents={agents} onDone={() => setSelected(new Set())} /> : null}

      <Card as="div" className="overflow-hidden">
        {list.error && !list.data ? (
          <ErrorState error={list.error} onRetry={() => void list.refetch()} />
        ) : list.isLoading ? (
          <SkeletonRows rows={8} />
        ) : rows.length === 0 ? (
          filtered ? (
            <EmptyState icon={<Search />} title="No tickets match" description="Try another search or clear the filters." />
          ) : (
            <EmptyState
              icon={<Inbox />}
              title={view === 'all' ? 'No tickets yet' : view === 'my_open' ? 'Nothing assigned to you' : view === 'unassigned' ? 'Every ticket has an owner' : 'Nothing is close to its SLA'}
              description={view === 'all' ? 'Tickets arrive from the public form, email, WhatsApp and the API.' : 'New tickets appear here as they arrive.'}
            />
          )
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full min-w-[680px] table-fixed text-[13px]" data-testid="tickets-table">
              <caption className="sr-only">Tickets</caption>
              <colgroup>
                {selectable ? <col className="w-10" /> : null}
                <col className="w-16" />
                <col />
                <col className="hidden w-44 lg:table-column" />
                <col className="w-40" />
                <col className="w-28" />
                <col className="w-36" />
                <col className="hidden w-36 xl:table-column" />
                <col className="hidden w-28 xl:table-column" />
              </colgroup>
              <thead className="border-b border-line bg-app/60 text-xs text-fg-muted">
                <tr>
                  {selectable ? (
                    <th scope="col" className="py-2 pl-4 text-left">
                      <input
                        type="checkbox"
                        checked={allSelected}
                        onChange={(e) => setSelected(e.target.checked ? new Set(rows.map((r) => r.id)) : new Set())}
                        aria-label="Select all tickets shown"
                      />
                    </th>
                  ) : null}
                  <th scope="col" className="px-3 py-2 text-left font-medium">
                    #
                  </th>
                  <th scope="col" className="px-3 py-2 text-left font-medium">
                    Subject
                  </th>
                  <th scope="col" className="hidden px-3 py-2 text-left font-medium lg:table-cell">
                    Requester
                  </th>
                  <th scope="col" className="px-3 py-2 text-left font-medium">
                    Status
                  </th>
                  <th scope="col" className="px-3 py-2 text-left font-medium">
                    Priority
                  </th>
                  <th scope="col" className="px-3 py-2 text-left font-medium">
                    SLA due
                  </th>
                  <th scope="col" className="hidden px-3 py-2 text-left font-medium xl:table-cell">
                    Assignee
                  </th>
                  <th scope="col" className="hidden px-3 py-2 pr-4 text-left font-medium xl:table-cell">
                    Updated
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((t) => (
                  <Row
                    key={t.id}
                    t={t}
                    now={now}
                    selectable={selectable}
                    selected={selected.has(t.id)}
                    assignee={t.assigneeId ? (names.get(t.assigneeId) ?? 'Another agent') : null}
                    onSelect={(on) =>
                      setSelected((cur) => {
                        const next = new Set(cur);
                        if (on) next.add(t.id);
                        else next.delete(t.id);
                        return next;
                      })
                    }
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>

      {rows.length > 0 ? (
        <div className="mt-3 flex items-center justify-between text-xs text-fg-subtle">
          <span role="status">
            {rows.length} ticket{rows.length === 1 ? '' : 's'}
            {list.hasNextPage ? ' shown' : ''}
          </span>
          {list.hasNextPage ? (
            <Button onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>
              Load more
            </Button>
          ) : null}
        </div>
      ) : null}
    </Page>
  );
}
