import { lazy, Suspense, useMemo, useState, useSyncExternalStore, type FormEvent, type ReactNode } from 'react';
import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type InfiniteData } from '@tanstack/react-query';
import { Box, Calendar, Clock, LineChart, MapPin, MoreHorizontal, Pencil, Plus, Tag, Trash2, Truck, User, Wrench } from 'lucide-react';
import { api, call } from '../../lib/api';
import { cn } from '../../lib/cn';
import { formatDateTime, formatFull, formatRange, formatRelative, fromLocalInput, timeZone, toLocalInput } from '../../lib/format';
import { liveSeries, liveVersion, subscribeLive } from '../../lib/live-telemetry';
import { nextPages, pageRequest, replaceRows, rowsOf, type ListPage } from '../../lib/pages';
import { can } from '../../lib/permissions';
import { errorFor, fieldErrors } from '../../lib/problem';
import { keys, resourcesQuery, useMe, useUserNames } from '../../lib/queries';
import { toast } from '../../lib/toast';
import type { Allocation, Operation, OperationStatus, Resource, SeriesInfo, Task } from '../../lib/types';
import { useTopic } from '../../app/realtime';
import { Badge, PriorityLabel, STATUS_LABEL, StatusBadge } from '../../components/ui/badge';
import { Button, buttonClass } from '../../components/ui/button';
import { Card, CardHeader } from '../../components/ui/card';
import { Crumbs } from '../../components/ui/crumbs';
import { LoadMore } from '../../components/ui/data-table';
import { ConfirmDialog, Dialog } from '../../components/ui/dialog';
import { Field, Input, Select } from '../../components/ui/input';
import { Menu, MenuContent, MenuItem, MenuSeparator, MenuTrigger } from '../../components/ui/menu';
import { Page, PageHeader, useDocumentTitle } from '../../components/ui/page';
import { Banner, EmptyState, errorMessage, ErrorState, Skeleton, SkeletonRows } from '../../components/ui/states';
import { Timeline } from '../activity';
import { operationQuery, TRANSITIONS } from './queries';

const operationRoute = getRouteApi('/app/operations/$operationId');

const TimeChart = lazy(() => import('../../components/ui/time-chart').then((m) => ({ default: m.TimeChart })));

const MOVE_LABEL: Record<OperationStatus, Partial<Record<OperationStatus, string>>> = {
  pending: { in_progress: 'Start', failed: 'Mark failed' },
  in_progress: { completed: 'Complete', failed: 'Mark failed', pending: 'Back to pending' },
  completed: { in_progress: 'Reopen' },
  failed: { pending: 'Reopen', in_progress: 'Restart' },
};

function Actions({ op }: { op: Operation }) {
  const me = useMe();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const move = useMutation({
    mutationFn: (status: OperationStatus) => call(api.PATCH('/api/operations/{id}', { params: { path: { id: op.id } }, body: { status } })),
    onSuccess: (o) => {
      qc.setQueryData(keys.operation(o.id), o);
      void qc.invalidateQueries({ queryKey: keys.operations });
      void qc.invalidateQueries({ queryKey: [...keys.audit] });
      toast(`Status: ${STATUS_LABEL[o.status]}`, { tone: 'success', description: o.name });
    },
    onError: (err) => toast('Could not change the status', { tone: 'error', description: errorMessage(err) }),
  });
  const remove = useMutation({
    mutationFn: () => call(api.DELETE('/api/operations/{id}', { params: { path: { id: op.id } } })),
    onSuccess: () => {
      qc.removeQueries({ queryKey: keys.operation(op.id) });
      void qc.invalidateQueries({ queryKey: keys.operations });
      toast('Operation deleted', { tone: 'success', description: op.name });
      void navigate({ to: '/operations' });
    },
    onError: (err) => toast('Could not delete', { tone: 'error', description: errorMessage(err) }),
  });
  const canUpdate = can(me, 'operations:update');
  const reopening = op.status === 'completed' || op.status === 'failed';
  const moves = canUpdate && (!reopening || can(me, 'operations:reopen')) ? TRANSITIONS[op.status] : [];
  const [primary, ...rest] = moves;
  return (
    <>
      {primary ? (
        <Button variant="primary" onClick={() => move.mutate(primary)} loading={move.isPending && move.variables === primary}>
          {MOVE_LABEL[op.status][primary]}
        </Button>
      ) : null}
      {canUpdate ? (
        <Link to="/operations/$operationId/edit" params={{ operationId: op.id }} className={buttonClass('secondary')}>
          <Pencil aria-hidden="true" /> Edit
        </Link>
      ) : null}
      {rest.length || can(me, 'operations:delete') ? (
        <Menu>
          <MenuTrigger asChild>
            <Button size="icon" aria-label="More actions">
              <MoreHorizontal aria-hidden="true" />
            </Button>
          </MenuTrigger>
          <MenuContent>
            {rest.map((s) => (
              <MenuItem key={s} onSelect={() => move.mutate(s)}>
                {MOVE_LABEL[op.status][s]}
              </MenuItem>
            ))}
            {rest.length && can(me, 'operations:delete') ? <MenuSeparator /> : null}
            {can(me, 'operations:delete') ? (
              <MenuItem danger onSelect={() => setConfirmDelete(true)}>
                <Trash2 aria-hidden="true" /> Delete operation
              </MenuItem>
            ) : null}
          </MenuContent>
        </Menu>
      ) : null}
      <ConfirmDialog
        open={confirmDelete}
        onOpenChange={setConfirmDelete}
        title="Delete this operation?"
        description={`“${op.name}”, its tasks and allocations will be deleted. The audit log keeps the record.`}
        confirmLabel="Delete"
        pending={remove.isPending}
        onConfirm={() => remove.mutate()}
      />
    </>
  );
}

function Detail({ icon, label, children }: { icon: ReactNode; label: string; children: ReactNode }) {
  return (
    <div className="flex gap-3 py-2">
      <dt className="flex w-28 shrink-0 items-center gap-2 text-[13px] text-fg-subtle [&_svg]:size-3.5">
        {icon}
        {label}
      </dt>
      <dd className="min-w-0 flex-1 text-[13px]">{children}</dd>
    </div>
  );
}

function DetailsCard({ op }: { op: Operation }) {
  const names = useUserNames();
  const overdue = op.endAt && (op.status === 'pending' || op.status === 'in_progress') && Date.parse(op.endAt) < Date.now();
  const who = (id: string | null) => (id ? (names.get(id) ?? 'Unknown user') : '—');
  return (
    <Card aria-labelledby="op-details">
      <CardHeader id="op-details" title="Details" />
      <div className="px-4 py-3">
        {op.description ? <p className="mb-3 text-[13px] leading-relaxed whitespace-pre-wrap text-fg">{op.description}</p> : <p className="mb-3 text-[13px] text-fg-subtle italic">No description.</p>}
        <dl className="grid gap-x-8 border-t border-line pt-2 md:grid-cols-2">
          <Detail icon={<Box />} label="Type">
            {op.type ?? <span className="text-fg-subtle">—</span>}
          </Detail>
          <Detail icon={<MapPin />} label="Location">
            {op.location.text ?? (op.location.lat != null ? '' : <span className="text-fg-subtle">—</span>)}
            {op.location.lat != null && op.location.lng != null ? (
              <span className="block text-xs text-fg-subtle tabular">
                {op.location.lat.toFixed(5)}, {op.location.lng.toFixed(5)}
              </span>
            ) : null}
          </Detail>
          <Detail icon={<Calendar />} label="Starts">
            {formatDateTime(op.startAt)}
          </Detail>
          <Detail icon={<Clock />} label="Ends">
            <span className="inline-flex flex-wrap items-center gap-2">
              {formatDateTime(op.endAt)}
              {overdue ? <Badge tone="red">Overdue</Badge> : null}
            </span>
          </Detail>
          <Detail icon={<User />} label="Owner">
            {who(op.ownerId)}
          </Detail>
          <Detail icon={<User />} label="Created by">
            {who(op.createdBy)}
          </Detail>
          <Detail icon={<Tag />} label="Tags">
            {op.tags.length ? (
              <span className="flex flex-wrap gap-1">
                {op.tags.map((t) => (
                  <Badge key={t}>{t}</Badge>
                ))}
              </span>
            ) : (
              <span className="text-fg-subtle">—</span>
            )}
          </Detail>
          <Detail icon={<Clock />} label="Updated">
            <time dateTime={op.updatedAt} title={formatFull(op.updatedAt)}>
              {formatRelative(op.updatedAt)}
            </time>
          </Detail>
        </dl>
        {op.completedAt ? <p className="mt-2 text-xs text-fg-subtle">Completed {formatDateTime(op.completedAt)}</p> : null}
      </div>
    </Card>
  );
}

function TaskRow({ task, op, editable }: { task: Task; op: Operation; editable: boolean }) {
  const qc = useQueryClient();
  const done = task.status === 'done';
  const update = useMutation({
    mutationFn: (status: Task['status']) => call(api.PATCH('/api/operations/{id}/tasks/{taskId}', { params: { path: { id: op.id, taskId: task.id } }, body: { status } })),
    onMutate: async (status) => {
      // Optimistic tick; the server's answer (and the live event) confirm it.
      await qc.cancelQueries({ queryKey: keys.tasks(op.id) });
      const before = qc.getQueryData<InfiniteData<ListPage<Task>>>(keys.tasks(op.id));
      qc.setQueryData<InfiniteData<ListPage<Task>>>(keys.tasks(op.id), (old) => replaceRows(old, [{ ...task, status }]));
      return { before };
    },
    onError: (err, _v, ctx) => {
      if (ctx?.before) qc.setQueryData(keys.tasks(op.id), ctx.before);
      toast('Could not update the task', { tone: 'error', description: errorMessage(err) });
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: keys.tasks(op.id) }),
  });
  const remove = useMutation({
    mutationFn: () => call(api.DELETE('/api/operations/{id}/tasks/{taskId}', { params: { path: { id: op.id, taskId: task.id } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.tasks(op.id) }),
    onError: (err) => toast('Could not delete the task', { tone: 'error', description: errorMessage(err) }),
  });
  return (
    <li className="group flex items-center gap-3 px-4 py-2" data-testid="task-row">
      <input
        type="checkbox"
        checked={done}
        disabled={!editable || task.status === 'cancelled'}
        onChange={(e) => update.mutate(e.target.checked ? 'done' : 'todo')}
        aria-label={`${done ? 'Reopen' : 'Complete'} task: ${task.title}`}
      />
      <div className="min-w-0 flex-1">
        <p className={cn('truncate text-[13px]', done && 'text-fg-subtle line-through', task.status === 'cancelled' && 'text-fg-subtle line-through')}>{task.title}</p>
        {task.dueAt ? <p className="text-xs text-fg-subtle">Due {formatDateTime(task.dueAt)}</p> : null}
      </div>
      {task.status === 'in_progress' ? <Badge tone="blue">In progress</Badge> : task.status === 'cancelled' ? <Badge>Cancelled</Badge> : null}
      {editable ? (
        <Button variant="ghost" size="icon-sm" className="opacity-0 group-focus-within:opacity-100 group-hover:opacity-100" aria-label={`Delete task: ${task.title}`} onClick={() => remove.mutate()}>
          <Trash2 aria-hidden="true" />
        </Button>
      ) : null}
    </li>
  );
}

function TasksCard({ op }: { op: Operation }) {
  const me = useMe();
  const qc = useQueryClient();
  const editable = can(me, 'operations:update');
  const tasks = useInfiniteQuery({
    queryKey: keys.tasks(op.id),
    queryFn: ({ pageParam }) => call(api.GET('/api/operations/{id}/tasks', { params: { path: { id: op.id }, query: pageRequest(pageParam) } })),
    ...nextPages,
  });
  const [title, setTitle] = useState('');
  const [error, setError] = useState<string | null>(null);
  const add = useMutation({
    mutationFn: (t: string) => call(api.POST('/api/operations/{id}/tasks', { params: { path: { id: op.id } }, body: { title: t } })),
    onSuccess: (task) => {
      // A new task comes last: shown at once when the last page is loaded, else with "Load more".
      qc.setQueryData<InfiniteData<ListPage<Task>>>(keys.tasks(op.id), (old) => {
        const last = old?.pages.at(-1);
        if (!old || !last || last.nextCursor) return old;
        return { ...old, pages: [...old.pages.slice(0, -1), { ...last, data: [...last.data.filter((t) => t.id !== task.id), task] }] };
      });
      setError(null);
    },
    onError: (err, submitted) => {
      // Give the text back (unless the user already typed the next one) with the reason.
      setTitle((cur) => (cur.trim() ? cur : submitted));
      setError(errorFor(fieldErrors(err), 'title') ?? errorMessage(err));
    },
  });
  const list = rowsOf(tasks.data);
  const doneCount = list.filter((t) => t.status === 'done').length;
  const more = tasks.hasNextPage ? '+' : '';
  const submit = (e: FormEvent) => {
    e.preventDefault();
    // Cleared at once: the next task can be typed while this one saves.
    add.mutate(title.trim());
    setTitle('');
  };
  return (
    <Card aria-labelledby="op-tasks">
      <CardHeader id="op-tasks" title="Tasks" description={list.length ? `${doneCount} of ${list.length}${more} done` : undefined} />
      {list.length ? (
        <div className="h-1 bg-hover" aria-hidden="true">
          <div className="h-full bg-emerald-500 transition-[width]" style={{ width: `${(doneCount / list.length) * 100}%` }} />
        </div>
      ) : null}
      {tasks.error ? (
        <ErrorState error={tasks.error} onRetry={() => void tasks.refetch()} />
      ) : tasks.isLoading ? (
        <SkeletonRows rows={3} />
      ) : list.length === 0 ? (
        <EmptyState title="No tasks yet" description={editable ? 'Break the work into steps; tick them off as they are done.' : 'Nobody has added tasks.'} className="py-8" />
      ) : (
        <ul className="divide-y divide-line py-1">
          {[...list]
            .sort((a, b) => a.position - b.position || a.id.localeCompare(b.id))
            .map((t) => (
              <TaskRow key={t.id} task={t} op={op} editable={editable} />
            ))}
        </ul>
      )}
      <div className="px-4 pb-2">
        <LoadMore count={list.length} noun={['task', 'tasks']} hasMore={tasks.hasNextPage} loading={tasks.isFetchingNextPage} onMore={() => void tasks.fetchNextPage()} />
      </div>
      {editable ? (
        <form onSubmit={submit} className="flex items-start gap-2 border-t border-line px-4 py-3">
          <div className="flex-1">
            <Input value={title} onChange={(e) => setTitle(e.target.value)} placeholder="Add a task…" aria-label="New task title" aria-invalid={error ? true : undefined} aria-describedby={error ? 'task-error' : undefined} />
            {error ? (
              <p id="task-error" className="mt-1 text-xs text-red-600 dark:text-red-400">
                {error}
              </p>
            ) : null}
          </div>
          <Button type="submit" disabled={!title.trim()}>
            <Plus aria-hidden="true" /> Add
          </Button>
        </form>
      ) : null}
    </Card>
  );
}

const RANGES = [
  { key: '1h', label: '1 h', ms: 3600_000, interval: '1m' },
  { key: '6h', label: '6 h', ms: 6 * 3600_000, interval: '5m' },
  { key: '24h', label: '24 h', ms: 86_400_000, interval: '5m' },
  { key: '7d', label: '7 d', ms: 7 * 86_400_000, interval: '1h' },
] as const;

function TelemetryCard({ op }: { op: Operation }) {
  const series = useQuery({
    queryKey: [...keys.opTelemetry(op.id), 'series'],
    queryFn: () => call(api.GET('/api/telemetry/latest', { params: { query: { operationId: op.id } } })),
  });
  const metrics = useMemo(() => [...new Set((series.data?.data ?? []).map((s) => s.metric))], [series.data]);
  const [picked, setPicked] = useState<string | null>(null);
  const metric = picked && metrics.includes(picked) ? picked : (metrics[0] ?? null);
  const [range, setRange] = useState<(typeof RANGES)[number]['key']>('1h');
  const r = RANGES.find((x) => x.key === range)!;
  const [from] = useMemo(() => [new Date(Date.now() - r.ms).toISOString()], [r.ms]);
  const data = useQuery({
    queryKey: [...keys.opTelemetry(op.id), metric, range, from],
    queryFn: () => call(api.GET('/api/telemetry', { params: { query: { operationId: op.id, metric: metric!, from, interval: r.interval, agg: 'avg', tz: timeZone } } })),
    enabled: !!metric,
  });
  const seriesOfMetric: SeriesInfo[] = useMemo(() => (series.data?.data ?? []).filter((s) => s.metric === metric), [series.data, metric]);
  const live = useSyncExternalStore(subscribeLive, liveVersion);
  const chartSeries = useMemo(
    () =>
      seriesOfMetric.map((s) => {
        const buckets = (data.data?.buckets ?? []).filter((b) => b.seriesId === s.id).map((b) => [Date.parse(b.t) / 1000, b.value] as [number, number | null]);
        const lastT = buckets.length ? buckets[buckets.length - 1]![0] : 0;
        // The live tail: points received after the last stored bucket.
        const tail = liveSeries(s.id)
          .filter((p) => p.t / 1000 > lastT)
          .map((p) => [p.t / 1000, p.v] as [number, number | null]);
        return { label: seriesOfMetric.length > 1 && s.deviceId ? `${s.metric} (${s.deviceId.slice(0, 8)})` : s.metric, points: [...buckets, ...tail] };
      }),
    // `liveSeries` reads the live buffer, whose version `live` is: a new point must recompute.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [data.data, seriesOfMetric, live],
  );
  const hasPoints = chartSeries.some((s) => s.points.length > 0);
  const unit = seriesOfMetric[0]?.unit ?? null;

  return (
    <Card aria-labelledby="op-telemetry">
      <CardHeader
        id="op-telemetry"
        title="Telemetry"
        description={metric ? `Average per ${r.interval === '1m' ? 'minute' : r.interval === '5m' ? '5 minutes' : 'hour'} · drag to zoom, double-click to reset` : undefined}
        actions={
          metrics.length ? (
            <>
              {metrics.length > 1 ? (
                <Select aria-label="Metric" value={metric ?? ''} onChange={(e) => setPicked(e.target.value)} className="h-7 w-40 text-xs">
                  {metrics.map((m) => (
                    <option key={m}>{m}</option>
                  ))}
                </Select>
              ) : null}
              <div className="flex rounded-md border border-line p-0.5" role="group" aria-label="Time range">
                {RANGES.map((x) => (
                  <button
                    key={x.key}
                    type="button"
                    aria-pressed={range === x.key}
                    onClick={() => setRange(x.key)}
                    className={cn('h-6 rounded px-2 text-xs font-medium', range === x.key ? 'bg-active text-fg' : 'text-fg-muted hover:text-fg')}
                  >
                    {x.label}
                  </button>
                ))}
              </div>
            </>
          ) : null
        }
      />
      <div className="p-4" data-testid="operation-telemetry" data-points={chartSeries.reduce((n, x) => n + x.points.length, 0)}>
        {series.error ? (
          <ErrorState error={series.error} onRetry={() => void series.refetch()} />
        ) : series.isLoading || (metric && data.isLoading) ? (
          <Skeleton className="h-[240px]" />
        ) : !metric ? (
          <EmptyState
            icon={<LineChart />}
            title="No telemetry for this operation"
            description="Points sent with this operation's id (POST /api/telemetry?operationId=…) are charted here, live."
            className="py-8"
          />
        ) : data.error ? (
          <ErrorState error={data.error} onRetry={() => void data.refetch()} />
        ) : !hasPoints ? (
          <EmptyState icon={<LineChart />} title="No points in this range" description="Pick a longer range, or wait for new points." className="py-8" />
        ) : (
          <Suspense fallback={<Skeleton className="h-[240px]" />}>
            <TimeChart series={chartSeries} unit={unit} ariaLabel={`${metric} over the last ${r.label}`} />
          </Suspense>
        )}
      </div>
    </Card>
  );
}

const KIND_ICON = { person: User, vehicle: Truck, equipment: Wrench } as const;

function AllocateDialog({ op, open, onOpenChange, resources }: { op: Operation; open: boolean; onOpenChange: (o: boolean) => void; resources: Resource[] }) {
  const qc = useQueryClient();
  const [resourceId, setResourceId] = useState('');
  const [startsAt, setStartsAt] = useState(toLocalInput(op.startAt ?? new Date().toISOString()));
  const [endsAt, setEndsAt] = useState(toLocalInput(op.endAt ?? new Date(Date.now() + 4 * 3600_000).toISOString()));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const allocate = useMutation({
    mutationFn: () =>
      call(
        api.POST('/api/operations/{id}/allocations', {
          params: { path: { id: op.id } },
          body: { resourceId, startsAt: fromLocalInput(startsAt) ?? '', endsAt: fromLocalInput(endsAt) ?? '' },
        }),
      ),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: keys.allocations(op.id) });
      onOpenChange(false);
      toast('Resource allocated', { tone: 'success' });
    },
    onError: (err) => {
      const fe = fieldErrors(err);
      setErrors(fe);
      setFormError(Object.keys(fe).length ? null : errorMessage(err));
    },
  });
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title="Allocate a resource"
      description="Book a person, vehicle or equipment for this operation. Overlapping bookings are refused."
      footer={
        <>
          <Button onClick={() => onOpenChange(false)}>Cancel</Button>
          <Button variant="primary" loading={allocate.isPending} onClick={() => allocate.mutate()} disabled={!resourceId}>
            Allocate
          </Button>
        </>
      }
    >
      <div className="flex flex-col gap-4">
        {formError ? <Banner>{formError}</Banner> : null}
        <Field label="Resource" error={errors.resourceId}>
          <Select value={resourceId} onChange={(e) => setResourceId(e.target.value)}>
            <option value="">Choose…</option>
            {resources.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name} ({r.kind})
              </option>
            ))}
          </Select>
        </Field>
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="From" error={errors.startsAt}>
            <Input type="datetime-local" value={startsAt} onChange={(e) => setStartsAt(e.target.value)} />
          </Field>
          <Field label="Until" error={errors.endsAt}>
            <Input type="datetime-local" value={endsAt} onChange={(e) => setEndsAt(e.target.value)} />
          </Field>
        </div>
      </div>
    </Dialog>
  );
}

function AllocationsCard({ op }: { op: Operation }) {
  const me = useMe();
  const qc = useQueryClient();
  const editable = can(me, 'operations:update');
  const [open, setOpen] = useState(false);
  const allocations = useQuery({ queryKey: keys.allocations(op.id), queryFn: () => call(api.GET('/api/operations/{id}/allocations', { params: { path: { id: op.id } } })) });
  const resources = useQuery({ ...resourcesQuery, enabled: can(me, 'resources:read') });
  const byId = new Map((resources.data?.data ?? []).map((r) => [r.id, r]));
  const release = useMutation({
    mutationFn: (a: Allocation) => call(api.DELETE('/api/operations/{id}/allocations/{allocationId}', { params: { path: { id: op.id, allocationId: a.id } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.allocations(op.id) }),
    onError: (err) => toast('Could not release', { tone: 'error', description: errorMessage(err) }),
  });
  const list = allocations.data?.data ?? [];
  return (
    <Card aria-labelledby="op-allocations">
      <CardHeader
        id="op-allocations"
        title="Resources"
        description={list.length ? `${list.length} allocated` : undefined}
        actions={
          editable && (resources.data?.data.length ?? 0) > 0 ? (
            <Button size="sm" onClick={() => setOpen(true)}>
              <Plus aria-hidden="true" /> Allocate
            </Button>
          ) : null
        }
      />
      {allocations.error ? (
        <ErrorState error={allocations.error} onRetry={() => void allocations.refetch()} />
      ) : allocations.isLoading ? (
        <SkeletonRows rows={2} />
      ) : list.length === 0 ? (
        <EmptyState
          title="No resources allocated"
          description={resources.data && resources.data.data.length === 0 ? 'Add people, vehicles or equipment through /api/resources first.' : 'Book people, vehicles or equipment for a time window.'}
          className="py-8"
        />
      ) : (
        <ul className="divide-y divide-line">
          {list.map((a) => {
            const r = byId.get(a.resourceId);
            const Icon = r ? KIND_ICON[r.kind] : Box;
            return (
              <li key={a.id} className="group flex items-center gap-3 px-4 py-2.5">
                <span className="flex size-7 shrink-0 items-center justify-center rounded-md bg-hover text-fg-muted">
                  <Icon className="size-3.5" aria-hidden="true" />
                </span>
                <div className="min-w-0 flex-1">
                  <p className="truncate text-[13px] font-medium">{r?.name ?? 'Resource'}</p>
                  <p className="truncate text-xs text-fg-subtle">
                    {formatRange(a.startsAt, a.endsAt)}
                  </p>
                </div>
                {editable ? (
                  <Button variant="ghost" size="sm" className="opacity-0 group-focus-within:opacity-100 group-hover:opacity-100" onClick={() => release.mutate(a)} aria-label={`Release ${r?.name ?? 'resource'}`}>
                    Release
                  </Button>
                ) : null}
              </li>
            );
          })}
        </ul>
      )}
      {open ? <AllocateDialog op={op} open={open} onOpenChange={setOpen} resources={resources.data?.data ?? []} /> : null}
    </Card>
  );
}

function TimelineCard({ op }: { op: Operation }) {
  const me = useMe();
  const names = useUserNames();
  const log = useQuery({
    queryKey: [...keys.audit, 'entity', op.id],
    queryFn: () => call(api.GET('/api/audit-logs', { params: { query: { entityId: op.id, limit: 50 } } })),
    enabled: can(me, 'audit:read'),
  });
  if (!can(me, 'audit:read')) return null;
  return (
    <Card aria-labelledby="op-timeline">
      <CardHeader id="op-timeline" title="Timeline" description="From the audit log" />
      <div className="p-4" data-testid="operation-timeline">
        {log.error ? (
          <ErrorState error={log.error} onRetry={() => void log.refetch()} />
        ) : log.isLoading ? (
          <div className="space-y-3">
            <Skeleton className="h-8" />
            <Skeleton className="h-8" />
          </div>
        ) : (
          <Timeline entries={log.data?.data ?? []} names={names} empty={<p className="text-[13px] text-fg-subtle">No recorded changes.</p>} />
        )}
      </div>
    </Card>
  );
}

export function OperationDetailPage() {
  const { operationId } = operationRoute.useParams();
  useTopic(`operation:${operationId}`);
  const op = useQuery(operationQuery(operationId));
  useDocumentTitle(op.data?.name ?? 'Operation');

  if (op.error) {
    return (
      <Page width="narrow">
        <Card as="div" className="mt-10">
          <ErrorState error={op.error} title={(op.error as { status?: number }).status === 404 ? 'This operation does not exist' : undefined} onRetry={() => void op.refetch()} />
          <div className="pb-6 text-center">
            <Link to="/operations" className={buttonClass('secondary')}>
              Back to operations
            </Link>
          </div>
        </Card>
      </Page>
    );
  }
  if (!op.data) {
    return (
      <Page>
        <Skeleton className="mb-2 h-4 w-40" />
        <Skeleton className="mb-6 h-7 w-80" />
        <div className="grid gap-4 lg:grid-cols-3">
          <Skeleton className="h-64 lg:col-span-2" />
          <Skeleton className="h-64" />
        </div>
      </Page>
    );
  }
  const o = op.data;
  return (
    <Page>
      <PageHeader
        breadcrumb={<Crumbs to="/operations" label="Operations">{o.name}</Crumbs>}
        title={o.name}
        description={
          <span className="flex flex-wrap items-center gap-3">
            <StatusBadge status={o.status} />
            <PriorityLabel priority={o.priority} />
            <span className="text-fg-subtle">Created {formatRelative(o.createdAt)}</span>
          </span>
        }
        actions={<Actions op={o} />}
      />
      <div className="grid gap-4 lg:grid-cols-3">
        <div className="flex min-w-0 flex-col gap-4 lg:col-span-2">
          <DetailsCard op={o} />
          <TelemetryCard op={o} />
          <TasksCard op={o} />
        </div>
        <div className="flex min-w-0 flex-col gap-4">
          <AllocationsCard op={o} />
          <TimelineCard op={o} />
        </div>
      </div>
    </Page>
  );
}
