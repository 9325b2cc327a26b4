import { useState } from 'react';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Send } from 'lucide-react';
import { api, call } from '../../lib/api';
import { nextPages, pageRequest, rowsOf } from '../../lib/pages';
import { can } from '../../lib/permissions';
import { useMe } from '../../lib/queries';
import type { Ok } from '../../lib/types';
import { Ago } from '../../components/ui/ago';
import { Badge } from '../../components/ui/badge';
import { DataTable, LoadMore, TableCard, type Column } from '../../components/ui/data-table';
import { Select } from '../../components/ui/input';
import { Page, PageHeader, useDocumentTitle } from '../../components/ui/page';
import { Banner, EmptyState, NoAccess } from '../../components/ui/states';

type Message = Ok<'/api/outgoing-messages', 'get'>['data'][number];
type Channel = Message['channel'];
type Status = Message['status'];

const CHANNEL_LABEL: Record<Channel, string> = { email: 'Email', sms: 'SMS', whatsapp: 'WhatsApp' };
const STATUS_LABEL: Record<Status, string> = { pending: 'Pending', sent: 'Sent', failed: 'Failed' };

function StatusCell({ m }: { m: Message }) {
  if (m.status === 'sent' && m.transport === 'log') return <Badge tone="amber">Logged only</Badge>;
  if (m.status === 'sent') return <Badge tone="green">Sent</Badge>;
  if (m.status === 'failed') return <Badge tone="red">Failed</Badge>;
  return <Badge tone="blue">{m.attempts ? 'Retrying' : 'Pending'}</Badge>;
}

/** What the server sent (or could not) by email, SMS and WhatsApp: status, attempts and the last error. */
export function OutgoingMessagesPage() {
  useDocumentTitle('Outgoing messages');
  const me = useMe();
  const allowed = can(me, 'messages:read');
  const [status, setStatus] = useState<Status | ''>('');
  const [channel, setChannel] = useState<Channel | ''>('');
  const filter = { ...(status ? { status } : {}), ...(channel ? { channel } : {}) };
  const messages = useInfiniteQuery({
    queryKey: ['outgoing-messages', filter],
    queryFn: ({ pageParam }) => call(api.GET('/api/outgoing-messages', { params: { query: { ...filter, ...pageRequest(pageParam) } } })),
    ...nextPages,
    enabled: allowed,
    refetchInterval: 30_000,
  });
  const delivery = useQuery({ queryKey: ['outgoing-messages', 'delivery'], queryFn: () => call(api.GET('/api/outgoing-messages/delivery')), enabled: allowed, staleTime: 5 * 60_000 });
  if (!allowed) return <NoAccess what="outgoing messages" />;
  const rows = rowsOf(messages.data);
  const logged = delivery.data ? (Object.keys(delivery.data) as Channel[]).filter((c) => delivery.data[c] === 'log') : [];

  const columns: Column<Message>[] = [
    {
      id: 'to',
      header: 'To',
      className: 'max-w-0',
      cell: (m) => (
        <>
          <p className="truncate font-medium">{m.to}</p>
          <p className="truncate text-xs text-fg-subtle">
            {CHANNEL_LABEL[m.channel]}
            {m.subject ? ` · ${m.subject}` : ''}
          </p>
        </>
      ),
    },
    { id: 'status', header: 'Status', width: 'w-32', cell: (m) => <StatusCell m={m} /> },
    {
      id: 'error',
      header: 'Last error',
      width: 'w-72',
      hideBelow: 'lg',
      className: 'max-w-0',
      cell: (m) =>
        m.lastError ? (
          <p className="truncate text-xs text-danger" title={m.lastError}>
            {m.lastError}
          </p>
        ) : (
          <span className="text-fg-subtle">—</span>
        ),
    },
    { id: 'attempts', header: 'Attempts', width: 'w-24', hideBelow: 'xl', className: 'tabular text-fg-muted', cell: (m) => m.attempts },
    { id: 'created', header: 'Queued', width: 'w-32', className: 'whitespace-nowrap text-fg-muted', cell: (m) => <Ago value={m.createdAt} /> },
  ];

  return (
    <Page>
      <PageHeader title="Outgoing messages" description="Email, SMS and WhatsApp messages the server sends: delivered, retrying, or given up on with the provider’s last answer." />
      {delivery.data?.email === 'log' ? (
        <Banner tone="warning" className="mb-3">
          <span data-testid="mail-logged-warning">
            No mail server is configured: mail is only being logged here, not sent. Set <code className="font-mono">SMTP_URL</code> on the server to send it.
          </span>
        </Banner>
      ) : null}
      {logged.some((c) => c !== 'email') ? (
        <Banner tone="info" className="mb-3">
          {logged
            .filter((c) => c !== 'email')
            .map((c) => CHANNEL_LABEL[c])
            .join(' and ')}{' '}
          messages are only logged: no provider is configured for them.
        </Banner>
      ) : null}
      <div className="mb-3 flex flex-wrap gap-2">
        <Select aria-label="Status" className="w-40" value={status} onChange={(e) => setStatus(e.target.value as Status | '')}>
          <option value="">Any status</option>
          {(Object.keys(STATUS_LABEL) as Status[]).map((s) => (
            <option key={s} value={s}>
              {STATUS_LABEL[s]}
            </option>
          ))}
        </Select>
        <Select aria-label="Channel" className="w-40" value={channel} onChange={(e) => setChannel(e.target.value as Channel | '')}>
          <option value="">Any channel</option>
          {(Object.keys(CHANNEL_LABEL) as Channel[]).map((c) => (
            <option key={c} value={c}>
              {CHANNEL_LABEL[c]}
            </option>
          ))}
        </Select>
      </div>
      <TableCard
        error={messages.error && !messages.data ? messages.error : null}
        onRetry={() => void messages.refetch()}
        loading={messages.isLoading}
        empty={rows.length ? null : <EmptyState icon={<Send />} title={status || channel ? 'No messages match' : 'No messages yet'} description="Ticket confirmations, replies, invitations and password resets appear here as they are sent." />}
      >
        <DataTable caption="Outgoing messages" testId="messages-table" rowTestId="message-row" columns={columns} rows={rows} rowKey={(m) => m.id} />
      </TableCard>
      <LoadMore count={rows.length} noun={['message', 'messages']} hasMore={messages.hasNextPage} loading={messages.isFetchingNextPage} onMore={() => void messages.fetchNextPage()} />
    </Page>
  );
}
