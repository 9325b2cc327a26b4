import { useQuery } from '@tanstack/react-query';
import { cn } from '../../lib/cn';
import { can } from '../../lib/permissions';
import { rolesQuery, useMe } from '../../lib/queries';

/** The roles a new user (or an invitation) gets: the ones the signed-in user may assign, as checkboxes. */
export function RolePicker({ picked, onChange, error }: { picked: Set<string>; onChange: (next: Set<string>) => void; error?: string | undefined }) {
  const me = useMe();
  const roles = useQuery({ ...rolesQuery, enabled: can(me, 'roles:read') });
  const assignable = (roles.data?.data ?? []).filter((r) => can(me, 'roles:assign') || r.name !== 'admin');
  return (
    <fieldset className="flex flex-col gap-2">
      <legend className="mb-1.5 text-[13px] font-medium">Roles</legend>
      {roles.isLoading ? (
        <p className="text-xs text-fg-subtle">Loading roles…</p>
      ) : assignable.length === 0 ? (
        <p className="text-xs text-fg-subtle">No roles you can assign.</p>
      ) : (
        <div className="grid gap-2 sm:grid-cols-2">
          {assignable.map((r) => (
            <label key={r.id} className={cn('flex cursor-pointer items-start gap-2.5 rounded-md border p-2.5 text-[13px]', picked.has(r.name) ? 'border-accent/50 bg-accent-soft/50' : 'border-line hover:bg-hover')}>
              <input
                type="checkbox"
                className="mt-0.5"
                name="roles"
                value={r.name}
                checked={picked.has(r.name)}
                onChange={(e) => {
                  const n = new Set(picked);
                  if (e.target.checked) n.add(r.name);
                  else n.delete(r.name);
                  onChange(n);
                }}
              />
              <span className="min-w-0">
                <span className="block font-medium">{r.displayName}</span>
                <span className="block text-xs text-fg-subtle">{r.permissions.length} permissions</span>
              </span>
            </label>
          ))}
        </div>
      )}
      {error ? <p className="text-xs text-red-600 dark:text-red-400">{error}</p> : null}
    </fieldset>
  );
}
