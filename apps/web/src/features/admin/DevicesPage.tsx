import { useState, type FormEvent } from 'react';
import { Link } from '@tanstack/react-router';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Cpu, LineChart, MoreHorizontal, Plus } from 'lucide-react';
import { api, call } from '../../lib/api';
import { latLng } from '../../lib/geo';
import { nextPages, pageRequest, rowsOf } from '../../lib/pages';
import { can } from '../../lib/permissions';
import { errorFor, fieldErrors } from '../../lib/problem';
import { keys, useMe } from '../../lib/queries';
import { toast } from '../../lib/toast';
import type { Ok } from '../../lib/types';
import { Ago } from '../../components/ui/ago';
import { Badge } from '../../components/ui/badge';
import { Button } from '../../components/ui/button';
import { DataTable, LoadMore, TableCard, type Column } from '../../components/ui/data-table';
import { ConfirmDialog, Dialog } from '../../components/ui/dialog';
import { Field, Input, Select } from '../../components/ui/input';
import { Menu, MenuContent, MenuItem, MenuTrigger } from '../../components/ui/menu';
import { Page, PageHeader, useDocumentTitle } from '../../components/ui/page';
import { SecretOnce } from '../../components/ui/secret';
import { operationNamesQuery } from '../operations/queries';
import { DeviceConnectionDetails } from './device-connection';
import { Banner, EmptyState, errorMessage, NoAccess } from '../../components/ui/states';

type Device = Ok<'/api/devices', 'get'>['data'][number];
type Issued = { device: Device; key: string; rotated: boolean };

/** Operations to attach a device to (the 200 most recent; devices follow their operation on the map). */
const useOperationNames = (enabled: boolean) => useQuery({ ...operationNamesQuery, enabled });

/** The device's position on the map, from its metadata (lat/lng), as typed in the form. */
const positionOf = (d: Device | null) => {
  const m = d?.metadata ?? {};
  return { lat: typeof m.lat === 'number' ? String(m.lat) : '', lng: typeof m.lng === 'number' ? String(m.lng) : '' };
};

/** Register a device, or edit one (`device`): name, type, operation and position, as the API allows. */
function DeviceForm({ device, onIssued, onSaved, onCancel }: { device: Device | null; onIssued: (i: Issued) => void; onSaved: (d: Device) => void; onCancel: () => void }) {
  const me = useMe();
  const qc = useQueryClient();
  const ops = useOperationNames(can(me, 'operations:read'));
  const [name, setName] = useState(device?.name ?? '');
  const [type, setType] = useState(device?.type ?? '');
  const [operationId, setOperationId] = useState(device?.operationId ?? '');
  const [lat, setLat] = useState(positionOf(device).lat);
  const [lng, setLng] = useState(positionOf(device).lng);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const onError = (err: unknown) => {
    const fe = fieldErrors(err);
    setErrors(fe);
    setFormError(Object.keys(fe).some((k) => ['name', 'type', 'operationId'].includes(k)) ? null : errorMessage(err));
  };
  const create = useMutation({
    mutationFn: (metadata: Record<string, unknown>) =>
      call(api.POST('/api/devices', { body: { name: name.trim(), ...(type.trim() ? { type: type.trim() } : {}), ...(operationId ? { operationId } : {}), metadata } })),
    onSuccess: (d) => {
      void qc.invalidateQueries({ queryKey: keys.devices });
      const { key, ...created } = d;
      onIssued({ device: created, key, rotated: false });
    },
    onError,
  });
  const save = useMutation({
    mutationFn: (metadata: Record<string, unknown>) =>
      call(
        api.PATCH('/api/devices/{id}', {
          params: { path: { id: device!.id } },
          body: { name: name.trim(), ...(type.trim() ? { type: type.trim() } : {}), operationId: operationId || null, metadata },
        }),
      ),
    onSuccess: (d) => {
      void qc.invalidateQueries({ queryKey: keys.devices });
      toast('Device saved', { tone: 'success', description: d.name });
      onSaved(d);
    },
    onError,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFormError(null);
    // The position lives in the device's metadata (lat/lng); the API takes any metadata, so check it here.
    const local: Record<string, string> = {};
    const hasPos = lat.trim() !== '' || lng.trim() !== '';
    const pos = hasPos ? latLng(Number(lat), Number(lng)) : null;
    if (hasPos && !pos) {
      if (!(Number(lat) >= -90 && Number(lat) <= 90) || lat.trim() === '') local.lat = 'A latitude between -90 and 90';
      if (!(Number(lng) >= -180 && Number(lng) <= 180) || lng.trim() === '') local.lng = 'A longitude between -180 and 180';
    }
    setErrors(local);
    if (Object.keys(local).length) return;
    // Other metadata the device carries (set over the API) is kept; an emptied position is removed.
    const { lat: _lat, lng: _lng, ...rest } = device?.metadata ?? {};
    const metadata = { ...rest, ...(pos ? { lat: pos.lat, lng: pos.lng } : {}) };
    if (device) save.mutate(metadata);
    else create.mutate(metadata);
  };
  return (
    <form id="device-form" onSubmit={submit} noValidate className="flex flex-col gap-4">
      {formError ? <Banner>{formError}</Banner> : null}
      <Field label="Name" required error={errorFor(errors, 'name')}>
        <Input name="name" value={name} onChange={(e) => setName(e.target.value)} autoFocus autoComplete="off" placeholder="Pump 3 pressure sensor" />
      </Field>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Type" hint="Free text, e.g. sensor, gateway" error={errorFor(errors, 'type')}>
          <Input name="type" value={type} onChange={(e) => setType(e.target.value)} placeholder="generic" />
        </Field>
        <Field label="Operation" hint="Its telemetry is also charted there" error={errorFor(errors, 'operationId')}>
          <Select name="operationId" value={operationId} onChange={(e) => setOperationId(e.target.value)}>
            <option value="">None</option>
            {(ops.data?.data ?? []).map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Latitude" hint="For the map; empty follows the operation" error={errors.lat}>
          <Input name="lat" inputMode="decimal" value={lat} onChange={(e) => setLat(e.target.value)} placeholder="46.42" />
        </Field>
        <Field label="Longitude" error={errors.lng}>
          <Input name="lng" inputMode="decimal" value={lng} onChange={(e) => setLng(e.target.value)} placeholder="5.67" />
        </Field>
      </div>
      <div className="flex justify-end gap-2 border-t border-line pt-3">
        <Button onClick={onCancel}>Cancel</Button>
        <Button variant="primary" type="submit" loading={create.isPending || save.isPending}>
          {device ? 'Save changes' : 'Register device'}
        </Button>
      </div>
    </form>
  );
}

function KeyDialog({ issued, onClose }: { issued: Issued; onClose: () => void }) {
  return (
    <Dialog
      open
      onOpenChange={(o) => !o && onClose()}
      size="lg"
      title={issued.rotated ? `New key for ${issued.device.name}` : `${issued.device.name} is registered`}
      description={issued.rotated ? 'The previous key stopped working.' : 'The device sends telemetry with this key.'}
      footer={
        <Button variant="primary" onClick={onClose}>
          Done
        </Button>
      }
    >
      <SecretOnce label="Device key" value={issued.key} />
      <div className="mt-4">
        <DeviceConnectionDetails deviceId={issued.device.id} deviceKey={issued.key} />
      </div>
    </Dialog>
  );
}

export function DevicesPage() {
  useDocumentTitle('Devices');
  const me = useMe();
  const qc = useQueryClient();
  const allowed = can(me, 'devices:read');
  const manage = can(me, 'devices:manage');
  const devices = useInfiniteQuery({
    queryKey: [...keys.devices, 'pages'],
    queryFn: ({ pageParam }) => call(api.GET('/api/devices', { params: { query: pageRequest(pageParam) } })),
    ...nextPages,
    enabled: allowed,
    staleTime: 10_000,
    refetchInterval: 30_000,
  });
  const ops = useOperationNames(allowed && can(me, 'operations:read'));
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Device | null>(null);
  const [issued, setIssued] = useState<Issued | null>(null);
  const [rotating, setRotating] = useState<Device | null>(null);
  const [deleting, setDeleting] = useState<Device | null>(null);

  const rotate = useMutation({
    mutationFn: (d: Device) => call(api.POST('/api/devices/{id}/rotate-key', { params: { path: { id: d.id } } })),
    onSuccess: ({ key, ...device }) => {
      void qc.invalidateQueries({ queryKey: keys.devices });
      setRotating(null);
      setIssued({ device, key, rotated: true });
    },
    onError: (err) => {
      setRotating(null);
      toast('The key was not rotated', { tone: 'error', description: errorMessage(err) });
    },
  });
  const remove = useMutation({
    mutationFn: (d: Device) => call(api.DELETE('/api/devices/{id}', { params: { path: { id: d.id } } })),
    onSuccess: (_r, d) => {
      void qc.invalidateQueries({ queryKey: keys.devices });
      setDeleting(null);
      toast('Device deleted', { tone: 'success', description: `${d.name}’s key no longer works.` });
    },
    onError: (err) => {
      setDeleting(null);
      toast('The device was not deleted', { tone: 'error', description: errorMessage(err) });
    },
  });

  if (!allowed) return <NoAccess what="devices" />;
  const opName = new Map((ops.data?.data ?? []).map((o) => [o.id, o.name]));
  const rows = rowsOf(devices.data);

  const columns: Column<Device>[] = [
    {
      id: 'name',
      header: 'Device',
      className: 'max-w-0',
      cell: (d) => (
        <>
          <Link to="/telemetry" search={{ device: d.id }} className="block truncate font-medium text-fg hover:underline" title="Open in the telemetry explorer">
            {d.name}
          </Link>
          <p className="truncate text-xs text-fg-subtle">{d.type}</p>
        </>
      ),
    },
    {
      id: 'status',
      header: 'Status',
      width: 'w-28',
      cell: (d) =>
        d.online ? (
          <Badge tone="green" dot>
            Online
          </Badge>
        ) : (
          <Badge dot>Offline</Badge>
        ),
    },
    {
      id: 'seen',
      header: 'Last seen',
      width: 'w-32',
      className: 'whitespace-nowrap text-fg-muted',
      cell: (d) => <Ago value={d.lastSeenAt} />,
    },
    { id: 'key', header: 'Key', width: 'w-44', hideBelow: 'xl', cell: (d) => <code className="font-mono text-xs text-fg-muted">dev_{d.keyPrefix}_…</code> },
    {
      id: 'operation',
      header: 'Operation',
      width: 'w-48',
      hideBelow: 'xl',
      className: 'max-w-0',
      cell: (d) =>
        d.operationId ? (
          <Link to="/operations/$operationId" params={{ operationId: d.operationId }} className="block truncate text-fg-muted hover:text-fg hover:underline">
            {opName.get(d.operationId) ?? 'Operation'}
          </Link>
        ) : (
          <span className="text-fg-subtle">—</span>
        ),
    },
    {
      id: 'actions',
      header: 'Actions',
      headerHidden: true,
      width: 'w-24',
      className: 'px-2 text-right',
      cell: (d) => (
        <div className="flex justify-end gap-0.5">
          <Link to="/telemetry" search={{ device: d.id }} className="inline-flex size-7 items-center justify-center rounded-md text-fg-muted hover:bg-hover hover:text-fg" aria-label={`Explore ${d.name}’s telemetry`} title="Telemetry explorer">
            <LineChart className="size-4" aria-hidden="true" />
          </Link>
          {manage ? (
            <Menu>
              <MenuTrigger asChild>
                <Button variant="ghost" size="icon-sm" aria-label={`Actions for ${d.name}`}>
                  <MoreHorizontal aria-hidden="true" />
                </Button>
              </MenuTrigger>
              <MenuContent>
                <MenuItem onSelect={() => setEditing(d)}>Edit device</MenuItem>
                <MenuItem onSelect={() => setRotating(d)}>Rotate key</MenuItem>
                <MenuItem danger onSelect={() => setDeleting(d)}>
                  Delete device
                </MenuItem>
              </MenuContent>
            </Menu>
          ) : null}
        </div>
      ),
    },
  ];

  return (
    <Page>
      <PageHeader
        title="Devices"
        description="Sensors and gateways that send telemetry, each with its own key."
        actions={
          manage ? (
            <Button variant="primary" onClick={() => setCreating(true)}>
              <Plus aria-hidden="true" /> Register device
            </Button>
          ) : undefined
        }
      />
      <TableCard
        error={devices.error && !devices.data ? devices.error : null}
        onRetry={() => void devices.refetch()}
        loading={devices.isLoading}
        empty={
          rows.length
            ? null
            : <EmptyState icon={<Cpu />} title="No devices yet" description="Register a device to get its key; it then sends telemetry over HTTP or MQTT." />
        }
      >
        <DataTable caption="Devices" testId="devices-table" rowTestId="device-row" columns={columns} rows={rows} rowKey={(d) => d.id} />
      </TableCard>
      <LoadMore count={rows.length} noun={['device', 'devices']} hasMore={devices.hasNextPage} loading={devices.isFetchingNextPage} onMore={() => void devices.fetchNextPage()} />
      {rows.length ? (
        <p className="mt-1 text-xs text-fg-subtle">
          {rows.filter((d) => d.online).length} of the {rows.length} shown online · a device is online when it sent something in the last 5 minutes
        </p>
      ) : null}
      {creating ? (
        <Dialog open onOpenChange={setCreating} title="Register a device" description="Its key is shown once, right after." size="md">
          <DeviceForm
            device={null}
            onSaved={() => setCreating(false)}
            onCancel={() => setCreating(false)}
            onIssued={(i) => {
              setCreating(false);
              setIssued(i);
            }}
          />
        </Dialog>
      ) : null}
      {editing ? (
        <Dialog open onOpenChange={(o) => !o && setEditing(null)} title={`Edit ${editing.name}`} description="Its key stays the same." size="md">
          <DeviceForm device={editing} onIssued={() => undefined} onSaved={() => setEditing(null)} onCancel={() => setEditing(null)} />
        </Dialog>
      ) : null}
      {issued ? <KeyDialog issued={issued} onClose={() => setIssued(null)} /> : null}
      <ConfirmDialog
        open={!!rotating}
        onOpenChange={(o) => !o && setRotating(null)}
        title={`Rotate ${rotating?.name ?? ''}’s key?`}
        description="A new key is issued and the current one stops working at once: update the device with the new key."
        confirmLabel="Rotate key"
        tone="primary"
        pending={rotate.isPending}
        onConfirm={() => rotating && rotate.mutate(rotating)}
      />
      <ConfirmDialog
        open={!!deleting}
        onOpenChange={(o) => !o && setDeleting(null)}
        title={`Delete ${deleting?.name ?? ''}?`}
        description="Its key stops working at once. Its telemetry stays stored, but the device leaves the map and the explorer."
        confirmLabel="Delete device"
        pending={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting)}
      />
    </Page>
  );
}
