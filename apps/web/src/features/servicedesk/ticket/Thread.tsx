import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { DropdownMenu as M } from 'radix-ui';
import { ChevronDown, Lock, MessageSquareText, Send } from 'lucide-react';
import { api, call } from '../../../lib/api';
import { cn } from '../../../lib/cn';
import { formatDateTime, formatFull, initials } from '../../../lib/format';
import { nextPages, pageRequest, rowsOf } from '../../../lib/pages';
import { errorFor, fieldErrors } from '../../../lib/problem';
import { toast } from '../../../lib/toast';
import { Button } from '../../../components/ui/button';
import { Card } from '../../../components/ui/card';
import { LoadMore } from '../../../components/ui/data-table';
import { Select, Textarea } from '../../../components/ui/input';
import { Banner, errorMessage, ErrorState, SkeletonRows } from '../../../components/ui/states';
import { AttachmentList, AttachmentPicker } from '../components';
import { TICKET_STATUS_LABEL } from '../labels';
import { sdKeys, useCanned } from '../queries';
import type { Reply, Ticket, TicketStatus, UploadedFile } from '../types';

const CONSOLE = { kind: 'console' } as const;

function Message({ who, at, body, internal, requester, attachmentIds }: { who: string; at: string; body: string; internal?: boolean; requester?: boolean; attachmentIds: string[] }) {
  return (
    <li
      className={cn(
        'rounded-lg border px-4 py-3',
        internal ? 'border-amber-500/40 bg-amber-500/8 dark:bg-amber-500/10' : requester ? 'border-line bg-surface' : 'border-accent/25 bg-accent-soft/40',
      )}
      data-testid={internal ? 'internal-note' : 'public-reply'}
    >
      <div className="mb-1.5 flex items-center gap-2">
        <span
          className={cn(
            'flex size-6 shrink-0 items-center justify-center rounded-full text-[10px] font-semibold',
            requester ? 'bg-hover text-fg-muted' : internal ? 'bg-amber-500/20 text-amber-800 dark:text-amber-300' : 'bg-accent-soft text-accent-soft-fg',
          )}
          aria-hidden="true"
        >
          {initials(who)}
        </span>
        <span className="text-[13px] font-medium">{who}</span>
        {internal ? (
          <span className="inline-flex items-center gap-1 rounded-full bg-amber-500/15 px-2 text-[11px] leading-5 font-medium text-amber-800 dark:text-amber-300">
            <Lock className="size-3" aria-hidden="true" /> Internal note
          </span>
        ) : requester ? (
          <span className="text-xs text-fg-subtle">Requester</span>
        ) : (
          <span className="text-xs text-fg-subtle">Public reply</span>
        )}
        <time className="ml-auto text-xs text-fg-subtle" dateTime={at} title={formatFull(at)}>
          {formatDateTime(at)}
        </time>
      </div>
      <p className="text-[13.5px] leading-relaxed break-words whitespace-pre-wrap">{body}</p>
      <AttachmentList ids={attachmentIds} source={CONSOLE} className="mt-2" />
    </li>
  );
}

function CannedPicker({ ticketId, onInsert }: { ticketId: string; onInsert: (text: string) => void }) {
  const canned = useCanned();
  const render = useMutation({
    mutationFn: (cannedId: string) => call(api.GET('/api/tickets/{id}/canned-responses/{cannedId}', { params: { path: { id: ticketId, cannedId } } })),
    onSuccess: (r) => {
      onInsert(r.text);
      if (r.missing.length) toast('Some placeholders have no value', { tone: 'warning', description: `Left as written: ${r.missing.map((m) => `{{${m}}}`).join(', ')}` });
    },
    onError: (err) => toast('The canned response could not be filled in', { tone: 'error', description: errorMessage(err) }),
  });
  return (
    <M.Root>
      <M.Trigger asChild>
        <Button variant="ghost" size="sm" loading={render.isPending}>
          <MessageSquareText aria-hidden="true" /> Canned responses <ChevronDown aria-hidden="true" />
        </Button>
      </M.Trigger>
      <M.Portal>
        <M.Content align="start" sideOffset={6} className="z-50 max-h-80 min-w-64 overflow-y-auto rounded-lg border border-line bg-raised p-1 text-[13px] shadow-pop focus:outline-none">
          {canned.length === 0 ? (
            <p className="px-2 py-1.5 text-fg-subtle">No canned responses yet.</p>
          ) : (
            canned.map((c) => (
              <M.Item key={c.id} onSelect={() => render.mutate(c.id)} className="flex cursor-default flex-col items-start rounded-md px-2 py-1.5 outline-none data-[highlighted]:bg-hover">
                <span className="font-medium">{c.title}</span>
                <span className="line-clamp-1 text-xs text-fg-subtle">{c.body}</span>
              </M.Item>
            ))
          )}
        </M.Content>
      </M.Portal>
    </M.Root>
  );
}

/** The reply box: a public reply (counts as a response) or an internal note, a status to set on send, attachments. */
function ReplyBox({ ticket, onReplying }: { ticket: Ticket; onReplying: (on: boolean) => void }) {
  const qc = useQueryClient();
  const [body, setBody] = useState('');
  const [internal, setInternal] = useState(false);
  const [status, setStatus] = useState<TicketStatus | ''>('');
  const [files, setFiles] = useState<UploadedFile[]>([]);
  const [focused, setFocused] = useState(false);
  const box = useRef<HTMLTextAreaElement>(null);
  const replying = focused || body.trim() !== '';
  useEffect(() => onReplying(replying), [replying, onReplying]);

  const send = useMutation({
    mutationFn: () =>
      call(
        api.POST('/api/tickets/{id}/replies', {
          params: { path: { id: ticket.id } },
          body: { body, isInternal: internal, ...(files.length ? { attachmentIds: files.map((f) => f.id) } : {}), ...(status ? { status } : {}) },
        }),
      ),
    onSuccess: () => {
      setBody('');
      setFiles([]);
      setStatus('');
      void qc.invalidateQueries({ queryKey: sdKeys.ticket(ticket.id) });
      void qc.invalidateQueries({ queryKey: sdKeys.tickets });
      toast(internal ? 'Note added' : 'Reply sent', { tone: 'success' });
    },
  });
  const errors = fieldErrors(send.error);
  const closed = ticket.status === 'closed';
  const moves = ticket.allowedStatuses;
  const submit = () => {
    if (body.trim() && !send.isPending) send.mutate();
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      submit();
    }
  };

  return (
    <Card className={cn('p-3', internal && 'border-amber-500/50 bg-amber-500/5')} aria-labelledby="reply-title">
      <h2 id="reply-title" className="sr-only">
        Reply
      </h2>
      <div className="mb-2 flex flex-wrap items-center gap-2">
        <div className="inline-flex rounded-md border border-line bg-app p-0.5" role="group" aria-label="Kind of message">
          {[false, true].map((isNote) => (
            <button
              key={String(isNote)}
              type="button"
              aria-pressed={internal === isNote}
              onClick={() => setInternal(isNote)}
              className={cn(
                'h-7 rounded px-2.5 text-xs font-medium',
                internal === isNote ? (isNote ? 'bg-amber-500/20 text-amber-900 dark:text-amber-200' : 'bg-surface text-fg shadow-card') : 'text-fg-muted hover:text-fg',
              )}
            >
              {isNote ? (
                <span className="inline-flex items-center gap-1">
                  <Lock className="size-3" aria-hidden="true" /> Internal note
                </span>
              ) : (
                'Public reply'
              )}
            </button>
          ))}
        </div>
        <CannedPicker
          ticketId={ticket.id}
          onInsert={(text) => {
            setBody((cur) => (cur.trim() ? `${cur.replace(/\s+$/, '')}\n\n${text}` : text));
            box.current?.focus();
          }}
        />
      </div>
      {closed && !internal ? <Banner tone="info" className="mb-2">This ticket is closed: only internal notes can be added.</Banner> : null}
      <label htmlFor="reply-body" className="sr-only">
        {internal ? 'Internal note (only agents see it)' : 'Reply to the requester'}
      </label>
      <Textarea
        ref={box}
        id="reply-body"
        value={body}
        onChange={(e) => setBody(e.target.value)}
        onFocus={() => setFocused(true)}
        onBlur={() => setFocused(false)}
        onKeyDown={onKey}
        rows={5}
        placeholder={internal ? 'A note for your colleagues; the requester never sees it.' : `Write to ${ticket.requester.name}…`}
        aria-invalid={errors.body ? true : undefined}
        className={cn(internal && 'bg-amber-500/5')}
        maxLength={50_000}
      />
      {errors.body ? <p className="mt-1 text-xs text-red-600 dark:text-red-400">{errors.body}</p> : null}
      {send.error && !errors.body ? (
        <Banner className="mt-2">{errorMessage(send.error)}</Banner>
      ) : null}
      <div className="mt-2 flex flex-wrap items-center gap-2">
        <AttachmentPicker files={files} onChange={setFiles} max={20} />
        <div className="ml-auto flex flex-wrap items-center justify-end gap-2">
          <label htmlFor="reply-status" className="text-xs text-fg-muted">
            Then
          </label>
          <Select id="reply-status" className="w-52" value={status} onChange={(e) => setStatus(e.target.value as TicketStatus | '')} aria-describedby={errorFor(errors, 'status') ? 'reply-status-error' : undefined}>
            <option value="">{ticket.status === 'new' && !internal ? 'Set: Open' : `Keep: ${TICKET_STATUS_LABEL[ticket.status]}`}</option>
            {moves.map((s) => (
              <option key={s} value={s}>
                Set: {TICKET_STATUS_LABEL[s]}
              </option>
            ))}
          </Select>
          <Button variant="primary" onClick={submit} loading={send.isPending} disabled={!body.trim() || (closed && !internal)} title="Ctrl+Enter">
            <Send aria-hidden="true" /> {internal ? 'Add note' : 'Send reply'}
          </Button>
        </div>
      </div>
      {errorFor(errors, 'status') ? (
        <p id="reply-status-error" className="mt-1 text-right text-xs text-red-600 dark:text-red-400">
          {errorFor(errors, 'status')}
        </p>
      ) : null}
    </Card>
  );
}

/** The description, then every reply and note in order, then the reply box. */
export function Thread({ ticket, names, canReply, onReplying }: { ticket: Ticket; names: Map<string, string>; canReply: boolean; onReplying: (on: boolean) => void }) {
  const replies = useInfiniteQuery({
    queryKey: sdKeys.replies(ticket.id),
    queryFn: ({ pageParam }) => call(api.GET('/api/tickets/{id}/replies', { params: { path: { id: ticket.id }, query: pageRequest(pageParam) } })),
    ...nextPages,
  });
  const rows = rowsOf(replies.data);
  const author = (r: Reply) =>
    r.authorType === 'requester' ? ticket.requester.name : r.authorType === 'system' ? 'System' : r.authorUserId ? (names.get(r.authorUserId) ?? 'Agent') : 'Agent';
  return (
    <section aria-label="Conversation" className="flex flex-col gap-3">
      <ol className="flex flex-col gap-3" data-testid="thread">
        <Message who={ticket.requester.name} at={ticket.createdAt} body={ticket.description || '(no description)'} requester attachmentIds={ticket.attachmentIds} />
        {replies.error ? (
          <li>
            <ErrorState error={replies.error} onRetry={() => void replies.refetch()} />
          </li>
        ) : replies.isLoading ? (
          <li>
            <SkeletonRows rows={2} />
          </li>
        ) : (
          rows.map((r) => (
            <Message key={r.id} who={author(r)} at={r.createdAt} body={r.body} internal={r.isInternal} requester={r.authorType === 'requester'} attachmentIds={r.attachmentIds} />
          ))
        )}
      </ol>
      <LoadMore count={rows.length} noun={['reply', 'replies']} hasMore={replies.hasNextPage} loading={replies.isFetchingNextPage} onMore={() => void replies.fetchNextPage()} />
      {canReply ? <ReplyBox ticket={ticket} onReplying={onReplying} /> : null}
    </section>
  );
}
