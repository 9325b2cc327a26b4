import { useEffect, useRef, useState, type FormEvent } from 'react';
import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call } from '../../lib/api';
import { fromLocalInput, toLocalInput } from '../../lib/format';
import { can } from '../../lib/permissions';
import { errorFor, fieldErrors } from '../../lib/problem';
import { keys, useMe } from '../../lib/queries';
import { toast } from '../../lib/toast';
import type { Operation, OperationInput, OperationPatch, Priority } from '../../lib/types';
import { PRIORITY_LABEL } from '../../components/ui/badge';
import { Button, buttonClass } from '../../components/ui/button';
import { Crumbs } from '../../components/ui/crumbs';
import { Card } from '../../components/ui/card';
import { Field, Input, Select, Textarea } from '../../components/ui/input';
import { Page, PageHeader, useDocumentTitle } from '../../components/ui/page';
import { Banner, errorMessage, ErrorState, Skeleton } from '../../components/ui/states';
import { operationQuery } from './queries';

const operationEditRoute = getRouteApi('/app/operations/$operationId/edit');

interface FormState {
  name: string;
  description: string;
  priority: Priority;
  type: string;
  locationText: string;
  lat: string;
  lng: string;
  startAt: string;
  endAt: string;
  tags: string;
}

const empty: FormState = { name: '', description: '', priority: 'medium', type: '', locationText: '', lat: '', lng: '', startAt: '', endAt: '', tags: '' };

function fromOperation(o: Operation): FormState {
  return {
    name: o.name,
    description: o.description,
    priority: o.priority,
    type: o.type ?? '',
    locationText: o.location.text ?? '',
    lat: o.location.lat == null ? '' : String(o.location.lat),
    lng: o.location.lng == null ? '' : String(o.location.lng),
    startAt: toLocalInput(o.startAt),
    endAt: toLocalInput(o.endAt),
    tags: o.tags.join(', '),
  };
}

/** Numbers as typed: an empty field is null, anything else is sent as is (the API validates). */
const num = (v: string): number | null => (v.trim() === '' ? null : Number(v.trim()));

function toBody(f: FormState): OperationInput {
  return {
    name: f.name.trim(),
    description: f.description,
    priority: f.priority,
    type: f.type.trim() || null,
    location: { text: f.locationText.trim() || null, lat: num(f.lat), lng: num(f.lng) },
    startAt: fromLocalInput(f.startAt),
    endAt: fromLocalInput(f.endAt),
    tags: f.tags
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
  };
}

/**
 * The create/edit form. Validation is the API's: its problem+json `errors[].path` (e.g.
 * `body.name`, `body.location.lat`) is mapped onto the fields, and the first invalid field gets focus.
 */
function OperationForm({ initial, onSubmit, submitLabel, cancel }: { initial: FormState; onSubmit: (body: OperationInput) => Promise<unknown>; submitLabel: string; cancel: () => void }) {
  const [f, setF] = useState(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const [focusTick, setFocusTick] = useState(0);
  useEffect(() => {
    // After a refused submit: focus the first field the API complained about.
    if (focusTick) formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [focusTick]);
  const set = <K extends keyof FormState>(k: K, v: FormState[K]) => setF((prev) => ({ ...prev, [k]: v }));

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setPending(true);
    setErrors({});
    setFormError(null);
    try {
      await onSubmit(toBody(f));
    } catch (err) {
      const fe = fieldErrors(err);
      setErrors(fe);
      const unplaced = Object.keys(fe).filter((k) => !FIELD_KEYS.some((p) => k === p || k.startsWith(p + '.')));
      setFormError(Object.keys(fe).length === 0 || unplaced.length ? errorMessage(err) : 'Some fields need attention.');
      setPending(false);
      setFocusTick((n) => n + 1);
    }
  }

  return (
    <form ref={formRef} onSubmit={submit} noValidate className="flex flex-col gap-5" data-testid="operation-form">
      {formError ? <Banner>{formError}</Banner> : null}
      <Card as="div" className="flex flex-col gap-4 p-5">
        <Field label="Name" required error={errorFor(errors, 'name')}>
          <Input name="name" value={f.name} onChange={(e) => set('name', e.target.value)} maxLength={250} placeholder="e.g. Pump station inspection" autoFocus />
        </Field>
        <Field label="Description" error={errorFor(errors, 'description')}>
          <Textarea name="description" value={f.description} onChange={(e) => set('description', e.target.value)} rows={4} placeholder="What needs to happen, and why." />
        </Field>
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="Priority" error={errorFor(errors, 'priority')}>
            <Select name="priority" value={f.priority} onChange={(e) => set('priority', e.target.value as Priority)}>
              {(['low', 'medium', 'high', 'critical'] as Priority[]).map((p) => (
                <option key={p} value={p}>
                  {PRIORITY_LABEL[p]}
                </option>
              ))}
            </Select>
          </Field>
          <Field label="Type" hint="A free category, e.g. inspection or delivery." error={errorFor(errors, 'type')}>
            <Input name="type" value={f.type} onChange={(e) => set('type', e.target.value)} />
          </Field>
        </div>
      </Card>

      <Card as="div" className="flex flex-col gap-4 p-5">
        <h2 className="text-[13px] font-semibold">Schedule</h2>
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="Starts" error={errorFor(errors, 'startAt')}>
            <Input name="startAt" type="datetime-local" value={f.startAt} onChange={(e) => set('startAt', e.target.value)} />
          </Field>
          <Field label="Ends" hint="Past this, the operation counts as overdue." error={errorFor(errors, 'endAt')}>
            <Input name="endAt" type="datetime-local" value={f.endAt} onChange={(e) => set('endAt', e.target.value)} />
          </Field>
        </div>
      </Card>

      <Card as="div" className="flex flex-col gap-4 p-5">
        <h2 className="text-[13px] font-semibold">Location and tags</h2>
        <Field label="Place" error={errorFor(errors, 'location.text') ?? errors.location}>
          <Input name="location.text" value={f.locationText} onChange={(e) => set('locationText', e.target.value)} placeholder="Address or site name" />
        </Field>
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="Latitude" hint="−90 to 90" error={errorFor(errors, 'location.lat')}>
            <Input name="location.lat" inputMode="decimal" value={f.lat} onChange={(e) => set('lat', e.target.value)} />
          </Field>
          <Field label="Longitude" hint="−180 to 180" error={errorFor(errors, 'location.lng')}>
            <Input name="location.lng" inputMode="decimal" value={f.lng} onChange={(e) => set('lng', e.target.value)} />
          </Field>
        </div>
        <Field label="Tags" hint="Separate with commas." error={errorFor(errors, 'tags')}>
          <Input name="tags" value={f.tags} onChange={(e) => set('tags', e.target.value)} placeholder="north, quarterly" />
        </Field>
      </Card>

      <div className="flex justify-end gap-2">
        <Button onClick={cancel}>Cancel</Button>
        <Button type="submit" variant="primary" loading={pending}>
          {submitLabel}
        </Button>
      </div>
    </form>
  );
}
const FIELD_KEYS = ['name', 'description', 'priority', 'type', 'location', 'startAt', 'endAt', 'tags'];

export function NewOperationPage() {
  useDocumentTitle('New operation');
  const me = useMe();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const create = useMutation({
    mutationFn: (body: OperationInput) => call(api.POST('/api/operations', { body })),
    onSuccess: (op) => {
      qc.setQueryData(keys.operation(op.id), op);
      void qc.invalidateQueries({ queryKey: keys.operations });
      toast('Operation created', { tone: 'success', description: op.name });
      void navigate({ to: '/operations/$operationId', params: { operationId: op.id } });
    },
  });
  if (!can(me, 'operations:create')) {
    return (
      <Page width="narrow">
        <ErrorState error={new Error('Your role cannot create operations.')} title="You don’t have access to this" />
      </Page>
    );
  }
  return (
    <Page width="narrow">
      <PageHeader breadcrumb={<Crumbs to="/operations" label="Operations">New</Crumbs>} title="New operation" />
      <OperationForm initial={empty} submitLabel="Create operation" onSubmit={(b) => create.mutateAsync(b)} cancel={() => void navigate({ to: '/operations' })} />
    </Page>
  );
}

export function EditOperationPage() {
  const { operationId } = operationEditRoute.useParams();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const op = useQuery(operationQuery(operationId));
  useDocumentTitle(op.data ? `Edit ${op.data.name}` : 'Edit operation');
  const save = useMutation({
    mutationFn: (body: OperationPatch) => call(api.PATCH('/api/operations/{id}', { params: { path: { id: operationId } }, body })),
    onSuccess: (o) => {
      qc.setQueryData(keys.operation(o.id), o);
      void qc.invalidateQueries({ queryKey: keys.operations });
      toast('Changes saved', { tone: 'success' });
      void navigate({ to: '/operations/$operationId', params: { operationId } });
    },
  });
  return (
    <Page width="narrow">
      <PageHeader
        breadcrumb={
          <Crumbs to="/operations" label="Operations">
            {op.data ? (
              <Link to="/operations/$operationId" params={{ operationId }} className="max-w-60 truncate hover:text-fg">
                {op.data.name}
              </Link>
            ) : (
              '…'
            )}
          </Crumbs>
        }
        title="Edit operation"
      />
      {op.error ? (
        <Card as="div">
          <ErrorState error={op.error} onRetry={() => void op.refetch()} />
          <div className="pb-6 text-center">
            <Link to="/operations" className={buttonClass('ghost')}>
              Back to operations
            </Link>
          </div>
        </Card>
      ) : !op.data ? (
        <div className="flex flex-col gap-4">
          <Skeleton className="h-56" />
          <Skeleton className="h-28" />
        </div>
      ) : (
        <OperationForm
          initial={fromOperation(op.data)}
          submitLabel="Save changes"
          onSubmit={(b) => save.mutateAsync(b)}
          cancel={() => void navigate({ to: '/operations/$operationId', params: { operationId } })}
        />
      )}
    </Page>
  );
}
