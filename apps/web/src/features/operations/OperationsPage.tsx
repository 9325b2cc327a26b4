import { useDebounced } from '../../lib/use-debounced';
import { useEffect, useState } from 'react';
import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { useInfiniteQuery } from '@tanstack/react-query';
import { ClipboardList, MapPin, Plus, Search, X } from 'lucide-react';
import { api, call } from '../../lib/api';
import { cn } from '../../lib/cn';
import { formatDateTime } from '../../lib/format';
import { can } from '../../lib/permissions';
import { keys, useMe } from '../../lib/queries';
import type { Operation, OperationStatus, Priority } from '../../lib/types';
import type { OperationsSearch, SortKey } from '../../app/search';
import { useFresh } from '../../app/fresh';
import { Ago } from '../../components/ui/ago';
import { PRIORITY_LABEL, PriorityLabel, STATUS_LABEL, StatusBadge } from '../../components/ui/badge';
import { Button, buttonClass } from '../../components/ui/button';
import { DataTable, LoadMore, TableCard, type Column } from '../../components/ui/data-table';
import { Input, Select } from '../../components/ui/input';
import { Page, PageHeader, useDocumentTitle } from '../../components/ui/page';
import { EmptyState } from '../../components/ui/states';

const operationsRoute = getRouteApi('/app/operations');

const PAGE = 50;
const STATUSES: OperationStatus[] = ['pending', 'in_progress', 'completed', 'failed'];

const columns: Column<Operation>[] = [
  {
    id: 'name',
    header: 'Name',
    sort: 'name',
    className: 'max-w-0',
    cell: (op) => (
      <>
        <Link to="/operations/$operationId" params={{ operationId: op.id }} className="block truncate text-[13px] font-medium text-fg hover:underline">
          {op.name}
        </Link>
        <p className="truncate text-xs text-fg-subtle">
          {[op.type, ...op.tags.map((t) => `#${t}`)].filter(Boolean).join(' · ') || (op.description ? op.description.slice(0, 80) : '\u00a0')}
        </p>
      </>
    ),
  },
  { id: 'status', header: 'Status', width: 'w-32', cell: (op) => <StatusBadge status={op.status} /> },
  { id: 'priority', header: 'Priority', width: 'w-28', sort: 'priority', cell: (op) => <PriorityLabel priority={op.priority} /> },
  {
    id: 'location',
    header: 'Location',
    width: 'w-48',
    hideBelow: 'xl',
    className: 'max-w-0 text-fg-muted',
    cell: (op) =>
      op.location.text ? (
        <span className="flex items-center gap-1 truncate">
          <MapPin className="size-3.5 shrink-0 text-fg-subtle" aria-hidden="true" />
          <span className="truncate">{op.location.text}</span>
        </span>
      ) : (
        <span className="text-fg-subtle">—</span>
      ),
  },
  {
    id: 'startAt',
    header: 'Starts',
    width: 'w-40',
    sort: 'startAt',
    className: 'whitespace-nowrap text-fg-muted tabular',
    cell: (op) => (op.startAt ? formatDateTime(op.startAt) : <span className="text-fg-subtle">—</span>),
  },
  {
    id: 'updatedAt',
    header: 'Updated',
    width: 'w-28',
    sort: 'updatedAt',
    className: 'whitespace-nowrap text-fg-muted',
    cell: (op) => <Ago value={op.updatedAt} />,
  },
];

export function OperationsPage() {
  useDocumentTitle('Operations');
  const me = useMe();
  const search = operationsRoute.useSearch();
  const navigate = useNavigate({ from: '/operations' });
  const [text, setText] = useState(search.q ?? '');
  const q = useDebounced(text.trim(), 300);
  const sort: SortKey = search.sort ?? '-createdAt';
  const isNew = useFresh();

  const set = (patch: Partial<OperationsSearch>) =>
    void navigate({ search: (prev: OperationsSearch) => Object.fromEntries(Object.entries({ ...prev, ...patch }).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))) as OperationsSearch, replace: true });

  useEffect(() => {
    if ((search.q ?? '') !== q) set({ q: q || undefined });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q]);
  useEffect(() => {
    // Back/forward to another search: follow it.
    if ((search.q ?? '') !== text.trim()) setText(search.q ?? '');
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [search.q]);

  const filters = { q: search.q, status: search.status?.join(','), priority: search.priority, sort };
  const list = useInfiniteQuery({
    queryKey: keys.operationList(filters),
    queryFn: ({ pageParam }) =>
      call(
        api.GET('/api/operations', {
          params: {
            query: {
              limit: PAGE,
              sort,
              ...(pageParam ? { cursor: pageParam } : {}),
              ...(search.q ? { q: search.q } : {}),
              ...(search.status?.length ? { status: search.status.join(',') } : {}),
              ...(search.priority ? { priority: search.priority } : {}),
            },
          },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    placeholderData: (prev) => prev,
  });
  const rows = list.data?.pages.flatMap((p) => p.data) ?? [];
  const filtered = !!(search.q || search.status?.length || search.priority);

  const toggleStatus = (s: OperationStatus) => {
    const cur = new Set(search.status ?? []);
    if (cur.has(s)) cur.delete(s);
    else cur.add(s);
    set({ status: STATUSES.filter((x) => cur.has(x)) });
  };

  return (
    <Page>
      <PageHeader
        title="Operations"
        description="Plan, run and track field operations."
        actions={
          can(me, 'operations:create') ? (
            <Link to="/operations/new" className={buttonClass('primary')}>
              <Plus aria-hidden="true" /> New operation
            </Link>
          ) : undefined
        }
      />

      <div className="mb-3 flex flex-wrap items-center gap-2" role="search">
        <div className="relative w-full sm:w-72">
          <Search className="pointer-events-none absolute top-1/2 left-2.5 size-4 -translate-y-1/2 text-fg-subtle" aria-hidden="true" />
          <Input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="Search operations…" aria-label="Search operations" className="pl-8" />
        </div>
        <div className="flex flex-wrap items-center gap-1" role="group" aria-label="Filter by status">
          {STATUSES.map((s) => {
            const on = search.status?.includes(s) ?? false;
            return (
              <button
                key={s}
                type="button"
                aria-pressed={on}
                onClick={() => toggleStatus(s)}
                className={cn(
                  'h-8 rounded-md border px-2.5 text-[13px] font-medium transition-colors',
                  on ? 'border-accent/40 bg-accent-soft text-accent-soft-fg' : 'border-line bg-surface text-fg-muted hover:bg-hover hover:text-fg',
                )}
              >
                {STATUS_LABEL[s]}
              </button>
            );
          })}
        </div>
        <Select aria-label="Filter by priority" value={search.priority ?? ''} onChange={(e) => set({ priority: (e.target.value || undefined) as Priority | undefined })} className="w-40">
          <option value="">Any priority</option>
          {(['critical', 'high', 'medium', 'low'] as Priority[]).map((p) => (
            <option key={p} value={p}>
              {PRIORITY_LABEL[p]}
            </option>
          ))}
        </Select>
        {filtered ? (
          <Button
            variant="ghost"
            onClick={() => {
              setText('');
              void navigate({ search: sort === '-createdAt' ? {} : { sort }, replace: true });
            }}
          >
            <X aria-hidden="true" /> Clear
          </Button>
        ) : null}
        {list.isFetching && !list.isLoading ? <span className="ml-auto text-xs text-fg-subtle" role="status">Updating…</span> : null}
      </div>

      <TableCard
        error={list.error && !list.data ? list.error : null}
        onRetry={() => void list.refetch()}
        loading={list.isLoading}
        skeletonRows={8}
        empty={
          rows.length > 0 ? null : filtered ? (
            <EmptyState icon={<Search />} title="No operations match" description="Try another search or clear the filters." />
          ) : (
            <EmptyState
              icon={<ClipboardList />}
              title="No operations yet"
              description="Create the first one to start tracking work, tasks and resources."
              action={
                can(me, 'operations:create') ? (
                  <Link to="/operations/new" className={buttonClass('primary')}>
                    <Plus aria-hidden="true" /> New operation
                  </Link>
                ) : undefined
              }
            />
          )
        }
      >
        <DataTable
          caption="Operations"
          testId="operations-table"
          rowTestId="operation-row"
          columns={columns}
          rows={rows}
          rowKey={(op) => op.id}
          sort={sort}
          onSort={(s) => set({ sort: s as SortKey })}
          onRowClick={(op) => void navigate({ to: '/operations/$operationId', params: { operationId: op.id } })}
          rowClassName={(op) => isNew(op.id) && 'row-new'}
        />
      </TableCard>

      <LoadMore count={rows.length} noun={['operation', 'operations']} hasMore={list.hasNextPage} loading={list.isFetchingNextPage} onMore={() => void list.fetchNextPage()} />
    </Page>
  );
}
