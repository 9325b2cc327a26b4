import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call } from '../../lib/api';
import { formatDate, timeZone as browserZone } from '../../lib/format';
import { can } from '../../lib/permissions';
import { errorFor, fieldErrors } from '../../lib/problem';
import { keys, useMe } from '../../lib/queries';
import { toast } from '../../lib/toast';
import { Button } from '../../components/ui/button';
import { Card, CardHeader } from '../../components/ui/card';
import { Field, Input, Select } from '../../components/ui/input';
import { Page, PageHeader, useDocumentTitle } from '../../components/ui/page';
import { Banner, errorMessage, ErrorState, NoAccess, SkeletonRows } from '../../components/ui/states';
import { SsoProvidersCard } from './SsoProvidersCard';

const RETENTION = [
  { key: 'rawDays', label: 'Raw points', hint: 'Every point as sent; raw queries and exports.' },
  { key: 'minuteDays', label: 'Minute rollups', hint: 'Charts at 1 and 5 minutes.' },
  { key: 'hourDays', label: 'Hour rollups', hint: 'Charts by hour, day, week and month.' },
] as const;
type RetentionKey = (typeof RETENTION)[number]['key'];

/** Every IANA zone the browser knows (the server checks the same tz database). */
function zones(): string[] {
  const intl = Intl as { supportedValuesOf?: (k: string) => string[] };
  return intl.supportedValuesOf?.('timeZone') ?? [browserZone, 'UTC'];
}

const asText = (v: unknown) => (typeof v === 'number' ? String(v) : '');

export function OrgSettingsPage() {
  useDocumentTitle('Organization');
  const me = useMe();
  const qc = useQueryClient();
  const allowed = can(me, 'org:read');
  const editable = can(me, 'org:update');
  const org = useQuery({ queryKey: keys.org, queryFn: () => call(api.GET('/api/organizations/current')), enabled: allowed });
  const retention = useQuery({ queryKey: [...keys.telemetry, 'retention'], queryFn: () => call(api.GET('/api/telemetry/retention')), enabled: allowed && can(me, 'telemetry:read') });
  const [name, setName] = useState('');
  const [zone, setZone] = useState('');
  const [days, setDays] = useState<Record<RetentionKey, string>>({ rawDays: '', minuteDays: '', hourDays: '' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const allZones = useMemo(zones, []);

  // The form follows what the server holds (first load, and after a save).
  useEffect(() => {
    if (!org.data) return;
    const s = org.data.settings;
    const t = (s.telemetry ?? {}) as Record<string, unknown>;
    setName(org.data.name);
    setZone(typeof s.timeZone === 'string' ? s.timeZone : '');
    setDays({ rawDays: asText(t.rawDays), minuteDays: asText(t.minuteDays), hourDays: asText(t.hourDays) });
  }, [org.data]);

  const save = useMutation({
    mutationFn: () => {
      const telemetry = Object.fromEntries(
        // Not a number: sent as typed, so the API's message lands on the field.
        RETENTION.filter((r) => days[r.key].trim() !== '').map((r) => [r.key, Number.isFinite(Number(days[r.key])) ? Number(days[r.key]) : days[r.key]]),
      );
      return call(
        api.PATCH('/api/organizations/current', {
          body: { name: name.trim(), settings: { timeZone: zone || null, telemetry: Object.keys(telemetry).length ? telemetry : null } },
        }),
      );
    },
    onSuccess: (o) => {
      qc.setQueryData(keys.org, o);
      void qc.invalidateQueries({ queryKey: [...keys.telemetry, 'retention'] });
      void qc.invalidateQueries({ queryKey: keys.me }); // the organization's name is in the sidebar
      toast('Settings saved', { tone: 'success' });
    },
    onError: (err) => {
      const fe = fieldErrors(err);
      setErrors(fe);
      setFormError(Object.keys(fe).some((k) => k === 'name' || k.startsWith('settings')) ? null : errorMessage(err));
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setErrors({});
    setFormError(null);
    save.mutate();
  };

  if (!allowed) return <NoAccess what="the organization’s settings" />;
  if (org.error) {
    return (
      <Page width="narrow">
        <Card as="div">
          <ErrorState error={org.error} onRetry={() => void org.refetch()} />
        </Card>
      </Page>
    );
  }
  const defaults = retention.data?.defaults;
  return (
    <Page width="narrow">
      <PageHeader title="Organization" description={editable ? 'Its name, reference time zone and how long telemetry is kept.' : 'Read-only: changing these needs org:update.'} />
      {org.isLoading || !org.data ? (
        <Card as="div">
          <SkeletonRows rows={5} />
        </Card>
      ) : (
        <form onSubmit={submit} noValidate className="flex flex-col gap-4" aria-label="Organization settings">
          {formError ? <Banner>{formError}</Banner> : null}
          <Card aria-labelledby="org-general">
            <CardHeader id="org-general" title="General" />
            <div className="grid gap-4 p-4 sm:grid-cols-2">
              <Field label="Name" required error={errorFor(errors, 'name')}>
                <Input name="name" value={name} onChange={(e) => setName(e.target.value)} disabled={!editable} />
              </Field>
              <Field label="Slug" hint="Used at sign-in when an email exists in several organizations">
                <Input value={org.data.slug} readOnly disabled className="font-mono" />
              </Field>
              <Field
                label="Time zone"
                hint={`The organization’s reference zone. Everyone sees dates in their own zone (yours: ${browserZone}).`}
                error={errorFor(errors, 'settings.timeZone')}
                className="sm:col-span-2"
              >
                <Select name="timeZone" value={zone} onChange={(e) => setZone(e.target.value)} disabled={!editable}>
                  <option value="">Not set</option>
                  {zone && !allZones.includes(zone) ? <option value={zone}>{zone}</option> : null}
                  {allZones.map((z) => (
                    <option key={z} value={z}>
                      {z.replaceAll('_', ' ')}
                    </option>
                  ))}
                </Select>
              </Field>
            </div>
          </Card>
          <Card aria-labelledby="org-retention">
            <CardHeader id="org-retention" title="Telemetry retention" description="Older data is deleted every hour. Empty keeps the default." />
            <div className="grid gap-4 p-4 sm:grid-cols-3">
              {RETENTION.map((r) => (
                <Field key={r.key} label={`${r.label} (days)`} hint={`${r.hint}${defaults ? ` Default ${defaults[r.key]}.` : ''}`} error={errorFor(errors, `settings.telemetry.${r.key}`) ?? (r.key === 'rawDays' ? errorFor(errors, 'settings.telemetry') : undefined)}>
                  <Input
                    name={r.key}
                    inputMode="numeric"
                    value={days[r.key]}
                    placeholder={defaults ? String(defaults[r.key]) : ''}
                    onChange={(e) => setDays((d) => ({ ...d, [r.key]: e.target.value }))}
                    disabled={!editable}
                  />
                </Field>
              ))}
            </div>
            {retention.data ? (
              <p className="border-t border-line px-4 py-2.5 text-xs text-fg-muted" data-testid="retention-effective">
                In effect: raw points {retention.data.rawDays} days, minute rollups {retention.data.minuteDays} days, hour rollups {retention.data.hourDays} days.
              </p>
            ) : null}
          </Card>
          <div className="flex items-center justify-between gap-3">
            <p className="text-xs text-fg-subtle">
              Created {formatDate(org.data.createdAt)} · id <span className="font-mono">{org.data.id}</span>
            </p>
            {editable ? (
              <Button variant="primary" type="submit" loading={save.isPending}>
                Save settings
              </Button>
            ) : null}
          </div>
        </form>
      )}
      {editable ? (
        <div className="mt-4">
          <SsoProvidersCard />
        </div>
      ) : null}
    </Page>
  );
}
