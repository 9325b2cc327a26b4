import { Fragment, useMemo, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Check, Lock, Pencil, Plus, Shield, Trash2 } from 'lucide-react';
import { api, call } from '../../lib/api';
import { CONDITION_LABEL, cellChoices, changes, draftOf, grantsOf, groupByResource, type Draft } from '../../lib/permission-matrix';
import { can } from '../../lib/permissions';
import { ApiError, errorFor, fieldErrors } from '../../lib/problem';
import { catalogueQuery, keys, rolesQuery, useMe } from '../../lib/queries';
import { toast } from '../../lib/toast';
import type { Condition, Role } from '../../lib/types';
import { Badge } from '../../components/ui/badge';
import { Button } from '../../components/ui/button';
import { Card } from '../../components/ui/card';
import { ConfirmDialog } from '../../components/ui/dialog';
import { Field, Input, Textarea } from '../../components/ui/input';
import { Page, PageHeader, useDocumentTitle } from '../../components/ui/page';
import { Banner, EmptyState, errorMessage, ErrorState, NoAccess, SkeletonRows } from '../../components/ui/states';

interface Perm {
  key: string;
  resource: string;
  action: string;
  description: string;
  scoped: boolean;
}

interface Editing {
  /** null: a new role. */
  id: string | null;
  name: string;
  displayName: string;
  description: string;
  base: Draft;
  draft: Draft;
}

const SYSTEM_ORDER = ['admin', 'manager', 'agent', 'viewer'];
const rankOf = (r: Role) => (r.isSystem ? (SYSTEM_ORDER.indexOf(r.name) + 1 || SYSTEM_ORDER.length) : SYSTEM_ORDER.length + 1);

const SHORT: Record<Condition, string> = { any: 'All', department: 'Dept.', own: 'Own' };

function Grant({ condition, scoped }: { condition: Condition | undefined; scoped: boolean }) {
  if (!condition) {
    return (
      <span className="text-fg-subtle/60" aria-label="Not granted">
        —
      </span>
    );
  }
  if (!scoped && condition === 'any') {
    return (
      <span className="inline-flex size-5 items-center justify-center rounded-full bg-accent-soft text-accent-soft-fg" aria-label="Granted">
        <Check className="size-3.5" aria-hidden="true" />
      </span>
    );
  }
  return (
    <Badge tone={condition === 'any' ? 'accent' : condition === 'department' ? 'blue' : 'amber'} className="px-1.5">
      <span aria-hidden="true">{SHORT[condition]}</span>
      <span className="sr-only">{CONDITION_LABEL[condition]}</span>
    </Badge>
  );
}

/** The edited role's cell: only the grants the actor holds are offered (the API refuses the rest). */
function EditCell({ perm, editing, label, onChange }: { perm: Perm; editing: Editing; label: string; onChange: (c: Condition | undefined) => void }) {
  const me = useMe();
  const current = editing.draft[perm.key];
  const { choices, locked } = cellChoices(me, perm.key, perm.scoped, current, editing.base[perm.key]);
  const why = locked ? 'You do not hold this as widely: you cannot change or remove it.' : choices.length === 0 ? 'You do not hold this permission, so you cannot grant it.' : undefined;
  // Disabled when locked, or when there is nothing to grant and nothing to take out.
  const disabled = locked || (choices.length === 0 && !current);
  if (!perm.scoped) {
    return (
      <span className="inline-flex items-center gap-1" title={why}>
        <input
          type="checkbox"
          aria-label={label}
          checked={!!current}
          disabled={disabled}
          onChange={(e) => onChange(e.target.checked ? choices[0] : undefined)}
        />
        {locked ? <Lock className="size-3 text-fg-subtle" aria-hidden="true" /> : null}
      </span>
    );
  }
  return (
    <span className="inline-flex items-center gap-1" title={why}>
      <select
        aria-label={label}
        value={current ?? ''}
        disabled={disabled}
        onChange={(e) => onChange((e.target.value || undefined) as Condition | undefined)}
        className="select-chevron h-7 w-[7.5rem] appearance-none rounded-md border border-line bg-surface pr-6 pl-2 text-xs text-fg disabled:opacity-50"
        style={{ backgroundSize: '14px', backgroundPosition: 'right 4px center' }}
      >
        <option value="">Not granted</option>
        {(current && !choices.includes(current) ? [...choices, current] : choices).map((c) => (
          <option key={c} value={c}>
            {CONDITION_LABEL[c]}
          </option>
        ))}
      </select>
      {locked ? <Lock className="size-3 text-fg-subtle" aria-hidden="true" /> : null}
    </span>
  );
}

function Matrix({
  roles,
  perms,
  editing,
  manage,
  onEdit,
  onDelete,
  onChange,
}: {
  roles: Role[];
  perms: Perm[];
  editing: Editing | null;
  manage: boolean;
  onEdit: (r: Role) => void;
  onDelete: (r: Role) => void;
  onChange: (permission: string, c: Condition | undefined) => void;
}) {
  const groups = useMemo(() => groupByResource(perms), [perms]);
  const editedName = editing ? editing.displayName.trim() || editing.name.trim() || 'New role' : '';
  // The edited role's column stands in for it (a new role gets its own column, at the end).
  const columns: (Role | 'edit')[] = roles.map((r) => (editing?.id === r.id ? 'edit' : r));
  if (editing && editing.id === null) columns.push('edit');
  return (
    // relative: the screen-reader-only labels (absolutely positioned) stay inside the scroller.
    <div className="relative overflow-x-auto">
      <table className="w-full border-separate border-spacing-0 text-[13px]" data-testid="roles-matrix">
        <caption className="sr-only">Permissions of each role</caption>
        <thead className="text-xs text-fg-muted">
          <tr>
            <th scope="col" className="sticky left-0 z-10 min-w-64 border-b border-line bg-surface px-4 py-2 text-left font-medium">
              Permission
            </th>
            {columns.map((c) =>
              c === 'edit' ? (
                <th key="edit" scope="col" className="max-w-44 min-w-36 border-b border-accent/40 bg-accent-soft/60 px-3 py-2 text-left font-medium text-fg">
                  <span className="block truncate">{editedName}</span>
                  <span className="text-[11px] font-normal text-accent-soft-fg">Editing</span>
                </th>
              ) : (
                <th key={c.id} scope="col" className="max-w-40 min-w-28 border-b border-line px-3 py-2 text-left align-top font-medium">
                  <span className="block truncate text-fg" title={c.description}>
                    {c.displayName}
                  </span>
                  <span className="flex items-center gap-1 text-[11px] font-normal text-fg-subtle">
                    {c.isSystem ? 'System' : `${c.userCount} user${c.userCount === 1 ? '' : 's'}`}
                    {manage && !c.isSystem && !editing ? (
                      <>
                        <button type="button" onClick={() => onEdit(c)} className="ml-auto rounded p-0.5 hover:bg-hover hover:text-fg" aria-label={`Edit ${c.displayName}`} title="Edit">
                          <Pencil className="size-3.5" aria-hidden="true" />
                        </button>
                        <button type="button" onClick={() => onDelete(c)} className="rounded p-0.5 hover:bg-hover hover:text-red-600" aria-label={`Delete ${c.displayName}`} title="Delete">
                          <Trash2 className="size-3.5" aria-hidden="true" />
                        </button>
                      </>
                    ) : null}
                  </span>
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => (
            <Fragment key={g.resource}>
              <tr>
                <th scope="colgroup" colSpan={columns.length + 1} className="sticky left-0 border-b border-line bg-app px-4 pt-3 pb-1.5 text-left text-[11px] font-semibold tracking-wide text-fg-muted uppercase">
                  {g.label}
                </th>
              </tr>
              {g.items.map((p) => {
                const byRole = new Map(roles.map((r) => [r.id, r.permissions.find((x) => x.permission === p.key)?.condition]));
                return (
                  <tr key={p.key} className="group" data-testid="matrix-row" data-permission={p.key}>
                    <th scope="row" className="sticky left-0 z-10 border-b border-line bg-surface px-4 py-1.5 text-left font-normal group-hover:bg-hover">
                      <span className="block font-mono text-xs text-fg">{p.key}</span>
                      <span className="block max-w-72 truncate text-xs text-fg-subtle" title={p.description}>
                        {p.description}
                        {p.scoped ? ' · scoped' : ''}
                      </span>
                    </th>
                    {columns.map((c) =>
                      c === 'edit' ? (
                        <td key="edit" className="border-b border-accent/20 bg-accent-soft/30 px-3 py-1.5">
                          <EditCell perm={p} editing={editing!} label={`${editedName}: ${p.key}`} onChange={(v) => onChange(p.key, v)} />
                        </td>
                      ) : (
                        <td key={c.id} className="border-b border-line px-3 py-1.5 group-hover:bg-hover/60">
                          <Grant condition={byRole.get(c.id)} scoped={p.scoped} />
                        </td>
                      ),
                    )}
                  </tr>
                );
              })}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Editor({ editing, setEditing, onDone }: { editing: Editing; setEditing: (e: Editing | null) => void; onDone: () => void }) {
  const qc = useQueryClient();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const isNew = editing.id === null;
  const save = useMutation({
    mutationFn: () => {
      const permissions = grantsOf(editing.draft);
      const common = { displayName: editing.displayName.trim(), description: editing.description };
      return isNew
        ? call(api.POST('/api/roles', { body: { name: editing.name.trim(), ...common, permissions } }))
        : call(api.PATCH('/api/roles/{id}', { params: { path: { id: editing.id! } }, body: { ...common, permissions } }));
    },
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: keys.roles });
      // Someone holding this role may be looking at their own permissions.
      void qc.invalidateQueries({ queryKey: keys.me });
      toast(isNew ? 'Role created' : 'Role saved', { tone: 'success', description: `${r.displayName}: ${r.permissions.length} permission${r.permissions.length === 1 ? '' : 's'}.` });
      onDone();
    },
    onError: (err) => {
      const fe = fieldErrors(err);
      setErrors(fe);
      // A refused grant (403 privilege_escalation), a taken name (409), a stale page: above the form.
      setFormError(Object.keys(fe).some((k) => ['name', 'displayName', 'description'].includes(k)) ? null : errorMessage(err));
      // Refused: what this user holds (or the roles) changed since the page loaded; show the current state.
      if (err instanceof ApiError && err.status === 403) {
        void qc.invalidateQueries({ queryKey: keys.me });
        void qc.invalidateQueries({ queryKey: keys.roles });
      }
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setErrors({});
    setFormError(null);
    save.mutate();
  };
  const n = changes(editing.base, editing.draft);
  return (
    <Card className="mb-4" aria-labelledby="role-editor">
      <form onSubmit={submit} noValidate className="flex flex-col gap-4 p-4">
        <div className="flex items-center gap-2">
          <h2 id="role-editor" className="text-[15px] font-semibold">
            {isNew ? 'New role' : `Edit ${editing.displayName}`}
          </h2>
          <span className="text-xs text-fg-subtle" role="status">
            {Object.keys(editing.draft).length} permissions · {n} change{n === 1 ? '' : 's'}
          </span>
        </div>
        {formError ? <Banner>{formError}</Banner> : null}
        <div className="grid gap-4 md:grid-cols-3">
          {isNew ? (
            <Field label="Name" required hint="Lowercase letters, digits, - and _" error={errorFor(errors, 'name')}>
              <Input name="name" value={editing.name} onChange={(e) => setEditing({ ...editing, name: e.target.value })} autoFocus autoComplete="off" placeholder="field-supervisor" className="font-mono" />
            </Field>
          ) : null}
          <Field label="Display name" required error={errorFor(errors, 'displayName')}>
            <Input name="displayName" value={editing.displayName} onChange={(e) => setEditing({ ...editing, displayName: e.target.value })} autoFocus={!isNew} placeholder="Field supervisor" />
          </Field>
          <Field label="Description" error={errorFor(errors, 'description')} className={isNew ? '' : 'md:col-span-2'}>
            <Textarea name="description" rows={1} value={editing.description} onChange={(e) => setEditing({ ...editing, description: e.target.value })} className="min-h-8 py-1.5" />
          </Field>
        </div>
        <p className="text-xs text-fg-subtle">Set the permissions in the highlighted column below. You can only grant what you hold yourself, at most as widely.</p>
        <div className="flex gap-2">
          <Button variant="primary" type="submit" loading={save.isPending}>
            {isNew ? 'Create role' : 'Save role'}
          </Button>
          <Button onClick={() => setEditing(null)}>Cancel</Button>
        </div>
      </form>
    </Card>
  );
}

export function RolesPage() {
  useDocumentTitle('Roles');
  const me = useMe();
  const qc = useQueryClient();
  const allowed = can(me, 'roles:read');
  const manage = can(me, 'roles:manage');
  const roles = useQuery({ ...rolesQuery, enabled: allowed });
  const catalogue = useQuery({ ...catalogueQuery, enabled: allowed && can(me, 'permissions:read') });
  const [editing, setEditing] = useState<Editing | null>(null);
  const [deleting, setDeleting] = useState<Role | null>(null);
  const remove = useMutation({
    mutationFn: (r: Role) => call(api.DELETE('/api/roles/{id}', { params: { path: { id: r.id } } })),
    onSuccess: (_x, r) => {
      void qc.invalidateQueries({ queryKey: keys.roles });
      setDeleting(null);
      toast('Role deleted', { tone: 'success', description: `${r.displayName} is gone; its users lost what it granted.` });
    },
    onError: (err) => {
      setDeleting(null);
      toast('The role was not deleted', { tone: 'error', description: errorMessage(err) });
    },
  });

  // Without permissions:read, the matrix still shows what the roles grant.
  const perms: Perm[] = useMemo(() => {
    if (catalogue.data) return catalogue.data.data;
    const keysSeen = [...new Set((roles.data?.data ?? []).flatMap((r) => r.permissions.map((p) => p.permission)))].sort();
    return keysSeen.map((key) => {
      const [resource = key, action = ''] = key.split(':');
      return { key, resource, action, description: '', scoped: true };
    });
  }, [catalogue.data, roles.data]);

  if (!allowed) return <NoAccess what="roles" />;
  // Most powerful first: the system roles, then custom roles by name.
  const list = [...(roles.data?.data ?? [])].sort((a, b) => rankOf(a) - rankOf(b) || a.name.localeCompare(b.name));
  const edit = (r: Role | null) => {
    const base = r ? draftOf(r.permissions) : {};
    setEditing({ id: r?.id ?? null, name: r?.name ?? '', displayName: r?.displayName ?? '', description: r?.description ?? '', base, draft: { ...base } });
  };

  return (
    <Page width="full" className="max-w-[1600px]">
      <PageHeader
        title="Roles"
        description="What each role may do. System roles are fixed; custom roles are yours to shape."
        actions={
          manage && !editing ? (
            <Button variant="primary" onClick={() => edit(null)}>
              <Plus aria-hidden="true" /> New role
            </Button>
          ) : undefined
        }
      />
      {editing ? <Editor editing={editing} setEditing={setEditing} onDone={() => setEditing(null)} /> : null}
      <Card as="div" className="overflow-hidden">
        {roles.error || catalogue.error ? (
          <ErrorState error={roles.error ?? catalogue.error} onRetry={() => void Promise.all([roles.refetch(), catalogue.refetch()])} />
        ) : roles.isLoading || catalogue.isLoading ? (
          <SkeletonRows rows={10} />
        ) : list.length === 0 ? (
          <EmptyState icon={<Shield />} title="No roles" />
        ) : (
          <Matrix
            roles={list}
            perms={perms}
            editing={editing}
            manage={manage}
            onEdit={edit}
            onDelete={setDeleting}
            onChange={(permission, c) => {
              if (!editing) return;
              const draft = { ...editing.draft };
              if (c) draft[permission] = c;
              else delete draft[permission];
              setEditing({ ...editing, draft });
            }}
          />
        )}
      </Card>
      <p className="mt-3 text-xs text-fg-subtle">
        <strong className="font-medium text-fg-muted">All</strong> reaches every record, <strong className="font-medium text-fg-muted">Dept.</strong> the holder’s department and their own,{' '}
        <strong className="font-medium text-fg-muted">Own</strong> only their own records. Only scoped permissions use a scope.
      </p>
      <ConfirmDialog
        open={!!deleting}
        onOpenChange={(o) => !o && setDeleting(null)}
        title={`Delete the role ${deleting?.displayName ?? ''}?`}
        description={deleting?.userCount ? `${deleting.userCount} user${deleting.userCount === 1 ? '' : 's'} hold it and lose what it grants at once.` : 'Nobody holds it.'}
        confirmLabel="Delete role"
        pending={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting)}
      />
    </Page>
  );
}
