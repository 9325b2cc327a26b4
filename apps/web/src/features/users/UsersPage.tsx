import { useEffect, useState, type FormEvent } from 'react';
import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { MoreHorizontal, Search, ShieldCheck, UserPlus, Users as UsersIcon, Wand2 } from 'lucide-react';
import { api, call } from '../../lib/api';
import { cn } from '../../lib/cn';
import { initials } from '../../lib/format';
import { can } from '../../lib/permissions';
import { ApiError, errorFor, fieldErrors } from '../../lib/problem';
import { keys, useMe } from '../../lib/queries';
import { toast } from '../../lib/toast';
import type { User } from '../../lib/types';
import type { UsersSearch } from '../../app/search';
import { Ago } from '../../components/ui/ago';
import { Badge } from '../../components/ui/badge';
import { Button } from '../../components/ui/button';
import { DataTable, LoadMore, TableCard, type Column } from '../../components/ui/data-table';
import { ConfirmDialog, Dialog } from '../../components/ui/dialog';
import { Field, Input, Select } from '../../components/ui/input';
import { Menu, MenuContent, MenuItem, MenuTrigger } from '../../components/ui/menu';
import { Page, PageHeader, useDocumentTitle } from '../../components/ui/page';
import { Banner, EmptyState, errorMessage, NoAccess } from '../../components/ui/states';
import { InvitationsPanel, InviteButton } from './InvitationsPanel';
import { RolePicker } from './RolePicker';

const usersRoute = getRouteApi('/app/admin/users');

/** A strong random password (the user changes it after signing in). */
function generatePassword() {
  const words = 'amber,birch,cobalt,delta,ember,fjord,granite,harbor,indigo,juniper,kestrel,lagoon,meadow,nimbus,onyx,prairie,quartz,raven,summit,tundra'.split(',');
  const r = crypto.getRandomValues(new Uint32Array(5));
  return `${words[r[0]! % words.length]}-${words[r[1]! % words.length]}-${words[r[2]! % words.length]}-${(r[3]! % 9000) + 1000}${'!@#%&*'[r[4]! % 6]}`;
}

function CreateUserDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (o: boolean) => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [department, setDepartment] = useState('');
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () =>
      call(
        api.POST('/api/users', {
          body: { name: name.trim(), email: email.trim(), password, department: department.trim() || null, ...(picked.size ? { roles: [...picked] } : {}) },
        }),
      ),
    onSuccess: (u) => {
      void qc.invalidateQueries({ queryKey: keys.users });
      toast('User created', { tone: 'success', description: `${u.name} can sign in as ${u.email}.` });
      onOpenChange(false);
    },
    onError: (err) => {
      const fe = fieldErrors(err);
      if (err instanceof ApiError && err.code === 'email_taken') fe.email = err.detail;
      setErrors(fe);
      const placed = ['name', 'email', 'password', 'department', 'roles'];
      setFormError(Object.keys(fe).some((k) => placed.some((p) => k === p || k.startsWith(p + '.'))) ? null : errorMessage(err));
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setErrors({});
    setFormError(null);
    create.mutate();
  };
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title="New user"
      description="They sign in with this email and password. Roles decide what they can see and do."
      size="md"
      footer={
        <>
          <Button onClick={() => onOpenChange(false)}>Cancel</Button>
          <Button variant="primary" type="submit" form="create-user" loading={create.isPending}>
            Create user
          </Button>
        </>
      }
    >
      <form id="create-user" onSubmit={submit} noValidate className="flex flex-col gap-4">
        {formError ? <Banner>{formError}</Banner> : null}
        <Field label="Full name" required error={errorFor(errors, 'name')}>
          <Input name="name" value={name} onChange={(e) => setName(e.target.value)} autoFocus autoComplete="off" />
        </Field>
        <Field label="Email" required error={errorFor(errors, 'email')}>
          <Input name="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="off" />
        </Field>
        <Field
          label="Initial password"
          required
          hint="12 characters or more. Share it safely."
          error={errorFor(errors, 'password')}
          addon={
            <Button onClick={() => setPassword(generatePassword())}>
              <Wand2 aria-hidden="true" /> Generate
            </Button>
          }
        >
          <Input name="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" className="flex-1 font-mono" />
        </Field>
        <Field label="Department" error={errorFor(errors, 'department')}>
          <Input name="department" value={department} onChange={(e) => setDepartment(e.target.value)} />
        </Field>
        <RolePicker picked={picked} onChange={setPicked} error={errorFor(errors, 'roles')} />
      </form>
    </Dialog>
  );
}

function userColumns(meId: string, canUpdate: boolean, onToggle: (u: User) => void, onOpen: (u: User) => void): Column<User>[] {
  return [
    {
      id: 'user',
      header: 'User',
      className: 'max-w-0',
      cell: (user) => (
        <div className="flex items-center gap-3">
          <span className={cn('flex size-8 shrink-0 items-center justify-center rounded-full text-[11px] font-semibold', user.isActive ? 'bg-accent-soft text-accent-soft-fg' : 'bg-hover text-fg-subtle')}>
            {initials(user.name)}
          </span>
          <div className="min-w-0">
            <p className="truncate text-[13px] font-medium">
              <Link to="/admin/users/$userId" params={{ userId: user.id }} className="hover:text-accent hover:underline" data-testid="user-link">
                {user.name}
              </Link>
              {user.id === meId ? <span className="ml-1.5 text-xs font-normal text-fg-subtle">(you)</span> : null}
            </p>
            <p className="truncate text-xs text-fg-subtle">{user.email}</p>
          </div>
        </div>
      ),
    },
    {
      id: 'roles',
      header: 'Roles',
      width: 'w-44',
      cell: (user) => (
        <div className="flex flex-wrap gap-1">
          {user.roles.length ? user.roles.map((r) => <Badge key={r.id} tone={r.name === 'admin' ? 'violet' : 'neutral'}>{r.name}</Badge>) : <span className="text-xs text-fg-subtle">No role</span>}
        </div>
      ),
    },
    { id: 'department', header: 'Department', width: 'w-40', hideBelow: 'xl', className: 'text-fg-muted', cell: (user) => user.department ?? <span className="text-fg-subtle">—</span> },
    {
      id: 'status',
      header: 'Status',
      width: 'w-32',
      cell: (user) => (
        <div className="flex flex-wrap items-center gap-1.5">
          {user.isActive ? <Badge tone="green" dot>Active</Badge> : <Badge dot>Inactive</Badge>}
          {user.twoFactorEnabled ? (
            <span title="Two-factor authentication is on" className="text-emerald-600 dark:text-emerald-400">
              <ShieldCheck className="size-4" aria-label="Two-factor on" />
            </span>
          ) : null}
        </div>
      ),
    },
    {
      id: 'lastLogin',
      header: 'Last sign-in',
      width: 'w-32',
      className: 'whitespace-nowrap text-fg-muted',
      cell: (user) => <Ago value={user.lastLogin} />,
    },
    {
      id: 'actions',
      header: 'Actions',
      headerHidden: true,
      width: 'w-14',
      className: 'px-2 text-right',
      cell: (user) => (
        <Menu>
          <MenuTrigger asChild>
            <Button variant="ghost" size="icon-sm" aria-label={`Actions for ${user.name}`}>
              <MoreHorizontal aria-hidden="true" />
            </Button>
          </MenuTrigger>
          <MenuContent>
            <MenuItem onSelect={() => onOpen(user)}>Open details</MenuItem>
            {canUpdate && user.id !== meId ? (
              <MenuItem danger={user.isActive} onSelect={() => onToggle(user)}>
                {user.isActive ? 'Deactivate' : 'Reactivate'}
              </MenuItem>
            ) : null}
          </MenuContent>
        </Menu>
      ),
    },
  ];
}

export function UsersPage() {
  useDocumentTitle('Users');
  const me = useMe();
  const qc = useQueryClient();
  const search = usersRoute.useSearch();
  const navigate = useNavigate({ from: '/admin/users' });
  const [text, setText] = useState(search.q ?? '');
  const [creating, setCreating] = useState(false);
  const [toggling, setToggling] = useState<User | null>(null);
  useEffect(() => {
    const t = setTimeout(() => {
      const q = text.trim() || undefined;
      if (q !== search.q) void navigate({ search: (prev: UsersSearch) => ({ ...prev, q }), replace: true });
    }, 300);
    return () => clearTimeout(t);
  }, [text, search.q, navigate]);

  const list = useInfiniteQuery({
    queryKey: [...keys.users, 'list', search],
    queryFn: ({ pageParam }) =>
      call(
        api.GET('/api/users', {
          params: {
            query: {
              limit: 50,
              sort: 'name',
              ...(pageParam ? { cursor: pageParam } : {}),
              ...(search.q ? { q: search.q } : {}),
              ...(search.status ? { isActive: search.status === 'active' ? 'true' : 'false' } : {}),
            },
          },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    placeholderData: (prev) => prev,
    enabled: can(me, 'users:read', 'department'),
  });
  const toggle = useMutation({
    mutationFn: (u: User) =>
      call(u.isActive ? api.POST('/api/users/{id}/deactivate', { params: { path: { id: u.id } } }) : api.POST('/api/users/{id}/activate', { params: { path: { id: u.id } } })),
    onSuccess: (u) => {
      void qc.invalidateQueries({ queryKey: keys.users });
      toast(u.isActive ? 'User reactivated' : 'User deactivated', { tone: 'success', description: u.isActive ? `${u.name} can sign in again.` : `${u.name} is signed out everywhere.` });
      setToggling(null);
    },
    onError: (err) => {
      toast('The change failed', { tone: 'error', description: errorMessage(err) });
      setToggling(null);
    },
  });

  if (!can(me, 'users:read', 'department')) {
    return <NoAccess what="user administration" />;
  }
  const rows = list.data?.pages.flatMap((p) => p.data) ?? [];
  const canUpdate = can(me, 'users:update');
  return (
    <Page>
      <PageHeader
        title="Users"
        description="People in your organization, their roles and their access."
        actions={
          can(me, 'users:create') ? (
            <>
              <InviteButton />
              <Button variant="primary" onClick={() => setCreating(true)}>
                <UserPlus aria-hidden="true" /> New user
              </Button>
            </>
          ) : undefined
        }
      />
      <div className="mb-3 flex flex-wrap items-center gap-2" role="search">
        <div className="relative w-full sm:w-72">
          <Search className="pointer-events-none absolute top-1/2 left-2.5 size-4 -translate-y-1/2 text-fg-subtle" aria-hidden="true" />
          <Input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="Search name or email…" aria-label="Search users" className="pl-8" />
        </div>
        <Select
          aria-label="Status"
          className="w-36"
          value={search.status ?? ''}
          onChange={(e) => void navigate({ search: (prev: UsersSearch) => ({ ...prev, status: (e.target.value || undefined) as UsersSearch['status'] }), replace: true })}
        >
          <option value="">All users</option>
          <option value="active">Active</option>
          <option value="inactive">Inactive</option>
        </Select>
      </div>
      <TableCard
        error={list.error && !list.data ? list.error : null}
        onRetry={() => void list.refetch()}
        loading={list.isLoading}
        empty={rows.length > 0 ? null : <EmptyState icon={search.q ? <Search /> : <UsersIcon />} title={search.q ? 'No users match' : 'No users'} description={search.q ? 'Try another name or email.' : undefined} />}
      >
        <DataTable
          caption="Users"
          testId="users-table"
          rowTestId="user-row"
          columns={userColumns(me.id, canUpdate, (x) => (x.isActive ? setToggling(x) : toggle.mutate(x)), (x) => void navigate({ to: '/admin/users/$userId', params: { userId: x.id } }))}
          rows={rows}
          rowKey={(u) => u.id}
        />
      </TableCard>
      <LoadMore count={rows.length} noun={['user', 'users']} hasMore={list.hasNextPage} loading={list.isFetchingNextPage} onMore={() => void list.fetchNextPage()} />
      <InvitationsPanel />
      {creating ? <CreateUserDialog open={creating} onOpenChange={setCreating} /> : null}
      <ConfirmDialog
        open={!!toggling}
        onOpenChange={(o) => !o && setToggling(null)}
        title={`Deactivate ${toggling?.name ?? ''}?`}
        description="They are signed out everywhere at once and cannot sign in until reactivated. Their history stays."
        confirmLabel="Deactivate"
        pending={toggle.isPending}
        onConfirm={() => toggling && toggle.mutate(toggling)}
      />
    </Page>
  );
}
