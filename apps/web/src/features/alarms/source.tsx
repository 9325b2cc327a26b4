import { Link } from '@tanstack/react-router';
import { useQuery, type QueryClient } from '@tanstack/react-query';
import { api, call } from '../../lib/api';
import { can } from '../../lib/permissions';
import { devicesQuery, keys, useMe } from '../../lib/queries';
import type { Operation } from '../../lib/types';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const SOURCE = new RegExp(`^(operation|device):(${UUID})$`, 'i');

export function parseSource(source: string): { kind: 'operation' | 'device'; id: string } | null {
  const m = SOURCE.exec(source);
  return m ? { kind: m[1]!.toLowerCase() as 'operation' | 'device', id: m[2]!.toLowerCase() } : null;
}


/** A short text for an alarm's source from what the cache knows (toasts have no hooks). */
export function sourceText(source: string, qc: QueryClient): string {
  const s = parseSource(source);
  if (!s) return source;
  if (s.kind === 'operation') return qc.getQueryData<Operation>(keys.operation(s.id))?.name ?? 'An operation';
  return qc.getQueryData<{ data: { id: string; name: string }[] }>(devicesQuery.queryKey)?.data.find((d) => d.id === s.id)?.name ?? 'A device';
}

/** An alarm's source by name: a link to the operation, or the device's name. */
export function AlarmSource({ source }: { source: string }) {
  const me = useMe();
  const s = parseSource(source);
  const op = useQuery({
    queryKey: keys.operation(s?.id ?? ''),
    queryFn: () => call(api.GET('/api/operations/{id}', { params: { path: { id: s!.id } } })),
    enabled: s?.kind === 'operation' && can(me, 'operations:read'),
    staleTime: 5 * 60_000,
    retry: false,
  });
  const devices = useQuery({ ...devicesQuery, enabled: s?.kind === 'device' && can(me, 'devices:read') });
  if (!s) return <>{source}</>;
  if (s.kind === 'operation') {
    return (
      <Link to="/operations/$operationId" params={{ operationId: s.id }} className="font-medium text-fg-muted hover:text-fg hover:underline">
        {op.data?.name ?? 'Operation'}
      </Link>
    );
  }
  const name = devices.data?.data.find((d) => d.id === s.id)?.name;
  return <span className="font-medium text-fg-muted">{name ?? `Device ${s.id.slice(0, 8)}`}</span>;
}
