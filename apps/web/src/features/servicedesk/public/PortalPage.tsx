import { getRouteApi } from '@tanstack/react-router';
import { useState, useSyncExternalStore } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { RadioGroup } from 'radix-ui';
import { LinkIcon, Send, Star } from 'lucide-react';
import { call } from '../../../lib/api';
import { cn } from '../../../lib/cn';
import { formatDateTime, formatFull } from '../../../lib/format';
import { ApiError, errorFor, fieldErrors } from '../../../lib/problem';
import { Button } from '../../../components/ui/button';
import { Card } from '../../../components/ui/card';
import { Field, Textarea } from '../../../components/ui/input';
import { Banner, EmptyState, errorMessage, ErrorState, SkeletonRows } from '../../../components/ui/states';
import { AttachmentList, AttachmentPicker } from '../components';
import { publicApi, type FileSource } from '../files';
import { TicketStatusBadge } from '../labels';
import type { PortalTicket, UploadedFile } from '../types';
import { tokenFromHash } from './link';
import { PublicLayout } from './PublicLayout';

const portalRoute = getRouteApi('/portal/tickets/$ticketId');

const SCORE_LABEL = ['', 'Very poor', 'Poor', 'Okay', 'Good', 'Excellent'];

function Csat({ ticket, token }: { ticket: PortalTicket; token: string }) {
  const qc = useQueryClient();
  const [score, setScore] = useState('');
  const [comment, setComment] = useState('');
  const rate = useMutation({
    mutationFn: () =>
      call(
        publicApi.POST('/api/portal/tickets/{id}/csat', {
          params: { path: { id: ticket.id }, header: { 'x-ticket-token': token } },
          body: { score: Number(score), ...(comment.trim() ? { comment: comment.trim() } : {}) },
        }),
      ),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['portal', ticket.id] }),
  });
  if (ticket.csat) {
    return (
      <Card className="p-5" aria-labelledby="csat-title">
        <h2 id="csat-title" className="text-[15px] font-semibold">
          Thank you for your rating
        </h2>
        <p className="mt-2 flex items-center gap-2 text-[13px] text-fg-muted" data-testid="csat-given">
          <span className="inline-flex" aria-label={`${ticket.csat.score} out of 5`}>
            {[1, 2, 3, 4, 5].map((i) => (
              <Star key={i} className={cn('size-4', i <= ticket.csat!.score ? 'fill-amber-400 text-amber-400' : 'text-line-strong')} aria-hidden="true" />
            ))}
          </span>
          {ticket.csat.comment ? `“${ticket.csat.comment}”` : null}
        </p>
      </Card>
    );
  }
  if (!ticket.canRate) return null;
  const errors = fieldErrors(rate.error);
  return (
    <Card className="p-5" aria-labelledby="csat-title">
      <h2 id="csat-title" className="text-[15px] font-semibold">
        How did we do?
      </h2>
      <p className="mt-1 text-[13px] text-fg-muted">Your ticket is resolved. Rate our help from 1 (very poor) to 5 (excellent).</p>
      <form
        className="mt-4 flex flex-col gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          if (score) rate.mutate();
        }}
      >
        <RadioGroup.Root value={score} onValueChange={setScore} className="flex gap-2" aria-label="Your rating">
          {[1, 2, 3, 4, 5].map((n) => (
            <RadioGroup.Item
              key={n}
              value={String(n)}
              aria-label={`${n}: ${SCORE_LABEL[n]}`}
              className="flex h-10 w-12 flex-col items-center justify-center rounded-md border border-line bg-surface text-sm font-semibold hover:bg-hover data-[state=checked]:border-amber-500 data-[state=checked]:bg-amber-500/15 data-[state=checked]:text-amber-800 dark:data-[state=checked]:text-amber-300"
            >
              {n}
            </RadioGroup.Item>
          ))}
        </RadioGroup.Root>
        {score ? <p className="text-xs text-fg-muted">{SCORE_LABEL[Number(score)]}</p> : null}
        <Field label="Comment (optional)" error={errorFor(errors, 'comment')}>
          <Textarea value={comment} onChange={(e) => setComment(e.target.value)} rows={3} maxLength={2000} />
        </Field>
        {rate.error && !errorFor(errors, 'comment') ? <Banner>{errorMessage(rate.error)}</Banner> : null}
        <Button type="submit" variant="primary" className="self-start" disabled={!score} loading={rate.isPending}>
          Send rating
        </Button>
      </form>
    </Card>
  );
}

function ReplyForm({ ticket, token }: { ticket: PortalTicket; token: string }) {
  const qc = useQueryClient();
  const [body, setBody] = useState('');
  const [files, setFiles] = useState<UploadedFile[]>([]);
  const send = useMutation({
    mutationFn: () =>
      call(
        publicApi.POST('/api/portal/tickets/{id}/replies', {
          params: { path: { id: ticket.id }, header: { 'x-ticket-token': token } },
          body: { body, ...(files.length ? { attachmentIds: files.map((f) => f.id) } : {}) },
        }),
      ),
    onSuccess: () => {
      setBody('');
      setFiles([]);
      void qc.invalidateQueries({ queryKey: ['portal', ticket.id] });
    },
  });
  const errors = fieldErrors(send.error);
  return (
    <Card className="p-4" aria-labelledby="portal-reply-title">
      <h2 id="portal-reply-title" className="mb-2 text-[15px] font-semibold">
        {ticket.status === 'resolved' ? 'Still need help? Reply to reopen' : 'Reply'}
      </h2>
      <form
        className="flex flex-col gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          if (body.trim()) send.mutate();
        }}
      >
        <label htmlFor="portal-reply" className="sr-only">
          Your reply
        </label>
        <Textarea id="portal-reply" value={body} onChange={(e) => setBody(e.target.value)} rows={4} placeholder="Write your reply…" aria-invalid={errors.body ? true : undefined} maxLength={50_000} />
        {errors.body ? <p className="text-xs text-red-600 dark:text-red-400">{errors.body}</p> : null}
        {send.error && !errors.body ? <Banner>{errorMessage(send.error)}</Banner> : null}
        <div className="flex flex-wrap items-center gap-2">
          <AttachmentPicker files={files} onChange={setFiles} target={{ kind: 'portal', ticketId: ticket.id, token }} max={10} label="Attach files" />
          <Button type="submit" variant="primary" className="ml-auto" disabled={!body.trim()} loading={send.isPending}>
            <Send aria-hidden="true" /> Send reply
          </Button>
        </div>
      </form>
    </Card>
  );
}

const subscribeHash = (fn: () => void) => {
  window.addEventListener('hashchange', fn);
  return () => window.removeEventListener('hashchange', fn);
};

export function PortalPage() {
  const { ticketId } = portalRoute.useParams();
  // Follows the fragment: pasting another link into the same tab changes only the hash.
  const token = useSyncExternalStore(subscribeHash, () => tokenFromHash(location.hash));
  const q = useQuery({
    queryKey: ['portal', ticketId, token],
    queryFn: () => call(publicApi.GET('/api/portal/tickets/{id}', { params: { path: { id: ticketId }, header: { 'x-ticket-token': token! } } })),
    enabled: !!token,
    retry: false,
    // No live connection without an account: look for answers now and then, and when the tab is shown again.
    refetchInterval: 30_000,
  });
  const source: FileSource | null = token ? { kind: 'portal', ticketId, token } : null;
  const t = q.data;

  if (!token || (q.error instanceof ApiError && (q.error.status === 404 || q.error.status === 400 || q.error.status === 401))) {
    return (
      <PublicLayout title="Ticket">
        <Card as="div">
          <EmptyState
            icon={<LinkIcon />}
            title="This link does not open a ticket"
            description="The link may be incomplete or no longer valid. Use the full link from your confirmation email, including everything after the # sign."
          />
        </Card>
      </PublicLayout>
    );
  }
  return (
    <PublicLayout title={t ? `Ticket #${t.number}` : 'Ticket'}>
      {q.error ? (
        <Card as="div">
          <ErrorState error={q.error} onRetry={() => void q.refetch()} />
        </Card>
      ) : !t || !source ? (
        <Card as="div">
          <SkeletonRows rows={4} />
        </Card>
      ) : (
        <div className="flex flex-col gap-4">
          <div>
            <p className="text-[13px] text-fg-subtle tabular">Ticket #{t.number}</p>
            <h1 className="mt-0.5 text-xl font-semibold">{t.subject}</h1>
            <p className="mt-2 flex items-center gap-2 text-[13px] text-fg-muted">
              <TicketStatusBadge status={t.status} /> Opened {formatDateTime(t.createdAt)}
            </p>
          </div>
          <ol className="flex flex-col gap-3" data-testid="portal-thread">
            <li className="rounded-lg border border-line bg-surface px-4 py-3">
              <p className="mb-1 text-xs font-medium text-fg-muted">You wrote</p>
              <p className="text-[13.5px] leading-relaxed break-words whitespace-pre-wrap">{t.description}</p>
              <AttachmentList ids={t.attachmentIds} source={source} className="mt-2" />
            </li>
            {t.replies.map((r) => (
              <li key={r.id} className={cn('rounded-lg border px-4 py-3', r.from === 'support' ? 'border-accent/25 bg-accent-soft/40' : 'border-line bg-surface')} data-testid={`portal-reply-${r.from}`}>
                <div className="mb-1 flex items-center gap-2 text-xs">
                  <span className="font-medium text-fg-muted">{r.from === 'support' ? 'Support' : 'You'}</span>
                  <time className="ml-auto text-fg-subtle" dateTime={r.createdAt} title={formatFull(r.createdAt)}>
                    {formatDateTime(r.createdAt)}
                  </time>
                </div>
                <p className="text-[13.5px] leading-relaxed break-words whitespace-pre-wrap">{r.body}</p>
                <AttachmentList ids={r.attachmentIds} source={source} className="mt-2" />
              </li>
            ))}
          </ol>
          <Csat ticket={t} token={token} />
          {t.status === 'closed' ? <Banner tone="info">This ticket is closed. To ask something new, open another request.</Banner> : <ReplyForm ticket={t} token={token} />}
        </div>
      )}
    </PublicLayout>
  );
}
