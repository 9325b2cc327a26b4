import { useMemo, useState, type FormEvent } from 'react';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { KeySquare, Plus } from 'lucide-react';
import { api, call } from '../../lib/api';
import { cn } from '../../lib/cn';
import { formatDate } from '../../lib/format';
import { nextPages, pageRequest, rowsOf } from '../../lib/pages';
import { groupByResource } from '../../lib/permission-matrix';
import { can } from '../../lib/permissions';
import { errorFor, fieldErrors } from '../../lib/problem';
import { catalogueQuery, keys, useMe, useUserNames } from '../../lib/queries';
import { toast } from '../../lib/toast';
import type { Ok } from '../../lib/types';
import { Ago } from '../../components/ui/ago';
import { Badge } from '../../components/ui/badge';
import { Button } from '../../components/ui/button';
import { DataTable, LoadMore, TableCard, type Column } from '../../components/ui/data-table';
import { ConfirmDialog, Dialog } from '../../components/ui/dialog';
import { Field, Input } from '../../components/ui/input';
import { Page, PageHeader, useDocumentTitle } from '../../components/ui/page';
import { SecretOnce } from '../../components/ui/secret';
import { Banner, EmptyState, errorMessage, NoAccess } from '../../components/ui/states';

type ApiKey = Ok<'/api/api-keys', 'get'>['data'][number];

function keyState(k: ApiKey, now = Date.now()): 'active' | 'revoked' | 'expired' {
  if (k.revokedAt) return 'revoked';
  if (k.expiresAt && Date.parse(k.expiresAt) <= now) return 'expired';
  return 'active';
}

/** The end of a local calendar day, as an instant: a key "expires on 31 Dec" works all of that day. */
const endOfDay = (date: string) => new Date(`${date}T23:59:59.999`).toISOString();

function CreateKeyDialog({ onClose }: { onClose: () => void }) {
  const me = useMe();
  const qc = useQueryClient();
  const catalogue = useQuery({ ...catalogueQuery, enabled: can(me, 'permissions:read') });
  const [name, setName] = useState('');
  const [expires, setExpires] = useState('');
  const [mode, setMode] = useState<'all' | 'some'>('some');
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [issued, setIssued] = useState<{ name: string; key: string } | null>(null);

  // Only what the creator holds can go in a key (the API refuses the rest).
  const held = useMemo(() => {
    const descriptions = new Map((catalogue.data?.data ?? []).map((p) => [p.key, p.description]));
    return Object.keys(me.permissions)
      .sort()
      .map((key) => ({ key, resource: key.split(':')[0]!, description: descriptions.get(key) ?? '' }));
  }, [me.permissions, catalogue.data]);

  const create = useMutation({
    mutationFn: () =>
      call(
        api.POST('/api/api-keys', {
          body: { name: name.trim(), ...(mode === 'some' ? { permissions: [...picked] } : {}), ...(expires ? { expiresAt: endOfDay(expires) } : {}) },
        }),
      ),
    onSuccess: (k) => {
      void qc.invalidateQueries({ queryKey: keys.apiKeys });
      setIssued({ name: k.name, key: k.key });
    },
    onError: (err) => {
      const fe = fieldErrors(err);
      setErrors(fe);
      setFormError(Object.keys(fe).some((k) => ['name', 'expiresAt'].includes(k)) ? null : errorMessage(err));
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFormError(null);
    if (mode === 'some' && picked.size === 0) {
      setErrors({ permissions: 'Pick at least one permission, or give the key all of yours.' });
      return;
    }
    setErrors({});
    create.mutate();
  };
  const toggle = (key: string, on: boolean) =>
    setPicked((s) => {
      const n = new Set(s);
      if (on) n.add(key);
      else n.delete(key);
      return n;
    });

  if (issued) {
    return (
      <Dialog
        open
        onOpenChange={(o) => !o && onClose()}
        title={`API key “${issued.name}” created`}
        description="Send it as X-API-Key, or as a Bearer token."
        footer={
          <Button variant="primary" onClick={onClose}>
            Done
          </Button>
        }
      >
        <SecretOnce label="API key" value={issued.key} />
      </Dialog>
    );
  }
  return (
    <Dialog
      open
      onOpenChange={(o) => !o && onClose()}
      title="New API key"
      description="For an integration or a script. It can do only what you can do, and less if you narrow it."
      size="lg"
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" type="submit" form="create-key" loading={create.isPending}>
            Create key
          </Button>
        </>
      }
    >
      <form id="create-key" onSubmit={submit} noValidate className="flex flex-col gap-4">
        {formError ? <Banner>{formError}</Banner> : null}
        <div className="grid gap-4 sm:grid-cols-[1fr_180px]">
          <Field label="Name" required error={errorFor(errors, 'name')}>
            <Input name="name" value={name} onChange={(e) => setName(e.target.value)} autoFocus autoComplete="off" placeholder="ERP nightly sync" />
          </Field>
          <Field label="Expires on" hint="Empty: never" error={errorFor(errors, 'expiresAt')}>
            <Input name="expiresAt" type="date" value={expires} min={new Date().toISOString().slice(0, 10)} onChange={(e) => setExpires(e.target.value)} />
          </Field>
        </div>
        <fieldset className="flex flex-col gap-2">
          <legend className="mb-1.5 text-[13px] font-medium">Scopes</legend>
          <label className="flex items-start gap-2 text-[13px]">
            <input type="radio" name="mode" className="mt-0.5" checked={mode === 'some'} onChange={() => setMode('some')} />
            <span>
              Only the permissions I pick <span className="block text-xs text-fg-subtle">Recommended: the least the integration needs.</span>
            </span>
          </label>
          <label className="flex items-start gap-2 text-[13px]">
            <input type="radio" name="mode" className="mt-0.5" checked={mode === 'all'} onChange={() => setMode('all')} />
            <span>
              All of my permissions <span className="block text-xs text-fg-subtle">{held.length} today; a key never does more than you can at the moment it is used.</span>
            </span>
          </label>
          {errors.permissions || errorFor(errors, 'permissions') ? (
            <p className="text-xs text-red-600 dark:text-red-400" role="alert">
              {errors.permissions ?? errorFor(errors, 'permissions')}
            </p>
          ) : null}
          {mode === 'some' ? (
            <div className="mt-1 grid gap-3 rounded-md border border-line p-3 sm:grid-cols-2" data-testid="key-scopes">
              {groupByResource(held).map((g) => (
                <fieldset key={g.resource}>
                  <legend className="mb-1 text-xs font-medium text-fg-muted">{g.label}</legend>
                  {g.items.map((p) => (
                    <label key={p.key} className="flex items-start gap-2 py-0.5 text-[13px]" title={p.description}>
                      <input type="checkbox" className="mt-0.5" checked={picked.has(p.key)} onChange={(e) => toggle(p.key, e.target.checked)} />
                      <span className="font-mono text-xs leading-5">{p.key}</span>
                    </label>
                  ))}
                </fieldset>
              ))}
            </div>
          ) : null}
        </fieldset>
      </form>
    </Dialog>
  );
}

export function ApiKeysPage() {
  useDocumentTitle('API keys');
  const me = useMe();
  const qc = useQueryClient();
  const names = useUserNames();
  const allowed = can(me, 'api_keys:read');
  const manage = can(me, 'api_keys:manage');
  const list = useInfiniteQuery({
    queryKey: keys.apiKeys,
    queryFn: ({ pageParam }) => call(api.GET('/api/api-keys', { params: { query: pageRequest(pageParam) } })),
    ...nextPages,
    enabled: allowed,
  });
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const revoke = useMutation({
    mutationFn: (k: ApiKey) => call(api.DELETE('/api/api-keys/{id}', { params: { path: { id: k.id } } })),
    onSuccess: (_r, k) => {
      void qc.invalidateQueries({ queryKey: keys.apiKeys });
      setRevoking(null);
      toast('API key revoked', { tone: 'success', description: `“${k.name}” stops working at once.` });
    },
    onError: (err) => {
      setRevoking(null);
      toast('The key was not revoked', { tone: 'error', description: errorMessage(err) });
    },
  });

  if (!allowed) return <NoAccess what="API keys" />;
  const rows = rowsOf(list.data);
  const columns: Column<ApiKey>[] = [
    {
      id: 'name',
      header: 'Name',
      className: 'max-w-0',
      cell: (k) => (
        <>
          <p className={cn('truncate font-medium', keyState(k) !== 'active' && 'text-fg-muted')}>{k.name}</p>
          <code className="font-mono text-xs text-fg-subtle">imsop_{k.prefix}_…</code>
        </>
      ),
    },
    {
      id: 'scopes',
      header: 'Scopes',
      width: 'w-44',
      className: 'max-w-0',
      cell: (k) => (
        <span className="block truncate text-xs text-fg-muted" title={k.permissions.join('\n')}>
          <Badge tone="neutral" className="mr-1.5">
            {k.permissions.length}
          </Badge>
          {k.permissions.slice(0, 3).join(', ')}
          {k.permissions.length > 3 ? '…' : ''}
        </span>
      ),
    },
    { id: 'by', header: 'Created by', width: 'w-40', hideBelow: 'xl', className: 'max-w-0 truncate text-fg-muted', cell: (k) => (k.createdBy ? (names.get(k.createdBy) ?? 'Someone') : '—') },
    {
      id: 'used',
      header: 'Last used',
      width: 'w-28',
      className: 'whitespace-nowrap text-fg-muted',
      cell: (k) => <Ago value={k.lastUsedAt} />,
    },
    {
      id: 'state',
      header: 'Status',
      width: 'w-32',
      cell: (k) => {
        const st = keyState(k);
        if (st === 'revoked') return <Badge dot>Revoked</Badge>;
        if (st === 'expired') return <Badge tone="amber" dot>Expired</Badge>;
        return (
          <span className="flex flex-col">
            <Badge tone="green" dot className="self-start">
              Active
            </Badge>
            {k.expiresAt ? <span className="mt-0.5 text-[11px] text-fg-subtle">until {formatDate(k.expiresAt)}</span> : null}
          </span>
        );
      },
    },
    {
      id: 'actions',
      header: 'Actions',
      headerHidden: true,
      width: 'w-20',
      className: 'px-2 text-right',
      cell: (k) =>
        manage && keyState(k) === 'active' ? (
          <Button size="sm" variant="ghost" className="text-red-600 dark:text-red-400" onClick={() => setRevoking(k)} aria-label={`Revoke ${k.name}`}>
            Revoke
          </Button>
        ) : null,
    },
  ];

  return (
    <Page>
      <PageHeader
        title="API keys"
        description="Credentials for integrations and scripts, scoped to permissions."
        actions={
          manage ? (
            <Button variant="primary" onClick={() => setCreating(true)}>
              <Plus aria-hidden="true" /> New API key
            </Button>
          ) : undefined
        }
      />
      <TableCard
        error={list.error && !list.data ? list.error : null}
        onRetry={() => void list.refetch()}
        loading={list.isLoading}
        empty={rows.length ? null : <EmptyState icon={<KeySquare />} title="No API keys" description="Create one for each integration, with only the permissions it needs." />}
      >
        <DataTable caption="API keys" testId="api-keys-table" rowTestId="api-key-row" columns={columns} rows={rows} rowKey={(k) => k.id} rowClassName={(k) => keyState(k) !== 'active' && 'opacity-70'} />
      </TableCard>
      <LoadMore count={rows.length} noun={['API key', 'API keys']} hasMore={list.hasNextPage} loading={list.isFetchingNextPage} onMore={() => void list.fetchNextPage()} />
      {creating ? <CreateKeyDialog onClose={() => setCreating(false)} /> : null}
      <ConfirmDialog
        open={!!revoking}
        onOpenChange={(o) => !o && setRevoking(null)}
        title={`Revoke “${revoking?.name ?? ''}”?`}
        description="Anything using this key is refused from now on. This cannot be undone."
        confirmLabel="Revoke key"
        pending={revoke.isPending}
        onConfirm={() => revoking && revoke.mutate(revoking)}
      />
    </Page>
  );
}
