import { useState, type FormEvent } from 'react';
import { useInfiniteQuery } from '@tanstack/react-query';
import { Switch } from 'radix-ui';
import { Trash2, UserPlus, Users, X } from 'lucide-react';
import { api, call } from '../../../lib/api';
import { fieldErrors } from '../../../lib/problem';
import { rowsOf } from '../../../lib/pages';
import { useUserNames } from '../../../lib/queries';
import { Button } from '../../../components/ui/button';
import { Card, CardHeader } from '../../../components/ui/card';
import { LoadMore } from '../../../components/ui/data-table';
import { ConfirmDialog } from '../../../components/ui/dialog';
import { Field, Input, Select } from '../../../components/ui/input';
import { Banner, EmptyState, errorMessage, ErrorState, SkeletonRows } from '../../../components/ui/states';
import { useSaving } from './saving';
import { sdKeys, teamPages, useAgents } from '../queries';
import type { AssignmentMode, Team } from '../types';

export const ASSIGNMENT_LABEL: Record<AssignmentMode, string> = {
  manual: 'Manual',
  round_robin: 'Round robin',
  load_based: 'Fewest open tickets',
};

function AssignmentSelect({ value, onChange, ...rest }: { value: AssignmentMode; onChange: (m: AssignmentMode) => void; id?: string }) {
  return (
    <Select value={value} onChange={(e) => onChange(e.target.value as AssignmentMode)} {...rest}>
      {(Object.keys(ASSIGNMENT_LABEL) as AssignmentMode[]).map((m) => (
        <option key={m} value={m}>
          {ASSIGNMENT_LABEL[m]}
        </option>
      ))}
    </Select>
  );
}

function TeamCard({ team, names, people }: { team: Team; names: Map<string, string>; people: { id: string; name: string }[] }) {
  const [name, setName] = useState(team.name);
  const [adding, setAdding] = useState('');
  const [confirm, setConfirm] = useState(false);
  const update = useSaving((body: { name?: string; assignment?: AssignmentMode; managerId?: string | null }) => call(api.PATCH('/api/servicedesk/teams/{id}', { params: { path: { id: team.id } }, body })), [sdKeys.teams], 'Team saved');
  const members = useSaving((userIds: string[]) => call(api.PUT('/api/servicedesk/teams/{id}/members', { params: { path: { id: team.id } }, body: { userIds } })), [sdKeys.teams], 'Members saved');
  const away = useSaving(
    (v: { userId: string; away: boolean }) => call(api.PUT('/api/servicedesk/agents/{id}/away', { params: { path: { id: v.userId } }, body: { away: v.away } })),
    [sdKeys.teams],
    (r) => `${names.get(r.userId) ?? 'Agent'} is ${r.away ? 'away' : 'back'}`,
  );
  const remove = useSaving(() => call(api.DELETE('/api/servicedesk/teams/{id}', { params: { path: { id: team.id } } })), [sdKeys.teams], 'Team deleted');
  const ids = team.members.map((m) => m.userId);
  const label = (id: string) => names.get(id) ?? 'User ' + id.slice(-4);
  return (
    <Card aria-label={`Team ${team.name}`} data-testid="team">
      <CardHeader
        title={team.name}
        description={`${team.members.length} member${team.members.length === 1 ? '' : 's'} · ${ASSIGNMENT_LABEL[team.assignment]}`}
        actions={
          <Button variant="ghost" size="icon-sm" aria-label={`Delete team ${team.name}`} onClick={() => setConfirm(true)}>
            <Trash2 aria-hidden="true" />
          </Button>
        }
      />
      <div className="grid gap-3 px-4 py-3 sm:grid-cols-3">
        <Field label="Name">
          <Input value={name} onChange={(e) => setName(e.target.value)} onBlur={() => name.trim() && name.trim() !== team.name && update.mutate({ name: name.trim() })} maxLength={100} />
        </Field>
        <Field label="Assignment" hint="How new tickets of this team find an agent">
          <AssignmentSelect value={team.assignment} onChange={(assignment) => update.mutate({ assignment })} />
        </Field>
        <Field label="Manager" hint="Notified when an SLA breaches">
          <Select value={team.managerId ?? ''} onChange={(e) => update.mutate({ managerId: e.target.value || null })}>
            <option value="">Nobody</option>
            {people.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </Select>
        </Field>
      </div>
      <div className="border-t border-line px-4 py-3">
        <h3 className="mb-2 text-xs font-semibold text-fg-muted">Members</h3>
        {team.members.length === 0 ? <p className="mb-2 text-[13px] text-fg-subtle">No members: automatic assignment has nobody to pick.</p> : null}
        <ul className="mb-3 flex flex-col divide-y divide-line">
          {team.members.map((m) => (
            <li key={m.userId} className="flex items-center gap-3 py-1.5 text-[13px]">
              <span className="min-w-0 flex-1 truncate">{label(m.userId)}</span>
              <label className="flex items-center gap-2 text-xs text-fg-muted">
                <Switch.Root
                  checked={m.away}
                  onCheckedChange={(on) => away.mutate({ userId: m.userId, away: on })}
                  aria-label={`${label(m.userId)} is away`}
                  className="relative h-5 w-9 rounded-full bg-line-strong transition-colors data-[state=checked]:bg-amber-500"
                >
                  <Switch.Thumb className="block size-4 translate-x-0.5 rounded-full bg-white shadow transition-transform data-[state=checked]:translate-x-[18px]" />
                </Switch.Root>
                Away
              </label>
              <Button variant="ghost" size="icon-sm" aria-label={`Remove ${label(m.userId)}`} onClick={() => members.mutate(ids.filter((x) => x !== m.userId))}>
                <X aria-hidden="true" />
              </Button>
            </li>
          ))}
        </ul>
        <div className="flex gap-2">
          <Select aria-label={`Add a member to ${team.name}`} value={adding} onChange={(e) => setAdding(e.target.value)} className="max-w-72">
            <option value="">Choose a person…</option>
            {people
              .filter((p) => !ids.includes(p.id))
              .map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
          </Select>
          <Button
            disabled={!adding}
            loading={members.isPending}
            onClick={() => members.mutate([...ids, adding], { onSuccess: () => setAdding('') })}
          >
            <UserPlus aria-hidden="true" /> Add
          </Button>
        </div>
      </div>
      <ConfirmDialog
        open={confirm}
        onOpenChange={setConfirm}
        title={`Delete the team ${team.name}?`}
        description="Its tickets stay, with no team."
        confirmLabel="Delete team"
        pending={remove.isPending}
        onConfirm={() => remove.mutate(undefined, { onSuccess: () => setConfirm(false) })}
      />
    </Card>
  );
}

export function TeamsTab() {
  const teams = useInfiniteQuery(teamPages);
  const rows = rowsOf(teams.data);
  const names = useUserNames();
  const people = useAgents(names);
  const [name, setName] = useState('');
  const [mode, setMode] = useState<AssignmentMode>('round_robin');
  const create = useSaving((body: { name: string; assignment: AssignmentMode }) => call(api.POST('/api/servicedesk/teams', { body })), [sdKeys.teams], (t) => `Team ${t.name} created`, { inlineErrors: true });
  const errors = fieldErrors(create.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ name: name.trim(), assignment: mode }, { onSuccess: () => setName('') });
  };
  return (
    <div className="flex flex-col gap-4">
      <Card aria-labelledby="new-team-title">
        <CardHeader id="new-team-title" title="New team" />
        <form onSubmit={submit} className="flex flex-wrap items-end gap-3 px-4 py-3">
          <Field label="Team name" error={errors.name} className="w-64">
            <Input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} />
          </Field>
          <Field label="Assignment" className="w-52">
            <AssignmentSelect value={mode} onChange={setMode} />
          </Field>
          <Button type="submit" variant="primary" disabled={!name.trim()} loading={create.isPending}>
            Create team
          </Button>
          {create.error && !errors.name ? <Banner className="w-full">{errorMessage(create.error)}</Banner> : null}
        </form>
      </Card>
      {teams.error ? (
        <ErrorState error={teams.error} onRetry={() => void teams.refetch()} />
      ) : teams.isLoading ? (
        <SkeletonRows rows={3} />
      ) : !rows.length ? (
        <Card as="div">
          <EmptyState icon={<Users />} title="No teams yet" description="Teams group agents; each can assign new tickets by hand, in turn, or to whoever has the fewest open." />
        </Card>
      ) : (
        <div>
          <div className="grid gap-4 xl:grid-cols-2">
            {rows.map((t) => (
              <TeamCard key={t.id} team={t} names={names} people={people} />
            ))}
          </div>
          <LoadMore count={rows.length} noun={['team', 'teams']} hasMore={teams.hasNextPage} loading={teams.isFetchingNextPage} onMore={() => void teams.fetchNextPage()} />
        </div>
      )}
    </div>
  );
}
