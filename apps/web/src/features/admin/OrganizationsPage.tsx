import { useState, type FormEvent } from 'react';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { Building, Plus } from 'lucide-react';
import { api, call } from '../../lib/api';
import { formatDate } from '../../lib/format';
import { nextPages, pageRequest, rowsOf } from '../../lib/pages';
import { ApiError, errorFor, fieldErrors } from '../../lib/problem';
import { useMe } from '../../lib/queries';
import { toast } from '../../lib/toast';
import type { Ok } from '../../lib/types';
import { Button } from '../../components/ui/button';
import { DataTable, LoadMore, TableCard, type Column } from '../../components/ui/data-table';
import { Dialog } from '../../components/ui/dialog';
import { Field, Input } from '../../components/ui/input';
import { Page, PageHeader, useDocumentTitle } from '../../components/ui/page';
import { Banner, EmptyState, errorMessage, NoAccess } from '../../components/ui/states';

type Org = Ok<'/api/organizations', 'get'>['data'][number];
const orgsKey = ['organizations'] as const;

/** "Acme Corp." → "acme-corp": a suggestion the administrator can change. */
export const slugOf = (name: string) =>
  name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);

const FIELDS = ['name', 'slug', 'admin.email', 'admin.name', 'admin.password'] as const;

function CreateOrgDialog({ onClose }: { onClose: () => void }) {
  const qc = useQueryClient();
  const [form, setForm] = useState({ name: '', slug: '', adminName: '', adminEmail: '', adminPassword: '' });
  const [slugTouched, setSlugTouched] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () =>
      call(
        api.POST('/api/organizations', {
          body: { name: form.name.trim(), slug: form.slug.trim(), admin: { name: form.adminName.trim(), email: form.adminEmail.trim(), password: form.adminPassword } },
        }),
      ),
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: orgsKey });
      toast('Organization created', { tone: 'success', description: `${r.org.name}: its administrator signs in with organization “${r.org.slug}”.` });
      onClose();
    },
    onError: (err) => {
      const fe = fieldErrors(err);
      if (err instanceof ApiError && err.code === 'slug_taken') fe.slug = err.detail;
      if (err instanceof ApiError && err.code === 'weak_password' && !Object.keys(fe).length) fe['admin.password'] = err.detail;
      setErrors(fe);
      setFormError(FIELDS.some((f) => errorFor(fe, f)) ? null : errorMessage(err));
    },
  });
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => {
    const v = e.target.value;
    setForm((f) => ({ ...f, [k]: v, ...(k === 'name' && !slugTouched ? { slug: slugOf(v) } : {}) }));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setErrors({});
    setFormError(null);
    create.mutate();
  };
  return (
    <Dialog
      open
      onOpenChange={(o) => !o && onClose()}
      title="New organization"
      description="A separate tenant with its own users, roles and data, and its first administrator."
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" type="submit" form="create-org" loading={create.isPending}>
            Create organization
          </Button>
        </>
      }
    >
      <form id="create-org" onSubmit={submit} noValidate className="flex flex-col gap-4">
        {formError ? <Banner>{formError}</Banner> : null}
        <Field label="Name" required error={errorFor(errors, 'name')}>
          <Input name="name" value={form.name} onChange={set('name')} autoFocus autoComplete="off" />
        </Field>
        <Field label="Slug" required hint="Lowercase letters, digits and -; people name it at sign-in." error={errorFor(errors, 'slug')}>
          <Input
            name="slug"
            value={form.slug}
            onChange={(e) => {
              setSlugTouched(true);
              set('slug')(e);
            }}
            className="font-mono"
            autoComplete="off"
          />
        </Field>
        <fieldset className="flex flex-col gap-4 rounded-md border border-line p-3">
          <legend className="px-1 text-[13px] font-medium">First administrator</legend>
          <Field label="Full name" required error={errorFor(errors, 'admin.name')}>
            <Input name="adminName" value={form.adminName} onChange={set('adminName')} autoComplete="off" />
          </Field>
          <Field label="Email" required error={errorFor(errors, 'admin.email')}>
            <Input name="adminEmail" type="email" value={form.adminEmail} onChange={set('adminEmail')} autoComplete="off" />
          </Field>
          <Field label="Initial password" required hint="12 characters or more. Share it safely." error={errorFor(errors, 'admin.password')}>
            <Input name="adminPassword" type="password" value={form.adminPassword} onChange={set('adminPassword')} autoComplete="new-password" />
          </Field>
        </fieldset>
      </form>
    </Dialog>
  );
}

const columns: Column<Org>[] = [
  { id: 'name', header: 'Name', className: 'font-medium', cell: (o) => o.name },
  { id: 'slug', header: 'Slug', width: 'w-48', className: 'font-mono text-xs text-fg-muted', cell: (o) => o.slug },
  { id: 'created', header: 'Created', width: 'w-36', className: 'whitespace-nowrap text-fg-muted', cell: (o) => formatDate(o.createdAt) },
];

/** Every organization of the installation, and creating one (platform administrators only, as the API). */
export function OrganizationsPage() {
  useDocumentTitle('Organizations');
  const me = useMe();
  const [creating, setCreating] = useState(false);
  const list = useInfiniteQuery({
    queryKey: orgsKey,
    queryFn: ({ pageParam }) => call(api.GET('/api/organizations', { params: { query: pageRequest(pageParam) } })),
    ...nextPages,
    enabled: me.isPlatformAdmin,
  });
  if (!me.isPlatformAdmin) return <NoAccess what="platform administration" />;
  const rows = rowsOf(list.data);
  return (
    <Page>
      <PageHeader
        title="Organizations"
        description="Every tenant of this installation. Only platform administrators see this page."
        actions={
          <Button variant="primary" onClick={() => setCreating(true)}>
            <Plus aria-hidden="true" /> New organization
          </Button>
        }
      />
      <TableCard error={list.error && !list.data ? list.error : null} onRetry={() => void list.refetch()} loading={list.isLoading} empty={rows.length ? null : <EmptyState icon={<Building />} title="No organizations" />}>
        <DataTable caption="Organizations" testId="orgs-table" rowTestId="org-row" columns={columns} rows={rows} rowKey={(o) => o.id} />
      </TableCard>
      <LoadMore count={rows.length} noun={['organization', 'organizations']} hasMore={list.hasNextPage} loading={list.isFetchingNextPage} onMore={() => void list.fetchNextPage()} />
      {creating ? <CreateOrgDialog onClose={() => setCreating(false)} /> : null}
    </Page>
  );
}
