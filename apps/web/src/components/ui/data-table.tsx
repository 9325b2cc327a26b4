import { Fragment, useSyncExternalStore, type CSSProperties, type ReactNode } from 'react';
import { ArrowDown, ArrowUp, ChevronsUpDown } from 'lucide-react';
import { cn } from '../../lib/cn';
import { Button } from './button';
import { Card } from './card';
import { ErrorState, SkeletonRows } from './states';

/** Room left for each column without a width (its content truncates below this). */
const FLEXIBLE_MIN_PX = 200;
/**
 * The narrowest the table may get before it scrolls: the fixed widths (`w-N` is N × 4 px) plus room
 * for the flexible columns.
 */
export function tableMinWidth(widths: (string | undefined)[], floor = 0): number {
  let px = 0;
  for (const w of widths) {
    const m = w ? /(?:^|\s)w-(\d+(?:\.\d+)?)(?:\s|$)/.exec(w) : null;
    px += m ? Number(m[1]) * 4 : FLEXIBLE_MIN_PX;
  }
  return Math.max(floor, px);
}

const BREAKPOINTS = ['md', 'lg', 'xl'] as const;
/** Tailwind's breakpoints (min-width), for the columns hidden below them. */
const MEDIA = { md: '(min-width: 48rem)', lg: '(min-width: 64rem)', xl: '(min-width: 80rem)' } as const;

/** How many columns show at the current width (an expanded row spans exactly those). */
function useVisibleCount(columns: { hideBelow?: (typeof BREAKPOINTS)[number] | undefined }[]): number {
  const key = useSyncExternalStore(
    (fn) => {
      const lists = BREAKPOINTS.map((b) => matchMedia(MEDIA[b]));
      for (const l of lists) l.addEventListener('change', fn);
      return () => lists.forEach((l) => l.removeEventListener('change', fn));
    },
    () => BREAKPOINTS.map((b) => (matchMedia(MEDIA[b]).matches ? '1' : '0')).join(''),
  );
  return columns.filter((c) => !c.hideBelow || key[BREAKPOINTS.indexOf(c.hideBelow)] === '1').length;
}
/** The minimum width at each breakpoint, counting only the columns shown there (as CSS variables). */
function minWidths(columns: { width?: string | undefined; hideBelow?: (typeof BREAKPOINTS)[number] | undefined }[], floor: number) {
  const upTo = (bp: number) => tableMinWidth(columns.filter((c) => !c.hideBelow || BREAKPOINTS.indexOf(c.hideBelow) <= bp).map((c) => c.width), floor);
  return { '--mw': `${upTo(-1)}px`, '--mw-md': `${upTo(0)}px`, '--mw-lg': `${upTo(1)}px`, '--mw-xl': `${upTo(2)}px` } as CSSProperties;
}

/** Below this breakpoint a column is hidden (full class names, so Tailwind sees them). */
const HIDE = {
  md: { cell: 'hidden md:table-cell' },
  lg: { cell: 'hidden lg:table-cell' },
  xl: { cell: 'hidden xl:table-cell' },
} as const;

/** A column's classes for its header: without the cell-only truncation (max-w-0 would undo the width). */
const headerClass = (cls: string | undefined) => cls?.split(/\s+/).filter((c) => !/^(max-w-|truncate$)/.test(c)).join(' ');

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
  minWidth,
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
  /** At least this wide (px); never narrower than its columns need (tableMinWidth). */
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
  // A colspan wider than the columns on screen would add an empty column to the table.
  const span = useVisibleCount(columns);
  return (
    // relative: screen-reader-only text (absolutely positioned) stays inside the scroller.
    <div className="relative overflow-x-auto">
      <table
        className="w-full min-w-(--mw) table-fixed text-[13px] md:min-w-(--mw-md) lg:min-w-(--mw-lg) xl:min-w-(--mw-xl)"
        style={minWidths(columns, minWidth ?? 0)}
        data-testid={testId}
      >
        <caption className="sr-only">{caption}</caption>
        <thead className="border-b border-line bg-app/60 text-xs text-fg-muted">
          <tr>
            {columns.map((c, i) => {
              // Widths sit on the header cells, not on <col>s: a hidden header then takes its column with it
              // (Chromium keeps the width of a <col> whose column is hidden).
              const cls = cn('px-3 py-2 text-left font-medium', c.width, c.hideBelow && HIDE[c.hideBelow].cell, edge(i), headerClass(c.className));
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
                    <td colSpan={span} className="px-3 pb-3 sm:px-4">
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
