import { useState } from 'react';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { Globe, Laptop, LogOut, Monitor, Smartphone } from 'lucide-react';
import { api, call } from '../../lib/api';
import { auth } from '../../lib/auth';
import { formatDateTime, formatFull, formatRelative } from '../../lib/format';
import { nextPages, pageRequest, rowsOf } from '../../lib/pages';
import { keys } from '../../lib/queries';
import { toast } from '../../lib/toast';
import type { Session } from '../../lib/types';
import { Badge } from '../../components/ui/badge';
import { Button } from '../../components/ui/button';
import { Card } from '../../components/ui/card';
import { LoadMore } from '../../components/ui/data-table';
import { ConfirmDialog } from '../../components/ui/dialog';
import { Page, PageHeader, useDocumentTitle } from '../../components/ui/page';
import { EmptyState, errorMessage, ErrorState, SkeletonRows } from '../../components/ui/states';

/** "Chrome on Linux" from a user agent, roughly: enough to recognise one's own devices. */
export function describeAgent(ua: string | null): { label: string; mobile: boolean } {
  if (!ua) return { label: 'Unknown device', mobile: false };
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /OPR\//.test(ua)
      ? 'Opera'
      : /Firefox\//.test(ua)
        ? 'Firefox'
        : /Chrom(e|ium)\//.test(ua)
          ? 'Chrome'
          : /Safari\//.test(ua)
            ? 'Safari'
            : /curl|node|undici|axios|python|Go-http/i.test(ua)
              ? 'API client'
              : 'Browser';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad|iOS/.test(ua) ? 'iOS' : /Mac OS X|Macintosh/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows' : /Linux|X11/.test(ua) ? 'Linux' : null;
  return { label: os ? `${browser} on ${os}` : browser, mobile: /Mobile|Android|iPhone/.test(ua) };
}

function SessionRow({ s, onRevoke, busy }: { s: Session; onRevoke: () => void; busy: boolean }) {
  const agent = describeAgent(s.userAgent);
  const Icon = agent.label === 'API client' ? Globe : agent.mobile ? Smartphone : /mac|Windows|Linux/i.test(agent.label) ? Laptop : Monitor;
  return (
    <li className="flex flex-wrap items-center gap-3 px-4 py-3 sm:flex-nowrap" data-testid="session-row">
      <span className="flex size-9 shrink-0 items-center justify-center rounded-lg bg-hover text-fg-muted">
        <Icon className="size-4" aria-hidden="true" />
      </span>
      <div className="min-w-0 flex-1">
        <p className="flex flex-wrap items-center gap-2 text-[13px] font-medium">
          {agent.label}
          {s.current ? <Badge tone="green" dot>This device</Badge> : null}
        </p>
        <p className="truncate text-xs text-fg-subtle">
          {s.ip ?? 'Unknown address'} · signed in {formatDateTime(s.createdAt)} · active{' '}
          <time dateTime={s.lastActivityAt} title={formatFull(s.lastActivityAt)}>
            {formatRelative(s.lastActivityAt)}
          </time>
        </p>
        <p className="truncate text-xs text-fg-subtle">Expires {formatDateTime(s.expiresAt)}</p>
      </div>
      <Button size="sm" variant={s.current ? 'secondary' : 'ghost'} onClick={onRevoke} disabled={busy} className="ml-12 sm:ml-0">
        <LogOut aria-hidden="true" /> {s.current ? 'Sign out' : 'Revoke'}
      </Button>
    </li>
  );
}

/** The signed-in user's sessions: where they are signed in, and revoking any of them. */
export function SessionsPage() {
  useDocumentTitle('My sessions');
  const qc = useQueryClient();
  const sessions = useInfiniteQuery({
    queryKey: keys.sessions,
    queryFn: ({ pageParam }) => call(api.GET('/api/auth/sessions', { params: { query: pageRequest(pageParam) } })),
    ...nextPages,
  });
  const [confirmOthers, setConfirmOthers] = useState(false);
  const revoke = useMutation({
    mutationFn: (s: Session) => call(api.DELETE('/api/auth/sessions/{id}', { params: { path: { id: s.id } } })),
    onSuccess: (_r, s) => {
      if (s.current) {
        auth.expire();
        return;
      }
      void qc.invalidateQueries({ queryKey: keys.sessions });
      toast('Session revoked', { tone: 'success', description: 'That device is signed out.' });
    },
    onError: (err) => toast('Could not revoke', { tone: 'error', description: errorMessage(err) }),
  });
  const revokeOthers = useMutation({
    mutationFn: () => call(api.POST('/api/auth/sessions/revoke-others')),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: keys.sessions });
      setConfirmOthers(false);
      toast('Other sessions revoked', { tone: 'success', description: 'Every other device is signed out.' });
    },
    onError: (err) => toast('Could not revoke', { tone: 'error', description: errorMessage(err) }),
  });
  // This device first, then by last activity (the pages come newest sign-in first).
  const list = [...rowsOf(sessions.data)].sort((a, b) => Number(b.current) - Number(a.current) || b.lastActivityAt.localeCompare(a.lastActivityAt));
  const others = list.filter((s) => !s.current).length;
  return (
    <Page width="narrow">
      <PageHeader
        title="My sessions"
        description="Devices and apps signed in to your account. Revoke any you don’t recognise."
        actions={
          others > 0 ? (
            <Button onClick={() => setConfirmOthers(true)}>
              <LogOut aria-hidden="true" /> Sign out other sessions
            </Button>
          ) : undefined
        }
      />
      <Card as="div">
        {sessions.error ? (
          <ErrorState error={sessions.error} onRetry={() => void sessions.refetch()} />
        ) : sessions.isLoading ? (
          <SkeletonRows rows={3} />
        ) : list.length === 0 ? (
          <EmptyState title="No sessions" />
        ) : (
          <ul className="divide-y divide-line">
            {list.map((s) => (
              <SessionRow key={s.id} s={s} busy={revoke.isPending} onRevoke={() => revoke.mutate(s)} />
            ))}
          </ul>
        )}
      </Card>
      <LoadMore count={list.length} noun={['session', 'sessions']} hasMore={sessions.hasNextPage} loading={sessions.isFetchingNextPage} onMore={() => void sessions.fetchNextPage()} />
      <ConfirmDialog
        open={confirmOthers}
        onOpenChange={setConfirmOthers}
        title={sessions.hasNextPage ? 'Sign out every other session?' : `Sign out ${others} other session${others === 1 ? '' : 's'}?`}
        description="Every device except this one is signed out at once."
        confirmLabel="Sign out others"
        pending={revokeOthers.isPending}
        onConfirm={() => revokeOthers.mutate()}
      />
    </Page>
  );
}
