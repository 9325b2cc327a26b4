import { useEffect, useState } from 'react';
import { Link, useNavigate } from '@tanstack/react-router';
import { useInfiniteQuery } from '@tanstack/react-query';
import { ArrowDown, ArrowUp, ChevronsUpDown, ClipboardList, MapPin, Plus, Search, X } from 'lucide-react';
import { api, call } from '../../lib/api';
import { cn } from '../../lib/cn';
import { formatDateTime, formatFull, formatRelative } from '../../lib/format';
import { can } from '../../lib/permissions';
import { keys, useMe } from '../../lib/queries';
import type { Operation, OperationStatus, Priority } from '../../lib/types';
import { operationsRoute, type OperationsSearch, type SortKey } from '../../app/router';
import { useIsNew } from '../../app/fresh';
import { PRIORITY_LABEL, PriorityLabel, STATUS_LABEL, StatusBadge } from '../../components/ui/badge';
import { Button, buttonClass } from '../../components/ui/button';
import { Card } from '../../components/ui/card';
import { Input, Select } from '../../components/ui/input';
import { Page, PageHeader, useDocumentTitle } from '../../components/ui/page';
import { EmptyState, ErrorState, SkeletonRows } from '../../components/ui/states';

const PAGE = 50;
const STATUSES: OperationStatus[] = ['pending', 'in_progress', 'completed', 'failed'];

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

function SortHeader({ field, label, sort, onSort, className }: { field: string; label: string; sort: SortKey; onSort: (s: SortKey) => void; className?: string }) {
  const active = sort === field || sort === `-${field}`;
  const desc = sort === `-${field}`;
  const Icon = !active ? ChevronsUpDown : desc ? ArrowDown : ArrowUp;
  return (
    <th scope="col" aria-sort={active ? (desc ? 'descending' : 'ascending') : 'none'} className={cn('px-3 py-2 text-left font-medium', className)}>
      <button
        type="button"
        onClick={() => onSort((active && !desc ? `-${field}` : field) as SortKey)}
        className={cn('-mx-1 inline-flex items-center gap-1 rounded px-1 hover:text-fg', active && 'text-fg')}
      >
        {label}
        <Icon className={cn('size-3.5', !active && 'opacity-50')} aria-hidden="true" />
      </button>
    </th>
  );
}

function Row({ op }: { op: Operation }) {
  const fresh = useIsNew(op.id);
  const navigate = useNavigate();
  return (
    <tr
      className={cn('group cursor-pointer border-b border-line last:border-0 hover:bg-hover/60', fresh && 'row-new')}
      onClick={(e) => {
        if ((e.target as HTMLElement).closest('a,button')) return;
        void navigate({ to: '/operations/$operationId', params: { operationId: op.id } });
      }}
      data-testid="operation-row"
    >
      <td className="max-w-0 px-3 py-2.5 sm:pl-4">
        <Link to="/operations/$operationId" params={{ operationId: op.id }} className="block truncate text-[13px] font-medium text-fg hover:underline">
          {op.name}
        </Link>
        <p className="truncate text-xs text-fg-subtle">
          {[op.type, ...op.tags.map((t) => `#${t}`)].filter(Boolean).join(' · ') || (op.description ? op.description.slice(0, 80) : '\u00a0')}
        </p>
      </td>
      <td className="px-3 py-2.5">
        <StatusBadge status={op.status} />
      </td>
      <td className="px-3 py-2.5">
        <PriorityLabel priority={op.priority} />
      </td>
      <td className="hidden max-w-0 px-3 py-2.5 text-[13px] text-fg-muted xl:table-cell">
        {op.location.text ? (
          <span className="flex items-center gap-1 truncate">
            <MapPin className="size-3.5 shrink-0 text-fg-subtle" aria-hidden="true" />
            <span className="truncate">{op.location.text}</span>
          </span>
        ) : (
          <span className="text-fg-subtle">—</span>
        )}
      </td>
      <td className="px-3 py-2.5 text-[13px] whitespace-nowrap text-fg-muted tabular">{op.startAt ? formatDateTime(op.startAt) : <span className="text-fg-subtle">—</span>}</td>
      <td className="px-3 py-2.5 text-[13px] whitespace-nowrap text-fg-muted sm:pr-4">
        <time dateTime={op.updatedAt} title={formatFull(op.updatedAt)}>
          {formatRelative(op.updatedAt)}
        </time>
      </td>
    </tr>
  );
}

export function OperationsPage() {
  useDocumentTitle('Operations');
  const me = useMe();
  const search = operationsRoute.useSearch();
  const navigate = useNavigate({ from: '/operations' });
  const [text, setText] = useState(search.q ?? '');
  const q = useDebounced(text.trim(), 300);
  const sort: SortKey = search.sort ?? '-createdAt';

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

      <Card as="div" className="overflow-hidden">
        {list.error && !list.data ? (
          <ErrorState error={list.error} onRetry={() => void list.refetch()} />
        ) : list.isLoading ? (
          <SkeletonRows rows={8} />
        ) : rows.length === 0 ? (
          filtered ? (
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
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full min-w-[760px] table-fixed text-[13px]" data-testid="operations-table">
              <caption className="sr-only">Operations</caption>
              <colgroup>
                <col />
                <col className="w-32" />
                <col className="w-28" />
                <col className="hidden w-48 xl:table-column" />
                <col className="w-44" />
                <col className="w-32" />
              </colgroup>
              <thead className="border-b border-line bg-app/60 text-xs text-fg-muted">
                <tr>
                  <SortHeader field="name" label="Name" sort={sort} onSort={(s) => set({ sort: s })} className="sm:pl-4" />
                  <th scope="col" className="px-3 py-2 text-left font-medium">
                    Status
                  </th>
                  <SortHeader field="priority" label="Priority" sort={sort} onSort={(s) => set({ sort: s })} />
                  <th scope="col" className="hidden px-3 py-2 text-left font-medium xl:table-cell">
                    Location
                  </th>
                  <SortHeader field="startAt" label="Starts" sort={sort} onSort={(s) => set({ sort: s })} />
                  <SortHeader field="updatedAt" label="Updated" sort={sort} onSort={(s) => set({ sort: s })} className="sm:pr-4" />
                </tr>
              </thead>
              <tbody>
                {rows.map((op) => (
                  <Row key={op.id} op={op} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>

      {rows.length > 0 ? (
        <div className="mt-3 flex items-center justify-between text-xs text-fg-subtle">
          <span role="status">
            {rows.length} operation{rows.length === 1 ? '' : 's'}
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
