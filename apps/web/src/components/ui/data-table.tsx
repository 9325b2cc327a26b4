import { Fragment, type ReactNode } from 'react';
import { ArrowDown, ArrowUp, ChevronsUpDown } from 'lucide-react';
import { cn } from '../../lib/cn';
import { Button } from './button';
import { Card } from './card';
import { ErrorState, SkeletonRows } from './states';

/** Below this breakpoint a column is hidden (full class names, so Tailwind sees them). */
const HIDE = {
  md: { cell: 'hidden md:table-cell', col: 'hidden md:table-column' },
  lg: { cell: 'hidden lg:table-cell', col: 'hidden lg:table-column' },
  xl: { cell: 'hidden xl:table-cell', col: 'hidden xl:table-column' },
} as const;

export interface Column<T> {
  id: string;
  header: ReactNode;
  /** The header is read by screen readers only (an actions column). */
  headerHidden?: boolean;
  cell: (row: T) => ReactNode;
  /** Width class of the column, e.g. `w-32`; none takes the remaining width. */
  width?: string;
  hideBelow?: keyof typeof HIDE;
  /** Extra classes of the header and the cells (alignment, wrapping). */
  className?: string;
  /** A sortable column: the field its header sorts by (toggles `field` / `-field`). */
  sort?: string;
}

function SortHeader({ field, label, sort, onSort, className }: { field: string; label: ReactNode; sort: string; onSort: (s: string) => void; className: string }) {
  const active = sort === field || sort === `-${field}`;
  const desc = sort === `-${field}`;
  const Icon = !active ? ChevronsUpDown : desc ? ArrowDown : ArrowUp;
  return (
    <th scope="col" aria-sort={active ? (desc ? 'descending' : 'ascending') : 'none'} className={className}>
      <button type="button" onClick={() => onSort(active && !desc ? `-${field}` : field)} className={cn('-mx-1 inline-flex items-center gap-1 rounded px-1 hover:text-fg', active && 'text-fg')}>
        {label}
        <Icon className={cn('size-3.5', !active && 'opacity-50')} aria-hidden="true" />
      </button>
    </th>
  );
}

/**
 * The console's table: fixed layout with column widths, responsive column hiding, sortable headers,
 * a whole-row click target (links and buttons inside keep their own), and an optional expanded row
 * under a row (the audit log's diff).
 */
export function DataTable<T>({
  caption,
  columns,
  rows,
  rowKey,
  minWidth = 720,
  sort,
  onSort,
  onRowClick,
  rowClassName,
  rowTestId,
  testId,
  expanded,
}: {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  minWidth?: number;
  sort?: string;
  onSort?: (sort: string) => void;
  onRowClick?: (row: T) => void;
  rowClassName?: (row: T) => string | false | null | undefined;
  rowTestId?: string;
  testId?: string;
  /** Content shown under a row, across all columns (null: nothing). */
  expanded?: (row: T) => ReactNode;
}) {
  const edge = (i: number) => cn(i === 0 && 'sm:pl-4', i === columns.length - 1 && 'sm:pr-4');
  return (
    <div className="overflow-x-auto">
      <table className="w-full table-fixed text-[13px]" style={{ minWidth }} data-testid={testId}>
        <caption className="sr-only">{caption}</caption>
        <colgroup>
          {columns.map((c) => (
            <col key={c.id} className={cn(c.width, c.hideBelow && HIDE[c.hideBelow].col)} />
          ))}
        </colgroup>
        <thead className="border-b border-line bg-app/60 text-xs text-fg-muted">
          <tr>
            {columns.map((c, i) => {
              const cls = cn('px-3 py-2 text-left font-medium', c.hideBelow && HIDE[c.hideBelow].cell, edge(i), c.className);
              if (c.sort && onSort && sort !== undefined) return <SortHeader key={c.id} field={c.sort} label={c.header} sort={sort} onSort={onSort} className={cls} />;
              return (
                <th key={c.id} scope="col" className={cls}>
                  {c.headerHidden ? <span className="sr-only">{c.header}</span> : c.header}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const more = expanded?.(row);
            return (
              <Fragment key={rowKey(row)}>
                <tr
                  className={cn('border-b border-line last:border-0', onRowClick && 'cursor-pointer hover:bg-hover/60', !!more && 'border-b-0 bg-hover/40', rowClassName?.(row))}
                  onClick={
                    onRowClick
                      ? (e) => {
                          if ((e.target as HTMLElement).closest('a,button,input,select,label')) return;
                          onRowClick(row);
                        }
                      : undefined
                  }
                  data-testid={rowTestId}
                >
                  {columns.map((c, i) => (
                    <td key={c.id} className={cn('px-3 py-2.5 align-middle', c.hideBelow && HIDE[c.hideBelow].cell, edge(i), c.className)}>
                      {c.cell(row)}
                    </td>
                  ))}
                </tr>
                {more ? (
                  <tr className="border-b border-line bg-hover/40 last:border-0">
                    <td colSpan={columns.length} className="px-3 pb-3 sm:px-4">
                      {more}
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** A table's card with its states: an error (with retry), loading rows, an empty state, or the table. */
export function TableCard({
  error,
  loading,
  empty,
  onRetry,
  skeletonRows = 6,
  children,
  className,
}: {
  /** Shown only when there is nothing to show yet (a failed refetch keeps the rows). */
  error?: unknown;
  loading: boolean;
  /** The empty state, when there are no rows (null: there are rows). */
  empty: ReactNode | null;
  onRetry?: () => void;
  skeletonRows?: number;
  children: ReactNode;
  className?: string;
}) {
  return (
    <Card as="div" className={cn('overflow-hidden', className)}>
      {error ? <ErrorState error={error} {...(onRetry ? { onRetry } : {})} /> : loading ? <SkeletonRows rows={skeletonRows} /> : empty ?? children}
    </Card>
  );
}

/** Under a cursor-paginated table: how many rows are shown, and a button for the next page. */
export function LoadMore({
  count,
  noun,
  hasMore,
  loading,
  onMore,
}: {
  count: number;
  /** Singular and plural, e.g. ['record', 'records']. */
  noun: [string, string];
  hasMore: boolean;
  loading: boolean;
  onMore: () => void;
}) {
  if (count === 0) return null;
  return (
    <div className="mt-3 flex items-center justify-between text-xs text-fg-subtle">
      <span role="status">
        {count} {count === 1 ? noun[0] : noun[1]}
        {hasMore ? ' shown' : ''}
      </span>
      {hasMore ? (
        <Button onClick={onMore} loading={loading}>
          Load more
        </Button>
      ) : null}
    </div>
  );
}
