import { formatFull, formatRelative } from '../../lib/format';

/** "3 min ago" with the full date and zone as a tooltip; `never` when there is no date. */
export function Ago({ value, never = 'Never' }: { value: string | number | null | undefined; never?: string }) {
  if (value == null) return <span className="text-fg-subtle">{never}</span>;
  const iso = typeof value === 'number' ? new Date(value).toISOString() : value;
  return (
    <time dateTime={iso} title={formatFull(value)}>
      {formatRelative(value)}
    </time>
  );
}
