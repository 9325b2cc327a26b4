import { useEffect, useState } from 'react';
import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { useInfiniteQuery } from '@tanstack/react-query';
import { ChevronDown, ChevronRight, ScrollText, Search, X } from 'lucide-react';
import { api, call } from '../../lib/api';
import { auditDiff, displayValue, grantText, type DiffRow } from '../../lib/audit-diff';
import { cn } from '../../lib/cn';
import { formatDateTime, formatFull, fromLocalInput, toLocalInput } from '../../lib/format';
import { can } from '../../lib/permissions';
import { keys, useMe, useUserNames } from '../../lib/queries';
import type { AuditEntry } from '../../lib/types';
import type { AuditSearch } from '../../app/search';
import { describeAudit, NOUNS } from '../activity';
import { Ago } from '../../components/ui/ago';
import { Button } from '../../components/ui/button';
import { DataTable, LoadMore, TableCard, type Column } from '../../components/ui/data-table';
import { Input, Select } from '../../components/ui/input';
import { Page, PageHeader, useDocumentTitle } from '../../components/ui/page';
import { EmptyState, NoAccess } from '../../components/ui/states';

const auditRoute = getRouteApi('/app/admin/audit');

const KIND_STYLE: Record<DiffRow['kind'], { label: string; cls: string }> = {
  added: { label: 'Added', cls: 'text-emerald-700 dark:text-emerald-300' },
  removed: { label: 'Removed', cls: 'text-red-700 dark:text-red-300' },
  changed: { label: 'Changed', cls: 'text-amber-700 dark:text-amber-300' },
};

function Value({ v, tone }: { v: unknown; tone: 'before' | 'after' }) {
  if (v === undefined) return <span className="text-fg-subtle">—</span>;
  return (
    <span className={cn('rounded px-1 py-0.5 font-mono text-xs break-all', tone === 'before' ? 'bg-red-500/8 text-red-800 dark:text-red-200' : 'bg-emerald-500/10 text-emerald-800 dark:text-emerald-200')}>
      {displayValue(v)}
    </span>
  );
}

/** The changed fields of a record, before and after; lists show what came and went. */
export function AuditDiff({ entry }: { entry: AuditEntry }) {
  const { rows, details } = auditDiff(entry.changes);
  return (
    <div className="flex flex-col gap-3 pt-1" data-testid="audit-diff">
      {rows.length ? (
        <table className="w-full table-fixed text-[13px]">
          <caption className="sr-only">Changed fields</caption>
          <colgroup>
            <col className="w-64" />
            <col className="w-24" />
            <col />
            <col />
          </colgroup>
          <thead className="text-left text-xs text-fg-muted">
            <tr>
              {['Field', 'Change', 'Before', 'After'].map((h) => (
                <th key={h} scope="col" className="py-1 pr-3 font-medium">
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.path} className="border-t border-line align-top" data-testid="diff-row" data-field={r.path}>
                <td className="py-1.5 pr-3 font-mono text-xs break-words">{r.path}</td>
                <td className={cn('py-1.5 pr-3 text-xs font-medium', KIND_STYLE[r.kind].cls)}>{KIND_STYLE[r.kind].label}</td>
                {r.items ? (
                  <td colSpan={2} className="py-1.5">
                    <ul className="flex flex-col gap-0.5 font-mono text-xs">
                      {r.items.removed.map((x) => (
                        <li key={`-${grantText(x)}`} className="text-red-700 dark:text-red-300">
                          − {grantText(x)}
                        </li>
                      ))}
                      {r.items.added.map((x) => (
                        <li key={`+${grantText(x)}`} className="text-emerald-700 dark:text-emerald-300">
                          + {grantText(x)}
                        </li>
                      ))}
                      {!r.items.added.length && !r.items.removed.length ? <li className="text-fg-subtle">Same items, another order</li> : null}
                    </ul>
                  </td>
                ) : (
                  <>
                    <td className="py-1.5 pr-3">
                      <Value v={r.before} tone="before" />
                    </td>
                    <td className="py-1.5">
                      <Value v={r.after} tone="after" />
                    </td>
                  </>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="text-xs text-fg-subtle">No field changes recorded.</p>
      )}
      {details.length ? (
        <dl className="grid grid-cols-[max-content_1fr] gap-x-3 gap-y-0.5 text-xs">
          {details.map(([k, v]) => (
            <div key={k} className="contents">
              <dt className="text-fg-muted">{k}</dt>
              <dd className="font-mono break-all">{displayValue(v)}</dd>
            </div>
          ))}
        </dl>
      ) : null}
      <p className="flex flex-wrap gap-x-4 gap-y-0.5 text-[11.5px] text-fg-subtle">
        <span>#{entry.seq}</span>
        <span title={formatFull(entry.createdAt)}>{formatDateTime(entry.createdAt)}</span>
        {entry.requestId ? <span>request {entry.requestId}</span> : null}
        {entry.ip ? <span>from {entry.ip}</span> : null}
        <span className="font-mono" title={`Hash chain: ${entry.hash}`}>
          hash {entry.hash.slice(0, 12)}…
        </span>
      </p>
    </div>
  );
}

function EntityCell({ e }: { e: AuditEntry }) {
  const noun = NOUNS[e.entityType] ?? e.entityType.replaceAll('_', ' ');
  const id = e.entityId ? <span className="font-mono text-[11px] text-fg-subtle">{e.entityId.slice(0, 8)}</span> : null;
  if (e.entityType === 'operation' && e.entityId && !e.action.endsWith('.delete')) {
    return (
      <Link to="/operations/$operationId" params={{ operationId: e.entityId }} className="hover:underline">
        {noun} {id}
      </Link>
    );
  }
  return (
    <span>
      {noun} {id}
    </span>
  );
}

const ENTITY_TYPES = Object.keys(NOUNS).sort();

export function AuditPage() {
  useDocumentTitle('Audit log');
  const me = useMe();
  const names = useUserNames();
  const allowed = can(me, 'audit:read');
  const search = auditRoute.useSearch();
  const navigate = useNavigate({ from: '/admin/audit' });
  const [open, setOpen] = useState<Set<string>>(new Set());
  const [action, setAction] = useState(search.action ?? '');
  const [entityId, setEntityId] = useState(search.entityId ?? '');
  const set = (patch: Partial<AuditSearch>) =>
    void navigate({ search: (prev: AuditSearch) => Object.fromEntries(Object.entries({ ...prev, ...patch }).filter(([, v]) => v !== undefined && v !== '')) as AuditSearch, replace: true });

  // Typed filters apply after a pause.
  useEffect(() => {
    const t = setTimeout(() => {
      if ((search.action ?? '') !== action.trim() || (search.entityId ?? '') !== entityId.trim()) set({ action: action.trim() || undefined, entityId: entityId.trim() || undefined });
    }, 350);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [action, entityId]);

  const list = useInfiniteQuery({
    queryKey: [...keys.audit, 'log', search],
    queryFn: ({ pageParam }) =>
      call(
        api.GET('/api/audit-logs', {
          params: { query: { limit: 50, ...search, ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    placeholderData: (prev) => prev,
    enabled: allowed,
  });
  if (!allowed) return <NoAccess what="the audit log" />;
  const rows = list.data?.pages.flatMap((p) => p.data) ?? [];
  const filtered = Object.keys(search).length > 0;
  const toggle = (id: string) =>
    setOpen((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });

  const columns: Column<AuditEntry>[] = [
    {
      id: 'expand',
      header: 'Details',
      headerHidden: true,
      width: 'w-10',
      className: 'px-1',
      cell: (e) => (
        <Button
          variant="ghost"
          size="icon-sm"
          aria-expanded={open.has(e.id)}
          aria-controls={`diff-${e.id}`}
          aria-label={`${open.has(e.id) ? 'Hide' : 'Show'} the changes of ${e.action} #${e.seq}`}
          onClick={() => toggle(e.id)}
        >
          {open.has(e.id) ? <ChevronDown aria-hidden="true" /> : <ChevronRight aria-hidden="true" />}
        </Button>
      ),
    },
    {
      id: 'when',
      header: 'When',
      width: 'w-32',
      className: 'whitespace-nowrap text-fg-muted',
      cell: (e) => <Ago value={e.createdAt} />,
    },
    {
      id: 'who',
      header: 'Actor',
      width: 'w-36',
      className: 'max-w-0 truncate',
      // A user this reader may not list shows by id rather than as "Someone".
      cell: (e) => (e.actorType === 'user' && e.actorId && !names.has(e.actorId) ? <span className="font-mono text-xs">user {e.actorId.slice(0, 8)}</span> : describeAudit(e, names).actor),
    },
    { id: 'action', header: 'Action', width: 'w-44', className: 'max-w-0', cell: (e) => <code className={cn('block truncate font-mono text-xs', e.action.startsWith('security.') ? 'text-red-600 dark:text-red-400' : 'text-fg')}>{e.action}</code> },
    { id: 'entity', header: 'Entity', width: 'w-40', hideBelow: 'xl', className: 'max-w-0 truncate text-fg-muted', cell: (e) => <EntityCell e={e} /> },
    {
      id: 'what',
      header: 'Summary',
      className: 'max-w-0',
      cell: (e) => {
        const d = describeAudit(e, names);
        return (
          <>
            <p className="truncate text-fg-muted">{d.text}</p>
            {d.detail ? <p className="truncate text-xs text-fg-subtle">{d.detail}</p> : null}
          </>
        );
      },
    },
  ];

  return (
    <Page>
      <PageHeader title="Audit log" description="Every change, who made it and what it changed. Append-only and hash-chained." />
      <div className="mb-3 flex flex-wrap items-center gap-2" role="search" aria-label="Filter the audit log">
        <Select aria-label="Entity type" className="w-36" value={search.entityType ?? ''} onChange={(e) => set({ entityType: e.target.value || undefined })}>
          <option value="">All entities</option>
          {ENTITY_TYPES.map((t) => (
            <option key={t} value={t}>
              {NOUNS[t]}
            </option>
          ))}
        </Select>
        <Input aria-label="Entity id" className="w-40 font-mono text-xs" placeholder="Entity id" value={entityId} onChange={(e) => setEntityId(e.target.value)} />
        <Select aria-label="Actor" className="w-40" value={search.userId ?? ''} onChange={(e) => set({ userId: e.target.value || undefined })}>
          <option value="">Anyone</option>
          {[...names].map(([id, name]) => (
            <option key={id} value={id}>
              {name}
            </option>
          ))}
        </Select>
        <div className="relative w-48">
          <Search className="pointer-events-none absolute top-1/2 left-2.5 size-4 -translate-y-1/2 text-fg-subtle" aria-hidden="true" />
          <Input aria-label="Action" className="pl-8 font-mono text-xs" placeholder="role.update or role.*" value={action} onChange={(e) => setAction(e.target.value)} />
        </div>
        {(['from', 'to'] as const).map((k) => (
          <label key={k} className="flex items-center gap-1.5 text-xs text-fg-muted">
            {k === 'from' ? 'From' : 'To'}
            <Input type="datetime-local" className="w-48" value={toLocalInput(search[k])} onChange={(e) => set({ [k]: fromLocalInput(e.target.value) ?? undefined })} />
          </label>
        ))}
        {filtered ? (
          <Button
            variant="ghost"
            onClick={() => {
              setAction('');
              setEntityId('');
              void navigate({ search: {}, replace: true });
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
      <TableCard
        error={list.error && !list.data ? list.error : null}
        onRetry={() => void list.refetch()}
        loading={list.isLoading}
        skeletonRows={10}
        empty={rows.length ? null : <EmptyState icon={<ScrollText />} title={filtered ? 'No records match' : 'No records yet'} description={filtered ? 'Try fewer filters.' : undefined} />}
      >
        <DataTable
          caption="Audit log"
          testId="audit-table"
          rowTestId="audit-row"
          columns={columns}
          rows={rows}
          rowKey={(e) => e.id}
          onRowClick={(e) => toggle(e.id)}
          expanded={(e) =>
            open.has(e.id) ? (
              <div id={`diff-${e.id}`}>
                <AuditDiff entry={e} />
              </div>
            ) : null
          }
        />
      </TableCard>
      <LoadMore count={rows.length} noun={['record', 'records']} hasMore={list.hasNextPage} loading={list.isFetchingNextPage} onMore={() => void list.fetchNextPage()} />
    </Page>
  );
}
