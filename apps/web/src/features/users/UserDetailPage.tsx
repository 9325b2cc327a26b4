import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { getRouteApi, Link } from '@tanstack/react-router';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Download, Eraser, LogOut, MoreHorizontal, Plus, RotateCcw, ShieldCheck, Trash2, UserCheck, UserX, X } from 'lucide-react';
import { api, call } from '../../lib/api';
import { cn } from '../../lib/cn';
import { formatDateTime, formatFull, formatRelative, initials } from '../../lib/format';
import { CONDITION_LABEL, cellChoices, resourceLabel } from '../../lib/permission-matrix';
import { nextPages, pageRequest, rowsOf } from '../../lib/pages';
import { can } from '../../lib/permissions';
import { ApiError, errorFor, fieldErrors } from '../../lib/problem';
import { catalogueQuery, keys, rolesQuery, useMe, useUserNames } from '../../lib/queries';
import { toast } from '../../lib/toast';
import type { Condition, Session, User } from '../../lib/types';
import { Ago } from '../../components/ui/ago';
import { Badge } from '../../components/ui/badge';
import { Button } from '../../components/ui/button';
import { Card, CardHeader } from '../../components/ui/card';
import { Crumbs } from '../../components/ui/crumbs';
import { LoadMore } from '../../components/ui/data-table';
import { ConfirmDialog, Dialog } from '../../components/ui/dialog';
import { Field, Input, Select } from '../../components/ui/input';
import { Menu, MenuContent, MenuItem, MenuSeparator, MenuTrigger } from '../../components/ui/menu';
import { Page, PageHeader, useDocumentTitle } from '../../components/ui/page';
import { Banner, EmptyState, errorMessage, ErrorState, NoAccess, SkeletonRows } from '../../components/ui/states';
import { Timeline } from '../activity';
import { describeAgent } from '../account/SessionsPage';
import { saveBlob } from '../servicedesk/files';
import { allGrants, firstAbove, grantableRole, reaches, type Grant } from './access';

const userRoute = getRouteApi('/app/admin/users/$userId');

const userKey = (id: string) => [...keys.users, 'detail', id] as const;
const grantsKey = (id: string) => [...keys.users, 'detail', id, 'permissions'] as const;
const sessionsKey = (id: string) => [...keys.users, 'detail', id, 'sessions'] as const;

/** After any change to the user: their page, the lists, the audit views; and my own permissions if it was me. */
function useRefresh(u: User) {
  const qc = useQueryClient();
  const me = useMe();
  return () => {
    void qc.invalidateQueries({ queryKey: keys.users });
    void qc.invalidateQueries({ queryKey: keys.audit });
    if (u.id === me.id) void qc.invalidateQueries({ queryKey: keys.me });
  };
}

/** What I may do to this user: the API's rules (permission over them, and not outranked by them). */
function useAbilities(u: User, grants: Grant[] | undefined) {
  const me = useMe();
  const above = grants ? firstAbove(me, grants) : null;
  const self = u.id === me.id;
  const change = (permission: string) => reaches(me, permission, u) && !above;
  return {
    above,
    self,
    update: change('users:update'),
    remove: change('users:delete'),
    exportData: reaches(me, 'users:export', u),
    erase: change('users:erase'),
    assign: can(me, 'roles:assign') && change('users:update'),
    grant: can(me, 'permissions:grant') && change('users:update'),
    sessions: reaches(me, 'users:update', u),
  };
}
type Abilities = ReturnType<typeof useAbilities>;

function EraseDialog({ u, open, onOpenChange }: { u: User; open: boolean; onOpenChange: (o: boolean) => void }) {
  const refresh = useRefresh(u);
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<string | null>(null);
  const erase = useMutation({
    mutationFn: () => call(api.POST('/api/users/{id}/erase', { params: { path: { id: u.id } } })),
    onSuccess: () => {
      refresh();
      onOpenChange(false);
      toast('Personal data erased', { tone: 'success', description: 'The account is anonymised and signed out; the audit log stays verifiable.' });
    },
    onError: (err) => setError(errorMessage(err)),
  });
  const matches = typed.trim().toLowerCase() === u.email.toLowerCase();
  return (
    <Dialog
      open={open}
      onOpenChange={(o) => {
        setTyped('');
        setError(null);
        onOpenChange(o);
      }}
      title={`Erase ${u.name}’s personal data?`}
      description="GDPR erasure: name, email, phone and department are anonymised, sessions and API keys end, the sign-in history is deleted. This cannot be undone."
      footer={
        <>
          <Button onClick={() => onOpenChange(false)}>Cancel</Button>
          <Button variant="danger" type="submit" form="erase-user" disabled={!matches} loading={erase.isPending}>
            <Eraser aria-hidden="true" /> Erase for good
          </Button>
        </>
      }
    >
      <form
        id="erase-user"
        noValidate
        className="flex flex-col gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          setError(null);
          if (matches) erase.mutate();
        }}
      >
        {error ? <Banner>{error}</Banner> : null}
        <Field label={<>Type <span className="font-mono">{u.email}</span> to confirm</>}>
          <Input name="confirm-email" value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" autoFocus spellCheck={false} />
        </Field>
      </form>
    </Dialog>
  );
}

function HeaderActions({ u, can: may }: { u: User; can: Abilities }) {
  const refresh = useRefresh(u);
  const [confirm, setConfirm] = useState<'deactivate' | 'delete' | null>(null);
  const [erasing, setErasing] = useState(false);
  const onError = (what: string) => (err: unknown) => {
    setConfirm(null);
    toast(what, { tone: 'error', description: errorMessage(err) });
  };
  const path = { params: { path: { id: u.id } } };
  const toggle = useMutation({
    mutationFn: () => call(u.isActive ? api.POST('/api/users/{id}/deactivate', path) : api.POST('/api/users/{id}/activate', path)),
    onSuccess: (x) => {
      refresh();
      setConfirm(null);
      toast(x.isActive ? 'User reactivated' : 'User deactivated', { tone: 'success', description: x.isActive ? `${x.name} can sign in again.` : `${x.name} is signed out everywhere.` });
    },
    onError: onError('The change failed'),
  });
  const remove = useMutation({
    mutationFn: () => call(u.deletedAt ? api.POST('/api/users/{id}/restore', path) : api.DELETE('/api/users/{id}', path)),
    onSuccess: () => {
      refresh();
      setConfirm(null);
      toast(u.deletedAt ? 'User restored' : 'User deleted', { tone: 'success', description: u.deletedAt ? `${u.name} is back in the list.` : `${u.name} can be restored from this page.` });
    },
    onError: onError(u.deletedAt ? 'The user was not restored' : 'The user was not deleted'),
  });
  const exportData = useMutation({
    mutationFn: () => call(api.GET('/api/users/{id}/export', path)),
    onSuccess: (data) => {
      saveBlob(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }), `imsop-user-${u.id}.json`);
      toast('Export downloaded', { tone: 'success', description: 'The export is recorded in the audit log.' });
    },
    onError: onError('The export failed'),
  });
  const menu = may.exportData || (may.remove && (!may.self || u.deletedAt)) || (may.erase && !may.self);
  return (
    <>
      {may.update && !may.self && !u.deletedAt ? (
        u.isActive ? (
          <Button onClick={() => setConfirm('deactivate')}>
            <UserX aria-hidden="true" /> Deactivate
          </Button>
        ) : (
          <Button onClick={() => toggle.mutate()} loading={toggle.isPending}>
            <UserCheck aria-hidden="true" /> Reactivate
          </Button>
        )
      ) : null}
      {may.remove && u.deletedAt ? (
        <Button variant="primary" onClick={() => remove.mutate()} loading={remove.isPending}>
          <RotateCcw aria-hidden="true" /> Restore
        </Button>
      ) : null}
      {menu ? (
        <Menu>
          <MenuTrigger asChild>
            <Button size="icon" aria-label="More actions">
              <MoreHorizontal aria-hidden="true" />
            </Button>
          </MenuTrigger>
          <MenuContent>
            {may.exportData ? (
              <MenuItem onSelect={() => exportData.mutate()} disabled={exportData.isPending}>
                <Download aria-hidden="true" /> Export personal data
              </MenuItem>
            ) : null}
            {may.exportData && !may.self && (may.remove || may.erase) ? <MenuSeparator /> : null}
            {may.remove && !may.self && !u.deletedAt ? (
              <MenuItem danger onSelect={() => setConfirm('delete')}>
                <Trash2 aria-hidden="true" /> Delete user
              </MenuItem>
            ) : null}
            {may.erase && !may.self ? (
              <MenuItem danger onSelect={() => setErasing(true)}>
                <Eraser aria-hidden="true" /> Erase personal data…
              </MenuItem>
            ) : null}
          </MenuContent>
        </Menu>
      ) : null}
      <ConfirmDialog
        open={confirm === 'deactivate'}
        onOpenChange={(o) => !o && setConfirm(null)}
        title={`Deactivate ${u.name}?`}
        description="They are signed out everywhere at once and cannot sign in until reactivated. Their history stays."
        confirmLabel="Deactivate"
        pending={toggle.isPending}
        onConfirm={() => toggle.mutate()}
      />
      <ConfirmDialog
        open={confirm === 'delete'}
        onOpenChange={(o) => !o && setConfirm(null)}
        title={`Delete ${u.name}?`}
        description="They leave the user list, are signed out everywhere and cannot sign in. An administrator can restore them from this page."
        confirmLabel="Delete user"
        pending={remove.isPending}
        onConfirm={() => remove.mutate()}
      />
      {erasing ? <EraseDialog u={u} open={erasing} onOpenChange={setErasing} /> : null}
    </>
  );
}

const PROFILE_FIELDS = ['name', 'email', 'department', 'phone'] as const;
type ProfileField = (typeof PROFILE_FIELDS)[number];
const draftOf = (u: User): Record<ProfileField, string> => ({ name: u.name, email: u.email, department: u.department ?? '', phone: u.phone ?? '' });

function ProfileCard({ u, editable }: { u: User; editable: boolean }) {
  const qc = useQueryClient();
  const refresh = useRefresh(u);
  const [draft, setDraft] = useState(() => draftOf(u));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  // Another change (or a refetch) moves the saved values: start again from them.
  useEffect(() => setDraft(draftOf(u)), [u]);
  const saved = draftOf(u);
  const changed = PROFILE_FIELDS.filter((f) => draft[f].trim() !== saved[f]);
  const save = useMutation({
    mutationFn: () => {
      const body: Record<string, string | null> = {};
      for (const f of changed) body[f] = f === 'department' || f === 'phone' ? draft[f].trim() || null : draft[f].trim();
      return call(api.PATCH('/api/users/{id}', { params: { path: { id: u.id } }, body }));
    },
    onSuccess: (x) => {
      qc.setQueryData(userKey(u.id), x);
      refresh();
      toast('Profile saved', { tone: 'success', description: x.name });
    },
    onError: (err) => {
      const fe = fieldErrors(err);
      if (err instanceof ApiError && err.code === 'email_taken') fe.email = err.detail;
      setErrors(fe);
      setFormError(PROFILE_FIELDS.some((f) => fe[f]) ? null : errorMessage(err));
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setErrors({});
    setFormError(null);
    save.mutate();
  };
  const field = (f: ProfileField, label: string, props: { type?: string; required?: boolean; hint?: string } = {}) => (
    <Field label={label} required={props.required} error={errorFor(errors, f)} hint={props.hint}>
      <Input name={f} type={props.type ?? 'text'} value={draft[f]} readOnly={!editable} onChange={(e) => setDraft({ ...draft, [f]: e.target.value })} autoComplete="off" />
    </Field>
  );
  return (
    <Card aria-labelledby="user-profile">
      <CardHeader id="user-profile" title="Profile" description={editable ? 'Name, email and contact details' : 'You may view, not change, this user'} />
      <form onSubmit={submit} noValidate className="flex flex-col gap-4 p-4" data-testid="user-profile">
        {formError ? <Banner>{formError}</Banner> : null}
        <div className="grid gap-4 sm:grid-cols-2">
          {field('name', 'Full name', { required: true })}
          {field('email', 'Email', { type: 'email', required: true, hint: 'They sign in with it.' })}
          {field('department', 'Department', { hint: 'Department-scoped roles reach users of the same department.' })}
          {field('phone', 'Phone', { type: 'tel', hint: 'International format, e.g. +44 20 7946 0000' })}
        </div>
        {editable ? (
          <div className="flex items-center gap-2">
            <Button variant="primary" type="submit" loading={save.isPending} disabled={changed.length === 0}>
              Save profile
            </Button>
            {changed.length ? (
              <Button onClick={() => setDraft(saved)} disabled={save.isPending}>
                Discard
              </Button>
            ) : null}
          </div>
        ) : null}
      </form>
    </Card>
  );
}

function RolesCard({ u, editable }: { u: User; editable: boolean }) {
  const me = useMe();
  const qc = useQueryClient();
  const refresh = useRefresh(u);
  const roles = useQuery({ ...rolesQuery, enabled: can(me, 'roles:read') });
  const current = useMemo(() => new Set(u.roles.map((r) => r.name)), [u.roles]);
  const [picked, setPicked] = useState<Set<string>>(current);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setPicked(new Set(current)), [current]);
  const dirty = picked.size !== current.size || [...picked].some((r) => !current.has(r));
  const save = useMutation({
    mutationFn: () => call(api.PUT('/api/users/{id}/roles', { params: { path: { id: u.id } }, body: { roles: [...picked].sort() } })),
    onSuccess: (r) => {
      qc.setQueryData(userKey(u.id), { ...u, roles: r.data });
      refresh();
      toast('Roles saved', { tone: 'success', description: r.data.length ? r.data.map((x) => x.name).join(', ') : 'No role: they see only what direct grants allow.' });
    },
    onError: (err) => {
      setError(errorMessage(err));
      // Refused: what I hold, or the roles, changed since the page loaded; show the current state.
      if (err instanceof ApiError && err.status === 403) {
        void qc.invalidateQueries({ queryKey: keys.me });
        void qc.invalidateQueries({ queryKey: keys.roles });
      }
    },
  });
  const list = roles.data?.data ?? [];
  return (
    <Card aria-labelledby="user-roles">
      <CardHeader id="user-roles" title="Roles" description="Roles decide what they can see and do" />
      <div className="flex flex-col gap-3 p-4" data-testid="user-roles">
        {error ? <Banner>{error}</Banner> : null}
        {!editable || !can(me, 'roles:read') ? (
          <div className="flex flex-wrap gap-1.5">
            {u.roles.length ? u.roles.map((r) => <Badge key={r.id} tone={r.name === 'admin' ? 'violet' : 'neutral'}>{r.name}</Badge>) : <span className="text-[13px] text-fg-subtle">No role</span>}
          </div>
        ) : roles.error ? (
          <ErrorState error={roles.error} onRetry={() => void roles.refetch()} />
        ) : roles.isLoading ? (
          <SkeletonRows rows={2} />
        ) : (
          <form
            noValidate
            className="flex flex-col gap-3"
            onSubmit={(e) => {
              e.preventDefault();
              setError(null);
              save.mutate();
            }}
          >
            <fieldset className="grid gap-2 sm:grid-cols-2">
              <legend className="sr-only">Roles of {u.name}</legend>
              {list.map((r) => {
                const allowed = grantableRole(me, r);
                return (
                  <label
                    key={r.id}
                    title={allowed ? r.description : 'You do not hold every permission of this role, so you cannot give or take it.'}
                    className={cn(
                      'flex items-start gap-2.5 rounded-md border p-2.5 text-[13px]',
                      picked.has(r.name) ? 'border-accent/50 bg-accent-soft/50' : 'border-line',
                      allowed ? 'cursor-pointer hover:bg-hover' : 'opacity-60',
                    )}
                  >
                    <input
                      type="checkbox"
                      className="mt-0.5"
                      name="roles"
                      value={r.name}
                      disabled={!allowed}
                      checked={picked.has(r.name)}
                      onChange={(e) =>
                        setPicked((s) => {
                          const n = new Set(s);
                          if (e.target.checked) n.add(r.name);
                          else n.delete(r.name);
                          return n;
                        })
                      }
                    />
                    <span className="min-w-0">
                      <span className="block font-medium">{r.displayName}</span>
                      <span className="block text-xs text-fg-subtle">
                        {r.name} · {r.permissions.length} permissions
                      </span>
                    </span>
                  </label>
                );
              })}
            </fieldset>
            <div className="flex gap-2">
              <Button variant="primary" type="submit" disabled={!dirty} loading={save.isPending}>
                Save roles
              </Button>
              {dirty ? <Button onClick={() => setPicked(new Set(current))}>Discard</Button> : null}
            </div>
          </form>
        )}
      </div>
    </Card>
  );
}

type GrantView = { direct: (Grant & { grantedBy: string | null; grantedAt: string })[]; viaRoles: (Grant & { role: string })[] };

function GrantsCard({ u, view, editable }: { u: User; view: GrantView; editable: boolean }) {
  const me = useMe();
  const qc = useQueryClient();
  const refresh = useRefresh(u);
  const names = useUserNames();
  const catalogue = useQuery({ ...catalogueQuery, enabled: editable && can(me, 'permissions:read') });
  const [permission, setPermission] = useState('');
  const [condition, setCondition] = useState<Condition | ''>('');
  const [error, setError] = useState<string | null>(null);
  const onError = (err: unknown) => {
    setError(errorMessage(err));
    if (err instanceof ApiError && err.status === 403) void qc.invalidateQueries({ queryKey: keys.me });
  };
  const grant = useMutation({
    mutationFn: () => call(api.POST('/api/users/{id}/permissions', { params: { path: { id: u.id } }, body: { permission, ...(condition ? { condition } : {}) } })),
    onSuccess: (v) => {
      qc.setQueryData(grantsKey(u.id), v);
      refresh();
      toast('Permission granted', { tone: 'success', description: permission });
      setPermission('');
      setCondition('');
    },
    onError,
  });
  const revoke = useMutation({
    mutationFn: (p: string) => call(api.DELETE('/api/users/{id}/permissions/{permission}', { params: { path: { id: u.id, permission: p } } })),
    onSuccess: (_r, p) => {
      refresh();
      toast('Grant revoked', { tone: 'success', description: p });
    },
    onError,
  });
  const perms = catalogue.data?.data ?? [];
  const offered = perms.filter((p) => can(me, p.key));
  const chosen = perms.find((p) => p.key === permission);
  const choices = chosen ? cellChoices(me, chosen.key, chosen.scoped, undefined, undefined).choices : [];
  const byRole = view.viaRoles.reduce<Record<string, number>>((acc, g) => ({ ...acc, [g.role]: (acc[g.role] ?? 0) + 1 }), {});
  return (
    <Card aria-labelledby="user-grants">
      <CardHeader id="user-grants" title="Direct grants" description="Permissions given to this user alone, on top of their roles" />
      <div className="flex flex-col gap-3 p-4" data-testid="user-grants">
        {error ? <Banner>{error}</Banner> : null}
        {view.direct.length === 0 ? (
          <p className="text-[13px] text-fg-subtle">No direct grants.</p>
        ) : (
          <ul className="divide-y divide-line rounded-md border border-line">
            {view.direct.map((g) => (
              <li key={g.permission} className="flex items-center gap-3 px-3 py-2" data-testid="grant-row">
                <div className="min-w-0 flex-1">
                  <p className="font-mono text-xs">{g.permission}</p>
                  <p className="text-xs text-fg-subtle">
                    {CONDITION_LABEL[g.condition]} · granted {g.grantedBy ? `by ${names.get(g.grantedBy) ?? 'someone'} ` : ''}
                    <time dateTime={g.grantedAt} title={formatFull(g.grantedAt)}>
                      {formatRelative(g.grantedAt)}
                    </time>
                  </p>
                </div>
                {editable && can(me, g.permission, g.condition) ? (
                  <Button size="sm" variant="ghost" onClick={() => revoke.mutate(g.permission)} disabled={revoke.isPending} aria-label={`Revoke ${g.permission}`}>
                    <X aria-hidden="true" /> Revoke
                  </Button>
                ) : null}
              </li>
            ))}
          </ul>
        )}
        {editable ? (
          catalogue.error ? (
            <ErrorState error={catalogue.error} onRetry={() => void catalogue.refetch()} />
          ) : (
            <form
              noValidate
              className="flex flex-wrap items-end gap-2"
              onSubmit={(e) => {
                e.preventDefault();
                setError(null);
                grant.mutate();
              }}
            >
              <Field label="Permission" className="min-w-56 flex-1">
                <Select
                  name="permission"
                  value={permission}
                  onChange={(e) => {
                    setPermission(e.target.value);
                    setCondition('');
                  }}
                >
                  <option value="">{catalogue.isLoading ? 'Loading…' : 'Choose a permission you hold…'}</option>
                  {offered.map((p) => (
                    <option key={p.key} value={p.key}>
                      {resourceLabel(p.resource)}: {p.key}
                    </option>
                  ))}
                </Select>
              </Field>
              <Field label="Scope" className="w-40">
                <Select name="condition" value={condition || choices[0] || ''} onChange={(e) => setCondition(e.target.value as Condition)} disabled={choices.length < 2}>
                  {choices.length === 0 ? <option value="">—</option> : null}
                  {choices.map((c) => (
                    <option key={c} value={c}>
                      {CONDITION_LABEL[c]}
                    </option>
                  ))}
                </Select>
              </Field>
              <Button type="submit" disabled={!permission} loading={grant.isPending}>
                <Plus aria-hidden="true" /> Grant
              </Button>
            </form>
          )
        ) : null}
        {Object.keys(byRole).length ? (
          <p className="text-xs text-fg-subtle">
            Through roles:{' '}
            {Object.entries(byRole)
              .map(([role, n]) => `${role} (${n})`)
              .join(', ')}
            . Roles are edited on the{' '}
            <Link to="/admin/roles" className="text-accent hover:underline">
              Roles page
            </Link>
            .
          </p>
        ) : null}
      </div>
    </Card>
  );
}

function SessionsCard({ u, canRevoke }: { u: User; canRevoke: boolean }) {
  const qc = useQueryClient();
  const refresh = useRefresh(u);
  const [confirmAll, setConfirmAll] = useState(false);
  const sessions = useInfiniteQuery({
    queryKey: sessionsKey(u.id),
    queryFn: ({ pageParam }) => call(api.GET('/api/users/{id}/sessions', { params: { path: { id: u.id }, query: pageRequest(pageParam) } })),
    ...nextPages,
  });
  const done = (title: string, description: string) => {
    void qc.invalidateQueries({ queryKey: sessionsKey(u.id) });
    refresh();
    toast(title, { tone: 'success', description });
  };
  const revoke = useMutation({
    mutationFn: (s: Session) => call(api.DELETE('/api/users/{id}/sessions/{sessionId}', { params: { path: { id: u.id, sessionId: s.id } } })),
    onSuccess: () => done('Session revoked', 'That device is signed out.'),
    onError: (err) => toast('Could not revoke the session', { tone: 'error', description: errorMessage(err) }),
  });
  const revokeAll = useMutation({
    mutationFn: () => call(api.POST('/api/users/{id}/sessions/revoke-all', { params: { path: { id: u.id } } })),
    onSuccess: (r) => {
      setConfirmAll(false);
      done('Signed out everywhere', `${r.revoked} session${r.revoked === 1 ? '' : 's'} ended. The account stays active.`);
    },
    onError: (err) => {
      setConfirmAll(false);
      toast('Could not sign them out', { tone: 'error', description: errorMessage(err) });
    },
  });
  const list = rowsOf(sessions.data);
  return (
    <Card aria-labelledby="user-sessions">
      <CardHeader
        id="user-sessions"
        title="Sessions"
        description="Where they are signed in"
        actions={
          canRevoke && list.length > 0 ? (
            <Button size="sm" onClick={() => setConfirmAll(true)}>
              <LogOut aria-hidden="true" /> Sign out everywhere
            </Button>
          ) : undefined
        }
      />
      {sessions.error ? (
        <ErrorState error={sessions.error} onRetry={() => void sessions.refetch()} />
      ) : sessions.isLoading ? (
        <SkeletonRows rows={2} />
      ) : list.length === 0 ? (
        <EmptyState title="Not signed in anywhere" />
      ) : (
        <ul className="divide-y divide-line" data-testid="user-sessions">
          {list.map((s) => (
            <li key={s.id} className="flex items-center gap-3 px-4 py-2.5" data-testid="user-session-row">
              <div className="min-w-0 flex-1">
                <p className="flex items-center gap-2 text-[13px] font-medium">
                  {describeAgent(s.userAgent).label}
                  {s.current ? <Badge tone="green" dot>This device</Badge> : null}
                </p>
                <p className="text-xs text-fg-subtle">
                  {s.ip ?? 'Unknown address'} · signed in {formatDateTime(s.createdAt)} · active <Ago value={s.lastActivityAt} />
                </p>
              </div>
              {canRevoke ? (
                <Button size="sm" variant="ghost" onClick={() => revoke.mutate(s)} disabled={revoke.isPending}>
                  <LogOut aria-hidden="true" /> Revoke
                </Button>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      <LoadMore count={list.length} noun={['session', 'sessions']} hasMore={sessions.hasNextPage} loading={sessions.isFetchingNextPage} onMore={() => void sessions.fetchNextPage()} />
      <ConfirmDialog
        open={confirmAll}
        onOpenChange={setConfirmAll}
        title={`Sign ${u.name} out everywhere?`}
        description="Every device they are signed in on is signed out at once. They can sign in again."
        confirmLabel="Sign out everywhere"
        pending={revokeAll.isPending}
        onConfirm={() => revokeAll.mutate()}
      />
    </Card>
  );
}

type ActivityTab = 'changes' | 'actions' | 'signins';
const SIGNIN_LABEL: Record<string, string> = {
  login: 'Signed in',
  logout: 'Signed out',
  login_failed: 'Failed sign-in',
  refresh_token_reuse: 'Refresh token reused (session revoked)',
  password_change_failed: 'Wrong current password',
};

function ActivityCard({ u }: { u: User }) {
  const me = useMe();
  const names = useUserNames();
  const audit = can(me, 'audit:read');
  const signins = can(me, 'activity:read', u.id === me.id ? 'own' : 'any');
  const tabs: [ActivityTab, string][] = [...(audit ? ([['changes', 'Changes to them'], ['actions', 'What they did']] as [ActivityTab, string][]) : []), ...(signins ? ([['signins', 'Sign-ins']] as [ActivityTab, string][]) : [])];
  const [tab, setTab] = useState<ActivityTab>(tabs[0]?.[0] ?? 'changes');
  const log = useInfiniteQuery({
    queryKey: [...keys.audit, 'user', u.id, tab],
    queryFn: ({ pageParam }) =>
      call(api.GET('/api/audit-logs', { params: { query: { ...pageRequest(pageParam, 25), ...(tab === 'changes' ? { entityType: 'user', entityId: u.id } : { userId: u.id }) } } })),
    ...nextPages,
    enabled: audit && tab !== 'signins',
  });
  const activity = useInfiniteQuery({
    queryKey: [...keys.users, 'detail', u.id, 'activity'],
    queryFn: ({ pageParam }) => call(api.GET('/api/activity-logs', { params: { query: { ...pageRequest(pageParam, 25), userId: u.id } } })),
    ...nextPages,
    enabled: signins && tab === 'signins',
  });
  if (!tabs.length) return null;
  const q = tab === 'signins' ? activity : log;
  return (
    <Card aria-labelledby="user-activity">
      <CardHeader id="user-activity" title="Activity" description="From the audit and activity logs" />
      <div role="tablist" aria-label="Activity" className="flex gap-1 border-b border-line px-3 pt-2">
        {tabs.map(([id, label]) => (
          <button
            key={id}
            type="button"
            role="tab"
            aria-selected={tab === id}
            onClick={() => setTab(id)}
            className={cn('-mb-px border-b-2 px-2.5 pb-2 text-[13px] font-medium', tab === id ? 'border-accent text-fg' : 'border-transparent text-fg-muted hover:text-fg')}
          >
            {label}
          </button>
        ))}
      </div>
      <div role="tabpanel" className="p-4" data-testid="user-activity">
        {q.error ? (
          <ErrorState error={q.error} onRetry={() => void q.refetch()} />
        ) : q.isLoading ? (
          <SkeletonRows rows={3} />
        ) : tab === 'signins' ? (
          rowsOf(activity.data).length === 0 ? (
            <p className="text-[13px] text-fg-subtle">No sign-ins recorded.</p>
          ) : (
            <ul className="flex flex-col gap-2.5">
              {rowsOf(activity.data).map((a) => (
                <li key={a.id} className="text-[13px]">
                  <span className={cn('font-medium', a.action.includes('fail') || a.action.includes('reuse') ? 'text-red-600 dark:text-red-400' : '')}>{SIGNIN_LABEL[a.action] ?? a.action.replaceAll('_', ' ')}</span>
                  <span className="text-fg-subtle">
                    {' '}
                    · {describeAgent(a.userAgent).label} · {a.ip ?? 'unknown address'} ·{' '}
                    <time dateTime={a.createdAt} title={formatFull(a.createdAt)}>
                      {formatRelative(a.createdAt)}
                    </time>
                  </span>
                </li>
              ))}
            </ul>
          )
        ) : (
          <Timeline entries={rowsOf(log.data)} names={names} empty={<p className="text-[13px] text-fg-subtle">Nothing recorded.</p>} />
        )}
      </div>
      <LoadMore count={tab === 'signins' ? rowsOf(activity.data).length : rowsOf(log.data).length} noun={['entry', 'entries']} hasMore={q.hasNextPage} loading={q.isFetchingNextPage} onMore={() => void q.fetchNextPage()} />
    </Card>
  );
}

/** One user: profile, roles, direct grants, sessions and activity, and every action the API allows on them. */
export function UserDetailPage() {
  const { userId } = userRoute.useParams();
  const me = useMe();
  const allowed = can(me, 'users:read');
  const user = useQuery({ queryKey: userKey(userId), queryFn: () => call(api.GET('/api/users/{id}', { params: { path: { id: userId } } })), enabled: allowed });
  const grants = useQuery({
    queryKey: grantsKey(userId),
    queryFn: () => call(api.GET('/api/users/{id}/permissions', { params: { path: { id: userId } } })),
    enabled: allowed && !!user.data,
  });
  useDocumentTitle(user.data?.name ?? 'User');
  const u = user.data;
  const may = useAbilities(u ?? ({ id: userId, department: null } as User), grants.data ? allGrants(grants.data) : undefined);
  if (!allowed) return <NoAccess what="user administration" />;
  if (!u) {
    return (
      <Page>
        <PageHeader title="User" breadcrumb={<Crumbs to="/admin/users" label="Users">…</Crumbs>} />
        <Card as="div">{user.error ? <ErrorState error={user.error} title={user.error instanceof ApiError && user.error.status === 404 ? 'This user does not exist, or is not yours to see' : undefined} onRetry={() => void user.refetch()} /> : <SkeletonRows rows={6} />}</Card>
      </Page>
    );
  }
  return (
    <Page>
      <PageHeader
        breadcrumb={<Crumbs to="/admin/users" label="Users">{u.name}</Crumbs>}
        title={
          <span className="flex items-center gap-3">
            <span className={cn('flex size-9 shrink-0 items-center justify-center rounded-full text-xs font-semibold', u.isActive ? 'bg-accent-soft text-accent-soft-fg' : 'bg-hover text-fg-subtle')}>{initials(u.name)}</span>
            <span className="truncate">{u.name}</span>
            {may.self ? <span className="text-sm font-normal text-fg-subtle">(you)</span> : null}
          </span>
        }
        description={
          <span className="flex flex-wrap items-center gap-2" data-testid="user-status">
            {u.email}
            {u.deletedAt ? <Badge tone="red" dot>Deleted</Badge> : u.isActive ? <Badge tone="green" dot>Active</Badge> : <Badge dot>Inactive</Badge>}
            {u.twoFactorEnabled ? (
              <Badge tone="green">
                <ShieldCheck className="size-3" aria-hidden="true" /> Two-factor on
              </Badge>
            ) : null}
            <span className="text-fg-subtle">
              · last sign-in <Ago value={u.lastLogin} />
            </span>
          </span>
        }
        actions={<HeaderActions u={u} can={may} />}
      />
      {u.deletedAt ? (
        <Banner tone="warning" className="mb-4">
          Deleted {formatDateTime(u.deletedAt)}: they cannot sign in and are hidden from the user list.{may.remove ? ' Restore them to bring the account back.' : ''}
        </Banner>
      ) : null}
      {may.above && !may.self ? (
        <Banner tone="info" className="mb-4">
          You can see this user but not change them: they hold <span className="font-mono">{may.above.permission}</span> ({CONDITION_LABEL[may.above.condition]}), which you don’t hold as widely.
        </Banner>
      ) : null}
      {grants.error ? (
        <Banner className="mb-4">Their permissions could not be loaded: {errorMessage(grants.error)}</Banner>
      ) : null}
      <div className="grid gap-4 lg:grid-cols-[minmax(0,1fr)_minmax(0,26rem)]">
        <div className="flex min-w-0 flex-col gap-4">
          <ProfileCard u={u} editable={may.update && !u.deletedAt} />
          <RolesCard u={u} editable={may.assign && !u.deletedAt} />
          {grants.data ? <GrantsCard u={u} view={grants.data} editable={may.grant && !u.deletedAt} /> : grants.isLoading ? <Card as="div"><SkeletonRows rows={3} /></Card> : null}
        </div>
        <div className="flex min-w-0 flex-col gap-4">
          {may.sessions ? <SessionsCard u={u} canRevoke={may.update} /> : null}
          <ActivityCard u={u} />
        </div>
      </div>
    </Page>
  );
}
