import { useState, type FormEvent } from 'react';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { Fingerprint, Pencil, Plus, Trash2 } from 'lucide-react';
import { api, call } from '../../lib/api';
import { formatDateTime, formatRelative } from '../../lib/format';
import { nextPages, pageRequest, rowsOf } from '../../lib/pages';
import { passkeyErrorMessage, passkeysSupported, registerPasskey } from '../../lib/passkeys';
import { ApiError } from '../../lib/problem';
import { toast } from '../../lib/toast';
import type { Passkey } from '../../lib/types';
import { Badge } from '../../components/ui/badge';
import { Button } from '../../components/ui/button';
import { Card, CardHeader } from '../../components/ui/card';
import { LoadMore } from '../../components/ui/data-table';
import { Dialog } from '../../components/ui/dialog';
import { Field, Input } from '../../components/ui/input';
import { Banner, EmptyState, errorMessage, ErrorState, SkeletonRows } from '../../components/ui/states';
import { describeAgent } from './SessionsPage';

const passkeysKey = ['passkeys'] as const;

function PasskeyRow({ p, onRename, onRemove }: { p: Passkey; onRename: () => void; onRemove: () => void }) {
  return (
    <li className="flex flex-wrap items-center gap-3 px-4 py-3 sm:flex-nowrap" data-testid="passkey-row">
      <span className="flex size-9 shrink-0 items-center justify-center rounded-lg bg-hover text-fg-muted">
        <Fingerprint className="size-4" aria-hidden="true" />
      </span>
      <div className="min-w-0 flex-1">
        <p className="flex flex-wrap items-center gap-2 text-[13px] font-medium">
          {p.name}
          {p.backedUp ? <Badge tone="green">Synced</Badge> : null}
        </p>
        <p className="truncate text-xs text-fg-subtle">
          Added {formatDateTime(p.createdAt)} · {p.lastUsedAt ? `last used ${formatRelative(p.lastUsedAt)}` : 'never used'}
        </p>
      </div>
      <div className="ml-12 flex gap-1 sm:ml-0">
        <Button size="sm" variant="ghost" onClick={onRename} aria-label={`Rename ${p.name}`}>
          <Pencil aria-hidden="true" /> Rename
        </Button>
        <Button size="sm" variant="ghost" onClick={onRemove} aria-label={`Remove ${p.name}`}>
          <Trash2 aria-hidden="true" /> Remove
        </Button>
      </div>
    </li>
  );
}

/** Rename (name only) or remove (with the password when the sign-in is not recent) one passkey. */
function EditDialog({ target, onClose }: { target: { passkey: Passkey; mode: 'rename' | 'remove' } | null; onClose: () => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [needPassword, setNeedPassword] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const reset = () => {
    setName('');
    setPassword('');
    setNeedPassword(false);
    setError(null);
  };
  const save = useMutation({
    mutationFn: async () => {
      const p = target!.passkey;
      if (target!.mode === 'rename') return call(api.PATCH('/api/auth/passkeys/{id}', { params: { path: { id: p.id } }, body: { name: name.trim() || p.name } }));
      return call(api.DELETE('/api/auth/passkeys/{id}', { params: { path: { id: p.id } }, body: password ? { password } : {} }));
    },
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: passkeysKey });
      toast(target!.mode === 'rename' ? 'Passkey renamed' : 'Passkey removed', { tone: 'success' });
      reset();
      onClose();
    },
    onError: (err) => {
      if (err instanceof ApiError && err.code === 'reauthentication_required') {
        setNeedPassword(true);
        setError('You signed in a while ago: confirm with your password to remove this passkey.');
      } else setError(err instanceof ApiError && err.code === 'invalid_current_password' ? 'That password is not right.' : errorMessage(err));
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    save.mutate();
  };
  const p = target?.passkey;
  const removing = target?.mode === 'remove';
  return (
    <Dialog
      open={!!target}
      onOpenChange={(open) => {
        if (!open) {
          reset();
          onClose();
        }
      }}
      title={removing ? `Remove “${p?.name}”?` : 'Rename passkey'}
      {...(removing ? { description: 'You will no longer be able to sign in with it. The passkey stays on the device until you delete it there.' } : {})}
      size="sm"
    >
      <form onSubmit={submit} noValidate className="flex flex-col gap-3 px-5 pb-5">
        {error ? <Banner>{error}</Banner> : null}
        {removing ? (
          needPassword ? (
            <Field label="Current password">
              <Input type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" autoFocus />
            </Field>
          ) : null
        ) : (
          <Field label="Name">
            <Input value={name} placeholder={p?.name} onChange={(e) => setName(e.target.value)} maxLength={100} autoFocus />
          </Field>
        )}
        <div className="flex justify-end gap-2">
          <Button
            onClick={() => {
              reset();
              onClose();
            }}
          >
            Cancel
          </Button>
          <Button type="submit" variant={removing ? 'danger' : 'primary'} loading={save.isPending} disabled={removing && needPassword && !password}>
            {removing ? 'Remove passkey' : 'Save'}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

/**
 * The signed-in user's passkeys: add one on this device (face, fingerprint or device PIN, which
 * never leaves it), name, rename and remove them.
 */
export function PasskeysSection() {
  const qc = useQueryClient();
  const list = useInfiniteQuery({
    queryKey: passkeysKey,
    queryFn: ({ pageParam }) => call(api.GET('/api/auth/passkeys', { params: { query: pageRequest(pageParam) } })),
    ...nextPages,
  });
  const [name, setName] = useState(() => describeAgent(typeof navigator === 'undefined' ? null : navigator.userAgent).label);
  const [error, setError] = useState<string | null>(null);
  const [target, setTarget] = useState<{ passkey: Passkey; mode: 'rename' | 'remove' } | null>(null);
  const add = useMutation({
    mutationFn: () => registerPasskey(name.trim() || 'Passkey'),
    onSuccess: (p) => {
      void qc.invalidateQueries({ queryKey: passkeysKey });
      toast('Passkey added', { tone: 'success', description: `“${p.name}” signs you in from now on.` });
    },
    onError: (err) => setError(passkeyErrorMessage(err, 'registration')),
  });
  const rows = rowsOf(list.data);
  const supported = passkeysSupported();
  return (
    <Card aria-labelledby="passkeys-title" className="mt-6">
      <CardHeader id="passkeys-title" title="Passkeys" description="Sign in with your face, fingerprint or device PIN instead of a password." />
      <form
        className="flex flex-wrap items-end gap-2 border-b border-line p-4"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          setError(null);
          add.mutate();
        }}
      >
        <Field label="Name of the new passkey" className="min-w-48 flex-1">
          <Input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} disabled={!supported} />
        </Field>
        <Button type="submit" variant="primary" loading={add.isPending} disabled={!supported || !name.trim()}>
          <Plus aria-hidden="true" /> Add a passkey
        </Button>
        {!supported ? <p className="w-full text-[13px] text-fg-muted">This browser does not support passkeys.</p> : null}
        {error ? <Banner className="w-full">{error}</Banner> : null}
      </form>
      {list.error ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : list.isLoading ? (
        <SkeletonRows rows={2} />
      ) : rows.length === 0 ? (
        <EmptyState title="No passkeys yet" description="Add one to sign in without typing a password." />
      ) : (
        <ul className="divide-y divide-line">
          {rows.map((p) => (
            <PasskeyRow key={p.id} p={p} onRename={() => setTarget({ passkey: p, mode: 'rename' })} onRemove={() => setTarget({ passkey: p, mode: 'remove' })} />
          ))}
        </ul>
      )}
      {list.hasNextPage ? (
        <div className="border-t border-line px-4 pb-3">
          <LoadMore count={rows.length} noun={['passkey', 'passkeys']} hasMore loading={list.isFetchingNextPage} onMore={() => void list.fetchNextPage()} />
        </div>
      ) : null}
      <EditDialog target={target} onClose={() => setTarget(null)} />
    </Card>
  );
}
