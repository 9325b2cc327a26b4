import { useRef, useState } from 'react';
import { useInfiniteQuery } from '@tanstack/react-query';
import { MessageSquareText, Pencil, Plus, Trash2 } from 'lucide-react';
import { api, call } from '../../../lib/api';
import { formatRelative } from '../../../lib/format';
import { rowsOf } from '../../../lib/pages';
import { errorFor, fieldErrors } from '../../../lib/problem';
import { Button } from '../../../components/ui/button';
import { Card, CardHeader } from '../../../components/ui/card';
import { LoadMore } from '../../../components/ui/data-table';
import { ConfirmDialog, Dialog } from '../../../components/ui/dialog';
import { Field, Input, Textarea } from '../../../components/ui/input';
import { Banner, EmptyState, errorMessage, ErrorState, SkeletonRows } from '../../../components/ui/states';
import { cannedPages, sdKeys } from '../queries';
import type { Canned } from '../types';
import { useSaving } from './saving';

/** The placeholders the server fills in (modules/servicedesk/admin/canned.ts). */
const PLACEHOLDERS = ['requester.name', 'requester.email', 'ticket.number', 'ticket.subject', 'ticket.status', 'ticket.priority', 'ticket.link', 'agent.name', 'agent.email'];

function Editor({ canned, onClose }: { canned: Canned | null; onClose: () => void }) {
  const [title, setTitle] = useState(canned?.title ?? '');
  const [body, setBody] = useState(canned?.body ?? '');
  const box = useRef<HTMLTextAreaElement>(null);
  const save = useSaving(
    () =>
      canned
        ? call(api.PATCH('/api/servicedesk/canned-responses/{id}', { params: { path: { id: canned.id } }, body: { title, body } }))
        : call(api.POST('/api/servicedesk/canned-responses', { body: { title, body } })),
    [sdKeys.canned],
    'Canned response saved',
    { inlineErrors: true },
  );
  const errors = fieldErrors(save.error);
  const insert = (p: string) => {
    const el = box.current;
    const at = el?.selectionStart ?? body.length;
    const text = `{{${p}}}`;
    setBody(body.slice(0, at) + text + body.slice(el?.selectionEnd ?? at));
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(at + text.length, at + text.length);
    });
  };
  return (
    <Dialog
      open
      onOpenChange={(o) => !o && onClose()}
      size="lg"
      title={canned ? 'Edit canned response' : 'New canned response'}
      description="Agents insert it from the reply box; placeholders are filled in for the ticket."
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" loading={save.isPending} disabled={!title.trim() || !body.trim()} onClick={() => save.mutate(undefined, { onSuccess: onClose })}>
            Save
          </Button>
        </>
      }
    >
      <div className="flex flex-col gap-3">
        <Field label="Title" error={errors.title} required>
          <Input value={title} onChange={(e) => setTitle(e.target.value)} maxLength={200} />
        </Field>
        <Field label="Text" error={errorFor(errors, 'body')} required>
          <Textarea ref={box} value={body} onChange={(e) => setBody(e.target.value)} rows={8} maxLength={20_000} />
        </Field>
        <div>
          <p className="mb-1.5 text-xs text-fg-muted">Insert a placeholder:</p>
          <div className="flex flex-wrap gap-1">
            {PLACEHOLDERS.map((p) => (
              <button key={p} type="button" onClick={() => insert(p)} className="rounded-md border border-line bg-app px-1.5 py-0.5 font-mono text-[11.5px] hover:bg-hover">
                {`{{${p}}}`}
              </button>
            ))}
          </div>
        </div>
        {save.error && !errors.title && !errorFor(errors, 'body') ? <Banner>{errorMessage(save.error)}</Banner> : null}
      </div>
    </Dialog>
  );
}

export function CannedTab() {
  const q = useInfiniteQuery(cannedPages);
  const rows = rowsOf(q.data);
  const [editing, setEditing] = useState<Canned | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Canned | null>(null);
  const remove = useSaving((id: string) => call(api.DELETE('/api/servicedesk/canned-responses/{id}', { params: { path: { id } } })), [sdKeys.canned], 'Canned response deleted');
  return (
    <Card aria-labelledby="canned-title">
      <CardHeader
        id="canned-title"
        title="Canned responses"
        description="Ready answers with placeholders such as {{requester.name}}"
        actions={
          <Button variant="primary" onClick={() => setEditing('new')}>
            <Plus aria-hidden="true" /> New
          </Button>
        }
      />
      {q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : q.isLoading ? (
        <SkeletonRows rows={3} />
      ) : !rows.length ? (
        <EmptyState icon={<MessageSquareText />} title="No canned responses" description="Write the answers your agents give most often." />
      ) : (
        <ul className="divide-y divide-line">
          {rows.map((c) => (
            <li key={c.id} className="flex items-start gap-3 px-4 py-3">
              <div className="min-w-0 flex-1">
                <p className="text-[13px] font-medium">{c.title}</p>
                <p className="line-clamp-2 text-xs whitespace-pre-wrap text-fg-muted">{c.body}</p>
                <p className="mt-0.5 text-xs text-fg-subtle">Updated {formatRelative(c.updatedAt)}</p>
              </div>
              <Button variant="ghost" size="icon-sm" aria-label={`Edit ${c.title}`} onClick={() => setEditing(c)}>
                <Pencil aria-hidden="true" />
              </Button>
              <Button variant="ghost" size="icon-sm" aria-label={`Delete ${c.title}`} onClick={() => setDeleting(c)}>
                <Trash2 aria-hidden="true" />
              </Button>
            </li>
          ))}
        </ul>
      )}
      <div className="px-4 pb-3">
        <LoadMore count={rows.length} noun={['canned response', 'canned responses']} hasMore={q.hasNextPage} loading={q.isFetchingNextPage} onMore={() => void q.fetchNextPage()} />
      </div>
      {editing ? <Editor canned={editing === 'new' ? null : editing} onClose={() => setEditing(null)} /> : null}
      <ConfirmDialog
        open={!!deleting}
        onOpenChange={(o) => !o && setDeleting(null)}
        title={`Delete “${deleting?.title ?? ''}”?`}
        confirmLabel="Delete"
        pending={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting.id, { onSuccess: () => setDeleting(null) })}
      />
    </Card>
  );
}
